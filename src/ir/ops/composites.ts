// Composite ops: each is its decomposition into other ops, and nothing else. Backends never
// see them; the reference backend runs their decompositions.

import { composite } from '../op.js';
import type { Emitter } from '../op.js';
import { formatType, normalizeAxes, normalizeAxis } from '../types.js';
import type { DType } from '../types.js';
import { fail } from '../errors.js';

/** A scalar constant of the given dtype. */
export function scalar(e: Emitter, value: number, dtype: DType = 'f32'): string {
  return e.emit('constant', [], { dtype, shape: [], value: [value] });
}

export const identity = composite({
  name: 'identity',
  doc: 'x unchanged',
  operands: ['x'],
  decompose: (_e, [x]) => x!,
});

export const square = composite({
  name: 'square',
  doc: 'x * x',
  operands: ['x'],
  decompose: (e, [x]) => e.emit('mul', [x!, x!]),
});

export const mean = composite({
  name: 'mean',
  doc: 'arithmetic mean over `axes`',
  operands: ['x'],
  decompose(e, [x], { axes, keepdims }) {
    const t = e.typeOf(x!);
    if (t.dtype !== 'f32') fail('dtype', `mean: operand 'x' must be f32, got ${formatType(t)}`);
    const norm = normalizeAxes(axes, t.shape.length, 'mean');
    const sum = e.emit('reduce_sum', [x!], { axes: norm, keepdims });
    const dims = norm.map((a) => t.shape[a]!);
    if (dims.every((d): d is number => typeof d === 'number')) {
      const count = dims.reduce((p, d) => p * d, 1);
      return e.emit('div', [sum, scalar(e, count)]);
    }
    // A symbolic axis: count its elements in the graph; constant folding resolves it once bound.
    const ones = e.emit('constant', [], { dtype: 'f32', shape: [...t.shape], value: [1] });
    return e.emit('div', [sum, e.emit('reduce_sum', [ones], { axes: norm, keepdims })]);
  },
});

/** x - max(x) along axis `a` (keepdims), the shift that keeps exp from overflowing. */
function shiftByMax(e: Emitter, x: string, a: number): string {
  return e.emit('sub', [x, e.emit('reduce_max', [x], { axes: [a], keepdims: true })]);
}

export const softmax = composite({
  name: 'softmax',
  doc: 'exp(x) / sum(exp(x)) along `axis`, computed on x - max(x) so it cannot overflow',
  operands: ['x'],
  decompose(e, [x], { axis }) {
    const a = normalizeAxis(axis, e.typeOf(x!).shape.length, 'softmax');
    const ex = e.emit('exp', [shiftByMax(e, x!, a)]);
    return e.emit('div', [ex, e.emit('reduce_sum', [ex], { axes: [a], keepdims: true })]);
  },
});

export const log_softmax = composite({
  name: 'log_softmax',
  doc: 'x - log(sum(exp(x))) along `axis`, computed on x - max(x) so it cannot overflow',
  operands: ['x'],
  decompose(e, [x], { axis }) {
    const a = normalizeAxis(axis, e.typeOf(x!).shape.length, 'log_softmax');
    const shifted = shiftByMax(e, x!, a);
    const sum = e.emit('reduce_sum', [e.emit('exp', [shifted])], { axes: [a], keepdims: true });
    return e.emit('sub', [shifted, e.emit('log', [sum])]);
  },
});

export const clip = composite({
  name: 'clip',
  doc: 'x limited to [min, max]',
  operands: ['x'],
  decompose(e, [x], { min, max }) {
    if (min > max) fail('attr', `clip: min ${min} is greater than max ${max}`);
    const dtype = e.typeOf(x!).dtype;
    return e.emit('max', [e.emit('min', [x!, scalar(e, max, dtype)]), scalar(e, min, dtype)]);
  },
});

export const dense = composite({
  name: 'dense',
  doc: 'a fully connected layer without activation: x @ w + b',
  operands: ['x', 'w', 'b'],
  decompose: (e, [x, w, b]) => e.emit('add', [e.emit('matmul', [x!, w!]), b!]),
});
