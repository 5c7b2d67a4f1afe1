// The MNIST example: an MLP trained with validation and early stopping classifies held-out digits.
// The test trains a 784-64-64-10 network on 5,000 digits: the example's 784-256-256-10 costs
// 3 to 4 ms per example and step on the reference interpreter, too slow for a unit test.

import { expect, test } from 'vitest';
import { mnistMlpGraph, train } from '../../examples/mnist-mlp.js';

test('the example model is the 784-256-256-10 MLP', () => {
  const g = mnistMlpGraph();
  expect(g.params.map((p) => [p.name, p.type.shape])).toEqual([
    ['w1', [784, 256]],
    ['b1', [256]],
    ['w2', [256, 256]],
    ['b2', [256]],
    ['w3', [256, 10]],
    ['b3', [10]],
  ]);
  expect(g.outputs.map((o) => o.name)).toEqual(['loss', 'accuracy', 'logits']);
});

test('an MLP trained on 4,000 digits classifies more than 90% of 500 unseen test digits', async () => {
  const r = await train({ count: 5000, hidden: [64, 64], epochs: 8, batchSize: 64, lr: 2e-3, patience: 3, seed: 6 });
  console.log(`MNIST 784-64-64-10: test accuracy ${r.test.accuracy.toFixed(4)}, best epoch ${r.bestEpoch}, ${r.history.length} epochs, ${r.seconds.toFixed(1)} s`);
  expect(r.sizes).toEqual({ train: 4000, validation: 500, test: 500 });
  expect(r.test.accuracy).toBeGreaterThan(0.9);
  // Every epoch was validated, and the weights kept are those of the best validation loss.
  expect(r.history.every((log) => log['val_loss'] !== undefined && log['val_accuracy'] !== undefined)).toBe(true);
  const best = Math.min(...r.history.map((log) => log['val_loss']!));
  expect(r.history[r.bestEpoch]!['val_loss']).toBe(best);
  // Learning happened: the first epoch's training loss is far above the kept epoch's.
  expect(r.history[0]!['loss']).toBeGreaterThan(2 * r.history[r.bestEpoch]!['loss']!);
}, 120_000);
