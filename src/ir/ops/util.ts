// Helpers shared by op definitions: dtype checks, broadcasting rules and index arithmetic for
// the reference implementations.

import { fail } from '../errors.js';
import { broadcastShapes, formatType, stridesOf } from '../types.js';
import type { DType, Dim, Tensor, TensorType } from '../types.js';

export const NUMERIC: readonly DType[] = ['f32', 'i32'];
export const FLOAT: readonly DType[] = ['f32'];
export const ANY: readonly DType[] = ['f32', 'i32', 'bool'];

/** Fails unless the operand's dtype is one of `allowed`. */
export function requireDType(op: string, operand: string, t: TensorType, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) {
    fail('dtype', `${op}: operand '${operand}' must be ${allowed.join(' or ')}, got ${formatType(t)}`);
  }
}

/** Fails unless all operands share one dtype. */
export function requireSameDType(op: string, types: readonly TensorType[]): DType {
  const d = types[0]!.dtype;
  if (types.some((t) => t.dtype !== d)) {
    fail('dtype', `${op}: operands must have one dtype, got ${types.map(formatType).join(', ')}`);
  }
  return d;
}

/** numpy broadcasting of the operands' shapes, or a shape error naming them. */
export function broadcastOrFail(op: string, types: readonly TensorType[]): Dim[] {
  const out = broadcastShapes(types.map((t) => t.shape));
  if (!out) fail('shape', `${op}: cannot broadcast ${types.map(formatType).join(' with ')}`);
  return out;
}

/**
 * Maps a flat index of `outShape` to the flat index of an operand of `inShape` broadcast to it
 * (numpy rules: missing leading dims and size-1 dims repeat).
 */
export function broadcastIndexer(inShape: readonly number[], outShape: readonly number[]): (flat: number) => number {
  const rank = outShape.length;
  const offset = rank - inShape.length;
  const inStrides = stridesOf(inShape);
  const steps: { size: number; stride: number }[] = [];
  for (let i = 0; i < rank; i++) {
    const d = i < offset ? 1 : inShape[i - offset]!;
    steps.push({ size: outShape[i]!, stride: d === 1 ? 0 : inStrides[i - offset]! });
  }
  if (offset === 0 && inShape.every((d, i) => d === outShape[i])) return (flat) => flat;
  return (flat) => {
    let src = 0;
    for (let i = rank - 1; i >= 0; i--) {
      const { size, stride } = steps[i]!;
      src += (flat % size) * stride;
      flat = Math.floor(flat / size);
    }
    return src;
  };
}

/** Multi-index of a flat row-major index. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    idx[i] = flat % d;
    flat = Math.floor(flat / d);
  }
  return idx;
}

/** Flat row-major index of a multi-index. */
export function ravel(idx: readonly number[], strides: readonly number[]): number {
  let flat = 0;
  for (let i = 0; i < idx.length; i++) flat += idx[i]! * strides[i]!;
  return flat;
}

export function tensor(dtype: DType, shape: number[], data: Tensor['data']): Tensor {
  return { dtype, shape, data };
}
