// The kernel interpreter: every index and value expression of a program is compiled once into nested closures, then each kernel loops over its iteration space (and reduction axes) calling them and storing into typed arrays.
//
// Semantics follow the graph ops (src/ir/ops): every f32 result is rounded to f32 where the op
// would have stored it (Math.fround), so an unfused kernel computes exactly what the reference
// backend does; i32 arithmetic wraps; sums accumulate in a double like reduce_sum.

import { entryOf, isCompareFn, type ArithTable, type CompareTable, type UnaryTable } from './kernel-fns.js';
import type { IndexExpr, Kernel, KernelDType, KernelProgram, Reduction, ValueExpr } from './kernel-ir.js';
import { dependsOnData, isPointIndex, linearize, type LinearIndex } from './kernel-analysis.js';
import { keyedStream, standardNormal, uniform01, uniformBetween } from './random.js';
import { KilnRuntimeError, numelOf } from './tensor.js';

/** Where a buffer's elements live: f32 in a Float32Array, i32 in an Int32Array, bool (0/1) in either an Int32Array or a Uint8Array. */
export type Storage = Float32Array | Int32Array | Uint8Array;

type Fn = () => number;

const fround = Math.fround;
const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

// ---- index closures ------------------------------------------------------------------------

/** What an expression is compiled against: the loop variables (the last slot is the point's flat offset) and the buffers. */
interface Scope {
  kernel: string;
  /** The output shape, then `sizes`: every loop variable's extent (output axes, then reduction axes). */
  shape: readonly number[];
  sizes: readonly number[];
  vars: Int32Array;
  /** vars[point] holds the flat row-major offset of the output point. */
  point: number;
  arrays: ReadonlyMap<string, Storage>;
  /** The reduction result at this point, for `acc` leaves. */
  acc: Float64Array;
}

function linearClosure(l: LinearIndex, v: Int32Array): Fn {
  const c = l.constant;
  const t = l.terms;
  if (t.length === 0) return () => c;
  const [a0, k0] = [t[0]!.axis, t[0]!.coeff];
  if (t.length === 1) return k0 === 1 ? () => v[a0]! + c : () => v[a0]! * k0 + c;
  const [a1, k1] = [t[1]!.axis, t[1]!.coeff];
  if (t.length === 2) return () => v[a0]! * k0 + v[a1]! * k1 + c;
  const [a2, k2] = [t[2]!.axis, t[2]!.coeff];
  if (t.length === 3) return () => v[a0]! * k0 + v[a1]! * k1 + v[a2]! * k2 + c;
  const axes = Int32Array.from(t, (x) => x.axis);
  const coeffs = Float64Array.from(t, (x) => x.coeff);
  return () => {
    let s = c;
    for (let i = 0; i < axes.length; i++) s += v[axes[i]!]! * coeffs[i]!;
    return s;
  };
}

function compileIndex(e: IndexExpr, s: Scope): Fn {
  const l = linearize(e, s.sizes);
  if (l) return linearClosure(l, s.vars);
  switch (e.k) {
    case 'add': {
      const [a, b] = [compileIndex(e.a, s), compileIndex(e.b, s)];
      return () => a() + b();
    }
    case 'mul': {
      const [a, by] = [compileIndex(e.a, s), e.by];
      return () => a() * by;
    }
    case 'div': {
      const [a, by] = [compileIndex(e.a, s), e.by];
      return () => Math.floor(a() / by);
    }
    case 'mod': {
      const [a, by] = [compileIndex(e.a, s), e.by];
      return () => {
        const r = a() % by;
        return r < 0 ? r + by : r;
      };
    }
    case 'value': {
      const [v, size] = [compileValue(e.v, s), e.size];
      return () => {
        const i = v();
        if (i < 0 || i >= size) throw new KilnRuntimeError('runtime', `gather: index ${i} is out of range for an axis of size ${size}`);
        return i;
      };
    }
    default:
      return linearClosure({ constant: 0, terms: [] }, s.vars); // var and const are always linear
  }
}

// ---- value closures ------------------------------------------------------------------------

/** One closure literal per array kind keeps each call site monomorphic. */
function loadAt(arr: Storage, index: Fn): Fn {
  if (arr instanceof Float32Array) return () => arr[index()]!;
  if (arr instanceof Int32Array) return () => arr[index()]!;
  return () => arr[index()]!;
}

function loadAtPoint(arr: Storage, v: Int32Array, p: number): Fn {
  if (arr instanceof Float32Array) return () => arr[v[p]!]!;
  if (arr instanceof Int32Array) return () => arr[v[p]!]!;
  return () => arr[v[p]!]!;
}

function checkedIndex(index: Fn, length: number, buffer: string, kernel: string): Fn {
  return () => {
    const i = index();
    if (i >= 0 && i < length) return i;
    throw new KilnRuntimeError('runtime', `kernel '${kernel}': index ${i} is out of range for buffer '${buffer}' (${length} elements)`);
  };
}

function sigmoid(x: number): number {
  // Both branches keep exp's argument non-positive, so neither overflows.
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

const UNARY_F32: UnaryTable<'f32', (a: Fn) => Fn> = {
  neg: (a) => () => -a(),
  abs: (a) => () => Math.abs(a()),
  exp: (a) => () => fround(Math.exp(a())),
  log: (a) => () => fround(Math.log(a())),
  sqrt: (a) => () => fround(Math.sqrt(a())),
  rsqrt: (a) => () => fround(1 / Math.sqrt(a())),
  tanh: (a) => () => fround(Math.tanh(a())),
  sigmoid: (a) => () => fround(sigmoid(a())),
  relu: (a) => () => {
    const x = a();
    return x > 0 ? x : 0;
  },
  sign: (a) => () => {
    const x = a();
    return x > 0 ? 1 : x < 0 ? -1 : x; // nan and ±0 stay as they are
  },
  step: (a) => () => (a() > 0 ? 1 : 0),
  sin: (a) => () => fround(Math.sin(a())),
  cos: (a) => () => fround(Math.cos(a())),
};

/** The unary fns defined on i32 (the rest are f32 only); results wrap like an Int32Array store. */
const UNARY_I32: UnaryTable<'i32', (a: Fn) => Fn> = {
  neg: (a) => () => -a() | 0,
  abs: (a) => () => Math.abs(a()) | 0,
  relu: (a) => () => {
    const x = a();
    return x > 0 ? x : 0;
  },
  sign: (a) => () => {
    const x = a();
    return x > 0 ? 1 : x < 0 ? -1 : 0;
  },
  step: (a) => () => (a() > 0 ? 1 : 0),
};

const BINARY_F32: ArithTable<'f32', (a: Fn, b: Fn) => Fn> = {
  add: (a, b) => () => fround(a() + b()),
  sub: (a, b) => () => fround(a() - b()),
  mul: (a, b) => () => fround(a() * b()),
  div: (a, b) => () => fround(a() / b()),
  pow: (a, b) => () => fround(Math.pow(a(), b())),
  max: (a, b) => () => Math.max(a(), b()),
  min: (a, b) => () => Math.min(a(), b()),
};

const BINARY_I32: ArithTable<'i32', (a: Fn, b: Fn) => Fn> = {
  add: (a, b) => () => (a() + b()) | 0,
  sub: (a, b) => () => (a() - b()) | 0,
  mul: (a, b) => () => Math.imul(a(), b()),
  // Truncates toward zero; x / 0 is 0 instead of a trap.
  div: (a, b) => () => {
    const x = a();
    const y = b();
    return y === 0 ? 0 : (x / y) | 0;
  },
  max: (a, b) => () => Math.max(a(), b()),
  min: (a, b) => () => Math.min(a(), b()),
};

const COMPARE: CompareTable<(a: Fn, b: Fn) => Fn> = {
  eq: (a, b) => () => (a() === b() ? 1 : 0),
  ne: (a, b) => () => (a() !== b() ? 1 : 0),
  lt: (a, b) => () => (a() < b() ? 1 : 0),
  le: (a, b) => () => (a() <= b() ? 1 : 0),
  gt: (a, b) => () => (a() > b() ? 1 : 0),
  ge: (a, b) => () => (a() >= b() ? 1 : 0),
};

/** f32 to i32: truncate toward zero, saturate at the i32 range, nan to 0. */
function toI32(x: number): number {
  if (x !== x) return 0;
  return x <= I32_MIN ? I32_MIN : x >= I32_MAX ? I32_MAX : Math.trunc(x);
}

function compileCast(a: Fn, from: KernelDType, to: KernelDType): Fn {
  if (to === 'bool') return from === 'bool' ? a : () => (a() !== 0 ? 1 : 0); // nan counts as true
  if (to === 'i32') return from === 'f32' ? () => toI32(a()) : a;
  return from === 'i32' ? () => fround(a()) : a;
}

/** The constant as the dtype would store it. */
export function storedConstant(value: number, dtype: KernelDType): number {
  return dtype === 'f32' ? fround(value) : dtype === 'i32' ? value | 0 : value !== 0 ? 1 : 0;
}

function compileValue(e: ValueExpr, s: Scope): Fn {
  switch (e.k) {
    case 'load': {
      const arr = s.arrays.get(e.buffer);
      if (!arr) throw new KilnRuntimeError('runtime', `kernel '${s.kernel}' loads unknown buffer '${e.buffer}'`);
      if (isPointIndex(e.index, s.shape, s.sizes)) return loadAtPoint(arr, s.vars, s.point);
      const index = compileIndex(e.index, s);
      // An index read from data (gather) is checked; a computed one is in range by construction.
      return dependsOnData(e.index) ? loadAt(arr, checkedIndex(index, arr.length, e.buffer, s.kernel)) : loadAt(arr, index);
    }
    case 'const': {
      const c = storedConstant(e.value, e.dtype);
      return () => c;
    }
    case 'unary': {
      const a = compileValue(e.a, s);
      const make = entryOf<string, (a: Fn) => Fn>(e.dtype === 'f32' ? UNARY_F32 : UNARY_I32, e.fn);
      if (!make) throw new KilnRuntimeError('runtime', `kernel '${s.kernel}': ${e.fn} is not defined on ${e.dtype}`);
      return make(a);
    }
    case 'binary': {
      const [a, b] = [compileValue(e.a, s), compileValue(e.b, s)];
      if (isCompareFn(e.fn)) return COMPARE[e.fn](a, b);
      const make = entryOf<string, (a: Fn, b: Fn) => Fn>(e.a.dtype === 'f32' ? BINARY_F32 : BINARY_I32, e.fn);
      if (!make) throw new KilnRuntimeError('runtime', `kernel '${s.kernel}': ${e.fn} is not defined on ${e.a.dtype}`);
      return make(a, b);
    }
    case 'where': {
      // Only the chosen branch runs: a guarded load (pad, a masked gather) may be out of range.
      const [c, a, b] = [compileValue(e.cond, s), compileValue(e.a, s), compileValue(e.b, s)];
      return () => (c() !== 0 ? a() : b());
    }
    case 'cast':
      return compileCast(compileValue(e.a, s), e.a.dtype, e.dtype);
    case 'index': {
      const i = compileIndex(e.index, s);
      return () => i() | 0;
    }
    case 'random':
      return compileRandom(e, s);
    case 'acc': {
      const acc = s.acc;
      return () => acc[0]!;
    }
  }
}

function compileRandom(e: Extract<ValueExpr, { k: 'random' }>, s: Scope): Fn {
  const counter = compileIndex(e.counter, s);
  const { seed, a, b } = e;
  const key = e.key ? compileValue(e.key, s) : undefined;
  const stream: Fn = key ? () => keyedStream(seed, key()) : () => seed;
  if (e.dist === 'uniform') return () => uniformBetween(a, b, uniform01(stream(), counter()));
  return () => fround(a + b * standardNormal(stream(), counter()));
}

// ---- kernels -------------------------------------------------------------------------------

/** Runs the reduction over every reduction index of the current point and leaves the result in acc[0]. */
function compileFold(r: Reduction, s: Scope, rank: number): () => void {
  const fast = stridedSum(r, s, rank);
  if (fast) return fast;
  const value = compileValue(r.value, s);
  const v = s.vars;
  const acc = s.acc;
  const extents = r.shape;
  const n = numelOf(extents);
  const last = rank + extents.length - 1;
  // Advances the reduction odometer: the last axis fastest, like the row-major flat index r.
  const next = (): void => {
    for (let a = last; a >= rank; a--) {
      if (++v[a]! < extents[a - rank]!) return;
      v[a] = 0;
    }
  };
  const reset = (): void => {
    v.fill(0, rank, last + 1);
  };
  const isInt = r.value.dtype !== 'f32';
  switch (r.op) {
    case 'sum':
      if (isInt) {
        return () => {
          reset();
          let total = 0;
          for (let i = 0; i < n; i++, next()) total = (total + value()) | 0;
          acc[0] = total;
        };
      }
      return () => {
        reset();
        let total = 0; // a double, as reduce_sum accumulates
        for (let i = 0; i < n; i++, next()) total += value();
        acc[0] = fround(total);
      };
    case 'max': {
      const init = isInt ? I32_MIN : -Infinity;
      return () => {
        reset();
        let best = init;
        for (let i = 0; i < n; i++, next()) {
          const x = value();
          if (best === best && !(x <= best)) best = x; // a nan, once seen, stays
        }
        acc[0] = best;
      };
    }
    case 'argmax':
      return () => {
        reset();
        let best = 0;
        let bestValue = NaN;
        for (let i = 0; i < n; i++, next()) {
          const x = value();
          if (i === 0 || x > bestValue || x !== x) {
            best = i;
            bestValue = x;
            if (x !== x) break; // the first nan is the largest
          }
        }
        acc[0] = best;
      };
  }
}

/** A load at base(point) + stride · r over the single reduction variable r, when its index is linear. */
function stridedLoad(e: ValueExpr, s: Scope, rank: number): { arr: Float32Array; base: Fn; stride: number } | undefined {
  if (e.k !== 'load' || e.dtype !== 'f32') return undefined;
  const arr = s.arrays.get(e.buffer);
  const l = linearize(e.index, s.sizes);
  if (!(arr instanceof Float32Array) || !l) return undefined;
  const stride = l.terms.find((t) => t.axis === rank)?.coeff ?? 0;
  return { arr, base: linearClosure({ constant: l.constant, terms: l.terms.filter((t) => t.axis !== rank) }, s.vars), stride };
}

/**
 * The hot loops of matmul and row reductions without a closure call per element: an f32 sum
 * over one axis of a load, or of the product of two loads, at strided offsets. Same arithmetic
 * as the general path (each product rounded to f32, the sum in a double).
 */
function stridedSum(r: Reduction, s: Scope, rank: number): (() => void) | undefined {
  if (r.op !== 'sum' || r.shape.length !== 1 || r.value.dtype !== 'f32') return undefined;
  const n = r.shape[0]!;
  const acc = s.acc;
  const one = stridedLoad(r.value, s, rank);
  if (one) {
    const { arr: a, base, stride } = one;
    return () => {
      let total = 0;
      for (let i = 0, ia = base(); i < n; i++, ia += stride) total += a[ia]!;
      acc[0] = fround(total);
    };
  }
  if (r.value.k !== 'binary' || r.value.fn !== 'mul') return undefined;
  const [x, y] = [stridedLoad(r.value.a, s, rank), stridedLoad(r.value.b, s, rank)];
  if (!x || !y) return undefined;
  const [a, b, baseA, baseB, sa, sb] = [x.arr, y.arr, x.base, y.base, x.stride, y.stride];
  return () => {
    let total = 0;
    for (let i = 0, ia = baseA(), ib = baseB(); i < n; i++, ia += sa, ib += sb) total += fround(a[ia]! * b[ib]!);
    acc[0] = fround(total);
  };
}

/** Compiles one kernel into a function that runs it over the given arrays. */
export function compileKernel(k: Kernel, arrays: ReadonlyMap<string, Storage>): () => void {
  const rank = k.shape.length;
  const sizes = [...k.shape, ...(k.reduce?.shape ?? [])];
  const s: Scope = { kernel: k.name, shape: k.shape, sizes, vars: new Int32Array(sizes.length + 1), point: sizes.length, arrays, acc: new Float64Array(1) };
  const fold = k.reduce ? compileFold(k.reduce, s, rank) : undefined;
  const values = k.stores.map((st) => compileValue(st.value, s));
  const outs = k.stores.map((st) => {
    const arr = arrays.get(st.buffer);
    if (!arr) throw new KilnRuntimeError('runtime', `kernel '${k.name}' stores to unknown buffer '${st.buffer}'`);
    return arr;
  });
  const n = numelOf(k.shape);
  const v = s.vars;
  const p = s.point;
  const extents = k.shape;
  const counted = countingStores(k, arrays);
  const advance = (): void => {
    for (let a = rank - 1; a >= 0; a--) {
      if (++v[a]! < extents[a]!) return;
      v[a] = 0;
    }
  };
  if (values.length === 1 && counted.length === 0) {
    const [value, out] = [values[0]!, outs[0]!];
    return () => {
      v.fill(0);
      for (let i = 0; i < n; i++, advance()) {
        v[p] = i;
        if (fold) fold();
        out[i] = value();
      }
    };
  }
  // Sibling stores: every value of a point is computed before any is written, so an output may
  // sit in place over an input it reads at the same point.
  const held = new Float64Array(values.length);
  return () => {
    v.fill(0);
    for (let i = 0; i < n; i++, advance()) {
      v[p] = i;
      if (fold) fold();
      for (let j = 0; j < values.length; j++) held[j] = values[j]!();
      for (let j = 0; j < outs.length; j++) outs[j]![i] = held[j]!;
      // As stored (rounded to f32): x - x is 0 unless x is NaN or ±Infinity.
      for (const c of counted) if (outs[c.store]![i]! - outs[c.store]![i]! !== 0) c.counts[c.index]++;
    }
  };
}

/** The stores of `k` that count their non-finite values (a guarded program's updates), with their count arrays. */
function countingStores(k: Kernel, arrays: ReadonlyMap<string, Storage>): { store: number; counts: Storage; index: number }[] {
  return k.stores.flatMap((st, store) => {
    if (!st.countNonFinite) return [];
    const counts = arrays.get(st.countNonFinite.buffer);
    if (!counts) throw new KilnRuntimeError('runtime', `kernel '${k.name}' counts into unknown buffer '${st.countNonFinite.buffer}'`);
    return [{ store, counts, index: st.countNonFinite.index }];
  });
}

/** Compiles a program's schedule over its buffers' arrays: the result runs every kernel in order. */
export function compileSchedule(p: KernelProgram, arrays: ReadonlyMap<string, Storage>): () => void {
  const kernels = p.kernels.map((k) => compileKernel(k, arrays));
  return () => {
    for (const run of kernels) run();
  };
}
