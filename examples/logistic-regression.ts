// Logistic regression: p = sigmoid(x·w + b), trained with binary cross-entropy on the logits
// (sigmoid_cross_entropy, stable for any logit) on a linearly separable set of points.

import { fromArrays, graph, init } from '../src/index.js';
import type { Dataset, Graph } from '../src/index.js';
import { TRUE_LINE, fitLine, formatLine, separablePoints } from './toy-data.js';
import type { LineFit } from './toy-data.js';

/** x: points [B, 2]; y: class 0 or 1 [B, 1]. */
export function logisticRegressionGraph(): Graph {
  return graph('logistic_regression', (b) => {
    const x = b.input('x', 'f32', ['B', 2]);
    const y = b.input('y', 'f32', ['B', 1]);
    const w = b.param('w', 'f32', [2, 1], init.zeros()); // the loss is convex: any start will do
    const bias = b.param('b', 'f32', [1]);
    const logits = x.matmul(w).add(bias);
    b.output('loss', b.op('sigmoid_cross_entropy', [logits, y]));
    // A logit above 0 is a probability above 0.5.
    b.output('accuracy', b.op('binary_accuracy', [logits, y], { threshold: 0 }));
    b.output('prob', logits.sigmoid());
  });
}

/** The points with their sides as classes 0 and 1. */
export function logisticData(n: number, seed = 2): Dataset {
  const { x, side } = separablePoints(n, { seed });
  return fromArrays({ x: { data: x, shape: [2] }, y: { data: side.map((s) => (s + 1) / 2), shape: [1] } });
}

export interface LogisticOptions {
  points?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
}

export type LogisticResult = LineFit;

export async function train(options: LogisticOptions = {}): Promise<LogisticResult> {
  const { points = 200, epochs = 30, batchSize = 20, lr = 0.5, seed = 2 } = options;
  const data = logisticData(points, seed);
  return fitLine(logisticRegressionGraph(), data, { epochs, batchSize, lr, seed });
}

async function main(): Promise<void> {
  const r = await train();
  console.log(`logistic regression: ${r.epochs} epochs in ${r.seconds.toFixed(2)} s`);
  console.log(`  boundary ${formatLine(r.w, r.b)} (the data's is ${formatLine(TRUE_LINE.w, TRUE_LINE.b)})`);
  console.log(`  training loss ${r.loss.toFixed(4)}, accuracy ${(100 * r.accuracy).toFixed(1)}%`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
