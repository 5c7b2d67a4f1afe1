// One small, valid application of every op in the registry, shared by the text and JSON
// round-trip tests: a new op without a sample here fails those tests.

import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph, Initializer } from '../../src/ir/graph.js';
import { SLICE_END } from '../../src/ir/ops/movement.js';
import type { TensorType } from '../../src/ir/types.js';

/** An operand: a graph input of a type, or a parameter with an initializer. */
export type SampleOperand = TensorType | { param: TensorType; init: Initializer };

export interface OpSample {
  operands: SampleOperand[];
  attrs?: Record<string, unknown>;
}

const f32 = (...shape: (number | string)[]): TensorType => ({ dtype: 'f32', shape });
const i32 = (...shape: (number | string)[]): TensorType => ({ dtype: 'i32', shape });
const bool = (...shape: (number | string)[]): TensorType => ({ dtype: 'bool', shape });

const unaryF = { operands: [f32('B', 3)] };
const unaryN = { operands: [i32(2, 'N')] };
const binaryF = { operands: [f32('B', 3), f32(3)] };
const binaryI = { operands: [i32(4, 1), i32(1, 5)] };

export const OP_SAMPLES: Readonly<Record<string, OpSample>> = {
  constant: { operands: [], attrs: { dtype: 'f32', shape: [2, 2], value: [1, -2.5, 0.1, 1e-30] } },
  neg: unaryN,
  abs: unaryF,
  exp: unaryF,
  log: unaryF,
  sqrt: unaryF,
  rsqrt: unaryF,
  tanh: unaryF,
  sigmoid: unaryF,
  relu: unaryN,
  sign: unaryF,
  step: unaryN,
  sin: unaryF,
  cos: unaryF,
  add: binaryF,
  sub: binaryI,
  mul: binaryF,
  div: binaryI,
  pow: binaryF,
  max: binaryF,
  min: binaryI,
  eq: { operands: [bool('B'), bool(1)] },
  ne: binaryI,
  lt: binaryF,
  le: binaryI,
  gt: binaryF,
  ge: binaryF,
  where: { operands: [bool('B', 3), f32('B', 3), f32()] },
  cast: { operands: [f32('B', 3)], attrs: { to: 'i32' } },
  reduce_sum: { operands: [f32('B', 3, 4)], attrs: { axes: [1, -1], keepdims: true } },
  reduce_max: { operands: [i32(2, 3)], attrs: { axes: [0] } },
  argmax: { operands: [f32('B', 10)], attrs: { axis: 1 } },
  reshape: { operands: [f32('B', 6)], attrs: { shape: ['B', 2, 3] } },
  broadcast_to: { operands: [f32(3)], attrs: { shape: ['B', 3] } },
  transpose: { operands: [f32('B', 3, 4)], attrs: { perm: [2, 0, 1] } },
  slice: { operands: [f32(4, 5)], attrs: { begin: [0, -3], end: [2, SLICE_END], stride: [1, 2] } },
  pad: { operands: [f32(2, 3)], attrs: { before: [1, 0], after: [0, 2], value: -0.5 } },
  concat: { operands: [f32(2, 'B'), f32(3, 'B'), f32(1, 'B')], attrs: { axis: 0 } },
  matmul: { operands: [f32('B', 4), { param: f32(4, 2), init: { fn: 'glorot_uniform', args: { seed: 1 } } }] },
  gather: { operands: [f32(10, 4), i32('B', 2)], attrs: { axis: 0 } },
  one_hot: { operands: [i32('B')], attrs: { depth: 10, dtype: 'i32' } },
  random_uniform: { operands: [], attrs: { shape: ['B', 3], low: -1, high: 1, seed: 7 } },
  random_normal: { operands: [i32()], attrs: { shape: [2], std: 0.02 } },
  mean: { operands: [f32('B', 3)], attrs: { axes: [0] } },
  softmax: { operands: [f32('B', 10)] },
  log_softmax: { operands: [f32('B', 10)], attrs: { axis: 0 } },
  identity: { operands: [bool(2)] },
  square: unaryF,
  clip: { operands: [f32('B')], attrs: { min: -1, max: 1 } },
  dense: {
    operands: [f32('B', 4), { param: f32(4, 2), init: { fn: 'he_normal', args: { seed: 3 } } }, { param: f32(2), init: { fn: 'zeros', args: {} } }],
  },
  mae: { operands: [f32('B', 3), f32('B', 3)] },
  mse: { operands: [f32('B', 1), f32('B', 1)] },
  binary_cross_entropy: { operands: [f32('B'), f32('B')], attrs: { eps: 1e-6 } },
  sigmoid_cross_entropy: { operands: [f32('B', 2), f32('B', 2)] },
  softmax_cross_entropy: { operands: [f32('B', 10), i32('B')] },
  softmax_cross_entropy_onehot: { operands: [f32('B', 4, 10), f32('B', 4, 10)] },
  l1_penalty: { operands: [{ param: f32(4, 2), init: { fn: 'glorot_uniform', args: { seed: 1 } } }] },
  l2_penalty: { operands: [f32(3, 'N')] },
  dropout: { operands: [f32('B', 16), i32()], attrs: { rate: 0.1, seed: 3 } },
  accuracy: { operands: [f32('B', 10), i32('B')] },
  binary_accuracy: { operands: [f32('B', 1), f32('B', 1)], attrs: { threshold: 0 } },
  conv2d: {
    operands: [f32('B', 6, 6, 2), { param: f32(3, 3, 2, 4), init: { fn: 'he_normal', args: { seed: 1 } } }],
    attrs: { strides: [2, 1], dilations: [1, 1], padding: 'same', pads: [] },
  },
  max_pool2d: { operands: [f32('B', 6, 6, 2)], attrs: { size: [2, 2], strides: [], padding: 'valid', pads: [] } },
  global_avg_pool2d: { operands: [f32('B', 4, 4, 3)] },
  upsample2d: { operands: [f32('B', 2, 3, 1)], attrs: { scale: [2, 2] } },
  layer_norm: { operands: [f32('B', 8), { param: f32(8), init: { fn: 'ones', args: {} } }, { param: f32(8), init: { fn: 'zeros', args: {} } }], attrs: { axis: -1, eps: 1e-5 } },
  avg_pool2d: { operands: [f32('B', 5, 5, 2)], attrs: { size: [3, 3], strides: [1, 1], padding: 'explicit', pads: [1, 1, 0, 1] } },
};

/** A graph applying `op` to its sample operands, returning the result as output `out`. */
export function sampleGraph(op: string): Graph {
  const sample = OP_SAMPLES[op];
  if (!sample) throw new Error(`no sample for op '${op}'`);
  const b = new GraphBuilder(`sample_${op}`);
  const operands = sample.operands.map((o, i) => ('param' in o ? b.param(`p${i}`, o.param, o.init) : b.input(`x${i}`, o)));
  b.output('out', b.emitDynamic(op, operands, sample.attrs ?? {}));
  return b.build();
}
