// Small example graphs with hand-computed outputs (XOR MLP, softmax classifier, residual block, symbolic batch, ...).

import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import type { DType, Dim } from '../../src/ir/types.js';
import { bool, f32, i32 } from './tolerance.js';
import type { TypedValue } from './tolerance.js';

export interface GraphRun {
  /** Shown in the test name. */
  name: string;
  shapes?: Record<string, number>;
  inputs: Record<string, TypedValue>;
  expected: Record<string, TypedValue>;
}

export interface GraphCase {
  name: string;
  graph: Graph;
  /** Fixed weights given with setParams (the graph's own initializers are all zeros). */
  params: Record<string, TypedValue>;
  runs: GraphRun[];
}

const zeros = { fn: 'zeros', args: {} };
const type = (dtype: DType, shape: Dim[]) => ({ dtype, shape });

/** XOR by a 2-2-1 relu MLP: h = relu(x W1 + b1), y = h w2; h is [0,0], [1,0], [1,0], [2,1]. */
function xorMlp(): GraphCase {
  const b = new GraphBuilder('xor_mlp');
  const x = b.input('x', type('f32', [4, 2]));
  const w1 = b.param('w1', type('f32', [2, 2]), zeros);
  const b1 = b.param('b1', type('f32', [2]), zeros);
  const w2 = b.param('w2', type('f32', [2, 1]), zeros);
  const y = b.emit('matmul', [b.emit('relu', [b.emit('dense', [x, w1, b1])]), w2]);
  b.output('y', y);
  b.output('label', b.emit('gt', [y, b.emit('constant', [], { value: [0.5] })]));
  return {
    name: 'xor_mlp',
    graph: b.build(),
    params: { w1: f32([2, 2], [1, 1, 1, 1]), b1: f32([2], [0, -1]), w2: f32([2, 1], [1, -2]) },
    runs: [
      {
        name: 'the four corners',
        inputs: { x: f32([4, 2], [0, 0, 0, 1, 1, 0, 1, 1]) },
        expected: { y: f32([4, 1], [0, 1, 1, 0]), label: bool([4, 1], [0, 1, 1, 0]) },
      },
    ],
  };
}

/** One row through x W + b: logits [2, 3, 4], then softmax, log_softmax, argmax and the NLL of class 2. */
function softmaxClassifier(): GraphCase {
  const b = new GraphBuilder('softmax_classifier');
  const x = b.input('x', type('f32', [1, 2]));
  const target = b.input('target', type('i32', [1]));
  const w = b.param('w', type('f32', [2, 3]), zeros);
  const bias = b.param('b', type('f32', [3]), zeros);
  const logits = b.emit('dense', [x, w, bias]);
  const logp = b.emit('log_softmax', [logits]);
  b.output('probs', b.emit('softmax', [logits]));
  b.output('logp', logp);
  b.output('class', b.emit('argmax', [logits], { axis: -1 }));
  const picked = b.emit('reduce_sum', [b.emit('mul', [b.emit('one_hot', [target], { depth: 3 }), logp])], { axes: [1] });
  b.output('loss', b.emit('neg', [picked]));
  return {
    name: 'softmax_classifier',
    graph: b.build(),
    params: { w: f32([2, 3], [1, 1, 1, 0, 1, 2]), b: f32([3], [1, 1, 1]) },
    runs: [
      {
        // softmax([2, 3, 4]) = softmax([0, 1, 2]) = [1, e, e^2] / 11.107337927
        name: 'class 2',
        inputs: { x: f32([1, 2], [1, 1]), target: i32([1], [2]) },
        expected: {
          probs: f32([1, 3], [0.0900305732, 0.2447284711, 0.6652409558]),
          logp: f32([1, 3], [-2.4076059645, -1.4076059645, -0.4076059645]),
          class: i32([1], [2]),
          loss: f32([1], [0.4076059645]),
        },
      },
    ],
  };
}

/** y = x + relu(x @ w): x @ w = [[-1, -1], [8, -2]], so y = [[1, -1], [10, 3]]. */
function residualBlock(): GraphCase {
  const b = new GraphBuilder('residual_block');
  const x = b.input('x', type('f32', [2, 2]));
  const w = b.param('w', type('f32', [2, 2]), zeros);
  b.output('y', b.emit('add', [x, b.emit('relu', [b.emit('matmul', [x, w])])]));
  return {
    name: 'residual_block',
    graph: b.build(),
    params: { w: f32([2, 2], [1, -1, 2, 0]) },
    runs: [{ name: 'two rows', inputs: { x: f32([2, 2], [1, -1, 2, 3]) }, expected: { y: f32([2, 2], [1, -1, 10, 3]) } }],
  };
}

/** y = x w + b over a symbolic batch B, with the batch total and mean. */
function batchedAffine(): GraphCase {
  const b = new GraphBuilder('batched_affine');
  const x = b.input('x', type('f32', ['B', 3]));
  const w = b.param('w', type('f32', [3, 2]), zeros);
  const bias = b.param('b', type('f32', [2]), zeros);
  const y = b.emit('dense', [x, w, bias]);
  b.output('y', y);
  b.output('total', b.emit('reduce_sum', [y], { axes: [0] }));
  b.output('avg', b.emit('mean', [y], { axes: [0] }));
  return {
    name: 'batched_affine',
    graph: b.build(),
    // w = [[1, 0], [0, 1], [1, 1]], b = [0.5, -0.5]
    params: { w: f32([3, 2], [1, 0, 0, 1, 1, 1]), b: f32([2], [0.5, -0.5]) },
    runs: [
      {
        name: 'B = 1',
        shapes: { B: 1 },
        inputs: { x: f32([1, 3], [1, 2, 3]) },
        expected: { y: f32([1, 2], [4.5, 4.5]), total: f32([2], [4.5, 4.5]), avg: f32([2], [4.5, 4.5]) },
      },
      {
        name: 'B = 3',
        shapes: { B: 3 },
        inputs: { x: f32([3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1]) },
        expected: {
          y: f32([3, 2], [1.5, -0.5, 0.5, 0.5, 1.5, 0.5]),
          total: f32([2], [3.5, 0.5]),
          avg: f32([2], [3.5 / 3, 0.5 / 3]),
        },
      },
    ],
  };
}

/** An embedding bag: gather rows of a table, average them; one_hot @ table must pick the same rows. */
function embeddingBag(): GraphCase {
  const b = new GraphBuilder('embedding_bag');
  const ids = b.input('ids', type('i32', ['N']));
  const table = b.param('table', type('f32', [4, 2]), zeros);
  const rows = b.emit('gather', [table, ids]);
  b.output('rows', rows);
  b.output('bag', b.emit('mean', [rows], { axes: [0] }));
  b.output('picked', b.emit('matmul', [b.emit('one_hot', [ids], { depth: 4 }), table]));
  return {
    name: 'embedding_bag',
    graph: b.build(),
    params: { table: f32([4, 2], [0, 1, 2, 3, 4, 5, 6, 7]) },
    runs: [
      {
        name: 'three ids',
        shapes: { N: 3 },
        inputs: { ids: i32([3], [3, 0, 3]) },
        expected: { rows: f32([3, 2], [6, 7, 0, 1, 6, 7]), bag: f32([2], [4, 5]), picked: f32([3, 2], [6, 7, 0, 1, 6, 7]) },
      },
      {
        name: 'one id',
        shapes: { N: 1 },
        inputs: { ids: i32([1], [1]) },
        expected: { rows: f32([1, 2], [2, 3]), bag: f32([2], [2, 3]), picked: f32([1, 2], [2, 3]) },
      },
    ],
  };
}

/** clip(where(x > 0, x, 0.1 x), -0.5, 10): a leaky relu, then a clip. */
function leakyClip(): GraphCase {
  const b = new GraphBuilder('leaky_clip');
  const x = b.input('x', type('f32', [4]));
  const zero = b.emit('constant', [], { value: [0] });
  const leak = b.emit('mul', [x, b.emit('constant', [], { value: [0.1] })]);
  const leaky = b.emit('where', [b.emit('gt', [x, zero]), x, leak]);
  b.output('y', b.emit('clip', [leaky], { min: -0.5, max: 10 }));
  return {
    name: 'leaky_clip',
    graph: b.build(),
    params: {},
    runs: [{ name: 'four values', inputs: { x: f32([4], [-10, -1, 0.5, 20]) }, expected: { y: f32([4], [-0.5, -0.1, 0.5, 10]) } }],
  };
}

export const GRAPHS: readonly GraphCase[] = [xorMlp(), softmaxClassifier(), residualBlock(), batchedAffine(), embeddingBag(), leakyClip()];
