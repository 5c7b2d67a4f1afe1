// fit from plain columns (nested arrays, typed arrays) and validationSplit.

import { describe, expect, test } from 'vitest';
import type { Tensor, TensorLike } from '../../runtime/tensor.js';
import { fromArrays } from '../../src/data/dataset.js';
import type { Batch, Dataset } from '../../src/data/dataset.js';
import { graph } from '../../src/frontend/builder.js';
import { fit } from '../../src/train/fit.js';
import type { FitOptions, Trainable } from '../../src/train/fit.js';
import { sgd } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { SEPARABLE_LABELS, SEPARABLE_POINTS } from './separable.js';

// A two-class logistic model: x f32[B, 2], label i32[B].
const model = graph('twoclass', (b) => {
  const x = b.input('x', 'f32', ['B', 2]);
  const label = b.input('label', 'i32', ['B']);
  const logits = x.dense(b.param('w', 'f32', [2, 2]), b.param('b', 'f32', [2]));
  b.output('loss', b.softmaxCrossEntropy(logits, label));
  b.output('accuracy', b.accuracy(logits, label));
});
const points = SEPARABLE_POINTS;
const labels = SEPARABLE_LABELS;
const options: FitOptions = { epochs: 3, batchSize: 3, seed: 5, verbose: 0 };
const withoutSeconds = (h: readonly Record<string, number>[]) => h.map(({ seconds: _, ...rest }) => rest);

describe('fit from plain columns', () => {
  test('nested arrays and number labels train exactly like the equivalent Dataset', async () => {
    const ds = fromArrays({ x: { data: new Float32Array(points.flat()), shape: [2] }, label: { data: new Int32Array(labels) } });
    const a = await fit(await compileTraining(model, { optimizer: sgd({ lr: 0.5 }), seed: 1 }), ds, { ...options, validation: ds });
    // The labels are numbers: the model's label input makes them i32.
    const plain = { x: points, label: labels };
    const b = await fit(await compileTraining(model, { optimizer: sgd({ lr: 0.5 }), seed: 1 }), plain, { ...options, validation: plain });
    expect(withoutSeconds(b.history)).toEqual(withoutSeconds(a.history));
    expect(a.history[2]!['val_loss']).toBeLessThan(a.history[0]!['val_loss']!);
  });

  test('a flat typed array is cut into the example shape the model declares', async () => {
    const ds = fromArrays({ x: { data: new Float32Array(points.flat()), shape: [2] }, label: { data: new Int32Array(labels) } });
    const a = await fit(await compileTraining(model, { optimizer: sgd({ lr: 0.5 }), seed: 1 }), ds, options);
    const b = await fit(await compileTraining(model, { optimizer: sgd({ lr: 0.5 }), seed: 1 }), { x: new Float32Array(points.flat()), label: new Int32Array(labels) }, options);
    expect(withoutSeconds(b.history)).toEqual(withoutSeconds(a.history));
  });

  test('columns that do not fit the model are refused, naming the column and the declaration', async () => {
    const trainer = await compileTraining(model, { optimizer: sgd({ lr: 0.5 }) });
    await expect(fit(trainer, { x: points.map((p) => [...p, 0]), label: labels }, options)).rejects.toThrow(
      "fit: column 'x' holds examples of shape [3], but the model's x is f32[B, 2] (examples of shape [2])",
    );
    await expect(fit(trainer, { x: points, label: new Float32Array(8) }, options)).rejects.toThrow("fit: column 'label' holds f32 values, but the model's label is i32[B]");
    await expect(fit(trainer, { x: points, label: [1, 0] }, options)).rejects.toThrow("fit: column 'label' has 2 examples, but column 'x' has 8 examples");
    await expect(fit(trainer, { x: points, label: labels.map((l) => l + 0.5) }, options)).rejects.toThrow("fit: column 'label': value 1.5 at index 0 does not fit i32");
    await expect(fit(trainer, { x: 'points' as never, label: labels }, options)).rejects.toThrow(
      "fit: column 'x' must be nested arrays, a typed array or a Tensor [examples, ...], got the string 'points'",
    );
  });
});

/** Records what it trains on and what it evaluates. */
function recorder(): Trainable & { trained: number[]; validated: number[][] } {
  const r = {
    learningRate: 1,
    trained: [] as number[],
    validated: [] as number[][],
    step: (batch: Batch) => (r.trained.push(...Array.from(batch['x']!.data)), Promise.resolve({ loss: 1 })),
    evaluate: (data: Dataset) => (r.validated.push(Array.from(data.columns['x']!.data)), Promise.resolve({ loss: 1 })),
    readState: (): Promise<Record<string, Tensor>> => Promise.resolve({}),
    setParams: (_v: Readonly<Record<string, TensorLike>>) => {},
  };
  return r;
}

describe('validationSplit', () => {
  const ten = { x: Array.from({ length: 10 }, (_, i) => i) };

  test('holds out the last examples, before shuffling, and trains on the rest', async () => {
    const t = recorder();
    const result = await fit(t, ten, { epochs: 2, batchSize: 4, validationSplit: 0.25, verbose: 0 });
    // floor(10 * 0.25) = 2 held out: 8 and 9, the same each epoch.
    expect(t.validated).toEqual([
      [8, 9],
      [8, 9],
    ]);
    expect(t.trained.slice(0, 8).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(t.trained).toHaveLength(16);
    expect(result.history[0]!['val_loss']).toBe(1);
  });

  test('is refused with validation, outside (0, 1), or when a side would be empty', async () => {
    const refused = (o: Partial<FitOptions>) => fit(recorder(), ten, { epochs: 1, batchSize: 4, verbose: 0, ...o });
    await expect(refused({ validationSplit: 0.2, validation: ten })).rejects.toThrow('fit: give validation or validationSplit, not both');
    await expect(refused({ validationSplit: 1 })).rejects.toThrow('fit: validationSplit must be a fraction between 0 and 1 (exclusive), got 1');
    await expect(refused({ validationSplit: 0.05 })).rejects.toThrow('fit: validationSplit 0.05 of 10 examples leaves no validation examples');
  });
});
