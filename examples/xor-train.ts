// XOR learned from its four points: a 2-8-1 tanh network fits it, while a single linear layer
// cannot, since no line separates {01, 10} from {00, 11}.

import { adam, batches, compileTraining, fit, fromArrays, graph } from '../src/index.js';
import type { Dataset, Graph, Trainer } from '../src/index.js';

/** Two layers, x: [B, 2] in {0, 1}; y: a xor b as 0 or 1 [B, 1]; the loss is on the logits. */
export function xorMlpGraph(hidden = 8): Graph {
  return graph('xor_mlp', (b) => {
    const x = b.input('x', 'f32', ['B', 2]);
    const y = b.input('y', 'f32', ['B', 1]);
    const w1 = b.param('w1', 'f32', [2, hidden]);
    const b1 = b.param('b1', 'f32', [hidden]);
    const w2 = b.param('w2', 'f32', [hidden, 1]);
    const b2 = b.param('b2', 'f32', [1]);
    const logits = x.matmul(w1).add(b1).tanh().matmul(w2).add(b2);
    b.output('loss', b.op('sigmoid_cross_entropy', [logits, y]));
    b.output('accuracy', b.op('binary_accuracy', [logits, y], { threshold: 0 }));
    b.output('prob', logits.sigmoid());
  });
}

/** One linear layer on the same data: the best it can do is three points of four. */
export function xorLinearGraph(): Graph {
  return graph('xor_linear', (b) => {
    const x = b.input('x', 'f32', ['B', 2]);
    const y = b.input('y', 'f32', ['B', 1]);
    const w = b.param('w', 'f32', [2, 1]);
    const bias = b.param('b', 'f32', [1]);
    const logits = x.matmul(w).add(bias);
    b.output('loss', b.op('sigmoid_cross_entropy', [logits, y]));
    b.output('accuracy', b.op('binary_accuracy', [logits, y], { threshold: 0 }));
    b.output('prob', logits.sigmoid());
  });
}

export const XOR_DATA: Dataset = fromArrays({
  x: { data: [0, 0, 0, 1, 1, 0, 1, 1], shape: [2] },
  y: { data: [0, 1, 1, 0], shape: [1] },
});

export interface XorOptions {
  /** Full-batch steps (each an epoch of the four points). */
  steps?: number;
  lr?: number;
  hidden?: number;
  seed?: number;
}

export interface XorRun {
  trainer: Trainer;
  loss: number;
  accuracy: number;
  /** P(y = 1) for 00, 01, 10, 11. */
  probs: number[];
  seconds: number;
}

async function trainGraph(model: Graph, options: XorOptions): Promise<XorRun> {
  const { steps = 300, lr = 0.05, seed = 3 } = options;
  const started = performance.now();
  const trainer = await compileTraining(model, { optimizer: adam({ lr }), seed });
  await fit(trainer, XOR_DATA, { epochs: steps, batchSize: 4, shuffle: false, verbose: 0 });
  const { loss, accuracy } = await trainer.evaluate(XOR_DATA);
  // predict runs the whole evaluation graph, loss included, so it takes the targets too.
  const [all] = batches(XOR_DATA, 4);
  const { prob } = await trainer.predict(all!);
  return { trainer, loss: loss!, accuracy: accuracy!, probs: Array.from(prob!.data, Number), seconds: (performance.now() - started) / 1000 };
}

/** Trains the two-layer network and, with the same budget, the single layer. */
export async function train(options: XorOptions = {}): Promise<{ mlp: XorRun; linear: XorRun }> {
  const mlp = await trainGraph(xorMlpGraph(options.hidden), options);
  const linear = await trainGraph(xorLinearGraph(), options);
  return { mlp, linear };
}

async function main(): Promise<void> {
  const { mlp, linear } = await train();
  const show = (name: string, r: XorRun) =>
    console.log(
      `${name}: loss ${r.loss.toFixed(4)}, accuracy ${(100 * r.accuracy).toFixed(0)}%, P(1) for 00 01 10 11 = ${r.probs.map((p) => p.toFixed(3)).join(' ')} (${r.seconds.toFixed(2)} s)`,
    );
  show('2-8-1 tanh  ', mlp);
  show('single layer', linear);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
