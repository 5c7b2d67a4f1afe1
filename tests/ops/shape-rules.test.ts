// Shape, dtype, attribute and arity rules per op family: the KilnError code and a message naming op and shapes.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { ErrorCode } from '../../src/ir/errors.js';
import type { DType, Dim } from '../../src/ir/types.js';
import { catchKiln, emitOp, expectKiln } from './helpers.js';

const t = (dtype: DType, shape: Dim[]) => ({ dtype, shape });
const F = (...shape: Dim[]) => t('f32', shape);
const I = (...shape: Dim[]) => t('i32', shape);
const Bo = (...shape: Dim[]) => t('bool', shape);

type Rule = [string, string, ReturnType<typeof t>[], Record<string, unknown>, ErrorCode, string];

const rules: Record<string, Rule[]> = {
  elementwise: [
    ['add of incompatible shapes', 'add', [F(2, 3), F(4)], {}, 'shape', 'add: cannot broadcast f32[2, 3] with f32[4]'],
    ['mul of a symbolic dim against 3', 'mul', [F('B'), F(3)], {}, 'shape', 'mul: cannot broadcast f32[B] with f32[3]'],
    ['eq of incompatible shapes', 'eq', [I(2), I(3)], {}, 'shape', 'eq: cannot broadcast i32[2] with i32[3]'],
    ['where of incompatible shapes', 'where', [Bo(2), F(3), F(2)], {}, 'shape', 'where: cannot broadcast bool[2] with f32[3] with f32[2]'],
    ['add of f32 and i32', 'add', [F(2), I(2)], {}, 'dtype', 'add: operands must have one dtype, got f32[2], i32[2]'],
    ['add of bool', 'add', [Bo(2), Bo(2)], {}, 'dtype', "add: operand 'a' must be f32 or i32, got bool[2]"],
    ['exp of i32', 'exp', [I(2, 2)], {}, 'dtype', "exp: operand 'x' must be f32, got i32[2, 2]"],
    ['neg of bool', 'neg', [Bo(3)], {}, 'dtype', "neg: operand 'x' must be f32 or i32, got bool[3]"],
    ['pow of i32', 'pow', [I(2), I(2)], {}, 'dtype', "pow: operand 'a' must be f32, got i32[2]"],
    ['lt of bool', 'lt', [Bo(2), Bo(2)], {}, 'dtype', "lt: operand 'a' must be f32 or i32, got bool[2]"],
    ['where with an f32 condition', 'where', [F(2), F(2), F(2)], {}, 'dtype', "where: operand 'cond' must be bool, got f32[2]"],
    ['where with mixed branches', 'where', [Bo(2), F(2), I(2)], {}, 'dtype', 'where: operands must have one dtype, got f32[2], i32[2]'],
    ['cast without a target', 'cast', [F(2)], {}, 'attr', "cast: missing attribute 'to' (dtype)"],
    ['cast to an unknown dtype', 'cast', [F(2)], { to: 'f64' }, 'attr', 'cast: attribute \'to\' must be a dtype (f32, i32 or bool), got "f64"'],
    ['add given an attribute', 'add', [F(2), F(2)], { axis: 0 }, 'attr', "add: unknown attribute 'axis' (it takes none)"],
  ],
  reduce: [
    ['argmax over an empty axis', 'argmax', [F(0, 2)], { axis: 0 }, 'shape', 'argmax: axis 0 of f32[0, 2] is empty'],
    ['reduce_sum of bool', 'reduce_sum', [Bo(2, 3)], { axes: [0] }, 'dtype', "reduce_sum: operand 'x' must be f32 or i32, got bool[2, 3]"],
    ['reduce_max of bool', 'reduce_max', [Bo(2)], { axes: [0] }, 'dtype', "reduce_max: operand 'x' must be f32 or i32, got bool[2]"],
    ['argmax of bool', 'argmax', [Bo(2)], {}, 'dtype', "argmax: operand 'x' must be f32 or i32, got bool[2]"],
    ['reduce_sum past the rank', 'reduce_sum', [F(2, 3)], { axes: [2] }, 'attr', 'reduce_sum: axis 2 is out of range for rank 2'],
    ['reduce_max below the rank', 'reduce_max', [F(2, 3)], { axes: [-3] }, 'attr', 'reduce_max: axis -3 is out of range for rank 2'],
    ['a repeated axis', 'reduce_sum', [F(2, 3)], { axes: [1, -1] }, 'attr', 'reduce_sum: repeated axis in [1, -1]'],
    ['axes missing', 'reduce_sum', [F(2)], {}, 'attr', "reduce_sum: missing attribute 'axes' (ints)"],
    ['a fractional axis', 'argmax', [F(2)], { axis: 0.5 }, 'attr', "argmax: attribute 'axis' must be an integer, got 0.5"],
  ],
  movement: [
    ['reshape to another count', 'reshape', [F(2, 3)], { shape: [4, 2] }, 'shape', 'reshape: cannot reshape f32[2, 3] to [4, 2] (element counts differ)'],
    ['reshape a symbolic count', 'reshape', [F('B', 3)], { shape: [6] }, 'shape', 'reshape: cannot reshape f32[B, 3] to [6] (element counts differ)'],
    ['broadcast_to a wrong size', 'broadcast_to', [F(2, 3)], { shape: [3, 3] }, 'shape', 'broadcast_to: cannot broadcast f32[2, 3] to [3, 3]'],
    ['broadcast_to a lower rank', 'broadcast_to', [F(1, 3)], { shape: [3] }, 'shape', 'broadcast_to: cannot broadcast f32[1, 3] to [3]'],
    ['broadcast_to a size-1 target', 'broadcast_to', [F(3)], { shape: [1] }, 'shape', 'broadcast_to: cannot broadcast f32[3] to [1]'],
    [
      'slice part of a symbolic axis',
      'slice',
      [F('B', 3)],
      { begin: [1, 0], end: [2, 3], stride: [1, 1] },
      'shape',
      'slice: axis 0 of f32[B, 3] is symbolic and can only be taken whole',
    ],
    ['pad a symbolic axis', 'pad', [F('B', 3)], { before: [1, 0], after: [0, 0] }, 'shape', 'pad: cannot pad symbolic axis 0 (B) of f32[B, 3]'],
    ['concat off-axis mismatch', 'concat', [F(2, 3), F(2, 4)], { axis: 0 }, 'shape', 'concat: operands f32[2, 3], f32[2, 4] differ off axis 0'],
    ['concat of different ranks', 'concat', [F(2), F(2, 1)], {}, 'shape', 'concat: operands f32[2], f32[2, 1] differ off axis 0'],
    ['concat of symbolic sizes', 'concat', [F('B'), F(3)], {}, 'shape', 'concat: cannot join symbolic sizes along axis 0: f32[B], f32[3]'],
    ['concat of mixed dtypes', 'concat', [F(2), I(2)], {}, 'dtype', 'concat: operands must have one dtype, got f32[2], i32[2]'],
    ['transpose with a bad perm', 'transpose', [F(2, 3)], { perm: [0, 0] }, 'attr', 'transpose: perm [0, 0] is not a permutation of the 2 axes'],
    ['transpose with a short perm', 'transpose', [F(2, 3)], { perm: [0] }, 'attr', 'transpose: perm [0] is not a permutation of the 2 axes'],
    ['slice with too few bounds', 'slice', [F(2, 3)], { begin: [0], end: [1], stride: [1] }, 'attr', 'slice: begin, end and stride need one entry per axis of f32[2, 3]'],
    ['slice with stride 0', 'slice', [F(4)], { begin: [0], end: [4], stride: [0] }, 'attr', 'slice: stride 0 on axis 0 must be positive'],
    ['slice with a negative stride', 'slice', [F(4)], { begin: [3], end: [0], stride: [-1] }, 'attr', 'slice: stride -1 on axis 0 must be positive'],
    ['pad with negative padding', 'pad', [F(4)], { before: [-1], after: [0] }, 'attr', 'pad: padding on axis 0 must be non-negative, got -1 and 0'],
    ['pad i32 with a fraction', 'pad', [I(4)], { before: [1], after: [0], value: 0.5 }, 'attr', 'pad: value 0.5 does not fit i32'],
    ['pad with too few entries', 'pad', [F(2, 2)], { before: [1], after: [1] }, 'attr', 'pad: before and after need one entry per axis of f32[2, 2]'],
    ['concat past the rank', 'concat', [F(2), F(2)], { axis: 1 }, 'attr', 'concat: axis 1 is out of range for rank 1'],
    ['reshape to a negative dim', 'reshape', [F(2)], { shape: [-1] }, 'attr', "reshape: attribute 'shape' must be a shape (integers from 0 to 2^53-1 or symbols), got [-1]"],
  ],
  matmul: [
    ['inner dims differ', 'matmul', [F(2, 3), F(4, 5)], {}, 'shape', 'matmul: inner dimensions differ in f32[2, 3] @ f32[4, 5] (3 vs 4)'],
    ['symbolic inner dims differ', 'matmul', [F(2, 'K'), F('N', 5)], {}, 'shape', 'matmul: inner dimensions differ in f32[2, K] @ f32[N, 5] (K vs N)'],
    ['a vector operand', 'matmul', [F(3), F(3, 2)], {}, 'shape', 'matmul: operands need rank >= 2, got f32[3] @ f32[3, 2]'],
    ['batch dims that do not broadcast', 'matmul', [F(2, 2, 3), F(3, 3, 2)], {}, 'shape', 'matmul: batch dimensions of f32[2, 2, 3] @ f32[3, 3, 2] do not broadcast'],
    ['bool operands', 'matmul', [Bo(2, 2), Bo(2, 2)], {}, 'dtype', "matmul: operand 'a' must be f32 or i32, got bool[2, 2]"],
    ['mixed dtypes', 'matmul', [F(2, 2), I(2, 2)], {}, 'dtype', 'matmul: operands must have one dtype, got f32[2, 2], i32[2, 2]'],
  ],
  index: [
    // gather and one_hot have no shape failures of their own: a bad axis is an attribute error.
    ['gather past the rank', 'gather', [F(2, 3), I(2)], { axis: 2 }, 'attr', 'gather: axis 2 is out of range for rank 2'],
    ['gather from a scalar', 'gather', [F(), I(2)], {}, 'attr', 'gather: axis 0 is out of range for rank 0'],
    ['gather with f32 indices', 'gather', [F(3), F(2)], {}, 'dtype', "gather: operand 'indices' must be i32, got f32[2]"],
    ['one_hot of f32', 'one_hot', [F(3)], { depth: 2 }, 'dtype', "one_hot: operand 'indices' must be i32, got f32[3]"],
    ['one_hot with negative depth', 'one_hot', [I(3)], { depth: -1 }, 'attr', 'one_hot: depth must be non-negative, got -1'],
    ['one_hot without depth', 'one_hot', [I(3)], {}, 'attr', "one_hot: missing attribute 'depth' (int)"],
  ],
  random: [
    ['an f32 key', 'random_uniform', [F()], { shape: [2] }, 'dtype', "random_uniform: operand 'key' must be an i32 scalar, got f32[]"],
    ['a non-scalar key', 'random_normal', [I(2)], { shape: [2] }, 'dtype', "random_normal: operand 'key' must be an i32 scalar, got i32[2]"],
    ['a negative dim', 'random_normal', [], { shape: [2, -1] }, 'attr', "random_normal: attribute 'shape' must be a shape (integers from 0 to 2^53-1 or symbols), got [2,-1]"],
    ['no shape', 'random_uniform', [], {}, 'attr', "random_uniform: missing attribute 'shape' (shape)"],
  ],
  constant: [
    ['too few values', 'constant', [], { shape: [2, 2], value: [1, 2] }, 'attr', 'constant: 2 values do not fill shape [2, 2] (give 1 or one per element)'],
    ['values for a symbolic shape', 'constant', [], { shape: ['B'], value: [1, 2] }, 'attr', 'constant: 2 values do not fill shape [B] (give 1 or one per element)'],
    ['a fractional i32', 'constant', [], { dtype: 'i32', value: [1.5] }, 'attr', 'constant: value 1.5 does not fit i32'],
    ['an i32 out of range', 'constant', [], { dtype: 'i32', value: [2147483648] }, 'attr', 'constant: value 2147483648 does not fit i32'],
    ['a bool that is not 0 or 1', 'constant', [], { dtype: 'bool', shape: [2], value: [1, 2] }, 'attr', 'constant: value 2 does not fit bool'],
    ['an unknown dtype', 'constant', [], { dtype: 'f16', value: [1] }, 'attr', 'constant: attribute \'dtype\' must be a dtype (f32, i32 or bool), got "f16"'],
  ],
  composite: [
    ['dense with mismatched weights', 'dense', [F(1, 2), F(3, 2), F(2)], {}, 'shape', 'dense: matmul: inner dimensions differ in f32[1, 2] @ f32[3, 2] (2 vs 3)'],
    ['dense with a wrong bias', 'dense', [F(1, 2), F(2, 2), F(3)], {}, 'shape', 'dense: add: cannot broadcast f32[1, 2] with f32[3]'],
    ['softmax of i32', 'softmax', [I(2)], {}, 'dtype', "softmax: exp: operand 'x' must be f32, got i32[2]"],
    ['log_softmax of bool', 'log_softmax', [Bo(2)], {}, 'dtype', "log_softmax: reduce_max: operand 'x' must be f32 or i32, got bool[2]"],
    ['clip of bool', 'clip', [Bo(2)], { min: 0, max: 1 }, 'dtype', "clip: min: operand 'a' must be f32 or i32, got bool[2]"],
    ['square of bool', 'square', [Bo(2)], {}, 'dtype', "square: mul: operand 'a' must be f32 or i32, got bool[2]"],
    ['softmax past the rank', 'softmax', [F(2, 3)], { axis: 2 }, 'attr', 'softmax: axis 2 is out of range for rank 2'],
    ['mean past the rank', 'mean', [F(2, 3)], { axes: [-3] }, 'attr', 'mean: axis -3 is out of range for rank 2'],
    ['clip with min above max', 'clip', [F(2)], { min: 2, max: 1 }, 'attr', 'clip: min 2 is greater than max 1'],
    ['clip of i32 to a fractional bound', 'clip', [I(2)], { min: 0.5, max: 1 }, 'attr', 'clip: constant: value 0.5 does not fit i32'],
  ],
};

describe.each(Object.keys(rules))('%s rules', (family) => {
  it.each(rules[family]!)('%s', (_name, op, inputs, attrs, code, message) => {
    expectKiln(() => emitOp(op, inputs, attrs), code, message);
  });
});

describe('composite dtype messages name the shape', () => {
  it('mean of i32 names the operand type like every other dtype error', () => {
    // Every primitive's dtype error prints the operand's full type (e.g. "got i32[2, 3]").
    expectKiln(() => emitOp('mean', [I(2, 3)], { axes: [0] }), 'dtype', "mean: operand 'x' must be f32, got i32[2, 3]");
  });
});

describe('value rules that hold at the boundary', () => {
  it('pad of bool with a value that is not 0 or 1 is rejected', () => {
    // A bool tensor may only hold 0 and 1; constant enforces this, pad should too.
    expectKiln(() => emitOp('pad', [Bo(2)], { before: [1], after: [0], value: 2 }), 'attr', 'pad: value 2 does not fit bool');
  });

  it('pad of i32 with a value outside the i32 range is rejected', () => {
    expectKiln(() => emitOp('pad', [I(2)], { before: [1], after: [0], value: 3e9 }), 'attr', 'pad: value 3000000000 does not fit i32');
  });
});

describe('arity and unknown ops', () => {
  const arity: [string, number, string][] = [
    ['add', 1, 'add takes 2 operand(s) (a, b), got 1'],
    ['where', 2, 'where takes 3 operand(s) (cond, a, b), got 2'],
    ['exp', 2, 'exp takes 1 operand(s) (x), got 2'],
    ['constant', 1, 'constant takes 0 operand(s), got 1'],
    ['concat', 0, 'concat takes at least 1 operand(s), got 0'],
    ['random_uniform', 2, 'random_uniform takes 0 to 1 operand(s), got 2'],
    ['dense', 2, 'dense takes 3 operand(s) (x, w, b), got 2'],
  ];
  it.each(arity)('%s with %i operands', (op, count, message) => {
    expectKiln(
      () =>
        emitOp(
          op,
          Array.from({ length: count }, () => F(2)),
          {},
        ),
      'arity',
      message,
    );
  });

  it('an unknown op suggests near names', () => {
    // The suggestion list depends on the registry's order and contents; it must include softmax.
    expectKiln(() => emitOp('softmaxx', [F(2)]), 'unknown-op', /^unknown op 'softmaxx' \(did you mean (.*, )?softmax(, .*)?\?\)$/);
    expectKiln(() => emitOp('frobnicate', [F(2)]), 'unknown-op', "unknown op 'frobnicate'");
  });

  it('a builder span is attached to a shape error', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', F(2, 3));
    const y = b.input('y', F(4));
    const e = catchKiln(() => b.emit('add', [x, y], {}, { file: 'model.kiln', line: 7, col: 3 }));
    expect(e.code).toBe('shape');
    expect(e.message).toBe('model.kiln:7:3: add: cannot broadcast f32[2, 3] with f32[4]');
    expect(e.detail).toBe('add: cannot broadcast f32[2, 3] with f32[4]');
    expect(e.span).toEqual({ file: 'model.kiln', line: 7, col: 3 });
  });
});
