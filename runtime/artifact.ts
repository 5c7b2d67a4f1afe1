// Artifacts as the runtime reads them: manifest.json (format, version, target, the kernel program, the weights table, for 'wasm' the module file, a sha256 hash), weights.bin and module.wasm; loading validates every part and refuses with an error naming the file.

import type { BufferRole, BufferSpec, IndexExpr, Kernel, KernelDType, KernelProgram, KernelStore, ParamInit, Reduction, ValueExpr } from './kernel-ir.js';
import { liveIntervals, readsOnlyAtPoint } from './kernel-analysis.js';
import { initProblem } from './random.js';
import { fsReason } from './fs.js';
import { Sha256 } from './sha256.js';
import { KilnRuntimeError, numelOf, type Tensor } from './tensor.js';

export const ARTIFACT_FORMAT = 'kiln-artifact';
export const ARTIFACT_VERSION = 1;
/**
 * Targets this runtime executes. For 'js' the kernel program itself is the code; for 'wasm' the
 * code is a WebAssembly module, and the program stays in the manifest for its buffer layout and IO.
 */
export const ARTIFACT_TARGETS = ['js', 'wasm'] as const;
export type ArtifactTarget = (typeof ARTIFACT_TARGETS)[number];
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';
export const MODULE_FILE = 'module.wasm';
/** Arena offsets and weight offsets are multiples of this many bytes. */
export const ALIGN = 16;

export interface WeightEntry {
  name: string;
  dtype: KernelDType;
  shape: number[];
  /** Byte offset in the weights file. */
  offset: number;
  byteLength: number;
}

/** manifest.json. `program` is the KernelProgram with non-finite numbers and -0 spelled as strings ("NaN", "Infinity", "-Infinity", "-0"), which JSON cannot hold. */
export interface ArtifactManifest {
  format: typeof ARTIFACT_FORMAT;
  version: number;
  target: ArtifactTarget;
  program: unknown;
  weights: { file: string; tensors: WeightEntry[] } | null;
  /** The code file: present for 'wasm' (the module), absent for 'js'. */
  code?: { file: string; byteLength: number };
  /** sha256 (hex) of the canonical JSON of every other manifest field, followed by the weights bytes, then the code bytes. */
  hash: string;
}

interface ArtifactBase {
  program: KernelProgram;
  /** Stored parameter values (possibly none): these take precedence over the program's initializers. */
  weights: Record<string, Tensor>;
  hash: string;
}

/** A loaded, validated artifact; a 'wasm' one carries its module's bytes, checked to compile. */
export type Artifact = ArtifactBase & ({ target: 'js' } | { target: 'wasm'; wasm: Uint8Array });

/** The bytes of the files beside a manifest, as artifactFromObject takes them. */
export interface ArtifactFiles {
  weights?: Uint8Array;
  code?: Uint8Array;
}

/** The part of the WebAssembly JS API used here (the project's lib settings declare none). */
declare const WebAssembly: {
  validate: (bytes: Uint8Array) => boolean;
  Module: new (bytes: Uint8Array) => object;
};

const DTYPES: readonly KernelDType[] = ['f32', 'i32', 'bool'];
const ROLES: readonly BufferRole[] = ['input', 'param', 'output', 'temp', 'const'];
const ELEMENT_BYTES: Record<KernelDType, number> = { f32: 4, i32: 4, bool: 1 };
const SPECIAL_NUMBERS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);
export const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

function fail(source: string, message: string): never {
  throw new KilnRuntimeError('artifact', `${source}: ${message}`);
}

// ---- numbers, canonical JSON and the hash --------------------------------------------------

/** A deep copy with every number JSON cannot hold exactly (nan, ±inf, -0) spelled as a string. */
export function encodeNumbers(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Infinity) return 'Infinity';
    if (value === -Infinity) return '-Infinity';
    return Object.is(value, -0) ? '-0' : value;
  }
  if (Array.isArray(value)) return value.map(encodeNumbers);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, encodeNumbers(v)]));
  return value;
}

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The hash a manifest carries: sha256 over the canonical JSON of its other fields, then the
 * weights bytes, then the code bytes. The manifest records both lengths, so the concatenation is unambiguous.
 */
export function artifactHash(manifest: Readonly<Record<string, unknown>>, weights: Uint8Array | undefined, code?: Uint8Array): string {
  const { hash: _omitted, ...rest } = manifest;
  const h = new Sha256().update(canonicalJson(rest));
  if (weights) h.update(weights);
  if (code) h.update(code);
  return h.hex();
}

/**
 * Why `bytes` is not a WebAssembly module this engine compiles, or undefined when it is. validate
 * decodes and type-checks without generating code (WasmExecutable compiles once, later); only a
 * failure pays for a compile, to get the engine's message.
 */
export function wasmModuleProblem(bytes: Uint8Array): string | undefined {
  if (WebAssembly.validate(bytes)) return undefined;
  try {
    new WebAssembly.Module(bytes);
  } catch (e) {
    return (e as Error).message;
  }
  return 'WebAssembly.validate refused it';
}

/** Where each tensor goes in weights.bin: in the given order, each at an offset aligned to ALIGN. */
export function weightsLayout(tensors: ReadonlyArray<{ name: string; dtype: KernelDType; shape: readonly number[] }>): { entries: WeightEntry[]; byteLength: number } {
  let end = 0;
  const entries = tensors.map((t) => {
    const offset = alignUp(end);
    const byteLength = numelOf(t.shape) * ELEMENT_BYTES[t.dtype];
    end = offset + byteLength;
    return { name: t.name, dtype: t.dtype, shape: [...t.shape], offset, byteLength };
  });
  return { entries, byteLength: end };
}

/** Writes one tensor's values little-endian at `entry.offset` of `out`. */
export function writeWeight(out: Uint8Array, entry: WeightEntry, data: ArrayLike<number>): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < data.length; i++) {
    const at = entry.offset + i * ELEMENT_BYTES[entry.dtype];
    if (entry.dtype === 'f32') view.setFloat32(at, data[i]!, true);
    else if (entry.dtype === 'i32') view.setInt32(at, data[i]!, true);
    else view.setUint8(at, data[i]!);
  }
}

function readWeight(bytes: Uint8Array, e: WeightEntry, source: string): Tensor {
  const n = numelOf(e.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = e.dtype === 'f32' ? new Float32Array(n) : e.dtype === 'i32' ? new Int32Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const at = e.offset + i * ELEMENT_BYTES[e.dtype];
    data[i] = e.dtype === 'f32' ? view.getFloat32(at, true) : e.dtype === 'i32' ? view.getInt32(at, true) : view.getUint8(at);
    if (e.dtype === 'bool' && data[i]! > 1) fail(source, `tensor '${e.name}' (bool) holds ${data[i]} at element ${i}; bools are 0 or 1`);
  }
  return { dtype: e.dtype, shape: [...e.shape], data };
}

// ---- program structure ---------------------------------------------------------------------

const UNARY_ON: Record<string, readonly KernelDType[]> = {
  neg: ['f32', 'i32'], abs: ['f32', 'i32'], relu: ['f32', 'i32'], sign: ['f32', 'i32'], step: ['f32', 'i32'],
  exp: ['f32'], log: ['f32'], sqrt: ['f32'], rsqrt: ['f32'], tanh: ['f32'], sigmoid: ['f32'], sin: ['f32'], cos: ['f32'],
};
const BINARY_ON: Record<string, readonly KernelDType[]> = {
  add: ['f32', 'i32'], sub: ['f32', 'i32'], mul: ['f32', 'i32'], div: ['f32', 'i32'], pow: ['f32'], max: ['f32', 'i32'], min: ['f32', 'i32'],
  eq: DTYPES, ne: DTYPES, lt: ['f32', 'i32'], le: ['f32', 'i32'], gt: ['f32', 'i32'], ge: ['f32', 'i32'],
};
const COMPARISONS = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

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
        const fn = raw.fn as string;
        if (typeof fn !== 'string' || !Object.hasOwn(UNARY_ON, fn)) this.fail(`${where}: unknown unary fn ${show(raw.fn)}`);
        const a = this.value(raw.a, where);
        if (!UNARY_ON[fn]!.includes(a.dtype)) this.fail(`${where}: ${fn} is not defined on ${a.dtype}`);
        if (dtype !== a.dtype) this.fail(`${where}: ${fn} of ${a.dtype} says dtype ${show(raw.dtype)}`);
        return { k: 'unary', fn: fn as never, a, dtype };
      }
      case 'binary': {
        const fn = raw.fn as string;
        if (typeof fn !== 'string' || !Object.hasOwn(BINARY_ON, fn)) this.fail(`${where}: unknown binary fn ${show(raw.fn)}`);
        const [a, b] = [this.value(raw.a, where), this.value(raw.b, where)];
        if (a.dtype !== b.dtype) this.fail(`${where}: ${fn} of ${a.dtype} and ${b.dtype} (operands must share a dtype)`);
        if (!BINARY_ON[fn]!.includes(a.dtype)) this.fail(`${where}: ${fn} is not defined on ${a.dtype}`);
        const result = COMPARISONS.has(fn) ? 'bool' : a.dtype;
        if (dtype !== result) this.fail(`${where}: ${fn} of ${a.dtype} gives ${result}, but says dtype ${show(raw.dtype)}`);
        return { k: 'binary', fn: fn as never, a, b, dtype };
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

function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && Object.hasOwn(SPECIAL_NUMBERS, v) ? SPECIAL_NUMBERS[v] : undefined;
}

function fits(v: number, dtype: KernelDType): boolean {
  return dtype === 'f32' ? true : dtype === 'i32' ? Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 : v === 0 || v === 1;
}

function shapeOf(raw: unknown, what: string, err: (m: string) => never): number[] {
  if (!Array.isArray(raw) || !raw.every(isCount)) err(`${what} has a bad shape ${show(raw)} (expected a list of non-negative integers)`);
  if (!Number.isSafeInteger(numelOf(raw as number[]) * 4)) err(`${what} has a shape too large to hold: [${(raw as number[]).join(', ')}]`);
  return [...(raw as number[])];
}

function namedList<T>(raw: unknown, what: string, err: (m: string) => never, parse: (r: Record<string, unknown>, i: number) => T): T[] {
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
function parseKernel(r: Record<string, unknown>, i: number, buffers: ReadonlyMap<string, BufferSpec>, inPlace: ReadonlySet<string>, err: (m: string) => never): { kernel: Kernel; reads: Set<string> } {
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
    if (b.role !== 'temp' && b.role !== 'output' && !inPlace.has(b.name)) err(`${name} store ${j} writes ${b.role} buffer '${b.name}' (kernels write temps and outputs; parameters change through updates)`);
    if (numelOf(b.shape) !== numelOf(shape)) err(`${name} store ${j}: buffer '${b.name}' [${b.shape.join(', ')}] does not hold the kernel's shape [${shape.join(', ')}]`);
    const value = checker.value(s.value, `${name} store ${j}`);
    if (value.dtype !== b.dtype) err(`${name} store ${j}: a ${value.dtype} value into ${b.dtype} buffer '${b.name}'`);
    return { buffer: b.name, value };
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
  if (r.tile !== undefined) {
    if (!isObject(r.tile) || !Object.values(r.tile).every((v) => typeof v === 'number')) err(`${name} has a malformed tile`);
    kernel.tile = { ...(r.tile as Record<string, number>) };
  }
  return { kernel, reads };
}

/**
 * Validates a kernel program from anywhere (a manifest, a hand-built object) and returns a clean
 * copy: every buffer known and well-shaped, every kernel well-typed and reading only what is
 * given or already written, temps placed in the arena without unsafe overlap. A program whose
 * temps have no offsets at all gets each its own place. Errors start with `source`.
 */
export function parseProgram(raw: unknown, source = 'program'): KernelProgram {
  const err: (m: string) => never = (m) => fail(source, m);
  if (!isObject(raw)) err('not an object');
  if (typeof raw.name !== 'string') err(`name must be a string, got ${show(raw.name)}`);
  const buffers = new Map<string, BufferSpec>();
  for (const b of namedList(raw.buffers, 'buffers', err, (r, i) => parseBuffer(r, i, err))) {
    if (buffers.has(b.name)) err(`duplicate buffer '${b.name}'`);
    buffers.set(b.name, b);
  }
  const role = (what: string, name: unknown, roles: readonly BufferRole[]): string => {
    const b = typeof name === 'string' ? buffers.get(name) : undefined;
    if (!b) err(`${what} refers to unknown buffer ${show(name)}`);
    if (!roles.includes(b.role)) err(`${what} refers to ${b.role} buffer '${b.name}' (expected ${roles.join(' or ')})`);
    return b.name;
  };
  const unique = <T extends { name: string }>(list: T[], what: string): T[] => {
    const seen = new Set<string>();
    for (const x of list) {
      if (typeof x.name !== 'string' || x.name === '') err(`a ${what} has no name`);
      if (seen.has(x.name)) err(`duplicate ${what} '${x.name}'`);
      seen.add(x.name);
    }
    return list;
  };
  const inputs = unique(namedList(raw.inputs, 'inputs', err, (r) => ({ name: r.name as string, buffer: role(`input '${String(r.name)}'`, r.buffer, ['input']) })), 'input');
  const outputs = unique(namedList(raw.outputs, 'outputs', err, (r) => ({ name: r.name as string, buffer: role(`output '${String(r.name)}'`, r.buffer, ROLES) })), 'output');
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
  );
  for (const b of buffers.values()) {
    const by = b.role === 'input' ? inputs : b.role === 'param' ? params : undefined;
    const count = by?.filter((x) => x.buffer === b.name).length ?? 1;
    if (count === 0) err(`buffer '${b.name}' has role ${b.role}, but no program ${b.role} names it`);
    if (count > 1) err(`buffer '${b.name}' is named by ${count} program ${b.role}s`);
  }
  const paramBuffers = new Map(params.map((p) => [p.name, buffers.get(p.buffer)!]));
  const updated = new Set<string>();
  const updates = namedList(raw.updates, 'updates', err, (r) => {
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
  // An output buffer leaves the run: as a named output, or as a parameter's next value.
  const leaving = new Set([...outputs, ...updates].map((x) => x.buffer));
  for (const b of buffers.values()) if (b.role === 'output' && !leaving.has(b.name)) err(`buffer '${b.name}' has role output, but no program output or update reads it`);
  // Kernels in order: a temp or output may be read only after a kernel wrote it.
  const written = new Set<string>();
  // A parameter updated from its own buffer is written in place by exactly one kernel, which no later kernel or output reads past.
  const inPlace = new Set(updates.filter((u) => u.buffer === paramBuffers.get(u.param)!.name).map((u) => u.buffer));
  for (const o of outputs) if (inPlace.has(o.buffer)) err(`output '${o.name}' reads parameter buffer '${o.buffer}', which a kernel updates in place`);
  const kernels = namedList(raw.kernels, 'kernels', err, (r, i) => {
    const { kernel, reads } = parseKernel(r, i, buffers, inPlace, err);
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
  for (const ref of [...outputs.map((o) => ({ what: `output '${o.name}'`, buffer: o.buffer })), ...updates.map((u) => ({ what: `update of '${u.param}'`, buffer: u.buffer }))]) {
    const b = buffers.get(ref.buffer)!;
    if ((b.role === 'temp' || b.role === 'output') && !written.has(b.name)) err(`${ref.what} reads ${b.role} '${b.name}', which no kernel writes`);
  }
  if (!isCount(raw.arenaBytes)) err(`arenaBytes must be a non-negative integer, got ${show(raw.arenaBytes)}`);
  const program: KernelProgram = { name: raw.name, buffers: [...buffers.values()], kernels, inputs, outputs, params, updates, arenaBytes: raw.arenaBytes };
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
        err(`temps '${x.b.name}' [${x.start}, ${x.end}) and '${y.b.name}' [${y.start}, ${y.end}) share arena bytes while both live (kernels ${x.first}..${x.last} and ${y.first}..${y.last})`);
      }
    }
  }
}

// ---- manifests -----------------------------------------------------------------------------

interface Sources {
  manifest: string;
  /** How a file beside the manifest is named in messages. */
  file: (name: string) => string;
}

/** The checks that come before anything else is read: format, version, target. */
function checkHeader(raw: unknown, src: Sources): asserts raw is Record<string, unknown> {
  const at = src.manifest;
  if (!isObject(raw)) fail(at, 'not a JSON object');
  if (raw.format !== ARTIFACT_FORMAT) fail(at, `not a Kiln artifact (format is ${show(raw.format)}, expected "${ARTIFACT_FORMAT}")`);
  if (raw.version !== ARTIFACT_VERSION) fail(at, `unsupported artifact version ${show(raw.version)} (this runtime reads ${ARTIFACT_VERSION})`);
  if (!ARTIFACT_TARGETS.includes(raw.target as ArtifactTarget)) fail(at, `unknown target ${show(raw.target)} (this runtime runs: ${ARTIFACT_TARGETS.join(', ')})`);
}

/** A bare file name: an artifact may not point outside its own directory. */
function plainFileName(raw: unknown, what: string, at: string): string {
  if (typeof raw !== 'string' || raw === '' || /[/\\]/.test(raw) || raw === '.' || raw === '..') fail(at, `${what} must be a plain file name, got ${show(raw)}`);
  return raw;
}

function parseWeightsTable(raw: unknown, at: string): { file: string; entries: WeightEntry[]; byteLength: number } | null {
  if (raw === null) return null;
  if (!isObject(raw)) fail(at, `weights must be null or an object, got ${show(raw)}`);
  const file = plainFileName(raw.file, 'weights.file', at);
  const err: (m: string) => never = (m) => fail(at, `weights: ${m}`);
  const entries = namedList(raw.tensors, 'tensors', err, (r, i): WeightEntry => {
    if (typeof r.name !== 'string' || r.name === '') err(`tensor #${i} has no name`);
    const what = `tensor '${r.name}'`;
    if (!DTYPES.includes(r.dtype as KernelDType)) err(`${what} has unknown dtype ${show(r.dtype)}`);
    const shape = shapeOf(r.shape, what, err);
    if (!isCount(r.offset) || r.offset % ALIGN !== 0) err(`${what} has a bad offset ${show(r.offset)} (expected a non-negative multiple of ${ALIGN})`);
    const need = numelOf(shape) * ELEMENT_BYTES[r.dtype as KernelDType];
    if (r.byteLength !== need) err(`${what} has byteLength ${show(r.byteLength)}, but ${String(r.dtype)}[${shape.join(', ')}] takes ${need} bytes`);
    return { name: r.name, dtype: r.dtype as KernelDType, shape, offset: r.offset, byteLength: need };
  });
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) err(`duplicate tensor '${e.name}'`);
    names.add(e.name);
  }
  const sorted = entries.filter((e) => e.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (b.offset < a.offset + a.byteLength) err(`tensors '${a.name}' and '${b.name}' overlap`);
  }
  const byteLength = sorted.reduce((end, e) => Math.max(end, e.offset + e.byteLength), 0);
  return { file, entries, byteLength };
}

/** The code entry a target requires: a module file for 'wasm', none for 'js' (its program is the code). */
function parseCodeEntry(raw: Record<string, unknown>, at: string): { file: string; byteLength: number } | null {
  if (raw.target === 'js') {
    if (raw.code !== undefined) fail(at, `a js artifact carries no code file, but the manifest lists ${show(raw.code)}`);
    return null;
  }
  if (!isObject(raw.code)) fail(at, `a ${String(raw.target)} artifact needs code: { file, byteLength }, got ${show(raw.code)}`);
  const file = plainFileName(raw.code.file, 'code.file', at);
  if (!isCount(raw.code.byteLength) || raw.code.byteLength === 0) fail(at, `code.byteLength must be a positive integer, got ${show(raw.code.byteLength)}`);
  return { file, byteLength: raw.code.byteLength };
}

/** Checks a file's bytes against the length the manifest gives. */
function checkLength(bytes: Uint8Array | undefined, expected: number, where: string, holds: { listed: string; contents: string }): void {
  if (!bytes) fail(where, `missing (the manifest lists ${holds.listed})`);
  if (bytes.length < expected) fail(where, `truncated (expected ${expected} bytes, got ${bytes.length})`);
  if (bytes.length > expected) fail(where, `${bytes.length - expected} unexpected bytes after the ${holds.contents} (expected ${expected} bytes)`);
}

function checkBody(raw: Record<string, unknown>, files: ArtifactFiles, src: Sources): Artifact {
  const at = src.manifest;
  const table = parseWeightsTable(raw.weights, at);
  const code = parseCodeEntry(raw, at);
  const hash = raw.hash;
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) fail(at, `hash must be 64 lowercase hex digits, got ${show(hash)}`);
  if (table) checkLength(files.weights, table.byteLength, src.file(table.file), { listed: `${table.entries.length} tensors in it`, contents: 'tensor data' });
  if (code) checkLength(files.code, code.byteLength, src.file(code.file), { listed: `a module of ${code.byteLength} bytes`, contents: 'module' });
  const bytes = table ? files.weights : undefined;
  const module = code ? files.code : undefined;
  if (artifactHash(raw, bytes, module) !== hash) {
    const changed = [table?.file, code?.file].filter((f) => f !== undefined);
    fail(at, `hash mismatch: the manifest${changed.length ? ` or ${changed.join(' or ')}` : ''} changed after the artifact was written`);
  }
  // After the hash: a module that fails here was written broken, not damaged on disk.
  const problem = module && wasmModuleProblem(module);
  if (problem) fail(src.file(code!.file), `not a WebAssembly module this runtime can compile (${problem})`);
  const program = parseProgram(raw.program, `${at}: program`);
  const weights: Record<string, Tensor> = {};
  for (const e of table?.entries ?? []) {
    const p = program.params.find((x) => x.name === e.name);
    const b = p && program.buffers.find((x) => x.name === p.buffer)!;
    if (!b) fail(at, `weights: tensor '${e.name}' is not a parameter of the program`);
    if (b.dtype !== e.dtype || b.shape.join() !== e.shape.join()) {
      fail(at, `weights: tensor '${e.name}' is ${e.dtype}[${e.shape.join(', ')}], but the parameter is ${b.dtype}[${b.shape.join(', ')}]`);
    }
    Object.defineProperty(weights, e.name, { value: readWeight(bytes!, e, src.file(table!.file)), enumerable: true, writable: true, configurable: true });
  }
  return module ? { target: 'wasm', program, weights, hash, wasm: module } : { target: 'js', program, weights, hash };
}

/**
 * Validates an in-memory artifact: a manifest object (as parsed from manifest.json) and the bytes
 * of the files beside it (a bare Uint8Array is the weights file, as before 'wasm' existed).
 * `dir`, when given, prefixes the file names in error messages.
 */
export function artifactFromObject(manifest: unknown, files?: Uint8Array | ArtifactFiles, dir?: string): Artifact {
  const src = sourcesFor(dir);
  checkHeader(manifest, src);
  return checkBody(manifest, files instanceof Uint8Array ? { weights: files } : (files ?? {}), src);
}

function sourcesFor(dir: string | undefined, join = (a: string, b: string): string => `${a.replace(/[\\/]+$/, '')}/${b}`): Sources {
  return dir === undefined ? { manifest: MANIFEST_FILE, file: (f) => f } : { manifest: join(dir, MANIFEST_FILE), file: (f) => join(dir, f) };
}

/** Reads and validates the artifact in directory `dir` (Node); every refusal names the file at fault. */
export async function loadArtifact(dir: string): Promise<Artifact> {
  // Node's modules load only here, so the rest of runtime/ runs where there is no file system.
  const [{ readFile }, { join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const src = sourcesFor(dir, join);
  let text: string;
  try {
    text = await readFile(src.manifest, 'utf8');
  } catch (e) {
    fail(src.manifest, `cannot read the manifest (${fsReason(e)})`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (e) {
    fail(src.manifest, `not JSON (${(e as Error).message})`);
  }
  checkHeader(manifest, src);
  const read = async (file: string, what: string): Promise<Uint8Array> => {
    try {
      return await readFile(src.file(file));
    } catch (e) {
      return fail(src.file(file), `cannot read the ${what} (${fsReason(e)})`);
    }
  };
  const table = parseWeightsTable(manifest.weights, src.manifest);
  const code = parseCodeEntry(manifest, src.manifest);
  const files: ArtifactFiles = {};
  if (table) files.weights = await read(table.file, 'weights');
  if (code) files.code = await read(code.file, 'module');
  return checkBody(manifest, files, src);
}
