// Reductions and argmax against hand-computed values: axes, keepdims, empty dims, i32 wrap, nan rules.

import { describe, it } from 'vitest';
import { I32_MAX, I32_MIN, INF, NAN, expectTensor, f32, i32, runOp } from './helpers.js';
import type { TypedValue } from './helpers.js';

// x[i][j] = [[1, 2, 3], [4, 5, 6]]
const m = f32([2, 3], [1, 2, 3, 4, 5, 6]);
// c[i][j][k] = 1 + 6i + 2j + k
const c = f32([2, 3, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

describe('reduce_sum', () => {
  const cases: [string, TypedValue, Record<string, unknown>, TypedValue][] = [
    ['last axis', m, { axes: [1] }, f32([2], [6, 15])],
    ['negative axis', m, { axes: [-1] }, f32([2], [6, 15])],
    ['first axis', m, { axes: [0] }, f32([3], [5, 7, 9])],
    ['axis -2', m, { axes: [-2] }, f32([3], [5, 7, 9])],
    ['keepdims', m, { axes: [1], keepdims: true }, f32([2, 1], [6, 15])],
    ['all axes', m, { axes: [0, 1] }, f32([], [21])],
    ['all axes, keepdims', m, { axes: [0, 1], keepdims: true }, f32([1, 1], [21])],
    ['no axes is the identity', m, { axes: [] }, m],
    ['middle axis of rank 3', c, { axes: [1] }, f32([2, 2], [9, 12, 27, 30])],
    ['outer axes of rank 3', c, { axes: [0, 2] }, f32([3], [18, 26, 34])],
    ['axes in any order, negative', c, { axes: [-1, 0] }, f32([3], [18, 26, 34])],
    ['several axes, keepdims', c, { axes: [0, 2], keepdims: true }, f32([1, 3, 1], [18, 26, 34])],
    ['an empty axis sums to 0', f32([2, 0], []), { axes: [1] }, f32([2], [0, 0])],
    ['an empty axis with keepdims', f32([2, 0], []), { axes: [1], keepdims: true }, f32([2, 1], [0, 0])],
    ['an empty kept axis gives an empty result', f32([2, 0], []), { axes: [0] }, f32([0], [])],
    ['a size-1 axis', f32([1, 3], [1, 2, 3]), { axes: [0] }, f32([3], [1, 2, 3])],
    ['a scalar with no axes', f32([], [4]), { axes: [] }, f32([], [4])],
    ['nan and opposite infinities give nan', f32([2, 2], [1, NAN, INF, -INF]), { axes: [1] }, f32([2], [NAN, NAN])],
    ['i32 wraps around', i32([2, 2], [I32_MAX, 1, -5, 3]), { axes: [1] }, i32([2], [I32_MIN, -2])],
  ];
  it.each(cases)('%s', async (_name, x, attrs, want) => {
    expectTensor(await runOp('reduce_sum', [x], attrs), want);
  });

  it('reduces a symbolic batch dim', async () => {
    const y = await runOp('reduce_sum', [f32(['B', 2], [1, 2, 3, 4, 5, 6])], { axes: [0] }, { B: 3 });
    expectTensor(y, f32([2], [9, 12]));
  });
});

describe('reduce_max', () => {
  const x = f32([2, 3], [1, 5, 3, 4, 2, 6]);
  const cases: [string, TypedValue, Record<string, unknown>, TypedValue][] = [
    ['last axis', x, { axes: [1] }, f32([2], [5, 6])],
    ['first axis', x, { axes: [0] }, f32([3], [4, 5, 6])],
    ['negative axis, keepdims', x, { axes: [-1], keepdims: true }, f32([2, 1], [5, 6])],
    ['all axes', x, { axes: [1, 0] }, f32([], [6])],
    ['rank 3, two axes', c, { axes: [0, 1] }, f32([2], [11, 12])],
    // nan propagates wherever it sits in the row.
    ['nan first, middle or last', f32([4, 3], [NAN, 1, 2, 1, NAN, 3, 1, 2, NAN, 4, 5, -1]), { axes: [1] }, f32([4], [NAN, NAN, NAN, 5])],
    ['all -inf', f32([2], [-INF, -INF]), { axes: [0] }, f32([], [-INF])],
    ['an empty f32 axis gives -inf', f32([2, 0], []), { axes: [1] }, f32([2], [-INF, -INF])],
    ['an empty i32 axis gives the smallest i32', i32([2, 0], []), { axes: [1] }, i32([2], [I32_MIN, I32_MIN])],
    ['i32 values', i32([2, 2], [3, -7, I32_MIN, -1]), { axes: [1] }, i32([2], [3, -1])],
    ['a size-1 axis', f32([2, 1], [-3, 4]), { axes: [1] }, f32([2], [-3, 4])],
  ];
  it.each(cases)('%s', async (_name, x, attrs, want) => {
    expectTensor(await runOp('reduce_max', [x], attrs), want);
  });
});

describe('argmax', () => {
  const x = f32([2, 3], [1, 5, 3, 4, 2, 6]);
  const cases: [string, TypedValue, Record<string, unknown>, TypedValue][] = [
    ['last axis by default', x, {}, i32([2], [1, 2])],
    ['axis 0', x, { axis: 0 }, i32([3], [1, 0, 1])],
    ['keepdims', x, { axis: 1, keepdims: true }, i32([2, 1], [1, 2])],
    ['keepdims on axis 0', x, { axis: 0, keepdims: true }, i32([1, 3], [1, 0, 1])],
    ['ties pick the first index', f32([3], [3, 1, 3]), {}, i32([], [0])],
    ['ties along axis 0', f32([2, 2], [2, 2, 1, 1]), { axis: 0 }, i32([2], [0, 0])],
    // A nan counts as largest, and the first nan wins.
    ['nan is largest, first nan wins', f32([4], [1, NAN, 3, NAN]), {}, i32([], [1])],
    ['nan at the start', f32([2], [NAN, 5]), {}, i32([], [0])],
    ['nan beats +inf', f32([2], [INF, NAN]), {}, i32([], [1])],
    ['i32 values', i32([4], [-5, I32_MIN, 7, 7]), {}, i32([], [2])],
    ['middle axis of rank 3', f32([2, 3, 2], [1, 9, 5, 2, 3, 4, 0, 0, 8, 1, 7, 1]), { axis: -2 }, i32([2, 2], [1, 0, 1, 1])],
    ['a size-1 axis gives 0', f32([2, 1], [7, -7]), { axis: 1 }, i32([2], [0, 0])],
    ['an empty kept dim gives an empty result', f32([0, 3], []), { axis: 1 }, i32([0], [])],
  ];
  it.each(cases)('%s', async (_name, x, attrs, want) => {
    expectTensor(await runOp('argmax', [x], attrs), want);
  });

  it('runs over a symbolic batch', async () => {
    const y = await runOp('argmax', [f32(['B', 3], [0, 0, 1, 9, 8, 7])], { axis: 1 }, { B: 2 });
    expectTensor(y, i32([2], [2, 0]));
  });
});
