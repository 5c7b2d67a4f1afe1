// Deterministic toy data for the training examples, drawn from Kiln's counter-based RNG so that
// every run and every machine sees the same points.

import { compileTraining, fit, sgd } from '../src/index.js';
import type { Dataset, Graph, Trainer } from '../src/index.js';
import { standardNormal, uniform01 } from '../src/ir/random.js';

/** A line in the plane: the points x with w·x + b = 0. */
export interface Line {
  w: readonly [number, number];
  b: number;
}

/** The boundary the classification examples learn to find. */
export const TRUE_LINE: Line = { w: [1.5, -1], b: 0.25 };

/**
 * `n` points uniform in [-1, 1]², each with its side of `line` (+1 or -1). Points closer to the
 * line than `margin` are redrawn: a margin makes the set strictly separable, so a perceptron
 * converges in a bounded number of mistakes and a logistic fit can reach 100% accuracy.
 */
export function separablePoints(n: number, options: { seed?: number; margin?: number; line?: Line } = {}): { x: Float32Array; side: Float32Array } {
  const { seed = 1, margin = 0.1, line = TRUE_LINE } = options;
  const norm = Math.hypot(line.w[0], line.w[1]);
  const x = new Float32Array(2 * n);
  const side = new Float32Array(n);
  for (let i = 0, draw = 0; i < n;) {
    const a = 2 * uniform01(seed, draw++) - 1;
    const c = 2 * uniform01(seed, draw++) - 1;
    const distance = (line.w[0] * a + line.w[1] * c + line.b) / norm;
    if (Math.abs(distance) < margin) continue;
    x[2 * i] = a;
    x[2 * i + 1] = c;
    side[i] = distance > 0 ? 1 : -1;
    i++;
  }
  return { x, side };
}

/** `n` evenly spaced points from `lo` to `hi`, both ends included. */
export function grid(lo: number, hi: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** `n` normal draws with standard deviation `std` from stream `seed`. */
export function gaussianNoise(n: number, std: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => std * standardNormal(seed, i));
}

/** A line as `a·x0 + c·x1 + b = 0`, with its coefficients scaled by `scale`. */
export function formatLine(w: readonly number[], b: number, scale = 1): string {
  const term = (v: number, name: string) => `${v < 0 ? '- ' : '+ '}${Math.abs(v * scale).toFixed(3)}${name}`;
  return `${(w[0]! * scale).toFixed(3)}·x0 ${term(w[1]!, '·x1')} ${term(b, '')} = 0`;
}

/** A trained linear classifier of the plane: its boundary w·x + b = 0 and its figures. */
export interface LineFit {
  trainer: Trainer;
  loss: number;
  accuracy: number;
  w: [number, number];
  b: number;
  epochs: number;
  seconds: number;
}

/**
 * Trains a model with parameters `w` [2, 1] and `b` [1] on `data` with SGD, and reads back its
 * boundary; the model's `loss` and `accuracy` outputs are evaluated on the training set.
 */
export async function fitLine(model: Graph, data: Dataset, o: { epochs: number; batchSize: number; lr: number; seed: number }): Promise<LineFit> {
  const started = performance.now();
  const trainer = await compileTraining(model, { optimizer: sgd({ lr: o.lr }), seed: o.seed });
  const { history } = await fit(trainer, data, { epochs: o.epochs, batchSize: o.batchSize, seed: o.seed, verbose: 0 });
  const { loss, accuracy } = await trainer.evaluate(data);
  const p = trainer.params();
  return {
    trainer,
    loss: loss!,
    accuracy: accuracy!,
    w: [Number(p['w']!.data[0]), Number(p['w']!.data[1])],
    b: Number(p['b']!.data[0]),
    epochs: history.length,
    seconds: (performance.now() - started) / 1000,
  };
}
