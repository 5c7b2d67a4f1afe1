// The kernel functions (runtime/kernel-fns.ts) in WGSL, one table per dtype so the type checker
// lists a function this renderer lacks, and the helper functions they call, emitted into a
// shader only when it uses them.
//
// WGSL lets an implementation assume that no value is NaN or infinite, and its sin, cos, log and
// pow carry loose error bounds; Kiln's semantics (the reference's) are exact about NaN and about
// signs. So NaN tests look at the bits, and the functions whose builtins differ from the
// reference where it matters (max/min with NaN, tanh at large |x|, pow of a negative base,
// f32 -> i32 of NaN or out of range) are spelled out as helpers.

import { FLAG_ERROR, FLAG_KERNEL, FLAG_LIMIT, FLAG_VALUE } from '../../../runtime/webgpu-layout.js';
import type { ArithTable, CompareTable, UnaryTable } from '../../../runtime/kernel-fns.js';

/** A rendering of a function: its WGSL expression from its operands' expressions, and the helpers it needs. */
export interface WgslFn<A extends string[]> {
  render: (...args: A) => string;
  helpers?: readonly HelperName[];
}
const fn = <A extends string[]>(render: (...args: A) => string, ...helpers: HelperName[]): WgslFn<A> => ({ render, helpers });

/** Helper functions by name; a helper may call those listed after its text. */
export const HELPERS = {
  is_nan: ['fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }'],
  is_finite: ['fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }'],
  // A call, not a constant expression: WGSL refuses a constant NaN or infinity.
  f32_bits: ['fn f32_bits(bits: u32) -> f32 { return bitcast<f32>(bits); }'],
  nan: ['fn nan() -> f32 { return f32_bits(0x7fc00000u); }', 'f32_bits'],
  k_max: ['fn k_max(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan(); } return max(a, b); }', 'is_nan', 'nan'],
  k_min: ['fn k_min(a: f32, b: f32) -> f32 { if (is_nan(a) || is_nan(b)) { return nan(); } return min(a, b); }', 'is_nan', 'nan'],
  // Past |x| = 9, tanh rounds to ±1 in f32; the builtin may overflow there (sinh/cosh).
  k_tanh: ['fn k_tanh(x: f32) -> f32 { if (abs(x) > 9.0) { return sign(x); } return tanh(x); }'],
  // Both branches keep exp's argument non-positive.
  k_sigmoid: ['fn k_sigmoid(x: f32) -> f32 { if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); } let e = exp(x); return e / (1.0 + e); }'],
  k_sign: ['fn k_sign(x: f32) -> f32 { if (x > 0.0) { return 1.0; } if (x < 0.0) { return -1.0; } return x; }'],
  // Math.pow: x^0 = 1 (nan too), a negative base needs an integer exponent, whose parity gives the sign.
  k_pow: [
    `fn k_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return nan(); }
  if (y == 1.0) { return x; }
  if (y == 2.0) { return x * x; }
  if (x == 0.0) { if (y < 0.0) { return f32_bits(0x7f800000u); } return 0.0; }
  if (x > 0.0) { return exp2(y * log2(x)); }
  if (!is_finite(y)) { return pow(-x, y); }
  if (trunc(y) != y) { return nan(); }
  let r = exp2(y * log2(-x));
  if (trunc(y * 0.5) != y * 0.5) { return -r; }
  return r;
}`,
    'is_nan',
    'is_finite',
    'nan',
    'f32_bits',
  ],
  // Truncates toward zero, saturating; nan is 0.
  f32_to_i32: [
    'fn f32_to_i32(x: f32) -> i32 { if (is_nan(x)) { return 0; } if (x >= 2147483648.0) { return 2147483647; } if (x <= -2147483648.0) { return bitcast<i32>(0x80000000u); } return i32(x); }',
    'is_nan',
  ],
  // Nonzero (nan included) is true.
  f32_to_bool: ['fn f32_to_bool(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) != 0u; }'],
  i32_div: ['fn i32_div(a: i32, b: i32) -> i32 { if (b == 0) { return 0; } if (b == -1) { return -a; } return a / b; }'],
  // Floor division and the non-negative remainder by a positive constant, for index math.
  idiv: ['fn idiv(a: i32, b: i32) -> i32 { if (a >= 0) { return a / b; } return -((-a + b - 1) / b); }'],
  imod: ['fn imod(a: i32, b: i32) -> i32 { let r = a % b; if (r < 0) { return r + b; } return r; }'],
  // A data-dependent index: out of range, the first kernel to get there records it and reads element 0.
  gather_index: [
    `fn gather_index(i: i32, size: i32, kernel: u32) -> i32 {
  if (i >= 0 && i < size) { return i; }
  if (atomicExchange(&flags[${FLAG_ERROR}], 1u) == 0u) {
    atomicStore(&flags[${FLAG_KERNEL}], kernel);
    atomicStore(&flags[${FLAG_VALUE}], bitcast<u32>(i));
    atomicStore(&flags[${FLAG_LIMIT}], u32(size));
  }
  return 0;
}`,
  ],
  // The counter-based generator of runtime/random.ts, bit for bit (u32 arithmetic wraps as Math.imul does).
  mix32: ['fn mix32(x: u32) -> u32 { var h = x ^ (x >> 16u); h = h * 0x7feb352du; h = h ^ (h >> 15u); h = h * 0x846ca68bu; return h ^ (h >> 16u); }'],
  random_bits: ['fn random_bits(seed: u32, counter: u32) -> u32 { return mix32(mix32(seed ^ 0x9e3779b9u) + counter * 0x85ebca6bu); }', 'mix32'],
  keyed_stream: ['fn keyed_stream(seed: u32, key: i32) -> u32 { return mix32(seed ^ mix32(bitcast<u32>(key))); }', 'mix32'],
  uniform01: ['fn uniform01(seed: u32, counter: u32) -> f32 { return f32(random_bits(seed, counter) >> 8u) * 5.9604644775390625e-8; }', 'random_bits'],
  // low + (high - low) u, kept below high where f32 rounding would land on it.
  uniform_between: [
    'fn uniform_between(low: f32, high: f32, u: f32) -> f32 { let v = low + (high - low) * u; if (v < high || low >= high) { return v; } if (high == 0.0) { return f32_bits(0x80000001u); } return select(bitcast<f32>(bitcast<u32>(high) + 1u), bitcast<f32>(bitcast<u32>(high) - 1u), high > 0.0); }',
    'f32_bits',
  ],
  standard_normal: [
    `fn standard_normal(seed: u32, counter: u32) -> f32 {
  let radius = f32((random_bits(seed, 2u * counter) >> 8u) + 1u) * 5.9604644775390625e-8;
  let angle = uniform01(seed, 2u * counter + 1u);
  return sqrt(-2.0 * log(radius)) * cos(6.283185307179586 * angle);
}`,
    'random_bits',
    'uniform01',
  ],
} as const satisfies Record<string, readonly [string, ...string[]]>;
export type HelperName = keyof typeof HELPERS;

/** The helpers' text for a shader using `used`, each once, callees first. */
export function helperText(used: Iterable<HelperName>): string {
  const order: HelperName[] = [];
  const visit = (name: HelperName): void => {
    if (order.includes(name)) return;
    const [, ...deps] = HELPERS[name] as readonly [string, ...HelperName[]];
    for (const d of deps) visit(d);
    order.push(name);
  };
  for (const name of used) visit(name);
  return order.map((n) => HELPERS[n][0]).join('\n');
}

export const UNARY_F32: UnaryTable<'f32', WgslFn<[string]>> = {
  neg: fn((a) => `(-${a})`),
  abs: fn((a) => `abs(${a})`),
  exp: fn((a) => `exp(${a})`),
  log: fn((a) => `log(${a})`),
  sqrt: fn((a) => `sqrt(${a})`),
  rsqrt: fn((a) => `(1.0 / sqrt(${a}))`),
  tanh: fn((a) => `k_tanh(${a})`, 'k_tanh'),
  sigmoid: fn((a) => `k_sigmoid(${a})`, 'k_sigmoid'),
  relu: fn((a) => `select(0.0, ${a}, ${a} > 0.0)`),
  sign: fn((a) => `k_sign(${a})`, 'k_sign'),
  step: fn((a) => `select(0.0, 1.0, ${a} > 0.0)`),
  sin: fn((a) => `sin(${a})`),
  cos: fn((a) => `cos(${a})`),
};

export const UNARY_I32: UnaryTable<'i32', WgslFn<[string]>> = {
  neg: fn((a) => `(-${a})`),
  abs: fn((a) => `abs(${a})`),
  relu: fn((a) => `max(${a}, 0)`),
  sign: fn((a) => `sign(${a})`),
  step: fn((a) => `select(0, 1, ${a} > 0)`),
};

export const BINARY_F32: ArithTable<'f32', WgslFn<[string, string]>> = {
  add: fn((a, b) => `(${a} + ${b})`),
  sub: fn((a, b) => `(${a} - ${b})`),
  mul: fn((a, b) => `(${a} * ${b})`),
  div: fn((a, b) => `(${a} / ${b})`),
  pow: fn((a, b) => `k_pow(${a}, ${b})`, 'k_pow'),
  max: fn((a, b) => `k_max(${a}, ${b})`, 'k_max'),
  min: fn((a, b) => `k_min(${a}, ${b})`, 'k_min'),
};

export const BINARY_I32: ArithTable<'i32', WgslFn<[string, string]>> = {
  add: fn((a, b) => `(${a} + ${b})`),
  sub: fn((a, b) => `(${a} - ${b})`),
  mul: fn((a, b) => `(${a} * ${b})`),
  div: fn((a, b) => `i32_div(${a}, ${b})`, 'i32_div'),
  max: fn((a, b) => `max(${a}, ${b})`),
  min: fn((a, b) => `min(${a}, ${b})`),
};

export const COMPARE: CompareTable<WgslFn<[string, string]>> = {
  eq: fn((a, b) => `(${a} == ${b})`),
  ne: fn((a, b) => `(${a} != ${b})`),
  lt: fn((a, b) => `(${a} < ${b})`),
  le: fn((a, b) => `(${a} <= ${b})`),
  gt: fn((a, b) => `(${a} > ${b})`),
  ge: fn((a, b) => `(${a} >= ${b})`),
};

/** f32 comparisons: == and != test for NaN by its bits, since the builtins may assume there is none. */
export const COMPARE_F32: CompareTable<WgslFn<[string, string]>> = {
  ...COMPARE,
  eq: fn((a, b) => `(${a} == ${b} && !is_nan(${a}))`, 'is_nan'),
  ne: fn((a, b) => `(${a} != ${b} || is_nan(${a}) || is_nan(${b}))`, 'is_nan'),
};
