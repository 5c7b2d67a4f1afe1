// Gradients of the elementwise primitives against finite differences, with broadcasting.

import { describe, expect, it } from 'vitest';
import { WEIGHTS, analyticGrad, gradCheck, plain } from './gradcheck.js';
import type { InputSpec } from './gradcheck.js';
import { BINARY_GENS, UNARY_GENS } from './cases.js';

describe('unary', () => {
  const cases = Object.entries(UNARY_GENS).map(([op, gen]) => [op as keyof typeof UNARY_GENS, gen] as const);
  it.each(cases)('%s', async (op, gen) => {
    await gradCheck((b) => b.emit(op, ['x']), { x: { shape: [2, 3], gen } });
  });

  it('relu passes nothing back where x < 0', async () => {
    const r = await gradCheck((b) => b.emit('relu', ['x']), { x: { shape: [4], values: [-1.5, 0.5, -0.25, 2] } });
    const g = plain(r.analytic['x']!);
    expect([g[0], g[2]]).toEqual([0, 0]);
    expect(g[1]).not.toBe(0);
  });
});

describe('binary with broadcasting', () => {
  // [a shape, b shape]: same shape, a row, a column against a row, scalars on either side.
  const shapes: [string, number[], number[]][] = [
    ['[2,3] with [2,3]', [2, 3], [2, 3]],
    ['[2,3] with [3]', [2, 3], [3]],
    ['[3] with [2,3]', [3], [2, 3]],
    ['[2,1] with [1,4]', [2, 1], [1, 4]],
    ['[2,3] with a scalar', [2, 3], []],
    ['a scalar with [2,3]', [], [2, 3]],
  ];
  const ops = Object.entries(BINARY_GENS).map(([op, [ga, gb]]) => [op as keyof typeof BINARY_GENS, ga, gb] as const);
  const cases = ops.flatMap(([op, ga, gb]) => shapes.map(([label, sa, sb]) => [op, label, sa, sb, ga, gb] as const));
  it.each(cases)('%s: %s', async (op, _label, sa, sb, ga, gb) => {
    await gradCheck((b) => b.emit(op, ['a', 'b']), { a: { shape: sa, gen: ga }, b: { shape: sb, gen: gb } });
  });

  it('an operand used twice: mul(x, x)', async () => {
    const r = await gradCheck((b) => b.emit('mul', ['x', 'x']), { x: { shape: [3], values: [0.5, -1, 2] } });
    // d/dx sum(R x^2) = 2 R x: the ratio to x is 2R, never 0.
    r.analytic['x']!.forEach((g) => expect(Math.abs(g)).toBeGreaterThan(0.25));
  });

  it('pow: the exponent gets no gradient where the base is not positive', async () => {
    // a = -2, b = 2: d/db a^b = a^b log(a) is undefined, and the rule takes 0 there; at a = 1.5,
    // b = 3 it is 1.5^3 log 1.5. Differences cannot check b (a^(2 + h) is nan for a < 0).
    const inputs = { a: { shape: [2], values: [-2, 1.5] }, b: { shape: [2], values: [2, 3] } };
    await gradCheck((b) => b.emit('pow', ['a', 'b']), inputs, { wrt: ['a'] });
    const r = await analyticGrad((b) => b.emit('pow', ['a', 'b']), inputs);
    const weights = r.feed[WEIGHTS]!;
    expect(r.analytic['b']![0]).toBe(0);
    expect(r.analytic['b']![1]).toBeCloseTo(weights[1]! * 1.5 ** 3 * Math.log(1.5), 12);
    // d/da a^b = b a^(b-1): 2 * -2 = -4 at the negative base.
    expect(r.analytic['a']![0]).toBeCloseTo(weights[0]! * -4, 12);
  });
});

describe('ties in max and min', () => {
  // Not differentiable at a tie; the documented choice is that the whole cotangent goes to a.
  it.each(['max', 'min'] as const)('%s sends the cotangent of a tie to a', async (op) => {
    const r = await gradCheck(
      (b) => b.emit('reduce_sum', [b.emit(op, ['a', 'b'])], { axes: [0] }),
      { a: { shape: [3], values: [1, 2, 3] }, b: { shape: [3], values: [1, 5, 0] } },
      // Finite differences straddle the tie at element 0 and average 1 and 0.
      { atol: 0.6 },
    );
    const toA = op === 'max' ? [1, 0, 1] : [1, 1, 0];
    expect(plain(r.analytic['a']!)).toEqual(toA);
    expect(plain(r.analytic['b']!)).toEqual(toA.map((v, i) => (i === 0 ? 0 : 1 - v)));
  });
});

describe('where and cast', () => {
  const cond = (shape: number[], values: number[]): InputSpec => ({ shape, dtype: 'bool', values });
  it.each([
    ['a and b of the result shape', [2, 3], [2, 3], [2, 3]],
    ['b a row', [2, 3], [2, 3], [3]],
    ['a a column, b a scalar', [2, 3], [2, 1], []],
    ['cond a row, a and b broadcast against each other', [3], [2, 1], [1, 3]],
  ] as const)('where: %s', async (_label, sc, sa, sb) => {
    const n = sc.reduce((p, d) => p * d, 1);
    const values = Array.from({ length: n }, (_, i) => ((i * 5 + 1) % 3 === 0 ? 1 : 0));
    await gradCheck((b) => b.emit('where', ['c', 'a', 'b']), { c: cond([...sc], values), a: { shape: [...sa] }, b: { shape: [...sb] } });
  });

  it('where: a gets exactly the cotangent where cond holds, b the rest', async () => {
    const r = await gradCheck((b) => b.emit('reduce_sum', [b.emit('where', ['c', 'a', 'b'])], { axes: [0] }), { c: cond([4], [1, 0, 0, 1]), a: { shape: [4] }, b: { shape: [4] } });
    expect(plain(r.analytic['a']!)).toEqual([1, 0, 0, 1]);
    expect(plain(r.analytic['b']!)).toEqual([0, 1, 1, 0]);
  });

  it('cast f32 to f32 passes the cotangent through', async () => {
    await gradCheck((b) => b.emit('cast', ['x'], { to: 'f32' }), { x: { shape: [2, 3] } });
  });
});
