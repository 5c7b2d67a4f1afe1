// Reductions at one point of a kernel, left in a local (KernelFn.acc): sums in a double like
// reduce_sum (i32 sums wrapping), maxima that keep a nan once seen, argmax's first index of the
// largest; or in row mode four steps of the last reduction axis at a time (simd.ts's laneFold).

import type { Reduction } from '../../../runtime/kernel-ir.js';
import { numelOf } from '../../../runtime/tensor.js';
import type { Expr } from './binaryen.js';
import type { KernelFn } from './kernel-fn.js';
import { wasmType, type VectorHost } from './kernel-host.js';
import { nest } from './loops.js';
import type { ScalarGen } from './scalar.js';
import { LANES, VectorGen, laneFold } from './simd.js';

const I32_MIN = -2147483648;

/**
 * The reduction at the current point with four steps of its last axis at a time (row mode),
 * left in a local (f.acc). Sums add the lanes' f64 totals and the scalar rest at the end, so
 * they may differ from the scalar order in the last bit of the f64 sum; a max keeps a nan.
 */
function rowFold(f: KernelFn, s: ScalarGen, host: VectorHost, r: Reduction, rank: number): Expr {
  const m = f.m;
  const vt = wasmType(r.value.dtype);
  const lanes = new VectorGen(host, f.p, f.layout, f.k, 'row');
  const lastAxis = rank + r.shape.length - 1;
  const L = r.shape[r.shape.length - 1]!;
  const j = f.vars[lastAxis]!;
  const [x, acc] = [f.local('v128'), f.local('v128')];
  const [v, getJ] = [(l: number): Expr => m.get(l, 'v128'), (): Expr => m.get(j, 'i32')];
  const bump = (by: number): Expr => m.set(j, m.i32('add', getJ(), m.i32Const(by)));
  const rowLoop = (vectorStep: Expr[], scalarStep: Expr[]): Expr => {
    const [four, one] = [f.label('lanes'), f.label('rest')];
    const row = [
      m.set(j, m.i32Const(0)),
      m.loop(four, m.block([m.set(x, lanes.lanes(r.value, vt)), ...vectorStep, bump(LANES), m.br(four, m.i32('le_s', getJ(), m.i32Const(L - LANES)))])),
    ];
    if (L % LANES) row.push(m.loop(one, m.block([...scalarStep, bump(1), m.br(one, m.i32('lt_s', getJ(), m.i32Const(L)))])));
    return nest(
      f,
      r.shape.slice(0, -1).map((_, a) => rank + a),
      r.shape.slice(0, -1),
      row,
    );
  };
  const empty = numelOf(r.shape) === 0;
  const fold = laneFold(m, r.op as 'sum' | 'max', vt === 'f32', acc, () => f.local('v128'));
  if (fold.hi !== undefined) {
    // f32 sum: the lanes' f64 totals and the scalar rest's, added at the end.
    const [hi, total, out] = [fold.hi, f.local('f64'), f.local('f32')];
    f.acc = { local: out, t: 'f32' };
    const loop = rowLoop(fold.step(x), [m.set(total, m.float('f64', 'add', m.get(total, 'f64'), m.convert('f64_from_f32', s.coerce(s.value(r.value), 'f32'))))]);
    const lane = (l: number, i: number): Expr => m.f64x2Lane(v(l), i);
    const sum = m.float(
      'f64',
      'add',
      m.float('f64', 'add', m.float('f64', 'add', lane(acc, 0), lane(acc, 1)), m.float('f64', 'add', lane(hi, 0), lane(hi, 1))),
      m.get(total, 'f64'),
    );
    return m.block([...fold.init, m.set(total, m.f64Const(0)), ...(empty ? [] : [loop]), m.set(out, m.convert('f32_from_f64', sum))]);
  }
  const best = f.local(vt);
  f.acc = { local: best, t: vt };
  const gb = (): Expr => m.get(best, vt);
  // Folds scalar `y` into best with the scalar path's rule (a nan, once seen, stays).
  const take = (y: () => Expr): Expr => {
    if (r.op === 'sum') return m.set(best, m.i32('add', gb(), y()));
    if (vt === 'i32') return m.if(m.i32('gt_s', y(), gb()), m.set(best, y()));
    return m.if(m.i32('and', m.float('f32', 'eq', gb(), gb()), m.i32Unary('eqz', m.float('f32', 'le', y(), gb()))), m.set(best, y()));
  };
  const y = f.local(vt);
  const scalarStep = [m.set(y, s.coerce(s.value(r.value), vt)), take(() => m.get(y, vt))];
  const laneOf = (i: number): Expr => (vt === 'f32' ? m.f32x4Lane(v(acc), i) : m.i32x4Lane(v(acc), i));
  const scalarInit = r.op === 'sum' ? m.i32Const(0) : vt === 'f32' ? m.f32Const(-Infinity) : m.i32Const(I32_MIN);
  // The scalar rest first, then the lanes in order.
  return m.block([...fold.init, m.set(best, scalarInit), ...(empty ? [] : [rowLoop(fold.step(x), scalarStep)]), ...[0, 1, 2, 3].map((i) => take(() => laneOf(i)))]);
}

/** The reduction at the current point, left in a local (f.acc). */
export function fold(f: KernelFn, s: ScalarGen, r: Reduction, rank: number, rowHost?: () => VectorHost): Expr {
  if (rowHost) return rowFold(f, s, rowHost(), r, rank);
  const m = f.m;
  const vt = wasmType(r.value.dtype);
  const axes = r.shape.map((_, j) => rank + j);
  const empty = numelOf(r.shape) === 0;
  const valueOf = (): Expr => s.coerce(s.value(r.value), vt);
  switch (r.op) {
    case 'sum': {
      if (vt === 'i32') {
        const total = f.local('i32');
        f.acc = { local: total, t: 'i32' };
        const step = m.set(total, m.i32('add', m.get(total, 'i32'), valueOf()));
        return m.block([m.set(total, m.i32Const(0)), empty ? m.block([]) : nest(f, axes, r.shape, [step])]);
      }
      // A double accumulator, as reduce_sum has; rounded to f32 once at the end.
      const [total, out] = [f.local('f64'), f.local('f32')];
      f.acc = { local: out, t: 'f32' };
      const step = m.set(total, m.float('f64', 'add', m.get(total, 'f64'), m.convert('f64_from_f32', valueOf())));
      return m.block([m.set(total, m.f64Const(0)), empty ? m.block([]) : nest(f, axes, r.shape, [step]), m.set(out, m.convert('f32_from_f64', m.get(total, 'f64')))]);
    }
    case 'max': {
      const [best, x] = [f.local(vt), f.local(vt)];
      const [gb, gx] = [() => m.get(best, vt), () => m.get(x, vt)];
      f.acc = { local: best, t: vt };
      // A nan, once seen, stays: replace while best is not nan and x is not ≤ best.
      const better = vt === 'f32' ? m.i32('and', m.float('f32', 'eq', gb(), gb()), m.i32Unary('eqz', m.float('f32', 'le', gx(), gb()))) : m.i32('gt_s', gx(), gb());
      const step = m.block([m.set(x, valueOf()), m.if(better, m.set(best, gx()))]);
      const init = vt === 'f32' ? m.f32Const(-Infinity) : m.i32Const(I32_MIN);
      return m.block([m.set(best, init), empty ? m.block([]) : nest(f, axes, r.shape, [step])]);
    }
    case 'argmax': {
      const [best, i, bestValue, x] = [f.local('i32'), f.local('i32'), f.local(vt), f.local(vt)];
      const [gi, gx] = [() => m.get(i, 'i32'), () => m.get(x, vt)];
      f.acc = { local: best, t: 'i32' };
      const done = f.label('argmax');
      const isNan = vt === 'f32' ? m.float('f32', 'ne', gx(), gx()) : m.i32Const(0);
      const greater = vt === 'f32' ? m.float('f32', 'gt', gx(), m.get(bestValue, vt)) : m.i32('gt_s', gx(), m.get(bestValue, vt));
      // The first index of the largest; the first nan counts as the largest and ends the search.
      const take = m.i32('or', m.i32('or', m.i32Unary('eqz', gi()), greater), isNan);
      const step = m.block([
        m.set(x, valueOf()),
        m.if(take, m.block([m.set(best, gi()), m.set(bestValue, gx()), m.br(done, vt === 'f32' ? m.float('f32', 'ne', gx(), gx()) : m.i32Const(0))])),
        m.set(i, m.i32('add', gi(), m.i32Const(1))),
      ]);
      return m.block([m.set(best, m.i32Const(0)), m.set(i, m.i32Const(0)), empty ? m.block([]) : nest(f, axes, r.shape, [step], done)]);
    }
  }
}
