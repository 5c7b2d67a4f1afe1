// Typed test values and the one comparison rule: exact for i32/bool, rtol 1e-5 plus atol for f32, nan/inf exact.

import { expect } from 'vitest';
import type { DType, Dim, Tensor } from '../../src/ir/types.js';

/** A tensor written out by hand: dtype, shape (symbols allowed for declared inputs) and row-major values. */
export interface TypedValue {
  dtype: DType;
  shape: Dim[];
  values: number[];
}

export const f32 = (shape: Dim[], values: number[]): TypedValue => ({ dtype: 'f32', shape, values });
export const i32 = (shape: Dim[], values: number[]): TypedValue => ({ dtype: 'i32', shape, values });
export const bool = (shape: Dim[], values: number[]): TypedValue => ({ dtype: 'bool', shape, values });

/** The typed array a backend expects for a value; shapes come from the compiled program. */
export function typedData(v: TypedValue): Float32Array | Int32Array | Uint8Array {
  switch (v.dtype) {
    case 'f32':
      return new Float32Array(v.values);
    case 'i32':
      return new Int32Array(v.values);
    case 'bool':
      return new Uint8Array(v.values);
  }
}

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** f32 results are rounded at every step; 1e-5 relative covers a few roundings, atol covers values near 0. */
export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-6 };

/** Whether one f32 element matches: nan only matches nan, an infinity only the same infinity. */
export function closeEnough(actual: number, expected: number, tol: Tolerance = DEFAULT_TOLERANCE): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected) || !Number.isFinite(actual)) return actual === expected;
  return Math.abs(actual - expected) <= tol.atol + tol.rtol * Math.abs(expected);
}

/** A description of how `actual` differs from `expected`, or undefined when it matches. */
export function mismatch(actual: Tensor, expected: TypedValue, tol: Tolerance = DEFAULT_TOLERANCE): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  const shape = expected.shape.join(', ');
  if (actual.shape.join(', ') !== shape) return `shape [${actual.shape.join(', ')}], expected [${shape}]`;
  if (actual.data.length !== expected.values.length) {
    return `${actual.data.length} elements, expected ${expected.values.length}`;
  }
  for (let i = 0; i < expected.values.length; i++) {
    const a = actual.data[i]!;
    const e = expected.values[i]!;
    const ok = expected.dtype === 'f32' ? closeEnough(a, e, tol) : a === e;
    if (!ok) return `element ${i} is ${a}, expected ${e} (got [${Array.from(actual.data).join(', ')}])`;
  }
  return undefined;
}

/** Asserts that a result tensor matches a hand-written value. */
export function expectTensor(actual: Tensor | undefined, expected: TypedValue, tol: Tolerance = DEFAULT_TOLERANCE): void {
  expect(actual, 'missing result').toBeDefined();
  expect(mismatch(actual!, expected, tol)).toBeUndefined();
}
