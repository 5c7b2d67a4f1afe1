// The main example: a 2-2-1 ReLU network that computes XOR, built with the TypeScript builder,
// printed as IR text and run on the reference backend. The weights are set by hand; training
// them is what autodiff and the optimizers are for.

import * as kiln from '../src/index.js';

/** The XOR network: y = relu(x @ w1 + b1) @ w2. */
export function xorGraph(): kiln.Graph {
  return kiln.graph('xor', (b) => {
    const x = b.input('x', 'f32', ['B', 2]);
    const w1 = b.param('w1', 'f32', [2, 2]);
    const b1 = b.param('b1', 'f32', [2]);
    const w2 = b.param('w2', 'f32', [2, 1]);
    const hidden = x.matmul(w1).add(b1).relu();
    b.output('y', hidden.matmul(w2));
  });
}

/** Weights that solve XOR: hidden units count the ones (h1 = a + b, h2 = relu(a + b - 1)). */
export const XOR_WEIGHTS = {
  w1: [
    [1, 1],
    [1, 1],
  ],
  b1: [0, -1],
  w2: [[1], [-2]],
};

export const XOR_POINTS = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];

async function main(): Promise<void> {
  const g = xorGraph();
  console.log(kiln.printGraph(g));
  const exe = await kiln.compile(g, { backend: 'reference', shapes: { B: XOR_POINTS.length } });
  exe.setParams(XOR_WEIGHTS);
  const { y } = await exe.run({ x: XOR_POINTS });
  console.log('a b | a xor b');
  XOR_POINTS.forEach(([a, b], i) => console.log(`${a} ${b} | ${y!.data[i]}`));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
