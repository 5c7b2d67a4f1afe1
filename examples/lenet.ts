// LeNet-5 for the MNIST digits: two 5×5 convolutions ('same' then 'valid') with ReLU and 2×2
// max pooling, then dense 400-120-84-10, softmax cross-entropy on the logits; trained with Adam,
// validation and early stopping on the mnist-mlp example's 8:1:1 split of the 10,000 digits.

import { graph, init } from '../src/index.js';
import type { BackendName, Graph } from '../src/index.js';
import { epochLine, train } from './mnist-mlp.js';

/** x: pixels in [0, 1] [B, 784], seen as 28×28×1 images (NHWC); y: the digit, i32 [B]. */
export function lenetGraph(): Graph {
  return graph('lenet5', (b) => {
    const x = b.input('x', 'f32', ['B', 784]);
    const y = b.input('y', 'i32', ['B']);
    const conv = (h: ReturnType<typeof b.input>, name: string, shape: [number, number, number, number], padding: string) => {
      const w = b.param(`${name}.w`, 'f32', shape, init.heNormal());
      const bias = b.param(`${name}.b`, 'f32', [shape[3]]);
      return b.op('max_pool2d', [b.op('conv2d', [h, w], { padding }).add(bias).relu()], { size: [2, 2] });
    };
    const dense = (h: ReturnType<typeof b.input>, name: string, n: number, m: number) =>
      h.matmul(b.param(`${name}.w`, 'f32', [n, m], init.heNormal())).add(b.param(`${name}.b`, 'f32', [m]));
    const c1 = conv(x.reshape(['B', 28, 28, 1]), 'conv1', [5, 5, 1, 6], 'same'); // 14×14×6
    const c2 = conv(c1, 'conv2', [5, 5, 6, 16], 'valid'); // 5×5×16
    const f1 = dense(c2.reshape(['B', 400]), 'fc1', 400, 120).relu();
    const f2 = dense(f1, 'fc2', 120, 84).relu();
    const logits = dense(f2, 'out', 84, 10);
    b.output('loss', b.op('softmax_cross_entropy', [logits, y]));
    b.output('accuracy', b.op('accuracy', [logits, y]));
    b.output('logits', logits);
  });
}

async function main(): Promise<void> {
  // `node dist/examples/lenet.js [backend]`: wasm (the default here), js, webgpu or reference.
  const backend = (process.argv[2] ?? 'wasm') as BackendName;
  console.log(`LeNet-5 on the ${backend} backend, 10 epochs at most, on the 10,000 digits of the mnist package (8:1:1)`);
  const r = await train({
    graph: lenetGraph(),
    backend,
    epochs: 10,
    batchSize: 64,
    lr: 2e-3,
    patience: 3,
    onEpoch: (log) => console.log(epochLine(log)),
  });
  console.log(
    `  kept epoch ${r.bestEpoch + 1}; test loss ${r.test.loss.toFixed(4)}, accuracy ${(100 * r.test.accuracy).toFixed(1)}% on ${r.sizes.test} digits (${r.seconds.toFixed(1)} s in all)`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
