// In-memory data sets for training: named columns of fixed-shape examples, with seeded shuffles,
// exact splits and batches that come out as runtime Tensors of shape [b, ...example shape].

import { fail } from '../ir/errors.js';
import { uniform01 } from '../ir/random.js';
import type { Tensor } from '../../runtime/tensor.js';

export type ColumnDType = 'f32' | 'i32' | 'bool';
export type ColumnData = Float32Array | Int32Array | Uint8Array;

/** One named field of every example, stored row-major: example i is `shape`'s worth of values at i * numel(shape). */
export interface Column {
  dtype: ColumnDType;
  /** The shape of one example; the column holds size * numel(shape) values. */
  shape: number[];
  data: ColumnData;
}

export interface Dataset {
  readonly size: number;
  readonly columns: Readonly<Record<string, Column>>;
}

/** One batch: every column as a Tensor of shape [b, ...example shape]. */
export type Batch = Record<string, Tensor>;

/** Numbers nested to any depth, one level per dim: [[1, 2], [3, 4]] is two examples of shape [2]. */
export type NestedNumbers = readonly (number | boolean | NestedNumbers)[];

/** What `fromArrays` accepts for one column. */
export interface ColumnInput {
  /** Flat values (a typed array or number[]) or nested arrays whose first level is the examples. */
  data: ColumnData | NestedNumbers;
  /** Per-example shape; see `fromArrays` for what happens when it is left out. */
  shape?: number[];
  /** Required to match a typed array's own dtype; chooses the storage of numbers (default f32). */
  dtype?: ColumnDType;
}

const DTYPES: readonly ColumnDType[] = ['f32', 'i32', 'bool'];

const numel = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);

function dtypeOf(data: ColumnData): ColumnDType {
  return data instanceof Float32Array ? 'f32' : data instanceof Int32Array ? 'i32' : 'bool';
}

function allocate(dtype: ColumnDType, length: number): ColumnData {
  return dtype === 'f32' ? new Float32Array(length) : dtype === 'i32' ? new Int32Array(length) : new Uint8Array(length);
}

const isColumnData = (v: unknown): v is ColumnData => v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array;

/** "a Float64Array", "the string 'a'", "an object": what a caller passed, briefly. */
export function describeData(v: unknown): string {
  if (typeof v === 'string') return `the string '${v.length > 20 ? `${v.slice(0, 20)}...` : v}'`;
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return 'an array';
  return ArrayBuffer.isView(v) ? `a ${v.constructor.name}` : 'an object';
}

/** Converts numbers to the requested storage, refusing values a typed array would wrap or round. */
function fromNumbers(name: string, values: readonly unknown[], dtype: ColumnDType): ColumnData {
  const bad = values.findIndex((x) => typeof x !== 'number' && typeof x !== 'boolean');
  if (bad >= 0) fail('data', `column '${name}': value ${describeData(values[bad])} at index ${bad} is not a number`);
  const numbers = values.map(Number);
  const misfit = numbers.findIndex((x) => (dtype === 'i32' ? !Number.isInteger(x) || x < -2147483648 || x > 2147483647 : dtype === 'bool' ? x !== 0 && x !== 1 : false));
  if (misfit >= 0) fail('data', `column '${name}': value ${numbers[misfit]} at index ${misfit} does not fit ${dtype}`);
  const out = allocate(dtype, numbers.length);
  out.set(numbers);
  return out;
}

/** Nested arrays as flat values and the shape of one example (the dims below the first). */
function flattenNested(name: string, data: NestedNumbers): { values: unknown[]; shape: number[] } {
  const dims: number[] = [];
  for (let cur: unknown = data; Array.isArray(cur); cur = cur[0]) {
    dims.push(cur.length);
    if (cur.length === 0) break;
  }
  const values: unknown[] = [];
  const walk = (x: unknown, depth: number, path: string): void => {
    if (depth === dims.length) {
      if (Array.isArray(x)) fail('data', `column '${name}': ${path} is an array where a number was expected (nested arrays must be regular)`);
      values.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== dims[depth]) {
      fail('data', `column '${name}': ${path} has ${Array.isArray(x) ? `${x.length} entries` : 'no entries'}, expected ${dims[depth]} like the others at its depth`);
    }
    x.forEach((y, i) => walk(y, depth + 1, `${path}[${i}]`));
  };
  walk(data, 0, 'data');
  return { values, shape: dims.slice(1) };
}

function checkShape(name: string, shape: number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    fail('data', `column '${name}': shape [${String(shape)}] must be a list of non-negative integers`);
  }
}

/** One column's values in their storage, and the example shape it gives (nested arrays give theirs). */
function prepareColumn(name: string, given: ColumnInput | ColumnData | NestedNumbers): { name: string; data: ColumnData; shape: number[] | undefined } {
  const input: ColumnInput = Array.isArray(given) || ArrayBuffer.isView(given) ? { data: given as ColumnData | NestedNumbers } : (given as ColumnInput);
  if (typeof input !== 'object' || input === null || !('data' in input)) {
    fail('data', `column '${name}': expected an array, a typed array or { data, shape?, dtype? }, got ${describeData(input)}`);
  }
  if (input.dtype !== undefined && !DTYPES.includes(input.dtype)) fail('data', `column '${name}': dtype '${String(input.dtype)}' is not one of ${DTYPES.join(', ')}`);
  if (input.shape !== undefined) checkShape(name, input.shape);
  if (isColumnData(input.data)) {
    if (input.dtype !== undefined && input.dtype !== dtypeOf(input.data)) {
      fail('data', `column '${name}': dtype ${input.dtype} was asked for, but the data is a ${input.data.constructor.name} (${dtypeOf(input.data)})`);
    }
    return { name, data: input.data, shape: input.shape };
  }
  if (!Array.isArray(input.data)) {
    return fail('data', `column '${name}': data must be a Float32Array, Int32Array, Uint8Array, number[] or nested number arrays, got ${describeData(input.data)}`);
  }
  if (!input.data.some(Array.isArray)) return { name, data: fromNumbers(name, input.data, input.dtype ?? 'f32'), shape: input.shape };
  const nested = flattenNested(name, input.data);
  if (input.shape !== undefined && numel(input.shape) !== numel(nested.shape)) {
    fail('data', `column '${name}': shape [${input.shape.join(', ')}] was given, but the nested arrays hold examples of shape [${nested.shape.join(', ')}]`);
  }
  return { name, data: fromNumbers(name, nested.values, input.dtype ?? 'f32'), shape: input.shape ?? nested.shape };
}

/**
 * Builds a dataset from arrays. A column is `{ data, shape?, dtype? }` or just its data. Nested
 * arrays give the examples along their first level and the example shape below it. Flat data's
 * dtype comes from the typed array (Float32Array → f32, Int32Array → i32, Uint8Array → bool); a
 * number[] is f32 unless `dtype` says otherwise. A flat column with an explicit `shape` holds
 * length / numel(shape) examples. A column without one holds one scalar per example, unless the
 * columns that do give shapes fix the size at n and its length is a larger multiple k·n: then its
 * shape is inferred as [k]. Typed arrays are not copied.
 */
export function fromArrays(columns: Readonly<Record<string, ColumnInput | ColumnData | NestedNumbers>>): Dataset {
  const names = Object.keys(columns);
  if (names.length === 0) fail('data', 'fromArrays: a dataset needs at least one column');
  const prepared = names.map((name) => prepareColumn(name, columns[name]!));

  // The size is fixed by the columns with explicit, non-empty example shapes, else by the bare ones.
  const counts = prepared.map((c) => {
    const per = c.shape === undefined ? 1 : numel(c.shape);
    if (per === 0) return undefined;
    if (c.data.length % per !== 0) {
      fail('data', `column '${c.name}': ${c.data.length} values do not divide into examples of shape [${c.shape!.join(', ')}] (${per} values each)`);
    }
    return c.data.length / per;
  });
  const explicit = prepared.findIndex((c, i) => c.shape !== undefined && counts[i] !== undefined);
  const anchor = explicit >= 0 ? explicit : counts.findIndex((n) => n !== undefined);
  if (anchor < 0) fail('data', 'fromArrays: every column has zero values per example, so the number of examples is unknown');
  const size = counts[anchor]!;
  const anchorDesc = `column '${prepared[anchor]!.name}' has ${size} examples`;

  const out: Record<string, Column> = {};
  prepared.forEach((c, i) => {
    let shape = c.shape;
    if (shape === undefined) {
      const len = c.data.length;
      if (len === size) shape = [];
      else if (explicit >= 0 && size > 0 && len % size === 0) shape = [len / size];
      else fail('data', `column '${c.name}' has ${len} values, but ${anchorDesc}`);
    } else if (counts[i] === undefined ? c.data.length !== 0 : counts[i] !== size) {
      const of = shape.length > 0 ? ` of shape [${shape.join(', ')}]` : '';
      fail('data', `column '${c.name}' has ${counts[i] ?? 'an unknown number of'} examples${of}, but ${anchorDesc}`);
    }
    out[c.name] = { dtype: dtypeOf(c.data), shape: [...shape], data: c.data };
  });
  return { size, columns: Object.freeze(out) };
}

function checkSeed(seed: number, what: string): void {
  if (!Number.isInteger(seed)) fail('usage', `${what}: seed must be an integer, got ${seed}`);
}

/**
 * A seeded uniform permutation of 0..n-1 by Fisher–Yates, drawing element i of stream `seed`
 * for step i, so the same (n, seed) gives the same order on every run and machine.
 */
export function permutation(n: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n > 2147483647) fail('usage', `permutation: n must be a non-negative integer, got ${n}`);
  checkSeed(seed, 'permutation');
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    // Two 24-bit uniforms make 48 bits, so every j stays reachable (and unbiased) past n = 2^24.
    const u = uniform01(seed, 2 * i) + uniform01(seed, 2 * i + 1) * 2 ** -24;
    const j = Math.floor(u * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** A new dataset holding the examples at `indices`, in that order (repeats allowed); values are copied. */
export function take(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const n = indices.length;
  for (let i = 0; i < n; i++) {
    const k = indices[i]!;
    if (!Number.isInteger(k) || k < 0 || k >= ds.size) {
      fail('usage', `take: index ${k} (at position ${i}) is out of range for a dataset of ${ds.size} examples`);
    }
  }
  const out: Record<string, Column> = {};
  for (const [name, col] of Object.entries(ds.columns)) {
    const per = numel(col.shape);
    const data = allocate(col.dtype, n * per);
    if (per === 1) {
      for (let i = 0; i < n; i++) data[i] = col.data[indices[i]!]!;
    } else {
      for (let i = 0; i < n; i++) data.set(col.data.subarray(indices[i]! * per, indices[i]! * per + per), i * per);
    }
    out[name] = { dtype: col.dtype, shape: [...col.shape], data };
  }
  return { size: n, columns: Object.freeze(out) };
}

/** Examples start..end-1 as a new dataset, with Array.prototype.slice's rules (negative counts from the end, clamped). */
export function slice(ds: Dataset, start = 0, end = ds.size): Dataset {
  const clamp = (k: number): number => Math.min(ds.size, Math.max(0, k < 0 ? ds.size + k : k));
  if (!Number.isInteger(start) || !Number.isInteger(end)) fail('usage', `slice: start and end must be integers, got ${start} and ${end}`);
  const lo = clamp(start);
  const hi = Math.max(lo, clamp(end));
  const out: Record<string, Column> = {};
  for (const [name, col] of Object.entries(ds.columns)) {
    const per = numel(col.shape);
    out[name] = { dtype: col.dtype, shape: [...col.shape], data: col.data.slice(lo * per, hi * per) };
  }
  return { size: hi - lo, columns: Object.freeze(out) };
}

/** The examples in the order of `permutation(ds.size, seed)`; the input is untouched. */
export function shuffle(ds: Dataset, seed: number): Dataset {
  checkSeed(seed, 'shuffle');
  return take(ds, permutation(ds.size, seed));
}

/**
 * How many examples each part of a split gets: part k's share is size·r_k / Σr; each part gets
 * the floor of its share, and the examples left over (fewer than the number of parts) go one
 * each to the parts with the largest fractional remainders, earlier parts winning ties. The sizes
 * add up to `size` exactly; e.g. 11 by [8,1,1] → [9,1,1], 7 by [8,1,1] → [5,1,1], 7 by [1,1] → [4,3].
 */
export function splitSizes(size: number, ratios: readonly number[]): number[] {
  // Checked through an `unknown` alias: plain-JS callers may pass anything, and narrowing `ratios` itself by Array.isArray would make it any[].
  const given: unknown = ratios;
  if (!Array.isArray(given) || ratios.length === 0) fail('usage', 'split: ratios must be a non-empty list of positive numbers');
  const badAt = ratios.findIndex((r) => typeof r !== 'number' || !Number.isFinite(r) || r <= 0);
  if (badAt >= 0) fail('usage', `split: ratio ${String(ratios[badAt])} (at position ${badAt}) is not a positive number; ratios are [${ratios.join(', ')}]`);
  const total = ratios.reduce((a, b) => a + b, 0);
  // Work with numerators size·r_k over the common denominator Σr: exact for integer ratios.
  const parts = ratios.map((r, k) => {
    const num = size * r;
    let base = Math.floor(num / total);
    if (base * total > num) base--; // guard against the quotient rounding up
    return { k, base, rest: num - base * total };
  });
  let left = size - parts.reduce((a, p) => a + p.base, 0);
  const byRest = [...parts].sort((a, b) => b.rest - a.rest || a.k - b.k);
  for (let i = 0; left > 0; i = (i + 1) % byRest.length, left--) byRest[i]!.base++;
  return parts.map((p) => p.base);
}

/**
 * Splits into consecutive parts sized by `splitSizes` (e.g. [8,1,1] → train, validation, test).
 * Shuffles first with `seed` (default 0) unless `shuffle: false`; the parts are disjoint and cover ds.
 */
export function split(ds: Dataset, ratios: number[], options: { seed?: number; shuffle?: boolean } = {}): Dataset[] {
  const sizes = splitSizes(ds.size, ratios);
  const source = options.shuffle === false ? ds : shuffle(ds, options.seed ?? 0);
  let at = 0;
  return sizes.map((n) => slice(source, at, (at += n)));
}

export type Remainder = 'keep' | 'drop';

function checkBatchSize(batchSize: number, what: string): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) fail('usage', `${what}: batch size must be a positive integer, got ${batchSize}`);
}

/** The number of batches `batches` yields: a short last batch counts under 'keep', not under 'drop'. */
export function batchCount(ds: Dataset, batchSize: number, remainder: Remainder = 'keep'): number {
  checkBatchSize(batchSize, 'batchCount');
  return remainder === 'drop' ? Math.floor(ds.size / batchSize) : Math.ceil(ds.size / batchSize);
}

export interface BatchOptions {
  /** 'keep' (default) yields a smaller last batch; 'drop' leaves it out. */
  remainder?: Remainder;
  /** Visit the examples in the order of permutation(size, seed); default false. Pass a new seed per epoch. */
  shuffle?: boolean;
  seed?: number;
}

/**
 * The dataset in batches of `batchSize`, each column a fresh Tensor of shape [b, ...example shape].
 * The result can be iterated again (same order each time); values are copied, never aliased.
 */
export function batches(ds: Dataset, batchSize: number, options: BatchOptions = {}): Iterable<Batch> {
  checkBatchSize(batchSize, 'batches');
  const remainder = options.remainder ?? 'keep';
  if (remainder !== 'keep' && remainder !== 'drop') fail('usage', `batches: remainder must be 'keep' or 'drop', got '${String(remainder)}'`);
  const seed = options.seed ?? 0;
  checkSeed(seed, 'batches');
  const count = batchCount(ds, batchSize, remainder);
  let order: Int32Array | undefined; // drawn on first iteration, then reused
  return {
    *[Symbol.iterator](): Iterator<Batch> {
      if (options.shuffle) order ??= permutation(ds.size, seed);
      for (let b = 0; b < count; b++) {
        const lo = b * batchSize;
        const hi = Math.min(ds.size, lo + batchSize);
        const part = order ? take(ds, order.subarray(lo, hi)) : slice(ds, lo, hi);
        const batch: Batch = {};
        for (const [name, col] of Object.entries(part.columns)) {
          batch[name] = { dtype: col.dtype, shape: [hi - lo, ...col.shape], data: col.data };
        }
        yield batch;
      }
    },
  };
}
