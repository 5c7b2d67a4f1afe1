// fit(): early stopping, restoring the best epoch, weighted epoch averages and lr schedules on a scripted trainer, then one real run.

import { describe, expect, test } from 'vitest';
import type { Tensor, TensorLike } from '../../runtime/tensor.js';
import { fromArrays } from '../../src/data/dataset.js';
import type { Batch, Dataset } from '../../src/data/dataset.js';
import { graph } from '../../src/frontend/builder.js';
import { KilnError } from '../../src/ir/errors.js';
import { fit } from '../../src/train/fit.js';
import type { FitOptions, Trainable } from '../../src/train/fit.js';
import { sgd } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import type { Scalars } from '../../src/train/trainer.js';
import { rejectionOf } from '../catch-kiln.js';
import { SEPARABLE_LABELS, SEPARABLE_POINTS } from './separable.js';

/**
 * A Trainable that plays back a script: step k returns stepScalars[k], the e-th evaluation
 * returns validation[e]. Its "weights" are the number of the last epoch evaluated, so a
 * snapshot says which epoch it was taken after.
 */
class Scripted implements Trainable {
  learningRate = 1;
  readonly steps: { size: number; lr: number; xs: number[] }[] = [];
  readonly restored: Readonly<Record<string, TensorLike>>[] = [];
  stateCalls = 0;
  readonly evalBatchSizes: (number | undefined)[] = [];
  private evaluated = 0;

  constructor(
    private readonly stepScalars: readonly Scalars[],
    private readonly validation: readonly Scalars[] = [],
  ) {}

  step(batch: Batch): Promise<Scalars> {
    const x = batch['x']!;
    this.steps.push({ size: x.shape[0]!, lr: this.learningRate, xs: Array.from(x.data) });
    return Promise.resolve(this.stepScalars[this.steps.length - 1] ?? { loss: 0 });
  }

  evaluate(_data: Dataset, options?: { batchSize?: number }): Promise<Scalars> {
    this.evalBatchSizes.push(options?.batchSize);
    // A failure rejects, as from an async method.
    return new Promise((resolve) => resolve(this.validation[this.evaluated++] ?? expect.fail('evaluated more often than the script allows')));
  }

  readState(): Promise<Record<string, Tensor>> {
    this.stateCalls++;
    return Promise.resolve({ w: { dtype: 'f32', shape: [], data: new Float32Array([this.evaluated - 1]) } });
  }

  setParams(values: Readonly<Record<string, TensorLike>>): void {
    this.restored.push(values);
  }

  /** The epoch tags of the snapshots setParams received. */
  restoredEpochs(): number[] {
    return this.restored.map((v) => (v['w'] as Tensor).data[0]!);
  }
}

/** n examples with x = 0..n-1. */
const examples = (n: number): Dataset => fromArrays({ x: { data: Float32Array.from({ length: n }, (_, i) => i) } });
const val = examples(1); // its contents do not matter: evaluate is scripted
const losses = (...curve: number[]): Scalars[] => curve.map((loss) => ({ loss }));

async function fitError(trainer: Trainable, options: FitOptions, train = examples(4)): Promise<KilnError> {
  const e = await rejectionOf(fit(trainer, train, options));
  expect(e).toBeInstanceOf(KilnError);
  return e as KilnError;
}

describe('early stopping', () => {
  // val_loss by epoch: 0.8 beats 1.0 by more than 0.1, then 0.75 and 0.72 are better but not by 0.1.
  const curve = losses(1.0, 0.8, 0.75, 0.72, 0.5, 0.45);

  test('with patience 2 and minDelta 0.1 it stops after epoch 3 and restores epoch 1', async () => {
    const t = new Scripted([], curve);
    const result = await fit(t, examples(2), { verbose: 0, epochs: 6, batchSize: 2, validation: val, earlyStopping: { patience: 2, minDelta: 0.1 } });
    expect(result.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
    expect(result.history.map((h) => h.val_loss)).toEqual([1.0, 0.8, 0.75, 0.72]);
    expect(result.stoppedEarly).toBe(true);
    expect(result.bestEpoch).toBe(1);
    expect(t.restoredEpochs()).toEqual([1]);
    expect(t.steps).toHaveLength(4); // one batch per epoch, no epoch 4
    expect(t.stateCalls).toBe(2); // a snapshot at each new best: epochs 0 and 1
    expect(t.evalBatchSizes).toEqual([2, 2, 2, 2]); // validation in batches of the training size
  });

  test('with minDelta 0 every epoch improves: no stop, nothing to restore', async () => {
    const t = new Scripted([], curve);
    const result = await fit(t, examples(2), { verbose: 0, epochs: 6, batchSize: 2, validation: val, earlyStopping: { patience: 2 } });
    expect(result.history).toHaveLength(6);
    expect(result.stoppedEarly).toBe(false);
    expect(result.bestEpoch).toBe(5);
    // The best epoch is the last one: the trainer already holds it.
    expect(t.restored).toEqual([]);
  });

  test('with patience 3 the drop to 0.5 comes in time; 0.45 is no improvement by 0.1, so epoch 4 is restored', async () => {
    const t = new Scripted([], curve);
    const result = await fit(t, examples(2), { verbose: 0, epochs: 6, batchSize: 2, validation: val, earlyStopping: { patience: 3, minDelta: 0.1 } });
    expect(result.history).toHaveLength(6);
    expect(result.stoppedEarly).toBe(false);
    expect(result.bestEpoch).toBe(4);
    expect(t.restoredEpochs()).toEqual([4]);
  });

  test("an accuracy is maximized: 'acc' in the name picks mode 'max'", async () => {
    const accs = [0.5, 0.7, 0.65, 0.7, 0.9].map((acc) => ({ loss: 1 - acc, acc }));
    const t = new Scripted([], accs);
    const result = await fit(t, examples(2), { verbose: 0, epochs: 5, batchSize: 2, validation: val, earlyStopping: { patience: 2, monitor: 'val_acc' } });
    // 0.7 at epoch 1; 0.65 and an equal 0.7 do not improve on it.
    expect(result.history.map((h) => h.val_acc)).toEqual([0.5, 0.7, 0.65, 0.7]);
    expect(result.bestEpoch).toBe(1);
    expect(t.restoredEpochs()).toEqual([1]);
  });

  test("mode 'max' for a name without 'acc', and mode 'min' overriding it", async () => {
    const scores = [0.5, 0.7, 0.65, 0.7, 0.9].map((score) => ({ loss: 0, score }));
    const max = new Scripted([], scores);
    const r1 = await fit(max, examples(2), { verbose: 0, epochs: 5, batchSize: 2, validation: val, earlyStopping: { patience: 2, monitor: 'val_score', mode: 'max' } });
    expect([r1.history.length, r1.bestEpoch]).toEqual([4, 1]);
    // Minimized, 0.5 at epoch 0 stays best and the next two epochs exhaust the patience.
    const min = new Scripted([], scores);
    const r2 = await fit(min, examples(2), { verbose: 0, epochs: 5, batchSize: 2, validation: val, earlyStopping: { patience: 2, monitor: 'val_score', mode: 'min' } });
    expect([r2.history.length, r2.bestEpoch]).toEqual([3, 0]);
    expect(min.restoredEpochs()).toEqual([0]);
  });

  test('restoreBest: false keeps the last weights and reports the last epoch', async () => {
    const t = new Scripted([], curve);
    const result = await fit(t, examples(2), {
      epochs: 6,
      batchSize: 2,
      validation: val,
      earlyStopping: { patience: 2, minDelta: 0.1, restoreBest: false },
    });
    expect(result.history).toHaveLength(4);
    expect(result.stoppedEarly).toBe(true);
    expect(result.bestEpoch).toBe(3);
    expect(t.restored).toEqual([]);
    expect(t.stateCalls).toBe(0); // no snapshots taken that would never be used
  });

  test("without validation data the training 'loss' is monitored", async () => {
    // One batch per epoch, so each epoch's loss is its step's.
    const t = new Scripted(losses(3, 2, 2.5, 2.1, 1));
    const result = await fit(t, examples(2), { verbose: 0, epochs: 5, batchSize: 2, earlyStopping: { patience: 2 } });
    expect(result.history.map((h) => h.loss)).toEqual([3, 2, 2.5, 2.1]);
    expect(result.bestEpoch).toBe(1);
  });
});

describe('epoch logs and schedules', () => {
  test("averages are weighted by batch size, with an uneven last batch under 'keep'", async () => {
    // 5 examples in batches of 2, 2, 1.
    const t = new Scripted([
      { loss: 1, acc: 0 },
      { loss: 2, acc: 0.5 },
      { loss: 4, acc: 1 },
    ]);
    const seen: number[] = [];
    const result = await fit(t, examples(5), { verbose: 0, epochs: 1, batchSize: 2, onBatch: (info) => seen.push(info.batch * 10 + info.batches) });
    expect(t.steps.map((s) => s.size)).toEqual([2, 2, 1]);
    // (2 * 1 + 2 * 2 + 1 * 4) / 5 and (2 * 0 + 2 * 0.5 + 1 * 1) / 5; unweighted would be 7/3 and 0.5.
    expect(result.history[0]!.loss).toBe(2);
    expect(result.history[0]!.acc).toBe(0.4);
    expect(seen).toEqual([3, 13, 23]);
    // Every example once per epoch, in a shuffled order.
    expect(t.steps.flatMap((s) => s.xs).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  test("'drop' skips the short batch, and the average is over the examples trained", async () => {
    const t = new Scripted(losses(1, 2, 4));
    const result = await fit(t, examples(5), { verbose: 0, epochs: 1, batchSize: 2, remainder: 'drop' });
    expect(t.steps.map((s) => s.size)).toEqual([2, 2]);
    expect(result.history[0]!.loss).toBe(1.5); // (2 * 1 + 2 * 2) / 4
  });

  test('the learning-rate schedule is set before each epoch', async () => {
    const t = new Scripted([]);
    const logged: number[] = [];
    await fit(t, examples(4), { verbose: 0, epochs: 3, batchSize: 2, learningRate: (epoch) => 0.1 * 0.5 ** epoch, onEpoch: (log) => logged.push(log.epoch) });
    expect(t.steps.map((s) => s.lr)).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(t.learningRate).toBe(0.025);
    expect(logged).toEqual([0, 1, 2]);
  });

  test('without a schedule the learning rate is left alone', async () => {
    const t = new Scripted([]);
    t.learningRate = 0.3;
    await fit(t, examples(2), { verbose: 0, epochs: 2, batchSize: 2 });
    expect(t.steps.map((s) => s.lr)).toEqual([0.3, 0.3]);
  });
});

test("without early stopping, a trainer whose loss is not named 'loss' still fits", async () => {
  // compileTraining's `loss` option names the minimized output; nothing asked fit to monitor it.
  const g = graph('custom', (b) => {
    const x = b.input('x', 'f32', ['B']);
    b.output('objective', b.param('w', 'f32', [1]).sum().add(x.sum()));
  });
  const trainer = await compileTraining(g, { optimizer: sgd({ lr: 0.5 }), loss: 'objective' });
  const result = await fit(trainer, examples(4), { verbose: 0, epochs: 2, batchSize: 2 });
  // objective = w + sum(x in batch); dw = 1, so w is 0, -0.5 in epoch 0 and -1, -1.5 in epoch 1.
  // Weighted by 2 per batch, whatever the order: (2 (0 - 0.5) + 2 * 6) / 4 and (2 (-1 - 1.5) + 2 * 6) / 4.
  expect(result.history.map((h) => h.objective)).toEqual([2.75, 1.75]);
  expect(trainer.stepCount).toBe(4);
  expect(Array.from(trainer.params()['w']!.data)).toEqual([-2]);
});

describe('fit errors', () => {
  test.each([
    [{ epochs: 0, batchSize: 2 }, 'fit: epochs must be a positive integer, got 0'],
    [{ epochs: 1.5, batchSize: 2 }, 'fit: epochs must be a positive integer, got 1.5'],
    [{ epochs: 1, batchSize: 0 }, 'fit: batchSize must be a positive integer, got 0'],
    [{ epochs: 1, batchSize: 2.5 }, 'fit: batchSize must be a positive integer, got 2.5'],
    [{ epochs: 1, batchSize: 8, remainder: 'drop' as const }, "fit: 4 examples make no batch of 8 with remainder 'drop'"],
  ])('%j', async (options, message) => {
    const t = new Scripted([]);
    const e = await fitError(t, options);
    expect(e.code).toBe('usage');
    expect(e.message).toBe(message);
    expect(t.steps).toEqual([]); // refused before any training
  });

  test('an unknown monitor names itself and the quantities the logs have', async () => {
    const t = new Scripted([], losses(1, 1));
    const e = await fitError(t, { epochs: 2, batchSize: 2, validation: val, earlyStopping: { patience: 1, monitor: 'val_acc' } });
    expect(e.message).toBe("fit: early stopping monitors 'val_acc', which epoch logs do not have (epoch, seconds, loss, val_loss)");
  });
});

test('a real trainer fits a linearly separable set to accuracy 1', async () => {
  const points = SEPARABLE_POINTS;
  const labels = SEPARABLE_LABELS;
  const data = fromArrays({
    x: { data: new Float32Array(points.flat()), shape: [2] },
    label: { data: new Int32Array(labels) },
  });
  const model = graph('separable', (b) => {
    const x = b.input('x', 'f32', ['B', 2]);
    const label = b.input('label', 'i32', ['B']);
    const logits = x.dense(b.param('w', 'f32', [2, 2]), b.param('b', 'f32', [2]));
    b.output('loss', b.softmaxCrossEntropy(logits, label));
    b.output('accuracy', b.accuracy(logits, label));
  });
  const trainer = await compileTraining(model, { optimizer: sgd({ lr: 0.5 }), seed: 1 });
  const result = await fit(trainer, data, { verbose: 0, epochs: 30, batchSize: 3, validation: data, seed: 7 });
  const last = result.history.at(-1)!;
  expect(last.val_accuracy).toBe(1);
  expect(last.val_loss).toBeLessThan(result.history[0]!.val_loss! / 2);
  expect(await trainer.evaluate(data)).toMatchObject({ accuracy: 1 });
  expect(trainer.stepCount).toBe(30 * 3); // 8 examples in batches of 3, 3, 2
});
