// The op registry: every op Kiln knows, by name. Adding an op is adding its schema (schemas.ts),
// its definition beside the others of its kind, and one entry here: the registry's type lists
// every op name, so the type checker names a missing or misplaced definition.

import { fail } from '../errors.js';
import type { SourceSpan } from '../errors.js';
import type { OpDef, OpDefOf, OpName } from '../op.js';
import * as composites from './composites.js';
import { constant } from './constant.js';
import { avg_pool2d, conv2d, global_avg_pool2d, max_pool2d, upsample2d } from './conv.js';
import * as ew from './elementwise.js';
import { gather, one_hot } from './indexing.js';
import { matmul } from './linalg.js';
import * as losses from './losses.js';
import { broadcast_to, concat, pad, reshape, slice, transpose } from './movement.js';
import { accuracy, binary_accuracy } from './metrics.js';
import * as nn from './nn.js';
import { random_normal, random_uniform } from './random.js';
import { argmax, reduce_max, reduce_sum } from './reduce.js';
import { isOpName } from './schemas.js';

export { isOpName } from './schemas.js';

/** Every op's definition, keyed by its name; the order is the one listings and docs use. */
export const OP_DEFS: { readonly [N in OpName]: OpDefOf<N> } = {
  constant,
  // elementwise
  neg: ew.neg,
  abs: ew.abs,
  exp: ew.exp,
  log: ew.log,
  sqrt: ew.sqrt,
  rsqrt: ew.rsqrt,
  tanh: ew.tanh,
  sigmoid: ew.sigmoid,
  relu: ew.relu,
  sign: ew.sign,
  step: ew.step,
  sin: ew.sin,
  cos: ew.cos,
  add: ew.add,
  sub: ew.sub,
  mul: ew.mul,
  div: ew.div,
  pow: ew.pow,
  max: ew.max,
  min: ew.min,
  eq: ew.eq,
  ne: ew.ne,
  lt: ew.lt,
  le: ew.le,
  gt: ew.gt,
  ge: ew.ge,
  where: ew.where,
  cast: ew.cast,
  // reductions
  reduce_sum,
  reduce_max,
  argmax,
  // movement
  reshape,
  broadcast_to,
  transpose,
  slice,
  pad,
  concat,
  // the rest
  matmul,
  gather,
  one_hot,
  random_uniform,
  random_normal,
  // composites
  mean: composites.mean,
  softmax: composites.softmax,
  log_softmax: composites.log_softmax,
  identity: composites.identity,
  square: composites.square,
  clip: composites.clip,
  dense: composites.dense,
  mae: losses.mae,
  mse: losses.mse,
  binary_cross_entropy: losses.binary_cross_entropy,
  sigmoid_cross_entropy: losses.sigmoid_cross_entropy,
  softmax_cross_entropy: losses.softmax_cross_entropy,
  softmax_cross_entropy_onehot: losses.softmax_cross_entropy_onehot,
  l1_penalty: losses.l1_penalty,
  l2_penalty: losses.l2_penalty,
  dropout: nn.dropout,
  accuracy,
  binary_accuracy,
  conv2d,
  max_pool2d,
  avg_pool2d,
  global_avg_pool2d,
  upsample2d,
  layer_norm: nn.layer_norm,
};

// The types tie each entry to its name; this catches a definition filed under another name.
for (const [key, def] of Object.entries(OP_DEFS)) {
  if (def.name !== key) throw new Error(`op registry: entry '${key}' holds the definition of '${def.name}'`);
}

/** Every op, by name. */
export const OPS: ReadonlyMap<string, OpDef> = new Map(Object.entries(OP_DEFS) as [OpName, OpDef][]);

/** The definition of op N. */
export function opDef<N extends OpName>(name: N): OpDefOf<N> {
  return OP_DEFS[name] as OpDefOf<N>;
}

/** The definition of an op, or an 'unknown-op' error listing near names. */
export function getOp(name: string, span?: SourceSpan): OpDef {
  if (isOpName(name)) return OP_DEFS[name];
  const near = [...OPS.keys()].filter((k) => k.includes(name) || name.includes(k)).slice(0, 5);
  fail('unknown-op', `unknown op '${name}'` + (near.length ? ` (did you mean ${near.join(', ')}?)` : ''), span);
}
