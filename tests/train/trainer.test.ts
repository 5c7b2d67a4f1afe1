// The Trainer: step scalars, weighted evaluation, predict, shared weights across batch sizes, dropout, regularization, reseeding and its errors.

import { describe, expect, test, vi } from 'vitest';
import { compile } from '../../src/compile.js';
import { batches, fromArrays } from '../../src/data/dataset.js';
import { graph, init } from '../../src/frontend/builder.js';
import { KilnError } from '../../src/ir/errors.js';
import type { Graph } from '../../src/ir/graph.js';
import { sgd } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import type { TrainingOptions } from '../../src/train/trainer.js';
import { rejectionOf } from '../catch-kiln.js';

// Count compilations, so a test can tell a new program from a cached one.
vi.mock('../../src/compile.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/compile.js')>();
  return { ...real, compile: vi.fn(real.compile) };
});

// pred = x . w per example; loss = mse, metric = mae, and the (non-scalar) predictions.
const lin = graph('lin', (b) => {
  const x = b.input('x', 'f32', ['B', 2]);
  const y = b.input('y', 'f32', ['B']);
  const w = b.param('w', 'f32', [2]);
  const pred = x.mul(w).sum(1);
  b.output('loss', b.mse(pred, y));
  b.output('mae', b.mae(pred, y));
  b.output('pred', pred);
});

const data = (trainer: { params(): Record<string, { data: ArrayLike<number> }> }, name: string) => Array.from(trainer.params()[name]!.data);

async function rejection(promise: Promise<unknown>): Promise<KilnError> {
  const e = await rejectionOf(promise);
  expect(e).toBeInstanceOf(KilnError);
  return e as KilnError;
}

describe('step, evaluate and predict', () => {
  test('step returns the loss and the scalar metrics from before the update, then updates', async () => {
    const trainer = await compileTraining(lin, { optimizer: sgd({ lr: 0.125 }) });
    trainer.setParams({ w: [1, 0] });
    // pred = [2, 4], errors [1, 2]: mse (1 + 4) / 2, mae (1 + 2) / 2; 'pred' is not a scalar.
    const out = await trainer.step({
      x: [
        [2, 7],
        [4, 7],
      ],
      y: [1, 2],
    });
    expect(out).toEqual({ loss: 2.5, mae: 1.5 });
    // dmse/dw = (2 / 2) (1 [2, 7] + 2 [4, 7]) = [10, 21]; w - 0.125 [10, 21]
    expect(data(trainer, 'w')).toEqual([-0.25, -2.625]);
    expect(trainer.stepCount).toBe(1);
  });

  // Five examples whose errors under w = [1, 0] are 1..5.
  const five = fromArrays({
    x: { data: new Float32Array([2, 7, 4, 7, 6, 7, 8, 7, 10, 7]), shape: [2] },
    y: { data: new Float32Array([1, 2, 3, 4, 5]) },
  });

  test('evaluate weights each batch by its size, so a short last batch counts less', async () => {
    const trainer = await compileTraining(lin, { optimizer: sgd({ lr: 0.125 }) });
    trainer.setParams({ w: [1, 0] });
    // Batches of 2, 2, 1: mse over all = (1 + 4 + 9 + 16 + 25) / 5 = 11 and mae = 15 / 5 = 3,
    // where a plain mean of the batch means would give (2.5 + 12.5 + 25) / 3 and (1.5 + 3.5 + 5) / 3.
    expect(await trainer.evaluate(five, { batchSize: 2 })).toEqual({ loss: 11, mae: 3 });
    // Batches given directly (3, then 2) are weighted the same way; 14 / 3 is rounded in f32.
    const direct = await trainer.evaluate(batches(five, 3));
    expect(Object.keys(direct).sort()).toEqual(['loss', 'mae']);
    expect(direct.loss).toBeCloseTo(11, 5);
    expect(direct.mae).toBe(3);
    // Evaluation trains nothing.
    expect(data(trainer, 'w')).toEqual([1, 0]);
    expect(trainer.stepCount).toBe(0);
  });

  test('evaluate refuses an empty data set', async () => {
    const trainer = await compileTraining(lin, { optimizer: sgd({ lr: 0.125 }) });
    const empty = fromArrays({ x: { data: new Float32Array(0), shape: [2] }, y: { data: new Float32Array(0) } });
    expect((await rejection(trainer.evaluate(empty))).message).toBe('evaluate: the data set is empty');
  });

  test('predict returns every output of the evaluation program', async () => {
    const trainer = await compileTraining(lin, { optimizer: sgd({ lr: 0.125 }) });
    trainer.setParams({ w: [1, 0.5] });
    // pred = [2 + 3.5, 4 + 0.5] = [5.5, 4.5]; errors vs [5, 5] are [0.5, -0.5].
    const out = await trainer.predict({
      x: [
        [2, 7],
        [4, 1],
      ],
      y: [5, 5],
    });
    expect(Object.keys(out).sort()).toEqual(['loss', 'mae', 'pred']);
    expect(out.pred!.shape).toEqual([2]);
    expect(Array.from(out.pred!.data)).toEqual([5.5, 4.5]);
    expect(out.loss!.data[0]).toBe(0.25);
    expect(out.mae!.data[0]).toBe(0.5);
  });

  test('a batch of another size compiles another program over the same weights', async () => {
    const compiles = vi.mocked(compile);
    const trainer = await compileTraining(lin, { optimizer: sgd({ lr: 0.125 }) });
    const b4 = {
      x: [
        [1, 0],
        [0, 1],
        [1, 0],
        [0, 1],
      ],
      y: [1, 2, 3, 4],
    };
    const b3 = {
      x: [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      y: [1, 1, 1],
    };

    // w0 = 0: loss (1 + 4 + 9 + 16) / 4; grad (2 / 4) (-[1 + 3, 2 + 4]) = [-2, -3]; w1 = [0.25, 0.375].
    expect((await trainer.step(b4)).loss).toBe(7.5);
    expect(data(trainer, 'w')).toEqual([0.25, 0.375]);
    const afterB4 = compiles.mock.calls.length;

    // The B = 3 step starts from w1: pred [0.25, 0.375, 0.625], errors [-0.75, -0.625, -0.375],
    // loss (0.5625 + 0.390625 + 0.140625) / 3 (fresh weights would give 1).
    const loss3 = (await trainer.step(b3)).loss!;
    expect(loss3).toBeCloseTo(1.09375 / 3, 6);
    expect(compiles.mock.calls.length).toBe(afterB4 + 1);
    // grad (2 / 3) [-0.75 - 0.375, -0.625 - 0.375] = [-0.75, -2/3]; w2 = w1 - 0.125 grad.
    const w2 = data(trainer, 'w');
    expect(w2[0]).toBe(0.34375);
    expect(w2[1]).toBeCloseTo(0.375 + 0.125 * (2 / 3), 6);

    // Evaluation at B = 3 (a program of its own) reads the same weights: pred = x . w2.
    const pred = Array.from((await trainer.predict(b3)).pred!.data);
    expect(pred[0]).toBe(0.34375);
    expect(pred[2]).toBeCloseTo(0.34375 + 0.375 + 0.125 * (2 / 3), 6);

    // Back at B = 4 the cached program sees w2: errors [-0.65625, -1.5416667, -2.65625, -3.5416667].
    expect((await trainer.step(b4)).loss).toBeCloseTo(5.6016168, 5);
    expect(compiles.mock.calls.filter(([g]) => g === trainer.trainGraph).length).toBe(3); // B = 1 (initialize), 4, 3
  });

  test("precision 'f64' applies the learning rate in double precision", async () => {
    const g = graph('slope', (b) => {
      b.output('loss', b.param('w', 'f32', [1]).sum());
    });
    const trainer = await compileTraining(g, { backend: 'reference', optimizer: sgd({ lr: 0.1 }), precision: 'f64' });
    trainer.setParams({ w: new Float64Array([1]) });
    await trainer.step({});
    // dloss/dw = 1: w = 1 - 0.1 in doubles, not 1 - f32(0.1) = 0.8999999985.
    expect(trainer.params()['w']!.data[0]).toBe(0.9);
  });
});

describe('dropout', () => {
  // h = dropout(x); the loss trains w; 'kept' counts kept elements and 'signature' sums
  // 1-based indices of kept elements (times the 1 / (1 - rate) = 2 scale): it identifies a mask.
  const drop = graph('drop', (b) => {
    const x = b.input('x', 'f32', ['B', 16]);
    const w = b.param('w', 'f32', [16], init.ones());
    const h = x.dropout(0.5);
    b.output('loss', h.mul(w).mean());
    b.output('kept', h.ne(0).cast('f32').sum());
    b.output('signature', h.mul(b.constant(Array.from({ length: 16 }, (_, i) => i + 1))).sum());
  });
  const ones = { x: [new Array<number>(16).fill(1)] };

  test('training masks (a new mask each step), evaluation does not', async () => {
    const trainer = await compileTraining(drop, { optimizer: sgd({ lr: 0.01 }) });
    // No dropout: every element kept at its value; indices 1..16 sum to 136.
    const clean = { loss: 1, kept: 16, signature: 136 };
    expect(await trainer.evaluate(batches(fromArrays({ x: { data: new Float32Array(16).fill(1), shape: [16] } }), 1))).toEqual(clean);

    const s1 = await trainer.step(ones);
    // Each kept element is 2, each dropped one 0, and w is still ones: loss = 2 kept / 16.
    expect(s1.kept).toBeGreaterThan(0);
    expect(s1.kept).toBeLessThan(16);
    expect(s1.loss).toBe(s1.kept! / 8);
    expect(s1.signature! % 2).toBe(0);
    expect(s1.signature).not.toBe(136);

    // The step count keys the mask: steps 2 and 3 draw other masks from the same program.
    const s2 = await trainer.step(ones);
    const s3 = await trainer.step(ones);
    expect(s2.signature).not.toBe(s1.signature);
    expect(s3.signature).not.toBe(s2.signature);
    // A 'step' given in the batch overrides the count: step 0's mask again.
    expect((await trainer.step({ ...ones, step: 0 })).signature).toBe(s1.signature);

    // Evaluation after training: still no mask, and repeatable; the loss is mean(w) now.
    const meanW = data(trainer, 'w').reduce((a, v) => a + v, 0) / 16;
    const e1 = await trainer.predict(ones);
    const e2 = await trainer.predict(ones);
    expect(e1.kept!.data[0]).toBe(16);
    expect(e1.signature!.data[0]).toBe(136);
    expect(e1.loss!.data[0]).toBeCloseTo(meanW, 6);
    expect(meanW).toBeLessThan(1); // w did train
    expect(Array.from(e2.loss!.data)).toEqual(Array.from(e1.loss!.data));
  });

  test('the evaluation graph has dropout off and the training graph has it on', async () => {
    const trainer = await compileTraining(drop, { optimizer: sgd({ lr: 0.01 }) });
    const flags = (g: Graph) => g.nodes.filter((n) => n.op === 'dropout').map((n) => n.attrs['training']);
    expect(flags(trainer.evalGraph)).toEqual([false]);
    // The step graph is decomposed by autodiff: a random draw remains where dropout was.
    expect(trainer.trainGraph.nodes.some((n) => n.op === 'random_uniform')).toBe(true);
    expect(trainer.evalGraph.nodes.some((n) => n.op === 'random_uniform')).toBe(false);
  });
});

describe('regularization', () => {
  // pred = x w + b; the penalties apply by default to rank >= 2 weights (w), not to b.
  const affine = graph('affine', (b) => {
    const x = b.input('x', 'f32', ['B', 2]);
    const y = b.input('y', 'f32', ['B', 1]);
    const w = b.param('w', 'f32', [2, 1]);
    const bias = b.param('b', 'f32', [1]);
    b.output('loss', b.mse(x.dense(w, bias), y));
  });
  const one = { x: [[1, 0]], y: [[0]] };

  async function trainer(regularization: TrainingOptions['regularization']) {
    const t = await compileTraining(affine, { optimizer: sgd({ lr: 0.25 }), regularization });
    t.setParams({ w: [[1], [2]], b: [0.5] });
    return t;
  }

  test('l2 adds l2 * sum(w^2) to the loss and 2 l2 w to the gradient', async () => {
    const t = await trainer({ l2: 0.25 });
    // pred = 1 + 0.5 = 1.5: data loss 2.25; penalty 0.25 (1 + 4) = 1.25 (b would add 0.0625).
    expect(await t.step(one)).toEqual({ loss: 3.5, data_loss: 2.25 });
    // d data / dw = 2 (1.5) [1, 0] = [3, 0], plus 2 (0.25) [1, 2] = [0.5, 1]; w - 0.25 [3.5, 1].
    expect(data(t, 'w')).toEqual([0.125, 1.75]);
    // b gets the data gradient 3 only: 0.5 - 0.75.
    expect(data(t, 'b')).toEqual([-0.25]);
    // Evaluation reports both too: pred = 0.125 - 0.25, data loss 0.015625,
    // penalty 0.25 (0.015625 + 3.0625) = 0.76953125.
    expect(await t.evaluate([{ x: { dtype: 'f32', shape: [1, 2], data: new Float32Array([1, 0]) }, y: { dtype: 'f32', shape: [1, 1], data: new Float32Array([0]) } }])).toEqual({
      loss: 0.78515625,
      data_loss: 0.015625,
    });
  });

  test('l1 adds l1 * sum(|w|) to the loss and l1 sign(w) to the gradient', async () => {
    const t = await trainer({ l1: 0.5 });
    // penalty 0.5 (1 + 2) = 1.5; gradient [3, 0] + 0.5 [1, 1]; w - 0.25 [3.5, 0.5].
    expect(await t.step(one)).toEqual({ loss: 3.75, data_loss: 2.25 });
    expect(data(t, 'w')).toEqual([0.125, 1.875]);
  });

  test('without regularization there is no data_loss output', async () => {
    const t = await trainer(undefined);
    expect(await t.step(one)).toEqual({ loss: 2.25 });
  });
});

test('reseeding: the same seed gives the same initial weights, another seed others', async () => {
  const model = graph('glorot', (b) => {
    const x = b.input('x', 'f32', ['B', 3]);
    b.output('loss', x.matmul(b.param('w', 'f32', [3, 3])).sum());
  });
  const weights = async (seed?: number) => {
    const t = await compileTraining(model, { optimizer: sgd({ lr: 0.1 }), ...(seed === undefined ? {} : { seed }) });
    return Array.from(t.params()['w']!.data);
  };
  const a = await weights(1);
  const b = await weights(1);
  const c = await weights(2);
  const unseeded = await weights();
  expect(b).toEqual(a);
  expect(c).not.toEqual(a);
  expect(unseeded).not.toEqual(a);
  // Real glorot draws: inside +-sqrt(6 / (3 + 3)) = +-1, and not all equal.
  for (const v of [...a, ...c]) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  expect(new Set(a).size).toBe(9);
});

describe('errors', () => {
  const options = { optimizer: sgd({ lr: 0.1 }) };

  test('a graph without the loss output', async () => {
    const g = graph('noloss', (b) => {
      b.output('out', b.param('w', 'f32', [2]).sum());
    });
    const e = await rejection(compileTraining(g, options));
    expect(e.code).toBe('usage');
    expect(e.message).toBe("compileTraining: graph noloss has no output 'loss' to minimize (outputs: out)");
    // Naming it as the loss makes the same graph trainable.
    const t = await compileTraining(g, { ...options, loss: 'out' });
    expect(await t.step({})).toEqual({ out: 0 });
  });

  test('a loss that is not a scalar names the loss and its type', async () => {
    const g = graph('vec', (b) => {
      const x = b.input('x', 'f32', [2]);
      b.output('loss', b.param('w', 'f32', [2]).mul(x));
    });
    const e = await rejection(compileTraining(g, options));
    expect(e.code).toBe('usage');
    // The complaint must be the shape of 'loss', not that there is no 'loss' at all.
    expect(e.message).toMatch(/'loss' must be a scalar f32, got f32\[2\]/);
  });

  test("an input named 'lr' is reserved for the learning rate", async () => {
    const g = graph('haslr', (b) => {
      const lr = b.input('lr', 'f32', []);
      b.output('loss', b.param('w', 'f32', []).mul(lr));
    });
    const e = await rejection(compileTraining(g, options));
    expect(e.code).toBe('usage');
    expect(e.message).toBe("compileTraining: the input name 'lr' is reserved for the learning rate");
  });

  test.each([
    ['f32', [] as number[], 'f32[]'],
    ['i32', [2], 'i32[2]'],
  ] as const)("a 'step' input of type %s%j is refused", async (dtype, shape, shown) => {
    const g = graph('badstep', (b) => {
      const step = b.input('step', dtype, shape);
      b.output('loss', b.param('w', 'f32', []).mul(2));
      b.output('s', step.cast('f32').sum());
    });
    const e = await rejection(compileTraining(g, options));
    expect(e.code).toBe('usage');
    expect(e.message).toBe(`compileTraining: input 'step' receives the step count and must be i32[], got ${shown}`);
  });

  test('bad regularization options', async () => {
    const g = graph('reg', (b) => {
      b.output('loss', b.param('w', 'f32', [2, 2]).sum());
    });
    const negative = await rejection(compileTraining(g, { ...options, regularization: { l2: -0.1 } }));
    expect(negative.message).toBe('regularization: l2 must be a non-negative number, got -0.1');
    const unknown = await rejection(compileTraining(g, { ...options, regularization: { l1: 0.1, params: ['v'] } }));
    expect(unknown.message).toBe("regularization: 'v' is not a parameter of graph reg");
  });

  test('a graph without f32 parameters has nothing to train', async () => {
    const g = graph('noparams', (b) => {
      b.output('loss', b.input('x', 'f32', [2]).sum());
    });
    expect((await rejection(compileTraining(g, options))).message).toBe('compileTraining: graph noparams has no f32 parameters to train');
  });
});

describe('learning rates', () => {
  test('a rate that is not a positive number is refused and the weights stay', async () => {
    const trainer = await compileTraining(lin, { optimizer: sgd({ lr: 0.125 }) });
    trainer.setParams({ w: [1, 0] });
    const batch = {
      x: [
        [2, 7],
        [4, 7],
      ],
      y: [1, 2],
    };
    for (const lr of [0, -0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const e = await rejection(trainer.step(batch, { lr }));
      expect(e.message).toBe(`step: the learning rate must be a positive number, got ${lr}`);
    }
    trainer.learningRate = Number.NaN;
    expect((await rejection(trainer.step(batch))).message).toBe('step: the learning rate must be a positive number, got NaN');
    expect(data(trainer, 'w')).toEqual([1, 0]);
    expect(trainer.stepCount).toBe(0);
  });
});

describe('predict without labels', () => {
  test('outputs that need only the given columns are computed; the loss is left out', async () => {
    const trainer = await compileTraining(lin, { optimizer: sgd({ lr: 0.125 }) });
    trainer.setParams({ w: [1, -1] });
    const out = await trainer.predict({
      x: [
        [2, 7],
        [4, 1],
        [0, 5],
      ],
    });
    expect(Object.keys(out)).toEqual(['pred']);
    expect(Array.from(out.pred!.data)).toEqual([-5, 3, -5]);
    // With labels the loss comes back too, from the same weights.
    const full = await trainer.predict({ x: [[2, 7]], y: [-4] });
    expect(Object.keys(full).sort()).toEqual(['loss', 'mae', 'pred']);
    expect(full.loss!.data[0]).toBe(1);
  });

  test('a batch that feeds no output is refused, naming the inputs', async () => {
    const trainer = await compileTraining(lin, { optimizer: sgd({ lr: 0.125 }) });
    expect((await rejection(trainer.predict({ y: [1] }))).message).toBe('predict: no output of lin can be computed from the columns given (y); its inputs are x, y');
  });
});
