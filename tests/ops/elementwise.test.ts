// Elementwise ops against hand-computed values: unary, broadcasting binary, i32 semantics, comparisons, where, cast.

import { describe, expect, it } from 'vitest';
import { I32_MAX, I32_MIN, INF, NAN, bool, expectTensor, f32, i32, runOp } from './helpers.js';
import type { TypedValue } from './helpers.js';

describe('unary f32 ops', () => {
  // [op, inputs, expected]: special values where the op's doc promises them.
  const cases: [string, number[], number[]][] = [
    ['neg', [1.5, -2, 0, INF, NAN], [-1.5, 2, -0, -INF, NAN]],
    ['abs', [-1.5, 2, -0, -INF, NAN], [1.5, 2, 0, INF, NAN]],
    ['exp', [0, 1, -1, 2, -INF, 1000], [1, 2.718281828, 0.3678794412, 7.389056099, 0, INF]],
    ['log', [1, 2, 10, 0, -1, INF], [0, 0.6931471806, 2.302585093, -INF, NAN, INF]],
    ['sqrt', [0, 4, 2, -1, INF], [0, 2, 1.414213562, NAN, INF]],
    ['rsqrt', [4, 2, 0.25, 0, -1], [0.5, 0.7071067812, 2, INF, NAN]],
    ['tanh', [0, 1, -0.5, 100, -INF], [0, 0.761594156, -0.4621171573, 1, -1]],
    // sigmoid must not produce nan at ±1000 (exp overflow) and saturate at ±inf.
    ['sigmoid', [0, 1, -1, 1000, -1000, INF, -INF], [0.5, 0.7310585786, 0.2689414214, 1, 0, 1, 0]],
    ['relu', [-2, 0, 3.5, -INF, INF], [0, 0, 3.5, 0, INF]],
    ['sign', [-2.5, 0, 3, NAN, -INF, INF], [-1, 0, 1, NAN, -1, 1]],
    ['step', [-1, 0, 0.001, INF, NAN], [0, 0, 1, 1, 0]],
    ['sin', [0, 1, -1, 0.5], [0, 0.8414709848, -0.8414709848, 0.4794255386]],
    ['cos', [0, 1, -1, 0.5], [1, 0.5403023059, 0.5403023059, 0.8775825619]],
  ];
  it.each(cases)('%s', async (op, xs, want) => {
    expectTensor(await runOp(op, [f32([xs.length], xs)]), f32([want.length], want));
  });

  it('keeps the shape of a rank-3 operand and of an empty one', async () => {
    expectTensor(await runOp('neg', [f32([2, 1, 2], [1, 2, 3, 4])]), f32([2, 1, 2], [-1, -2, -3, -4]));
    expectTensor(await runOp('exp', [f32([0, 3], [])]), f32([0, 3], []));
    expectTensor(await runOp('sqrt', [f32([], [16])]), f32([], [4]));
  });
});

describe('unary i32 ops', () => {
  const cases: [string, number[], number[]][] = [
    // -(-2^31) does not fit: it wraps back to -2^31, as Wasm and WGSL do.
    ['neg', [5, -3, 0, I32_MAX, I32_MIN], [-5, 3, 0, -I32_MAX, I32_MIN]],
    ['abs', [-5, 3, 0, I32_MIN], [5, 3, 0, I32_MIN]],
    ['relu', [-5, 0, 7], [0, 0, 7]],
    ['sign', [-5, 0, 7, I32_MIN], [-1, 0, 1, -1]],
    ['step', [-5, 0, 7], [0, 0, 1]],
  ];
  it.each(cases)('%s', async (op, xs, want) => {
    expectTensor(await runOp(op, [i32([xs.length], xs)]), i32([want.length], want));
  });
});

describe('binary broadcasting (add)', () => {
  const cases: [string, TypedValue, TypedValue, TypedValue][] = [
    ['same shape', f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [10, 20, 30, 40]), f32([2, 2], [11, 22, 33, 44])],
    ['scalar on the right', f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([], [10]), f32([2, 3], [11, 12, 13, 14, 15, 16])],
    ['scalar on the left', f32([], [10]), f32([3], [1, 2, 3]), f32([3], [11, 12, 13])],
    ['row', f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3], [10, 20, 30]), f32([2, 3], [11, 22, 33, 14, 25, 36])],
    ['column', f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2, 1], [10, 20]), f32([2, 3], [11, 12, 13, 24, 25, 26])],
    ['leading dims', f32([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), f32([2, 2], [10, 20, 30, 40]), f32([2, 2, 2], [11, 22, 33, 44, 15, 26, 37, 48])],
    ['both sides [3, 1] + [1, 4]', f32([3, 1], [1, 2, 3]), f32([1, 4], [10, 20, 30, 40]), f32([3, 4], [11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43])],
    [
      'both sides with different ranks [2, 1, 3] + [4, 1]',
      f32([2, 1, 3], [1, 2, 3, 4, 5, 6]),
      f32([4, 1], [10, 20, 30, 40]),
      f32([2, 4, 3], [11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43, 14, 15, 16, 24, 25, 26, 34, 35, 36, 44, 45, 46]),
    ],
    ['size-1 dims stay', f32([1, 1], [2]), f32([1], [3]), f32([1, 1], [5])],
    ['empty against a row', f32([0, 3], []), f32([3], [1, 2, 3]), f32([0, 3], [])],
    ['empty against a column', f32([2, 0], []), f32([2, 1], [1, 2]), f32([2, 0], [])],
    ['size 1 broadcast to size 0', f32([1, 0], []), f32([3, 1], [1, 2, 3]), f32([3, 0], [])],
    ['empty against a scalar', f32([0], []), f32([], [1]), f32([0], [])],
  ];
  it.each(cases)('%s', async (_name, a, b, want) => {
    expectTensor(await runOp('add', [a, b]), want);
  });

  it('binds a symbolic batch dim through shapes', async () => {
    const y = await runOp('add', [f32(['B', 3], [1, 2, 3, 4, 5, 6]), f32([3], [10, 20, 30])], {}, { B: 2 });
    expectTensor(y, f32([2, 3], [11, 22, 33, 14, 25, 36]));
  });

  it('broadcasts a symbolic dim against 1', async () => {
    const y = await runOp('mul', [f32(['B', 1], [1, 2]), f32([1, 3], [1, 10, 100])], {}, { B: 2 });
    expectTensor(y, f32([2, 3], [1, 10, 100, 2, 20, 200]));
  });
});

describe('binary f32 arithmetic', () => {
  const cases: [string, number[], number[], number[]][] = [
    ['sub', [5, 1, -INF], [2, 3, 1], [3, -2, -INF]],
    ['mul', [2, -3, 0.5, 0], [4, 5, 8, INF], [8, -15, 4, NAN]],
    ['div', [1, -1, 0, 7, 1], [0, 0, 0, 2, INF], [INF, -INF, NAN, 3.5, 0]],
    ['pow', [2, 9, 2, 0, 4, -8], [10, 0.5, -1, 0, -0.5, 1 / 3], [1024, 3, 0.5, 1, 0.5, NAN]],
    // max and min propagate nan from either side.
    ['max', [1, 5, NAN, -INF, 2], [3, 2, 1, -1, NAN], [3, 5, NAN, -1, NAN]],
    ['min', [1, 5, NAN, -INF, 2], [3, 2, 1, -1, NAN], [1, 2, NAN, -INF, NAN]],
  ];
  it.each(cases)('%s', async (op, a, b, want) => {
    expectTensor(await runOp(op, [f32([a.length], a), f32([b.length], b)]), f32([want.length], want));
  });

  it('div broadcasts a column divisor', async () => {
    const y = await runOp('div', [f32([2, 2], [2, 4, 9, 12]), f32([2, 1], [2, 3])]);
    expectTensor(y, f32([2, 2], [1, 2, 3, 4]));
  });
});

describe('binary i32 arithmetic', () => {
  const cases: [string, number[], number[], number[]][] = [
    // Overflow wraps around modulo 2^32.
    ['add', [I32_MAX, I32_MIN, 7], [1, -1, -10], [I32_MIN, I32_MAX, -3]],
    ['sub', [I32_MIN, I32_MAX, 3], [1, -1, 10], [I32_MAX, I32_MIN, -7]],
    // 2^16 * 2^16 = 2^32 -> 0; 46341^2 = 2147488281 -> 2147488281 - 2^32; 3 * 2^30 -> -2^30.
    ['mul', [65536, 46341, -7, 3], [65536, 46341, 6, 1073741824], [0, -2147479015, -42, -1073741824]],
    // Truncation toward zero, x / 0 = 0, and -2^31 / -1 wraps to -2^31.
    ['div', [7, -7, 7, -7, 5, 0, -5, I32_MIN, 1], [2, 2, -2, -2, 0, 0, 0, -1, 3], [3, -3, -3, 3, 0, 0, 0, I32_MIN, 0]],
    ['max', [3, -4, I32_MIN], [-2, 9, I32_MAX], [3, 9, I32_MAX]],
    ['min', [3, -4, I32_MIN], [-2, 9, I32_MAX], [-2, -4, I32_MIN]],
  ];
  it.each(cases)('%s', async (op, a, b, want) => {
    expectTensor(await runOp(op, [i32([a.length], a), i32([b.length], b)]), i32([want.length], want));
  });

  it('broadcasts i32 operands', async () => {
    const y = await runOp('mul', [i32([2, 1], [2, -3]), i32([3], [1, 2, 3])]);
    expectTensor(y, i32([2, 3], [2, 4, 6, -3, -6, -9]));
  });
});

describe('comparisons give bool', () => {
  // nan compares unequal to everything, itself included.
  const a = [1, 2, 3, NAN, -INF];
  const b = [2, 2, 2, NAN, INF];
  const cases: [string, number[]][] = [
    ['eq', [0, 1, 0, 0, 0]],
    ['ne', [1, 0, 1, 1, 1]],
    ['lt', [1, 0, 0, 0, 1]],
    ['le', [1, 1, 0, 0, 1]],
    ['gt', [0, 0, 1, 0, 0]],
    ['ge', [0, 1, 1, 0, 0]],
  ];
  it.each(cases)('%s on f32', async (op, want) => {
    expectTensor(await runOp(op, [f32([5], a), f32([5], b)]), bool([5], want));
  });

  it('compares i32, including the extremes', async () => {
    expectTensor(await runOp('lt', [i32([3], [I32_MIN, 5, 6]), i32([3], [0, 5, 5])]), bool([3], [1, 0, 0]));
    expectTensor(await runOp('eq', [i32([2], [3, -1]), i32([2], [3, 1])]), bool([2], [1, 0]));
  });

  it('tests bool for equality', async () => {
    expectTensor(await runOp('eq', [bool([4], [1, 0, 1, 0]), bool([4], [1, 1, 0, 0])]), bool([4], [1, 0, 0, 1]));
    expectTensor(await runOp('ne', [bool([4], [1, 0, 1, 0]), bool([4], [1, 1, 0, 0])]), bool([4], [0, 1, 1, 0]));
  });

  it('broadcasts against a scalar threshold', async () => {
    expectTensor(await runOp('ge', [f32([2, 2], [0, 1, 2, 3]), f32([], [2])]), bool([2, 2], [0, 0, 1, 1]));
  });
});

describe('where', () => {
  it('picks per element', async () => {
    const y = await runOp('where', [bool([2, 2], [1, 0, 0, 1]), f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [10, 20, 30, 40])]);
    expectTensor(y, f32([2, 2], [1, 20, 30, 4]));
  });

  it('broadcasts all three operands', async () => {
    const y = await runOp('where', [bool([2, 1], [1, 0]), f32([], [5]), f32([3], [7, 8, 9])]);
    expectTensor(y, f32([2, 3], [5, 5, 5, 7, 8, 9]));
  });

  it('ignores nan in the branch not taken', async () => {
    const y = await runOp('where', [bool([2], [1, 0]), f32([2], [1, NAN]), f32([2], [NAN, 2])]);
    expectTensor(y, f32([2], [1, 2]));
  });

  it('selects i32 and bool values', async () => {
    expectTensor(await runOp('where', [bool([3], [0, 1, 0]), i32([3], [1, 2, 3]), i32([], [-1])]), i32([3], [-1, 2, -1]));
    expectTensor(await runOp('where', [bool([2], [0, 1]), bool([2], [1, 1]), bool([2], [0, 0])]), bool([2], [0, 1]));
  });
});

describe('cast', () => {
  it('f32 to i32 truncates toward zero, saturates, and maps nan to 0', async () => {
    const xs = [1.9, -1.9, 0.5, -0.5, 3e9, -3e9, INF, -INF, NAN, 2147483648];
    const want = [1, -1, 0, 0, I32_MAX, I32_MIN, I32_MAX, I32_MIN, 0, I32_MAX];
    expectTensor(await runOp('cast', [f32([10], xs)], { to: 'i32' }), i32([10], want));
  });

  it('f32 to bool is x != 0 (nan is true, -0 is false)', async () => {
    const y = await runOp('cast', [f32([6], [0, -0, 2.5, -1, NAN, INF])], { to: 'bool' });
    expectTensor(y, bool([6], [0, 0, 1, 1, 1, 1]));
  });

  it('i32 to f32 rounds to the nearest f32', async () => {
    const y = await runOp('cast', [i32([3], [16777217, -3, I32_MAX])], { to: 'f32' });
    // 2^24 + 1 is not an f32: the nearest (ties to even) is 2^24; 2^31 - 1 rounds up to 2^31.
    expect(Array.from(y.data)).toEqual([16777216, -3, 2147483648]);
    expect(y.dtype).toBe('f32');
  });

  it('i32 to bool, bool to f32 and i32, and same-dtype casts', async () => {
    expectTensor(await runOp('cast', [i32([3], [0, 5, -1])], { to: 'bool' }), bool([3], [0, 1, 1]));
    expectTensor(await runOp('cast', [bool([2], [1, 0])], { to: 'f32' }), f32([2], [1, 0]));
    expectTensor(await runOp('cast', [bool([2], [1, 0])], { to: 'i32' }), i32([2], [1, 0]));
    expectTensor(await runOp('cast', [f32([2, 1], [1.5, -2.25])], { to: 'f32' }), f32([2, 1], [1.5, -2.25]));
    expectTensor(await runOp('cast', [i32([1], [-7])], { to: 'i32' }), i32([1], [-7]));
  });
});
