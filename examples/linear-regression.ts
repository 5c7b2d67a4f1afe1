// Linear regression: y = x·W + b fitted by mean squared error and SGD to data made from known
// weights plus a little seeded noise, recovering those weights.

import { compileTraining, fit, fromArrays, graph, sgd } from '../src/index.js';
import type { Dataset, Graph, Trainer } from '../src/index.js';
import { uniform01 } from '../src/ir/random.js';
import { gaussianNoise } from './toy-data.js';

/** The weights the data is made from: 3 features, 2 targets. */
export const W_TRUE = [
  [2, -1],
  [0.5, 3],
  [-1.5, 0.25],
];
export const B_TRUE = [0.5, -2];
const FEATURES = W_TRUE.length;
const TARGETS = B_TRUE.length;

/** x: [B, 3]; y: [B, 2]. */
export function linearRegressionGraph(): Graph {
  return graph('linear_regression', (b) => {
    const x = b.input('x', 'f32', ['B', FEATURES]);
    const y = b.input('y', 'f32', ['B', TARGETS]);
    const w = b.param('w', 'f32', [FEATURES, TARGETS]);
    const bias = b.param('b', 'f32', [TARGETS]);
    const pred = x.matmul(w).add(bias);
    b.output('loss', b.op('mse', [pred, y]));
    b.output('pred', pred);
  });
}

/** `n` examples with x uniform in [-1, 1]³ and y = x·W_TRUE + B_TRUE + N(0, noise²). */
export function regressionData(n: number, options: { noise?: number; seed?: number } = {}): Dataset {
  const { noise = 0.01, seed = 4 } = options;
  const x = Float32Array.from({ length: n * FEATURES }, (_, i) => 2 * uniform01(seed, i) - 1);
  const eps = gaussianNoise(n * TARGETS, noise, seed + 1);
  const y = new Float32Array(n * TARGETS);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < TARGETS; j++) {
      let v = B_TRUE[j]!;
      for (let k = 0; k < FEATURES; k++) v += x[i * FEATURES + k]! * W_TRUE[k]![j]!;
      y[i * TARGETS + j] = v + eps[i * TARGETS + j]!;
    }
  }
  return fromArrays({ x: { data: x, shape: [FEATURES] }, y: { data: y, shape: [TARGETS] } });
}

export interface RegressionOptions {
  examples?: number;
  noise?: number;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
}

export interface RegressionResult {
  trainer: Trainer;
  loss: number;
  /** The learned weights, [3][2] and [2]. */
  w: number[][];
  b: number[];
  /** The largest |learned - true| over every weight and bias. */
  maxError: number;
  seconds: number;
}

export async function train(options: RegressionOptions = {}): Promise<RegressionResult> {
  const { examples = 256, noise = 0.01, epochs = 40, batchSize = 32, lr = 0.1, seed = 4 } = options;
  const started = performance.now();
  const data = regressionData(examples, { noise, seed });
  const trainer = await compileTraining(linearRegressionGraph(), { optimizer: sgd({ lr }), seed });
  await fit(trainer, data, { epochs, batchSize, seed, verbose: 0 });
  const { loss } = await trainer.evaluate(data);
  const p = trainer.params();
  const w = W_TRUE.map((row, k) => row.map((_, j) => Number(p['w']!.data[k * TARGETS + j])));
  const b = B_TRUE.map((_, j) => Number(p['b']!.data[j]));
  const errors = [...w.flatMap((row, k) => row.map((v, j) => v - W_TRUE[k]![j]!)), ...b.map((v, j) => v - B_TRUE[j]!)];
  return { trainer, loss: loss!, w, b, maxError: Math.max(...errors.map(Math.abs)), seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const r = await train();
  const fmt = (xs: number[]) => `[${xs.map((v) => v.toFixed(4)).join(', ')}]`;
  console.log(`linear regression: MSE ${r.loss.toExponential(2)} (noise variance 1.0e-4) in ${r.seconds.toFixed(2)} s`);
  console.log(`  W learned ${r.w.map(fmt).join(' ')}  true ${W_TRUE.map(fmt).join(' ')}`);
  console.log(`  b learned ${fmt(r.b)}  true ${fmt(B_TRUE)}`);
  console.log(`  largest weight error ${r.maxError.toExponential(2)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
