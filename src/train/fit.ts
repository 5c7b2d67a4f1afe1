// fit(): the training loop. Epochs of shuffled batches, a validation pass after each epoch,
// early stopping on a monitored quantity, and a log line per epoch.

import type { Batch, Dataset } from '../data/dataset.js';
import { batchCount, batches } from '../data/dataset.js';
import { fail } from '../ir/errors.js';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import type { Tensor, TensorLike } from '../../runtime/tensor.js';
import { NONFINITE_OUTPUT } from '../kernels/guard-updates.js';
import type { Scalars } from './trainer.js';

/**
 * What fit needs of a trainer; a Trainer is one, and tests may script their own. A step whose
 * result has `nonfinite` > 0 was skipped (its update had NaN or ±Infinity, nothing changed).
 */
export interface Trainable {
  step(batch: Batch): Promise<Scalars>;
  evaluate(data: Dataset, options?: { batchSize?: number }): Promise<Scalars>;
  state(): Record<string, Tensor>;
  setParams(values: Readonly<Record<string, TensorLike>>): void;
  learningRate: number;
}

export interface EarlyStopping {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch when stopping or finishing (default true). */
  restoreBest?: boolean;
  /** What to watch (default 'val_loss', or 'loss' without validation data). */
  monitor?: string;
  /** 'min' for losses, 'max' for accuracies (default: 'max' when the name has "acc"). */
  mode?: 'min' | 'max';
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  validation?: Dataset;
  /** Shuffle the training set each epoch, seeded by `seed` and the epoch (default true). */
  shuffle?: boolean;
  seed?: number;
  /** A smaller last batch is trained on ('keep', default) or skipped ('drop'). */
  remainder?: 'keep' | 'drop';
  earlyStopping?: EarlyStopping;
  /** The learning rate for each epoch (0-based), e.g. a decay schedule. */
  learningRate?: (epoch: number) => number;
  onBatch?: (info: { epoch: number; batch: number; batches: number; scalars: Scalars }) => void;
  onEpoch?: (log: EpochLog) => void;
  /**
   * Called for each step skipped because its update had NaN or ±Infinity. Without it, fit warns
   * once per epoch that had any (console.warn).
   */
  onSkippedStep?: (info: { epoch: number; batch: number; nonfinite: number }) => void;
}

/**
 * One epoch's training averages (weighted by batch size, over the steps applied) and validation
 * results (`val_` prefixed); `skipped`, when some steps were skipped, counts them.
 */
export interface EpochLog {
  epoch: number;
  seconds: number;
  [quantity: string]: number;
}

export interface FitResult {
  history: EpochLog[];
  /** The epoch whose weights the trainer holds at the end (the best one when restoring). */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Steps skipped over all epochs because their update had NaN or ±Infinity. */
  skippedSteps: number;
}

function firstDimOf(batch: Batch): number {
  const t = Object.values(batch)[0];
  return t && t.shape.length > 0 ? t.shape[0]! : 1;
}

export async function fit(trainer: Trainable, train: Dataset, options: FitOptions): Promise<FitResult> {
  const { epochs, batchSize } = options;
  if (!Number.isInteger(epochs) || epochs < 1) fail('usage', `fit: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail('usage', `fit: batchSize must be a positive integer, got ${batchSize}`);
  const remainder = options.remainder ?? 'keep';
  const count = batchCount(train, batchSize, remainder);
  if (count === 0) fail('usage', `fit: ${train.size} examples make no batch of ${batchSize} with remainder 'drop'`);
  const es = options.earlyStopping;
  const monitor = es?.monitor ?? (options.validation ? 'val_loss' : 'loss');
  const mode = es?.mode ?? (/acc/.test(monitor) ? 'max' : 'min');
  const better = (a: number, b: number) => (mode === 'min' ? a < b - (es?.minDelta ?? 0) : a > b + (es?.minDelta ?? 0));
  const restore = es?.restoreBest ?? true;

  const history: EpochLog[] = [];
  let best = Number.NaN;
  let bestEpoch = -1;
  let bestState: Record<string, Tensor> | undefined;
  let waited = 0;
  let stoppedEarly = false;
  let skippedSteps = 0;

  for (let epoch = 0; epoch < epochs; epoch++) {
    const started = performance.now();
    if (options.learningRate) trainer.learningRate = options.learningRate(epoch);
    const sums: Scalars = {};
    let seen = 0;
    let skipped = 0;
    let index = 0;
    const order = batches(train, batchSize, { remainder, shuffle: options.shuffle ?? true, seed: ((options.seed ?? 0) * 1000003 + epoch) | 0 });
    for (const batch of order) {
      const scalars = await trainer.step(batch);
      const nonfinite = scalars[NONFINITE_OUTPUT] ?? 0;
      if (nonfinite > 0) {
        skipped++;
        options.onSkippedStep?.({ epoch, batch: index, nonfinite });
      } else {
        const n = firstDimOf(batch);
        for (const [k, v] of Object.entries(scalars)) sums[k] = (sums[k] ?? 0) + v * n;
        seen += n;
      }
      options.onBatch?.({ epoch, batch: index++, batches: count, scalars });
    }
    if (skipped === count) {
      throw new KilnRuntimeError(
        'nonfinite',
        `fit: every step of epoch ${epoch + 1} (${count}) had NaN or ±Infinity in its update and was skipped; look for NaN in the data, or lower the learning rate`,
      );
    }
    skippedSteps += skipped;
    if (skipped > 0 && !options.onSkippedStep) {
      console.warn(`fit: epoch ${epoch + 1}: skipped ${skipped} of ${count} steps whose update had NaN or ±Infinity; their batches left the weights unchanged`);
    }
    const log: EpochLog = { epoch, seconds: 0, ...(skipped > 0 ? { skipped } : {}) };
    for (const [k, v] of Object.entries(sums)) log[k] = v / seen;
    if (options.validation) {
      for (const [k, v] of Object.entries(await trainer.evaluate(options.validation, { batchSize }))) log[`val_${k}`] = v;
    }
    log.seconds = (performance.now() - started) / 1000;
    history.push(log);
    options.onEpoch?.(log);

    if (!es) continue;
    const value = log[monitor];
    if (value === undefined) fail('usage', `fit: early stopping monitors '${monitor}', which epoch logs do not have (${Object.keys(log).join(', ')})`);
    if (bestEpoch < 0 || better(value, best)) {
      best = value;
      bestEpoch = epoch;
      waited = 0;
      if (restore) bestState = trainer.state();
    } else if (++waited >= es.patience) {
      stoppedEarly = true;
      break;
    }
  }
  if (es && restore && bestState && bestEpoch !== history.length - 1) trainer.setParams(bestState);
  return { history, bestEpoch: es && restore ? bestEpoch : history.length - 1, stoppedEarly, skippedSteps };
}
