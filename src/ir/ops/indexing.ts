// Indexing primitives: gather (numpy `take` along an axis) and one_hot.

import { fail } from '../errors.js';
import { attr, primitive } from '../op.js';
import { normalizeAxis, numel } from '../types.js';
import { ANY, requireDType } from './util.js';

export const gather = primitive({
  name: 'gather',
  doc: 'takes slices of x along `axis` at i32 `indices`: shape x[:axis] + indices + x[axis+1:]',
  category: 'index',
  operands: ['x', 'indices'],
  attrs: { axis: attr.int(0) },
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
});

export const one_hot = primitive({
  name: 'one_hot',
  doc: 'a new last axis of size `depth`: 1 at the index, 0 elsewhere (all 0 for an index out of range)',
  category: 'index',
  operands: ['indices'],
  attrs: { depth: attr.int(), dtype: attr.dtype('f32') },
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
});
