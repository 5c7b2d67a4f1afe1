// Element types, shapes with symbolic dimensions, numpy broadcasting, and the concrete
// Tensor that backends consume and produce.

import { fail } from './errors.js';

export const DTYPES = ['f32', 'i32', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && (DTYPES as readonly string[]).includes(s);
}

/** A dimension: a non-negative safe integer, or a named symbol (`B`) bound at compile time. */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** The static type of a value: element type and shape. */
export interface TensorType {
  dtype: DType;
  shape: Shape;
}

const SYMBOL = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What a dim may be, for messages. */
export const DIM_RULE = 'a dim is an integer from 0 to 2^53-1 or a symbol';

/** Dims are safe integers: past 2^53 two sizes can read the same and element counts stop being exact. */
export function isValidDim(d: unknown): d is Dim {
  return (typeof d === 'number' && Number.isSafeInteger(d) && d >= 0 && !Object.is(d, -0)) || (typeof d === 'string' && SYMBOL.test(d));
}

/**
 * The most elements one tensor may hold: typed arrays index with 32-bit signed integers here
 * (V8 allows a little more, and wasm's 4 GiB memory less in bytes, which its backend checks).
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** "1.2 GB" for a byte count, for size messages. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${n.toPrecision(3)} ${units[u]}`;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function formatType(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && sameShape(a.shape, b.shape);
}

export function isConcrete(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

/** Symbols appearing in a shape, in order of first appearance. */
export function shapeSymbols(shape: Shape): string[] {
  return [...new Set(shape.filter((d): d is string => typeof d === 'string'))];
}

/**
 * The element count of a shape as a monomial: a numeric factor times a sorted list of symbols.
 * Two shapes hold the same number of elements for every binding iff their monomials are equal
 * (or both factors are zero).
 */
export function sizeMonomial(shape: Shape): { factor: number; symbols: string[] } {
  let factor = 1;
  const symbols: string[] = [];
  for (const d of shape) {
    if (typeof d === 'number') factor *= d;
    else symbols.push(d);
  }
  return { factor, symbols: symbols.sort() };
}

export function sameSize(a: Shape, b: Shape): boolean {
  const ma = sizeMonomial(a);
  const mb = sizeMonomial(b);
  if (ma.factor === 0 && mb.factor === 0) return true;
  return ma.factor === mb.factor && ma.symbols.join() === mb.symbols.join();
}

/** Element count of a concrete shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a concrete shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/**
 * numpy broadcasting of several shapes; returns undefined when they are incompatible.
 * Symbols broadcast against 1 and against themselves only: `B` against `3` is an error,
 * since nothing guarantees B is 1 or 3.
 */
export function broadcastShapes(shapes: readonly Shape[]): Dim[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (dim !== d) return undefined;
    }
    out.push(dim);
  }
  return out;
}

/** Resolves a possibly negative axis against a rank, or fails naming the op. */
export function normalizeAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    fail('attr', `${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Resolves a list of axes (negative allowed), rejecting duplicates. */
export function normalizeAxes(axes: readonly number[], rank: number, op: string): number[] {
  const out = axes.map((a) => normalizeAxis(a, rank, op));
  if (new Set(out).size !== out.length) fail('attr', `${op}: repeated axis in [${axes.join(', ')}]`);
  return out.sort((a, b) => a - b);
}

/** Storage for each dtype: bool is one byte per element, 0 or 1. */
export type TensorData = Float32Array | Int32Array | Uint8Array | Float64Array;

/** A concrete tensor: row-major data of a concrete shape. */
export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

export function arrayFor(dtype: DType, n: number): Float32Array | Int32Array | Uint8Array {
  switch (dtype) {
    case 'f32':
      return new Float32Array(n);
    case 'i32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
  }
}

export function dataMatchesDType(data: TensorData, dtype: DType): boolean {
  switch (dtype) {
    case 'f32':
      return data instanceof Float32Array || data instanceof Float64Array;
    case 'i32':
      return data instanceof Int32Array;
    case 'bool':
      return data instanceof Uint8Array;
  }
}
