// Reductions over a list of axes (negative axes count from the end) with keepdims, and argmax.

import { fail } from '../errors.js';
import { primitive } from '../op.js';
import type { ConcreteType, EvalContext } from '../op.js';
import { formatType, normalizeAxes, normalizeAxis, numel, stridesOf } from '../types.js';
import type { Dim, Tensor, TensorType } from '../types.js';
import { Grad } from './grad.js';
import { NUMERIC, requireDType, unravel } from './util.js';

function reducedShape(shape: readonly Dim[], axes: readonly number[], keepdims: boolean): Dim[] {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/**
 * Folds every element of `x` into the output slot it reduces to: `init` seeds each slot, `step`
 * folds one value in.
 */
function reduceInto(x: Tensor, axes: readonly number[], out: ConcreteType, ctx: EvalContext, init: number, step: (acc: number, v: number) => number): Tensor {
  const data = ctx.alloc(out.dtype, numel(out.shape));
  // Accumulate in a double array so f32 sums are not rounded at every step.
  const acc = new Float64Array(data.length).fill(init);
  const keptStrides = stridesOf(x.shape.filter((_, i) => !axes.includes(i)));
  const kept = x.shape.map((_, i) => !axes.includes(i));
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape);
    let o = 0;
    for (let k = 0, j = 0; k < idx.length; k++) if (kept[k]) o += idx[k]! * keptStrides[j++]!;
    acc[o] = step(acc[o]!, x.data[i]!);
  }
  for (let i = 0; i < data.length; i++) data[i] = acc[i]!;
  return { dtype: out.dtype, shape: out.shape, data };
}

function inferReduce(op: string, x: TensorType, axes: number[], keepdims: boolean): TensorType {
  requireDType(op, 'x', x, NUMERIC);
  return { dtype: x.dtype, shape: reducedShape(x.shape, normalizeAxes(axes, x.shape.length, op), keepdims) };
}

export const reduce_sum = primitive({
  name: 'reduce_sum',
  fusion: 'fold',
  doc: 'sum over `axes` (0 over an empty axis)',
  category: 'reduce',
  operands: ['x'],
  infer: ([x], { axes, keepdims }) => inferReduce('reduce_sum', x!, axes, keepdims),
  evaluate([x], { axes }, out, ctx) {
    const add = x!.dtype === 'i32' ? (a: number, v: number) => (a + v) | 0 : (a: number, v: number) => a + v;
    return reduceInto(x!, normalizeAxes(axes, x!.shape.length, 'reduce_sum'), out, ctx, 0, add);
  },
  // Every element contributed once: the cotangent is broadcast back over the reduced axes.
  vjp(e, { inputs: [x], g, attrs: { axes } }) {
    const d = new Grad(e);
    const shape = d.shape(x!);
    const kept = d.reshape(g, Grad.keepAxes(shape, normalizeAxes(axes, shape.length, 'reduce_sum')));
    return [e.emit('broadcast_to', [kept], { shape: [...shape] })];
  },
});

export const reduce_max = primitive({
  name: 'reduce_max',
  fusion: 'fold',
  doc: 'maximum over `axes` (-inf over an empty f32 axis, the smallest i32 for i32; nan propagates)',
  category: 'reduce',
  operands: ['x'],
  infer: ([x], { axes, keepdims }) => inferReduce('reduce_max', x!, axes, keepdims),
  evaluate([x], { axes }, out, ctx) {
    const init = x!.dtype === 'i32' ? -2147483648 : -Infinity;
    const max = (a: number, v: number) => (Number.isNaN(a) || v <= a ? a : v);
    return reduceInto(x!, normalizeAxes(axes, x!.shape.length, 'reduce_max'), out, ctx, init, max);
  },
  // The cotangent goes to the elements equal to the maximum, shared equally among ties.
  vjp(e, { inputs: [x], output, g, attrs: { axes } }) {
    const d = new Grad(e);
    const shape = d.shape(x!);
    const norm = normalizeAxes(axes, shape.length, 'reduce_max');
    const keep = Grad.keepAxes(shape, norm);
    const hit = d.e.emit('cast', [d.bin('eq', x!, d.reshape(output, keep))], { to: 'f32' });
    const ties = e.emit('reduce_sum', [hit], { axes: norm, keepdims: true });
    return [d.mul(hit, d.div(d.reshape(g, keep), ties))];
  },
});

export const argmax = primitive({
  name: 'argmax',
  fusion: 'fold',
  doc: 'index of the largest element along `axis` (first on ties; a nan counts as largest), i32',
  category: 'reduce',
  operands: ['x'],
  infer([x], { axis, keepdims }) {
    requireDType('argmax', 'x', x!, NUMERIC);
    const a = normalizeAxis(axis, x!.shape.length, 'argmax');
    if (x!.shape[a] === 0) fail('shape', `argmax: axis ${axis} of ${formatType(x!)} is empty`);
    return { dtype: 'i32', shape: reducedShape(x!.shape, [a], keepdims) };
  },
  evaluate([x], { axis }, out, ctx) {
    const a = normalizeAxis(axis, x!.shape.length, 'argmax');
    const n = x!.shape[a]!;
    if (n === 0) fail('runtime', `argmax: axis ${axis} of shape [${x!.shape.join(', ')}] is empty`);
    const data = ctx.alloc('i32', numel(out.shape));
    const inner = numel(x!.shape.slice(a + 1));
    for (let o = 0; o < data.length; o++) {
      const base = Math.floor(o / inner) * n * inner + (o % inner);
      let best = 0;
      let bestV = x!.data[base]!;
      for (let k = 1; k < n && !Number.isNaN(bestV); k++) {
        const v = x!.data[base + k * inner]!;
        if (v > bestV || Number.isNaN(v)) {
          best = k;
          bestV = v;
        }
      }
      data[o] = best;
    }
    return { dtype: 'i32', shape: out.shape, data };
  },
  vjp: 'none',
});
