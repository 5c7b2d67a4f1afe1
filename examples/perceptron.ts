// A single neuron y = sign(w·x + b) trained with the perceptron criterion and SGD on a
// linearly separable set of points in the plane.

import { fromArrays, graph } from '../src/index.js';
import type { Dataset, Graph } from '../src/index.js';
import { TRUE_LINE, fitLine, formatLine, separablePoints } from './toy-data.js';
import type { LineFit } from './toy-data.js';

/** x: points [B, 2]; y: targets t in {-1, +1} [B, 1]. */
export function perceptronGraph(): Graph {
  return graph('perceptron', (b) => {
    const x = b.input('x', 'f32', ['B', 2]);
    const t = b.input('y', 'f32', ['B', 1]);
    // Random, not zero: at w = 0 every score is 0, where the criterion and its gradient vanish.
    const w = b.param('w', 'f32', [2, 1]);
    const bias = b.param('b', 'f32', [1]);
    const score = x.matmul(w).add(bias);
    // Perceptron criterion: only misclassified points (t·score < 0) cost, in proportion to the score.
    b.output('loss', t.mul(score).neg().relu().mean());
    const prediction = score.sign();
    b.output('accuracy', prediction.eq(t).cast('f32').mean());
    b.output('prediction', prediction);
  });
}

/** The points with their sides as perceptron targets. */
export function perceptronData(n: number, seed = 3): Dataset {
  const { x, side } = separablePoints(n, { seed });
  return fromArrays({ x: { data: x, shape: [2] }, y: { data: side, shape: [1] } });
}

export interface PerceptronOptions {
  points?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
}

export type PerceptronResult = LineFit;

export async function train(options: PerceptronOptions = {}): Promise<PerceptronResult> {
  const { points = 200, epochs = 20, batchSize = 20, lr = 0.1, seed = 3 } = options;
  const data = perceptronData(points, seed);
  return fitLine(perceptronGraph(), data, { epochs, batchSize, lr, seed });
}

async function main(): Promise<void> {
  const r = await train();
  console.log(`perceptron: ${r.epochs} epochs in ${r.seconds.toFixed(2)} s`);
  // The criterion is blind to the scale of (w, b), so compare the lines at |w| = |w_true|.
  const scale = Math.hypot(...TRUE_LINE.w) / Math.hypot(...r.w);
  console.log(`  boundary ${formatLine(r.w, r.b, scale)} (scaled; the data's is ${formatLine(TRUE_LINE.w, TRUE_LINE.b)})`);
  console.log(`  training loss ${r.loss.toExponential(2)}, accuracy ${(100 * r.accuracy).toFixed(1)}%`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
