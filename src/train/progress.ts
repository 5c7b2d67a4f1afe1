// How training reports itself, in `fit` and in `kiln train` alike: a line per finished epoch
// and, on a terminal, a bar redrawn in place with the running averages, the ETA and ms per step.

import { NONFINITE_OUTPUT } from '../kernels/guard-updates.js';
import type { EpochLog } from './fit.js';

/** Where progress goes: process.stdout, process.stderr, or any object that writes and says whether it is a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** 0: silent; 1: a bar (on a terminal) and a line per epoch; 2: the epoch lines only. */
export type Verbosity = 0 | 1 | 2;

/** What the reporter hears of each step: fit's onBatch information. */
export interface StepInfo {
  epoch: number;
  batch: number;
  batches: number;
  /** Examples in the batch. */
  size: number;
  /** Seconds since the epoch began. */
  seconds: number;
  scalars: Readonly<Record<string, number>>;
}

/** A log's bookkeeping entries, which the quantities leave out. */
const BOOKKEEPING = new Set(['epoch', 'seconds', 'skipped', NONFINITE_OUTPUT]);

/** A quantity as logs show it: four decimals. */
export const formatNumber = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : String(v));

/** `loss 0.2412  accuracy 0.9312  ...`: every quantity of a log or result, in its order. */
export function formatQuantities(scalars: Readonly<Record<string, number>>): string {
  return Object.entries(scalars)
    .filter(([k]) => !BOOKKEEPING.has(k))
    .map(([k, v]) => `${k} ${formatNumber(v)}`)
    .join('  ');
}

/** `epoch 2/10  loss 0.2412  val_loss 0.2650  0.4s`, and how many steps were skipped when some were. */
export function formatEpochLine(log: EpochLog, epochs: number): string {
  const n = log['skipped'] ?? 0;
  const skipped = n > 0 ? `  (${n} step${n === 1 ? '' : 's'} skipped: NaN or ±Infinity in the update; the weights were kept)` : '';
  return `epoch ${log.epoch + 1}/${epochs}  ${formatQuantities(log)}  ${log.seconds.toFixed(1)}s${skipped}`;
}

/** `3.2s`, or `2:05` from a minute on. */
function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const BAR_WIDTH = 20;
/** The least time between two redraws of the bar; the first and last step of an epoch are always drawn. */
const REDRAW_MS = 100;

/** One frame of the bar: `epoch 1/5 [########------------] 4/10  ETA 0.6s  98.5 ms/step  loss 0.6931`. */
export function formatBar(info: StepInfo, epochs: number, averages: Readonly<Record<string, number>>): string {
  const done = info.batch + 1;
  const filled = Math.round((BAR_WIDTH * done) / info.batches);
  const ms = (1000 * info.seconds) / done;
  const eta = (ms * (info.batches - done)) / 1000;
  const quantities = formatQuantities(averages);
  return (
    `epoch ${info.epoch + 1}/${epochs} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${info.batches}  ` +
    `ETA ${formatDuration(eta)}  ${ms.toFixed(ms < 10 ? 1 : 0)} ms/step${quantities ? `  ${quantities}` : ''}`
  );
}

export interface ProgressReporter {
  step(info: StepInfo): void;
  epoch(log: EpochLog): void;
  /** Clears the bar, so the next line stands alone (also after a failed step). */
  stop(): void;
}

export interface ReporterOptions {
  epochs: number;
  verbose: Verbosity;
  /** Where the epoch lines go. */
  lines: (text: string) => void;
  /** Where the bar is drawn, when verbose is 1 and it is a terminal. */
  bar?: ProgressStream;
}

/**
 * The reporter of one training run. The bar shows the running averages of the steps applied so
 * far (a skipped step's scalars are left out, as in the epoch's averages).
 */
export function progressReporter(o: ReporterOptions): ProgressReporter {
  const stream = o.verbose === 1 && o.bar?.isTTY ? o.bar : undefined;
  let sums: Record<string, number> = {};
  let seen = 0;
  let drawn = false;
  let lastDraw = -Infinity;
  const clear = (): void => {
    if (drawn) stream!.write('\r\x1b[K');
    drawn = false;
  };
  return {
    step(info) {
      if (!stream) return;
      if (info.batch === 0) [sums, seen] = [{}, 0];
      if (!info.scalars[NONFINITE_OUTPUT]) {
        for (const [k, v] of Object.entries(info.scalars)) sums[k] = (sums[k] ?? 0) + v * info.size;
        seen += info.size;
      }
      const now = performance.now();
      if (info.batch > 0 && info.batch + 1 < info.batches && now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      const averages = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / seen]));
      // A line longer than the terminal would wrap, and '\r' would then redraw only its last row.
      const frame = formatBar(info, o.epochs, averages).slice(0, stream.columns ? stream.columns - 1 : undefined);
      stream.write(`\r${frame}\x1b[K`);
      drawn = true;
    },
    epoch(log) {
      clear();
      if (o.verbose > 0) o.lines(`${formatEpochLine(log, o.epochs)}\n`);
    },
    stop: clear,
  };
}
