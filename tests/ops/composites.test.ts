// Composite ops (mean, softmax, log_softmax, identity, square, clip, dense) against hand-computed values.

import { describe, it } from 'vitest';
import { INF, NAN, bool, expectTensor, f32, i32, runOp } from './helpers.js';
import type { TypedValue } from './helpers.js';

type Case = [string, TypedValue[], Record<string, unknown>, TypedValue];

// e^0, e^1, e^2 sum to 11.107337927: softmax([0, 1, 2]) = [1, e, e^2] / 11.107337927, log of the sum 2.4076059645.
const SOFT_012 = [0.0900305732, 0.2447284711, 0.6652409558];
const LOGSOFT_012 = [-2.4076059645, -1.4076059645, -0.4076059645];

describe('mean', () => {
  const m = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const cases: Case[] = [
    ['over the last axis', [m], { axes: [1] }, f32([2], [2, 5])],
    ['over a negative axis', [m], { axes: [-1] }, f32([2], [2, 5])],
    ['over the first axis', [m], { axes: [0] }, f32([3], [2.5, 3.5, 4.5])],
    ['over all axes', [m], { axes: [0, 1] }, f32([], [3.5])],
    ['keepdims', [m], { axes: [1], keepdims: true }, f32([2, 1], [2, 5])],
    // c[i][j][k] = 1 + 6i + 2j + k; sums over i and k are 18, 26, 34 for 4 elements each.
    ['two axes of rank 3', [f32([2, 3, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])], { axes: [0, 2] }, f32([3], [4.5, 6.5, 8.5])],
    ['an empty axis is 0 / 0', [f32([2, 0], [])], { axes: [1] }, f32([2], [NAN, NAN])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('mean', xs, attrs), want);
  });

  it('divides by a symbolic count once it is bound', async () => {
    expectTensor(await runOp('mean', [f32(['B', 2], [1, 2, 3, 4, 5, 6])], { axes: [0] }, { B: 3 }), f32([2], [3, 4]));
  });
});

describe('softmax', () => {
  const cases: Case[] = [
    ['[0, 1, 2]', [f32([3], [0, 1, 2])], {}, f32([3], SOFT_012)],
    ['shift invariant: [1, 2, 3]', [f32([3], [1, 2, 3])], {}, f32([3], SOFT_012)],
    ['stable at [1000, 999, 998]', [f32([3], [1000, 999, 998])], {}, f32([3], [...SOFT_012].reverse())],
    ['stable at [1000, 1000]', [f32([2], [1000, 1000])], {}, f32([2], [0.5, 0.5])],
    ['stable at [-1000, -1000]', [f32([2], [-1000, -1000])], {}, f32([2], [0.5, 0.5])],
    ['[-1000, 0] underflows to [0, 1]', [f32([2], [-1000, 0])], {}, f32([2], [0, 1])],
    ['-inf gets probability 0', [f32([2], [-INF, 0])], {}, f32([2], [0, 1])],
    // ln 3 = 1.0986122887: softmax([0, ln 3]) = [1/4, 3/4]
    ['rows of a matrix', [f32([2, 2], [0, 0, 0, 1.0986122887])], {}, f32([2, 2], [0.5, 0.5, 0.25, 0.75])],
    // softmax([1, 3]) = [1, e^2] / (1 + e^2) = [0.1192029220, 0.8807970780]
    ['columns (axis 0)', [f32([2, 2], [1, 0, 3, 0])], { axis: 0 }, f32([2, 2], [0.119202922, 0.5, 0.880797078, 0.5])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('softmax', xs, attrs), want);
  });

  it('runs over a symbolic batch', async () => {
    expectTensor(await runOp('softmax', [f32(['B', 2], [0, 0, 1000, 0])], {}, { B: 2 }), f32([2, 2], [0.5, 0.5, 1, 0]));
  });
});

describe('log_softmax', () => {
  const cases: Case[] = [
    ['[0, 1, 2]', [f32([3], [0, 1, 2])], {}, f32([3], LOGSOFT_012)],
    ['stable at [1000, 0]', [f32([2], [1000, 0])], {}, f32([2], [0, -1000])],
    ['stable at [-1000, -1000]', [f32([2], [-1000, -1000])], {}, f32([2], [-0.6931471806, -0.6931471806])],
    ['stable at [1000, 999, 998]', [f32([3], [1000, 999, 998])], {}, f32([3], [...LOGSOFT_012].reverse())],
    ['stable at [-1000, -999, -998]', [f32([3], [-1000, -999, -998])], {}, f32([3], LOGSOFT_012)],
    // log_softmax([1, 3]) = [1, 3] - ln(e + e^3) = [-2.1269280110, -0.1269280110]
    ['columns (axis 0)', [f32([2, 1], [1, 3])], { axis: 0 }, f32([2, 1], [-2.126928011, -0.126928011])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('log_softmax', xs, attrs), want);
  });
});

describe('identity, square, clip, dense', () => {
  const cases: [string, string, TypedValue[], Record<string, unknown>, TypedValue][] = [
    ['identity', 'f32', [f32([2], [1.5, NAN])], {}, f32([2], [1.5, NAN])],
    ['identity', 'i32', [i32([2, 1], [3, -4])], {}, i32([2, 1], [3, -4])],
    ['identity', 'bool', [bool([2], [1, 0])], {}, bool([2], [1, 0])],
    ['square', 'f32', [f32([4], [-3, 0.5, NAN, -INF])], {}, f32([4], [9, 0.25, NAN, INF])],
    // 2^16 squared wraps to 0 in i32.
    ['square', 'i32 wrap-around', [i32([2], [-3, 65536])], {}, i32([2], [9, 0])],
    ['clip', 'f32 to [0, 1]', [f32([6], [-2, 0.5, 3, NAN, -INF, INF])], { min: 0, max: 1 }, f32([6], [0, 0.5, 1, NAN, 0, 1])],
    ['clip', 'i32 to [-1, 4]', [i32([3], [-5, 3, 10])], { min: -1, max: 4 }, i32([3], [-1, 3, 4])],
    ['clip', 'min equal to max', [f32([2], [-1, 9])], { min: 2, max: 2 }, f32([2], [2, 2])],
    // [1, 2] @ [[1, 2], [3, 4]] + [10, 20] = [1 + 6 + 10, 2 + 8 + 20]
    ['dense', 'one row', [f32([1, 2], [1, 2]), f32([2, 2], [1, 2, 3, 4]), f32([2], [10, 20])], {}, f32([1, 2], [17, 30])],
    ['dense', 'a batch of unit rows picks rows of w', [f32([2, 2], [1, 0, 0, 1]), f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3], [1, 1, 1])], {}, f32([2, 3], [2, 3, 4, 5, 6, 7])],
    ['dense', 'i32', [i32([1, 2], [2, 3]), i32([2, 1], [4, 5]), i32([1], [-1])], {}, i32([1, 1], [22])],
  ];
  it.each(cases)('%s (%s)', async (op, _name, xs, attrs, want) => {
    expectTensor(await runOp(op, xs, attrs), want);
  });

  it('dense over a symbolic batch', async () => {
    const y = await runOp('dense', [f32(['B', 1], [1, 2, 3]), f32([1, 2], [1, -1]), f32([2], [0, 10])], {}, { B: 3 });
    expectTensor(y, f32([3, 2], [1, 9, 2, 8, 3, 7]));
  });
});
