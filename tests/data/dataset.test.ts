// Tests of datasets: building from arrays, seeded permutations and shuffles, exact splits, batches.

import { describe, expect, it } from 'vitest';
import { batchCount, batches, fromArrays, permutation, shuffle, slice, split, splitSizes, take, type Dataset } from '../../src/data/index.js';
import { catchKiln } from '../catch-kiln.js';

/** n examples: x[i] = [i, 100 + i] (f32[2]), y[i] = i (i32), m[i] = i % 2 (bool). */
function ramp(n: number): Dataset {
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) x.set([i, 100 + i], 2 * i);
  return fromArrays({
    x: { data: x, shape: [2] },
    y: { data: Int32Array.from({ length: n }, (_, i) => i) },
    m: { data: Uint8Array.from({ length: n }, (_, i) => i % 2) },
  });
}

const ids = (ds: Dataset): number[] => [...(ds.columns.y!.data as Int32Array)];

/** Every example's columns still agree with each other after reordering. */
function expectRowsIntact(ds: Dataset): void {
  const x = ds.columns.x!.data;
  const m = ds.columns.m!.data;
  ids(ds).forEach((id, i) => {
    expect([x[2 * i], x[2 * i + 1], m[i]]).toEqual([id, 100 + id, id % 2]);
  });
}

describe('fromArrays', () => {
  it('infers dtypes from typed arrays, f32 from number[], and example shapes', () => {
    const ds = fromArrays({
      a: { data: new Float32Array(6), shape: [3] },
      b: { data: [1, 2] },
      c: { data: [1, 0], dtype: 'bool' },
      d: { data: new Int32Array(8) }, // shape [4] inferred from the size the shaped column fixes
      e: { data: new Uint8Array(2) },
    });
    expect(ds.size).toBe(2);
    const summary = Object.fromEntries(Object.entries(ds.columns).map(([k, c]) => [k, [c.dtype, c.shape, c.data.constructor.name]]));
    expect(summary).toEqual({
      a: ['f32', [3], 'Float32Array'],
      b: ['f32', [], 'Float32Array'],
      c: ['bool', [], 'Uint8Array'],
      d: ['i32', [4], 'Int32Array'],
      e: ['bool', [], 'Uint8Array'],
    });
  });

  it('takes the size from shape-less columns when no column gives a shape', () => {
    const ds = fromArrays({ y: { data: [1, 2, 3], dtype: 'i32' }, w: { data: [0.5, 0.25, 1] } });
    expect(ds.size).toBe(3);
    expect(ds.columns.y!.data).toEqual(new Int32Array([1, 2, 3]));
  });

  it('names the column and the lengths when they disagree', () => {
    expect(catchKiln(() => fromArrays({ x: { data: [1, 2, 3] }, y: { data: [1, 2] } })).message).toBe("column 'y' has 2 values, but column 'x' has 3 examples");
    const e = catchKiln(() => fromArrays({ x: { data: new Float32Array(12), shape: [4] }, y: { data: new Int32Array(5) } }));
    expect(e.code).toBe('data');
    expect(e.message).toBe("column 'y' has 5 values, but column 'x' has 3 examples");
    expect(catchKiln(() => fromArrays({ x: { data: new Float32Array(10), shape: [4] } })).message).toBe(
      "column 'x': 10 values do not divide into examples of shape [4] (4 values each)",
    );
    expect(catchKiln(() => fromArrays({ x: { data: new Float32Array(8), shape: [4] }, z: { data: new Float32Array(9), shape: [3] } })).message).toBe(
      "column 'z' has 3 examples of shape [3], but column 'x' has 2 examples",
    );
  });

  it('refuses values and dtypes that do not fit', () => {
    expect(catchKiln(() => fromArrays({ y: { data: [1, 2.5], dtype: 'i32' } })).message).toBe("column 'y': value 2.5 at index 1 does not fit i32");
    expect(catchKiln(() => fromArrays({ y: { data: new Float32Array(2), dtype: 'i32' } })).message).toBe(
      "column 'y': dtype i32 was asked for, but the data is a Float32Array (f32)",
    );
    expect(catchKiln(() => fromArrays({})).code).toBe('data');
    expect(catchKiln(() => fromArrays({ y: { data: [1], dtype: 'f64' as never } })).message).toBe("column 'y': dtype 'f64' is not one of f32, i32, bool");
    expect(catchKiln(() => fromArrays({ y: { data: new Float64Array(2) as never } })).message).toBe(
      "column 'y': data must be a Float32Array, Int32Array, Uint8Array, number[] or nested number arrays, got a Float64Array",
    );
    expect(catchKiln(() => fromArrays({ y: { data: [1, 'a'] as never } })).message).toBe("column 'y': value the string 'a' at index 1 is not a number");
    expect(catchKiln(() => fromArrays({ y: 3 as never })).message).toBe("column 'y': expected an array, a typed array or { data, shape?, dtype? }, got 3");
  });

  it('takes nested arrays, the examples along the first level, and bare arrays as columns', () => {
    const ds = fromArrays({
      x: [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
      y: { data: [1, 0], dtype: 'i32' },
      w: new Float32Array([0.5, 1.5]),
    });
    expect(ds.size).toBe(2);
    expect(ds.columns.x).toEqual({ dtype: 'f32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) });
    expect(ds.columns.y).toEqual({ dtype: 'i32', shape: [], data: new Int32Array([1, 0]) });
    expect(ds.columns.w!.shape).toEqual([]);
  });

  it('names where nested arrays are ragged, and a shape that disagrees with them', () => {
    expect(catchKiln(() => fromArrays({ x: [[1, 2], [3]] })).message).toBe("column 'x': data[1] has 1 entries, expected 2 like the others at its depth");
    expect(
      catchKiln(() =>
        fromArrays({
          x: [
            [1, [2]],
            [3, 4],
          ] as never,
        }),
      ).message,
    ).toBe("column 'x': data[0][1] is an array where a number was expected (nested arrays must be regular)");
    expect(catchKiln(() => fromArrays({ x: { data: [[1, 2, 3]], shape: [2] } })).message).toBe("column 'x': shape [2] was given, but the nested arrays hold examples of shape [3]");
  });
});

describe('permutation', () => {
  it('is a true permutation, the same for the same seed, and different across seeds', () => {
    for (const n of [0, 1, 2, 7, 100, 1000]) {
      const p = permutation(n, 42);
      expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(permutation(n, 42)).toEqual(p);
    }
    const a = [...permutation(100, 1)];
    const b = [...permutation(100, 2)];
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('is fixed across runs and machines (golden values)', () => {
    // A change here changes every seeded shuffle users have recorded: only on purpose.
    expect([...permutation(10, 0)]).toEqual([8, 6, 9, 2, 4, 7, 3, 1, 0, 5]);
    expect([...permutation(10, 7)]).toEqual([0, 6, 5, 1, 9, 2, 3, 4, 8, 7]);
  });

  it('draws every order about equally often', () => {
    // 3 elements over 6000 seeds: each of the 6 orders should come up about 1000 times.
    const seen = new Map<string, number>();
    for (let s = 0; s < 6000; s++) {
      const key = permutation(3, s).join('');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(6);
    for (const c of seen.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it('rejects bad arguments', () => {
    expect(catchKiln(() => permutation(-1, 0)).code).toBe('usage');
    expect(catchKiln(() => permutation(3, 0.5)).message).toBe('permutation: seed must be an integer, got 0.5');
  });
});

describe('take, slice, shuffle', () => {
  it('take gathers rows in order, with repeats, and checks indices', () => {
    const t = take(ramp(5), [4, 0, 4]);
    expect(t.size).toBe(3);
    expect(ids(t)).toEqual([4, 0, 4]);
    expectRowsIntact(t);
    expect(catchKiln(() => take(ramp(5), [1, 5])).message).toBe('take: index 5 (at position 1) is out of range for a dataset of 5 examples');
  });

  it('slice follows Array.prototype.slice and copies', () => {
    const ds = ramp(6);
    expect(ids(slice(ds, 1, 3))).toEqual([1, 2]);
    expect(ids(slice(ds, -2))).toEqual([4, 5]);
    expect(ids(slice(ds, 4, 99))).toEqual([4, 5]);
    expect(slice(ds, 5, 2).size).toBe(0);
    const s = slice(ds, 0, 2);
    (s.columns.y!.data as Int32Array)[0] = 99;
    expect(ids(ds)[0]).toBe(0);
    expect(s.columns.x!.shape).toEqual([2]);
  });

  it('shuffle is seeded, keeps rows together, and leaves the input untouched', () => {
    const ds = ramp(50);
    const before = ids(ds);
    const a = shuffle(ds, 3);
    expect(ids(ds)).toEqual(before);
    expect(ids(a)).toEqual([...permutation(50, 3)]);
    expect(ids(shuffle(ds, 3))).toEqual(ids(a));
    expect(ids(shuffle(ds, 4))).not.toEqual(ids(a));
    expectRowsIntact(a);
  });
});

describe('split', () => {
  it.each([
    [10, [8, 1, 1], [8, 1, 1]],
    [11, [8, 1, 1], [9, 1, 1]],
    [7, [8, 1, 1], [5, 1, 1]],
    [10, [1, 1], [5, 5]],
    [11, [1, 1], [6, 5]],
    [7, [1, 1], [4, 3]],
    [3, [8, 1, 1], [3, 0, 0]],
    [5, [0.7, 0.2, 0.1], [4, 1, 0]],
    [0, [1, 1], [0, 0]],
  ])('splits %i examples by %j into %j', (n, ratios, sizes) => {
    expect(splitSizes(n, ratios)).toEqual(sizes);
    const parts = split(ramp(n), ratios, { seed: 5 });
    expect(parts.map((p) => p.size)).toEqual(sizes);
    // Disjoint and covering: together the parts hold every example exactly once.
    expect(parts.flatMap(ids).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    parts.forEach(expectRowsIntact);
  });

  it('always adds up to the size', () => {
    for (let n = 0; n < 60; n++) {
      for (const r of [[8, 1, 1], [1, 2, 3, 4], [0.3, 0.3, 0.4], [1]]) {
        const sizes = splitSizes(n, r);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
        // Each part is within one of its exact share.
        const total = r.reduce((a, b) => a + b, 0);
        sizes.forEach((s, k) => expect(Math.abs(s - (n * r[k]!) / total)).toBeLessThan(1));
      }
    }
  });

  it('shuffles with the seed by default, and keeps order with shuffle: false', () => {
    const ds = ramp(20);
    const [a] = split(ds, [1, 1]);
    expect(ids(a!)).toEqual([...permutation(20, 0)].slice(0, 10));
    expect(ids(split(ds, [1, 1], { seed: 9 })[0]!)).toEqual([...permutation(20, 9)].slice(0, 10));
    expect(split(ds, [1, 1], { shuffle: false }).map(ids)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    ]);
  });

  it('rejects ratios that are not positive numbers', () => {
    expect(catchKiln(() => split(ramp(4), [1, 0])).message).toBe('split: ratio 0 (at position 1) is not a positive number; ratios are [1, 0]');
    expect(catchKiln(() => split(ramp(4), [1, -2])).code).toBe('usage');
    expect(catchKiln(() => split(ramp(4), [1, NaN])).code).toBe('usage');
    expect(catchKiln(() => split(ramp(4), [])).message).toBe('split: ratios must be a non-empty list of positive numbers');
  });
});

describe('batches', () => {
  it("yields [b, ...shape] tensors in order, with a short last batch under 'keep'", () => {
    const ds = ramp(7);
    const out = [...batches(ds, 3)];
    expect(out.map((b) => b.x!.shape)).toEqual([
      [3, 2],
      [3, 2],
      [1, 2],
    ]);
    expect(out.map((b) => b.y!.shape)).toEqual([[3], [3], [1]]);
    expect(out.map((b) => [...b.y!.data])).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(out[1]!.x).toEqual({ dtype: 'f32', shape: [3, 2], data: new Float32Array([3, 103, 4, 104, 5, 105]) });
    expect(out[2]!.m).toEqual({ dtype: 'bool', shape: [1], data: new Uint8Array([0]) });
    expect(batchCount(ds, 3)).toBe(3);
  });

  it("drops the short last batch under 'drop'", () => {
    const ds = ramp(7);
    expect([...batches(ds, 3, { remainder: 'drop' })].map((b) => [...b.y!.data])).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(batchCount(ds, 3, 'drop')).toBe(2);
    expect([...batches(ds, 8, { remainder: 'drop' })]).toEqual([]);
    expect(batchCount(ramp(6), 3, 'drop')).toBe(2);
    expect(batchCount(ramp(6), 3, 'keep')).toBe(2);
  });

  it('shuffles with the seed, covers every example once, and iterates again the same way', () => {
    const ds = ramp(10);
    const it1 = batches(ds, 4, { shuffle: true, seed: 11 });
    const seen = [...it1].flatMap((b) => [...b.y!.data]);
    expect(seen).toEqual([...permutation(10, 11)]);
    expect([...it1].flatMap((b) => [...b.y!.data])).toEqual(seen);
    for (const b of batches(ds, 4, { shuffle: true, seed: 11 })) {
      const y = b.y!.data;
      y.forEach((id, i) => expect([b.x!.data[2 * i], b.m!.data[i]]).toEqual([id, id % 2]));
    }
  });

  it('hands out copies, not views of the dataset', () => {
    const ds = ramp(4);
    const [first] = batches(ds, 2);
    first!.y!.data[0] = 42;
    expect(ids(ds)[0]).toBe(0);
  });

  it('rejects bad batch sizes', () => {
    expect(catchKiln(() => batches(ramp(4), 0)).message).toBe('batches: batch size must be a positive integer, got 0');
    expect(catchKiln(() => batchCount(ramp(4), 1.5)).code).toBe('usage');
  });
});
