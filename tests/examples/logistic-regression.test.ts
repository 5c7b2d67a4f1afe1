// The logistic regression example: binary cross-entropy on logits separates a separable set.

import { expect, test } from 'vitest';
import { logisticData, train } from '../../examples/logistic-regression.js';
import { batches } from '../../src/index.js';

test('logistic regression classifies every training point correctly', async () => {
  const r = await train({ points: 200, epochs: 30 });
  expect(r.accuracy).toBe(1);
  // Separable data drives the loss toward 0; it has come well below log 2, its value at w = 0.
  expect(r.loss).toBeLessThan(0.1);

  // The probabilities agree with binary_accuracy: above 0.5 exactly for class 1.
  const [all] = batches(logisticData(200, 2), 200);
  const { prob } = await r.trainer.predict(all!);
  const predicted = Array.from(prob!.data, (p) => (p > 0.5 ? 1 : 0));
  expect(predicted).toEqual(Array.from(all!['y']!.data));
});

test('one epoch from zero weights is not yet enough, so the figure above is earned', async () => {
  const r = await train({ points: 200, epochs: 1, lr: 0.01 });
  expect(r.accuracy).toBeLessThan(1);
  expect(r.loss).toBeGreaterThan(0.5);
});
