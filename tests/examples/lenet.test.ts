// The LeNet-5 example: convolutions, pooling and dense layers trained on the digits. The example
// runs 10 epochs on all 10,000 digits (97.7% test accuracy here); the test trains 4 epochs on
// 5,000 of them on the Wasm backend and checks a lower bound.

import { expect, test } from 'vitest';
import { lenetGraph } from '../../examples/lenet.js';
import { train } from '../../examples/mnist-mlp.js';

test('the example model is LeNet-5: 5×5 convolutions of 6 and 16 filters, dense 400-120-84-10', () => {
  const g = lenetGraph();
  expect(g.params.map((p) => [p.name, p.type.shape])).toEqual([
    ['conv1.w', [5, 5, 1, 6]],
    ['conv1.b', [6]],
    ['conv2.w', [5, 5, 6, 16]],
    ['conv2.b', [16]],
    ['fc1.w', [400, 120]],
    ['fc1.b', [120]],
    ['fc2.w', [120, 84]],
    ['fc2.b', [84]],
    ['out.w', [84, 10]],
    ['out.b', [10]],
  ]);
});

test('trained on 4,000 digits for 4 epochs, it classifies more than 93% of 500 unseen test digits', async () => {
  const r = await train({ graph: lenetGraph(), backend: 'wasm', count: 5000, epochs: 4, batchSize: 64, lr: 2e-3, patience: 4, seed: 6 });
  console.log(`LeNet-5: test accuracy ${r.test.accuracy.toFixed(4)}, best epoch ${r.bestEpoch}, ${r.seconds.toFixed(1)} s`);
  expect(r.sizes).toEqual({ train: 4000, validation: 500, test: 500 });
  expect(r.test.accuracy).toBeGreaterThan(0.93);
  expect(r.history[0]!['loss']).toBeGreaterThan(2 * r.history[r.bestEpoch]!['loss']!);
}, 120_000);
