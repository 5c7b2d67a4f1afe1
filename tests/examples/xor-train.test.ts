// The XOR training example: a hidden layer learns XOR; a single linear layer cannot.

import { expect, test } from 'vitest';
import { train } from '../../examples/xor-train.js';

test('a 2-8-1 tanh network learns XOR while a single layer stays at chance', async () => {
  const { mlp, linear } = await train({ steps: 300 });

  expect(mlp.loss).toBeLessThan(0.01);
  expect(mlp.accuracy).toBe(1);
  const expected = [0, 1, 1, 0];
  mlp.probs.forEach((p, i) => expect(Math.abs(p - expected[i]!)).toBeLessThan(0.05));

  // No line separates XOR: at most three points of four, and the loss stays near log 2.
  expect(linear.accuracy).toBeLessThanOrEqual(0.75);
  expect(linear.loss).toBeGreaterThan(0.5);
});
