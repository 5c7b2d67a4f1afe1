// The op registry: every op Kiln knows, by name. Adding an op is adding one entry here and its
// definition beside the others of its kind.

import { fail } from '../errors.js';
import type { SourceSpan } from '../errors.js';
import type { OpDef } from '../op.js';
import * as composites from './composites.js';
import { constant } from './constant.js';
import * as ew from './elementwise.js';
import { gather, one_hot } from './indexing.js';
import { matmul } from './linalg.js';
import * as losses from './losses.js';
import { broadcast_to, concat, pad, reshape, slice, transpose } from './movement.js';
import { accuracy, binary_accuracy } from './metrics.js';
import { dropout } from './nn.js';
import { random_normal, random_uniform } from './random.js';
import { argmax, reduce_max, reduce_sum } from './reduce.js';

const defs: readonly OpDef<any>[] = [
  constant,
  // elementwise
  ew.neg, ew.abs, ew.exp, ew.log, ew.sqrt, ew.rsqrt, ew.tanh, ew.sigmoid, ew.relu, ew.sign, ew.step, ew.sin, ew.cos,
  ew.add, ew.sub, ew.mul, ew.div, ew.pow, ew.max, ew.min,
  ew.eq, ew.ne, ew.lt, ew.le, ew.gt, ew.ge,
  ew.where, ew.cast,
  // reductions
  reduce_sum, reduce_max, argmax,
  // movement
  reshape, broadcast_to, transpose, slice, pad, concat,
  // the rest
  matmul, gather, one_hot, random_uniform, random_normal,
  // composites
  composites.mean, composites.softmax, composites.log_softmax, composites.identity, composites.square,
  composites.clip, composites.dense,
  losses.mae, losses.mse, losses.binary_cross_entropy, losses.sigmoid_cross_entropy,
  losses.softmax_cross_entropy, losses.softmax_cross_entropy_onehot, losses.l1_penalty, losses.l2_penalty,
  dropout,
  accuracy, binary_accuracy,
];

/** Every op, by name. */
export const OPS: ReadonlyMap<string, OpDef> = new Map(defs.map((d) => [d.name, d as unknown as OpDef]));

/** The definition of an op, or an 'unknown-op' error listing near names. */
export function getOp(name: string, span?: SourceSpan): OpDef {
  const def = OPS.get(name);
  if (def) return def;
  const near = [...OPS.keys()].filter((k) => k.includes(name) || name.includes(k)).slice(0, 5);
  fail('unknown-op', `unknown op '${name}'` + (near.length ? ` (did you mean ${near.join(', ')}?)` : ''), span);
}
