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
    readState: (): Promise<Record<string, Tensor>> => Promise.resolve({}),
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
const CLEAR_LINE = '\x1b[2K';
/** The escape sequences cli-progress writes, named. */
const shown = (text: string) =>
  text
    .replaceAll('\x1b7', '<save>')
    .replaceAll('\x1b8', '<restore>')
    .replaceAll('\x1b[1G', '<col 1>')
    .replaceAll('\x1b[0K', '<clear right>')
    .replaceAll(CLEAR_LINE, '<clear line>');
const EPOCH = (k: number) => new RegExp(`^epoch ${k}/2 {2}loss 2\\.0000 {2}val_loss 0\\.5000 {2}\\d+\\.\\ds$`);

describe('fit output', () => {
  test('on a terminal, by default: a bar redrawn in place, cleared before each epoch line', async () => {
    const tty = stream(true);
    // What the terminal shows while the validation set is evaluated: the bar stays, at its last step.
    const duringValidation: string[] = [];
    const t = scripted([{ loss: 1 }, { loss: 2 }, { loss: 4 }]);
    t.evaluate = (_data: Dataset) => (duringValidation.push(shown(tty.text).split('<col 1>').at(-1)!), Promise.resolve({ loss: 0.5 }));
    await fit(t, five, { epochs: 2, batchSize: 2, shuffle: false, validation: five, output: tty });
    expect(duringValidation).toEqual([expect.stringMatching(/^epoch 1\/2 \[#{20}\] 3\/3 .*<clear right>$/), expect.stringMatching(/^epoch 2\/2 \[#{20}\] 3\/3 .*<clear right>$/)]);
    const text = shown(tty.text);
    // cli-progress saves the cursor and draws the epoch's first step at once; the running average after one step is its loss.
    expect(text).toMatch(/^<save><col 1>epoch 1\/2 \[#{7}-{13}\] 1\/3 {2}ETA \d+(\.\d)?s {2}\d+(\.\d)? ms\/step {2}loss 1\.0000<clear right><col 1>/);
    // The last step is always drawn; then the cursor goes back and the bar's line is cleared before the epoch line.
    expect(text).toMatch(/<col 1>epoch 1\/2 \[#{20}\] 3\/3 {2}ETA 0\.0s {2}\d+(\.\d)? ms\/step {2}loss 2\.0000<clear right><restore><col 1><clear line>epoch 1\/2 {2}loss/);
    expect(text).toMatch(/<col 1>epoch 2\/2 \[#{20}\] 3\/3 {2}ETA 0\.0s {2}\d+(\.\d)? ms\/step {2}loss 2\.0000<clear right><restore><col 1><clear line>epoch 2\/2 {2}loss/);
    const lines = tty.text.split('\n');
    expect(lines).toHaveLength(3); // two epoch lines, then nothing after the last newline
    expect(lines[0]!.split(CLEAR_LINE).at(-1)).toMatch(EPOCH(1));
    expect(lines[1]!.split(CLEAR_LINE).at(-1)).toMatch(EPOCH(2));
    expect(lines[2]).toBe('');
  });

  test('a failed step clears the bar', async () => {
    const tty = stream(true);
    const t = { ...scripted([{ loss: 1 }]), step: (_batch: Batch) => (tty.text ? Promise.reject(new Error('step failed')) : Promise.resolve({ loss: 1 })) };
    await expect(fit(t, five, { epochs: 1, batchSize: 2, output: tty })).rejects.toThrow('step failed');
    expect(shown(tty.text)).toMatch(/^<save><col 1>epoch 1\/1 \[#{7}-{13}\] 1\/3 .*loss 1\.0000<clear right><restore><col 1><clear line>$/);
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
    // One column is left free: a line as wide as the terminal could wrap.
    const frames = [...shown(narrow.text).matchAll(/<col 1>([^<]*)<clear right>/g)].map((m) => m[1]!);
    expect(frames.length).toBeGreaterThanOrEqual(4); // the first and last step of each epoch
    for (const f of frames) expect(f).toMatch(/^epoch [12]\/2 \[#+-*$/);
    for (const f of frames) expect(f).toHaveLength(29);
  });

  test('skipped steps are left out of the running average and named on the epoch line', async () => {
    const pipe = stream(false);
    const t = scripted([{ loss: 1 }, { loss: 9, nonfinite: 3 }, { loss: 4 }]);
    const result = await fit(t, five, { epochs: 1, batchSize: 2, shuffle: false, output: pipe, onSkippedStep: () => {} });
    // (2 * 1 + 1 * 4) / 3 over the two steps applied.
    expect(result.history[0]!.loss).toBe(2);
    expect(pipe.text).toMatch(/^epoch 1\/1 {2}loss 2\.0000 {2}\d+\.\ds {2}\(1 step skipped: NaN or ±Infinity in the update; the weights were kept\)\n$/);
    // On a terminal the bar's running average leaves the skipped step out too: 2, not (2 + 18 + 4) / 5.
    const tty = stream(true);
    await fit(scripted([{ loss: 1 }, { loss: 9, nonfinite: 3 }, { loss: 4 }]), five, { epochs: 1, batchSize: 2, shuffle: false, output: tty, onSkippedStep: () => {} });
    expect(shown(tty.text)).toMatch(/<col 1>epoch 1\/1 \[#{20}\] 3\/3 {2}ETA 0\.0s {2}\d+(\.\d)? ms\/step {2}loss 2\.0000<clear right><restore>/);
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
