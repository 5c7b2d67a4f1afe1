// Parameter initializers: each is a name, its arguments, and a pure function of (args, shape)
// drawn from the counter-based generator, so the same seed gives the same weights everywhere.
// Fans follow the dense layout [fan_in, fan_out]; for rank > 2 the leading axes are the
// receptive field ([kh, kw, in, out] kernels): fan_in = in * kh * kw, fan_out = out * kh * kw.

import { fail } from './errors.js';
import type { Initializer } from './graph.js';
import { attr, checkAttrs } from './op.js';
import type { AttrSchema, ConcreteType } from './op.js';
import { mix32, standardNormal, uniform01 } from './random.js';
import { formatType, numel } from './types.js';
import type { Tensor, TensorData, TensorType } from './types.js';

interface InitializerDef {
  doc: string;
  args: AttrSchema;
  /** The value of element i of a tensor of the given fans. */
  sample(args: Record<string, number>, i: number, fans: { fanIn: number; fanOut: number }): number;
}

const seeded = { seed: attr.int(0) };

export const INITIALIZERS: Readonly<Record<string, InitializerDef>> = {
  zeros: { doc: 'all 0', args: {}, sample: () => 0 },
  ones: { doc: 'all 1', args: {}, sample: () => 1 },
  constant: { doc: 'all `value`', args: { value: attr.float() }, sample: (a) => a.value! },
  uniform: {
    doc: 'uniform in [low, high)',
    args: { low: attr.float(-0.05), high: attr.float(0.05), ...seeded },
    sample: (a, i) => a.low! + (a.high! - a.low!) * uniform01(a.seed!, i),
  },
  normal: {
    doc: 'normal with `mean` and `std`',
    args: { mean: attr.float(0), std: attr.float(0.05), ...seeded },
    sample: (a, i) => a.mean! + a.std! * standardNormal(a.seed!, i),
  },
  glorot_uniform: {
    doc: 'Glorot/Xavier uniform: limit sqrt(6 / (fan_in + fan_out))',
    args: seeded,
    sample: (a, i, f) => Math.sqrt(6 / (f.fanIn + f.fanOut)) * (2 * uniform01(a.seed!, i) - 1),
  },
  glorot_normal: {
    doc: 'Glorot/Xavier normal: std sqrt(2 / (fan_in + fan_out))',
    args: seeded,
    sample: (a, i, f) => Math.sqrt(2 / (f.fanIn + f.fanOut)) * standardNormal(a.seed!, i),
  },
  he_uniform: {
    doc: 'He/Kaiming uniform: limit sqrt(6 / fan_in)',
    args: seeded,
    sample: (a, i, f) => Math.sqrt(6 / f.fanIn) * (2 * uniform01(a.seed!, i) - 1),
  },
  he_normal: {
    doc: 'He/Kaiming normal: std sqrt(2 / fan_in)',
    args: seeded,
    sample: (a, i, f) => Math.sqrt(2 / f.fanIn) * standardNormal(a.seed!, i),
  },
};

/** Fan-in and fan-out of a weight shape (see the header for the layout). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = numel(shape.slice(0, -2));
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

/** Validates an initializer for a parameter of type `type`; returns it with defaults filled. */
export function checkInitializer(init: Initializer, type: TensorType, what: string): Initializer {
  const def = Object.hasOwn(INITIALIZERS, init.fn) ? INITIALIZERS[init.fn] : undefined;
  if (!def) fail('attr', `${what}: unknown initializer '${init.fn}' (expected one of: ${Object.keys(INITIALIZERS).join(', ')})`);
  const args = checkAttrs({ name: `${what}: initializer ${init.fn}`, attrs: def.args }, init.args);
  if (type.dtype !== 'f32' && !['zeros', 'ones', 'constant'].includes(init.fn)) {
    fail('dtype', `${what}: initializer ${init.fn} needs an f32 parameter, got ${formatType(type)}`);
  }
  return { fn: init.fn, args };
}

/** The initial value of a parameter of concrete type `type`. */
export function materialize(init: Initializer, type: ConcreteType, alloc: (n: number) => TensorData): Tensor {
  const { args } = checkInitializer(init, type, 'param');
  const def = INITIALIZERS[init.fn]!;
  const data = alloc(numel(type.shape));
  const f = fans(type.shape);
  for (let i = 0; i < data.length; i++) data[i] = def.sample(args as Record<string, number>, i, f);
  return { dtype: type.dtype, shape: [...type.shape], data };
}

/** 32-bit FNV-1a of a string. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The seed of one named stream (a parameter, a random op) drawn from a base seed: each name
 * gets its own stream, and the same base and name always give the same seed (>= 0, an i32).
 */
export function namedSeed(base: number, label: string): number {
  return mix32((hashString(label) ^ mix32(base)) >>> 0) >>> 1;
}
