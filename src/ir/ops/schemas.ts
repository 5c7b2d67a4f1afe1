// Every op's name and attribute schema, in one table that depends on nothing but the attribute
// helpers. The op name type and each op's attribute types are derived from it, so an unknown
// op or a wrong attribute fails the type checker wherever ops are emitted. The definitions (the
// other files here) take their attributes from this table; the registry (index.ts) must hold a
// definition for every key, of the matching kind.

import { attr } from '../attrs.js';
import type { AttrArgsOf, AttrSchema, AttrsOf } from '../attrs.js';

const reduce = { axes: attr.ints(), keepdims: attr.bool(false) };

/** The primitives: ops with a shape rule, a reference implementation and a VJP. */
export const PRIMITIVE_SCHEMAS = {
  constant: { dtype: attr.dtype('f32'), shape: attr.shape([]), value: attr.floats() },
  neg: {},
  abs: {},
  exp: {},
  log: {},
  sqrt: {},
  rsqrt: {},
  tanh: {},
  sigmoid: {},
  relu: {},
  sign: {},
  step: {},
  sin: {},
  cos: {},
  add: {},
  sub: {},
  mul: {},
  div: {},
  pow: {},
  max: {},
  min: {},
  eq: {},
  ne: {},
  lt: {},
  le: {},
  gt: {},
  ge: {},
  where: {},
  cast: { to: attr.dtype() },
  reduce_sum: reduce,
  reduce_max: reduce,
  argmax: { axis: attr.int(-1), keepdims: attr.bool(false) },
  reshape: { shape: attr.shape() },
  broadcast_to: { shape: attr.shape() },
  transpose: { perm: attr.ints() },
  slice: { begin: attr.ints(), end: attr.ints(), stride: attr.ints() },
  pad: { before: attr.ints(), after: attr.ints(), value: attr.float(0) },
  concat: { axis: attr.int(0) },
  matmul: {},
  gather: { axis: attr.int(0) },
  one_hot: { depth: attr.int(), dtype: attr.dtype('f32') },
  random_uniform: { shape: attr.shape(), low: attr.float(0), high: attr.float(1), seed: attr.int(0) },
  random_normal: { shape: attr.shape(), mean: attr.float(0), std: attr.float(1), seed: attr.int(0) },
} as const satisfies Record<string, AttrSchema>;

/** The composites: ops defined by a decomposition into other ops. */
export const COMPOSITE_SCHEMAS = {
  mean: { axes: attr.ints(), keepdims: attr.bool(false) },
  softmax: { axis: attr.int(-1) },
  log_softmax: { axis: attr.int(-1) },
  identity: {},
  square: {},
  clip: { min: attr.float(), max: attr.float() },
  dense: {},
  mae: {},
  mse: {},
  binary_cross_entropy: { eps: attr.float(1e-7) },
  sigmoid_cross_entropy: {},
  softmax_cross_entropy: {},
  softmax_cross_entropy_onehot: {},
  l1_penalty: {},
  l2_penalty: {},
  dropout: { rate: attr.float(), seed: attr.int(0), training: attr.bool(false) },
  accuracy: {},
  binary_accuracy: { threshold: attr.float(0.5) },
  conv2d: { strides: attr.ints([1, 1]), dilations: attr.ints([1, 1]), padding: attr.string('valid'), pads: attr.ints([]) },
  // Pool strides: [] means the window's size.
  max_pool2d: { size: attr.ints(), strides: attr.ints([]), padding: attr.string('valid'), pads: attr.ints([]) },
  avg_pool2d: { size: attr.ints(), strides: attr.ints([]), padding: attr.string('valid'), pads: attr.ints([]) },
  global_avg_pool2d: {},
  upsample2d: { scale: attr.ints([2, 2]) },
  layer_norm: { axis: attr.int(-1), eps: attr.float(1e-5) },
} as const satisfies Record<string, AttrSchema>;

export const OP_SCHEMAS = { ...PRIMITIVE_SCHEMAS, ...COMPOSITE_SCHEMAS } as const;

export type PrimitiveName = keyof typeof PRIMITIVE_SCHEMAS;
export type CompositeName = keyof typeof COMPOSITE_SCHEMAS;
/** The name of an op Kiln knows. */
export type OpName = PrimitiveName | CompositeName;
/** The attribute schema of op N. */
export type OpSchema<N extends OpName> = (typeof OP_SCHEMAS)[N];
/** The attributes a node of op N carries (all present, defaults filled in). */
export type OpAttrs<N extends OpName> = AttrsOf<OpSchema<N>>;
/** The attributes a caller passes when emitting op N (those with defaults may be left out). */
export type AttrArgs<N extends OpName> = AttrArgsOf<OpSchema<N>>;

/** The ops that take no attributes. */
export type PlainOpName = { [N in OpName]: [keyof OpSchema<N>] extends [never] ? N : never }[OpName];

const NAMES: ReadonlySet<string> = new Set(Object.keys(OP_SCHEMAS));

/** Whether a string from outside (a file, the DSL, the command line) names an op. */
export const isOpName = (name: string): name is OpName => NAMES.has(name);
