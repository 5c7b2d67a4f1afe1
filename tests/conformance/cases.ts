// The conformance table: single-op cases with hand-computed results, at least one for every op in the registry.

import { SLICE_END } from '../../src/ir/ops/movement.js';
import { bool, f32, i32 } from './tolerance.js';
import type { Tolerance, TypedValue } from './tolerance.js';

export interface OpCase {
  /** Shown in the test name: `op: what the case checks`. */
  name: string;
  op: string;
  /** Operands in order; their shapes may be symbolic when `shapes` binds them. */
  inputs: TypedValue[];
  attrs?: Record<string, unknown>;
  shapes?: Record<string, number>;
  expected: TypedValue;
  tolerance?: Tolerance;
}

const NAN = Number.NaN;
const INF = Number.POSITIVE_INFINITY;
const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

/** A case for a unary f32 op over a 1-d operand. */
const unary = (op: string, xs: number[], want: number[], what = 'values'): OpCase => ({
  name: `${op}: ${what}`,
  op,
  inputs: [f32([xs.length], xs)],
  expected: f32([want.length], want),
});

/** A case for a binary op over two 1-d operands of one dtype. */
const binary = (op: string, mk: typeof f32, a: number[], b: number[], want: number[], what: string, out: typeof f32 = mk): OpCase => ({
  name: `${op}: ${what}`,
  op,
  inputs: [mk([a.length], a), mk([b.length], b)],
  expected: out([want.length], want),
});

const m23 = f32([2, 3], [1, 2, 3, 4, 5, 6]);
// c[i][j][k] = 1 + 6i + 2j + k
const c232 = f32([2, 3, 2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);

export const CASES: readonly OpCase[] = [
  // ---- constant --------------------------------------------------------------------------
  { name: 'constant: splat', op: 'constant', inputs: [], attrs: { shape: [2, 2], value: [2.5] }, expected: f32([2, 2], [2.5, 2.5, 2.5, 2.5]) },
  { name: 'constant: full i32 values', op: 'constant', inputs: [], attrs: { dtype: 'i32', shape: [3], value: [I32_MIN, 0, I32_MAX] }, expected: i32([3], [I32_MIN, 0, I32_MAX]) },
  { name: 'constant: bool', op: 'constant', inputs: [], attrs: { dtype: 'bool', shape: [2], value: [0, 1] }, expected: bool([2], [0, 1]) },
  { name: 'constant: symbolic splat', op: 'constant', inputs: [], attrs: { shape: ['B'], value: [-1] }, shapes: { B: 3 }, expected: f32([3], [-1, -1, -1]) },

  // ---- unary -----------------------------------------------------------------------------
  unary('neg', [1.5, -2, 0, INF, NAN], [-1.5, 2, -0, -INF, NAN]),
  { name: 'neg: i32 wraps at -2^31', op: 'neg', inputs: [i32([3], [5, I32_MAX, I32_MIN])], expected: i32([3], [-5, -I32_MAX, I32_MIN]) },
  unary('abs', [-1.5, 2, -INF, NAN], [1.5, 2, INF, NAN]),
  { name: 'abs: i32', op: 'abs', inputs: [i32([3], [-5, 3, I32_MIN])], expected: i32([3], [5, 3, I32_MIN]) },
  unary('exp', [0, 1, -1, -INF, 1000], [1, 2.718281828, 0.3678794412, 0, INF]),
  unary('log', [1, 2, 0, -1, INF], [0, 0.6931471806, -INF, NAN, INF]),
  unary('sqrt', [0, 4, 2, -1], [0, 2, 1.414213562, NAN]),
  unary('rsqrt', [4, 2, 0, -1], [0.5, 0.7071067812, INF, NAN]),
  unary('tanh', [0, 1, -0.5, 100], [0, 0.761594156, -0.4621171573, 1]),
  unary('sigmoid', [0, 1, -1, 1000, -1000], [0.5, 0.7310585786, 0.2689414214, 1, 0], 'values, stable at ±1000'),
  unary('relu', [-2, 0, 3.5, INF], [0, 0, 3.5, INF]),
  { name: 'relu: i32', op: 'relu', inputs: [i32([3], [-5, 0, 7])], expected: i32([3], [0, 0, 7]) },
  unary('sign', [-2.5, 0, 3, NAN], [-1, 0, 1, NAN], 'values, nan stays nan'),
  { name: 'sign: i32', op: 'sign', inputs: [i32([3], [-9, 0, 4])], expected: i32([3], [-1, 0, 1]) },
  unary('step', [-1, 0, 0.5, NAN], [0, 0, 1, 0]),
  { name: 'step: i32', op: 'step', inputs: [i32([3], [-1, 0, 2])], expected: i32([3], [0, 0, 1]) },
  unary('sin', [0, 1, -1, 0.5], [0, 0.8414709848, -0.8414709848, 0.4794255386]),
  unary('cos', [0, 1, -1, 0.5], [1, 0.5403023059, 0.5403023059, 0.8775825619]),

  // ---- binary ----------------------------------------------------------------------------
  { name: 'add: row broadcast', op: 'add', inputs: [m23, f32([3], [10, 20, 30])], expected: f32([2, 3], [11, 22, 33, 14, 25, 36]) },
  { name: 'add: column broadcast', op: 'add', inputs: [m23, f32([2, 1], [10, 20])], expected: f32([2, 3], [11, 12, 13, 24, 25, 26]) },
  {
    name: 'add: both sides broadcast',
    op: 'add',
    inputs: [f32([3, 1], [1, 2, 3]), f32([1, 4], [10, 20, 30, 40])],
    expected: f32([3, 4], [11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43]),
  },
  { name: 'add: scalar and empty', op: 'add', inputs: [f32([0, 2], []), f32([], [1])], expected: f32([0, 2], []) },
  { name: 'add: symbolic batch', op: 'add', inputs: [f32(['B', 2], [1, 2, 3, 4]), f32([2], [10, 20])], shapes: { B: 2 }, expected: f32([2, 2], [11, 22, 13, 24]) },
  binary('add', i32, [I32_MAX, I32_MIN, 7], [1, -1, -10], [I32_MIN, I32_MAX, -3], 'i32 wraps around'),
  binary('sub', f32, [5, 1, -INF], [2, 3, 1], [3, -2, -INF], 'f32'),
  binary('sub', i32, [I32_MIN, 3], [1, 10], [I32_MAX, -7], 'i32 wraps around'),
  binary('mul', f32, [2, -3, 0], [4, 5, INF], [8, -15, NAN], 'f32, 0 * inf is nan'),
  binary('mul', i32, [65536, 46341, 3], [65536, 46341, 1073741824], [0, -2147479015, -1073741824], 'i32 wraps around'),
  binary('div', f32, [1, -1, 0, 7], [0, 0, 0, 2], [INF, -INF, NAN, 3.5], 'f32 by zero'),
  binary('div', i32, [7, -7, 7, 5, I32_MIN], [2, 2, -2, 0, -1], [3, -3, -3, 0, I32_MIN], 'i32 truncates, x / 0 = 0'),
  binary('pow', f32, [2, 9, 2, 0, -8], [10, 0.5, -1, 0, 1 / 3], [1024, 3, 0.5, 1, NAN], 'f32'),
  binary('max', f32, [1, 5, NAN, 2], [3, 2, 1, NAN], [3, 5, NAN, NAN], 'nan propagates'),
  binary('max', i32, [3, I32_MIN], [-2, -1], [3, -1], 'i32'),
  binary('min', f32, [1, 5, NAN, 2], [3, 2, 1, NAN], [1, 2, NAN, NAN], 'nan propagates'),
  binary('min', i32, [3, I32_MAX], [-2, 1], [-2, 1], 'i32'),

  // ---- comparisons -----------------------------------------------------------------------
  binary('eq', f32, [1, 2, NAN, INF], [2, 2, NAN, INF], [0, 1, 0, 1], 'f32, nan is unequal to itself', bool),
  binary('eq', bool, [1, 0, 1, 0], [1, 1, 0, 0], [1, 0, 0, 1], 'bool', bool),
  binary('ne', f32, [1, 2, NAN], [2, 2, NAN], [1, 0, 1], 'f32', bool),
  binary('ne', i32, [3, -1], [3, 1], [0, 1], 'i32', bool),
  binary('lt', f32, [1, 2, 3, NAN, -INF], [2, 2, 2, 1, INF], [1, 0, 0, 0, 1], 'f32', bool),
  binary('lt', i32, [I32_MIN, 5], [0, 5], [1, 0], 'i32', bool),
  binary('le', f32, [1, 2, 3, NAN], [2, 2, 2, NAN], [1, 1, 0, 0], 'f32', bool),
  binary('gt', f32, [1, 2, 3, NAN], [2, 2, 2, 1], [0, 0, 1, 0], 'f32', bool),
  binary('ge', f32, [1, 2, 3, NAN], [2, 2, 2, 1], [0, 1, 1, 0], 'f32', bool),
  { name: 'ge: against a scalar', op: 'ge', inputs: [f32([2, 2], [0, 1, 2, 3]), f32([], [2])], expected: bool([2, 2], [0, 0, 1, 1]) },

  // ---- where, cast -----------------------------------------------------------------------
  {
    name: 'where: per element',
    op: 'where',
    inputs: [bool([2, 2], [1, 0, 0, 1]), f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [10, 20, 30, 40])],
    expected: f32([2, 2], [1, 20, 30, 4]),
  },
  { name: 'where: all three broadcast', op: 'where', inputs: [bool([2, 1], [1, 0]), f32([], [5]), f32([3], [7, 8, 9])], expected: f32([2, 3], [5, 5, 5, 7, 8, 9]) },
  { name: 'where: i32 branches', op: 'where', inputs: [bool([3], [0, 1, 0]), i32([3], [1, 2, 3]), i32([], [-1])], expected: i32([3], [-1, 2, -1]) },
  {
    name: 'cast: f32 to i32 truncates, saturates, nan to 0',
    op: 'cast',
    inputs: [f32([7], [1.9, -1.9, 3e9, -3e9, INF, -INF, NAN])],
    attrs: { to: 'i32' },
    expected: i32([7], [1, -1, I32_MAX, I32_MIN, I32_MAX, I32_MIN, 0]),
  },
  { name: 'cast: f32 to bool', op: 'cast', inputs: [f32([5], [0, -0, 2.5, -1, NAN])], attrs: { to: 'bool' }, expected: bool([5], [0, 0, 1, 1, 1]) },
  { name: 'cast: i32 to f32', op: 'cast', inputs: [i32([2], [-3, 16777216])], attrs: { to: 'f32' }, expected: f32([2], [-3, 16777216]) },
  { name: 'cast: bool to i32', op: 'cast', inputs: [bool([2], [1, 0])], attrs: { to: 'i32' }, expected: i32([2], [1, 0]) },

  // ---- reductions ------------------------------------------------------------------------
  { name: 'reduce_sum: last axis', op: 'reduce_sum', inputs: [m23], attrs: { axes: [-1] }, expected: f32([2], [6, 15]) },
  { name: 'reduce_sum: two axes, keepdims', op: 'reduce_sum', inputs: [c232], attrs: { axes: [0, 2], keepdims: true }, expected: f32([1, 3, 1], [18, 26, 34]) },
  { name: 'reduce_sum: empty axis', op: 'reduce_sum', inputs: [f32([2, 0], [])], attrs: { axes: [1] }, expected: f32([2], [0, 0]) },
  { name: 'reduce_sum: i32 wraps around', op: 'reduce_sum', inputs: [i32([2], [I32_MAX, 1])], attrs: { axes: [0] }, expected: i32([], [I32_MIN]) },
  { name: 'reduce_sum: symbolic axis', op: 'reduce_sum', inputs: [f32(['B', 2], [1, 2, 3, 4, 5, 6])], attrs: { axes: [0] }, shapes: { B: 3 }, expected: f32([2], [9, 12]) },
  { name: 'reduce_max: first axis', op: 'reduce_max', inputs: [f32([2, 3], [1, 5, 3, 4, 2, 6])], attrs: { axes: [0] }, expected: f32([3], [4, 5, 6]) },
  { name: 'reduce_max: nan propagates', op: 'reduce_max', inputs: [f32([3, 2], [NAN, 1, 1, NAN, 2, 3])], attrs: { axes: [1] }, expected: f32([3], [NAN, NAN, 3]) },
  { name: 'reduce_max: empty f32 axis is -inf', op: 'reduce_max', inputs: [f32([1, 0], [])], attrs: { axes: [1] }, expected: f32([1], [-INF]) },
  { name: 'reduce_max: i32 keepdims', op: 'reduce_max', inputs: [i32([2, 2], [3, -7, I32_MIN, -1])], attrs: { axes: [1], keepdims: true }, expected: i32([2, 1], [3, -1]) },
  { name: 'argmax: last axis', op: 'argmax', inputs: [f32([2, 3], [1, 5, 3, 4, 2, 6])], expected: i32([2], [1, 2]) },
  { name: 'argmax: ties pick the first', op: 'argmax', inputs: [f32([2, 2], [2, 2, 1, 1])], attrs: { axis: 0 }, expected: i32([2], [0, 0]) },
  { name: 'argmax: first nan wins', op: 'argmax', inputs: [f32([4], [1, NAN, INF, NAN])], expected: i32([], [1]) },
  { name: 'argmax: middle axis, keepdims', op: 'argmax', inputs: [c232], attrs: { axis: 1, keepdims: true }, expected: i32([2, 1, 2], [2, 2, 2, 2]) },

  // ---- movement --------------------------------------------------------------------------
  { name: 'reshape: [2, 3] to [3, 2]', op: 'reshape', inputs: [m23], attrs: { shape: [3, 2] }, expected: f32([3, 2], [1, 2, 3, 4, 5, 6]) },
  {
    name: 'reshape: symbolic',
    op: 'reshape',
    inputs: [f32(['B', 2], [1, 2, 3, 4, 5, 6])],
    attrs: { shape: [2, 'B'] },
    shapes: { B: 3 },
    expected: f32([2, 3], [1, 2, 3, 4, 5, 6]),
  },
  { name: 'broadcast_to: column', op: 'broadcast_to', inputs: [f32([2, 1], [1, 2])], attrs: { shape: [2, 3] }, expected: f32([2, 3], [1, 1, 1, 2, 2, 2]) },
  { name: 'broadcast_to: new leading dims', op: 'broadcast_to', inputs: [i32([2], [4, 5])], attrs: { shape: [2, 1, 2] }, expected: i32([2, 1, 2], [4, 5, 4, 5]) },
  { name: 'transpose: 2-d', op: 'transpose', inputs: [m23], attrs: { perm: [1, 0] }, expected: f32([3, 2], [1, 4, 2, 5, 3, 6]) },
  { name: 'transpose: rank 3', op: 'transpose', inputs: [c232], attrs: { perm: [2, 0, 1] }, expected: f32([2, 2, 3], [1, 3, 5, 7, 9, 11, 2, 4, 6, 8, 10, 12]) },
  {
    name: 'slice: negative bounds, clamping and strides',
    op: 'slice',
    inputs: [f32([3, 4], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])],
    attrs: { begin: [-100, -3], end: [SLICE_END, SLICE_END], stride: [2, 2] },
    expected: f32([2, 2], [1, 3, 9, 11]),
  },
  { name: 'slice: x[1:-1:3]', op: 'slice', inputs: [i32([10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])], attrs: { begin: [1], end: [-1], stride: [3] }, expected: i32([3], [1, 4, 7]) },
  { name: 'slice: empty result', op: 'slice', inputs: [f32([3], [1, 2, 3])], attrs: { begin: [2], end: [1], stride: [1] }, expected: f32([0], []) },
  {
    name: 'pad: 2-d with a value',
    op: 'pad',
    inputs: [f32([2, 2], [1, 2, 3, 4])],
    attrs: { before: [1, 0], after: [0, 1], value: -1 },
    expected: f32([3, 3], [-1, -1, -1, 1, 2, -1, 3, 4, -1]),
  },
  { name: 'pad: i32 zeros', op: 'pad', inputs: [i32([2], [5, 6])], attrs: { before: [1], after: [2] }, expected: i32([5], [0, 5, 6, 0, 0]) },
  {
    name: 'concat: three operands on the last axis',
    op: 'concat',
    inputs: [f32([2, 1], [1, 2]), f32([2, 2], [3, 4, 5, 6]), f32([2, 0], [])],
    attrs: { axis: -1 },
    expected: f32([2, 3], [1, 3, 4, 2, 5, 6]),
  },
  { name: 'concat: bool on axis 0', op: 'concat', inputs: [bool([1], [1]), bool([2], [0, 1])], expected: bool([3], [1, 0, 1]) },

  // ---- matmul ----------------------------------------------------------------------------
  { name: 'matmul: [2, 3] @ [3, 2]', op: 'matmul', inputs: [m23, f32([3, 2], [7, 8, 9, 10, 11, 12])], expected: f32([2, 2], [58, 64, 139, 154]) },
  {
    name: 'matmul: batch dims broadcast',
    op: 'matmul',
    inputs: [f32([2, 1, 1, 2], [1, 2, 3, 4]), f32([3, 2, 1], [1, 0, 0, 1, 1, 1])],
    expected: f32([2, 3, 1, 1], [1, 2, 3, 3, 4, 7]),
  },
  { name: 'matmul: rank 3 @ rank 2', op: 'matmul', inputs: [f32([2, 1, 2], [1, 2, 3, 4]), f32([2, 2], [1, 2, 3, 4])], expected: f32([2, 1, 2], [7, 10, 15, 22]) },
  { name: 'matmul: i32 wraps around', op: 'matmul', inputs: [i32([1, 2], [65536, 3]), i32([2, 1], [65536, 5])], expected: i32([1, 1], [15]) },
  { name: 'matmul: empty inner dim', op: 'matmul', inputs: [f32([1, 0], []), f32([0, 2], [])], expected: f32([1, 2], [0, 0]) },

  // ---- indexing --------------------------------------------------------------------------
  { name: 'gather: rows', op: 'gather', inputs: [f32([3, 2], [0, 1, 2, 3, 4, 5]), i32([3], [2, 0, 2])], expected: f32([3, 2], [4, 5, 0, 1, 4, 5]) },
  { name: 'gather: columns with 2-d indices', op: 'gather', inputs: [m23, i32([1, 2], [2, 0])], attrs: { axis: -1 }, expected: f32([2, 1, 2], [3, 1, 6, 4]) },
  { name: 'one_hot: out of range gives zeros', op: 'one_hot', inputs: [i32([3], [2, -1, 3])], attrs: { depth: 3 }, expected: f32([3, 3], [0, 0, 1, 0, 0, 0, 0, 0, 0]) },
  { name: 'one_hot: i32', op: 'one_hot', inputs: [i32([2], [1, 0])], attrs: { depth: 2, dtype: 'i32' }, expected: i32([2, 2], [0, 1, 1, 0]) },

  // ---- random: all backends draw the same counter-based stream ----------------------------
  {
    name: 'random_uniform: the seed 7 stream',
    op: 'random_uniform',
    inputs: [],
    attrs: { shape: [2, 2], seed: 7 },
    // top 24 bits of lowbias32(lowbias32(7 ^ 0x9e3779b9) + i * 0x85ebca6b), over 2^24
    expected: f32([2, 2], [13416458 / 2 ** 24, 6619347 / 2 ** 24, 15282803 / 2 ** 24, 9691242 / 2 ** 24]),
  },
  {
    name: 'random_uniform: the key selects the stream',
    op: 'random_uniform',
    inputs: [i32([], [5])],
    attrs: { shape: [4], seed: 7, low: -1, high: 1 },
    expected: f32(
      [4],
      [7510006, 9303459, 12389299, 6487555].map((b) => -1 + (2 * b) / 2 ** 24),
    ),
  },
  { name: 'random_uniform: low = high', op: 'random_uniform', inputs: [], attrs: { shape: ['B'], low: 2, high: 2 }, shapes: { B: 3 }, expected: f32([3], [2, 2, 2]) },
  {
    name: 'random_normal: the seed 7 stream',
    op: 'random_normal',
    inputs: [],
    attrs: { shape: [4], seed: 7 },
    // Box-Muller over uniforms 2i and 2i + 1 of the seed 7 stream
    expected: f32([4], [-0.5271522409819982, -0.3815670954319097, -0.23638373780074645, -0.15224959633496518]),
  },
  { name: 'random_normal: std 0 gives the mean', op: 'random_normal', inputs: [], attrs: { shape: [2], mean: 3, std: 0 }, expected: f32([2], [3, 3]) },

  // ---- composites ------------------------------------------------------------------------
  { name: 'mean: two axes', op: 'mean', inputs: [c232], attrs: { axes: [0, -1] }, expected: f32([3], [4.5, 6.5, 8.5]) },
  { name: 'mean: symbolic count', op: 'mean', inputs: [f32(['B', 2], [1, 2, 3, 4, 5, 6])], attrs: { axes: [0], keepdims: true }, shapes: { B: 3 }, expected: f32([1, 2], [3, 4]) },
  { name: 'softmax: [0, 1, 2]', op: 'softmax', inputs: [f32([3], [0, 1, 2])], expected: f32([3], [0.0900305732, 0.2447284711, 0.6652409558]) },
  { name: 'softmax: stable at ±1000', op: 'softmax', inputs: [f32([2, 2], [1000, 1000, -1000, 0])], expected: f32([2, 2], [0.5, 0.5, 0, 1]) },
  { name: 'log_softmax: [0, 1, 2]', op: 'log_softmax', inputs: [f32([3], [0, 1, 2])], expected: f32([3], [-2.4076059645, -1.4076059645, -0.4076059645]) },
  {
    name: 'log_softmax: stable at ±1000',
    op: 'log_softmax',
    inputs: [f32([2, 2], [1000, 0, -1000, -1000])],
    attrs: { axis: 1 },
    expected: f32([2, 2], [0, -1000, -0.6931471806, -0.6931471806]),
  },
  { name: 'identity: i32', op: 'identity', inputs: [i32([2], [3, -4])], expected: i32([2], [3, -4]) },
  { name: 'square: f32', op: 'square', inputs: [f32([3], [-3, 0.5, NAN])], expected: f32([3], [9, 0.25, NAN]) },
  { name: 'clip: f32', op: 'clip', inputs: [f32([5], [-2, 0.5, 3, -INF, NAN])], attrs: { min: 0, max: 1 }, expected: f32([5], [0, 0.5, 1, 0, NAN]) },
  { name: 'clip: i32', op: 'clip', inputs: [i32([3], [-5, 3, 10])], attrs: { min: -1, max: 4 }, expected: i32([3], [-1, 3, 4]) },
  { name: 'dense: one row', op: 'dense', inputs: [f32([1, 2], [1, 2]), f32([2, 2], [1, 2, 3, 4]), f32([2], [10, 20])], expected: f32([1, 2], [17, 30]) },

  // ---- convolution and pooling (NHWC images, HWIO filters) --------------------------------
  // 1..9 in a 3×3 image; the filter adds each pixel to the one below-right of it.
  { name: 'conv2d: valid', op: 'conv2d', inputs: [f32([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]), f32([2, 2, 1, 1], [1, 0, 0, 1])], expected: f32([1, 2, 2, 1], [6, 8, 12, 14]) },
  // 'same' at stride 2 over 4×4: a total padding of 1, after (bottom, right), as TensorFlow pads.
  {
    name: "conv2d: 'same' at stride 2 pads the odd cell after",
    op: 'conv2d',
    inputs: [
      f32(
        [1, 4, 4, 1],
        Array.from({ length: 16 }, (_, i) => i + 1),
      ),
      f32(
        [3, 3, 1, 1],
        Array.from({ length: 9 }, () => 1),
      ),
    ],
    attrs: { strides: [2, 2], padding: 'same' },
    expected: f32([1, 2, 2, 1], [54, 45, 72, 54]),
  },
  // Dilation 2 reads the corners; filter o copies channel o: 1+3+7+9 and 10+30+70+90.
  {
    name: 'conv2d: dilation 2, two channels in and out',
    op: 'conv2d',
    inputs: [
      f32(
        [1, 3, 3, 2],
        Array.from({ length: 18 }, (_, i) => (i % 2 === 0 ? 1 : 10) * (Math.floor(i / 2) + 1)),
      ),
      f32([2, 2, 2, 2], [1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]),
    ],
    attrs: { dilations: [2, 2] },
    expected: f32([1, 1, 1, 2], [20, 200]),
  },
  {
    name: 'conv2d: explicit pads',
    op: 'conv2d',
    inputs: [f32([1, 1, 2, 1], [1, 2]), f32([1, 2, 1, 1], [1, 1])],
    attrs: { padding: 'explicit', pads: [0, 0, 1, 1] },
    expected: f32([1, 1, 3, 1], [1, 3, 2]),
  },
  {
    name: 'max_pool2d: 2×2',
    op: 'max_pool2d',
    inputs: [
      f32(
        [1, 4, 4, 1],
        Array.from({ length: 16 }, (_, i) => i + 1),
      ),
    ],
    attrs: { size: [2, 2] },
    expected: f32([1, 2, 2, 1], [6, 8, 14, 16]),
  },
  // 'same' 3×3 at stride 2 over 3×3 pads one cell each side; padded cells never win.
  {
    name: "max_pool2d: 'same', padding never wins",
    op: 'max_pool2d',
    inputs: [f32([1, 3, 3, 1], [-1, -2, -3, -4, -5, -6, -7, -8, -9])],
    attrs: { size: [3, 3], strides: [2, 2], padding: 'same' },
    expected: f32([1, 2, 2, 1], [-1, -2, -4, -5]),
  },
  {
    name: 'avg_pool2d: 2×2',
    op: 'avg_pool2d',
    inputs: [
      f32(
        [1, 4, 4, 1],
        Array.from({ length: 16 }, (_, i) => i + 1),
      ),
    ],
    attrs: { size: [2, 2] },
    expected: f32([1, 2, 2, 1], [3.5, 5.5, 11.5, 13.5]),
  },
  // The same windows: each holds 4 image cells, and padded cells are left out of the divisor.
  {
    name: "avg_pool2d: 'same', padded cells not counted",
    op: 'avg_pool2d',
    inputs: [f32([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9])],
    attrs: { size: [3, 3], strides: [2, 2], padding: 'same' },
    expected: f32([1, 2, 2, 1], [3, 4, 6, 7]),
  },

  { name: 'global_avg_pool2d: per channel', op: 'global_avg_pool2d', inputs: [f32([1, 2, 2, 2], [1, 10, 2, 20, 3, 30, 4, 40])], expected: f32([1, 2], [2.5, 25]) },
  { name: 'upsample2d: nearest, 2×2', op: 'upsample2d', inputs: [f32([1, 1, 2, 1], [1, 2])], expected: f32([1, 2, 4, 1], [1, 1, 2, 2, 1, 1, 2, 2]) },
  // Row 0: mean 2, variance 1; row 1 is constant: centered to 0, then beta.
  {
    name: 'layer_norm: the last axis, then gamma and beta',
    op: 'layer_norm',
    inputs: [f32([2, 2], [1, 3, 2, 2]), f32([2], [1, 2]), f32([2], [0, 1])],
    expected: f32([2, 2], [-1 / Math.sqrt(1.00001), 2 / Math.sqrt(1.00001) + 1, 0, 1]),
  },

  // ---- losses and penalties: scalar f32[] results -----------------------------------------
  // |d| = 0.5, 0, 2, 1 and d^2 = 0.25, 0, 4, 1
  { name: 'mae: mean of |pred - target|', op: 'mae', inputs: [f32([4], [1, 2, 3, 4]), f32([4], [1.5, 2, 1, 5])], expected: f32([], [0.875]) },
  { name: 'mae: over a matrix', op: 'mae', inputs: [f32([2, 3], [1, 1, 1, 2, 2, 2]), f32([2, 3], [0, 1, 2, 0, 1, 2])], expected: f32([], [5 / 6]) },
  { name: 'mse: mean of (pred - target)^2', op: 'mse', inputs: [f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [1.5, 2, 1, 5])], expected: f32([], [1.3125]) },
  // -ln 0.5, -ln 0.9, -ln 0.8
  { name: 'binary_cross_entropy: values', op: 'binary_cross_entropy', inputs: [f32([3], [0.5, 0.9, 0.2]), f32([3], [1, 1, 0])], expected: f32([], [0.3405504159]) },
  // -ln(1e-7) for each wrong answer at p = 0 and p = 1
  { name: 'binary_cross_entropy: p clipped to eps', op: 'binary_cross_entropy', inputs: [f32([2], [0, 1]), f32([2], [1, 0])], expected: f32([], [16.118095651]) },
  // ln 2, then 1000 and 0 at the extremes
  {
    name: 'sigmoid_cross_entropy: stable at ±1000',
    op: 'sigmoid_cross_entropy',
    inputs: [f32([3], [0, -1000, 1000]), f32([3], [1, 1, 1])],
    expected: f32([], [(0.6931471806 + 1000) / 3]),
  },
  // -log_softmax([0, 1, 2]) at label 2, and 0 for a row whose label wins by 1000
  { name: 'softmax_cross_entropy: i32 labels', op: 'softmax_cross_entropy', inputs: [f32([2, 3], [0, 1, 2, 1000, 0, -1000]), i32([2], [2, 0])], expected: f32([], [0.2038029823]) },
  {
    name: 'softmax_cross_entropy: an out-of-range label is ignored',
    op: 'softmax_cross_entropy',
    inputs: [f32([2, 3], [0, 1, 2, 0, 1, 2]), i32([2], [0, 3])],
    expected: f32([], [2.4076059645]),
  },
  {
    name: 'softmax_cross_entropy_onehot: soft targets',
    op: 'softmax_cross_entropy_onehot',
    inputs: [f32([1, 3], [0, 1, 2]), f32([1, 3], [0.5, 0, 0.5])],
    expected: f32([], [1.4076059645]),
  },
  { name: 'l1_penalty: sum of |w|', op: 'l1_penalty', inputs: [f32([2, 2], [1, -2, 3, -4])], expected: f32([], [10]) },
  { name: 'l2_penalty: sum of w^2', op: 'l2_penalty', inputs: [f32([2, 2], [1, -2, 3, -4])], expected: f32([], [30]) },

  // ---- metrics ---------------------------------------------------------------------------
  // Row maxima at 1, 0, 2 against labels 1, 2, 2: two of three right.
  { name: 'accuracy: argmax against labels', op: 'accuracy', inputs: [f32([3, 3], [0, 5, 1, 9, 2, 3, 0, 0, 1]), i32([3], [1, 2, 2])], expected: f32([], [2 / 3]) },
  // Scores 0.9, 0.2, 0.6, 0.4 at threshold 0.5 say 1, 0, 1, 0; targets say 1, 1, 1, 0: three right.
  { name: 'binary_accuracy: probabilities at 0.5', op: 'binary_accuracy', inputs: [f32([4], [0.9, 0.2, 0.6, 0.4]), f32([4], [1, 1, 1, 0])], expected: f32([], [0.75]) },
  // Logits -1, 2 at threshold 0 say 0, 1; targets 0, 0: one right.
  { name: 'binary_accuracy: logits at 0', op: 'binary_accuracy', inputs: [f32([2, 1], [-1, 2]), f32([2, 1], [0, 0])], attrs: { threshold: 0 }, expected: f32([], [0.5]) },

  // ---- dropout ---------------------------------------------------------------------------
  { name: 'dropout: eval mode is the identity', op: 'dropout', inputs: [f32([3], [1.5, -2, NAN])], attrs: { rate: 0.5, training: false }, expected: f32([3], [1.5, -2, NAN]) },
  { name: 'dropout: off unless training is set', op: 'dropout', inputs: [f32([2], [3, -4])], attrs: { rate: 0.9 }, expected: f32([2], [3, -4]) },
  // uniforms of the seed 7 stream: 0.800, 0.395, 0.911, 0.578 (see random_uniform above); 0.5 and above are kept, doubled
  { name: 'dropout: the seed 7 mask', op: 'dropout', inputs: [f32([2, 2], [1, 2, 3, 4])], attrs: { rate: 0.5, seed: 7, training: true }, expected: f32([2, 2], [2, 0, 6, 8]) },
];
