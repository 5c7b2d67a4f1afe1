// random_uniform, random_normal and constant: the stream re-derived independently, ranges, statistics, splats.

import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Tensor } from '../../src/ir/types.js';
import { I32_MAX, bool, emitOp, expectKiln, expectTensor, f32, i32, runOp } from './helpers.js';

// ---- an independent derivation of the documented stream, in BigInt arithmetic -------------

const MASK = 0xffffffffn;

/** lowbias32 (Wellons' hash prospector), written out modulo 2^32. */
function lowbias32(x: bigint): bigint {
  x &= MASK;
  x ^= x >> 16n;
  x = (x * 0x7feb352dn) & MASK;
  x ^= x >> 15n;
  x = (x * 0x846ca68bn) & MASK;
  x ^= x >> 16n;
  return x;
}

/** Element i of stream `seed`: hash(hash(seed ^ golden) + i * 0x85ebca6b). */
function streamBits(seed: bigint, i: number): bigint {
  return lowbias32((lowbias32(seed ^ 0x9e3779b9n) + BigInt(i) * 0x85ebca6bn) & MASK);
}

/** The top 24 bits as a fraction of 2^24: uniform in [0, 1). */
const unit = (seed: bigint, i: number): number => Number(streamBits(seed, i) >> 8n) / 2 ** 24;

/** The stream a key selects: hash(seed ^ hash(key)). */
const keyedSeed = (seed: bigint, key: bigint): bigint => lowbias32((seed & MASK) ^ lowbias32(key & MASK));

// ---- helpers --------------------------------------------------------------------------------

async function draw(op: string, attrs: Record<string, unknown>, key?: number, shapes?: Record<string, number>): Promise<Tensor> {
  const b = new GraphBuilder('draw');
  const keys = key === undefined ? [] : [b.input('key', { dtype: 'i32', shape: [] })];
  b.output('y', b.emitDynamic(op, keys, attrs));
  const exe = await compile(b.build(), shapes ? { shapes } : {});
  return (await exe.run(key === undefined ? {} : { key }))['y']!;
}

function stats(data: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    sum += data[i]!;
    min = Math.min(min, data[i]!);
    max = Math.max(max, data[i]!);
  }
  const mean = sum / data.length;
  let sq = 0;
  for (let i = 0; i < data.length; i++) sq += (data[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(sq / data.length), min, max };
}

const N = 100_000;

describe('random_uniform', () => {
  it('draws the documented counter-based stream (literal values for seed 7)', async () => {
    const y = await draw('random_uniform', { shape: [4], seed: 7 });
    // Top 24 bits of lowbias32(lowbias32(7 ^ 0x9e3779b9) + i * 0x85ebca6b) for i = 0..3.
    expectTensor(y, f32([4], [13416458 / 2 ** 24, 6619347 / 2 ** 24, 15282803 / 2 ** 24, 9691242 / 2 ** 24]), { rtol: 0, atol: 0 });
  });

  it('matches the independent derivation element by element', async () => {
    const y = await draw('random_uniform', { shape: [16, 16], seed: 123, low: -2, high: 6 });
    const want = Array.from({ length: 256 }, (_, i) => -2 + 8 * unit(123n, i));
    expectTensor(y, f32([16, 16], want));
  });

  it('is the same stream for the same seed in separate compilations', async () => {
    const a = await draw('random_uniform', { shape: [64], seed: 11 });
    const b = await draw('random_uniform', { shape: [64], seed: 11 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('differs between seeds', async () => {
    const a = await draw('random_uniform', { shape: [64], seed: 1 });
    const b = await draw('random_uniform', { shape: [64], seed: 2 });
    const same = Array.from(a.data).filter((v, i) => v === b.data[i]).length;
    expect(same).toBeLessThan(2);
  });

  it('depends on the flat index only, not on the shape', async () => {
    const flat = await draw('random_uniform', { shape: [6], seed: 5 });
    const grid = await draw('random_uniform', { shape: ['B', 2], seed: 5 }, undefined, { B: 3 });
    expect(grid.shape).toEqual([3, 2]);
    expect(Array.from(grid.data)).toEqual(Array.from(flat.data));
  });

  it('lets the key operand choose the stream', async () => {
    const k5 = await draw('random_uniform', { shape: [4], seed: 7 }, 5);
    const k5again = await draw('random_uniform', { shape: [4], seed: 7 }, 5);
    const k6 = await draw('random_uniform', { shape: [4], seed: 7 }, 6);
    const none = await draw('random_uniform', { shape: [4], seed: 7 });
    const s = keyedSeed(7n, 5n);
    expectTensor(
      k5,
      f32(
        [4],
        [0, 1, 2, 3].map((i) => unit(s, i)),
      ),
      { rtol: 0, atol: 0 },
    );
    // hash(7 ^ hash(5)) = 558758004: literal values of that stream.
    expect(s).toBe(558758004n);
    expectTensor(k5, f32([4], [7510006 / 2 ** 24, 9303459 / 2 ** 24, 12389299 / 2 ** 24, 6487555 / 2 ** 24]), { rtol: 0, atol: 0 });
    expect(Array.from(k5again.data)).toEqual(Array.from(k5.data));
    expect(Array.from(k6.data)).not.toEqual(Array.from(k5.data));
    expect(Array.from(none.data)).not.toEqual(Array.from(k5.data));
  });

  it('stays in [low, high) with the right mean and std over 10^5 samples', async () => {
    const y = await draw('random_uniform', { shape: [N], seed: 42, low: -1, high: 3 });
    const s = stats(y.data);
    expect(s.min).toBeGreaterThanOrEqual(-1);
    expect(s.max).toBeLessThan(3);
    expect(s.min).toBeLessThan(-0.999);
    expect(s.max).toBeGreaterThan(2.999);
    // mean 1 and std 4 / sqrt(12); the mean's standard error is 1.1547 / sqrt(10^5) = 0.0037.
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.02);
    expect(Math.abs(s.std - 1.1547005) / 1.1547005).toBeLessThan(0.01);
  });

  it('draws [0, 1) on the 2^-24 grid, exactly representable in f32', async () => {
    const y = await draw('random_uniform', { shape: [1000], seed: 9 });
    expect(Array.from(y.data).every((v) => Number.isInteger(v * 2 ** 24) && v >= 0 && v < 1)).toBe(true);
  });

  it('never returns high, even where f32 rounding is coarse', async () => {
    // Near 1e6 f32 values are 1/16 apart, so low + (high - low) * u rounds up to high for u > 1 - 1/32.
    const y = await draw('random_uniform', { shape: [2000], seed: 3, low: 1e6, high: 1e6 + 1 });
    const atHigh = Array.from(y.data).filter((v) => v >= 1e6 + 1).length;
    expect(atHigh).toBe(0);
  });

  it('fills an empty shape', async () => {
    expectTensor(await draw('random_uniform', { shape: [0, 3] }), f32([0, 3], []));
  });

  it('refuses low above high', () => {
    expectKiln(() => emitOp('random_uniform', [], { shape: [2], low: 1, high: 0 }), 'attr', 'random_uniform: low 1 must not exceed high 0');
  });
});

describe('random_normal', () => {
  it('draws the documented Box-Muller stream (literal values for seed 7)', async () => {
    const y = await draw('random_normal', { shape: [4], seed: 7 });
    // sqrt(-2 ln u1) cos(2 pi u2) with u1 = (bits(2i) >> 8 + 1) / 2^24 and u2 = (bits(2i+1) >> 8) / 2^24.
    expectTensor(y, f32([4], [-0.5271522409819982, -0.3815670954319097, -0.23638373780074645, -0.15224959633496518]));
  });

  it('matches the independent derivation with mean and std', async () => {
    const y = await draw('random_normal', { shape: [64], seed: 99, mean: 1, std: 0.5 });
    const want = Array.from({ length: 64 }, (_, i) => {
      const u1 = (Number(streamBits(99n, 2 * i) >> 8n) + 1) / 2 ** 24;
      const u2 = unit(99n, 2 * i + 1);
      return 1 + 0.5 * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    });
    expectTensor(y, f32([64], want), { rtol: 1e-5, atol: 1e-6 });
  });

  it('is deterministic per seed and per key, and differs otherwise', async () => {
    const a = await draw('random_normal', { shape: [32], seed: 4 });
    const b = await draw('random_normal', { shape: [32], seed: 4 });
    const c = await draw('random_normal', { shape: [32], seed: 5 });
    const k = await draw('random_normal', { shape: [32], seed: 4 }, 1);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(c.data)).not.toEqual(Array.from(a.data));
    expect(Array.from(k.data)).not.toEqual(Array.from(a.data));
  });

  it('has the requested mean and std over 10^5 samples', async () => {
    const y = await draw('random_normal', { shape: [N], seed: 8, mean: 2, std: 3 });
    const s = stats(y.data);
    // The mean's standard error is 3 / sqrt(10^5) = 0.0095; the std's is about 3 / sqrt(2 * 10^5) = 0.0067.
    expect(Math.abs(s.mean - 2)).toBeLessThan(0.05);
    expect(Math.abs(s.std - 3)).toBeLessThan(0.035);
    const within = Array.from(y.data).filter((v) => Math.abs(v - 2) < 3).length / N;
    // P(|z| < 1) = 0.6827 for a normal; its standard error here is 0.0015.
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.008);
    expect(y.data.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe('constant', () => {
  it('splats one value over a shape', async () => {
    expectTensor(await runOp('constant', [], { shape: [2, 3], value: [1.5] }), f32([2, 3], [1.5, 1.5, 1.5, 1.5, 1.5, 1.5]));
  });

  it('holds one value per element, row-major', async () => {
    expectTensor(await runOp('constant', [], { shape: [2, 2], value: [1, 2, 3, 4] }), f32([2, 2], [1, 2, 3, 4]));
  });

  it('defaults to an f32 scalar', async () => {
    expectTensor(await runOp('constant', [], { value: [3.25] }), f32([], [3.25]));
  });

  it('rounds values to f32', async () => {
    const y = await runOp('constant', [], { shape: [1], value: [0.1] });
    expect(y.data[0]).toBe(Math.fround(0.1));
  });

  it('holds i32 and bool values', async () => {
    expectTensor(await runOp('constant', [], { dtype: 'i32', shape: [3], value: [-1, 0, I32_MAX] }), i32([3], [-1, 0, I32_MAX]));
    expectTensor(await runOp('constant', [], { dtype: 'i32', shape: [2], value: [-4] }), i32([2], [-4, -4]));
    expectTensor(await runOp('constant', [], { dtype: 'bool', shape: [2], value: [1, 0] }), bool([2], [1, 0]));
  });

  it('splats over a symbolic shape bound at compile time', async () => {
    expectTensor(await runOp('constant', [], { shape: ['B', 2], value: [7] }, { B: 2 }), f32([2, 2], [7, 7, 7, 7]));
  });

  it('splats over an empty shape, and an empty shape takes an empty value list', async () => {
    expectTensor(await runOp('constant', [], { shape: [0, 3], value: [7] }), f32([0, 3], []));
    expectTensor(await runOp('constant', [], { shape: [0], value: [] }), f32([0], []));
  });
});
