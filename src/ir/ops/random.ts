// Seeded random primitives. The stream is the `seed` attribute, combined with the optional i32
// scalar operand `key` so that one compiled program can draw fresh numbers at every step.

import { primitive } from '../op.js';
import type { ConcreteType, EvalContext } from '../op.js';
import { mix32, standardNormal, uniform01 } from '../random.js';
import { formatType, numel } from '../types.js';
import type { Dim, Tensor, TensorType } from '../types.js';
import { fail } from '../errors.js';

function inferRandom(op: string, keys: readonly TensorType[], shape: Dim[]): TensorType {
  const key = keys[0];
  if (key && (key.dtype !== 'i32' || key.shape.length !== 0)) {
    fail('dtype', `${op}: operand 'key' must be an i32 scalar, got ${formatType(key)}`);
  }
  return { dtype: 'f32', shape: [...shape] };
}

/** The largest f32 strictly below x (x finite). */
function f32Below(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Int32Array(f.buffer);
  if (f[0]! < x) return f[0]!;
  if (f[0] === 0) return -(2 ** -149);
  bits[0] = bits[0]! + (f[0]! > 0 ? -1 : 1);
  return f[0]!;
}

function streamOf(seed: number, keys: readonly Tensor[]): number {
  return keys.length ? mix32(seed ^ mix32(keys[0]!.data[0]! | 0)) : seed;
}

function fill(out: ConcreteType, ctx: EvalContext, f: (i: number) => number): Tensor {
  const data = ctx.alloc('f32', numel(out.shape));
  for (let i = 0; i < data.length; i++) data[i] = f(i);
  return { dtype: 'f32', shape: out.shape, data };
}

/** A counter-based draw: two integer hashes and a conversion, about sixteen adds. */
const RANDOM_COST = 16;

export const random_uniform = primitive({
  name: 'random_uniform',
  cost: RANDOM_COST,
  doc: 'f32 uniform in [low, high) of `shape`, a pure function of seed (and key)',
  category: 'random',
  operands: ['key'],
  variadic: { min: 0, max: 1 },
  infer(keys, { shape, low, high }) {
    if (!(low <= high)) fail('attr', `random_uniform: low ${low} must not exceed high ${high}`);
    return inferRandom('random_uniform', keys, shape);
  },
  evaluate(keys, { low, high, seed }, out, ctx) {
    const s = streamOf(seed, keys);
    return fill(out, ctx, (i) => {
      const v = low + (high - low) * uniform01(s, i);
      // Storing as f32 may round up onto `high`; the range stays half-open.
      return Math.fround(v) >= high && low < high ? f32Below(high) : v;
    });
  },
  vjp: 'none',
});

export const random_normal = primitive({
  name: 'random_normal',
  cost: RANDOM_COST,
  doc: 'f32 normal with `mean` and `std` of `shape`, a pure function of seed (and key)',
  category: 'random',
  operands: ['key'],
  variadic: { min: 0, max: 1 },
  infer: (keys, { shape }) => inferRandom('random_normal', keys, shape),
  evaluate(keys, { mean, std, seed }, out, ctx) {
    const s = streamOf(seed, keys);
    return fill(out, ctx, (i) => mean + std * standardNormal(s, i));
  },
  vjp: 'none',
});
