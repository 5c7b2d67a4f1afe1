// The builder's losses, metrics and dropout: the nodes they make, the `step` key, their errors.

import { expect, test } from 'vitest';
import { graph } from '../../src/frontend/builder.js';
import { compile } from '../../src/compile.js';
import { catchKiln } from '../catch-kiln.js';

test('dropout declares the i32 `step` input once and keys every mask with it', () => {
  const g = graph('drop', (b) => {
    const x = b.input('x', 'f32', ['B', 4]);
    const h = x.dropout(0.5).relu().dropout(0.25);
    b.output('y', h);
  });
  expect(g.inputs.map((i) => `${i.name}: ${i.type.dtype}[${i.type.shape.join(', ')}]`)).toEqual(['x: f32[B, 4]', 'step: i32[]']);
  const drops = g.nodes.filter((n) => n.op === 'dropout');
  expect(drops.map((n) => n.inputs[1])).toEqual(['step', 'step']);
  expect(drops.map((n) => n.attrs['rate'])).toEqual([0.5, 0.25]);
  // Two layers with one key still draw different masks: their seeds differ.
  expect(drops[0]!.attrs['seed']).not.toBe(drops[1]!.attrs['seed']);
});

test('losses and metrics are scalars with the values of their ops', async () => {
  const g = graph('cls', (b) => {
    const logits = b.input('logits', 'f32', [2, 3]);
    const labels = b.input('labels', 'i32', [2]);
    b.output('loss', b.softmaxCrossEntropy(logits, labels));
    b.output('accuracy', b.accuracy(logits, labels));
    b.output(
      'mse',
      b.mse(
        logits,
        b.constant([
          [0, 0, 0],
          [0, 0, 0],
        ]),
      ),
    );
  });
  const exe = await compile(g);
  const out = await exe.run({
    logits: [
      [0, 0, 0],
      [3, 0, 0],
    ],
    labels: [0, 1],
  });
  // Row 1: log 3; row 2: -log(e^0 / (e^3 + 2)) = log(e^3 + 2); the mean of both.
  expect(out.loss!.data[0]).toBeCloseTo((Math.log(3) + Math.log(Math.exp(3) + 2)) / 2, 5);
  // argmax of row 1 is 0 (first of ties): right; of row 2 is 0, label 1: wrong.
  expect(out.accuracy!.data[0]).toBe(0.5);
  expect(out.mse!.data[0]).toBe(1.5);
  expect(out.loss!.shape).toEqual([]);
});

test('a loss given labels of the wrong dtype names the op, the types and this file', () => {
  const e = catchKiln(() =>
    graph('bad', (b) => {
      const logits = b.input('logits', 'f32', ['B', 3]);
      const labels = b.input('labels', 'f32', ['B']);
      b.output('loss', b.softmaxCrossEntropy(logits, labels));
    }),
  );
  expect(e.code).toBe('dtype');
  expect(e.message).toMatch(/^tests\/frontend\/builder-training\.test\.ts:\d+:\d+: softmax_cross_entropy: operand 'labels' must be i32, got f32\[B\]/);
});

test('compile() runs dropout as the identity and needs no step; training: true applies the mask', async () => {
  const g = graph('drop', (b) => {
    const x = b.input('x', 'f32', [1000]);
    b.output('y', x.dropout(0.5));
  });
  const x = new Float32Array(1000).fill(1);
  const inference = await compile(g);
  expect(inference.inputs.find((i) => i.name === 'step')!.optional).toBe(true);
  expect(Array.from((await inference.run({ x })).y!.data).every((v) => v === 1)).toBe(true);

  const training = await compile(g, { training: true });
  await expect(training.run({ x })).rejects.toThrow("missing input 'step' (expected i32[])");
  const y = Array.from((await training.run({ x, step: 0 })).y!.data);
  expect(y.every((v) => v === 0 || v === 2)).toBe(true);
  const kept = y.filter((v) => v === 2).length;
  expect(kept).toBeGreaterThan(430);
  expect(kept).toBeLessThan(570);
});
