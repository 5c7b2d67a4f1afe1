// The runtime's twin of the counter-based generator (src/ir/random.ts), the keyed streams of the random ops and the parameter initializers (src/ir/init.ts): bit-identical, because the runtime may not import the compiler.

import type { KernelDType, ParamInit } from './kernel-ir.js';
import { KilnRuntimeError } from './tensor.js';

const GOLDEN = 0x9e3779b9; // decorrelates the stream seed from the counter
const COUNTER_STEP = 0x85ebca6b;
const TWO_TO_MINUS_24 = 2 ** -24;

/** lowbias32 (Wellons): xor-shift, multiply, twice over; returns an unsigned 32-bit integer. */
export function mix32(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The 32 random bits at `counter` of stream `seed`. */
export function randomBits(seed: number, counter: number): number {
  const base = mix32(seed ^ GOLDEN);
  return mix32((base + Math.imul(counter, COUNTER_STEP)) | 0);
}

/** The top 24 bits as a fraction: uniform in [0, 1), every value exact in f32. */
export function uniform01(seed: number, counter: number): number {
  return (randomBits(seed, counter) >>> 8) * TWO_TO_MINUS_24;
}

/** Box–Muller over uniforms 2c (shifted into (0, 1] so the log is finite) and 2c+1. */
export function standardNormal(seed: number, counter: number): number {
  const radius = ((randomBits(seed, 2 * counter) >>> 8) + 1) * TWO_TO_MINUS_24;
  const angle = uniform01(seed, 2 * counter + 1);
  return Math.sqrt(-2 * Math.log(radius)) * Math.cos(2 * Math.PI * angle);
}

/** The stream an i32 `key` selects from `seed`, as random_uniform/random_normal mix it in. */
export function keyedStream(seed: number, key: number): number {
  return mix32(seed ^ mix32(key | 0));
}

const scratchF32 = new Float32Array(1);
const scratchBits = new Int32Array(scratchF32.buffer);

/** The largest f32 strictly below the finite number x. */
export function f32Below(x: number): number {
  scratchF32[0] = x;
  const rounded = scratchF32[0]!;
  if (rounded < x) return rounded;
  if (rounded === 0) return -(2 ** -149); // below ±0 is the negative subnormal
  // One ulp toward -inf: the bit pattern moves down for positives, up for negatives.
  scratchBits[0] = scratchBits[0]! + (rounded > 0 ? -1 : 1);
  return scratchF32[0]!;
}

/** low + (high - low) u as an f32 in [low, high): f32 rounding must not land on `high`. */
export function uniformBetween(low: number, high: number, u: number): number {
  const v = Math.fround(low + (high - low) * u);
  return v >= high && low < high ? f32Below(high) : v;
}

// ---- parameter initializers ----------------------------------------------------------------

type Args = Record<string, number>;
type Sampler = (a: Args, i: number, fanIn: number, fanOut: number) => number;

/** Each initializer: its arguments with defaults, and element i as a function of them. */
const INITS: Record<string, { defaults: Args; sample: Sampler }> = {
  zeros: { defaults: {}, sample: () => 0 },
  ones: { defaults: {}, sample: () => 1 },
  constant: { defaults: { value: NaN }, sample: (a) => a.value! },
  uniform: { defaults: { low: -0.05, high: 0.05, seed: 0 }, sample: (a, i) => a.low! + (a.high! - a.low!) * uniform01(a.seed!, i) },
  normal: { defaults: { mean: 0, std: 0.05, seed: 0 }, sample: (a, i) => a.mean! + a.std! * standardNormal(a.seed!, i) },
  glorot_uniform: { defaults: { seed: 0 }, sample: (a, i, fi, fo) => Math.sqrt(6 / (fi + fo)) * (2 * uniform01(a.seed!, i) - 1) },
  glorot_normal: { defaults: { seed: 0 }, sample: (a, i, fi, fo) => Math.sqrt(2 / (fi + fo)) * standardNormal(a.seed!, i) },
  he_uniform: { defaults: { seed: 0 }, sample: (a, i, fi) => Math.sqrt(6 / fi) * (2 * uniform01(a.seed!, i) - 1) },
  he_normal: { defaults: { seed: 0 }, sample: (a, i, fi) => Math.sqrt(2 / fi) * standardNormal(a.seed!, i) },
};

export const INITIALIZER_NAMES: readonly string[] = Object.keys(INITS);

/** Why `init` cannot initialize a tensor of `dtype`, or undefined when it can. */
export function initProblem(init: ParamInit, dtype: KernelDType): string | undefined {
  const def = Object.hasOwn(INITS, init.fn) ? INITS[init.fn] : undefined;
  if (!def) return `unknown initializer '${init.fn}' (expected one of: ${INITIALIZER_NAMES.join(', ')})`;
  for (const [name, value] of Object.entries(init.args)) {
    if (!Object.hasOwn(def.defaults, name)) return `initializer ${init.fn} has no argument '${name}'`;
    if (typeof value !== 'number') return `initializer ${init.fn}: argument '${name}' must be a number, got ${JSON.stringify(value)}`;
  }
  if (init.fn === 'constant' && typeof init.args['value'] !== 'number') return "initializer constant needs a 'value'";
  if (dtype !== 'f32' && !['zeros', 'ones', 'constant'].includes(init.fn)) return `initializer ${init.fn} needs an f32 parameter, got ${dtype}`;
  return undefined;
}

/** Fans as src/ir/init.ts defines them: [.., fan_in, fan_out] with leading axes the receptive field. */
function fansOf(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  const field = shape.slice(0, -2).reduce((n, d) => n * d, 1);
  return [shape[shape.length - 2]! * field, shape[shape.length - 1]! * field];
}

/** Fills `out` (a parameter of `shape`) with its initial values; `init` must have passed initProblem. */
export function initializeInto(init: ParamInit, shape: readonly number[], out: Float32Array | Int32Array | Uint8Array): void {
  const def = INITS[init.fn];
  if (!def) throw new KilnRuntimeError('runtime', `unknown initializer '${init.fn}'`);
  const args: Args = { ...def.defaults, ...(init.args as Args) };
  const [fanIn, fanOut] = fansOf(shape);
  for (let i = 0; i < out.length; i++) out[i] = def.sample(args, i, fanIn, fanOut);
}
