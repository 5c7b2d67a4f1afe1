// Labels out of range and empty batches in the losses and metrics that take i32 labels, on every
// backend, with the values their docs give: softmax_cross_entropy leaves an example whose label
// is outside [0, C) out of its mean (0 when none is left); accuracy counts it as a miss; over
// an empty batch the loss is 0 and the accuracy is 0 / 0 = nan.

import { expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { describeEachBackend } from './backends.js';
import { closeEnough } from './tolerance.js';

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

/** loss and accuracy of logits f32[B, 3] against labels i32[B]. */
function metrics(): Graph {
  const b = new GraphBuilder('labels');
  const z = b.input('z', { dtype: 'f32', shape: ['B', 3] });
  const y = b.input('y', { dtype: 'i32', shape: ['B'] });
  b.output('loss', b.emit('softmax_cross_entropy', [z, y]));
  b.output('accuracy', b.emit('accuracy', [z, y]));
  return b.build();
}

/** Rows whose largest logit is at class 2; -log softmax at class 2 is 0.4076059645. */
const rows = (n: number) => Float32Array.from({ length: 3 * n }, (_, i) => i % 3);

const CASES: [string, number[], number, number][] = [
  ['labels in range', [2, 0, 2, 1], (0.4076059645 * 2 + 2.4076059645 + 1.4076059645) / 4, 0.5],
  ['some labels out of range', [2, -1, 3, I32_MAX], 0.4076059645, 0.25],
  ['every label out of range', [-1, 3, 1_000_000, I32_MIN], 0, 0],
  ['an empty batch', [], 0, Number.NaN],
];

describeEachBackend((backend) => {
  it.each(CASES)('softmax_cross_entropy and accuracy: %s', async (_name, labels, loss, accuracy) => {
    const shapes = { B: labels.length };
    const exe = await compile(metrics(), { backend, shapes });
    const out = await exe.run({ z: rows(labels.length), y: Int32Array.from(labels) });
    expect(closeEnough(Number(out['loss']!.data[0]), loss), `loss ${out['loss']!.data[0]}`).toBe(true);
    expect(closeEnough(Number(out['accuracy']!.data[0]), accuracy), `accuracy ${out['accuracy']!.data[0]}`).toBe(true);
  });
});
