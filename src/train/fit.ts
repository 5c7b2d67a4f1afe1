// fit(): the training loop. Epochs of shuffled batches, a validation pass after each epoch,
// early stopping on a monitored quantity, and a log line per epoch (with a bar on a terminal).

import type { Batch, Dataset } from '../data/dataset.js';
import { batchCount, batches, slice } from '../data/dataset.js';
import type { InputDecl } from '../ir/graph.js';
import { fail } from '../ir/errors.js';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import type { Tensor, TensorLike } from '../../runtime/tensor.js';
import { NONFINITE_OUTPUT } from '../kernels/guard-updates.js';
import { toDataset } from './columns.js';
import type { DataLike } from './columns.js';
import { progressReporter } from './progress.js';
import type { ProgressReporter, ProgressStream, StepInfo, Verbosity } from './progress.js';
import type { Scalars } from './trainer.js';

/**
 * What fit needs of a trainer; a Trainer is one, and tests may script their own. A step whose
 * result has `nonfinite` > 0 was skipped (its update had NaN or ±Infinity, nothing changed).
 */
export interface Trainable {
  step(batch: Batch): Promise<Scalars>;
  evaluate(data: Dataset, options?: { batchSize?: number }): Promise<Scalars>;
  /** Every parameter, read back once the steps before are done. */
  readState(): Promise<Record<string, Tensor>>;
  setParams(values: Readonly<Record<string, TensorLike>>): void;
  learningRate: number;
  /** The model's inputs: plain columns are stored in their dtypes and cut into their example shapes. */
  readonly inputs?: readonly InputDecl[];
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
  /** Evaluated after each epoch: a Dataset or plain columns, like the training data. */
  validation?: DataLike;
  /** The fraction of the training examples held out for validation, taken from the end before any shuffling; not with `validation`. */
  validationSplit?: number;
  /** Shuffle the training set each epoch, seeded by `seed` and the epoch (default true). */
  shuffle?: boolean;
  seed?: number;
  /** A smaller last batch is trained on ('keep', default) or skipped ('drop'). */
  remainder?: 'keep' | 'drop';
  earlyStopping?: EarlyStopping;
  /** The learning rate for each epoch (0-based), e.g. a decay schedule. */
  learningRate?: (epoch: number) => number;
  /** After each step: its epoch, batch (0-based) of `batches`, examples (`size`), the seconds since the epoch began, and its scalars. */
  onBatch?: (info: StepInfo) => void;
  onEpoch?: (log: EpochLog) => void;
  /**
   * 0: silent; 1: a progress bar with the running averages, ETA and ms per step, drawn on a
   * terminal only, and a line per epoch; 2: the epoch lines only. Default: 1 when `output` is a
   * terminal, else 2.
   */
  verbose?: Verbosity;
  /** Where the bar and the epoch lines go (default process.stdout). */
  output?: ProgressStream;
  /**
   * Called for each step skipped because its update had NaN or ±Infinity. Without it, the epoch
   * line says how many were; with verbose 0, fit warns once per epoch that had any (console.warn).
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

/** The training and validation sets: plain columns made datasets, and `validationSplit`'s last examples held out. */
function fitData(trainer: Trainable, data: DataLike, options: FitOptions): { train: Dataset; validation?: Dataset } {
  const all = toDataset(data, trainer.inputs ?? [], 'fit');
  const fraction = options.validationSplit;
  if (fraction === undefined) return { train: all, ...(options.validation ? { validation: toDataset(options.validation, trainer.inputs ?? [], 'fit: validation') } : {}) };
  if (options.validation) fail('usage', 'fit: give validation or validationSplit, not both');
  if (!(fraction > 0 && fraction < 1)) fail('usage', `fit: validationSplit must be a fraction between 0 and 1 (exclusive), got ${fraction}`);
  const held = Math.floor(all.size * fraction);
  if (held === 0 || held === all.size) fail('usage', `fit: validationSplit ${fraction} of ${all.size} examples leaves ${held === 0 ? 'no validation' : 'no training'} examples`);
  return { train: slice(all, 0, all.size - held), validation: slice(all, all.size - held) };
}

export async function fit(trainer: Trainable, data: DataLike, options: FitOptions): Promise<FitResult> {
  const { epochs, batchSize } = options;
  if (!Number.isInteger(epochs) || epochs < 1) fail('usage', `fit: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) fail('usage', `fit: batchSize must be a positive integer, got ${batchSize}`);
  if (options.verbose !== undefined && options.verbose !== 0 && options.verbose !== 1 && options.verbose !== 2) {
    fail('usage', `fit: verbose must be 0, 1 or 2, got ${String(options.verbose)}`);
  }
  const { train, validation } = fitData(trainer, data, options);
  const output = options.output ?? process.stdout;
  const verbose = options.verbose ?? (output.isTTY ? 1 : 2);
  const reporter = progressReporter({ epochs, verbose, lines: (text) => output.write(text), bar: output });
  try {
    return await trainLoop(trainer, train, validation, { ...options, verbose }, reporter);
  } finally {
    reporter.stop();
  }
}

async function trainLoop(trainer: Trainable, train: Dataset, validation: Dataset | undefined, options: FitOptions, reporter: ProgressReporter): Promise<FitResult> {
  const { epochs, batchSize } = options;
  const remainder = options.remainder ?? 'keep';
  const count = batchCount(train, batchSize, remainder);
  if (count === 0) fail('usage', `fit: ${train.size} examples make no batch of ${batchSize} with remainder 'drop'`);
  const es = options.earlyStopping;
  const monitor = es?.monitor ?? (validation ? 'val_loss' : 'loss');
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
      const size = firstDimOf(batch);
      const nonfinite = scalars[NONFINITE_OUTPUT] ?? 0;
      if (nonfinite > 0) {
        skipped++;
        options.onSkippedStep?.({ epoch, batch: index, nonfinite });
      } else {
        for (const [k, v] of Object.entries(scalars)) sums[k] = (sums[k] ?? 0) + v * size;
        seen += size;
      }
      const info = { epoch, batch: index++, batches: count, size, seconds: (performance.now() - started) / 1000, scalars };
      reporter.step(info);
      options.onBatch?.(info);
    }
    if (skipped === count) {
      throw new KilnRuntimeError(
        'nonfinite',
        `fit: every step of epoch ${epoch + 1} (${count}) had NaN or ±Infinity in its update and was skipped; look for NaN in the data, or lower the learning rate`,
      );
    }
    skippedSteps += skipped;
    const log: EpochLog = { epoch, seconds: 0, ...(skipped > 0 ? { skipped } : {}) };
    for (const [k, v] of Object.entries(sums)) log[k] = v / seen;
    if (validation) {
      for (const [k, v] of Object.entries(await trainer.evaluate(validation, { batchSize }))) log[`val_${k}`] = v;
    }
    log.seconds = (performance.now() - started) / 1000;
    history.push(log);
    reporter.epoch(log);
    options.onEpoch?.(log);
    // The epoch line already says how many steps were skipped; a silent fit still warns.
    if (skipped > 0 && !options.onSkippedStep && options.verbose === 0) {
      console.warn(`fit: epoch ${epoch + 1}: skipped ${skipped} of ${count} steps whose update had NaN or ±Infinity; their batches left the weights unchanged`);
    }

    if (!es) continue;
    const value = log[monitor];
    if (value === undefined) fail('usage', `fit: early stopping monitors '${monitor}', which epoch logs do not have (${Object.keys(log).join(', ')})`);
    if (bestEpoch < 0 || better(value, best)) {
      best = value;
      bestEpoch = epoch;
      waited = 0;
      if (restore) bestState = await trainer.readState();
    } else if (++waited >= es.patience) {
      stoppedEarly = true;
      break;
    }
  }
  if (es && restore && bestState && bestEpoch !== history.length - 1) trainer.setParams(bestState);
  return { history, bestEpoch: es && restore ? bestEpoch : history.length - 1, stoppedEarly, skippedSteps };
}
