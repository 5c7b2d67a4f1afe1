// A training step is all or nothing: a batch whose update would put NaN or ±Infinity into a
// weight or the optimizer's state changes nothing, on every backend, and says so: step() reports
// the count, `nonFinite: 'error'` throws, fit counts, warns and averages only the steps applied.

import { describe, expect, test, vi } from 'vitest';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import type { Tensor } from '../../runtime/tensor.js';
import { fromArrays } from '../../src/data/dataset.js';
import { graph, init } from '../../src/frontend/builder.js';
import { KilnError } from '../../src/ir/errors.js';
import { fit } from '../../src/train/fit.js';
import { adam, sgd } from '../../src/train/optimizers.js';
import type { Optimizer } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import type { TrainingOptions } from '../../src/train/trainer.js';
import { describeOnBackend } from '../support/webgpu.js';
import { rejectionOf } from '../catch-kiln.js';

// Every weight random, so every input element reaches some gradient.
const net = graph('net', (b) => {
  const x = b.input('x', 'f32', ['B', 4]);
  const y = b.input('y', 'i32', ['B']);
  const w1 = b.param('w1', 'f32', [4, 8], init.heNormal());
  const b1 = b.param('b1', 'f32', [8]);
  const w2 = b.param('w2', 'f32', [8, 3], init.heNormal());
  const b2 = b.param('b2', 'f32', [3]);
  const logits = x.matmul(w1).add(b1).relu().matmul(w2).add(b2);
  b.output('loss', b.op('softmax_cross_entropy', [logits, y]));
  b.output('accuracy', b.op('accuracy', [logits, y]));
});

const B = 6;
function batch(edit?: (x: Float32Array, y: Int32Array) => void): { x: Float32Array; y: Int32Array } {
  const x = Float32Array.from({ length: B * 4 }, (_, i) => Math.sin(i));
  const y = Int32Array.from({ length: B }, (_, i) => i % 3);
  edit?.(x, y);
  return { x, y };
}
const withNaN = () => batch((x) => (x[5] = Number.NaN));
// Every input finite, the loss finite (about 6e23), but Adam's g² passes f32's range.
const overflowing = () =>
  batch((x, y) => {
    x[1] = 1e25;
    y[0] = 1;
  });

const bits = (state: Record<string, Tensor>) => Object.fromEntries(Object.entries(state).map(([k, t]) => [k, Array.from(t.data, (v) => (Object.is(v, -0) ? '-0' : String(v)))]));

const BACKENDS: [string, Partial<TrainingOptions>][] = [
  ['reference', { backend: 'reference' }],
  ['js', { backend: 'js' }],
  ['wasm', { backend: 'wasm' }],
  ['wasm, 2 threads', { backend: 'wasm', threads: 2 }],
  ['webgpu', { backend: 'webgpu' }],
];
const OPTIMIZERS: [string, Optimizer][] = [
  ['sgd', sgd({ lr: 0.1 })],
  ['momentum', sgd({ lr: 0.1, momentum: 0.9 })],
  ['adam', adam({ lr: 0.01 })],
];

const trainer = (options: Partial<TrainingOptions>, optimizer: Optimizer) => compileTraining(net, { optimizer, shapes: { B }, seed: 3, ...options });

for (const [name, backend] of BACKENDS)
  describeOnBackend(backend.backend, `on ${name}`, () => {
    test.each(OPTIMIZERS)('%s: a NaN in the batch leaves every weight and all optimizer state as they were', async (_name, optimizer) => {
      const t = await trainer(backend, optimizer);
      const reference = await trainer({ backend: 'reference' }, optimizer);
      await t.step(batch());
      await reference.step(batch());
      const before = bits(await t.readState());
      const result = await t.step(withNaN());
      const expected = await reference.step(withNaN());
      // x[5] is example 1's feature 1: its row of w1 (8 values), and Adam's m and v of them.
      expect(expected['nonfinite']).toBe(optimizer.kind === 'sgd' ? (optimizer.momentum > 0 ? 16 : 8) : 24);
      expect(result['nonfinite']).toBe(expected['nonfinite']);
      expect(bits(await t.readState())).toEqual(before);
      expect([t.stepCount, t.skippedSteps]).toEqual([1, 1]);
      // The next clean batch trains as if the bad one never came.
      const next = await t.step(batch());
      expect(next['nonfinite']).toBeUndefined();
      expect(bits(await t.readState())).not.toEqual(before);
      expect([t.stepCount, t.skippedSteps]).toEqual([2, 1]);
    });

    test('an update that overflows inside the step is refused though the inputs and the loss are finite', async () => {
      const t = await trainer(backend, adam({ lr: 0.01 }));
      const before = bits(await t.readState());
      const result = await t.step(overflowing());
      const expected = await (await trainer({ backend: 'reference' }, adam({ lr: 0.01 }))).step(overflowing());
      expect(Number.isFinite(result['loss'])).toBe(true);
      expect(result['loss']).toBeGreaterThan(1e20);
      expect(expected['nonfinite']).toBeGreaterThan(0); // v = g² of the gradients that saw x[1]
      expect(result['nonfinite']).toBe(expected['nonfinite']);
      expect(bits(await t.readState())).toEqual(before);
      // Plain SGD's update of the same batch is huge but finite, and is applied.
      const plain = await trainer(backend, sgd({ lr: 0.1 }));
      expect((await plain.step(overflowing()))['nonfinite']).toBeUndefined();
      expect(plain.stepCount).toBe(1);
    });
  });

for (const [name, backend] of BACKENDS)
  describeOnBackend(backend.backend, `nonFinite: 'error' on ${name}`, () => {
    test('the step throws, naming the values, and nothing changes', async () => {
      const t = await trainer({ ...backend, nonFinite: 'error' }, adam({ lr: 0.01 }));
      const before = bits(await t.readState());
      const e = await rejectionOf(t.step(withNaN()));
      expect(e).toBeInstanceOf(KilnRuntimeError);
      expect((e as KilnRuntimeError).code).toBe('nonfinite');
      expect((e as Error).message).toMatch(/^step 1: the update has 24 NaN or ±Infinity values, in w1\.m \(8\), w1\.v \(8\), w1 \(8\); it was not applied/);
      expect(bits(await t.readState())).toEqual(before);
      expect(t.skippedSteps).toBe(1);
    });
  });

describe('the reserved name', () => {
  test("a model output named 'nonfinite' is refused: the step reports under that name", async () => {
    const g = graph('clash', (b) => {
      const w = b.param('w', 'f32', [2]);
      b.output('loss', w.mul(w).sum());
      b.output('nonfinite', w.sum());
    });
    const e = await rejectionOf(compileTraining(g, { optimizer: sgd({ lr: 0.1 }) }));
    expect(e).toBeInstanceOf(KilnError);
    expect((e as Error).message).toMatch(/output name 'nonfinite' is reserved/);
  });
});

describe('fit', () => {
  // Three batches of 6; the second holds a NaN.
  const data = () => {
    const parts = [batch(), withNaN(), batch((x) => x.reverse())];
    const x = new Float32Array(parts.flatMap((p) => Array.from(p.x)));
    const y = new Int32Array(parts.flatMap((p) => Array.from(p.y)));
    return fromArrays({ x: { data: x, shape: [4] }, y: { data: y } });
  };

  test('counts skipped steps per epoch and in all, and averages only the steps applied', async () => {
    const t = await trainer({ backend: 'wasm' }, sgd({ lr: 0.1 }));
    const skipped: { epoch: number; batch: number; nonfinite: number }[] = [];
    const losses: number[] = [];
    const result = await fit(t, data(), {
      epochs: 2,
      batchSize: B,
      shuffle: false,
      onSkippedStep: (info) => skipped.push(info),
      onBatch: ({ epoch, scalars }) => epoch === 0 && !scalars['nonfinite'] && losses.push(scalars['loss']!),
    });
    expect(skipped).toEqual([
      { epoch: 0, batch: 1, nonfinite: 8 },
      { epoch: 1, batch: 1, nonfinite: 8 },
    ]);
    expect(result.skippedSteps).toBe(2);
    expect(result.history.map((h) => h['skipped'])).toEqual([1, 1]);
    expect(result.history[0]!['loss']).toBeCloseTo((losses[0]! + losses[1]!) / 2, 6);
    expect(Number.isFinite(result.history[1]!['loss'])).toBe(true);
    expect(t.stepCount).toBe(4);
  });

  test('without onSkippedStep the epoch line says how many steps were skipped, and nothing warns', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    let text = '';
    try {
      const t = await trainer({}, sgd({ lr: 0.1 }));
      await fit(t, data(), { epochs: 2, batchSize: B, shuffle: false, verbose: 2, output: { write: (s: string) => (text += s), isTTY: false } });
      expect(warn).not.toHaveBeenCalled();
      expect(
        text
          .split('\n')
          .filter((l) => l.startsWith('epoch '))
          .map((l) => /\(1 step skipped: NaN or ±Infinity in the update; the weights were kept\)$/.test(l)),
      ).toEqual([true, true]);
    } finally {
      warn.mockRestore();
    }
  });

  test('a silent fit (verbose 0) without onSkippedStep warns once per epoch that had any', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const t = await trainer({}, sgd({ lr: 0.1 }));
      await fit(t, data(), { epochs: 2, batchSize: B, shuffle: false, verbose: 0 });
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
        'fit: epoch 1: skipped 1 of 3 steps whose update had NaN or ±Infinity; their batches left the weights unchanged',
        'fit: epoch 2: skipped 1 of 3 steps whose update had NaN or ±Infinity; their batches left the weights unchanged',
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  test('an epoch whose every step is skipped stops training with an error', async () => {
    const bad = withNaN();
    const t = await trainer({}, sgd({ lr: 0.1 }));
    const e = await rejectionOf(fit(t, fromArrays({ x: { data: bad.x, shape: [4] }, y: { data: bad.y } }), { epochs: 3, batchSize: B, onSkippedStep: () => {} }));
    expect(e).toBeInstanceOf(KilnRuntimeError);
    expect((e as Error).message).toMatch(/^fit: every step of epoch 1 \(1\) had NaN or ±Infinity in its update and was skipped/);
    expect(t.stepCount).toBe(0);
  });
});
