// The per-epoch progress bar of `kiln train` (cli-progress): batches done, the running loss and
// examples per second, drawn on a terminal only; elsewhere it writes nothing.

import cliProgress from 'cli-progress';

/** Where the bar is drawn: process.stderr, or any object that writes and says whether it is a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface EpochProgress {
  start(epoch: number, epochs: number, batches: number): void;
  update(done: number, examples: number, loss: number): void;
  /** Clears the bar's line, so the epoch summary printed next stands alone. */
  stop(): void;
}

const SILENT: EpochProgress = { start() {}, update() {}, stop() {} };

export function epochProgress(stream: ProgressStream, enabled: boolean): EpochProgress {
  if (!enabled || !stream.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    {
      // cli-progress drives the stream through readline's cursor helpers, which only call write().
      stream: stream as unknown as NodeJS.WritableStream,
      format: 'epoch {epochLabel} {bar} {value}/{total} batches  loss {loss}  {rate} ex/s',
      barsize: 24,
      // A hidden cursor would stay hidden after Ctrl-C, since the bar installs no signal handler.
      hideCursor: false,
      clearOnComplete: true,
      // A training loop rarely yields to timers, so the bar redraws on update() instead.
      synchronousUpdate: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = 0;
  return {
    start(epoch, epochs, batches) {
      started = performance.now();
      bar.start(batches, 0, { epochLabel: `${epoch + 1}/${epochs}`, loss: '-', rate: '-' });
    },
    update(done, examples, loss) {
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { loss: loss.toFixed(4), rate: seconds > 0 ? Math.round(examples / seconds) : '-' });
    },
    stop() {
      bar.stop();
    },
  };
}
