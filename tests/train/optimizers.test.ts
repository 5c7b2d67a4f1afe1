// Optimizers: the first steps of SGD, momentum, Nesterov, Adam and AdamW against hand-computed values, the lr input, argument checks, and the update IR.

import { describe, expect, test, vi } from 'vitest';
import { compile } from '../../src/compile.js';
import { graph } from '../../src/frontend/builder.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { printGraph } from '../../src/ir/text.js';
import { appendOptimizer } from '../../src/passes/optimizer.js';
import { adam, adamw, sgd } from '../../src/train/optimizers.js';
import type { Optimizer } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import type { Trainer } from '../../src/train/trainer.js';
import { catchKiln } from '../catch-kiln.js';

// Count compilations, so "without recompiling" is something a test can see.
vi.mock('../../src/compile.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/compile.js')>();
  return { ...real, compile: vi.fn(real.compile) };
});

// loss = sum((w - t)^2), so dloss/dw = 2 (w - t). With w0 = [1, -2] and t = [0, 1]:
// w0 - t = [1, -3], g0 = [2, -6], loss0 = 1 + 9 = 10.
const quad = graph('quad', (b) => {
  const t = b.input('t', 'f32', [2]);
  const w = b.param('w', 'f32', [2]);
  b.output('loss', w.sub(t).square().sum());
});
const batch = { t: [0, 1] };

async function quadTrainer(optimizer: Optimizer): Promise<Trainer> {
  const trainer = await compileTraining(quad, { optimizer });
  trainer.setParams({ w: [1, -2] });
  return trainer;
}

const values = (trainer: Trainer, name: string): number[] => Array.from(trainer.state()[name]!.data);

/** Each element within a relative 1e-5 of the hand value (f32 arithmetic, a few roundings). */
function expectClose(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    if (Math.abs(a - e) > 1e-5 * Math.max(1, Math.abs(e))) expect.fail(`element ${i}: expected ${e}, got ${a} (all: ${Array.from(actual).join(', ')})`);
  });
}

describe('SGD family, with dyadic numbers so f32 results are exact', () => {
  test('plain SGD: w <- w - lr g', async () => {
    const trainer = await quadTrainer(sgd({ lr: 0.125 }));
    // Each step scales w - t by 1 - 2 lr = 0.75.
    expect((await trainer.step(batch)).loss).toBe(10);
    expect(values(trainer, 'w')).toEqual([0.75, -1.25]); // [1, -2] - 0.125 [2, -6]
    // w - t = [0.75, -2.25]: loss 0.5625 + 5.0625.
    expect((await trainer.step(batch)).loss).toBe(5.625);
    expect(values(trainer, 'w')).toEqual([0.5625, -0.6875]); // w - t = [0.5625, -1.6875]
    await trainer.step(batch);
    expect(values(trainer, 'w')).toEqual([0.421875, -0.265625]); // w - t = [0.421875, -1.265625]
    // Plain SGD keeps no state besides the weights.
    expect(Object.keys(trainer.state()).sort()).toEqual(['w']);
    expect(trainer.stepCount).toBe(3);
  });

  test('momentum: v <- mu v + g; w <- w - lr v', async () => {
    const trainer = await quadTrainer(sgd({ lr: 0.125, momentum: 0.5 }));
    await trainer.step(batch);
    // v1 = g0 = [2, -6]; w1 = [1, -2] - 0.125 [2, -6]
    expect(values(trainer, 'w.velocity')).toEqual([2, -6]);
    expect(values(trainer, 'w')).toEqual([0.75, -1.25]);
    await trainer.step(batch);
    // g1 = 2 [0.75, -2.25] = [1.5, -4.5]; v2 = [1, -3] + g1 = [2.5, -7.5]; w2 = w1 - 0.125 v2
    expect(values(trainer, 'w.velocity')).toEqual([2.5, -7.5]);
    expect(values(trainer, 'w')).toEqual([0.4375, -0.3125]);
    await trainer.step(batch);
    // g2 = 2 [0.4375, -1.3125] = [0.875, -2.625]; v3 = [1.25, -3.75] + g2 = [2.125, -6.375]
    expect(values(trainer, 'w.velocity')).toEqual([2.125, -6.375]);
    expect(values(trainer, 'w')).toEqual([0.171875, 0.484375]); // w2 - 0.125 v3
  });

  test('Nesterov: v <- mu v + g; w <- w - lr (g + mu v)', async () => {
    const trainer = await quadTrainer(sgd({ lr: 0.125, momentum: 0.5, nesterov: true }));
    await trainer.step(batch);
    // v1 = [2, -6]; direction g0 + 0.5 v1 = [3, -9]; w1 = [1, -2] - 0.125 [3, -9]
    expect(values(trainer, 'w.velocity')).toEqual([2, -6]);
    expect(values(trainer, 'w')).toEqual([0.625, -0.875]);
    await trainer.step(batch);
    // g1 = 2 [0.625, -1.875] = [1.25, -3.75]; v2 = [1, -3] + g1 = [2.25, -6.75];
    // direction g1 + 0.5 v2 = [2.375, -7.125]; w2 = w1 - 0.125 [2.375, -7.125]
    expect(values(trainer, 'w.velocity')).toEqual([2.25, -6.75]);
    expect(values(trainer, 'w')).toEqual([0.328125, 0.015625]);
    await trainer.step(batch);
    // g2 = 2 [0.328125, -0.984375] = [0.65625, -1.96875]; v3 = [1.125, -3.375] + g2 = [1.78125, -5.34375];
    // direction g2 + 0.5 v3 = [1.546875, -4.640625]; w3 = w2 - 0.125 direction
    expect(values(trainer, 'w.velocity')).toEqual([1.78125, -5.34375]);
    expect(values(trainer, 'w')).toEqual([0.134765625, 0.595703125]);
  });
});

describe('Adam family (lr 0.1, beta1 0.9, beta2 0.999, eps 1e-8)', () => {
  test('Adam with bias correction, and its m, v and step state', async () => {
    const trainer = await quadTrainer(adam({ lr: 0.1 }));
    // The state exists, zeroed, before the first step.
    expect(values(trainer, 'w.m')).toEqual([0, 0]);
    expect(values(trainer, 'w.v')).toEqual([0, 0]);
    expect(values(trainer, 'optimizer.step')).toEqual([0]);
    expect(trainer.state()['optimizer.step']!.shape).toEqual([]);

    expect((await trainer.step(batch)).loss).toBe(10);
    // m1 = 0.1 g0 = [0.2, -0.6]; v1 = 0.001 g0^2 = [0.004, 0.036]; corrected by 1 - 0.9 and
    // 1 - 0.999 they are g0 and g0^2, so each weight moves by lr g / (|g| + eps) = 0.1 sign(g).
    expectClose(trainer.state()['w.m']!.data, [0.2, -0.6]);
    expectClose(trainer.state()['w.v']!.data, [0.004, 0.036]);
    expect(values(trainer, 'optimizer.step')).toEqual([1]);
    expectClose(trainer.state()['w']!.data, [0.9, -1.9]);

    // w1 - t = [0.9, -2.9]: loss 0.81 + 8.41; g1 = [1.8, -5.8].
    expectClose([(await trainer.step(batch)).loss!], [9.22]);
    // m2 = 0.9 m1 + 0.1 g1 = [0.36, -1.12]; v2 = 0.999 v1 + 0.001 g1^2 = [0.007236, 0.069604].
    expectClose(trainer.state()['w.m']!.data, [0.36, -1.12]);
    expectClose(trainer.state()['w.v']!.data, [0.007236, 0.069604]);
    expect(values(trainer, 'optimizer.step')).toEqual([2]);
    // m^ = m2 / 0.19 = [1.8947368, -5.8947368]; v^ = v2 / 0.001999 = [3.6198099, 34.8194097];
    // m^ / (sqrt(v^) + eps) = [0.99587772, -0.99897293]; w2 = w1 - 0.1 times that.
    expectClose(trainer.state()['w']!.data, [0.80041223, -1.80010271]);

    await trainer.step(batch);
    // g2 = 2 (w2 - t) = [1.6008245, -5.6002054]; m3 = [0.48408245, -1.5680205];
    // v3 = [0.0097914029, 0.1008966967]; corrections 1 - 0.9^3 = 0.271, 1 - 0.999^3 = 0.002997001;
    // direction [0.98825956, -0.99721184]; w3 = w2 - 0.1 direction.
    expectClose(trainer.state()['w.m']!.data, [0.48408245, -1.5680205]);
    expectClose(trainer.state()['w.v']!.data, [0.0097914029, 0.1008966967]);
    expectClose(trainer.state()['w']!.data, [0.70158627, -1.70038152]);
    expect(values(trainer, 'optimizer.step')).toEqual([3]);
  });

  test('AdamW decays the weights directly, not through the moments', async () => {
    const trainer = await quadTrainer(adamw({ lr: 0.1, weightDecay: 0.5 }));
    await trainer.step(batch);
    // The moments see the plain gradient: m1 = [0.2, -0.6], v1 = [0.004, 0.036].
    expectClose(trainer.state()['w.m']!.data, [0.2, -0.6]);
    expectClose(trainer.state()['w.v']!.data, [0.004, 0.036]);
    // w1 = w0 - 0.1 ([1, -1] + 0.5 w0) = [1 - 0.15, -2 + 0.2]. Decay folded into the gradient
    // (Adam + L2) would be normalized away instead, giving [0.9, -1.9].
    expectClose(trainer.state()['w']!.data, [0.85, -1.8]);
    await trainer.step(batch);
    // g1 = 2 ([0.85, -1.8] - t) = [1.7, -5.6]; m2 = [0.35, -1.1]; v2 = 0.999 v1 + 0.001 g1^2 = [0.006886, 0.067324];
    // m^ / (sqrt(v^) + eps) = [0.99251557, -0.99760938] (m^ = m2 / 0.19, v^ = v2 / 0.001999);
    // w2 = w1 - 0.1 (that + 0.5 w1) = [0.85 - 0.1 * 1.41751557, -1.8 + 0.1 * 1.89760938].
    expectClose(trainer.state()['w.m']!.data, [0.35, -1.1]);
    expectClose(trainer.state()['w.v']!.data, [0.006886, 0.067324]);
    expectClose(trainer.state()['w']!.data, [0.70824844, -1.61023906]);
  });

  test('adamw defaults to a weight decay of 0.01, adam to none', () => {
    expect(adamw({}).weightDecay).toBe(0.01);
    expect(adam({}).weightDecay).toBe(0);
    expect(adam()).toMatchObject({ kind: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  });
});

describe('the learning rate is an input of the compiled step', () => {
  test('step(batch, { lr }) and trainer.learningRate change the update without recompiling', async () => {
    const compiles = vi.mocked(compile);
    const trainer = await quadTrainer(sgd({ lr: 0.125 }));
    const before = compiles.mock.calls.length;
    expect(trainer.learningRate).toBe(0.125);
    expect(trainer.trainGraph.inputs.find((i) => i.name === 'lr')?.type).toEqual({ dtype: 'f32', shape: [] });

    await trainer.step(batch, { lr: 0.25 });
    expect(values(trainer, 'w')).toEqual([0.5, -0.5]); // [1, -2] - 0.25 [2, -6]
    // The override was for that step only: back to 0.125. g = 2 [0.5, -1.5] = [1, -3].
    expect(trainer.learningRate).toBe(0.125);
    await trainer.step(batch);
    expect(values(trainer, 'w')).toEqual([0.375, -0.125]);
    // A schedule sets the property; g = 2 [0.375, -1.125] = [0.75, -2.25], lr 0.5.
    trainer.learningRate = 0.5;
    await trainer.step(batch);
    expect(values(trainer, 'w')).toEqual([0, 1]);

    expect(compiles.mock.calls.length).toBe(before);
  });
});

describe('argument checks', () => {
  test.each([
    ['sgd lr 0', () => sgd({ lr: 0 }), 'sgd: lr must be positive, got 0'],
    ['sgd lr < 0', () => sgd({ lr: -0.1 }), 'sgd: lr must be positive, got -0.1'],
    ['sgd lr NaN', () => sgd({ lr: Number.NaN }), 'sgd: lr must be positive, got NaN'],
    ['sgd momentum 1', () => sgd({ lr: 0.1, momentum: 1 }), 'sgd: momentum must be in [0, 1), got 1'],
    ['sgd momentum < 0', () => sgd({ lr: 0.1, momentum: -0.5 }), 'sgd: momentum must be in [0, 1), got -0.5'],
    ['nesterov without momentum', () => sgd({ lr: 0.1, nesterov: true }), 'sgd: nesterov needs a momentum > 0'],
    ['nesterov with momentum 0', () => sgd({ lr: 0.1, momentum: 0, nesterov: true }), 'sgd: nesterov needs a momentum > 0'],
    ['adam lr 0', () => adam({ lr: 0 }), 'adam: lr must be positive, got 0'],
    ['adam lr infinite', () => adam({ lr: Infinity }), 'adam: lr must be positive, got Infinity'],
    ['adam beta1 1', () => adam({ beta1: 1 }), 'adam: beta1 must be in [0, 1), got 1'],
    ['adam beta2 < 0', () => adam({ beta2: -0.1 }), 'adam: beta2 must be in [0, 1), got -0.1'],
    ['adam beta2 1.5', () => adam({ beta2: 1.5 }), 'adam: beta2 must be in [0, 1), got 1.5'],
    ['adam eps 0', () => adam({ eps: 0 }), 'adam: eps must be positive, got 0'],
    ['adamw beta1 < 0', () => adamw({ beta1: -0.9 }), 'adamw: beta1 must be in [0, 1), got -0.9'],
    ['adamw weightDecay < 0', () => adamw({ weightDecay: -0.01 }), 'adamw: weightDecay must be non-negative, got -0.01'],
  ])('%s', (_, make, message) => {
    const e = catchKiln(make);
    expect(e.code).toBe('usage');
    expect(e.message).toBe(message);
  });

  test('the edges of the valid ranges are accepted', () => {
    expect(sgd({ lr: 1e-9, momentum: 0 })).toEqual({ kind: 'sgd', lr: 1e-9, momentum: 0, nesterov: false });
    expect(adam({ beta1: 0, beta2: 0.999999 })).toMatchObject({ beta1: 0, beta2: 0.999999 });
    expect(adamw({ weightDecay: 0 }).weightDecay).toBe(0);
  });
});

describe('appendOptimizer', () => {
  // A 1-parameter graph whose gradient output is written by hand: d(sum(x * w))/dw = x.
  function oneParam() {
    const b = new GraphBuilder('g');
    b.input('x', { dtype: 'f32', shape: [3] });
    b.param('w', { dtype: 'f32', shape: [3] }, { fn: 'ones', args: {} });
    b.emit('mul', ['x', 'w'], {}, undefined, 'y');
    b.emit('reduce_sum', ['y'], { axes: [0] }, undefined, 'l');
    b.output('loss', 'l');
    b.output('grad_w', 'x');
    return b.build();
  }

  test('SGD appends the lr input, w - lr g, and an update; the gradient output is gone', () => {
    expect(printGraph(appendOptimizer(oneParam(), sgd({ lr: 0.1 }), ['w']))).toBe(
      [
        'graph g {',
        '  input x: f32[3]',
        '  input lr: f32[]',
        '  param w: f32[3] = ones()',
        '  %y = mul(%x, %w) : f32[3]',
        '  %l = reduce_sum(%y) {axes=[0], keepdims=false} : f32[]',
        '  %t0 = mul(%lr, %x) : f32[3]',
        '  %t1 = sub(%w, %t0) : f32[3]',
        '  output loss = %l',
        '  update w = %t1',
        '}',
        '',
      ].join('\n'),
    );
  });

  test('state parameters are zero-initialized and named after the parameter', () => {
    const g = appendOptimizer(oneParam(), adam({}), ['w']);
    expect(g.params.map((p) => `${p.name}: ${p.type.shape.length ? `f32[${p.type.shape.join(', ')}]` : 'f32[]'} = ${p.init.fn}`)).toEqual([
      'w: f32[3] = ones',
      'w.m: f32[3] = zeros',
      'w.v: f32[3] = zeros',
      'optimizer.step: f32[] = zeros',
    ]);
    expect(g.updates.map((u) => u.param).sort()).toEqual(['optimizer.step', 'w', 'w.m', 'w.v']);
  });

  test('a parameter without a gradient output, and a taken lr name, are refused', () => {
    const noGrad = catchKiln(() => appendOptimizer({ ...oneParam(), outputs: [{ name: 'loss', value: 'l' }] }, sgd({ lr: 0.1 }), ['w']));
    expect(noGrad.message).toBe("optimizer: no gradient output 'grad_w' for parameter 'w'; run autodiff first");
    const b = new GraphBuilder('h');
    b.input('lr', { dtype: 'f32', shape: [] });
    b.param('w', { dtype: 'f32', shape: [] }, { fn: 'zeros', args: {} });
    b.emit('mul', ['lr', 'w'], {}, undefined, 'l');
    b.output('loss', 'l');
    b.output('grad_w', 'lr');
    const taken = catchKiln(() => appendOptimizer(b.build(), sgd({ lr: 0.1 }), ['w']));
    expect(taken.message).toBe("optimizer: the graph already has a value named 'lr', the learning-rate input");
  });
});
