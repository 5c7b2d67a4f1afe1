// How training reports itself, in `fit` and in `kiln train` alike: a line per finished epoch
// and, on a terminal, a bar redrawn in place with the running averages, the ETA and ms per step,
// drawn by cli-progress.

import cliProgress from 'cli-progress';
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

/** What a frame is drawn from: the last step and the running averages so far. */
interface Frame {
  info: StepInfo;
  averages: Readonly<Record<string, number>>;
}

/**
 * The bar on a terminal, drawn by cli-progress: the first frame of an epoch when it starts, the next
 * on update at most every 100 ms (a timer catches up on the skipped ones whenever the loop yields),
 * the last step's always, and the line cleared on stop.
 */
function terminalBar(stream: ProgressStream, epochs: number): { draw(frame: Frame): void; clear(): void } {
  const bar = new cliProgress.SingleBar({
    // cli-progress drives the stream through readline's cursor helpers, which only call write().
    stream: stream as unknown as NodeJS.WritableStream,
    // A line as wide as the terminal would wrap, and each redraw would then rewrite only its last row
    // (cli-progress takes a terminal that does not give its width to be 80 columns wide).
    format: (_options, params, frame: Frame) => formatBar(frame.info, epochs, frame.averages).slice(0, params.maxWidth - 1),
    // A training loop rarely yields to timers, so the bar also redraws on update(), once two frames
    // have passed since the last: at 20 frames a second, at most every 100 ms.
    synchronousUpdate: true,
    fps: 20,
    clearOnComplete: true,
    // Neither the cursor nor the terminal's line wrapping is turned off: the bar installs no signal
    // handler, so after Ctrl-C they would stay off.
    hideCursor: false,
    linewrap: true,
  });
  return {
    draw(frame) {
      const done = frame.info.batch + 1;
      if (frame.info.batch === 0 || !bar.isActive) {
        bar.stop();
        bar.start(frame.info.batches, done, frame);
        return;
      }
      bar.update(done, frame);
      if (done === frame.info.batches) bar.render();
    },
    clear: () => bar.stop(),
  };
}

/**
 * The reporter of one training run. The bar shows the running averages of the steps applied so
 * far (a skipped step's scalars are left out, as in the epoch's averages).
 */
export function progressReporter(o: ReporterOptions): ProgressReporter {
  const bar = o.verbose === 1 && o.bar?.isTTY ? terminalBar(o.bar, o.epochs) : undefined;
  let sums: Record<string, number> = {};
  let seen = 0;
  return {
    step(info) {
      if (!bar) return;
      if (info.batch === 0) [sums, seen] = [{}, 0];
      if (!info.scalars[NONFINITE_OUTPUT]) {
        for (const [k, v] of Object.entries(info.scalars)) sums[k] = (sums[k] ?? 0) + v * info.size;
        seen += info.size;
      }
      bar.draw({ info, averages: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / seen])) });
    },
    epoch(log) {
      bar?.clear();
      if (o.verbose > 0) o.lines(`${formatEpochLine(log, o.epochs)}\n`);
    },
    stop: () => bar?.clear(),
  };
}
