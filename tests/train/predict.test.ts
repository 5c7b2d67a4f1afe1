// predict and evaluate over whole data sets: batched, concatenated in order, weighted; and what they say about wrong inputs.

import { describe, expect, test } from 'vitest';
import { batches, fromArrays } from '../../src/data/dataset.js';
import { graph } from '../../src/frontend/builder.js';
import { KilnError } from '../../src/ir/errors.js';
import { sgd } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { rejectionOf } from '../catch-kiln.js';

// pred = x . w per example; loss = mse, metric = mae.
const lin = graph('lin', (b) => {
  const x = b.input('x', 'f32', ['B', 2]);
  const y = b.input('y', 'f32', ['B']);
  const pred = x.mul(b.param('w', 'f32', [2])).sum(1);
  b.output('loss', b.mse(pred, y));
  b.output('mae', b.mae(pred, y));
  b.output('pred', pred);
});

// Five examples: x = [i, 1], y = 0; with w = [1, 2] pred = i + 2.
const xs = [0, 1, 2, 3, 4].map((i) => [i, 1]);
const five = fromArrays({ x: { data: new Float32Array(xs.flat()), shape: [2] }, y: { data: new Float32Array(5) } });

async function trainer() {
  const t = await compileTraining(lin, { optimizer: sgd({ lr: 0.1 }) });
  t.setParams({ w: [1, 2] });
  return t;
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  const e = await rejectionOf(promise);
  expect(e).toBeInstanceOf(KilnError);
  return (e as Error).message;
}

describe('predict over a data set', () => {
  test('equals the per-batch predictions concatenated, in order; scalars are left to evaluate', async () => {
    const t = await trainer();
    const whole = await t.predict(five, { batchSize: 2 });
    expect(Object.keys(whole)).toEqual(['pred']);
    expect(whole.pred!.shape).toEqual([5]);
    const perBatch = [];
    for (const b of batches(five, 2)) perBatch.push(...Array.from((await t.predict(b)).pred!.data));
    expect(Array.from(whole.pred!.data)).toEqual(perBatch);
    expect(perBatch).toEqual([2, 3, 4, 5, 6]);
  });

  test('plain columns with a batchSize are batched the same way; without one they are one batch', async () => {
    const t = await trainer();
    const batched = await t.predict({ x: xs }, { batchSize: 3 });
    expect(Array.from(batched.pred!.data)).toEqual([2, 3, 4, 5, 6]);
    const one = await t.predict({ x: xs, y: [0, 0, 0, 0, 0] });
    expect(Object.keys(one).sort()).toEqual(['loss', 'mae', 'pred']);
    expect(one.mae!.data[0]).toBe(4); // mean of 2..6
  });

  test('the default batch size takes a small set in one batch', async () => {
    const t = await trainer();
    expect(Array.from((await t.predict(five)).pred!.data)).toEqual([2, 3, 4, 5, 6]);
  });
});

describe('evaluate', () => {
  test('averages each batch’s scalars weighted by its size', async () => {
    const t = await trainer();
    // Batches of 2, 2, 1 with mae 2.5, 4.5, 6: weighted (5 + 9 + 6) / 5 = 4; unweighted would be 13 / 3.
    expect(await t.evaluate(five, { batchSize: 2 })).toEqual({ loss: (4 + 9 + 16 + 25 + 36) / 5, mae: 4 });
    // Plain columns give the same.
    expect(await t.evaluate({ x: xs, y: [0, 0, 0, 0, 0] }, { batchSize: 2 })).toEqual({ loss: 18, mae: 4 });
  });

  test('without the labels nothing can be evaluated, and it says which inputs the model has', async () => {
    const t = await trainer();
    expect(await rejection(t.evaluate({ x: xs }))).toBe('evaluate: no scalar output of lin can be computed from the columns given (x); its inputs are x, y');
  });
});

describe('what predict says about wrong inputs', () => {
  test.each([
    [{ x: [[1, 2, 3]] }, "predict: column 'x' holds examples of shape [3], but the model's x is f32[B, 2] (examples of shape [2])"],
    [{ x: [1, 2, 3] }, "predict: column 'x': 3 values do not divide into examples of shape [2] (2 values each)"],
    [{ x: new Int32Array(4) }, "predict: column 'x' holds i32 values, but the model's x is f32[B, 2]"],
    [
      {
        x: [
          [1, 2],
          [3, 4],
        ],
        y: [1, 2, 3],
      },
      "predict: column 'y' has 3 examples, but column 'x' has 2 examples",
    ],
    [{ x: [[1, 2], [3]] }, "predict: column 'x': data[1] has 1 entries, expected 2 like the others at its depth"],
    [{ x: 'abc' }, "predict: column 'x' must be nested arrays, a typed array or a Tensor [examples, ...], got the string 'abc'"],
    [{ y: [1] }, 'predict: no output of lin can be computed from the columns given (y); its inputs are x, y'],
  ])('%j', async (batch, message) => {
    const t = await trainer();
    expect(await rejection(t.predict(batch as never))).toBe(message);
  });

  test('a data set whose column does not fit is refused before anything runs', async () => {
    const t = await trainer();
    const wide = fromArrays({ x: { data: new Float32Array(6), shape: [3] } });
    expect(await rejection(t.predict(wide))).toBe("predict: column 'x' holds examples of shape [3], but the model's x is f32[B, 2] (examples of shape [2])");
    expect(await rejection(t.predict(fromArrays({ x: { data: new Float32Array(0), shape: [2] } })))).toBe('predict: the data set is empty');
  });
});
