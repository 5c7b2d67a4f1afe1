// Gradients of reductions, movement ops, matmul and gather against finite differences.

import { describe, expect, it } from 'vitest';
import { SLICE_END } from '../../src/ir/ops/movement.js';
import { WEIGHTS, distinct, gradCheck, plain } from './gradcheck.js';

describe('reductions', () => {
  const cases: [string, number[], boolean][] = [
    ['axis 0', [0], false],
    ['axes 1 and 2', [1, 2], false],
    ['the last axis, negative', [-1], false],
    ['axes 0 and -1 with keepdims', [0, -1], true],
    ['the middle axis with keepdims', [1], true],
    ['every axis to a scalar', [0, 1, 2], false],
    ['every axis with keepdims', [-3, -2, -1], true],
  ];
  it.each(cases)('reduce_sum over %s', async (_label, axes, keepdims) => {
    await gradCheck((b) => b.emit('reduce_sum', ['x'], { axes, keepdims }), { x: { shape: [2, 3, 4] } });
  });
  // Distinct values: a tie would make reduce_max not differentiable there.
  it.each(cases)('reduce_max over %s', async (_label, axes, keepdims) => {
    await gradCheck((b) => b.emit('reduce_max', ['x'], { axes, keepdims }), { x: { shape: [2, 3, 4], gen: distinct(0.1) } });
  });

  it('reduce_max shares the cotangent equally among tied maxima', async () => {
    // Not differentiable at a tie; the rule splits g among the tied elements.
    const r = await gradCheck((b) => b.emit('reduce_max', ['x'], { axes: [1] }), { x: { shape: [2, 3], values: [1, 3, 3, 5, 4, 2] } });
    const [w0, w1] = [r.feed[WEIGHTS]![0]!, r.feed[WEIGHTS]![1]!];
    expect(plain(r.analytic['x']!)).toEqual([0, w0 / 2, w0 / 2, w1, 0, 0]);
  });
});

describe('movement', () => {
  it.each([
    ['[2,3,4] to [4,6]', [4, 6]],
    ['[2,3,4] to [24]', [24]],
    ['[2,3,4] to [1,2,1,12]', [1, 2, 1, 12]],
  ])('reshape %s', async (_label, shape) => {
    await gradCheck((b) => b.emit('reshape', ['x'], { shape }), { x: { shape: [2, 3, 4] } });
  });

  it.each([
    ['[3] to [2,3]', [3], [2, 3]],
    ['[2,1] to [3,2,4]', [2, 1], [3, 2, 4]],
    ['a scalar to [2,2]', [], [2, 2]],
    ['[1,3] to [1,3] (no change)', [1, 3], [1, 3]],
  ])('broadcast_to %s', async (_label, from, shape) => {
    await gradCheck((b) => b.emit('broadcast_to', ['x'], { shape }), { x: { shape: from } });
  });

  it.each([
    ['[1,0]', [2, 3], [1, 0]],
    ['[2,0,1]', [2, 3, 4], [2, 0, 1]],
    ['[1,2,0]', [2, 3, 4], [1, 2, 0]],
  ])('transpose %s', async (_label, shape, perm) => {
    await gradCheck((b) => b.emit('transpose', ['x'], { perm }), { x: { shape } });
  });

  const E = SLICE_END;
  it.each([
    ['a plain window', [4, 5], [1, 1], [3, 4], [1, 1]],
    ['negative bounds', [4, 5], [-3, 0], [E, -1], [1, 1]],
    ['stride 2 on the last axis', [4, 5], [0, 0], [4, 5], [1, 2]],
    ['stride 3 from an offset, to a clamped end', [3, 8], [1, 1], [3, 100], [1, 3]],
    ['stride 2 and 3 with negative bounds', [5, 7], [-5, -6], [-1, E], [2, 3]],
  ])('slice: %s', async (_label, shape, begin, end, stride) => {
    await gradCheck((b) => b.emit('slice', ['x'], { begin, end, stride }), { x: { shape } });
  });

  it('slice: an empty result gives a zero gradient of the input shape', async () => {
    const r = await gradCheck((b) => b.emit('slice', ['x'], { begin: [0, 3], end: [3, 1], stride: [1, 1] }), { x: { shape: [3, 4] } }, { allowZero: true });
    expect(plain(r.analytic['x']!)).toEqual(new Array(12).fill(0));
  });

  it('slice: only the taken elements get a gradient', async () => {
    // x[1:6:2] of 7 elements takes indices 1, 3, 5.
    const r = await gradCheck((b) => b.emit('slice', ['x'], { begin: [1], end: [6], stride: [2] }), { x: { shape: [7] } });
    const w = r.feed[WEIGHTS]!;
    expect(plain(r.analytic['x']!)).toEqual([0, w[0], 0, w[1], 0, w[2], 0]);
  });

  it.each([
    ['both sides of both axes', [1, 2], [2, 1], 0.5],
    ['one side of one axis', [0, 0], [0, 3], 0],
  ])('pad: %s', async (_label, before, after, value) => {
    await gradCheck((b) => b.emit('pad', ['x'], { before, after, value }), { x: { shape: [2, 3] } });
  });

  it.each([
    ['axis 1', 1],
    ['axis -2', -2],
  ])('concat of three operands on the middle %s', async (_label, axis) => {
    await gradCheck((b) => b.emit('concat', ['a', 'b', 'c'], { axis }), {
      a: { shape: [2, 1, 3] },
      b: { shape: [2, 2, 3] },
      c: { shape: [2, 3, 3] },
    });
  });

  it('concat of one operand', async () => {
    await gradCheck((b) => b.emit('concat', ['a'], { axis: 0 }), { a: { shape: [2, 2] } });
  });
});

describe('matmul', () => {
  it.each([
    ['2-D', [3, 4], [4, 5]],
    ['a row times a matrix', [1, 4], [4, 2]],
    ['batched', [2, 3, 4], [2, 4, 5]],
    ['a batch times a matrix', [2, 3, 4], [4, 5]],
    ['a matrix times a batch', [3, 4], [2, 4, 5]],
    ['batch dims [1] and [2] broadcast', [1, 3, 4], [2, 4, 5]],
    ['batch dims [2,1] and [3] broadcast', [2, 1, 2, 3], [3, 3, 2]],
  ])('%s', async (_label, sa, sb) => {
    await gradCheck((b) => b.emit('matmul', ['a', 'b']), { a: { shape: sa }, b: { shape: sb } });
  });
});

describe('gather', () => {
  it.each([
    ['axis 0, repeated indices', [4, 3], 0, [5], [0, 2, 2, 3, 0]],
    ['axis 1, a 2-D index tensor with repeats', [2, 4, 3], 1, [2, 2], [1, 1, 3, 0]],
    ['axis -1', [2, 3], -1, [4], [2, 2, 2, 0]],
    ['a scalar index', [3, 2], 0, [], [1]],
  ])('%s', async (_label, shape, axis, ishape, indices) => {
    await gradCheck((b) => b.emit('gather', ['x', 'i'], { axis }), {
      x: { shape },
      i: { shape: ishape, dtype: 'i32', values: indices },
    });
  });

  it('a row gathered twice gets the sum of both cotangents; a row never taken gets 0', async () => {
    const r = await gradCheck((b) => b.emit('gather', ['x', 'i'], { axis: 0 }), {
      x: { shape: [3, 1] },
      i: { shape: [3], dtype: 'i32', values: [2, 0, 2] },
    });
    const w = r.feed[WEIGHTS]!;
    expect(r.analytic['x']![0]).toBeCloseTo(w[1]!, 12);
    expect(r.analytic['x']![1]).toBe(0);
    expect(r.analytic['x']![2]).toBeCloseTo(w[0]! + w[2]!, 12);
  });
});
