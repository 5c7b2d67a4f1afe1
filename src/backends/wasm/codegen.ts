// KernelProgram → one WebAssembly module: each kernel becomes a function over its iteration space
// (and reduction axes) with the interpreter's semantics, and an exported run() calls them in
// schedule order. A kernel takes the first path that fits: the tiled matmul (matmul.ts), four
// points at a time (simd.ts: elementwise, or a reduction across points), or scalar loops, whose
// folds may still run four steps of a contiguous last axis at a time.
//
// Memory is runtime/wasm.ts's layout, its offsets baked into every load and store, then the
// threads' control block and each thread's scratch. f32 ops are Wasm's f32 ops (correctly
// rounded, so equal to Math.fround of each double op); exp, log, tanh and sigmoid are the
// module's own polynomials (transcendental.ts), sin, cos and pow host imports in f64 rounded to
// f32; random streams are mix32 in i32 ops (log and cos of the normal's Box–Muller from the
// host), bit-identical to runtime/random.ts.

import { dependsOnData, forEachLoad, isPointIndex, linearize, type LinearIndex } from '../../../runtime/kernel-analysis.js';
import type { IndexExpr, Kernel, KernelDType, KernelProgram, Reduction, UnaryFn, ValueExpr } from '../../../runtime/kernel-ir.js';
import { f32Below, mix32 } from '../../../runtime/random.js';
import { alignUp } from '../../../runtime/artifact.js';
import { numelOf } from '../../../runtime/tensor.js';
import { CONTROL_BYTES, MAX_THREADS, THREADS_SECTION, THREAD_CONTROL, wasmLayout, wasmPages, type ThreadedModuleInfo, type WasmLayout } from '../../../runtime/wasm.js';
import { fail } from '../../ir/errors.js';
import { ModuleBuilder, type Expr, type FloatBinary, type I32Binary, type ValType } from './binaryen.js';
import { matmulPlan, tiledMatmul, type TileHost } from './matmul.js';
import { LANES, VectorGen, laneFold, vectorizable, type VectorHost } from './simd.js';
import { TRANSCENDENTALS, addTranscendentals, inlineTranscendental, scalarFn, type Transcendental } from './transcendental.js';

const GOLDEN = 0x9e3779b9;
/** 64 KiB pages in the largest 32-bit WebAssembly memory (4 GiB). */
const MAX_PAGES = 65536;
/** Barrier checks before a waiting thread sleeps instead of spinning. */
const SPINS_BEFORE_SLEEP = 1 << 18;
/** Points (times reduction steps) below which a kernel is not worth sharing among threads. */
const MIN_SPLIT_WORK = 16384;
const COUNTER_STEP = 0x85ebca6b;
const TWO_TO_MINUS_24 = 2 ** -24;
const I32_MIN = -2147483648;

/** Host functions (module `host`, supplied by runtime/wasm.ts): f64 → f64 (log and cos also serve the normal distribution's Box–Muller in f64). */
const HOST_F64 = ['log', 'sin', 'cos'] as const;

/** exp, log, tanh and sigmoid on f32 are the module's own polynomial functions (transcendental.ts). */
const isTranscendental = (fn: string): fn is Transcendental => (TRANSCENDENTALS as readonly string[]).includes(fn);

const wasmType = (d: KernelDType): 'i32' | 'f32' => (d === 'f32' ? 'f32' : 'i32');

/** A thread's share of a loop: [lo, hi), and whether it is the last thread. */
export interface Share {
  lo(): Expr;
  hi(): Expr;
  last(): Expr;
  tid(): Expr;
}

interface Typed {
  e: Expr;
  t: 'i32' | 'f32';
}

/** One kernel's function under construction: its locals, its loop variables, its buffers. */
class KernelGen {
  private readonly locals: ValType[] = [];
  /** Local of each loop variable: output axes, then reduction axes. */
  private readonly vars: number[];
  private readonly point: number;
  private readonly sizes: number[];
  /** The local holding the reduction's result at the current point. */
  private acc: { local: number; t: 'i32' | 'f32' } | undefined;
  private labels = 0;

  /** Whether this kernel's iterations are shared among the threads (otherwise thread 0 runs it all). */
  private readonly split: boolean;
  /** Whether the fold at each point runs four steps of its last axis at a time (rowFold). */
  private rowLanes = false;

  constructor(
    private readonly m: ModuleBuilder,
    private readonly p: KernelProgram,
    private readonly layout: WasmLayout,
    private readonly k: Kernel,
    private readonly kernelIndex: number,
    /** Threads running the module; above 1 the function takes the thread's index as parameter 0. */
    private readonly threads = 1,
    /** Whether the threads share this kernel's iterations (otherwise thread 0 runs it all). */
    split = false,
  ) {
    this.sizes = [...k.shape, ...(k.reduce?.shape ?? [])];
    this.vars = this.sizes.map(() => this.local('i32'));
    this.point = this.local('i32');
    this.split = threads > 1 && split;
  }

  get params(): ValType[] {
    return this.threads > 1 ? ['i32'] : [];
  }

  private local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }

  /** This thread's share [lo, hi) of `size` iterations, cut at multiples of `align`; undefined when the kernel is not split. */
  private share(size: number, align = 1): Share | undefined {
    if (!this.split) return undefined;
    const m = this.m;
    const T = this.threads;
    const tid = (): Expr => m.get(0, 'i32');
    const at = (t: Expr): Expr => {
      const e = m.i32('div_u', m.i32('mul', t, m.i32Const(size)), m.i32Const(T));
      return align > 1 ? m.i32('and', e, m.i32Const(-align)) : e;
    };
    return {
      lo: () => at(tid()),
      hi: () => m.select(m.i32('eq', tid(), m.i32Const(T - 1)), m.i32Const(size), at(m.i32('add', tid(), m.i32Const(1)))),
      last: () => m.i32('eq', tid(), m.i32Const(T - 1)),
      tid,
    };
  }

  private label(what: string): string {
    return `${what}${this.labels++}`;
  }

  /** `use(get)` with `value` computed once into a fresh local. */
  private let(t: ValType, value: Expr, use: (get: () => Expr) => Expr, result: ValType | 'none' = t): Expr {
    const l = this.local(t);
    return this.m.block([this.m.set(l, value), use(() => this.m.get(l, t))], result);
  }

  private error(message: string): never {
    return fail('usage', `wasm backend: kernel '${this.k.name}': ${message}`);
  }

  // ---- index expressions -----------------------------------------------------------------

  linear(l: LinearIndex): Expr {
    const m = this.m;
    let e: Expr | undefined;
    for (const { axis, coeff } of l.terms) {
      const v = m.get(this.vars[axis]!, 'i32');
      const term = coeff === 1 ? v : m.i32('mul', v, m.i32Const(coeff));
      e = e === undefined ? term : m.i32('add', e, term);
    }
    if (e === undefined) return m.i32Const(l.constant);
    return l.constant === 0 ? e : m.i32('add', e, m.i32Const(l.constant));
  }

  index(e: IndexExpr): Expr {
    const l = linearize(e, this.sizes);
    if (l) return this.linear(l);
    const m = this.m;
    switch (e.k) {
      case 'add':
        return m.i32('add', this.index(e.a), this.index(e.b));
      case 'mul':
        return m.i32('mul', this.index(e.a), m.i32Const(e.by));
      case 'div': // floor division: the truncated quotient, one less when the remainder is negative
        return this.let('i32', this.index(e.a), (a) => m.i32('sub', m.i32('div_s', a(), m.i32Const(e.by)), m.i32('lt_s', m.i32('rem_s', a(), m.i32Const(e.by)), m.i32Const(0))));
      case 'mod':
        return this.let('i32', m.i32('rem_s', this.index(e.a), m.i32Const(e.by)), (r) => m.select(m.i32('lt_s', r(), m.i32Const(0)), m.i32('add', r(), m.i32Const(e.by)), r()));
      case 'value': {
        const v = this.coerce(this.value(e.v), 'i32');
        return this.let('i32', v, (i) => m.block([m.if(m.i32('ge_u', i(), m.i32Const(e.size)), m.call('gather_range', [i(), m.i32Const(e.size)], 'none')), i()], 'i32'));
      }
      default:
        return m.i32Const(0); // var and const always linearize
    }
  }

  // ---- value expressions -----------------------------------------------------------------

  private coerce(v: Typed, t: 'i32' | 'f32'): Expr {
    if (v.t === t) return v.e;
    return t === 'f32' ? this.m.convert('f32_from_i32', v.e) : this.m.convert('i32_from_f32_sat', v.e);
  }

  /** f64 host function of an f32, rounded back to f32. */
  private host(fn: string, args: Expr[]): Expr {
    const m = this.m;
    return m.convert('f32_from_f64', m.call(fn, args.map((a) => m.convert('f64_from_f32', a)), 'f64'));
  }

  private load(e: Extract<ValueExpr, { k: 'load' }>): Typed {
    const m = this.m;
    const spec = this.p.buffers.find((b) => b.name === e.buffer) ?? this.error(`loads unknown buffer '${e.buffer}'`);
    const bytes = this.layout.elementBytes.get(spec.name)!;
    const offset = this.layout.offsets.get(spec.name)!;
    const t = wasmType(spec.dtype);
    const at = (i: Expr): Expr => m.load(t, bytes, offset, bytes === 4 ? m.i32('shl', i, m.i32Const(2)) : i);
    if (isPointIndex(e.index, this.k.shape, this.sizes)) return { e: at(m.get(this.point, 'i32')), t };
    const index = this.index(e.index);
    if (!dependsOnData(e.index)) return { e: at(index), t };
    // An index read from data is checked against the whole buffer, as the interpreter does.
    const n = numelOf(spec.shape);
    const which = this.p.buffers.indexOf(spec);
    const checked = this.let('i32', index, (i) =>
      m.block([m.if(m.i32('ge_u', i(), m.i32Const(n)), m.call('load_range', [m.i32Const(this.kernelIndex), m.i32Const(which), i()], 'none')), at(i())], t),
    t);
    return { e: checked, t };
  }

  value(e: ValueExpr): Typed {
    const m = this.m;
    switch (e.k) {
      case 'load':
        return this.load(e);
      case 'const':
        if (e.dtype === 'f32') return { e: m.f32Const(Math.fround(e.value)), t: 'f32' };
        return { e: m.i32Const(e.dtype === 'i32' ? e.value | 0 : e.value !== 0 ? 1 : 0), t: 'i32' };
      case 'unary':
        return e.dtype === 'f32' ? { e: this.unaryF32(e.fn, this.coerce(this.value(e.a), 'f32')), t: 'f32' } : { e: this.unaryI32(e.fn, this.coerce(this.value(e.a), 'i32')), t: 'i32' };
      case 'binary':
        return this.binary(e);
      case 'where': {
        // Only the chosen branch runs: a guarded load (pad, a masked gather) may be out of range.
        const c = this.value(e.cond);
        const cond = c.t === 'f32' ? m.float('f32', 'ne', c.e, m.f32Const(0)) : c.e;
        const t = wasmType(e.dtype);
        return { e: m.if(cond, this.coerce(this.value(e.a), t), this.coerce(this.value(e.b), t)), t };
      }
      case 'cast':
        return this.cast(this.value(e.a), e.a.dtype, e.dtype);
      case 'index':
        return { e: this.index(e.index), t: 'i32' };
      case 'random':
        return { e: this.random(e), t: 'f32' };
      case 'acc':
        if (!this.acc) this.error('reads the reduction result but has no reduction');
        return { e: this.coerce({ e: m.get(this.acc.local, this.acc.t), t: this.acc.t }, wasmType(e.dtype)), t: wasmType(e.dtype) };
    }
  }

  private unaryF32(fn: string, a: Expr): Expr {
    const m = this.m;
    const zero = (): Expr => m.f32Const(0);
    switch (fn) {
      case 'neg':
      case 'abs':
      case 'sqrt':
        return m.floatUnary('f32', fn, a);
      case 'rsqrt': // 1 / sqrt in double, rounded once, as the interpreter computes it
        return m.convert('f32_from_f64', m.float('f64', 'div', m.f64Const(1), m.floatUnary('f64', 'sqrt', m.convert('f64_from_f32', a))));
      case 'relu':
        return this.let('f32', a, (x) => m.select(m.float('f32', 'gt', x(), zero()), x(), zero()));
      case 'sign': // nan and ±0 stay as they are
        return this.let('f32', a, (x) => m.select(m.float('f32', 'gt', x(), zero()), m.f32Const(1), m.select(m.float('f32', 'lt', x(), zero()), m.f32Const(-1), x())));
      case 'step':
        return m.select(m.float('f32', 'gt', a, zero()), m.f32Const(1), zero());
      default:
        return isTranscendental(fn) ? m.call(scalarFn(fn), [a], 'f32') : this.host(fn, [a]);
    }
  }

  private unaryI32(fn: string, a: Expr): Expr {
    const m = this.m;
    const zero = (): Expr => m.i32Const(0);
    switch (fn) {
      case 'neg':
        return m.i32('sub', zero(), a);
      case 'abs': // wraps: |-2^31| is -2^31
        return this.let('i32', a, (x) => m.select(m.i32('lt_s', x(), zero()), m.i32('sub', zero(), x()), x()));
      case 'relu':
        return this.let('i32', a, (x) => m.select(m.i32('gt_s', x(), zero()), x(), zero()));
      case 'sign':
        return this.let('i32', a, (x) => m.select(m.i32('gt_s', x(), zero()), m.i32Const(1), m.select(m.i32('lt_s', x(), zero()), m.i32Const(-1), zero())));
      case 'step':
        return m.i32('gt_s', a, zero());
      default:
        return this.error(`${fn} is not defined on i32`);
    }
  }

  private binary(e: Extract<ValueExpr, { k: 'binary' }>): Typed {
    const m = this.m;
    const t = wasmType(e.a.dtype);
    const [a, b] = [this.coerce(this.value(e.a), t), this.coerce(this.value(e.b), t)];
    const compare: Partial<Record<string, [FloatBinary, I32Binary]>> = { eq: ['eq', 'eq'], ne: ['ne', 'ne'], lt: ['lt', 'lt_s'], le: ['le', 'le_s'], gt: ['gt', 'gt_s'], ge: ['ge', 'ge_s'] };
    const cmp = compare[e.fn];
    if (cmp) return { e: t === 'f32' ? m.float('f32', cmp[0], a, b) : m.i32(cmp[1], a, b), t: 'i32' };
    if (t === 'f32') {
      switch (e.fn) {
        case 'pow':
          return { e: m.convert('f32_from_f64', m.call('pow', [m.convert('f64_from_f32', a), m.convert('f64_from_f32', b)], 'f64')), t };
        case 'add':
        case 'sub':
        case 'mul':
        case 'div':
        case 'max': // nan propagates, and max(-0, 0) is 0, as Math.max
        case 'min':
          return { e: m.float('f32', e.fn, a, b), t };
        default:
          return this.error(`${e.fn} is not defined on f32`);
      }
    }
    switch (e.fn) {
      case 'add':
      case 'sub':
      case 'mul':
        return { e: m.i32(e.fn, a, b), t };
      case 'div': {
        // Truncates; x / 0 is 0 and -2^31 / -1 wraps to -2^31 instead of trapping.
        const [x, y] = [this.local('i32'), this.local('i32')];
        const [gx, gy] = [() => m.get(x, 'i32'), () => m.get(y, 'i32')];
        const body = m.if(
          m.i32Unary('eqz', gy()),
          m.i32Const(0),
          m.if(m.i32('eq', gy(), m.i32Const(-1)), m.i32('sub', m.i32Const(0), gx()), m.i32('div_s', gx(), gy())),
        );
        return { e: m.block([m.set(x, a), m.set(y, b), body], 'i32'), t };
      }
      case 'max':
      case 'min': {
        const [x, y] = [this.local('i32'), this.local('i32')];
        const [gx, gy] = [() => m.get(x, 'i32'), () => m.get(y, 'i32')];
        const pick = m.select(m.i32(e.fn === 'max' ? 'gt_s' : 'lt_s', gx(), gy()), gx(), gy());
        return { e: m.block([m.set(x, a), m.set(y, b), pick], 'i32'), t };
      }
      default:
        return this.error(`${e.fn} is not defined on ${e.a.dtype}`);
    }
  }

  private cast(v: Typed, from: KernelDType, to: KernelDType): Typed {
    const m = this.m;
    if (to === 'bool') {
      if (from === 'bool') return v;
      return { e: v.t === 'f32' ? m.float('f32', 'ne', v.e, m.f32Const(0)) : m.i32('ne', v.e, m.i32Const(0)), t: 'i32' }; // nan counts as true
    }
    // f32 → i32 truncates and saturates with nan → 0: exactly trunc_sat.
    return { e: this.coerce(v, wasmType(to)), t: wasmType(to) };
  }

  // ---- random streams --------------------------------------------------------------------

  /** The 24-bit fraction of randomBits(stream, counter), as f64 in [0, 1) plus `plusOne` ulps of 2^-24. */
  private fraction(base: Expr, counter: Expr, plusOne: boolean): Expr {
    const m = this.m;
    const bits = m.call('mix32', [m.i32('add', base, m.i32('mul', counter, m.i32Const(COUNTER_STEP)))], 'i32');
    let top = m.i32('shr_u', bits, m.i32Const(8));
    if (plusOne) top = m.i32('add', top, m.i32Const(1));
    return m.float('f64', 'mul', m.convert('f64_from_u32', top), m.f64Const(TWO_TO_MINUS_24));
  }

  private random(e: Extract<ValueExpr, { k: 'random' }>): Expr {
    const m = this.m;
    // The stream's base mix32(stream ^ GOLDEN): a constant unless a key selects the stream.
    const base = e.key
      ? m.call('mix32', [m.i32('xor', m.call('mix32', [m.i32('xor', m.i32Const(e.seed), m.call('mix32', [this.coerce(this.value(e.key), 'i32')], 'i32'))], 'i32'), m.i32Const(GOLDEN))], 'i32')
      : m.i32Const(mix32(e.seed ^ GOLDEN));
    const counter = this.index(e.counter);
    const { a, b } = e;
    if (e.dist === 'uniform') {
      return this.let('i32', base, (bs) => {
        const v = m.convert('f32_from_f64', m.float('f64', 'add', m.f64Const(a), m.float('f64', 'mul', m.f64Const(b - a), this.fraction(bs(), counter, false))));
        if (!(a < b)) return v;
        // f32 rounding must not land on the upper bound.
        return this.let('f32', v, (x) => m.select(m.float('f64', 'ge', m.convert('f64_from_f32', x()), m.f64Const(b)), m.f32Const(f32Below(b)), x()));
      }, 'f32');
    }
    // Box–Muller over fractions 2c (shifted into (0, 1]) and 2c + 1.
    const [bl, cl] = [this.local('i32'), this.local('i32')];
    const [bs, c2] = [() => m.get(bl, 'i32'), () => m.i32('mul', m.get(cl, 'i32'), m.i32Const(2))];
    const radius = this.fraction(bs(), c2(), true);
    const angle = this.fraction(bs(), m.i32('add', c2(), m.i32Const(1)), false);
    const normal = m.float(
      'f64',
      'mul',
      m.floatUnary('f64', 'sqrt', m.float('f64', 'mul', m.f64Const(-2), m.call('log', [radius], 'f64'))),
      m.call('cos', [m.float('f64', 'mul', m.f64Const(2 * Math.PI), angle)], 'f64'),
    );
    const v = m.convert('f32_from_f64', m.float('f64', 'add', m.f64Const(a), m.float('f64', 'mul', m.f64Const(b), normal)));
    return m.block([m.set(bl, base), m.set(cl, counter), v], 'f32');
  }

  // ---- loops -----------------------------------------------------------------------------

  /** Loops over `extents` (all ≥ 1) with the given variable locals, last fastest, around `body`; the first axis longer than 1 runs over `share` when given. */
  private nest(axes: number[], extents: number[], body: Expr[], breakLabel?: string, share?: Share): Expr {
    const m = this.m;
    const first = extents.findIndex((n) => n > 1);
    let inner = m.block(body);
    for (let j = axes.length - 1; j >= 0; j--) {
      const n = extents[j]!;
      if (n === 1) continue; // the variable stays 0
      const v = this.vars[axes[j]!]!;
      const label = this.label('axis');
      const next = m.set(v, m.i32('add', m.get(v, 'i32'), m.i32Const(1)));
      const [lo, hi] = share && j === first ? [share.lo(), share.hi] : [m.i32Const(0), () => m.i32Const(n)];
      const loop = m.loop(label, m.block([inner, next, m.br(label, m.i32('lt_s', m.get(v, 'i32'), hi()))]));
      inner = m.block([m.set(v, lo), share && j === first ? m.if(m.i32('lt_s', m.get(v, 'i32'), hi()), loop) : loop]);
    }
    return breakLabel ? m.block([inner], 'none', breakLabel) : inner;
  }

  /** The share of the first output axis longer than 1, and the point offset where it starts. */
  private outerShare(extents: readonly number[]): { share?: Share; start: Expr } {
    const first = extents.findIndex((n) => n > 1);
    const share = first >= 0 ? this.share(extents[first]!) : undefined;
    const stride = numelOf(this.k.shape.slice(first + 1));
    return { share, start: share ? this.m.i32('mul', share.lo(), this.m.i32Const(stride)) : this.m.i32Const(0) };
  }

  /**
   * The reduction at the current point with four steps of its last axis at a time (row mode),
   * left in a local (this.acc). Sums add the lanes' f64 totals and the scalar rest at the end, so
   * they may differ from the scalar order in the last bit of the f64 sum; a max keeps a nan.
   */
  private rowFold(r: Reduction, rank: number): Expr {
    const m = this.m;
    const vt = wasmType(r.value.dtype);
    const lanes = new VectorGen(this.vectorHost(), this.p, this.layout, this.k, 'row');
    const lastAxis = rank + r.shape.length - 1;
    const L = r.shape[r.shape.length - 1]!;
    const j = this.vars[lastAxis]!;
    const [x, acc] = [this.local('v128'), this.local('v128')];
    const [v, getJ] = [(l: number): Expr => m.get(l, 'v128'), (): Expr => m.get(j, 'i32')];
    const bump = (by: number): Expr => m.set(j, m.i32('add', getJ(), m.i32Const(by)));
    const rowLoop = (vectorStep: Expr[], scalarStep: Expr[]): Expr => {
      const [four, one] = [this.label('lanes'), this.label('rest')];
      const row = [m.set(j, m.i32Const(0)), m.loop(four, m.block([m.set(x, lanes.lanes(r.value, vt)), ...vectorStep, bump(LANES), m.br(four, m.i32('le_s', getJ(), m.i32Const(L - LANES)))]))];
      if (L % LANES) row.push(m.loop(one, m.block([...scalarStep, bump(1), m.br(one, m.i32('lt_s', getJ(), m.i32Const(L)))])));
      return this.nest(r.shape.slice(0, -1).map((_, a) => rank + a), r.shape.slice(0, -1), row);
    };
    const empty = numelOf(r.shape) === 0;
    const fold = laneFold(m, r.op as 'sum' | 'max', vt === 'f32', acc, () => this.local('v128'));
    if (fold.hi !== undefined) {
      // f32 sum: the lanes' f64 totals and the scalar rest's, added at the end.
      const [hi, total, out] = [fold.hi, this.local('f64'), this.local('f32')];
      this.acc = { local: out, t: 'f32' };
      const loop = rowLoop(fold.step(x), [m.set(total, m.float('f64', 'add', m.get(total, 'f64'), m.convert('f64_from_f32', this.coerce(this.value(r.value), 'f32'))))]);
      const lane = (l: number, i: number): Expr => m.f64x2Lane(v(l), i);
      const sum = m.float('f64', 'add', m.float('f64', 'add', m.float('f64', 'add', lane(acc, 0), lane(acc, 1)), m.float('f64', 'add', lane(hi, 0), lane(hi, 1))), m.get(total, 'f64'));
      return m.block([...fold.init, m.set(total, m.f64Const(0)), ...(empty ? [] : [loop]), m.set(out, m.convert('f32_from_f64', sum))]);
    }
    const best = this.local(vt);
    this.acc = { local: best, t: vt };
    const gb = (): Expr => m.get(best, vt);
    // Folds scalar `y` into best with the scalar path's rule (a nan, once seen, stays).
    const take = (y: () => Expr): Expr => {
      if (r.op === 'sum') return m.set(best, m.i32('add', gb(), y()));
      if (vt === 'i32') return m.if(m.i32('gt_s', y(), gb()), m.set(best, y()));
      return m.if(m.i32('and', m.float('f32', 'eq', gb(), gb()), m.i32Unary('eqz', m.float('f32', 'le', y(), gb()))), m.set(best, y()));
    };
    const y = this.local(vt);
    const scalarStep = [m.set(y, this.coerce(this.value(r.value), vt)), take(() => m.get(y, vt))];
    const laneOf = (i: number): Expr => (vt === 'f32' ? m.f32x4Lane(v(acc), i) : m.i32x4Lane(v(acc), i));
    const scalarInit = r.op === 'sum' ? m.i32Const(0) : vt === 'f32' ? m.f32Const(-Infinity) : m.i32Const(I32_MIN);
    // The scalar rest first, then the lanes in order.
    return m.block([...fold.init, m.set(best, scalarInit), ...(empty ? [] : [rowLoop(fold.step(x), scalarStep)]), ...[0, 1, 2, 3].map((i) => take(() => laneOf(i)))]);
  }

  /** The reduction at the current point, left in a local (this.acc). */
  private fold(r: Reduction, rank: number): Expr {
    if (this.rowLanes) return this.rowFold(r, rank);
    const m = this.m;
    const vt = wasmType(r.value.dtype);
    const axes = r.shape.map((_, j) => rank + j);
    const empty = numelOf(r.shape) === 0;
    const valueOf = (): Expr => this.coerce(this.value(r.value), vt);
    switch (r.op) {
      case 'sum': {
        if (vt === 'i32') {
          const total = this.local('i32');
          this.acc = { local: total, t: 'i32' };
          const step = m.set(total, m.i32('add', m.get(total, 'i32'), valueOf()));
          return m.block([m.set(total, m.i32Const(0)), empty ? m.block([]) : this.nest(axes, r.shape, [step])]);
        }
        // A double accumulator, as reduce_sum has; rounded to f32 once at the end.
        const [total, out] = [this.local('f64'), this.local('f32')];
        this.acc = { local: out, t: 'f32' };
        const step = m.set(total, m.float('f64', 'add', m.get(total, 'f64'), m.convert('f64_from_f32', valueOf())));
        return m.block([m.set(total, m.f64Const(0)), empty ? m.block([]) : this.nest(axes, r.shape, [step]), m.set(out, m.convert('f32_from_f64', m.get(total, 'f64')))]);
      }
      case 'max': {
        const [best, x] = [this.local(vt), this.local(vt)];
        const [gb, gx] = [() => m.get(best, vt), () => m.get(x, vt)];
        this.acc = { local: best, t: vt };
        // A nan, once seen, stays: replace while best is not nan and x is not ≤ best.
        const better = vt === 'f32' ? m.i32('and', m.float('f32', 'eq', gb(), gb()), m.i32Unary('eqz', m.float('f32', 'le', gx(), gb()))) : m.i32('gt_s', gx(), gb());
        const step = m.block([m.set(x, valueOf()), m.if(better, m.set(best, gx()))]);
        const init = vt === 'f32' ? m.f32Const(-Infinity) : m.i32Const(I32_MIN);
        return m.block([m.set(best, init), empty ? m.block([]) : this.nest(axes, r.shape, [step])]);
      }
      case 'argmax': {
        const [best, i, bestValue, x] = [this.local('i32'), this.local('i32'), this.local(vt), this.local(vt)];
        const [gi, gx] = [() => m.get(i, 'i32'), () => m.get(x, vt)];
        this.acc = { local: best, t: 'i32' };
        const done = this.label('argmax');
        const isNan = vt === 'f32' ? m.float('f32', 'ne', gx(), gx()) : m.i32Const(0);
        const greater = vt === 'f32' ? m.float('f32', 'gt', gx(), m.get(bestValue, vt)) : m.i32('gt_s', gx(), m.get(bestValue, vt));
        // The first index of the largest; the first nan counts as the largest and ends the search.
        const take = m.i32('or', m.i32('or', m.i32Unary('eqz', gi()), greater), isNan);
        const step = m.block([
          m.set(x, valueOf()),
          m.if(take, m.block([m.set(best, gi()), m.set(bestValue, gx()), m.br(done, vt === 'f32' ? m.float('f32', 'ne', gx(), gx()) : m.i32Const(0))])),
          m.set(i, m.i32('add', gi(), m.i32Const(1))),
        ]);
        return m.block([m.set(best, m.i32Const(0)), m.set(i, m.i32Const(0)), empty ? m.block([]) : this.nest(axes, r.shape, [step], done)]);
      }
    }
  }

  /** The stores of the current point (this.point), with every value computed before any store. */
  private storeExprs(): Expr[] {
    const m = this.m;
    const stores = this.k.stores.map((s) => {
      const spec = this.p.buffers.find((b) => b.name === s.buffer) ?? this.error(`stores to unknown buffer '${s.buffer}'`);
      const bytes = this.layout.elementBytes.get(spec.name)!;
      const t = wasmType(spec.dtype);
      return { t, at: (v: Expr) => m.store(t, bytes, this.layout.offsets.get(spec.name)!, bytes === 4 ? m.i32('shl', m.get(this.point, 'i32'), m.i32Const(2)) : m.get(this.point, 'i32'), v), value: this.coerce(this.value(s.value), t) };
    });
    if (stores.length === 1) return [stores[0]!.at(stores[0]!.value)];
    // Every value of a point before any store: an output may sit in place over an input it reads at the point.
    const held = stores.map((s) => this.local(s.t));
    return [...stores.map((s, j) => m.set(held[j]!, s.value)), ...stores.map((s, j) => s.at(m.get(held[j]!, s.t)))];
  }

  /** The reduction and stores of the current point, as the scalar path computes them. */
  private pointWork(): Expr[] {
    return [...(this.k.reduce ? [this.fold(this.k.reduce, this.k.shape.length)] : []), ...this.storeExprs()];
  }

  /** What the SIMD matmul path needs of this kernel's function. */
  private tileHost(): TileHost {
    const vectorAcc = this.local('v128');
    const vector = vectorizable(this.p, this.layout, this.k, isTranscendental, 'epilogue') ? this.vectorGen(vectorAcc) : undefined;
    return {
      vectorAcc,
      ...(vector ? { vectorStores: () => vector.stores() } : {}),
      m: this.m,
      local: (t) => this.local(t),
      label: (what) => this.label(what),
      varLocal: (axis) => this.vars[axis]!,
      point: this.point,
      linear: (l) => this.linear(l),
      storesWithAcc: (acc) => {
        this.acc = { local: acc, t: 'f32' };
        return this.m.block(this.storeExprs());
      },
    };
  }

  /** The vector renderer of this kernel's values, with the reduction's results in v128 local `acc`. */
  private vectorHost(): VectorHost {
    return { m: this.m, local: (t: ValType) => this.local(t), linear: (l: LinearIndex) => this.linear(l), point: this.point, vectorFn: (fn: UnaryFn, x: Expr) => (isTranscendental(fn) ? inlineTranscendental(this.m, fn, x, () => this.local('v128')) : undefined) };
  }

  private vectorGen(acc?: number, accType: 'f32' | 'i32' = 'f32'): VectorGen {
    const host = this.vectorHost();
    return new VectorGen(acc === undefined ? host : { ...host, acc, accType }, this.p, this.layout, this.k);
  }

  /** A sum or max over the reduction axes for four output points at a time, then their stores. */
  private vectorReductionWork(): Expr[] {
    const r = this.k.reduce!;
    const vector = this.vectorGen(this.local('v128'), r.value.dtype === 'f32' ? 'f32' : 'i32');
    const rank = this.k.shape.length;
    return [...vector.reduce((step) => this.nest(r.shape.map((_, j) => rank + j), r.shape, step)), ...vector.stores()];
  }

  /** Rows along the last axis, LANES points at a time by the vector path, the rest by the scalar one. */
  private vectorBody(work: Expr[]): Expr {
    const m = this.m;
    const rank = this.k.shape.length;
    const n = this.k.shape[rank - 1]!;
    const j = this.vars[rank - 1]!;
    const get = (): Expr => m.get(j, 'i32');
    const bump = (l: number, by: number): Expr => m.set(l, m.i32('add', m.get(l, 'i32'), m.i32Const(by)));
    const [lanes, rest] = [this.label('lanes'), this.label('rest')];
    const outer = this.k.shape.slice(0, -1);
    // Threads share the outer rows, or when there are none, the row itself in whole vectors.
    const rowShare = outer.some((x) => x > 1) ? undefined : this.share(n, LANES);
    const [from, to] = rowShare ? [rowShare.lo, rowShare.hi] : [() => m.i32Const(0), () => m.i32Const(n)];
    const row: Expr[] = [
      m.set(j, from()),
      m.if(m.i32('le_s', get(), m.i32('sub', to(), m.i32Const(LANES))), m.loop(lanes, m.block([...work, bump(this.point, LANES), bump(j, LANES), m.br(lanes, m.i32('le_s', get(), m.i32('sub', to(), m.i32Const(LANES))))]))),
    ];
    if (n % LANES || rowShare) row.push(m.if(m.i32('lt_s', get(), to()), m.loop(rest, m.block([...this.pointWork(), bump(this.point, 1), bump(j, 1), m.br(rest, m.i32('lt_s', get(), to()))]))));
    if (rowShare) return m.block([m.set(this.point, rowShare.lo()), ...row]);
    const { share, start } = this.outerShare(outer);
    return m.block([m.set(this.point, start), this.nest(outer.map((_, a) => a), outer, row, undefined, share)]);
  }

  /** The kernel's function body; `scratch` is the byte address of memory free for the kernel's own use (per thread: scratch + tid·scratchBytes). */
  body(scratch: number, scratchBytes: number): { body: Expr; locals: ValType[] } {
    const m = this.m;
    const k = this.k;
    let body: Expr;
    const plan = matmulPlan(this.p, this.layout, k);
    if (numelOf(k.shape) === 0) body = m.block([]);
    else if (plan) {
      const share = this.share(Math.floor(k.shape[k.shape.length - 2]! / plan.rows));
      const at = (): Expr => (share ? m.i32('add', m.i32Const(scratch), m.i32('mul', share.tid(), m.i32Const(scratchBytes))) : m.i32Const(scratch));
      body = tiledMatmul(this.tileHost(), plan, at, share);
    } else if (vectorizable(this.p, this.layout, k, isTranscendental)) body = this.vectorBody(this.vectorGen().stores());
    else if (vectorizable(this.p, this.layout, k, isTranscendental, 'reduction')) body = this.vectorBody(this.vectorReductionWork());
    else {
      // Point by point; a sum or max along a contiguous last axis still folds four steps at a time.
      this.rowLanes = vectorizable(this.p, this.layout, k, isTranscendental, 'row');
      const perPoint = this.pointWork();
      perPoint.push(m.set(this.point, m.i32('add', m.get(this.point, 'i32'), m.i32Const(1))));
      const { share, start } = this.outerShare(k.shape);
      body = m.block([m.set(this.point, start), this.nest(k.shape.map((_, j) => j), k.shape, perPoint, undefined, share)]);
    }
    // Unsplit kernels run on thread 0 alone.
    if (this.threads > 1 && !this.split) body = m.if(m.i32Unary('eqz', m.get(0, 'i32')), body);
    return { body, locals: this.locals };
  }
}

/**
 * Whether `threads` threads share a kernel: a range error must come from thread 0, which reports
 * it; small kernels are not worth a split; a matmul is shared by row tiles, so it needs a tile for
 * each thread.
 */
function splittable(p: KernelProgram, layout: WasmLayout, k: Kernel, threads: number, minWork: number): boolean {
  if (threads < 2) return false;
  let readsByData = false;
  forEachLoad(k, (_, index) => (readsByData ||= dependsOnData(index)));
  const plan = matmulPlan(p, layout, k);
  if (plan && Math.floor(k.shape[k.shape.length - 2]! / plan.rows) < threads) return false;
  return !readsByData && numelOf([...k.shape, ...(k.reduce?.shape ?? [])]) >= minWork;
}

/** The transcendentals a program's kernels apply. */
function transcendentalsOf(p: KernelProgram): Transcendental[] {
  const used = new Set<Transcendental>();
  const visit = (x: unknown): void => {
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o['k'] === 'unary' && typeof o['fn'] === 'string' && isTranscendental(o['fn'])) used.add(o['fn']);
    for (const v of Object.values(o)) visit(v);
  };
  visit(p.kernels);
  return [...used];
}

/** lowbias32 (runtime/random.ts's mix32) as a Wasm function of one i32. */
function addMix32(m: ModuleBuilder): void {
  const x = (): Expr => m.get(0, 'i32');
  const step = (shift: number): Expr => m.set(0, m.i32('xor', x(), m.i32('shr_u', x(), m.i32Const(shift))));
  const mul = (by: number): Expr => m.set(0, m.i32('mul', x(), m.i32Const(by)));
  m.addFunction('mix32', ['i32'], 'i32', [], m.block([step(16), mul(0x7feb352d), step(15), mul(0x846ca68b), step(16), x()], 'i32'));
}

/**
 * A barrier for `threads` threads over the control block at `control`: the last to arrive resets
 * the count, advances the generation and wakes any sleepers; the others spin until it moves,
 * then (all but thread 0) sleep on it: more threads than cores must not burn the cores the
 * others need. Returns the abort flag, which also releases the waiting threads when one failed.
 */
function addBarrier(m: ModuleBuilder, control: number, threads: number): void {
  const c = (x: number): Expr => m.i32Const(x);
  // Parameter 0 is the thread's index; locals 1 and 2 the generation seen and the spins so far.
  const [tid, gen, spins] = [(): Expr => m.get(0, 'i32'), (): Expr => m.get(1, 'i32'), (): Expr => m.get(2, 'i32')];
  const abort = (): Expr => m.atomicLoad(control + THREAD_CONTROL.abort, c(0));
  const generation = (): Expr => m.atomicLoad(control + THREAD_CONTROL.generation, c(0));
  const wait = 'wait';
  const body = m.block([
    m.set(1, generation()),
    m.if(
      m.i32('eq', m.atomicAdd(control + THREAD_CONTROL.count, c(0), c(1)), c(threads - 1)),
      m.block([
        m.atomicStore(control + THREAD_CONTROL.count, c(0), c(0)),
        m.atomicStore(control + THREAD_CONTROL.generation, c(0), m.i32('add', gen(), c(1))),
        m.atomicNotifyAll(c(control + THREAD_CONTROL.generation)),
        m.return(abort()),
      ]),
    ),
    m.set(2, c(0)),
    m.loop(
      wait,
      m.block([
        m.if(abort(), m.return(c(1))),
        m.if(m.i32('ne', generation(), gen()), m.return(abort())),
        m.set(2, m.i32('add', spins(), c(1))),
        // Thread 0 never sleeps: it may be a browser's main thread, where waiting traps.
        m.if(m.i32('and', m.i32('ge_u', spins(), c(SPINS_BEFORE_SLEEP)), m.i32('ne', tid(), c(0))), m.drop(m.atomicWait(c(control + THREAD_CONTROL.generation), gen()))),
        m.br(wait),
      ]),
    ),
  ], 'i32');
  m.addFunction('barrier', ['i32'], 'i32', ['i32', 'i32'], body);
}

export interface WasmOptions {
  /** binaryen's optimizer (default on). */
  optimize?: boolean;
  /** Receives the module as text before optimization. */
  text?: (wat: string) => void;
  /**
   * Threads that run the module together (default 1). Above 1 the module imports a shared
   * memory (env.memory), exports run(tid) for every thread to call at once, shares each large
   * kernel's iterations among them and meets at a barrier around each shared kernel. A program
   * without a kernel large enough to share gets a one-thread module.
   */
  threads?: number;
  /** With threads: the least work (points times reduction steps) worth sharing; tests lower it to share every kernel. */
  minSplitWork?: number;
}

/** Builds, validates and optimizes the module for a program; returns its bytes. */
export async function generateWasm(p: KernelProgram, options: WasmOptions = {}): Promise<Uint8Array> {
  const asked = options.threads ?? 1;
  if (!Number.isInteger(asked) || asked < 1 || asked > MAX_THREADS) fail('usage', `wasm backend: threads must be an integer from 1 to ${MAX_THREADS}, not ${asked}`);
  const layout = wasmLayout(p);
  // A program with no kernel worth sharing runs on one thread: waking workers would only cost.
  const split = p.kernels.map((k) => splittable(p, layout, k, asked, options.minSplitWork ?? MIN_SPLIT_WORK));
  const threads = split.some(Boolean) ? asked : 1;
  const m = await ModuleBuilder.create();
  // After the layout: the threads' control block, then each thread's scratch (packed matmul panels).
  const control = alignUp(layout.bytes);
  const scratch = threads > 1 ? alignUp(control + CONTROL_BYTES) : control;
  const scratchBytes = alignUp(Math.max(0, ...p.kernels.map((k) => matmulPlan(p, layout, k)?.scratchBytes ?? 0)));
  const pages = wasmPages(scratch + threads * scratchBytes);
  if (pages > MAX_PAGES) fail('usage', `wasm backend: program '${p.name}' needs ${scratch + threads * scratchBytes} bytes of memory; a WebAssembly memory holds at most 4 GiB`);
  if (threads > 1) {
    m.importSharedMemory(pages, 'env', 'memory');
    const info: ThreadedModuleInfo = { threads, pages, control };
    m.customSection(THREADS_SECTION, new TextEncoder().encode(JSON.stringify(info)));
    addBarrier(m, control, threads);
  } else m.setMemory(pages, 'memory');
  for (const fn of HOST_F64) m.importFunction(fn, 'host', fn, ['f64'], 'f64');
  m.importFunction('pow', 'host', 'pow', ['f64', 'f64'], 'f64');
  m.importFunction('gather_range', 'host', 'gather_range', ['i32', 'i32'], 'none');
  m.importFunction('load_range', 'host', 'load_range', ['i32', 'i32', 'i32'], 'none');
  addMix32(m);
  addTranscendentals(m, transcendentalsOf(p));
  const steps: Expr[] = [];
  p.kernels.forEach((k, i) => {
    const gen = new KernelGen(m, p, layout, k, i, threads, split[i]);
    const { body, locals } = gen.body(scratch, scratchBytes);
    m.addFunction(`k${i}`, gen.params, 'none', locals, body);
    steps.push(m.call(`k${i}`, threads > 1 ? [m.get(0, 'i32')] : [], 'none'));
    // Around a shared kernel every thread finishes before any goes on (between two kernels of
    // thread 0's alone it need not wait); a failed thread stops them all.
    if (threads > 1 && i < p.kernels.length - 1 && (split[i] || split[i + 1])) steps.push(m.if(m.call('barrier', [m.get(0, 'i32')], 'i32'), m.return()));
  });
  m.addFunction('run', threads > 1 ? ['i32'] : [], 'none', [], m.block(steps));
  m.exportFunction('run', 'run');
  if (options.text) options.text(m.text());
  return m.finish(options.optimize ?? true);
}
