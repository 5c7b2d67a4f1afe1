// The MNIST MLP's graph: 784-256-256-10 with ReLU by default, softmax cross-entropy on the logits.
// Built from the browser entry (src/web.ts), so the web demo (examples/web) trains the same model
// as mnist-mlp.ts.

import { MNIST_PIXELS, graph, init } from '../src/web.js';
import type { Graph } from '../src/web.js';

/** x: pixels in [0, 1] [B, 784]; y: the digit, i32 [B]. */
export function mnistMlpGraph(hidden: readonly number[] = [256, 256]): Graph {
  return graph('mnist_mlp', (b) => {
    const x = b.input('x', 'f32', ['B', MNIST_PIXELS]);
    const y = b.input('y', 'i32', ['B']);
    let h = x;
    let width = MNIST_PIXELS;
    hidden.forEach((units, i) => {
      // He initialization keeps the activations' scale through ReLU layers.
      const w = b.param(`w${i + 1}`, 'f32', [width, units], init.heNormal());
      const bias = b.param(`b${i + 1}`, 'f32', [units]);
      h = h.matmul(w).add(bias).relu();
      width = units;
    });
    const w = b.param(`w${hidden.length + 1}`, 'f32', [width, 10]);
    const bias = b.param(`b${hidden.length + 1}`, 'f32', [10]);
    const logits = h.matmul(w).add(bias);
    b.output('loss', b.op('softmax_cross_entropy', [logits, y]));
    b.output('accuracy', b.op('accuracy', [logits, y]));
    b.output('logits', logits);
  });
}
