// The sin example: a 1-32-1 tanh network approximates sin on [-π, π], between its training points too.

import { expect, test } from 'vitest';
import { train } from '../../examples/sin.js';

test('the network fits sin(x) with a held-out MSE below 1e-4', async () => {
  const r = await train();
  expect(r.heldOutMse).toBeLessThan(1e-4);
  expect(r.trainMse).toBeLessThan(1e-4);
});
