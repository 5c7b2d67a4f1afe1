// Reference-interpreter throughput on an MLP forward pass (784-256-256-10, batch 32), with f32
// and f64 storage side by side in one run; later backends join this suite to report ratios.
// Run with `npm run bench`.

import b from 'benny';
import { compile, graph } from '../src/index.js';

const mlp = graph('mlp', (g) => {
  const x = g.input('x', 'f32', ['B', 784]);
  let h = x;
  for (const [i, [n, m]] of [
    [784, 256],
    [256, 256],
    [256, 10],
  ].entries()) {
    h = h.matmul(g.param(`w${i}`, 'f32', [n!, m!])).add(g.param(`b${i}`, 'f32', [m!]));
    if (i < 2) h = h.relu();
  }
  g.output('probs', g.softmax(h));
});

const batch = 32;
const x = new Float32Array(batch * 784).map((_, i) => (i % 17) / 17);
const f32 = await compile(mlp, { backend: 'reference', shapes: { B: batch } });
const f64 = await compile(mlp, { backend: 'reference', shapes: { B: batch }, precision: 'f64' });
const x64 = Float64Array.from(x);

await b.suite(
  'reference backend: MLP 784-256-256-10 forward, batch 32',
  b.add('reference f32', async () => {
    await f32.run({ x });
  }),
  b.add('reference f64', async () => {
    await f64.run({ x: x64 });
  }),
  b.cycle(),
  b.complete((summary) => {
    const [a, c] = summary.results;
    if (a && c) console.log(`f64 / f32 time ratio: ${(a.ops / c.ops).toFixed(2)}`);
  }),
);
