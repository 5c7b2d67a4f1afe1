// Helpers for the op tests: run one op on the reference backend, and assert KilnErrors precisely.

import { expect } from 'vitest';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { KilnError } from '../../src/ir/errors.js';
import type { ErrorCode } from '../../src/ir/errors.js';
import type { Tensor } from '../../src/ir/types.js';
import { catchKiln } from '../catch-kiln.js';
import { typedData } from '../conformance/tolerance.js';
import type { TypedValue } from '../conformance/tolerance.js';

export { catchKiln } from '../catch-kiln.js';
export { bool, expectTensor, f32, i32 } from '../conformance/tolerance.js';
export type { TypedValue } from '../conformance/tolerance.js';

/** Builds `y = op(x0, x1, ...)` over inputs of the given types, compiles it for the reference backend and runs it. */
export async function runOp(op: string, inputs: readonly TypedValue[], attrs: Record<string, unknown> = {}, shapes?: Record<string, number>): Promise<Tensor> {
  const b = new GraphBuilder('op_test');
  const names = inputs.map((v, i) => b.input(`x${i}`, { dtype: v.dtype, shape: v.shape }));
  b.output('y', b.emitDynamic(op, names, attrs));
  const exe = await compile(b.build(), { backend: 'reference', ...(shapes ? { shapes } : {}) });
  const feed: Record<string, Float32Array | Int32Array | Uint8Array> = {};
  inputs.forEach((v, i) => (feed[`x${i}`] = typedData(v)));
  const out = await exe.run(feed);
  return out['y']!;
}

/** Asserts that `fn` throws a KilnError with this code and exactly this message. */
export function expectKiln(fn: () => unknown, code: ErrorCode, message: string | RegExp): void {
  const e = catchKiln(fn);
  expect(e.code).toBe(code);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else expect(e.message).toMatch(message);
}

/** As `expectKiln`, for a promise. */
export async function expectKilnAsync(p: Promise<unknown>, code: ErrorCode, message: string | RegExp): Promise<KilnError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(KilnError);
  const e = caught as KilnError;
  expect(e.code).toBe(code);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else expect(e.message).toMatch(message);
  return e;
}

/** Emits one op over fresh inputs of the given types, so its shape/dtype rule runs (and may throw). */
export function emitOp(op: string, inputs: readonly Pick<TypedValue, 'dtype' | 'shape'>[], attrs: Record<string, unknown> = {}): string {
  const b = new GraphBuilder('rule_test');
  const names = inputs.map((v, i) => b.input(`x${i}`, { dtype: v.dtype, shape: v.shape }));
  return b.emitDynamic(op, names, attrs);
}

export const NAN = Number.NaN;
export const INF = Number.POSITIVE_INFINITY;
export const I32_MIN = -2147483648;
export const I32_MAX = 2147483647;
