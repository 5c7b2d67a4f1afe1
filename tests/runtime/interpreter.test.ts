// The kernel interpreter on hand-built programs: every fn, reductions, index expressions and random leaves against the reference backend and src/ir.

import { describe, expect, it } from 'vitest';
import { KernelExecutable } from '../../runtime/executable.js';
import type { BinaryFn, IndexExpr, KernelDType, UnaryFn, ValueExpr } from '../../runtime/kernel-ir.js';
import { isPointIndex, linearize } from '../../runtime/kernel-analysis.js';
import { f32Below, initializeInto, keyedStream, mix32, randomBits, standardNormal, uniform01 } from '../../runtime/random.js';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import { materialize } from '../../src/ir/init.js';
import * as ir from '../../src/ir/random.js';
import { planMemory } from '../../src/kernels/memory.js';
import {
  v,
  ic,
  iadd,
  imul,
  idiv,
  imod,
  at,
  ld,
  cst,
  un,
  bin,
  where,
  cast,
  acc,
  buf,
  kernel,
  program,
  runProgram,
  reference,
  dataOf,
  F32_VALUES,
  I32_VALUES,
  pairs,
  pointwise,
  typed,
  expectSameAsOp,
  type Feed,
} from './kernel-programs.js';

describe('elementwise fns equal the graph ops bit for bit', () => {
  const unaryF32: UnaryFn[] = ['neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'sigmoid', 'relu', 'sign', 'step', 'sin', 'cos'];
  it.each(unaryF32)('%s on f32', (fn) => expectSameAsOp(fn, [['f32', F32_VALUES]], (x) => un(fn, x!)));

  const unaryI32: UnaryFn[] = ['neg', 'abs', 'relu', 'sign', 'step'];
  it.each(unaryI32)('%s on i32 (wrapping at the i32 range)', (fn) => expectSameAsOp(fn, [['i32', I32_VALUES]], (x) => un(fn, x!)));

  const arith: BinaryFn[] = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min'];
  const cmp: BinaryFn[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
  const [fa, fb] = pairs(F32_VALUES);
  it.each([...arith, ...cmp])('%s on f32', (fn) =>
    expectSameAsOp(
      fn,
      [
        ['f32', fa],
        ['f32', fb],
      ],
      (a, b) => bin(fn, a!, b!),
    ),
  );

  const [ia, ib] = pairs(I32_VALUES);
  it.each([...arith.filter((f) => f !== 'pow'), ...cmp])('%s on i32 (wrap-around, truncating division, x / 0 = 0)', (fn) =>
    expectSameAsOp(
      fn,
      [
        ['i32', ia],
        ['i32', ib],
      ],
      (a, b) => bin(fn, a!, b!),
    ),
  );

  it.each(['eq', 'ne'] as BinaryFn[])('%s on bool', (fn) =>
    expectSameAsOp(
      fn,
      [
        ['bool', [0, 0, 1, 1]],
        ['bool', [0, 1, 0, 1]],
      ],
      (a, b) => bin(fn, a!, b!),
    ),
  );

  it('where picks by a bool condition', () =>
    expectSameAsOp(
      'where',
      [
        ['bool', [1, 0, 1, 0]],
        ['f32', [1, 2, NaN, 4]],
        ['f32', [-1, -2, -3, NaN]],
      ],
      (c, a, b) => where(c!, a!, b!),
    ));

  const castCases: [KernelDType, number[]][] = [
    ['f32', [0, -0, 2.7, -2.7, 0.5, 3e9, -3e9, 2147483520, NaN, Infinity, -Infinity, 1e-40]],
    ['i32', [0, 1, -1, 16777217, -16777219, 2147483647, -2147483648, 5]],
    ['bool', [0, 1, 1, 0]],
  ];
  for (const [from, values] of castCases) {
    for (const to of ['f32', 'i32', 'bool'] as KernelDType[]) {
      it(`cast ${from} -> ${to} (saturating, nan to 0, rounding to f32)`, () => expectSameAsOp('cast', [[from, values]], (x) => cast(x!, to), { to }));
    }
  }

  it('a fused chain with constants rounds like the unfused graph: sigmoid(exp(x) * 0.1 - 1)', async () => {
    const xs = [-3, -0.5, 0, 0.25, 1, 2.5, 7, 40];
    const ref = await reference(
      (b) => {
        const x = b.input('x0', { dtype: 'f32', shape: [8] });
        const scaled = b.emit('mul', [b.emit('exp', [x]), b.emit('constant', [], { value: [0.1] })]);
        b.output('y', b.emit('sigmoid', [b.emit('sub', [scaled, b.emit('constant', [], { value: [1] })])]));
      },
      { x0: new Float32Array(xs) },
    );
    const p = pointwise(['f32'], 'f32', 8, (x) => un('sigmoid', bin('sub', bin('mul', un('exp', x!), cst(0.1)), cst(1))));
    expect(dataOf((await runProgram(p, { x0: new Float32Array(xs) }))['y'])).toEqual(dataOf(ref['y']));
  });

  it('constants are stored as their dtype, and index leaves give i32 positions', async () => {
    const p = program(
      [buf('a', 'f32', [3], 'output'), buf('i', 'i32', [3], 'output')],
      [
        kernel(
          'k',
          [3],
          [
            ['a', cst(0.1)],
            ['i', { k: 'index', index: iadd(imul(v(0), 5), ic(-1)), dtype: 'i32' }],
          ],
        ),
      ],
    );
    const out = await runProgram(p);
    expect(dataOf(out['a'])).toEqual([Math.fround(0.1), Math.fround(0.1), Math.fround(0.1)]);
    expect(dataOf(out['i'])).toEqual([-1, 4, 9]);
  });
});

// ---- reductions ------------------------------------------------------------------------------

describe('reductions fold like the reference ops', () => {
  /** x: [rows, cols] reduced over its last axis by a kernel, and by the graph op. */
  async function expectReduce(op: 'sum' | 'max' | 'argmax', dtype: KernelDType, rows: number, cols: number, values: number[]): Promise<void> {
    const feed = { x0: typed(dtype, values) };
    const ref = await reference((b) => {
      const x = b.input('x0', { dtype, shape: [rows, cols] });
      const node = op === 'sum' ? b.emit('reduce_sum', [x], { axes: [1] }) : op === 'max' ? b.emit('reduce_max', [x], { axes: [1] }) : b.emit('argmax', [x], { axis: 1 });
      b.output('y', node);
    }, feed);
    const outType = op === 'argmax' ? 'i32' : dtype;
    const p = program(
      [buf('x0', dtype, [rows, cols], 'input'), buf('y', outType, [rows], 'output')],
      [kernel('k', [rows], [['y', acc(outType)]], { reduce: { op, shape: [cols], value: ld('x0', at([rows, cols]), dtype) } })],
    );
    expect(dataOf((await runProgram(p, feed))['y'])).toEqual(dataOf(ref['y']));
  }

  it('sum of f32 accumulates in a double and rounds once', () => expectReduce('sum', 'f32', 3, 5, [1e8, 1, 1, 1, -1e8, 0.1, 0.2, 0.3, 0.4, 0.5, 3e38, 3e38, -3e38, 1, 2]));
  it('sum of i32 wraps', () => expectReduce('sum', 'i32', 2, 3, [2147483647, 1, 5, -2147483648, -1, 7]));
  it('max propagates nan and handles infinities', () => expectReduce('max', 'f32', 4, 3, [1, NaN, 3, -Infinity, -Infinity, -Infinity, 5, 2, 5, NaN, NaN, 1]));
  it('max of i32', () => expectReduce('max', 'i32', 2, 3, [-2147483648, -2147483648, -5, 3, 9, 9]));
  it('argmax takes the first of ties and a nan as the largest', () =>
    expectReduce('argmax', 'f32', 5, 4, [1, 3, 3, 2, NaN, 5, NaN, 1, 2, 2, 2, 2, -Infinity, -Infinity, -1, -Infinity, 0, 9, NaN, 9]));
  it('argmax of i32', () => expectReduce('argmax', 'i32', 2, 3, [4, 9, 9, -1, -7, -1]));

  it('over two axes that are not the last, in row-major order', async () => {
    const values = Array.from({ length: 24 }, (_, i) => Math.fround(Math.sin(i) * 10 ** (i % 7)));
    const ref = await reference((b) => b.output('y', b.emit('reduce_sum', [b.input('x0', { dtype: 'f32', shape: [2, 3, 4] })], { axes: [0, 2] })), {
      x0: new Float32Array(values),
    });
    // Output axis 0 is x's axis 1; reduction variables 1 and 2 are x's axes 0 and 2.
    const index = iadd(iadd(imul(v(1), 12), imul(v(0), 4)), v(2));
    const p = program(
      [buf('x0', 'f32', [2, 3, 4], 'input'), buf('y', 'f32', [3], 'output')],
      [kernel('k', [3], [['y', acc()]], { reduce: { op: 'sum', shape: [2, 4], value: ld('x0', index) } })],
    );
    expect(dataOf((await runProgram(p, { x0: new Float32Array(values) }))['y'])).toEqual(dataOf(ref['y']));
  });

  it('over an empty axis: sum 0, max -inf (f32) or the smallest i32', async () => {
    const p = program(
      [buf('x', 'f32', [2, 0], 'input'), buf('xi', 'i32', [2, 0], 'input'), buf('s', 'f32', [2], 'output'), buf('m', 'f32', [2], 'output'), buf('mi', 'i32', [2], 'output')],
      [
        kernel('ks', [2], [['s', acc()]], { reduce: { op: 'sum', shape: [0], value: ld('x', v(1)) } }),
        kernel('km', [2], [['m', acc()]], { reduce: { op: 'max', shape: [0], value: ld('x', v(1)) } }),
        kernel('kmi', [2], [['mi', acc('i32')]], { reduce: { op: 'max', shape: [0], value: ld('xi', v(1), 'i32') } }),
      ],
    );
    const out = await runProgram(p, { x: new Float32Array(0), xi: new Int32Array(0) });
    expect(dataOf(out['s'])).toEqual([0, 0]);
    expect(dataOf(out['m'])).toEqual([-Infinity, -Infinity]);
    expect(dataOf(out['mi'])).toEqual([-2147483648, -2147483648]);
  });

  it('a sum of products equals mul then reduce_sum exactly, and matmul within f32 rounding', async () => {
    const [m, k, n] = [3, 5, 4];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.fround(Math.cos(i * 1.7) * 3));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.fround(Math.sin(i * 0.3) / 7));
    const p = program(
      [buf('a', 'f32', [m, k], 'input'), buf('b', 'f32', [k, n], 'input'), buf('y', 'f32', [m, n], 'output')],
      [
        {
          ...kernel('mm', [m, n], [['y', acc()]], { reduce: { op: 'sum', shape: [k], value: bin('mul', ld('a', iadd(imul(v(0), k), v(2))), ld('b', iadd(imul(v(2), n), v(1)))) } }),
          pattern: 'matmul',
        },
      ],
    );
    const got = await runProgram(p, { a, b });
    const unfused = await reference(
      (g) => {
        const ar = g.emit('reshape', [g.input('a', { dtype: 'f32', shape: [m, k] })], { shape: [m, k, 1] });
        const br = g.emit('reshape', [g.input('b', { dtype: 'f32', shape: [k, n] })], { shape: [1, k, n] });
        g.output('y', g.emit('reduce_sum', [g.emit('mul', [ar, br])], { axes: [1] }));
      },
      { a, b },
    );
    expect(dataOf(got['y'])).toEqual(dataOf(unfused['y']));
    const mm = await reference((g) => g.output('y', g.emit('matmul', [g.input('a', { dtype: 'f32', shape: [m, k] }), g.input('b', { dtype: 'f32', shape: [k, n] })])), { a, b });
    dataOf(got['y']).forEach((x, i) => expect(x).toBeCloseTo(mm['y']!.data[i]!, 6));
  });

  it('the strided fast path and the general path agree (an extra size-1 reduction axis forces the general one)', async () => {
    const [m, k, n] = [4, 9, 3];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.fround(Math.tan(i) * 1e3));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.fround(1 / (i + 0.3)));
    const product = bin('mul', ld('a', iadd(imul(v(0), k), v(2))), ld('b', iadd(imul(v(2), n), v(1))));
    const fast = program(
      [buf('a', 'f32', [m, k], 'input'), buf('b', 'f32', [k, n], 'input'), buf('y', 'f32', [m, n], 'output')],
      [kernel('mm', [m, n], [['y', acc()]], { reduce: { op: 'sum', shape: [k], value: product } })],
    );
    const general = { ...fast, kernels: [kernel('mm', [m, n], [['y', acc()]], { reduce: { op: 'sum', shape: [k, 1], value: product } })] };
    expect(dataOf((await runProgram(general, { a, b }))['y'])).toEqual(dataOf((await runProgram(fast, { a, b }))['y']));
  });

  it('stores may combine the reduction with loads: softmax-style x - max', async () => {
    const x = new Float32Array([1, 5, 2, -1, -3, 0]);
    const p = program(
      [buf('x', 'f32', [2, 3], 'input'), buf('y', 'f32', [2], 'output')],
      [kernel('k', [2], [['y', bin('sub', ld('x', imul(v(0), 3)), acc())]], { reduce: { op: 'max', shape: [3], value: ld('x', iadd(imul(v(0), 3), v(1))) } })],
    );
    expect(dataOf((await runProgram(p, { x }))['y'])).toEqual([1 - 5, -1 - 0]);
  });
});

// ---- index expressions -----------------------------------------------------------------------

describe('index expressions express movement without copies', () => {
  const x24 = Float32Array.from({ length: 24 }, (_, i) => i * 1.5 - 7);

  async function expectMovement(
    op: string,
    attrs: Record<string, unknown>,
    inShape: number[],
    outShape: number[],
    index: IndexExpr | ((x: ValueExpr) => ValueExpr),
  ): Promise<void> {
    const n = inShape.reduce((a, b) => a * b, 1);
    const feed = { x: x24.slice(0, n) };
    const ref = await reference((b) => b.output('y', b.emitDynamic(op, [b.input('x', { dtype: 'f32', shape: inShape })], attrs)), feed);
    expect(ref['y']!.shape).toEqual(outShape);
    const value = typeof index === 'function' ? index(cst(0)) : ld('x', index);
    const p = program([buf('x', 'f32', inShape, 'input'), buf('y', 'f32', outShape, 'output')], [kernel('k', outShape, [['y', value]])]);
    expect(dataOf((await runProgram(p, feed))['y'])).toEqual(dataOf(ref['y']));
  }

  it('transpose', () => expectMovement('transpose', { perm: [2, 0, 1] }, [2, 3, 4], [4, 2, 3], iadd(iadd(imul(v(1), 12), imul(v(2), 4)), v(0))));
  it('broadcast (a variable left out)', () => expectMovement('broadcast_to', { shape: [2, 3, 4] }, [3, 1], [2, 3, 4], v(1)));
  it('strided slice', () => expectMovement('slice', { begin: [1, 0], end: [5, 6], stride: [2, 3] }, [4, 6], [2, 2], iadd(imul(iadd(ic(1), imul(v(0), 2)), 6), imul(v(1), 3))));
  it('reshape after transpose, through div and mod', () =>
    // y = reshape(transpose(x [2, 3])) [6]: y[i] = x[i mod 2, i div 2]
    expectMovement('transpose', { perm: [1, 0] }, [2, 3], [3, 2], iadd(imul(imod(iadd(imul(v(0), 2), v(1)), 2), 3), idiv(iadd(imul(v(0), 2), v(1)), 2))));
  it('pad, whose guarded load would be out of range where the condition is false', () => {
    const i = (): ValueExpr => ({ k: 'index', index: v(0), dtype: 'i32' });
    const guarded = where(bin('lt', i(), cst(2, 'i32')), cst(7), where(bin('ge', i(), cst(5, 'i32')), cst(7), ld('x', iadd(v(0), ic(-2)))));
    return expectMovement('pad', { before: [2], after: [1], value: 7 }, [3], [6], () => guarded);
  });

  it('gather through an index read from data, refusing an index out of range', async () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => i * 10);
    const idx = new Int32Array([3, 0, 0, 2, 1]);
    const ref = await reference(
      (b) => b.output('y', b.emit('gather', [b.input('x', { dtype: 'f32', shape: [4, 3] }), b.input('idx', { dtype: 'i32', shape: [5] })], { axis: 0 })),
      { x, idx },
    );
    const p = program(
      [buf('x', 'f32', [4, 3], 'input'), buf('idx', 'i32', [5], 'input'), buf('y', 'f32', [5, 3], 'output')],
      [kernel('gather', [5, 3], [['y', ld('x', iadd(imul({ k: 'value', v: ld('idx', v(0), 'i32'), size: 4 }, 3), v(1)))]])],
    );
    const exe = new KernelExecutable({ program: planMemory(p) });
    expect(dataOf((await exe.run({ x, idx }))['y'])).toEqual(dataOf(ref['y']));
    await expect(exe.run({ x, idx: new Int32Array([0, 4, 0, 0, 0]) })).rejects.toThrow(new KilnRuntimeError('runtime', 'gather: index 4 is out of range for an axis of size 4'));
    // Negative indices are refused too, as the reference does.
    await expect(exe.run({ x, idx: new Int32Array([1, -1, 0, 0, 0]) })).rejects.toThrow(new KilnRuntimeError('runtime', 'gather: index -1 is out of range for an axis of size 4'));
  });

  it('one_hot compares a loaded index with an index leaf', async () => {
    const idx = new Int32Array([2, -1, 0, 5]);
    const ref = await reference((b) => b.output('y', b.emit('one_hot', [b.input('idx', { dtype: 'i32', shape: [4] })], { depth: 3 })), { idx });
    const hot = cast(bin('eq', ld('idx', v(0), 'i32'), { k: 'index', index: v(1), dtype: 'i32' }), 'f32');
    const p = program([buf('idx', 'i32', [4], 'input'), buf('y', 'f32', [4, 3], 'output')], [kernel('k', [4, 3], [['y', hot]])]);
    expect(dataOf((await runProgram(p, { idx }))['y'])).toEqual(dataOf(ref['y']));
  });

  it('linear forms fold div and mod when the remainder stays in range', () => {
    const flat = iadd(imul(v(0), 4), v(1)); // over [3, 4]
    expect(linearize(idiv(flat, 4), [3, 4])).toEqual({ constant: 0, terms: [{ axis: 0, coeff: 1 }] });
    expect(linearize(imod(flat, 4), [3, 4])).toEqual({ constant: 0, terms: [{ axis: 1, coeff: 1 }] });
    expect(linearize(imod(flat, 4), [3, 5])).toBeUndefined(); // v1 may reach 4
    expect(isPointIndex(iadd(imul(idiv(flat, 4), 4), imod(flat, 4)), [3, 4])).toBe(true);
    expect(isPointIndex(iadd(imul(v(1), 3), v(0)), [3, 4])).toBe(false);
    expect(isPointIndex(v(1), [1, 4])).toBe(true); // a size-1 axis contributes nothing
  });
});

// ---- random leaves and initializers ---------------------------------------------------------

describe('random numbers are those of src/ir/random.ts', () => {
  it('the generator functions are bit-identical', () => {
    const seeds = [0, 1, 7, -1, 0x7fffffff, -2147483648, 123456789, 0x9e3779b9];
    for (const seed of seeds) {
      for (const i of [0, 1, 2, 3, 1000, 65535, 1 << 20, 2 ** 31 - 1]) {
        expect(mix32(seed ^ i)).toBe(ir.mix32(seed ^ i));
        expect(randomBits(seed, i)).toBe(ir.randomBits(seed, i));
        expect(uniform01(seed, i)).toBe(ir.uniform01(seed, i));
        expect(standardNormal(seed, i)).toBe(ir.standardNormal(seed, i));
      }
    }
  });

  it('f32Below is the next f32 down', () => {
    expect(f32Below(1)).toBe(1 - 2 ** -24);
    expect(f32Below(-1)).toBe(-1 - 2 ** -23);
    expect(f32Below(0)).toBe(-(2 ** -149));
    expect(f32Below(0.1)).toBe(Math.fround(0.1) < 0.1 ? Math.fround(0.1) : f32Below(Math.fround(0.1)));
  });

  async function expectDraw(dist: 'uniform' | 'normal', a: number, b: number, seed: number, key?: number): Promise<void> {
    const n = 257;
    const feed: Feed = key === undefined ? {} : { key: new Int32Array([key]) };
    const ref = await reference((g) => {
      const keys = key === undefined ? [] : [g.input('key', { dtype: 'i32', shape: [] })];
      const attrs = dist === 'uniform' ? { shape: [n], low: a, high: b, seed } : { shape: [n], mean: a, std: b, seed };
      g.output('y', g.emit(dist === 'uniform' ? 'random_uniform' : 'random_normal', keys, attrs));
    }, feed);
    const leaf: ValueExpr = { k: 'random', dist, seed, counter: v(0), a, b, dtype: 'f32', ...(key === undefined ? {} : { key: ld('key', ic(0), 'i32') }) };
    const buffers = [...(key === undefined ? [] : [buf('key', 'i32', [], 'input')]), buf('y', 'f32', [n], 'output')];
    expect(dataOf((await runProgram(program(buffers, [kernel('k', [n], [['y', leaf]])]), feed))['y'])).toEqual(dataOf(ref['y']));
  }

  it('uniform', () => expectDraw('uniform', -2, 3, 11));
  it('uniform with a key mixed in', () => expectDraw('uniform', 0, 1, 5, 1234));
  it('uniform never reaches high after rounding to f32', () => expectDraw('uniform', 1, 1 + 2 ** -23, 3));
  it('normal', () => expectDraw('normal', 0.5, 2, 9));
  it('normal with a key mixed in', () => expectDraw('normal', 0, 1, 9, -77));
  it("the keyed stream is the random ops' streamOf", () => {
    expect(keyedStream(5, 1234)).toBe(ir.mix32(5 ^ ir.mix32(1234)));
  });

  it.each([
    ['zeros', {}],
    ['ones', {}],
    ['constant', { value: -2.5 }],
    ['uniform', { low: -1, high: 3, seed: 4 }],
    ['uniform', {}],
    ['normal', { mean: 1, std: 0.5, seed: 2 }],
    ['glorot_uniform', { seed: 3 }],
    ['glorot_normal', { seed: 3 }],
    ['he_uniform', {}],
    ['he_normal', { seed: 8 }],
  ])('initializer %s %j equals materialize', (fn, args) => {
    for (const shape of [[], [7], [3, 5], [2, 3, 4, 5]]) {
      const want = materialize({ fn, args }, { dtype: 'f32', shape }, (n) => new Float32Array(n));
      const got = new Float32Array(want.data.length);
      initializeInto({ fn, args }, shape, got);
      expect(Array.from(got)).toEqual(Array.from(want.data));
    }
  });
});

// ---- multi-store kernels and the arena --------------------------------------------------------
