// SIMD128 path for elementwise kernels: four consecutive points along the last axis at a time.
//
// A kernel qualifies when every load moves along the last axis with stride 1 (one v128 load) or
// 0 (a splat), and every function it applies has an f32x4 or i32x4 form with the scalar path's
// exact semantics (IEEE f32 ops, nan-propagating min/max, saturating truncation, transcendentals
// through the same functions as the scalar path). The scalar path finishes each row's last
// points, so results do not depend on where an element falls. Comparisons yield lane masks
// (all ones or zero), turned into 0/1 where a bool is stored or used as a number. Which functions
// have a vector form is stated for every function in the tables below ('scalar' where none).

import { linearize, isPointIndex, type LinearIndex } from '../../../runtime/kernel-analysis.js';
import { entryOf, isCompareFn, type ArithTable, type UnaryTable } from '../../../runtime/kernel-fns.js';
import type { Kernel, KernelDType, KernelProgram, ValueExpr } from '../../../runtime/kernel-ir.js';
import { numelOf } from '../../../runtime/tensor.js';
import type { WasmLayout } from '../../../runtime/wasm.js';
import type { Expr, F32x4Binary, I32x4Binary, ModuleBuilder } from './binaryen.js';
import type { VectorHost } from './kernel-host.js';
import { countVector, countedStores } from './nonfinite.js';
import { COMPARE } from './scalar.js';

/** Points per vector. */
export const LANES = 4;

type Lanes = 'f32' | 'i32' | 'mask';
interface V {
  e: Expr;
  t: Lanes;
}

/** Renders a function of four lanes of the table's type. */
type VectorUnary = (g: VectorGen, a: Expr) => Expr;
/** A table entry: the vector form, or 'scalar' where none has the scalar path's exact semantics (a kernel applying it takes the scalar path). */
export type Lanewise<R> = R | 'scalar';

const f32x4Fn =
  (op: 'neg' | 'abs' | 'sqrt'): VectorUnary =>
  (g, a) =>
    g.m.f32x4Unary(op, a);
/** exp, log, tanh, sigmoid: the module's own vector functions, through the host. */
const own =
  (fn: 'exp' | 'log' | 'tanh' | 'sigmoid'): VectorUnary =>
  (g, a) =>
    g.h.vectorFn(fn, a)!;

export const VECTOR_UNARY_F32: UnaryTable<'f32', Lanewise<VectorUnary>> = {
  neg: f32x4Fn('neg'),
  abs: f32x4Fn('abs'),
  sqrt: f32x4Fn('sqrt'),
  // nan → 0, as the scalar select
  relu: (g, a) => g.let(a, (x) => g.m.bitselect(x(), g.m.f32x4Const(0), g.m.f32x4('gt', x(), g.m.f32x4Const(0)))),
  // nan and ±0 stay as they are
  sign: (g, a) => {
    const m = g.m;
    return g.let(a, (x) => m.bitselect(m.f32x4Const(1), m.bitselect(m.f32x4Const(-1), x(), m.f32x4('lt', x(), m.f32x4Const(0))), m.f32x4('gt', x(), m.f32x4Const(0))));
  },
  step: ({ m }, a) => m.v128Bitwise('and', m.f32x4('gt', a, m.f32x4Const(0)), m.f32x4Const(1)),
  exp: own('exp'),
  log: own('log'),
  tanh: own('tanh'),
  sigmoid: own('sigmoid'),
  rsqrt: 'scalar',
  sin: 'scalar',
  cos: 'scalar',
};

export const VECTOR_UNARY_I32: UnaryTable<'i32', Lanewise<VectorUnary>> = {
  neg: ({ m }, a) => m.i32x4('sub', m.i32x4Const(0), a),
  // wraps: |-2^31| is -2^31
  abs: (g, a) => g.let(a, (x) => g.m.bitselect(g.m.i32x4('sub', g.m.i32x4Const(0), x()), x(), g.m.i32x4('lt_s', x(), g.m.i32x4Const(0)))),
  relu: ({ m }, a) => m.i32x4('max_s', a, m.i32x4Const(0)),
  step: ({ m }, a) => m.v128Bitwise('and', m.i32x4('gt_s', a, m.i32x4Const(0)), m.i32x4Const(1)),
  sign: 'scalar',
};

export const VECTOR_BINARY_F32: ArithTable<'f32', Lanewise<F32x4Binary>> = { add: 'add', sub: 'sub', mul: 'mul', div: 'div', max: 'max', min: 'min', pow: 'scalar' };
/** i32x4 has no division. */
export const VECTOR_BINARY_I32: ArithTable<'i32', Lanewise<I32x4Binary>> = { add: 'add', sub: 'sub', mul: 'mul', max: 'max_s', min: 'min_s', div: 'scalar' };

/** vectorizable() admits nothing else. */
function unexpected(what: string): never {
  throw new Error(`vector path: unexpected ${what}`);
}

/** The vector form of `fn` in a table of the functions on one dtype; undefined where `fn` has none. */
function lanewise<R>(table: Readonly<Record<string, Lanewise<R>>>, fn: string): R | undefined {
  const entry = entryOf(table, fn);
  return entry === 'scalar' ? undefined : entry;
}

const unaryTable = (dtype: KernelDType): Readonly<Record<string, Lanewise<VectorUnary>>> => (dtype === 'f32' ? VECTOR_UNARY_F32 : VECTOR_UNARY_I32);
const binaryTable = (dtype: KernelDType): Readonly<Record<string, Lanewise<F32x4Binary | I32x4Binary>>> => (dtype === 'f32' ? VECTOR_BINARY_F32 : VECTOR_BINARY_I32);

/**
 * What is computed four lanes at a time: 'elementwise' a kernel without reduction; 'epilogue' the
 * stores a matmul applies to its finished tiles (the reduction's result comes in as a vector);
 * 'reduction' a sum or max of four output points at once, one per lane; 'row' a sum or max of
 * one point, four steps of its last reduction axis at once (its stores stay scalar).
 */
export type VectorMode = 'elementwise' | 'epilogue' | 'reduction' | 'row';

/** The loop variable the lanes step along: the last output axis, or in 'row' mode the last reduction axis. */
export function laneAxis(k: Kernel, mode: VectorMode): number {
  return mode === 'row' ? k.shape.length + k.reduce!.shape.length - 1 : k.shape.length - 1;
}

const foldsInLanes = (k: Kernel): boolean => !!k.reduce && (k.reduce.op === 'sum' || k.reduce.op === 'max') && k.reduce.value.dtype !== 'bool';

/** Whether the kernel can be computed four lanes at a time in `mode` (the scalar path finishes each row). */
export function vectorizable(p: KernelProgram, layout: WasmLayout, k: Kernel, mode: VectorMode = 'elementwise'): boolean {
  const rank = k.shape.length;
  if (mode === 'row') {
    if (!foldsInLanes(k) || k.reduce!.shape[k.reduce!.shape.length - 1]! < LANES) return false;
  } else if (rank === 0 || k.shape[rank - 1]! < LANES) return false;
  if (mode === 'elementwise' && k.reduce) return false;
  if (mode === 'reduction' && !foldsInLanes(k)) return false;
  const lane = laneAxis(k, mode);
  const sizes = [...k.shape, ...(mode === 'reduction' || mode === 'row' ? k.reduce!.shape : [])];
  const ok = (e: ValueExpr): boolean => {
    switch (e.k) {
      case 'load': {
        const spec = p.buffers.find((b) => b.name === e.buffer);
        if (!spec || layout.elementBytes.get(spec.name) !== 4) return false;
        const l = linearize(e.index, sizes);
        if (!l || ![0, 1].includes(coeffOf(l, lane))) return false;
        // Every lane is loaded, even where a `where` would not read it: the whole range must lie in the buffer.
        const [lo, hi] = l.terms.reduce(([a, b], t) => (t.coeff > 0 ? [a, b + t.coeff * (sizes[t.axis]! - 1)] : [a + t.coeff * (sizes[t.axis]! - 1), b]), [l.constant, l.constant]);
        return lo >= 0 && hi < numelOf(spec.shape);
      }
      case 'const':
        return true;
      case 'unary':
        return lanewise(unaryTable(e.dtype), e.fn) !== undefined && ok(e.a);
      case 'binary':
        return (isCompareFn(e.fn) || lanewise(binaryTable(e.a.dtype), e.fn) !== undefined) && ok(e.a) && ok(e.b);
      case 'where':
        return ok(e.cond) && ok(e.a) && ok(e.b);
      case 'cast':
        return ok(e.a);
      case 'acc':
        return mode === 'epilogue' ? e.dtype === 'f32' : mode === 'reduction';
      case 'index':
        return linearize(e.index, sizes) !== undefined;
      default:
        return false; // random streams: the scalar path
    }
  };
  if (mode === 'row') return ok(k.reduce!.value);
  return k.stores.every((s) => layout.elementBytes.get(s.buffer) === 4 && ok(s.value)) && (mode !== 'reduction' || ok(k.reduce!.value));
}

const coeffOf = (l: LinearIndex, axis: number): number => l.terms.find((t) => t.axis === axis)?.coeff ?? 0;

/**
 * Four-lane accumulators of a sum or max, each lane folding its values in order with the scalar
 * path's rule: f32 sums in two f64x2 halves (`acc` lanes 0-1, `hi` lanes 2-3), i32 sums wrapping,
 * a max that keeps a nan once seen. `init` clears them; `step` folds in v128 local `x`.
 */
export function laneFold(m: ModuleBuilder, op: 'sum' | 'max', f32: boolean, acc: number, local: () => number): { init: Expr[]; step: (x: number) => Expr[]; hi?: number } {
  const get = (l: number): Expr => m.get(l, 'v128');
  if (op === 'sum' && f32) {
    const hi = local();
    return {
      init: [m.set(acc, m.f64x2Splat(m.f64Const(0))), m.set(hi, m.f64x2Splat(m.f64Const(0)))],
      step: (x) => [m.set(acc, m.f64x2Add(get(acc), m.f64x2PromoteLow(get(x)))), m.set(hi, m.f64x2Add(get(hi), m.f64x2PromoteHigh(get(x))))],
      hi,
    };
  }
  if (op === 'sum') return { init: [m.set(acc, m.i32x4Const(0))], step: (x) => [m.set(acc, m.i32x4('add', get(acc), get(x)))] };
  if (!f32) return { init: [m.set(acc, m.i32x4Const(-2147483648))], step: (x) => [m.set(acc, m.i32x4('max_s', get(acc), get(x)))] };
  // Replace while the best is not nan and x is not ≤ it.
  const better = (x: number): Expr => m.v128Bitwise('andnot', m.f32x4('eq', get(acc), get(acc)), m.f32x4('le', get(x), get(acc)));
  return { init: [m.set(acc, m.f32x4Const(-Infinity))], step: (x) => [m.set(acc, m.bitselect(get(x), get(acc), better(x)))] };
}

/** Renders a vectorizable kernel's values for LANES points from the current one. */
export class VectorGen {
  readonly m: ModuleBuilder;
  /** Extents of every loop variable: output axes, then reduction axes. */
  private readonly sizes: number[];
  /** The loop variable the lanes step along (the first lane's value is the variable's). */
  private readonly lane: number;

  constructor(
    readonly h: VectorHost,
    private readonly p: KernelProgram,
    private readonly layout: WasmLayout,
    private readonly k: Kernel,
    mode: VectorMode = 'elementwise',
  ) {
    this.m = h.m;
    this.sizes = [...k.shape, ...(k.reduce?.shape ?? [])];
    this.lane = laneAxis(k, mode);
  }

  /** An expression's four lanes as `t`. */
  lanes(e: ValueExpr, t: 'f32' | 'i32'): Expr {
    return this.as(this.value(e), t);
  }

  /** `use(get)` with `value` computed once into a fresh v128 local. */
  let(value: Expr, use: (get: () => Expr) => Expr): Expr {
    const l = this.h.local('v128');
    return this.m.block([this.m.set(l, value), use(() => this.m.get(l, 'v128'))], 'v128');
  }

  private as(v: V, t: 'f32' | 'i32'): Expr {
    const m = this.m;
    if (v.t === t) return v.e;
    if (v.t === 'mask') return m.v128Bitwise('and', v.e, t === 'f32' ? m.f32x4Const(1) : m.i32x4Const(1)); // true → 1
    return m.v128Convert(t === 'f32' ? 'f32x4_from_i32x4' : 'i32x4_from_f32x4_sat', v.e);
  }

  /** Lanes as a mask: nonzero (nan included) is true. */
  private mask(v: V): Expr {
    const m = this.m;
    if (v.t === 'mask') return v.e;
    return v.t === 'f32' ? m.f32x4('ne', v.e, m.f32x4Const(0)) : m.i32x4('ne', v.e, m.i32x4Const(0));
  }

  value(e: ValueExpr): V {
    const m = this.m;
    const rank = this.k.shape.length;
    switch (e.k) {
      case 'load': {
        const spec = this.p.buffers.find((b) => b.name === e.buffer)!;
        const offset = this.layout.offsets.get(spec.name)!;
        const t = spec.dtype === 'f32' ? 'f32' : 'i32';
        // At the point, when the lanes are consecutive points: the point's offset is the address.
        if (this.lane === rank - 1 && isPointIndex(e.index, this.k.shape, this.sizes)) return { e: m.v128Load(offset, m.i32('shl', m.get(this.h.point, 'i32'), m.i32Const(2))), t };
        const l = linearize(e.index, this.sizes)!;
        const at = m.i32('shl', this.h.linear(l), m.i32Const(2));
        return { e: coeffOf(l, this.lane) === 1 ? m.v128Load(offset, at) : m.load32Splat(offset, at), t };
      }
      case 'const':
        if (e.dtype === 'f32') return { e: m.f32x4Const(Math.fround(e.value)), t: 'f32' };
        return { e: m.i32x4Const(e.dtype === 'i32' ? e.value | 0 : e.value !== 0 ? 1 : 0), t: 'i32' };
      case 'unary': {
        const t = e.dtype === 'f32' ? 'f32' : 'i32';
        const a = this.as(this.value(e.a), t);
        return { e: (lanewise(unaryTable(e.dtype), e.fn) ?? unexpected(e.fn))(this, a), t };
      }
      case 'binary': {
        const t = e.a.dtype === 'f32' ? 'f32' : 'i32';
        const [a, b] = [this.as(this.value(e.a), t), this.as(this.value(e.b), t)];
        if (isCompareFn(e.fn)) {
          const [fop, iop] = COMPARE[e.fn];
          return { e: t === 'f32' ? m.f32x4(fop, a, b) : m.i32x4(iop, a, b), t: 'mask' };
        }
        if (t === 'f32') return { e: m.f32x4(lanewise(VECTOR_BINARY_F32, e.fn) ?? unexpected(e.fn), a, b), t };
        return { e: m.i32x4(lanewise(VECTOR_BINARY_I32, e.fn) ?? unexpected(e.fn), a, b), t };
      }
      case 'where': {
        const t = e.dtype === 'f32' ? 'f32' : 'i32';
        return { e: m.bitselect(this.as(this.value(e.a), t), this.as(this.value(e.b), t), this.mask(this.value(e.cond))), t };
      }
      case 'cast': {
        const v = this.value(e.a);
        if (e.dtype === 'bool') return { e: this.mask(v), t: 'mask' };
        return { e: this.as(v, e.dtype === 'f32' ? 'f32' : 'i32'), t: e.dtype === 'f32' ? 'f32' : 'i32' };
      }
      case 'acc':
        return { e: m.get(this.h.acc!, 'v128'), t: this.h.accType ?? 'f32' };
      case 'index': {
        // The first lane's value, stepping by the index's stride along the last axis.
        const l = linearize(e.index, this.sizes)!;
        const c = coeffOf(l, this.lane);
        return { e: m.i32x4('add', m.i32x4Splat(this.h.linear(l)), m.i32x4Lanes([0, c, 2 * c, 3 * c])), t: 'i32' };
      }
      default:
        return unexpected(e.k);
    }
  }

  /**
   * The reduction of LANES points from the current one, left in v128 local h.acc: per lane the
   * scalar path's fold in the same order (f32 sums in f64, a nan max stays nan), so the results
   * are the same bit for bit. `nest` wraps a step in the loops over the reduction axes.
   */
  reduce(nest: (step: Expr[]) => Expr): Expr[] {
    const m = this.m;
    const r = this.k.reduce!;
    const acc = this.h.acc!;
    const f32 = r.value.dtype === 'f32';
    const x = this.h.local('v128');
    const fold = laneFold(m, r.op as 'sum' | 'max', f32, acc, () => this.h.local('v128'));
    const body = numelOf(r.shape) === 0 ? [] : [nest([m.set(x, this.as(this.value(r.value), f32 ? 'f32' : 'i32')), ...fold.step(x)])];
    // f32 sums are rounded to f32 once at the end.
    return [...fold.init, ...body, ...(fold.hi === undefined ? [] : [m.set(acc, m.f32x4FromF64x2Pair(m.get(acc, 'v128'), m.get(fold.hi, 'v128')))])];
  }

  /** The kernel's stores for LANES points from the current one, every value computed before any store. */
  stores(): Expr[] {
    const m = this.m;
    const at = (): Expr => m.i32('shl', m.get(this.h.point, 'i32'), m.i32Const(2));
    const values = this.k.stores.map((s) => {
      const spec = this.p.buffers.find((b) => b.name === s.buffer)!;
      return { offset: this.layout.offsets.get(spec.name)!, e: this.as(this.value(s.value), spec.dtype === 'f32' ? 'f32' : 'i32') };
    });
    const counted = countedStores(this.k);
    if (values.length === 1 && counted.length === 0) return [m.v128Store(values[0]!.offset, at(), values[0]!.e)];
    const held = values.map(() => this.h.local('v128'));
    const mask = counted.length > 0 ? this.h.local('v128') : -1;
    return [
      ...values.map((v, j) => m.set(held[j]!, v.e)),
      ...values.map((v, j) => m.v128Store(v.offset, at(), m.get(held[j]!, 'v128'))),
      ...counted.map(({ j, c }) => countVector(m, this.layout, c, () => m.get(held[j]!, 'v128'), mask, this.h.atomic)),
    ];
  }
}
