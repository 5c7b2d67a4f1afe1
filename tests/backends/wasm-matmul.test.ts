// The Wasm backend's SIMD128 tiled matmul path against the reference: shapes with and without tile remainders, batches, transposed operands, bias and relu epilogues, and SIMD in the emitted module.

import { describe, expect, test } from 'vitest';
import { generateWasm } from '../../src/backends/wasm/codegen.js';
import { compile, kernelProgram } from '../../src/compile.js';
import { graph, type Builder, type Sym } from '../../src/frontend/builder.js';
import { uniform01 } from '../../src/ir/random.js';

/** Largest |got - want| / |want| over values not near 0 (|want| ≥ 1e-3, where atol does not dominate), for the report. */
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
  expect(got.shape).toEqual(want.shape);
  for (let i = 0; i < want.data.length; i++) {
    const [x, y] = [Number(got.data[i]), Number(want.data[i])];
    if (Math.abs(y) >= 1e-3) worst = Math.max(worst, Math.abs(x - y) / Math.abs(y));
    if (!(Math.abs(x - y) <= 1e-5 * Math.abs(y) + 1e-6)) expect.fail(`y[${i}] is ${x}, expected ${y}`);
  }
}

const SHAPES: [number, number, number][] = [
  [5, 7, 9],
  [4, 8, 16],
  [33, 65, 17],
  [8, 1, 8],
  [12, 300, 24],
];

describe('wasm tiled matmul', () => {
  test.each(SHAPES)('[%i,%i]@[%i]-wide', async (m, k, n) => {
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [m, k]), b.input('b', 'f32', [k, n])), { a: [m, k], b: [k, n] }, m * 7 + n);
  });

  test.each(SHAPES)('[%i,%i]@[%i]-wide with bias and relu', async (m, k, n) => {
    await expectLikeReference(
      (b) => b.matmul(b.input('a', 'f32', [m, k]), b.input('b', 'f32', [k, n])).add(b.input('c', 'f32', [n])).relu(),
      { a: [m, k], b: [k, n], c: [n] },
      m * 11 + k,
    );
  });

  test('batched [2,3,5]@[5,9] and [2,9,5]@[2,5,16]', async () => {
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [2, 3, 5]), b.input('b', 'f32', [5, 9])), { a: [2, 3, 5], b: [5, 9] }, 3);
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [2, 9, 5]), b.input('b', 'f32', [2, 5, 16])), { a: [2, 9, 5], b: [2, 5, 16] }, 4);
  });

  test('transposed operands through index expressions', async () => {
    // Aᵀ reaches the tiles with a strided A; Bᵀ has no unit stride along n and stays scalar.
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [19, 12]).transpose(), b.input('b', 'f32', [19, 24])), { a: [19, 12], b: [19, 24] }, 5);
    await expectLikeReference((b) => b.matmul(b.input('a', 'f32', [12, 19]), b.input('b', 'f32', [24, 19]).transpose()), { a: [12, 19], b: [24, 19] }, 6);
    await expectLikeReference(
      (b) => b.matmul(b.input('a', 'f32', [2, 19, 8]).transpose([0, 2, 1]), b.input('b', 'f32', [2, 19, 17])).add(b.input('c', 'f32', [17])).relu(),
      { a: [2, 19, 8], b: [2, 19, 17], c: [17] },
      7,
    );
  });

  test('a 128×128 matmul module uses f32x4 arithmetic; an elementwise one does not', async () => {
    const wat = async (build: (b: Builder) => Sym): Promise<string> => {
      let text = '';
      await generateWasm(kernelProgram(graph('g', (b) => b.output('y', build(b))), {}), { text: (t) => (text = t) });
      return text;
    };
    const mm = await wat((b) => b.matmul(b.input('a', 'f32', [128, 128]), b.input('b', 'f32', [128, 128])));
    expect(mm).toContain('f32x4.mul');
    expect(mm).toContain('v128.load32_splat');
    expect(mm).toContain('f64x2.promote_low_f32x4');
    expect(await wat((b) => b.input('a', 'f32', [128, 128]).relu())).not.toContain('f32x4');
  });

  test('reports the worst relative error seen', () => {
    console.log(`wasm tiled matmul: worst relative error against the reference ${worst.toExponential(2)}`);
    // Each element is asserted against rtol 1e-5 + atol 1e-6 above; this only reports.
    expect(Number.isFinite(worst)).toBe(true);
  });
});
