// Indexing primitives: gather (numpy `take` along an axis) and one_hot.

import { fail } from '../errors.js';
import { primitive } from '../op.js';
import { normalizeAxis, numel } from '../types.js';
import { Grad } from './grad.js';
import { ANY, requireDType } from './util.js';

export const gather = primitive({
  name: 'gather',
  doc: 'takes slices of x along `axis` at i32 `indices`: shape x[:axis] + indices + x[axis+1:]',
  category: 'index',
  operands: ['x', 'indices'],
  infer([x, indices], { axis }) {
    requireDType('gather', 'x', x!, ANY);
    requireDType('gather', 'indices', indices!, ['i32']);
    const a = normalizeAxis(axis, x!.shape.length, 'gather');
    return { dtype: x!.dtype, shape: [...x!.shape.slice(0, a), ...indices!.shape, ...x!.shape.slice(a + 1)] };
  },
  evaluate([x, indices], { axis }, out, ctx) {
    const a = normalizeAxis(axis, x!.shape.length, 'gather');
    const n = x!.shape[a]!;
    const inner = numel(x!.shape.slice(a + 1));
    const outer = numel(x!.shape.slice(0, a));
    const count = indices!.data.length;
    const data = ctx.alloc(out.dtype, numel(out.shape));
    for (let j = 0; j < count; j++) {
      const k = indices!.data[j]!;
      if (k < 0 || k >= n) fail('runtime', `gather: index ${k} is out of range for axis ${axis} of size ${n}`);
    }
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < count; j++) {
        const src = (o * n + indices!.data[j]!) * inner;
        const dst = (o * count + j) * inner;
        for (let i = 0; i < inner; i++) data[dst + i] = x!.data[src + i]!;
      }
    }
    return { dtype: out.dtype, shape: out.shape, data };
  },
  // dx[pre, k, post] = sum over index positions j of [indices[j] == k] * g[pre, j, post]: a
  // one-hot of the indices, broadcast against g and summed over the index axes.
  vjp(e, { inputs: [x, indices], g, attrs: { axis } }) {
    const d = new Grad(e);
    const xs = d.shape(x!);
    const a = normalizeAxis(axis, xs.length, 'gather');
    const n = xs[a]!;
    if (typeof n !== 'number') fail('shape', `gather: the gradient needs a concrete size for axis ${axis}, got ${n}`);
    const is = d.shape(indices!);
    const pre = xs.slice(0, a);
    const post = xs.slice(a + 1);
    const ones = (k: number) => new Array<number>(k).fill(1);
    const hot = e.emit('one_hot', [indices!], { depth: n, dtype: 'f32' });
    const hotB = d.reshape(hot, [...ones(pre.length), ...is, n, ...ones(post.length)]);
    const gB = d.reshape(g, [...pre, ...is, 1, ...post]);
    const indexAxes = is.map((_, i) => pre.length + i);
    const summed = e.emit('reduce_sum', [d.mul(hotB, gB)], { axes: indexAxes, keepdims: false });
    return [summed, undefined];
  },
});

export const one_hot = primitive({
  name: 'one_hot',
  doc: 'a new last axis of size `depth`: 1 at the index, 0 elsewhere (all 0 for an index out of range)',
  category: 'index',
  operands: ['indices'],
  infer([indices], { depth, dtype }) {
    requireDType('one_hot', 'indices', indices!, ['i32']);
    if (depth < 0) fail('attr', `one_hot: depth must be non-negative, got ${depth}`);
    return { dtype, shape: [...indices!.shape, depth] };
  },
  evaluate([indices], { depth, dtype }, out, ctx) {
    const data = ctx.alloc(dtype, numel(out.shape));
    for (let j = 0; j < indices!.data.length; j++) {
      const k = indices!.data[j]!;
      if (k >= 0 && k < depth) data[j * depth + k] = 1;
    }
    return { dtype, shape: out.shape, data };
  },
  vjp: 'none',
});
