// The validator of untrusted kernel programs (from a manifest, a hand-built object): every buffer
// known and well-shaped, every kernel well-typed (the functions' dtype rules are kernel-fns.ts's)
// and reading only what is given or already written, temps placed in the arena without unsafe
// overlap. It returns a clean copy; every refusal is a KilnRuntimeError of kind 'artifact'.

import { binaryResult, isBinaryFn, isUnaryFn, unaryResult } from './kernel-fns.js';
import type { BufferRole, BufferSpec, IndexExpr, Kernel, KernelDType, KernelProgram, KernelStore, ParamInit, Reduction, ValueExpr } from './kernel-ir.js';
import { liveIntervals, readsOnlyAtPoint } from './kernel-analysis.js';
import { IndexBounds } from './index-bounds.js';
import { parseGuard } from './guard-validator.js';
import { parseSchedule } from './schedule-validator.js';
import { initProblem } from './random.js';
import { KilnRuntimeError, numelOf } from './tensor.js';

/** Arena offsets and weight offsets are multiples of this many bytes. */
export const ALIGN = 16;
export const DTYPES: readonly KernelDType[] = ['f32', 'i32', 'bool'];
const ROLES: readonly BufferRole[] = ['input', 'param', 'output', 'temp', 'const'];
const SPECIAL_NUMBERS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
export const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
export const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export function fail(source: string, message: string): never {
  throw new KilnRuntimeError('artifact', `${source}: ${message}`);
}

// ---- expressions ---------------------------------------------------------------------------

/** Checks one kernel's expressions against the buffers, rebuilding them as clean plain data. */
class ExprChecker {
  constructor(
    private readonly fail: (message: string) => never,
    private readonly buffers: ReadonlyMap<string, BufferSpec>,
    /** Loop variables: output axes then reduction axes. */
    private readonly vars: number,
    /** The dtype of `acc`, where it may appear (a reducing kernel's stores). */
    private readonly acc: KernelDType | undefined,
    readonly reads: Set<string> = new Set(),
  ) {}

  index(raw: unknown, where: string): IndexExpr {
    if (!isObject(raw)) this.fail(`${where}: an index expression must be an object, got ${show(raw)}`);
    const int = (v: unknown, what: string, positive = false): number => {
      if (!Number.isSafeInteger(v) || (positive && (v as number) <= 0)) this.fail(`${where}: ${what} must be a ${positive ? 'positive ' : ''}integer, got ${show(v)}`);
      return v as number;
    };
    switch (raw.k) {
      case 'var': {
        const axis = int(raw.axis, 'var axis');
        if (axis < 0 || axis >= this.vars) this.fail(`${where}: var axis ${axis} is not a loop variable (the kernel has ${this.vars})`);
        return { k: 'var', axis };
      }
      case 'const':
        return { k: 'const', value: int(raw.value, 'index constant') };
      case 'add':
        return { k: 'add', a: this.index(raw.a, where), b: this.index(raw.b, where) };
      case 'mul':
        return { k: 'mul', a: this.index(raw.a, where), by: int(raw.by, 'mul factor') };
      case 'div':
      case 'mod':
        return { k: raw.k, a: this.index(raw.a, where), by: int(raw.by, `${raw.k} divisor`, true) };
      case 'value': {
        const v = this.value(raw.v, where);
        if (v.dtype !== 'i32') this.fail(`${where}: an index read from data must be i32, got ${v.dtype}`);
        return { k: 'value', v, size: int(raw.size, 'value index size', true) };
      }
      default:
        return this.fail(`${where}: unknown index expression kind ${show(raw.k)}`);
    }
  }

  value(raw: unknown, where: string): ValueExpr {
    if (!isObject(raw)) this.fail(`${where}: a value expression must be an object, got ${show(raw)}`);
    const dtype = raw.dtype as KernelDType;
    const needDType = (allowed: readonly KernelDType[] = DTYPES): KernelDType => {
      if (!allowed.includes(dtype)) this.fail(`${where}: ${String(raw.k)} has dtype ${show(raw.dtype)} (expected ${allowed.join(' or ')})`);
      return dtype;
    };
    switch (raw.k) {
      case 'load': {
        const b = typeof raw.buffer === 'string' ? this.buffers.get(raw.buffer) : undefined;
        if (!b) this.fail(`${where}: load of unknown buffer ${show(raw.buffer)}`);
        if (dtype !== b.dtype) this.fail(`${where}: load of '${b.name}' (${b.dtype}) says dtype ${show(raw.dtype)}`);
        this.reads.add(b.name);
        return { k: 'load', buffer: b.name, index: this.index(raw.index, where), dtype };
      }
      case 'const': {
        needDType();
        const value = numberOf(raw.value);
        if (value === undefined || !fits(value, dtype)) this.fail(`${where}: constant ${show(raw.value)} does not fit ${dtype}`);
        return { k: 'const', value, dtype };
      }
      case 'unary': {
        const fn = raw.fn;
        if (typeof fn !== 'string' || !isUnaryFn(fn)) this.fail(`${where}: unknown unary fn ${show(raw.fn)}`);
        const a = this.value(raw.a, where);
        const result = unaryResult(fn, a.dtype) ?? this.fail(`${where}: ${fn} is not defined on ${a.dtype}`);
        if (dtype !== result) this.fail(`${where}: ${fn} of ${a.dtype} says dtype ${show(raw.dtype)}`);
        return { k: 'unary', fn, a, dtype };
      }
      case 'binary': {
        const fn = raw.fn;
        if (typeof fn !== 'string' || !isBinaryFn(fn)) this.fail(`${where}: unknown binary fn ${show(raw.fn)}`);
        const [a, b] = [this.value(raw.a, where), this.value(raw.b, where)];
        if (a.dtype !== b.dtype) this.fail(`${where}: ${fn} of ${a.dtype} and ${b.dtype} (operands must share a dtype)`);
        const result = binaryResult(fn, a.dtype) ?? this.fail(`${where}: ${fn} is not defined on ${a.dtype}`);
        if (dtype !== result) this.fail(`${where}: ${fn} of ${a.dtype} gives ${result}, but says dtype ${show(raw.dtype)}`);
        return { k: 'binary', fn, a, b, dtype };
      }
      case 'where': {
        const [cond, a, b] = [this.value(raw.cond, where), this.value(raw.a, where), this.value(raw.b, where)];
        if (cond.dtype !== 'bool') this.fail(`${where}: where's condition is ${cond.dtype}, not bool`);
        if (a.dtype !== b.dtype || dtype !== a.dtype) this.fail(`${where}: where of ${a.dtype} and ${b.dtype} says dtype ${show(raw.dtype)}`);
        return { k: 'where', cond, a, b, dtype };
      }
      case 'cast':
        return { k: 'cast', a: this.value(raw.a, where), dtype: needDType() };
      case 'index':
        return { k: 'index', index: this.index(raw.index, where), dtype: needDType(['i32']) as 'i32' };
      case 'random': {
        needDType(['f32']);
        if (raw.dist !== 'uniform' && raw.dist !== 'normal') this.fail(`${where}: unknown random distribution ${show(raw.dist)}`);
        if (!Number.isSafeInteger(raw.seed)) this.fail(`${where}: random seed must be an integer, got ${show(raw.seed)}`);
        const [a, b] = [numberOf(raw.a), numberOf(raw.b)];
        if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) this.fail(`${where}: random parameters a and b must be finite numbers`);
        if (raw.dist === 'uniform' && !(a <= b)) this.fail(`${where}: uniform low ${a} exceeds high ${b}`);
        const key = raw.key === undefined ? undefined : this.value(raw.key, where);
        if (key && key.dtype !== 'i32') this.fail(`${where}: random key is ${key.dtype}, not i32`);
        const counter = this.index(raw.counter, where);
        return { k: 'random', dist: raw.dist, seed: raw.seed as number, ...(key ? { key } : {}), counter, a, b, dtype: 'f32' };
      }
      case 'acc':
        if (!this.acc) this.fail(`${where}: acc outside the stores of a reducing kernel`);
        if (dtype !== this.acc) this.fail(`${where}: acc says dtype ${show(raw.dtype)}, the reduction gives ${this.acc}`);
        return { k: 'acc', dtype };
      default:
        return this.fail(`${where}: unknown value expression kind ${show(raw.k)}`);
    }
  }
}

export function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && Object.hasOwn(SPECIAL_NUMBERS, v) ? SPECIAL_NUMBERS[v] : undefined;
}

function fits(v: number, dtype: KernelDType): boolean {
  return dtype === 'f32' ? true : dtype === 'i32' ? Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 : v === 0 || v === 1;
}

export function shapeOf(raw: unknown, what: string, err: (m: string) => never): number[] {
  if (!Array.isArray(raw) || !raw.every(isCount)) err(`${what} has a bad shape ${show(raw)} (expected a list of non-negative integers)`);
  if (!Number.isSafeInteger(numelOf(raw as number[]) * 4)) err(`${what} has a shape too large to hold: [${(raw as number[]).join(', ')}]`);
  return [...(raw as number[])];
}

export function namedList<T>(raw: unknown, what: string, err: (m: string) => never, parse: (r: Record<string, unknown>, i: number) => T): T[] {
  if (!Array.isArray(raw)) err(`${what} must be a list, got ${show(raw)}`);
  return raw.map((r, i) => {
    if (!isObject(r)) err(`${what} entry #${i} is not an object`);
    return parse(r, i);
  });
}

function parseBuffer(r: Record<string, unknown>, i: number, err: (m: string) => never): BufferSpec {
  if (typeof r.name !== 'string' || r.name === '') err(`buffer #${i} has no name`);
  const what = `buffer '${r.name}'`;
  if (!DTYPES.includes(r.dtype as KernelDType)) err(`${what} has unknown dtype ${show(r.dtype)} (expected f32, i32 or bool)`);
  if (!ROLES.includes(r.role as BufferRole)) err(`${what} has unknown role ${show(r.role)} (expected ${ROLES.join(', ')})`);
  const b: BufferSpec = { name: r.name, dtype: r.dtype as KernelDType, shape: shapeOf(r.shape, what, err), role: r.role as BufferRole };
  if (r.offset !== undefined) {
    if (b.role !== 'temp') err(`${what} is ${b.role}, but only temps have arena offsets`);
    if (!isCount(r.offset) || r.offset % 4 !== 0) err(`${what} has a bad arena offset ${show(r.offset)} (expected a non-negative multiple of 4)`);
    b.offset = r.offset;
  }
  if (b.role === 'const') {
    if (!Array.isArray(r.data)) err(`${what} is const but carries no data`);
    const n = numelOf(b.shape);
    if (r.data.length !== n) err(`${what} carries ${r.data.length} values for shape [${b.shape.join(', ')}] (${n} elements)`);
    b.data = r.data.map((v, j) => {
      const x = numberOf(v);
      if (x === undefined || !fits(x, b.dtype)) err(`${what}: value ${show(v)} at element ${j} does not fit ${b.dtype}`);
      return x;
    });
  } else if (r.data !== undefined) err(`${what} is ${b.role}, but only const buffers carry data`);
  return b;
}

/** `inPlace`: parameter buffers whose update names themselves, which one kernel writes (reading them only at its point). */
function parseKernel(
  r: Record<string, unknown>,
  i: number,
  buffers: ReadonlyMap<string, BufferSpec>,
  inPlace: ReadonlySet<string>,
  err: (m: string) => never,
): { kernel: Kernel; reads: Set<string> } {
  if (typeof r.name !== 'string' || r.name === '') err(`kernel #${i} has no name`);
  const name = `kernel '${r.name}'`;
  if (r.pattern !== 'elementwise' && r.pattern !== 'reduce' && r.pattern !== 'matmul') err(`${name} has unknown pattern ${show(r.pattern)}`);
  const shape = shapeOf(r.shape, name, err);
  let reduce: Reduction | undefined;
  let accDType: KernelDType | undefined;
  const reads = new Set<string>();
  if (r.reduce !== undefined) {
    const red = r.reduce;
    if (!isObject(red)) err(`${name} has a malformed reduction`);
    if (red.op !== 'sum' && red.op !== 'max' && red.op !== 'argmax') err(`${name} has unknown reduction ${show(red.op)}`);
    const rshape = shapeOf(red.shape, `${name} reduction`, err);
    const value = new ExprChecker(err, buffers, shape.length + rshape.length, undefined, reads).value(red.value, `${name} reduction`);
    if (value.dtype === 'bool') err(`${name}: ${red.op} of bool (reductions take f32 or i32)`);
    if (red.op === 'argmax' && numelOf(rshape) === 0) err(`${name}: argmax over an empty reduction`);
    reduce = { op: red.op, shape: rshape, value };
    accDType = red.op === 'argmax' ? 'i32' : value.dtype;
  }
  const checker = new ExprChecker(err, buffers, shape.length + (reduce?.shape.length ?? 0), accDType, reads);
  const stores = namedList(r.stores, `${name} stores`, err, (s, j): KernelStore => {
    const b = typeof s.buffer === 'string' ? buffers.get(s.buffer) : undefined;
    if (!b) err(`${name} store ${j} writes unknown buffer ${show(s.buffer)}`);
    if (b.role !== 'temp' && b.role !== 'output' && !inPlace.has(b.name))
      err(`${name} store ${j} writes ${b.role} buffer '${b.name}' (kernels write temps and outputs; parameters change through updates)`);
    if (numelOf(b.shape) !== numelOf(shape)) err(`${name} store ${j}: buffer '${b.name}' [${b.shape.join(', ')}] does not hold the kernel's shape [${shape.join(', ')}]`);
    const value = checker.value(s.value, `${name} store ${j}`);
    if (value.dtype !== b.dtype) err(`${name} store ${j}: a ${value.dtype} value into ${b.dtype} buffer '${b.name}'`);
    if (s.countNonFinite === undefined) return { buffer: b.name, value };
    // Where it counts is checked against the program's guard (parseGuard).
    const c = s.countNonFinite;
    if (!isObject(c) || typeof c.buffer !== 'string' || !isCount(c.index)) err(`${name} store ${j} has a malformed countNonFinite`);
    if (b.dtype !== 'f32') err(`${name} store ${j} counts non-finite values of ${b.dtype} buffer '${b.name}' (only f32 stores are counted)`);
    return { buffer: b.name, value, countNonFinite: { buffer: c.buffer, index: c.index } };
  });
  if (stores.length === 0) err(`${name} stores nothing`);
  const stored = new Set<string>();
  for (const s of stores) {
    if (stored.has(s.buffer)) err(`${name} stores twice to '${s.buffer}'`);
    stored.add(s.buffer);
  }
  const kernel: Kernel = { name: r.name, pattern: r.pattern, shape, ...(reduce ? { reduce } : {}), stores };
  for (const s of stores) {
    const atPoint = inPlace.has(s.buffer) && readsOnlyAtPoint(kernel, s.buffer);
    if (reads.has(s.buffer) && !atPoint) err(`${name} both reads and writes '${s.buffer}'`);
  }
  if (r.schedule !== undefined) kernel.schedule = parseSchedule(r.schedule, shape.length, reduce !== undefined, name, err);
  return { kernel, reads };
}

type Err = (m: string) => never;
type Ref = { name: string; buffer: string };
type Update = KernelProgram['updates'][number];

/** The program's buffers by name, each well-formed and named once. */
function parseBuffers(raw: unknown, err: Err): Map<string, BufferSpec> {
  const buffers = new Map<string, BufferSpec>();
  for (const b of namedList(raw, 'buffers', err, (r, i) => parseBuffer(r, i, err))) {
    if (buffers.has(b.name)) err(`duplicate buffer '${b.name}'`);
    buffers.set(b.name, b);
  }
  return buffers;
}

/** Resolves a reference to a buffer that must have one of `roles`. */
function roleChecker(buffers: ReadonlyMap<string, BufferSpec>, err: Err): (what: string, name: unknown, roles: readonly BufferRole[]) => string {
  return (what, name, roles) => {
    const b = typeof name === 'string' ? buffers.get(name) : undefined;
    if (!b) err(`${what} refers to unknown buffer ${show(name)}`);
    if (!roles.includes(b.role)) err(`${what} refers to ${b.role} buffer '${b.name}' (expected ${roles.join(' or ')})`);
    return b.name;
  };
}

function unique<T extends { name: string }>(list: T[], what: string, err: Err): T[] {
  const seen = new Set<string>();
  for (const x of list) {
    if (typeof x.name !== 'string' || x.name === '') err(`a ${what} has no name`);
    if (seen.has(x.name)) err(`duplicate ${what} '${x.name}'`);
    seen.add(x.name);
  }
  return list;
}

/** Inputs, outputs and params, each naming a buffer of its role; every input and param buffer is named exactly once. */
function parseInterface(raw: Record<string, unknown>, buffers: ReadonlyMap<string, BufferSpec>, err: Err): Pick<KernelProgram, 'inputs' | 'outputs' | 'params'> {
  const role = roleChecker(buffers, err);
  const inputs = unique(
    namedList(raw.inputs, 'inputs', err, (r) => ({ name: r.name as string, buffer: role(`input '${String(r.name)}'`, r.buffer, ['input']) })),
    'input',
    err,
  );
  const outputs = unique(
    namedList(raw.outputs, 'outputs', err, (r) => ({ name: r.name as string, buffer: role(`output '${String(r.name)}'`, r.buffer, ROLES) })),
    'output',
    err,
  );
  const params = unique(
    namedList(raw.params, 'params', err, (r) => {
      const buffer = role(`param '${String(r.name)}'`, r.buffer, ['param']);
      if (!isObject(r.init) || typeof r.init.fn !== 'string' || !isObject(r.init.args)) err(`param '${String(r.name)}' has a malformed init`);
      const args = Object.fromEntries(Object.entries(r.init.args).map(([k, v]) => [k, numberOf(v) ?? v])) as ParamInit['args'];
      const init: ParamInit = { fn: r.init.fn, args };
      const problem = initProblem(init, buffers.get(buffer)!.dtype);
      if (problem) err(`param '${String(r.name)}': ${problem}`);
      return { name: r.name as string, buffer, init };
    }),
    'param',
    err,
  );
  for (const b of buffers.values()) {
    const by: Ref[] | undefined = b.role === 'input' ? inputs : b.role === 'param' ? params : undefined;
    const count = by?.filter((x) => x.buffer === b.name).length ?? 1;
    if (count === 0) err(`buffer '${b.name}' has role ${b.role}, but no program ${b.role} names it`);
    if (count > 1) err(`buffer '${b.name}' is named by ${count} program ${b.role}s`);
  }
  return { inputs, outputs, params };
}

/** Each parameter updated at most once, from a buffer of its dtype and size. */
function parseUpdates(raw: unknown, buffers: ReadonlyMap<string, BufferSpec>, paramBuffers: ReadonlyMap<string, BufferSpec>, err: Err): Update[] {
  const role = roleChecker(buffers, err);
  const updated = new Set<string>();
  return namedList(raw, 'updates', err, (r) => {
    const target = typeof r.param === 'string' ? paramBuffers.get(r.param) : undefined;
    if (!target) err(`update of unknown param ${show(r.param)}`);
    if (updated.has(r.param as string)) err(`param '${String(r.param)}' is updated twice`);
    updated.add(r.param as string);
    const buffer = role(`update of '${String(r.param)}'`, r.buffer, ROLES);
    const src = buffers.get(buffer)!;
    if (src.dtype !== target.dtype || numelOf(src.shape) !== numelOf(target.shape)) {
      err(`update of '${String(r.param)}' (${target.dtype}[${target.shape.join(', ')}]) from '${buffer}' (${src.dtype}[${src.shape.join(', ')}])`);
    }
    return { param: r.param as string, buffer };
  });
}

/**
 * The kernels in order: a temp or output may be read only after a kernel wrote it; `inPlace`
 * (parameters updated from their own buffer) are written by exactly one kernel, which no later
 * kernel reads past. Returns the kernels and every buffer some kernel writes.
 */
function parseKernels(raw: unknown, buffers: ReadonlyMap<string, BufferSpec>, inPlace: ReadonlySet<string>, err: Err): { kernels: Kernel[]; written: Set<string> } {
  const written = new Set<string>();
  const lengths = new Map([...buffers.values()].map((b) => [b.name, numelOf(b.shape)]));
  const kernels = namedList(raw, 'kernels', err, (r, i) => {
    const { kernel, reads } = parseKernel(r, i, buffers, inPlace, err);
    IndexBounds.check(kernel, lengths, (where, { buffer, lo, hi }, length) =>
      err(`kernel '${kernel.name}' ${where}: load of '${buffer}' at indices [${lo}, ${hi}] over the iteration space, outside the buffer's ${length} elements`),
    );
    for (const name of reads) {
      const b = buffers.get(name)!;
      if ((b.role === 'temp' || b.role === 'output') && !written.has(name)) err(`kernel '${kernel.name}' reads ${b.role} '${name}' before any kernel writes it`);
      if (inPlace.has(name) && written.has(name)) err(`kernel '${kernel.name}' reads parameter '${name}' after a kernel updated it in place`);
    }
    for (const s of kernel.stores) {
      if (inPlace.has(s.buffer) && written.has(s.buffer)) err(`kernel '${kernel.name}' updates parameter buffer '${s.buffer}' in place a second time`);
      written.add(s.buffer);
    }
    return kernel;
  });
  for (const name of inPlace) if (!written.has(name)) err(`the update of parameter buffer '${name}' from itself needs a kernel that writes it in place`);
  return { kernels, written };
}

/**
 * Validates a kernel program from anywhere (a manifest, a hand-built object) and returns a clean
 * copy: every buffer known and well-shaped, every kernel well-typed and reading only what is
 * given or already written, temps placed in the arena without unsafe overlap. A program whose
 * temps have no offsets at all gets each its own place. Errors start with `source`.
 */
export function parseProgram(raw: unknown, source = 'program'): KernelProgram {
  const err: Err = (m) => fail(source, m);
  if (!isObject(raw)) err('not an object');
  if (typeof raw.name !== 'string') err(`name must be a string, got ${show(raw.name)}`);
  const buffers = parseBuffers(raw.buffers, err);
  const { inputs, outputs, params } = parseInterface(raw, buffers, err);
  const paramBuffers = new Map(params.map((p) => [p.name, buffers.get(p.buffer)!]));
  const updates = parseUpdates(raw.updates, buffers, paramBuffers, err);
  // An output buffer leaves the run: as a named output, or as a parameter's next value.
  const leaving = new Set([...outputs, ...updates].map((x) => x.buffer));
  for (const b of buffers.values()) if (b.role === 'output' && !leaving.has(b.name)) err(`buffer '${b.name}' has role output, but no program output or update reads it`);
  // A parameter updated from its own buffer is written in place by exactly one kernel, which no later kernel or output reads past.
  const inPlace = new Set(updates.filter((u) => u.buffer === paramBuffers.get(u.param)!.name).map((u) => u.buffer));
  for (const o of outputs) if (inPlace.has(o.buffer)) err(`output '${o.name}' reads parameter buffer '${o.buffer}', which a kernel updates in place`);
  const { kernels, written } = parseKernels(raw.kernels, buffers, inPlace, err);
  const guard = raw.guard === undefined ? undefined : parseGuard(raw.guard, { buffers, outputs, updates, kernels, inPlace, paramBuffers }, err);
  if (!guard && kernels.some((k) => k.stores.some((st) => st.countNonFinite)))
    err(`kernel '${kernels.find((k) => k.stores.some((st) => st.countNonFinite))!.name}' counts non-finite values, but the program has no guard`);
  if (guard) written.add(guard.counts); // the executor zeroes it before each run
  for (const ref of [...outputs.map((o) => ({ what: `output '${o.name}'`, buffer: o.buffer })), ...updates.map((u) => ({ what: `update of '${u.param}'`, buffer: u.buffer }))]) {
    const b = buffers.get(ref.buffer)!;
    if ((b.role === 'temp' || b.role === 'output') && !written.has(b.name)) err(`${ref.what} reads ${b.role} '${b.name}', which no kernel writes`);
  }
  if (!isCount(raw.arenaBytes)) err(`arenaBytes must be a non-negative integer, got ${show(raw.arenaBytes)}`);
  const program: KernelProgram = {
    name: raw.name,
    buffers: [...buffers.values()],
    kernels,
    inputs,
    outputs,
    params,
    updates,
    arenaBytes: raw.arenaBytes,
    ...(guard ? { guard } : {}),
  };
  placeTemps(program, err);
  return program;
}

/** Checks the temps' arena places, or lays out an unplanned program's temps one after another. */
function placeTemps(p: KernelProgram, err: (m: string) => never): void {
  const temps = p.buffers.filter((b) => b.role === 'temp');
  const placed = temps.filter((b) => b.offset !== undefined);
  if (placed.length === 0 && p.arenaBytes === 0) {
    for (const b of temps) {
      b.offset = p.arenaBytes;
      p.arenaBytes = alignUp(p.arenaBytes + 4 * numelOf(b.shape));
    }
    return;
  }
  if (placed.length < temps.length) err(`temp '${temps.find((b) => b.offset === undefined)!.name}' has no arena offset, though others do`);
  for (const b of temps) {
    if (b.offset! + 4 * numelOf(b.shape) > p.arenaBytes) err(`temp '${b.name}' [${b.offset}, ${b.offset! + 4 * numelOf(b.shape)}) runs past the arena's ${p.arenaBytes} bytes`);
  }
  checkAliasing(p, err);
}

/**
 * Two temps may share arena bytes only when never live at once, or when a kernel writes one in
 * place over the other as it dies: same offset, and the dying one read only at the point.
 */
function checkAliasing(p: KernelProgram, err: (m: string) => never): void {
  const live = liveIntervals(p);
  const spans = p.buffers
    .filter((b) => b.role === 'temp' && live.has(b.name) && numelOf(b.shape) > 0)
    .map((b) => ({ b, start: b.offset!, end: b.offset! + 4 * numelOf(b.shape), ...live.get(b.name)! }))
    .sort((x, y) => x.start - y.start);
  for (let i = 0; i < spans.length; i++) {
    const x = spans[i]!;
    for (let j = i + 1; j < spans.length && spans[j]!.start < x.end; j++) {
      const y = spans[j]!;
      if (x.last < y.first || y.last < x.first) continue;
      const [dying, born] = x.last === y.first ? [x, y] : [y, x];
      const k = p.kernels[born.first];
      const inPlace = dying.last === born.first && dying.start === born.start && k !== undefined && readsOnlyAtPoint(k, dying.b.name);
      if (!inPlace) {
        err(
          `temps '${x.b.name}' [${x.start}, ${x.end}) and '${y.b.name}' [${y.start}, ${y.end}) share arena bytes while both live (kernels ${x.first}..${x.last} and ${y.first}..${y.last})`,
        );
      }
    }
  }
}
