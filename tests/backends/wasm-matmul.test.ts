// The Wasm backend's SIMD128 tiled matmul path against the reference: shapes with and without tile remainders, batches, transposed operands, bias and relu epilogues, and SIMD in the emitted module.
//
// Tiles sum products in f32 (folded into f64 every few hundred steps) where the reference sums in
// f64, so an element may differ by a few f32 roundings of its partial sums: the bound is relative
// to Σ|a||b|, the scale of those sums, which a second reference run on |inputs| computes.

import { describe, expect, test } from 'vitest';
import { generateWasm } from '../../src/backends/wasm/codegen.js';
import { compile, kernelProgram } from '../../src/compile.js';
import { graph, type Builder, type Sym } from '../../src/frontend/builder.js';
import { uniform01 } from '../../src/ir/random.js';

/** Largest |got - want| / (|want| + Σ|a||b|), for the report. */
let worst = 0;

async function expectLikeReference(build: (b: Builder) => Sym, inputs: Record<string, number[]>, seed: number): Promise<void> {
  const g = graph('mm', (b) => b.output('y', build(b)));
  const feed = Object.fromEntries(
    Object.entries(inputs).map(([name, shape], k) => {
      const n = shape.reduce((x, y) => x * y, 1);
      return [name, Float32Array.from({ length: n }, (_, j) => 2 * uniform01(seed + k, j) - 1)];
    }),
  );
  const [ref, wasm] = await Promise.all([compile(g, { backend: 'reference' }), compile(g, { backend: 'wasm' })]);
  const [want, got] = [(await ref.run(feed))['y']!, (await wasm.run(feed))['y']!];
  const scale = (await ref.run(Object.fromEntries(Object.entries(feed).map(([name, v]) => [name, v.map(Math.abs)]))))['y']!;
  expect(got.shape).toEqual(want.shape);
  for (let i = 0; i < want.data.length; i++) {
    const [x, y, s] = [Number(got.data[i]), Number(want.data[i]), Number(scale.data[i])];
    const bound = 1e-5 * (Math.abs(y) + s) + 1e-7;
    worst = Math.max(worst, Math.abs(x - y) / (Math.abs(y) + s + 1e-30));
    if (!(Math.abs(x - y) <= bound)) expect.fail(`y[${i}] is ${x}, expected ${y} within ${bound}`);
  }
}

const SHAPES: [number, number, number][] = [
  [5, 7, 9],
  [4, 8, 16],
  [33, 65, 17],
  [8, 1, 8],
  [12, 300, 24],
  [1, 784, 256], // one row: B read in place
  [3, 40, 50], // few rows, a partial panel
  [17, 600, 75], // packed blocks, a partial panel, products folded every KC steps
  [20, 1000, 136], // several blocks of packed panels
];

describe('wasm tiled matmul', () => {
  test.each(SHAPES)('[%i,%i]@[%i]-wide', async (m, k, n) => {
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [m, k]), b.input('b', 'f32', [k, n])), { a: [m, k], b: [k, n] }, m * 7 + n);
  });

  test.each(SHAPES)('[%i,%i]@[%i]-wide with bias and relu', async (m, k, n) => {
    await expectLikeReference(
      (b) =>
        b
          .matmul(b.input('a', 'f32', [m, k]), b.input('b', 'f32', [k, n]))
          .add(b.input('c', 'f32', [n]))
          .relu(),
      { a: [m, k], b: [k, n], c: [n] },
      m * 11 + k,
    );
  });

  test('batched [2,3,5]@[5,9], [2,9,5]@[2,5,16] and [3,21,5]@[3,5,19]', async () => {
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [2, 3, 5]), b.input('b', 'f32', [5, 9])), { a: [2, 3, 5], b: [5, 9] }, 3);
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [2, 9, 5]), b.input('b', 'f32', [2, 5, 16])), { a: [2, 9, 5], b: [2, 5, 16] }, 4);
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [3, 21, 5]), b.input('b', 'f32', [3, 5, 19])), { a: [3, 21, 5], b: [3, 5, 19] }, 8);
  });

  test('transposed operands through index expressions', async () => {
    // Aᵀ reaches the tiles with a strided A; Bᵀ, with no unit stride along n, is packed into panels.
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [19, 12]).transpose(), b.input('b', 'f32', [19, 24])), { a: [19, 12], b: [19, 24] }, 5);
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [12, 19]), b.input('b', 'f32', [24, 19]).transpose()), { a: [12, 19], b: [24, 19] }, 6);
    await expectLikeReference(
      (b) =>
        b
          .matmul(b.input('a', 'f32', [2, 19, 8]).transpose([0, 2, 1]), b.input('b', 'f32', [2, 19, 17]))
          .add(b.input('c', 'f32', [17]))
          .relu(),
      { a: [2, 19, 8], b: [2, 19, 17], c: [17] },
      7,
    );
  });

  test('a 128×128 matmul module uses f32x4 tiles; sums over 1000 products fold into f64; epilogues are vectors', async () => {
    const wat = async (build: (b: Builder) => Sym): Promise<string> => {
      let text = '';
      await generateWasm(
        kernelProgram(
          graph('g', (b) => b.output('y', build(b))),
          {},
        ),
        { text: (t) => (text = t) },
      );
      return text;
    };
    const mm = await wat((b) => b.matmul(b.input('a', 'f32', [128, 128]), b.input('b', 'f32', [128, 128])));
    expect(mm).toContain('f32x4.mul');
    expect(mm).toContain('v128.load32_splat');
    expect(mm).not.toContain('f64x2'); // 128 products per sum: no fold
    const long = await wat((b) =>
      b
        .matmul(b.input('a', 'f32', [8, 1000]), b.input('b', 'f32', [1000, 8]))
        .add(b.input('c', 'f32', [8]))
        .relu(),
    );
    expect(long).toContain('f64x2.promote_low_f32x4');
    // The bias and relu epilogue runs on four columns at a time, from the f64 totals rounded to f32x4.
    expect(long).toContain('f32x4.demote_f64x2_zero');
    expect(long).toContain('v128.store');
  });

  test('reports the worst relative error seen', () => {
    console.log(`wasm tiled matmul: worst relative error against the reference ${worst.toExponential(2)}`);
    // Each element is asserted against its bound above; this only reports.
    expect(Number.isFinite(worst)).toBe(true);
  });
});
