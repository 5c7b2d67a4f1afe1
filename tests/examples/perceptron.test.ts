// The perceptron example: SGD on the perceptron criterion separates a linearly separable set.

import { expect, test } from 'vitest';
import { perceptronData, perceptronGraph, train } from '../../examples/perceptron.js';
import { batches, compileTraining, sgd } from '../../src/index.js';

test('the untrained neuron starts with its boundary facing the wrong way', async () => {
  const untrained = await compileTraining(perceptronGraph(), { optimizer: sgd({ lr: 0.1 }), seed: 3 });
  const { loss, accuracy } = await untrained.evaluate(perceptronData(200, 3));
  expect(accuracy).toBeLessThan(0.1);
  expect(loss).toBeGreaterThan(0);
});

test('the trained perceptron classifies every training point correctly', async () => {
  const r = await train({ points: 200, epochs: 20, seed: 3 });
  expect(r.accuracy).toBe(1);
  // No point is on the wrong side, so the criterion is exactly zero.
  expect(r.loss).toBe(0);
  // The learned boundary points the way of the true one, 1.5·x0 - x1 + 0.25 = 0.
  const cosine = (1.5 * r.w[0] - r.w[1]) / (Math.hypot(1.5, 1) * Math.hypot(...r.w));
  expect(cosine).toBeGreaterThan(0.95);

  // The sign output is the prediction: it equals every target.
  const [all] = batches(perceptronData(200, 3), 200);
  const { prediction } = await r.trainer.predict(all!);
  expect(Array.from(prediction!.data)).toEqual(Array.from(all!['y']!.data));
});
