// matmul (batched, broadcast batch, i32), gather (with its run-time range check) and one_hot against hand values.

import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { I32_MAX, INF, NAN, bool, expectKilnAsync, expectTensor, f32, i32, runOp } from './helpers.js';
import type { TypedValue } from './helpers.js';

type Case = [string, TypedValue[], Record<string, unknown>, TypedValue];

describe('matmul', () => {
  const cases: Case[] = [
    // [[1,2,3],[4,5,6]] @ [[7,8],[9,10],[11,12]] = [[1*7+2*9+3*11, ...]]
    ['[2, 3] @ [3, 2]', [f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([3, 2], [7, 8, 9, 10, 11, 12])], {}, f32([2, 2], [58, 64, 139, 154])],
    ['a dot product [1, 3] @ [3, 1]', [f32([1, 3], [1, 2, 3]), f32([3, 1], [4, 5, 6])], {}, f32([1, 1], [32])],
    ['an outer product [2, 1] @ [1, 3]', [f32([2, 1], [1, 2]), f32([1, 3], [3, 4, 5])], {}, f32([2, 3], [3, 4, 5, 6, 8, 10])],
    ['batched, same batch', [f32([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), f32([2, 2, 2], [1, 0, 0, 1, 0, 1, 1, 0])], {}, f32([2, 2, 2], [1, 2, 3, 4, 6, 5, 8, 7])],
    // batch [2, 1] against [3] broadcasts to [2, 3]: out[i][j] = a_i . b_j
    ['batch dims broadcast on both sides', [f32([2, 1, 1, 2], [1, 2, 3, 4]), f32([3, 2, 1], [1, 0, 0, 1, 1, 1])], {}, f32([2, 3, 1, 1], [1, 2, 3, 3, 4, 7])],
    ['rank 3 @ rank 2', [f32([2, 1, 2], [1, 2, 3, 4]), f32([2, 2], [1, 2, 3, 4])], {}, f32([2, 1, 2], [7, 10, 15, 22])],
    ['rank 2 @ rank 3', [f32([1, 2], [1, 1]), f32([2, 2, 1], [1, 2, 3, 4])], {}, f32([2, 1, 1], [3, 7])],
    ['i32', [i32([2, 2], [1, 2, 3, 4]), i32([2, 2], [5, 6, 7, 8])], {}, i32([2, 2], [19, 22, 43, 50])],
    // 2 * 2^32 wraps to 0; 2 * (2^31 - 1) wraps to -2.
    ['i32 wraps around', [i32([2, 2], [65536, 65536, I32_MAX, 0]), i32([2, 1], [65536, 65536])], {}, i32([2, 1], [0, -65536])],
    ['i32 accumulation wraps', [i32([1, 2], [I32_MAX, I32_MAX]), i32([2, 1], [1, 1])], {}, i32([1, 1], [-2])],
    ['empty inner dim gives zeros', [f32([2, 0], []), f32([0, 3], [])], {}, f32([2, 3], [0, 0, 0, 0, 0, 0])],
    ['empty rows', [f32([0, 3], []), f32([3, 2], [1, 2, 3, 4, 5, 6])], {}, f32([0, 2], [])],
    ['nan and inf propagate', [f32([2, 2], [NAN, 1, INF, 1]), f32([2, 1], [0, 1])], {}, f32([2, 1], [NAN, NAN])],
    ['inf survives finite weights', [f32([1, 2], [INF, 1]), f32([2, 1], [1, -1])], {}, f32([1, 1], [INF])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('matmul', xs, attrs), want);
  });

  it('multiplies a symbolic batch of rows', async () => {
    const y = await runOp('matmul', [f32(['B', 2], [1, 0, 0, 1, 1, 1]), f32([2, 2], [1, 2, 3, 4])], {}, { B: 3 });
    expectTensor(y, f32([3, 2], [1, 2, 3, 4, 4, 6]));
  });
});

describe('gather', () => {
  const table = f32([3, 2], [0, 1, 2, 3, 4, 5]);
  const cases: Case[] = [
    ['rows of a table', [table, i32([3], [2, 0, 2])], {}, f32([3, 2], [4, 5, 0, 1, 4, 5])],
    ['columns (axis 1)', [f32([2, 3], [1, 2, 3, 4, 5, 6]), i32([2], [2, 0])], { axis: 1 }, f32([2, 2], [3, 1, 6, 4])],
    ['negative axis', [f32([2, 3], [1, 2, 3, 4, 5, 6]), i32([2], [2, 0])], { axis: -1 }, f32([2, 2], [3, 1, 6, 4])],
    ['2-d indices', [f32([3], [10, 20, 30]), i32([2, 2], [1, 0, 2, 2])], {}, f32([2, 2], [20, 10, 30, 30])],
    ['a scalar index drops the axis', [table, i32([], [1])], {}, f32([2], [2, 3])],
    ['no indices', [table, i32([0], [])], {}, f32([0, 2], [])],
    // c[i][2][k] = 1 + 6i + 4 + k
    ['middle axis of rank 3', [f32([2, 3, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), i32([1], [2])], { axis: 1 }, f32([2, 1, 2], [5, 6, 11, 12])],
    ['i32 data', [i32([3], [7, 8, 9]), i32([2], [1, 1])], {}, i32([2], [8, 8])],
    ['bool data', [bool([2], [0, 1]), i32([3], [1, 0, 1])], {}, bool([3], [1, 0, 1])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('gather', xs, attrs), want);
  });

  it('takes a symbolic number of indices', async () => {
    const y = await runOp('gather', [f32([3], [10, 20, 30]), i32(['B'], [2, 1])], {}, { B: 2 });
    expectTensor(y, f32([2], [30, 20]));
  });

  it('rejects an index past the end at run time', async () => {
    await expectKilnAsync(runOp('gather', [table, i32([2], [0, 3])]), 'runtime', 'gather: index 3 is out of range for axis 0 of size 3');
  });

  it('rejects a negative index at run time', async () => {
    await expectKilnAsync(runOp('gather', [f32([2, 3], [1, 2, 3, 4, 5, 6]), i32([1], [-1])], { axis: -1 }), 'runtime', 'gather: index -1 is out of range for axis -1 of size 3');
  });

  it('names the source place of the gather that failed', async () => {
    const b = new GraphBuilder('lookup');
    const t = b.input('t', { dtype: 'f32', shape: [2] });
    const ids = b.input('ids', { dtype: 'i32', shape: [1] });
    b.output('y', b.emit('gather', [t, ids], {}, { file: 'model.kiln', line: 3, col: 5 }));
    const exe = await compile(b.build(), { backend: 'reference' });
    const e = await expectKilnAsync(exe.run({ t: [1, 2], ids: [2] }), 'runtime', 'model.kiln:3:5: gather: index 2 is out of range for axis 0 of size 2');
    expect(e.span).toEqual({ file: 'model.kiln', line: 3, col: 5 });
  });
});

describe('one_hot', () => {
  const cases: Case[] = [
    ['a permutation', [i32([3], [0, 2, 1])], { depth: 3 }, f32([3, 3], [1, 0, 0, 0, 0, 1, 0, 1, 0])],
    // Out-of-range indices, negative ones included, give a row of zeros.
    ['out of range gives a zero row', [i32([3], [3, -1, 1])], { depth: 3 }, f32([3, 3], [0, 0, 0, 0, 0, 0, 0, 1, 0])],
    ['2-d indices', [i32([2, 1], [1, 0])], { depth: 2 }, f32([2, 1, 2], [0, 1, 1, 0])],
    ['a scalar index', [i32([], [2])], { depth: 4 }, f32([4], [0, 0, 1, 0])],
    ['i32 result', [i32([2], [1, 0])], { depth: 2, dtype: 'i32' }, i32([2, 2], [0, 1, 1, 0])],
    ['bool result', [i32([2], [0, 5])], { depth: 2, dtype: 'bool' }, bool([2, 2], [1, 0, 0, 0])],
    ['depth 0', [i32([2], [0, 1])], { depth: 0 }, f32([2, 0], [])],
    ['no indices', [i32([0], [])], { depth: 3 }, f32([0, 3], [])],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('one_hot', xs, attrs), want);
  });
});
