// What fit prints: a bar with ETA and ms per step on a terminal, a line per epoch, nothing with verbose 0.

import { describe, expect, test } from 'vitest';
import type { Tensor, TensorLike } from '../../runtime/tensor.js';
import { fromArrays } from '../../src/data/dataset.js';
import type { Batch, Dataset } from '../../src/data/dataset.js';
import { fit } from '../../src/train/fit.js';
import type { FitOptions, Trainable } from '../../src/train/fit.js';
import { formatBar, formatEpochLine } from '../../src/train/progress.js';
import type { ProgressStream } from '../../src/train/progress.js';
import type { Scalars } from '../../src/train/trainer.js';

/** Step k returns steps[k]; every evaluation returns { loss: 0.5 }. */
function scripted(steps: readonly Scalars[]): Trainable {
  let k = 0;
  return {
    learningRate: 1,
    step: (_batch: Batch) => Promise.resolve(steps[k++ % steps.length]!),
    evaluate: (_data: Dataset) => Promise.resolve({ loss: 0.5 }),
    state: (): Record<string, Tensor> => ({}),
    setParams: (_values: Readonly<Record<string, TensorLike>>) => {},
  };
}

/** A stream that records what is written, a terminal or not. */
function stream(isTTY: boolean, columns?: number): ProgressStream & { text: string } {
  const s = { isTTY, text: '', write: (t: string) => ((s.text += t), true), ...(columns ? { columns } : {}) };
  return s;
}

// 5 examples in batches of 2, 2, 1 with losses 1, 2, 4: the epoch's loss is (2 + 4 + 4) / 5 = 2.
const five = fromArrays({ x: { data: [0, 1, 2, 3, 4] } });
const run = (output: ProgressStream, options: Partial<FitOptions> = {}) =>
  fit(scripted([{ loss: 1 }, { loss: 2 }, { loss: 4 }]), five, { epochs: 2, batchSize: 2, shuffle: false, validation: five, output, ...options });
const EPOCH = (k: number) => new RegExp(`^epoch ${k}/2 {2}loss 2\\.0000 {2}val_loss 0\\.5000 {2}\\d+\\.\\ds$`);

describe('fit output', () => {
  test('on a terminal, by default: a bar redrawn in place, cleared before each epoch line', async () => {
    const tty = stream(true);
    await run(tty);
    const text = tty.text.replaceAll('\x1b[K', '<clear>');
    // The first and last step of an epoch are always drawn; the running average after one step is its loss.
    expect(text).toMatch(/^\repoch 1\/2 \[#{7}-{13}\] 1\/3 {2}ETA \d+(\.\d)?s {2}\d+(\.\d)? ms\/step {2}loss 1\.0000<clear>/);
    expect(text).toMatch(/\repoch 1\/2 \[#{20}\] 3\/3 {2}ETA 0\.0s {2}\d+(\.\d)? ms\/step {2}loss 2\.0000<clear>\r<clear>epoch 1\/2 {2}loss/);
    const lines = tty.text.split('\n');
    expect(lines).toHaveLength(3); // two epoch lines, then nothing after the last newline
    expect(lines[0]!.split('\r\x1b[K').at(-1)).toMatch(EPOCH(1));
    expect(lines[1]!.split('\r\x1b[K').at(-1)).toMatch(EPOCH(2));
    expect(lines[2]).toBe('');
  });

  test('elsewhere, by default: the epoch lines only', async () => {
    const pipe = stream(false);
    await run(pipe);
    const lines = pipe.text.split('\n');
    expect(lines.slice(0, 2).map((l) => EPOCH(lines.indexOf(l) + 1).test(l))).toEqual([true, true]);
    expect(lines[2]).toBe('');
    expect(pipe.text).not.toContain('\r');
  });

  test('verbose 2 on a terminal draws no bar; verbose 0 writes nothing', async () => {
    const lines = stream(true);
    await run(lines, { verbose: 2 });
    expect(lines.text.split('\n').slice(0, 2)).toEqual([expect.stringMatching(EPOCH(1)), expect.stringMatching(EPOCH(2))]);
    expect(lines.text).not.toContain('\r');
    const quiet = stream(true);
    await run(quiet, { verbose: 0 });
    expect(quiet.text).toBe('');
  });

  test('a bar longer than the terminal is cut to its width', async () => {
    const narrow = stream(true, 30);
    await run(narrow);
    const frames = narrow.text.split('\r').filter((f) => f.startsWith('epoch') && f.includes('['));
    expect(frames.length).toBeGreaterThanOrEqual(4);
    for (const f of frames) expect(f.replace('\x1b[K', '')).toHaveLength(29);
  });

  test('skipped steps are left out of the running average and named on the epoch line', async () => {
    const pipe = stream(false);
    const t = scripted([{ loss: 1 }, { loss: 9, nonfinite: 3 }, { loss: 4 }]);
    const result = await fit(t, five, { epochs: 1, batchSize: 2, shuffle: false, output: pipe, onSkippedStep: () => {} });
    // (2 * 1 + 1 * 4) / 3 over the two steps applied.
    expect(result.history[0]!.loss).toBe(2);
    expect(pipe.text).toMatch(/^epoch 1\/1 {2}loss 2\.0000 {2}\d+\.\ds {2}\(1 step skipped: NaN or ±Infinity in the update; the weights were kept\)\n$/);
  });

  test('verbose other than 0, 1 or 2 is refused', async () => {
    await expect(run(stream(false), { verbose: 3 as never })).rejects.toThrow('fit: verbose must be 0, 1 or 2, got 3');
  });
});

describe('the formats', () => {
  test('a bar frame: steps done, ETA from the ms per step so far, the running averages', () => {
    // 4 steps in 0.4 s: 100 ms each, 6 left, so 0.6 s to go.
    const frame = formatBar({ epoch: 0, batch: 3, batches: 10, size: 2, seconds: 0.4, scalars: {} }, 5, { loss: 0.5, accuracy: 0.75 });
    expect(frame).toBe('epoch 1/5 [########------------] 4/10  ETA 0.6s  100 ms/step  loss 0.5000  accuracy 0.7500');
    // Under 10 ms a step gets a decimal; from a minute on the ETA reads m:ss.
    expect(formatBar({ epoch: 1, batch: 0, batches: 20001, size: 1, seconds: 0.0045, scalars: {} }, 2, {})).toBe('epoch 2/2 [--------------------] 1/20001  ETA 1:30  4.5 ms/step');
  });

  test('an epoch line: the quantities in their order, four decimals, the seconds; bookkeeping left out', () => {
    expect(formatEpochLine({ epoch: 2, seconds: 1.25, loss: 0.123456, val_loss: Number.NaN }, 10)).toBe('epoch 3/10  loss 0.1235  val_loss NaN  1.3s');
    expect(formatEpochLine({ epoch: 0, seconds: 0, skipped: 2, loss: 1 }, 1)).toBe(
      'epoch 1/1  loss 1.0000  0.0s  (2 steps skipped: NaN or ±Infinity in the update; the weights were kept)',
    );
  });
});
