// SIMD128 path for elementwise kernels: four consecutive points along the last axis at a time.
//
// A kernel qualifies when every load moves along the last axis with stride 1 (one v128 load) or
// 0 (a splat), and every function it applies has an f32x4 or i32x4 form with the scalar path's
// exact semantics (IEEE f32 ops, nan-propagating min/max, saturating truncation, transcendentals
// through the same functions as the scalar path). The scalar path finishes each row's last
// points, so results do not depend on where an element falls. Comparisons yield lane masks
// (all ones or zero), turned into 0/1 where a bool is stored or used as a number.

import { linearize, isPointIndex, type LinearIndex } from '../../../runtime/kernel-analysis.js';
import type { Kernel, KernelProgram, UnaryFn, ValueExpr } from '../../../runtime/kernel-ir.js';
import { numelOf } from '../../../runtime/tensor.js';
import type { WasmLayout } from '../../../runtime/wasm.js';
import type { Expr, F32x4Binary, I32x4Binary, ModuleBuilder, ValType } from './binaryen.js';

/** Points per vector. */
export const LANES = 4;

/** What the vector path borrows from the scalar kernel generator. */
export interface VectorHost {
  readonly m: ModuleBuilder;
  local(t: ValType): number;
  linear(l: LinearIndex): Expr;
  /** The local holding the first lane's row-major offset in the outputs. */
  readonly point: number;
  /** `fn` of an f32x4 expression, where the module has a vector form of it. */
  vectorFn(fn: UnaryFn, x: Expr): Expr | undefined;
  /** The v128 local holding four reduction results (a matmul tile's, a vector reduction's), for 'acc'. */
  readonly acc?: number;
  /** The acc's lanes: f32, or i32 (an i32 reduction). */
  readonly accType?: 'f32' | 'i32';
}

type Lanes = 'f32' | 'i32' | 'mask';
interface V {
  e: Expr;
  t: Lanes;
}

const F32_UNARY = new Set(['neg', 'abs', 'sqrt', 'relu', 'sign', 'step']);
const I32_UNARY = new Set(['neg', 'abs', 'relu', 'step']);
const F32_BINARY = new Set(['add', 'sub', 'mul', 'div', 'max', 'min']);
const I32_BINARY = new Set(['add', 'sub', 'mul', 'max', 'min']);
const COMPARE: Record<string, [F32x4Binary, I32x4Binary]> = { eq: ['eq', 'eq'], ne: ['ne', 'ne'], lt: ['lt', 'lt_s'], le: ['le', 'le_s'], gt: ['gt', 'gt_s'], ge: ['ge', 'ge_s'] };

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
export function vectorizable(p: KernelProgram, layout: WasmLayout, k: Kernel, hasVectorFn: (fn: UnaryFn) => boolean, mode: VectorMode = 'elementwise'): boolean {
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
        return (e.dtype === 'f32' ? F32_UNARY.has(e.fn) || hasVectorFn(e.fn) : I32_UNARY.has(e.fn)) && ok(e.a);
      case 'binary':
        return (e.fn in COMPARE || (e.a.dtype === 'f32' ? F32_BINARY : I32_BINARY).has(e.fn)) && ok(e.a) && ok(e.b);
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
  private readonly m: ModuleBuilder;
  /** Extents of every loop variable: output axes, then reduction axes. */
  private readonly sizes: number[];
  /** The loop variable the lanes step along (the first lane's value is the variable's). */
  private readonly lane: number;

  constructor(
    private readonly h: VectorHost,
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
  private let(value: Expr, use: (get: () => Expr) => Expr): Expr {
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
      case 'unary':
        return e.dtype === 'f32' ? { e: this.unaryF32(e.fn, this.as(this.value(e.a), 'f32')), t: 'f32' } : { e: this.unaryI32(e.fn, this.as(this.value(e.a), 'i32')), t: 'i32' };
      case 'binary': {
        const t = e.a.dtype === 'f32' ? 'f32' : 'i32';
        const [a, b] = [this.as(this.value(e.a), t), this.as(this.value(e.b), t)];
        const cmp = COMPARE[e.fn];
        if (cmp) return { e: t === 'f32' ? m.f32x4(cmp[0], a, b) : m.i32x4(cmp[1], a, b), t: 'mask' };
        if (t === 'f32') return { e: m.f32x4(e.fn as F32x4Binary, a, b), t };
        const op: I32x4Binary = e.fn === 'max' ? 'max_s' : e.fn === 'min' ? 'min_s' : (e.fn as I32x4Binary);
        return { e: m.i32x4(op, a, b), t };
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
        throw new Error(`vector path: unexpected ${e.k}`); // vectorizable() admits none of the others
    }
  }

  private unaryF32(fn: UnaryFn, a: Expr): Expr {
    const m = this.m;
    const zero = (): Expr => m.f32x4Const(0);
    switch (fn) {
      case 'neg':
      case 'abs':
      case 'sqrt':
        return m.f32x4Unary(fn, a);
      case 'relu': // nan → 0, as the scalar select
        return this.let(a, (x) => m.bitselect(x(), zero(), m.f32x4('gt', x(), zero())));
      case 'sign': // nan and ±0 stay as they are
        return this.let(a, (x) => m.bitselect(m.f32x4Const(1), m.bitselect(m.f32x4Const(-1), x(), m.f32x4('lt', x(), zero())), m.f32x4('gt', x(), zero())));
      case 'step':
        return m.v128Bitwise('and', m.f32x4('gt', a, zero()), m.f32x4Const(1));
      default:
        return this.h.vectorFn(fn, a)!;
    }
  }

  private unaryI32(fn: UnaryFn, a: Expr): Expr {
    const m = this.m;
    const zero = (): Expr => m.i32x4Const(0);
    switch (fn) {
      case 'neg':
        return m.i32x4('sub', zero(), a);
      case 'abs': // wraps: |-2^31| is -2^31
        return this.let(a, (x) => m.bitselect(m.i32x4('sub', zero(), x()), x(), m.i32x4('lt_s', x(), zero())));
      case 'relu':
        return m.i32x4('max_s', a, zero());
      default: // step
        return m.v128Bitwise('and', m.i32x4('gt_s', a, zero()), m.i32x4Const(1));
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
    if (values.length === 1) return [m.v128Store(values[0]!.offset, at(), values[0]!.e)];
    const held = values.map(() => this.h.local('v128'));
    return [...values.map((v, j) => m.set(held[j]!, v.e)), ...values.map((v, j) => m.v128Store(v.offset, at(), m.get(held[j]!, 'v128')))];
  }
}
