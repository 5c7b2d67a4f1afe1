// The main example: the builder's XOR network with its hand-set weights computes XOR.

import { expect, test } from 'vitest';
import { XOR_POINTS, XOR_WEIGHTS, xorGraph } from '../../examples/xor.js';
import { compile, printGraph } from '../../src/index.js';

test('the XOR network computes XOR on all four points', async () => {
  const exe = await compile(xorGraph(), { backend: 'reference', shapes: { B: 4 } });
  exe.setParams(XOR_WEIGHTS);
  const { y } = await exe.run({ x: XOR_POINTS });
  expect(y!.shape).toEqual([4, 1]);
  expect(Array.from(y!.data)).toEqual([0, 1, 1, 0]);
});

test('the XOR graph keeps the batch symbolic and records builder call sites', () => {
  const text = printGraph(xorGraph());
  expect(text).toContain('input x: f32[B, 2] loc("examples/xor.ts":');
  expect(text).toMatch(/%t\d+ = relu\(%t\d+\) : f32\[B, 2\] loc\("examples\/xor.ts":\d+:\d+\)/);
});
