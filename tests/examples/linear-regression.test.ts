// The linear regression example recovers the weights its data was made from.

import { expect, test } from 'vitest';
import { B_TRUE, W_TRUE, train } from '../../examples/linear-regression.js';

test('linear regression recovers W and b to within 1e-2', async () => {
  const r = await train({ examples: 256, epochs: 40, noise: 0.01 });
  r.w.forEach((row, k) => row.forEach((v, j) => expect(Math.abs(v - W_TRUE[k]![j]!)).toBeLessThan(1e-2)));
  r.b.forEach((v, j) => expect(Math.abs(v - B_TRUE[j]!)).toBeLessThan(1e-2));
  expect(r.maxError).toBeLessThan(1e-2);
  // What is left is the noise: its variance is 1e-4.
  expect(r.loss).toBeLessThan(2e-4);
});
