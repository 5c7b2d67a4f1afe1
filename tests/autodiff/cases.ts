// The finite-difference gradient checks of every differentiable op, as data: one table keyed by
// op name (a renamed op fails to type-check here), which coverage.test.ts runs and checks
// against the registry. The suites beside it test each op's corners in more depth.

import type { GraphBuilder } from '../../src/ir/emit.js';
import type { OpName } from '../../src/ir/op.js';
import { awayFromZero, distinct, positive, uniform } from './gradcheck.js';
import type { Gen, GradCheckOptions, InputSpec } from './gradcheck.js';

export interface GradCase {
  label: string;
  build: (b: GraphBuilder) => string;
  inputs: Record<string, InputSpec>;
  options?: GradCheckOptions;
}

export type CaseTable = { readonly [N in OpName]?: readonly GradCase[] };

/** Unary elementwise ops with the values each is checked on (away from kinks and poles). */
export const UNARY_GENS = {
  neg: uniform(),
  abs: awayFromZero(),
  exp: uniform(-2, 2),
  log: positive(0.2, 3),
  sqrt: positive(0.2, 3),
  rsqrt: positive(0.2, 3),
  tanh: uniform(-2, 2),
  sigmoid: uniform(-4, 4),
  relu: awayFromZero(),
  sin: uniform(-3, 3),
  cos: uniform(-3, 3),
} as const satisfies { [N in OpName]?: Gen };

/** Binary elementwise ops with generators for a and b: b off 0 for div, a positive for pow, a and b apart for max and min. */
export const BINARY_GENS = {
  add: [uniform(), uniform()],
  sub: [uniform(), uniform()],
  mul: [uniform(), uniform()],
  div: [uniform(), awayFromZero(0.5, 2)],
  pow: [positive(0.5, 2), uniform(-2, 2)],
  max: [distinct(0.2, 0), distinct(0.2, 0.1)],
  min: [distinct(0.2, 0), distinct(0.2, 0.1)],
} as const satisfies { [N in OpName]?: readonly [Gen, Gen] };

const one = (label: string, build: GradCase['build'], inputs: GradCase['inputs'], options?: GradCheckOptions): readonly GradCase[] => [
  options ? { label, build, inputs, options } : { label, build, inputs },
];

const unaryCases = Object.fromEntries(Object.entries(UNARY_GENS).map(([op, gen]) => [op, one('[2,3]', (b) => b.emitDynamic(op, ['x']), { x: { shape: [2, 3], gen } })]));
const binaryCases = Object.fromEntries(
  Object.entries(BINARY_GENS).map(([op, [ga, gb]]) => [
    op,
    one('[2,3] with [3]', (b) => b.emitDynamic(op, ['a', 'b']), { a: { shape: [2, 3], gen: ga }, b: { shape: [3], gen: gb } }),
  ]),
);

const x23: Record<string, InputSpec> = { x: { shape: [2, 3] } };

/** Every differentiable op's check: primitives with a VJP, and every composite. */
export const GRAD_CASES: CaseTable = {
  ...unaryCases,
  ...binaryCases,
  where: one('cond a row', (b) => b.emit('where', ['c', 'a', 'b']), { c: { shape: [3], dtype: 'bool', values: [1, 0, 1] }, a: { shape: [2, 3] }, b: { shape: [2, 3] } }),
  cast: one('f32 to f32', (b) => b.emit('cast', ['x'], { to: 'f32' }), x23),
  reduce_sum: one('axis 1', (b) => b.emit('reduce_sum', ['x'], { axes: [1] }), { x: { shape: [2, 3, 4] } }),
  reduce_max: one('axis 1, distinct values', (b) => b.emit('reduce_max', ['x'], { axes: [1] }), { x: { shape: [2, 3, 4], gen: distinct(0.1) } }),
  reshape: one('[2,3] to [3,2]', (b) => b.emit('reshape', ['x'], { shape: [3, 2] }), x23),
  broadcast_to: one('[3] to [2,3]', (b) => b.emit('broadcast_to', ['x'], { shape: [2, 3] }), { x: { shape: [3] } }),
  transpose: one('[1,0]', (b) => b.emit('transpose', ['x'], { perm: [1, 0] }), x23),
  slice: one('a strided window', (b) => b.emit('slice', ['x'], { begin: [0, 1], end: [3, 4], stride: [2, 2] }), { x: { shape: [3, 4] } }),
  pad: one('both sides of axis 1', (b) => b.emit('pad', ['x'], { before: [0, 1], after: [0, 2], value: 0.5 }), x23),
  concat: one('axis 1', (b) => b.emit('concat', ['a', 'b'], { axis: 1 }), { a: { shape: [2, 3] }, b: { shape: [2, 1] } }),
  matmul: one('[2,3] @ [3,4]', (b) => b.emit('matmul', ['a', 'b']), { a: { shape: [2, 3] }, b: { shape: [3, 4] } }),
  gather: one('rows, one repeated', (b) => b.emit('gather', ['x', 'i'], { axis: 0 }), { x: { shape: [3, 2] }, i: { shape: [4], dtype: 'i32', values: [2, 0, 2, 1] } }),
  mean: one('axis 0', (b) => b.emit('mean', ['x'], { axes: [0] }), { x: { shape: [3, 4] } }),
  softmax: one('last axis', (b) => b.emit('softmax', ['x']), { x: { shape: [3, 4], gen: distinct(0.3) } }),
  log_softmax: one('last axis', (b) => b.emit('log_softmax', ['x']), { x: { shape: [3, 4], gen: distinct(0.3) } }),
  identity: one('[2,3]', (b) => b.emit('identity', ['x']), x23),
  square: one('[2,3]', (b) => b.emit('square', ['x']), x23),
  clip: one('values on both sides of the bounds', (b) => b.emit('clip', ['x'], { min: -0.5, max: 0.5 }), { x: { shape: [4, 5], gen: distinct(0.1, 0.05) } }),
  dense: one('[2,3] @ [3,4] + [4]', (b) => b.emit('dense', ['x', 'w', 'b']), { x: { shape: [2, 3] }, w: { shape: [3, 4] }, b: { shape: [4] } }),
  mae: one('a matrix', (b) => b.emit('mae', ['p', 't']), { p: { shape: [2, 3], gen: distinct(0.1) }, t: { shape: [2, 3], gen: distinct(0.1, 0.05) } }),
  mse: one('a column', (b) => b.emit('mse', ['p', 't']), { p: { shape: [3, 1] }, t: { shape: [3, 1] } }),
  binary_cross_entropy: one('inside the clip range', (b) => b.emit('binary_cross_entropy', ['p', 't']), {
    p: { shape: [2, 3], gen: uniform(0.1, 0.9) },
    t: { shape: [2, 3], gen: uniform(0, 1) },
  }),
  sigmoid_cross_entropy: one('logits 0 included', (b) => b.emit('sigmoid_cross_entropy', ['z', 't']), {
    z: { shape: [2, 3], values: [0, -3, 2.5, 0.7, -0.2, 0] },
    t: { shape: [2, 3], gen: uniform(0, 1) },
  }),
  softmax_cross_entropy: one('i32 labels', (b) => b.emit('softmax_cross_entropy', ['z', 'y']), {
    z: { shape: [3, 4], gen: distinct(0.3) },
    y: { shape: [3], dtype: 'i32', values: [0, 3, 1] },
  }),
  softmax_cross_entropy_onehot: one('soft targets', (b) => b.emit('softmax_cross_entropy_onehot', ['z', 't']), {
    z: { shape: [2, 3], gen: distinct(0.3) },
    t: { shape: [2, 3], values: [0.2, 0.5, 0.3, 0.1, 0.1, 0.8] },
  }),
  l1_penalty: one('away from 0', (b) => b.emit('l1_penalty', ['w']), { w: { shape: [2, 3], gen: awayFromZero() } }),
  l2_penalty: one('[2,3]', (b) => b.emit('l2_penalty', ['w']), { w: { shape: [2, 3] } }),
  conv2d: [
    {
      label: "3×3 'same' at stride 2, 2 → 3 channels",
      build: (b) => b.emit('conv2d', ['x', 'w'], { strides: [2, 2], padding: 'same' }),
      inputs: { x: { shape: [2, 5, 4, 2] }, w: { shape: [3, 3, 2, 3] } },
    },
    { label: '2×2 dilated by 2, valid', build: (b) => b.emit('conv2d', ['x', 'w'], { dilations: [2, 2] }), inputs: { x: { shape: [1, 4, 5, 1] }, w: { shape: [2, 2, 1, 2] } } },
  ],
  max_pool2d: one("2×2 'same' at stride 2 (values apart: no ties)", (b) => b.emit('max_pool2d', ['x'], { size: [2, 2], padding: 'same' }), {
    x: { shape: [1, 5, 3, 2], gen: distinct(0.3, 0) },
  }),
  avg_pool2d: one("3×3 'same' at stride 1", (b) => b.emit('avg_pool2d', ['x'], { size: [3, 3], strides: [1, 1], padding: 'same' }), { x: { shape: [1, 3, 4, 2] } }),
  global_avg_pool2d: one('[2,3,4,2]', (b) => b.emit('global_avg_pool2d', ['x']), { x: { shape: [2, 3, 4, 2] } }),
  upsample2d: one('[1,2,3,2] by 2×3', (b) => b.emit('upsample2d', ['x'], { scale: [2, 3] }), { x: { shape: [1, 2, 3, 2] } }),
  layer_norm: [
    { label: 'the last axis', build: (b) => b.emit('layer_norm', ['x', 'g', 'b']), inputs: { x: { shape: [3, 4] }, g: { shape: [4] }, b: { shape: [4] } } },
    { label: 'axis 1 of 3', build: (b) => b.emit('layer_norm', ['x', 'g', 'b'], { axis: 1 }), inputs: { x: { shape: [2, 3, 2] }, g: { shape: [3] }, b: { shape: [3] } } },
  ],
  dropout: one('training at a fixed seed', (b) => b.emit('dropout', ['x'], { rate: 0.5, seed: 7, training: true }), { x: { shape: [4, 4] } }),
  // Piecewise constant: the gradient is 0, and so are the differences at distinct values.
  accuracy: one(
    'distinct logits',
    (b) => b.emit('accuracy', ['z', 'y']),
    { z: { shape: [3, 4], gen: distinct(0.3) }, y: { shape: [3], dtype: 'i32', values: [0, 3, 1] } },
    { allowZero: true },
  ),
  binary_accuracy: one(
    'scores off the threshold',
    (b) => b.emit('binary_accuracy', ['s', 't']),
    { s: { shape: [2, 3], gen: distinct(0.3, 0.05) }, t: { shape: [2, 3], gen: uniform(0, 1) } },
    { allowZero: true },
  ),
};
