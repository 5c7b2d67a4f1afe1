// Movement ops (reshape, broadcast_to, transpose, slice, pad, concat) against hand-computed values.

import { describe, it } from 'vitest';
import { SLICE_END } from '../../src/ir/ops/movement.js';
import { bool, expectTensor, f32, i32, runOp } from './helpers.js';
import type { TypedValue } from './helpers.js';

type Case = [string, TypedValue[], Record<string, unknown>, TypedValue];

const m23 = f32([2, 3], [1, 2, 3, 4, 5, 6]);
// c[i][j][k] = 1 + 6i + 2j + k
const c = f32([2, 3, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
const ten = f32([10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

describe('reshape', () => {
  const cases: Case[] = [
    ['[2, 3] to [3, 2]', [m23], { shape: [3, 2] }, f32([3, 2], [1, 2, 3, 4, 5, 6])],
    ['[2, 3] to [6]', [m23], { shape: [6] }, f32([6], [1, 2, 3, 4, 5, 6])],
    ['scalar to [1, 1]', [f32([], [5])], { shape: [1, 1] }, f32([1, 1], [5])],
    ['[1] to scalar', [i32([1], [-3])], { shape: [] }, i32([], [-3])],
    ['empty [0, 3] to [3, 0]', [f32([0, 3], [])], { shape: [3, 0] }, f32([3, 0], [])],
    ['bool keeps its dtype', [bool([4], [1, 0, 0, 1])], { shape: [2, 2] }, bool([2, 2], [1, 0, 0, 1])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('reshape', xs, attrs), want);
  });

  it('reshapes a symbolic dim to another position', async () => {
    const y = await runOp('reshape', [f32(['B', 2], [1, 2, 3, 4, 5, 6])], { shape: [2, 'B'] }, { B: 3 });
    expectTensor(y, f32([2, 3], [1, 2, 3, 4, 5, 6]));
  });
});

describe('broadcast_to', () => {
  const cases: Case[] = [
    ['scalar to [2, 3]', [f32([], [7])], { shape: [2, 3] }, f32([2, 3], [7, 7, 7, 7, 7, 7])],
    ['row to [2, 3]', [f32([3], [1, 2, 3])], { shape: [2, 3] }, f32([2, 3], [1, 2, 3, 1, 2, 3])],
    ['column to [2, 3]', [f32([2, 1], [1, 2])], { shape: [2, 3] }, f32([2, 3], [1, 1, 1, 2, 2, 2])],
    ['new leading dim and a size-1 dim', [i32([1, 2], [4, 5])], { shape: [2, 3, 2] }, i32([2, 3, 2], [4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5])],
    ['same shape', [f32([2], [1, 2])], { shape: [2] }, f32([2], [1, 2])],
    ['size 1 to size 0', [f32([1], [3])], { shape: [0] }, f32([0], [])],
    ['bool', [bool([2, 1], [1, 0])], { shape: [2, 2] }, bool([2, 2], [1, 1, 0, 0])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('broadcast_to', xs, attrs), want);
  });

  it('broadcasts to a symbolic batch', async () => {
    const y = await runOp('broadcast_to', [f32([3], [1, 2, 3])], { shape: ['B', 3] }, { B: 2 });
    expectTensor(y, f32([2, 3], [1, 2, 3, 1, 2, 3]));
  });
});

describe('transpose', () => {
  const cases: Case[] = [
    ['2-d', [m23], { perm: [1, 0] }, f32([3, 2], [1, 4, 2, 5, 3, 6])],
    // out[k][i][j] = c[i][j][k]
    ['rank 3, perm [2, 0, 1]', [c], { perm: [2, 0, 1] }, f32([2, 2, 3], [1, 3, 5, 7, 9, 11, 2, 4, 6, 8, 10, 12])],
    // out[j][i][k] = c[i][j][k]
    ['rank 3, perm [1, 0, 2]', [c], { perm: [1, 0, 2] }, f32([3, 2, 2], [1, 2, 7, 8, 3, 4, 9, 10, 5, 6, 11, 12])],
    ['rank 1', [f32([3], [1, 2, 3])], { perm: [0] }, f32([3], [1, 2, 3])],
    ['rank 0', [i32([], [9])], { perm: [] }, i32([], [9])],
    ['empty', [f32([0, 2], [])], { perm: [1, 0] }, f32([2, 0], [])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('transpose', xs, attrs), want);
  });

  it('swaps a symbolic dim', async () => {
    const y = await runOp('transpose', [f32(['B', 2], [1, 2, 3, 4])], { perm: [1, 0] }, { B: 2 });
    expectTensor(y, f32([2, 2], [1, 3, 2, 4]));
  });
});

describe('slice', () => {
  const one = (begin: number, end: number, stride = 1) => ({ begin: [begin], end: [end], stride: [stride] });
  const cases: Case[] = [
    ['x[2:5]', [ten], one(2, 5), f32([3], [2, 3, 4])],
    ['x[-3:]', [ten], one(-3, SLICE_END), f32([3], [7, 8, 9])],
    ['x[-100:3] clamps the start', [ten], one(-100, 3), f32([3], [0, 1, 2])],
    ['x[8:100] clamps the end', [ten], one(8, 100), f32([2], [8, 9])],
    ['x[1:-1:3]', [ten], one(1, -1, 3), f32([3], [1, 4, 7])],
    ['x[::4]', [ten], one(0, SLICE_END, 4), f32([3], [0, 4, 8])],
    ['x[-1::2]', [ten], one(-1, SLICE_END, 2), f32([1], [9])],
    ['x[5:2] is empty', [ten], one(5, 2), f32([0], [])],
    ['x[10:] is empty', [ten], one(10, SLICE_END), f32([0], [])],
    ['x[-20:-15] is empty', [ten], one(-20, -15), f32([0], [])],
    ['2-d x[1:, -3::2]', [f32([3, 4], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])], { begin: [1, -3], end: [SLICE_END, SLICE_END], stride: [1, 2] }, f32([2, 2], [5, 7, 9, 11])],
    ['2-d x[0:2:2, :-1]', [f32([3, 4], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])], { begin: [0, 0], end: [2, -1], stride: [2, 1] }, f32([1, 3], [0, 1, 2])],
    ['i32', [i32([4], [5, 6, 7, 8])], one(1, 3), i32([2], [6, 7])],
    ['of an empty axis', [f32([0], [])], one(0, SLICE_END), f32([0], [])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('slice', xs, attrs), want);
  });

  it('takes a symbolic axis whole', async () => {
    const y = await runOp('slice', [f32(['B', 3], [0, 1, 2, 3, 4, 5])], { begin: [0, 1], end: [SLICE_END, 3], stride: [1, 1] }, { B: 2 });
    expectTensor(y, f32([2, 2], [1, 2, 4, 5]));
  });
});

describe('pad', () => {
  const cases: Case[] = [
    ['1-d with zeros', [f32([3], [1, 2, 3])], { before: [2], after: [1] }, f32([6], [0, 0, 1, 2, 3, 0])],
    ['2-d with a value', [f32([2, 2], [1, 2, 3, 4])], { before: [1, 0], after: [0, 1], value: -1 }, f32([3, 3], [-1, -1, -1, 1, 2, -1, 3, 4, -1])],
    ['i32 with an integer value', [i32([1], [5])], { before: [1], after: [1], value: 7 }, i32([3], [7, 5, 7])],
    ['an empty operand', [f32([0], [])], { before: [1], after: [2], value: 9 }, f32([3], [9, 9, 9])],
    ['an empty axis of a matrix', [f32([2, 0], [])], { before: [0, 1], after: [0, 1], value: 4 }, f32([2, 2], [4, 4, 4, 4])],
    ['no padding', [f32([2], [1, 2])], { before: [0], after: [0] }, f32([2], [1, 2])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('pad', xs, attrs), want);
  });

  it('leaves a symbolic axis unpadded', async () => {
    const y = await runOp('pad', [f32(['B', 2], [1, 2, 3, 4])], { before: [0, 1], after: [0, 0] }, { B: 2 });
    expectTensor(y, f32([2, 3], [0, 1, 2, 0, 3, 4]));
  });
});

describe('concat', () => {
  const cases: Case[] = [
    ['three operands on axis 0', [f32([1], [1]), f32([2], [2, 3]), f32([3], [4, 5, 6])], { axis: 0 }, f32([6], [1, 2, 3, 4, 5, 6])],
    [
      'three operands on axis 1',
      [f32([2, 1], [1, 2]), f32([2, 2], [3, 4, 5, 6]), f32([2, 3], [7, 8, 9, 10, 11, 12])],
      { axis: 1 },
      f32([2, 6], [1, 3, 4, 7, 8, 9, 2, 5, 6, 10, 11, 12]),
    ],
    ['negative axis', [f32([2, 1], [1, 2]), f32([2, 2], [3, 4, 5, 6]), f32([2, 3], [7, 8, 9, 10, 11, 12])], { axis: -1 }, f32([2, 6], [1, 3, 4, 7, 8, 9, 2, 5, 6, 10, 11, 12])],
    ['rows of matrices', [f32([1, 2], [1, 2]), f32([2, 2], [3, 4, 5, 6])], {}, f32([3, 2], [1, 2, 3, 4, 5, 6])],
    ['middle axis of rank 3', [f32([2, 1, 2], [1, 2, 3, 4]), f32([2, 2, 2], [5, 6, 7, 8, 9, 10, 11, 12])], { axis: 1 }, f32([2, 3, 2], [1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12])],
    ['with an empty operand', [f32([0, 2], []), f32([1, 2], [1, 2]), f32([0, 2], [])], { axis: 0 }, f32([1, 2], [1, 2])],
    ['one operand', [i32([2], [1, 2])], {}, i32([2], [1, 2])],
    ['i32', [i32([2], [1, 2]), i32([1], [-3])], {}, i32([3], [1, 2, -3])],
    ['bool', [bool([1], [1]), bool([2], [0, 1])], {}, bool([3], [1, 0, 1])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('concat', xs, attrs), want);
  });

  it('joins along a concrete axis next to a symbolic one', async () => {
    const y = await runOp('concat', [f32(['B', 1], [1, 2]), f32(['B', 2], [3, 4, 5, 6])], { axis: 1 }, { B: 2 });
    expectTensor(y, f32([2, 3], [1, 3, 4, 2, 5, 6]));
  });
});
