// Loss, penalty and dropout composites against hand-computed values, on the reference backend.

import { describe, expect, it } from 'vitest';
import { attrsOf } from '../../src/ir/graph.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { ErrorCode } from '../../src/ir/errors.js';
import { decompose } from '../../src/passes/decompose.js';
import type { DType, Dim } from '../../src/ir/types.js';
import { INF, NAN, emitOp, expectKiln, expectTensor, f32, i32, runOp } from './helpers.js';
import type { TypedValue } from './helpers.js';

type Case = [string, TypedValue[], Record<string, unknown>, number];

/** A loss result is a scalar f32[] holding `want`. */
const scalarLoss = (want: number) => f32([], [want]);

// Logarithms used below: ln 2 = 0.6931471806, ln 0.9 = -0.1053605157, ln 0.8 = -0.2231435513,
// ln 0.25 = -1.3862943611, ln 0.75 = -0.2876820725, ln(1e-7) = -16.1180956510,
// ln(1 + e^-2) = 0.1269280110, ln(1 + e^-1) = 0.3132616875, ln 3 = 1.0986122887.

describe('mae and mse', () => {
  const pred = f32([4], [1, 2, 3, 4]);
  const target = f32([4], [1.5, 2, 1, 5]);
  const cases: [string, string, TypedValue[], number][] = [
    // |d| = 0.5, 0, 2, 1
    ['mae', 'same shape', [pred, target], 3.5 / 4],
    // |d| = 1, 2, 2, 0 over a matrix
    ['mae', 'a matrix', [f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [0, 0, 1, 4])], 5 / 4],
    ['mae', 'scalars', [f32([], [-1]), f32([], [1])], 2],
    // d^2 = 0.25, 0, 4, 1
    ['mse', 'same shape', [pred, target], 5.25 / 4],
    // (x - 2)^2 = 1, 0, 1, 4
    ['mse', 'a column', [f32([4, 1], [1, 2, 3, 4]), f32([4, 1], [2, 2, 2, 2])], 6 / 4],
    ['mse', 'zero when equal', [pred, pred], 0],
  ];
  it.each(cases)('%s: %s', async (op, _name, xs, want) => {
    expectTensor(await runOp(op, xs), scalarLoss(want));
  });

  it('average over a symbolic batch once it is bound', async () => {
    // d = 1, -1, 2, 0, 0, 3: |d| sums to 7, d^2 to 15, over 6 elements
    const xs = [f32(['B', 2], [1, 2, 3, 4, 5, 6]), f32(['B', 2], [0, 3, 1, 4, 5, 3])];
    expectTensor(await runOp('mae', xs, {}, { B: 3 }), scalarLoss(7 / 6));
    expectTensor(await runOp('mse', xs, {}, { B: 3 }), scalarLoss(15 / 6));
  });
});

describe('binary_cross_entropy', () => {
  const cases: Case[] = [
    // -ln 0.5, -ln 0.9, -ln(1 - 0.2)
    ['hard targets', [f32([3], [0.5, 0.9, 0.2]), f32([3], [1, 1, 0])], {}, (0.6931471806 + 0.1053605157 + 0.2231435513) / 3],
    // -(0.5 ln 0.25 + 0.5 ln 0.75)
    ['a soft target', [f32([1], [0.25]), f32([1], [0.5])], {}, 0.5 * 1.3862943611 + 0.5 * 0.2876820725],
    // p = 0 with t = 1 and p = 1 with t = 0 both cost -ln(eps); the right answers cost ~1e-7.
    ['p = 0 and p = 1 are clipped to eps', [f32([4], [0, 1, 0, 1]), f32([4], [1, 0, 0, 1])], {}, (2 * 16.118095651) / 4],
    // -ln 0.01 = 4.6051701860
    ['a larger eps', [f32([2], [0, 1]), f32([2], [1, 0])], { eps: 0.01 }, 4.605170186],
    ['a column', [f32([2, 1], [0.5, 0.9]), f32([2, 1], [1, 1])], {}, (0.6931471806 + 0.1053605157) / 2],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('binary_cross_entropy', xs, attrs), scalarLoss(want));
  });

  it('with eps = 0 a confident wrong answer costs inf', async () => {
    expectTensor(await runOp('binary_cross_entropy', [f32([1], [0]), f32([1], [1])], { eps: 0 }), scalarLoss(INF));
  });
});

describe('sigmoid_cross_entropy', () => {
  const cases: Case[] = [
    // z = 0: ln 2; z = 2, t = 1: ln(1 + e^-2); z = -2, t = 1 and z = 2, t = 0: 2 + ln(1 + e^-2)
    ['moderate logits', [f32([4], [0, 2, -2, 2]), f32([4], [1, 1, 1, 0])], {}, (0.6931471806 + 0.126928011 + 2 * 2.126928011) / 4],
    // 1 - 0.25 + ln(1 + e^-1)
    ['a soft target', [f32([], [1]), f32([], [0.25])], {}, 0.75 + 0.3132616875],
    // right answers at ±1000 cost 0, wrong ones 1000
    ['stable at ±1000', [f32([4], [1000, -1000, 1000, -1000]), f32([4], [1, 0, 0, 1])], {}, 500],
    ['-1000, t = 0 costs 0', [f32([1], [-1000]), f32([1], [0])], {}, 0],
    ['1000, t = 0 costs 1000', [f32([1], [1000]), f32([1], [0])], {}, 1000],
    ['a batch of rows', [f32([2, 2], [0, 0, 2, 2]), f32([2, 2], [1, 0, 1, 0])], {}, (2 * 0.6931471806 + 0.126928011 + 2.126928011) / 4],
  ];
  it.each(cases)('%s', async (_name, xs, attrs, want) => {
    expectTensor(await runOp('sigmoid_cross_entropy', xs, attrs), scalarLoss(want));
  });

  it('matches binary_cross_entropy on sigmoid probabilities for moderate logits', async () => {
    const z = f32([3], [-1.5, 0.25, 3]);
    const t = f32([3], [0, 1, 0.3]);
    // sigmoid(z) written out: 1 / (1 + e^1.5), 1 / (1 + e^-0.25), 1 / (1 + e^-3)
    const p = f32([3], [0.1824255238, 0.5621765009, 0.9525741268]);
    const viaLogits = (await runOp('sigmoid_cross_entropy', [z, t])).data[0]!;
    expectTensor(await runOp('binary_cross_entropy', [p, t]), scalarLoss(viaLogits));
  });
});

describe('softmax_cross_entropy and softmax_cross_entropy_onehot', () => {
  // Rows [0, 1, 2] and [1000, 0, -1000]: -log_softmax is [2.4076059645, 1.4076059645, 0.4076059645] and [0, 1000, 2000].
  const logits = f32([2, 3], [0, 1, 2, 1000, 0, -1000]);
  const cases: [string, TypedValue, TypedValue, TypedValue, number][] = [
    ['two rows, one at ±1000', logits, i32([2], [2, 1]), f32([2, 3], [0, 0, 1, 0, 1, 0]), (0.4076059645 + 1000) / 2],
    ['the largest logit is the label', logits, i32([2], [0, 0]), f32([2, 3], [1, 0, 0, 1, 0, 0]), 2.4076059645 / 2],
    // Rows [0, ln 3] have softmax [1/4, 3/4]: label 1 costs -ln 0.75, label 0 costs -ln 0.25.
    ['rank 3 logits', f32([2, 1, 2], [0, 1.0986122887, 0, 1.0986122887]), i32([2, 1], [1, 0]), f32([2, 1, 2], [0, 1, 1, 0]), (0.2876820725 + 1.3862943611) / 2],
    ['one example, no batch axis', f32([3], [0, 1, 2]), i32([], [1]), f32([3], [0, 1, 0]), 1.4076059645],
    // A -inf logit (a masked class) off the label costs nothing and makes no nan.
    ['a masked class', f32([2], [0, -INF]), i32([], [0]), f32([2], [1, 0]), 0],
  ];
  it.each(cases)('%s', async (_name, z, labels, onehot, want) => {
    expectTensor(await runOp('softmax_cross_entropy', [z, labels]), scalarLoss(want));
    expectTensor(await runOp('softmax_cross_entropy_onehot', [z, onehot]), scalarLoss(want));
  });

  it('agree on the same data', async () => {
    const z = f32([4, 3], [0.3, -1.2, 2.5, 4, 4, 4, -7, 0.5, 0.25, 10, -10, 3]);
    const labels = [2, 0, 1, 0];
    const onehot = labels.flatMap((k) => [0, 1, 2].map((c) => +(c === k)));
    const sparse = (await runOp('softmax_cross_entropy', [z, i32([4], labels)])).data[0]!;
    expect(Number.isFinite(sparse)).toBe(true);
    expectTensor(await runOp('softmax_cross_entropy_onehot', [z, f32([4, 3], onehot)]), scalarLoss(sparse));
  });

  it('take soft targets', async () => {
    // Row [0, ln 3] against [0.5, 0.5]: 0.5 (-ln 0.25) + 0.5 (-ln 0.75)
    const z = f32([1, 2], [0, 1.0986122887]);
    expectTensor(await runOp('softmax_cross_entropy_onehot', [z, f32([1, 2], [0.5, 0.5])]), scalarLoss(0.8369882168));
  });

  it('leave out examples whose label is out of range (ignored, like padding)', async () => {
    const rows = f32([3, 3], [0, 1, 2, 0, 1, 2, 0, 1, 2]);
    // Only the first label is valid: the mean is over that one example.
    expectTensor(await runOp('softmax_cross_entropy', [rows, i32([3], [2, -1, 3])]), scalarLoss(0.4076059645));
    // With no valid label there is nothing to average: 0, not 0 / 0.
    expectTensor(await runOp('softmax_cross_entropy', [rows, i32([3], [-1, 3, -100])]), scalarLoss(0));
  });

  it('run over a symbolic batch', async () => {
    const z = f32(['B', 2], [0, 1.0986122887, 0, 1.0986122887, 5, 5]);
    const want = scalarLoss((0.2876820725 + 1.3862943611 + 0.6931471806) / 3);
    expectTensor(await runOp('softmax_cross_entropy', [z, i32(['B'], [1, 0, 1])], {}, { B: 3 }), want);
    expectTensor(await runOp('softmax_cross_entropy_onehot', [z, f32(['B', 2], [0, 1, 1, 0, 0, 1])], {}, { B: 3 }), want);
  });
});

describe('l1_penalty and l2_penalty', () => {
  const cases: [string, string, TypedValue, number][] = [
    ['l1_penalty', 'a matrix', f32([2, 2], [1, -2, 3, -4]), 10],
    ['l2_penalty', 'a matrix', f32([2, 2], [1, -2, 3, -4]), 1 + 4 + 9 + 16],
    ['l1_penalty', 'a scalar', f32([], [-3]), 3],
    ['l2_penalty', 'a scalar', f32([], [-3]), 9],
    ['l1_penalty', 'an empty tensor', f32([0, 3], []), 0],
    ['l2_penalty', 'rank 3', f32([1, 2, 2], [0.5, 0.5, -0.5, 1]), 0.25 * 3 + 1],
  ];
  it.each(cases)('%s: %s', async (op, _name, w, want) => {
    expectTensor(await runOp(op, [w]), scalarLoss(want));
  });
});

describe('dropout', () => {
  const ramp = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('is the exact identity in eval mode and at rate 0', async () => {
    const x = f32([2, 3], [1.5, -2, 0, 2 ** 100, -INF, NAN]);
    expectTensor(await runOp('dropout', [x], { rate: 0.5, training: false }), x, { rtol: 0, atol: 0 });
    expectTensor(await runOp('dropout', [x, i32([], [9])], { rate: 0.9, training: false }), x, { rtol: 0, atol: 0 });
    expectTensor(await runOp('dropout', [x], { rate: 0 }), x, { rtol: 0, atol: 0 });
  });

  it('in eval mode and at rate 0 adds no node: the result is x itself', () => {
    for (const attrs of [{ rate: 0.5, training: false }, { rate: 0 }]) {
      const b = new GraphBuilder('eval');
      const x = b.input('x', { dtype: 'f32', shape: ['B', 4] });
      b.output('y', b.emit('dropout', [x], attrs));
      const g = decompose(b.build());
      expect(g.nodes).toEqual([]);
      expect(g.outputs[0]!.value).toBe('x');
    }
  });

  it('in training is x * cast(u >= rate) * 1 / (1 - rate) over a random_uniform of x’s shape', () => {
    const b = new GraphBuilder('train');
    const x = b.input('x', { dtype: 'f32', shape: ['B', 4] });
    const key = b.input('step', { dtype: 'i32', shape: [] });
    b.output('y', b.emit('dropout', [x, key], { rate: 0.2, seed: 5, training: true }));
    const g = decompose(b.build());
    expect(g.nodes.map((n) => n.op)).toEqual(['random_uniform', 'constant', 'ge', 'cast', 'constant', 'mul', 'mul']);
    expect(g.nodes[0]!.inputs).toEqual(['step']);
    expect(g.nodes[0]!.attrs).toMatchObject({ shape: ['B', 4], seed: 5 });
    expect(attrsOf(g.nodes[4]!)['value']).toEqual([1 / 0.8]);
  });

  it('keeps each element as 0 or x / (1 - rate)', async () => {
    const xs = ramp(1000);
    const y = await runOp('dropout', [f32([1000], xs)], { rate: 0.25, seed: 3, training: true });
    expect(y.shape).toEqual([1000]);
    xs.forEach((x, i) => {
      const v = y.data[i]!;
      if (v !== 0) expect(Math.abs(v - x / 0.75)).toBeLessThanOrEqual(1e-6 * (x / 0.75));
    });
  });

  it.each([0.5, 0.3, 0.9])('keeps about 1 - rate of 10^5 elements at rate %s', async (rate) => {
    const n = 100_000;
    const y = await runOp('dropout', [f32([n], new Array<number>(n).fill(1))], { rate, seed: 11, training: true });
    const kept = Array.from(y.data).filter((v) => v !== 0).length;
    // The binomial standard deviation of the fraction is at most 0.0016: 0.01 is over six of them.
    expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(0.01);
  });

  it('draws its mask from the seed and key: the same pair repeats it, another key changes it', async () => {
    const x = f32([256], new Array<number>(256).fill(1));
    const mask = async (key: number | undefined, seed = 1) =>
      Array.from((await runOp('dropout', key === undefined ? [x] : [x, i32([], [key])], { rate: 0.5, seed, training: true })).data);
    const a = await mask(7);
    expect(await mask(7)).toEqual(a);
    expect(await mask(8)).not.toEqual(a);
    expect(await mask(7, 2)).not.toEqual(a);
    expect(await mask(undefined)).toEqual(await mask(undefined));
    expect(await mask(undefined)).not.toEqual(a);
  });

  it('runs over a symbolic shape', async () => {
    const y = await runOp('dropout', [f32(['B', 2], ramp(6))], { rate: 0.5, training: true }, { B: 3 });
    expect(y.shape).toEqual([3, 2]);
    y.data.forEach((v, i) => expect([0, 2 * (i + 1)]).toContain(v));
  });
});

describe('errors', () => {
  const t = (dtype: DType, ...shape: Dim[]) => ({ dtype, shape });
  const F = (...shape: Dim[]) => t('f32', ...shape);
  const I = (...shape: Dim[]) => t('i32', ...shape);
  type Rule = [string, string, ReturnType<typeof t>[], Record<string, unknown>, ErrorCode, string];
  const rules: Rule[] = [
    ['mae of i32', 'mae', [I(2), F(2)], {}, 'dtype', "mae: operand 'pred' must be f32, got i32[2]"],
    ['mse of an i32 target', 'mse', [F(2), I(2)], {}, 'dtype', "mse: operand 'target' must be f32, got i32[2]"],
    ['mae of two lengths', 'mae', [F(2), F(3)], {}, 'shape', 'mae: pred f32[2] and target f32[3] must have the same shape'],
    // These broadcast, and once averaged silently to a wrong loss: a loss refuses them all.
    ['mse of a column against a vector', 'mse', [F('B', 1), F('B')], {}, 'shape', 'mse: pred f32[B, 1] and target f32[B] must have the same shape'],
    ['mse of a column against rows', 'mse', [F('B', 1), F('B', 4)], {}, 'shape', 'mse: pred f32[B, 1] and target f32[B, 4] must have the same shape'],
    ['mae of a scalar target', 'mae', [F(3), F()], {}, 'shape', 'mae: pred f32[3] and target f32[] must have the same shape'],
    [
      'binary_cross_entropy of a row target',
      'binary_cross_entropy',
      [F(2, 2), F(2)],
      {},
      'shape',
      'binary_cross_entropy: prob f32[2, 2] and target f32[2] must have the same shape',
    ],
    [
      'mse of a symbolic dim against a number',
      'mse',
      [F('B', 1), F(32, 1)],
      {},
      'shape',
      'mse: pred f32[B, 1] and target f32[32, 1] must have the same shape (dim 0: B against 32; a symbolic dim matches only the same symbol)',
    ],
    [
      'mae of two symbols',
      'mae',
      [F('B', 2), F('N', 2)],
      {},
      'shape',
      'mae: pred f32[B, 2] and target f32[N, 2] must have the same shape (dim 0: B against N; a symbolic dim matches only the same symbol)',
    ],
    ['mse of a symbol and a number apart in a second dim', 'mse', [F('B', 1), F(32, 4)], {}, 'shape', 'mse: pred f32[B, 1] and target f32[32, 4] must have the same shape'],
    ['binary_cross_entropy of bool', 'binary_cross_entropy', [t('bool', 2), F(2)], {}, 'dtype', "binary_cross_entropy: operand 'prob' must be f32, got bool[2]"],
    ['binary_cross_entropy with eps above 0.5', 'binary_cross_entropy', [F(2), F(2)], { eps: 0.6 }, 'attr', 'binary_cross_entropy: eps must be in [0, 0.5], got 0.6'],
    ['binary_cross_entropy with a negative eps', 'binary_cross_entropy', [F(2), F(2)], { eps: -1 }, 'attr', 'binary_cross_entropy: eps must be in [0, 0.5], got -1'],
    ['sigmoid_cross_entropy of i32 logits', 'sigmoid_cross_entropy', [I(2), F(2)], {}, 'dtype', "sigmoid_cross_entropy: operand 'logits' must be f32, got i32[2]"],
    [
      'sigmoid_cross_entropy of mismatched shapes',
      'sigmoid_cross_entropy',
      [F(2, 3), F(2)],
      {},
      'shape',
      'sigmoid_cross_entropy: logits f32[2, 3] and target f32[2] must have the same shape',
    ],
    ['softmax_cross_entropy with f32 labels', 'softmax_cross_entropy', [F(2, 3), F(2)], {}, 'dtype', "softmax_cross_entropy: operand 'labels' must be i32, got f32[2]"],
    ['softmax_cross_entropy of i32 logits', 'softmax_cross_entropy', [I(2, 3), I(2)], {}, 'dtype', "softmax_cross_entropy: operand 'logits' must be f32, got i32[2, 3]"],
    [
      'softmax_cross_entropy with labels of the wrong shape',
      'softmax_cross_entropy',
      [F(2, 3), I(3)],
      {},
      'shape',
      'softmax_cross_entropy: labels i32[3] must have the shape of logits f32[2, 3] without its last (class) axis',
    ],
    [
      'softmax_cross_entropy with one-hot-shaped labels',
      'softmax_cross_entropy',
      [F('B', 3), I('B', 3)],
      {},
      'shape',
      'softmax_cross_entropy: labels i32[B, 3] must have the shape of logits f32[B, 3] without its last (class) axis',
    ],
    [
      'softmax_cross_entropy with a symbolic class axis',
      'softmax_cross_entropy',
      [F('B', 'C'), I('B')],
      {},
      'shape',
      "softmax_cross_entropy: the class axis of logits f32[B, C] must be a number, not 'C', to one-hot labels i32[B]",
    ],
    [
      'softmax_cross_entropy with labels of a number of examples against a symbolic batch',
      'softmax_cross_entropy',
      [F('B', 10), I(32)],
      {},
      'shape',
      'softmax_cross_entropy: labels i32[32] must have the shape of logits f32[B, 10] without its last (class) axis',
    ],
    ['softmax_cross_entropy of scalar logits', 'softmax_cross_entropy', [F(), I()], {}, 'shape', 'softmax_cross_entropy: logits f32[] have no class axis (with i32[])'],
    [
      'softmax_cross_entropy_onehot with a target of another shape',
      'softmax_cross_entropy_onehot',
      [F(2, 3), F(2)],
      {},
      'shape',
      'softmax_cross_entropy_onehot: logits f32[2, 3] and target f32[2] must have the same shape',
    ],
    [
      'softmax_cross_entropy_onehot with an i32 target',
      'softmax_cross_entropy_onehot',
      [F(2, 3), I(2, 3)],
      {},
      'dtype',
      "softmax_cross_entropy_onehot: operand 'target' must be f32, got i32[2, 3]",
    ],
    ['l1_penalty of i32', 'l1_penalty', [I(3)], {}, 'dtype', "l1_penalty: operand 'w' must be f32, got i32[3]"],
    ['l2_penalty of bool', 'l2_penalty', [t('bool', 3)], {}, 'dtype', "l2_penalty: operand 'w' must be f32, got bool[3]"],
    ['dropout without a rate', 'dropout', [F(2)], {}, 'attr', "dropout: missing attribute 'rate' (float)"],
    ['dropout at rate 1', 'dropout', [F(2)], { rate: 1 }, 'attr', 'dropout: rate must be in [0, 1), got 1'],
    ['dropout at a negative rate', 'dropout', [F(2)], { rate: -0.1 }, 'attr', 'dropout: rate must be in [0, 1), got -0.1'],
    ['dropout at rate 1 in eval mode', 'dropout', [F(2)], { rate: 1, training: false }, 'attr', 'dropout: rate must be in [0, 1), got 1'],
    ['dropout of i32', 'dropout', [I(2)], { rate: 0.5 }, 'dtype', "dropout: operand 'x' must be f32, got i32[2]"],
    ['dropout with an f32 key', 'dropout', [F(2), F()], { rate: 0.5 }, 'dtype', "dropout: operand 'key' must be an i32 scalar, got f32[]"],
    ['dropout with a vector key in eval mode', 'dropout', [F(2), I(2)], { rate: 0.5, training: false }, 'dtype', "dropout: operand 'key' must be an i32 scalar, got i32[2]"],
    ['dropout with three operands', 'dropout', [F(2), I(), I()], { rate: 0.5 }, 'arity', 'dropout takes 1 to 2 operand(s), got 3'],
    ['mse with one operand', 'mse', [F(2)], {}, 'arity', 'mse takes 2 operand(s) (pred, target), got 1'],
    ['mae given an attribute', 'mae', [F(2), F(2)], { eps: 1 }, 'attr', "mae: unknown attribute 'eps' (it takes none)"],
  ];
  it.each(rules)('%s', (_name, op, inputs, attrs, code, message) => {
    expectKiln(() => emitOp(op, inputs, attrs), code, message);
  });
});
