// Gradients through composite ops (decomposed before differentiation) against finite differences.

import { describe, expect, it } from 'vitest';
import type { GraphBuilder } from '../../src/ir/emit.js';
import { WEIGHTS, analyticGrad, awayFromZero, distinct, gradCheck, plain, positive, uniform } from './gradcheck.js';

describe('composites', () => {
  it.each([
    ['axis 0', [0], false],
    ['the last axis with keepdims', [-1], true],
    ['every axis', [0, 1], false],
  ])('mean over %s', async (_label, axes, keepdims) => {
    await gradCheck((b) => b.emit('mean', ['x'], { axes, keepdims }), { x: { shape: [3, 4] } });
  });

  // Distinct values: softmax subtracts reduce_max, whose tie-breaking must not matter.
  it.each([
    ['softmax', -1],
    ['softmax', 0],
    ['log_softmax', -1],
    ['log_softmax', 0],
  ] as const)('%s along axis %i', async (op, axis) => {
    await gradCheck((b) => b.emit(op, ['x'], { axis }), { x: { shape: [3, 4], gen: distinct(0.3) } });
  });

  it('softmax: the shift by the maximum adds no gradient (rows sum to 1, so sum(softmax) is flat)', async () => {
    const r = await gradCheck((b) => b.emit('reduce_sum', [b.emit('softmax', ['x'])], { axes: [0, 1] }), { x: { shape: [2, 3], gen: distinct(0.5) } }, { allowZero: true });
    r.analytic['x']!.forEach((g) => expect(Math.abs(g)).toBeLessThan(1e-12));
  });

  it('square', async () => {
    await gradCheck((b) => b.emit('square', ['x']), { x: { shape: [2, 3] } });
  });

  it('clip: gradient 1 inside [min, max], 0 outside', async () => {
    // A grid at odd multiples of 0.05 never lands on the bounds ±0.5.
    const r = await gradCheck((b) => b.emit('clip', ['x'], { min: -0.5, max: 0.5 }), { x: { shape: [4, 5], gen: distinct(0.1, 0.05) } });
    const x = r.feed['x']!;
    const w = r.feed[WEIGHTS]!;
    expect(plain(r.analytic['x']!)).toEqual(Array.from(x, (v, i) => (Math.abs(v) < 0.5 ? w[i]! : 0)));
  });

  it('dense', async () => {
    await gradCheck((b) => b.emit('dense', ['x', 'w', 'b']), { x: { shape: [2, 3] }, w: { shape: [3, 4] }, b: { shape: [4] } });
  });

  it('identity', async () => {
    const r = await gradCheck((b) => b.emit('identity', ['x']), { x: { shape: [2, 2] } });
    expect(plain(r.analytic['x']!)).toEqual(plain(r.feed[WEIGHTS]!));
  });
});

describe('losses', () => {
  it('mae over a matrix', async () => {
    // pred on multiples of 0.1 and target on odd multiples of 0.05: |pred - target| >= 0.05.
    await gradCheck((b) => b.emit('mae', ['p', 't']), { p: { shape: [2, 3], gen: distinct(0.1) }, t: { shape: [2, 3], gen: distinct(0.1, 0.05) } });
  });

  it('mse over a column', async () => {
    await gradCheck((b) => b.emit('mse', ['p', 't']), { p: { shape: [3, 1] }, t: { shape: [3, 1] } });
  });

  it('binary_cross_entropy inside the clip range', async () => {
    await gradCheck((b) => b.emit('binary_cross_entropy', ['p', 't']), { p: { shape: [2, 3], gen: uniform(0.1, 0.9) }, t: { shape: [2, 3], gen: uniform(0, 1) } });
  });

  it('sigmoid_cross_entropy, logits 0 included', async () => {
    // The loss is smooth at z = 0, and its gradient there is sigmoid(0) - t = 0.5 - t.
    const r = await gradCheck((b) => b.emit('sigmoid_cross_entropy', ['z', 't']), {
      z: { shape: [2, 3], values: [0, -3, 2.5, 0.7, -0.2, 0] },
      t: { shape: [2, 3], gen: uniform(0, 1) },
    });
    const t = r.feed['t']!;
    expect(r.analytic['z']![0]).toBeCloseTo((0.5 - t[0]!) / 6, 12);
  });

  it('softmax_cross_entropy with i32 labels', async () => {
    const r = await gradCheck((b) => b.emit('softmax_cross_entropy', ['z', 'y']), {
      z: { shape: [3, 4], gen: distinct(0.3) },
      y: { shape: [3], dtype: 'i32', values: [0, 3, 1] },
    });
    // d/dz = (softmax(z) - onehot(y)) / batch: each row of the gradient sums to 0.
    for (let row = 0; row < 3; row++) expect(r.analytic['z']!.slice(row * 4, row * 4 + 4).reduce((s, g) => s + g, 0)).toBeCloseTo(0, 12);
  });

  it('softmax_cross_entropy ignores examples with a label out of range', async () => {
    const r = await gradCheck((b) => b.emit('softmax_cross_entropy', ['z', 'y']), {
      z: { shape: [3, 4], gen: distinct(0.3) },
      y: { shape: [3], dtype: 'i32', values: [2, -1, 0] },
    });
    expect(plain(r.analytic['z']!.slice(4, 8))).toEqual([0, 0, 0, 0]);
  });

  it('softmax_cross_entropy_onehot with soft targets', async () => {
    await gradCheck((b) => b.emit('softmax_cross_entropy_onehot', ['z', 't']), {
      z: { shape: [2, 3], gen: distinct(0.3) },
      t: { shape: [2, 3], values: [0.2, 0.5, 0.3, 0.1, 0.1, 0.8] },
    });
  });

  it('l1_penalty', async () => {
    const r = await gradCheck((b) => b.emit('l1_penalty', ['w']), { w: { shape: [2, 3], gen: awayFromZero() } });
    expect(plain(r.analytic['w']!)).toEqual(Array.from(r.feed['w']!, Math.sign));
  });

  it('l2_penalty', async () => {
    const r = await gradCheck((b) => b.emit('l2_penalty', ['w']), { w: { shape: [2, 3], gen: positive() } });
    // No 1/2 factor: d/dw sum(w^2) = 2w.
    r.analytic['w']!.forEach((g, i) => expect(g).toBeCloseTo(2 * r.feed['w']![i]!, 12));
  });
});

describe('dropout', () => {
  it('training=false is the identity', async () => {
    const r = await gradCheck((b) => b.emit('dropout', ['x'], { rate: 0.5, training: false }), { x: { shape: [2, 3] } });
    expect(plain(r.analytic['x']!)).toEqual(plain(r.feed[WEIGHTS]!));
  });

  it('training=true at a fixed seed: the mask is a constant, the kept elements scaled by 1 / (1 - rate)', async () => {
    const r = await gradCheck((b) => b.emit('dropout', ['x'], { rate: 0.5, seed: 7, training: true }), { x: { shape: [4, 4] } });
    const w = r.feed[WEIGHTS]!;
    const g = plain(r.analytic['x']!);
    const kept = g.filter((v) => v !== 0).length;
    // With 16 draws at rate 0.5, both outcomes occur: the check covers a real mask.
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(16);
    g.forEach((v, i) => expect(v === 0 || Math.abs(v - 2 * w[i]!) < 1e-12).toBe(true));
  });

  it('training=true with an i32 key operand: each key is a fixed mask', async () => {
    const build = (b: GraphBuilder) => b.emit('dropout', ['x', 'k'], { rate: 0.25, seed: 1, training: true });
    const masks: number[][] = [];
    for (const key of [0, 1]) {
      const r = await gradCheck(build, { x: { shape: [8] }, k: { shape: [], dtype: 'i32', values: [key] } });
      masks.push(plain(r.analytic['x']!).map((v) => +(v !== 0)));
    }
    expect(masks[0]).not.toEqual(masks[1]);
  });

  it('rate 0 in training passes everything', async () => {
    const r = await analyticGrad((b) => b.emit('dropout', ['x'], { rate: 0, training: true }), { x: { shape: [3] } });
    expect(plain(r.analytic['x']!)).toEqual(plain(r.feed[WEIGHTS]!));
  });
});
