// The Wasm backend's SIMD128 elementwise path: kernels computed four points at a time must equal
// the js backend's scalar results bit for bit (nan, ±0, ±inf and ties included), whatever the
// row length (vector body plus scalar rest), broadcasting, masks, casts and bool outputs; the
// emitted module must really take the vector path, and kernels it cannot take stay scalar.

import { describe, expect, test } from 'vitest';
import { generateWasm } from '../../src/backends/wasm/codegen.js';
import { compile, kernelProgram } from '../../src/compile.js';
import { graph, type Builder } from '../../src/frontend/builder.js';
import { uniform01 } from '../../src/ir/random.js';
import { ulps } from '../support/ulps.js';

/** Values with every awkward case among ordinary ones. */
const SPECIAL = [NaN, 0, -0, Infinity, -Infinity, 1, -1, 0.5, -0.5, 1e-40, -1e-40, 3.4e38, -3.4e38, 2.5, -2.5, 1e9, -1e9];

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? SPECIAL[(i / 3 + seed) % SPECIAL.length]! : 8 * uniform01(seed, i) - 4));
}

const numel = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

async function expectBitEqual(name: string, build: (b: Builder) => void, inputs: Record<string, { shape: number[]; dtype?: 'f32' | 'i32'; data?: Int32Array }>): Promise<string> {
  const g = graph(name, build);
  const feed = Object.fromEntries(
    Object.entries(inputs).map(([k, { shape, dtype, data }], j) => [
      k,
      data ?? (dtype === 'i32' ? Int32Array.from(values(numel(shape), j + 1), (v) => (Number.isFinite(v) ? Math.trunc(v * 1e3) : 7)) : values(numel(shape), j + 1)),
    ]),
  );
  const [js, wasm] = await Promise.all([compile(g, { backend: 'js' }), compile(g, { backend: 'wasm' })]);
  const [want, got] = [await js.run(feed), await wasm.run(feed)];
  for (const [out, t] of Object.entries(want)) {
    const [a, b] = [new Uint32Array(new Float32Array(Array.from(got[out]!.data, Number)).buffer), new Uint32Array(new Float32Array(Array.from(t.data, Number)).buffer)];
    for (let i = 0; i < b.length; i++)
      if (a[i] !== b[i] && !(Number.isNaN(Number(got[out]!.data[i])) && Number.isNaN(Number(t.data[i]))))
        expect.fail(`${out}[${i}] is ${got[out]!.data[i]}, expected ${t.data[i]}`);
  }
  let wat = '';
  await generateWasm(kernelProgram(g, {}), { text: (t) => (wat = t) });
  return wat;
}

describe('wasm SIMD elementwise kernels', () => {
  test.each([[[4]], [[7]], [[3, 9]], [[2, 1, 13]], [[5, 4]]])('arithmetic, min/max, relu, sign, step, abs, sqrt on %j equal the scalar path', async (shape) => {
    const wat = await expectBitEqual(
      'arith',
      (b) => {
        const [x, y] = [b.input('x', 'f32', shape), b.input('y', 'f32', shape)];
        b.output('sum', x.add(y).mul(x).sub(y.div(x)));
        b.output('minmax', b.op('max', [x, y]).add(b.op('min', [x, y.neg()])));
        b.output(
          'act',
          x
            .relu()
            .add(b.op('sign', [y]))
            .add(b.op('step', [x]))
            .add(b.op('sqrt', [b.op('abs', [y])])),
        );
      },
      { x: { shape }, y: { shape } },
    );
    expect(wat).toContain('f32x4.add');
    expect(wat).toContain('v128.store');
  });

  test('broadcast rows and scalars: bias [9] over [6, 9], a scalar over everything', async () => {
    const wat = await expectBitEqual(
      'bias',
      (b) => {
        const [x, bias, s] = [b.input('x', 'f32', [6, 9]), b.input('bias', 'f32', [9]), b.input('s', 'f32', [])];
        b.output('y', x.add(bias).mul(s).relu());
        b.output('col', x.add(b.input('c', 'f32', [6, 1])));
      },
      { x: { shape: [6, 9] }, bias: { shape: [9] }, s: { shape: [] }, c: { shape: [6, 1] } },
    );
    expect(wat).toContain('v128.load32_splat');
  });

  test('comparisons, where, casts and bool outputs', async () => {
    const wat = await expectBitEqual(
      'masks',
      (b) => {
        const [x, y] = [b.input('x', 'f32', [3, 11]), b.input('y', 'f32', [3, 11])];
        const gt = b.op('gt', [x, y]);
        b.output('gt', gt);
        b.output('pick', b.op('where', [gt, x, y.mul(b.constant(2))]));
        b.output('as_f32', b.op('cast', [b.op('le', [x, y])], { to: 'f32' }).add(x));
        b.output('as_i32', b.op('cast', [x], { to: 'i32' }));
        b.output('eq', b.op('eq', [x, x])); // false exactly where x is nan
      },
      { x: { shape: [3, 11] }, y: { shape: [3, 11] } },
    );
    expect(wat).toContain('v128.bitselect');
    expect(wat).toContain('i32x4.trunc_sat_f32x4_s');
  });

  test('sums and maxima along the last axis fold four steps at a time: maxima and i32 sums exact, f32 sums within 1 ulp', async () => {
    const g = graph('rows', (b) => {
      b.output('max', b.op('reduce_max', [b.input('x', 'f32', [7, 13])], { axes: [1] })); // with nan, ±inf, ±0
      // Sums in another order round differently where terms cancel (1e38 − 1e38 + 2.5): these are tame.
      b.output('sum', b.op('reduce_sum', [b.input('s', 'f32', [7, 13])], { axes: [1] }));
      b.output('all', b.op('reduce_sum', [b.input('y', 'f32', [5, 9]).mul(b.input('z', 'f32', [9]))], { axes: [0, 1] }));
      b.output('soft', b.op('softmax', [b.input('w', 'f32', [6, 10])]));
      const i = b.input('i', 'i32', [3, 21]);
      b.output('isum', b.op('reduce_sum', [i], { axes: [1] }));
      b.output('imax', b.op('reduce_max', [i], { axes: [1] }));
    });
    const ints = Int32Array.from({ length: 63 }, (_, k) => ((k * 2654435761) | 0) >> 3);
    const feed = {
      x: values(91, 1),
      s: Float32Array.from({ length: 91 }, (_, k) => Math.sin(k * 0.7) * 10),
      y: Float32Array.from({ length: 45 }, (_, k) => Math.sin(k)),
      z: Float32Array.from({ length: 9 }, (_, k) => k - 4),
      w: Float32Array.from({ length: 60 }, (_, k) => Math.cos(k) * 3),
      i: ints,
    };
    const [js, wasm] = await Promise.all([compile(g, { backend: 'js' }), compile(g, { backend: 'wasm' })]);
    const [want, got] = [await js.run(feed), await wasm.run(feed)];
    for (const name of ['max', 'isum', 'imax']) expect(Array.from(got[name]!.data), name).toEqual(Array.from(want[name]!.data));
    // softmax also carries exp's polynomial (within 1 ulp of Math.exp) into a sum and a division.
    const bound: Record<string, number> = { sum: 1, all: 1, soft: 4 };
    for (const name of ['sum', 'all', 'soft'])
      want[name]!.data.forEach((v, k) => expect(ulps(Number(got[name]!.data[k]), Number(v)), `${name}[${k}]`).toBeLessThanOrEqual(bound[name]!));
    let wat = '';
    await generateWasm(kernelProgram(g, {}), { text: (t) => (wat = t) });
    expect(wat).toContain('f64x2.promote_low_f32x4');
    expect(wat).toContain('i32x4.max_s');
  });

  test("one_hot's index comparison runs in lanes: the lanes step along the last axis", async () => {
    const wat = await expectBitEqual(
      'onehot',
      (b) => {
        const labels = b.input('l', 'i32', [5]);
        b.output('hot', b.op('one_hot', [labels], { depth: 11 }).mul(b.input('x', 'f32', [5, 11])));
      },
      { l: { shape: [5], dtype: 'i32', data: new Int32Array([2, 6, 1, 9, 11]) }, x: { shape: [5, 11] } }, // every lane of a vector, the scalar rest, and 11: out of range, a zero row
    );
    expect(wat).toContain('i32x4.splat');
  });

  test('i32 arithmetic wraps like the scalar path', async () => {
    await expectBitEqual(
      'ints',
      (b) => {
        const [i, j] = [b.input('i', 'i32', [2, 10]), b.input('j', 'i32', [2, 10])];
        b.output('k', i.mul(j).add(i).sub(j).neg());
        b.output(
          'm',
          b
            .op('max', [i, j])
            .add(b.op('relu', [j]))
            .add(b.op('abs', [i])),
        );
        b.output('f', b.op('cast', [i], { to: 'f32' }).mul(b.constant(0.25)));
      },
      { i: { shape: [2, 10], dtype: 'i32' }, j: { shape: [2, 10], dtype: 'i32' } },
    );
  });

  test('sums and maxima along leading axes, four output points at a time, equal the scalar folds bit for bit', async () => {
    const wat = await expectBitEqual(
      'reduce',
      (b) => {
        const x = b.input('x', 'f32', [37, 9]);
        b.output('sum0', b.op('reduce_sum', [x], { axes: [0] }));
        b.output('max0', b.op('reduce_max', [x], { axes: [0] })); // nan columns stay nan; ±0 keep the scalar order's sign
        b.output(
          'mid',
          b.op(
            'reduce_sum',
            [
              b
                .input('y', 'f32', [3, 5, 8])
                .mul(b.input('z', 'f32', [8]))
                .relu(),
            ],
            { axes: [1] },
          ),
        );
        const i = b.input('i', 'i32', [6, 7]);
        b.output('isum', b.op('reduce_sum', [i], { axes: [0] }));
        b.output('imax', b.op('reduce_max', [i], { axes: [0] }));
      },
      { x: { shape: [37, 9] }, y: { shape: [3, 5, 8] }, z: { shape: [8] }, i: { shape: [6, 7], dtype: 'i32' } },
    );
    expect(wat).toContain('f64x2.promote_low_f32x4');
    expect(wat).toContain('i32x4.add');
  });

  test('kernels the vector path cannot take stay scalar: strided loads, pow, short rows', async () => {
    const strided = await expectBitEqual('t', (b) => b.output('y', b.input('x', 'f32', [8, 8]).transpose().relu()), { x: { shape: [8, 8] } });
    expect(strided).not.toContain('v128');
    const pow = await expectBitEqual('p', (b) => b.output('y', b.op('pow', [b.op('abs', [b.input('x', 'f32', [16])]), b.constant(1.5)])), { x: { shape: [16] } });
    expect(pow).not.toContain('v128');
    const short = await expectBitEqual('s', (b) => b.output('y', b.input('x', 'f32', [16, 3]).relu()), { x: { shape: [16, 3] } });
    expect(short).not.toContain('v128');
  });
});
