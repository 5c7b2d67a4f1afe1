// Constant folding: a node whose operands are all constants is evaluated at compile time by its
// op's reference implementation (the code the reference backend runs) and becomes a constant of
// the same name and type. The operands stay; dce drops them once nothing reads them.
//
//   %a = constant() {dtype=f32, shape=[], value=[2]} : f32[]
//   %b = constant() {dtype=f32, shape=[B], value=[3]} : f32[B]
//   %k = constant() {dtype=f32, shape=[2, 3], value=[1, 2, 3, 4, 5, 6]} : f32[2, 3]
//   %c = mul(%a, %b) : f32[B]                  -->  %c = constant() {dtype=f32, shape=[B], value=[6]} : f32[B]
//   %t = transpose(%k) {perm=[1, 0]} : f32[3, 2]    %t = constant() {dtype=f32, shape=[3, 2], value=[1, 4, 2, 5, 3, 6]} : f32[3, 2]
//
// Splats stay splats: an elementwise op of splats, a rearrangement or a reduction of a splat is
// computed on one element, at any shape, symbolic ones included, and any result whose elements
// are all equal is written as one value. Other results need concrete shapes and are folded only
// up to `maxElements` elements, so a large broadcast stays an op instead of a huge literal.
// Folds compute in f32, as an f32 run does (a run in f64, for gradient checks, sees the f32
// results). Random ops are never folded: a draw is made where it is used (and one keyed by the
// step changes every run). Nor is a node whose evaluation fails (an out-of-range gather index):
// its error belongs to run time, with the node's span.

import { KilnError } from '../ir/errors.js';
import type { Graph, Node, NodeOf } from '../ir/graph.js';
import type { AnyPrimitiveDef, Attrs, EvalContext } from '../ir/op.js';
import { getOp } from '../ir/ops/index.js';
import { arrayFor, isConcrete, normalizeAxes, numel } from '../ir/types.js';
import type { DType, Dim, Tensor } from '../ir/types.js';

export interface FoldOptions {
  /** The most elements a folded non-splat constant may hold (default FOLD_LIMIT). */
  maxElements?: number;
}

export const FOLD_LIMIT = 4096;

/** The most elements one fold may materialize (operands and result): compile time stays bounded. */
const WORK_LIMIT = 1 << 16;

/** Folds at compile time compute in the program's own precision, as an f32 run does. */
const ctx: EvalContext = { alloc: arrayFor };

type Constant = NodeOf<'constant'>;

export function constantFold(g: Graph, options: FoldOptions = {}): Graph {
  const limit = options.maxElements ?? FOLD_LIMIT;
  const constants = new Map<string, Constant>();
  let changed = false;
  const nodes = g.nodes.map((n) => {
    if (n.op === 'constant') {
      constants.set(n.name, n);
      return n;
    }
    const def = getOp(n.op);
    if (def.kind !== 'primitive' || def.category === 'random') return n;
    const operands = n.inputs.map((v) => constants.get(v));
    if (!operands.every((c): c is Constant => c !== undefined)) return n;
    const value = fold(def, n, operands, limit);
    if (value === undefined) return n;
    const folded: Constant = { name: n.name, op: 'constant', inputs: [], attrs: { dtype: n.type.dtype, shape: [...n.type.shape], value }, type: n.type };
    if (n.span) folded.span = n.span;
    constants.set(n.name, folded);
    changed = true;
    return folded;
  });
  return changed ? { ...g, nodes } : g;
}

/** The value list of the folded constant, or undefined to leave the node as it is. */
function fold(def: AnyPrimitiveDef, n: Node, operands: readonly Constant[], limit: number): number[] | undefined {
  const splats = operands.map(splatValue);
  if (splats.every((s): s is number => s !== undefined)) {
    const s = foldSplats(def, n, operands, splats);
    if (s !== undefined) return [s];
  }
  const out = n.type.shape;
  if (!isConcrete(out) || !operands.every((c) => isConcrete(c.type.shape))) return undefined;
  const work = numel(out) + operands.reduce((sum, c) => sum + numel(c.type.shape as number[]), 0);
  if (work > WORK_LIMIT) return undefined;
  const result = evaluate(def, operands.map(materialize), n.attrs, n.type.dtype, [...out]);
  if (!result) return undefined;
  const values = Array.from(result.data);
  if (values.length === 0) return [0]; // an empty tensor: any one value fills it
  if (values.every((v) => Object.is(v, values[0]))) return [values[0]!];
  return values.length <= limit ? values : undefined;
}

/**
 * The one value of an op applied to splats, where the result is a splat: elementwise ops,
 * rearrangements, reductions and matmul. Each is evaluated by the op itself on a small stand-in
 * (one element, or one reduced row), so symbolic and large shapes fold too.
 */
function foldSplats(def: AnyPrimitiveDef, n: Node, operands: readonly Constant[], splats: readonly number[]): number | undefined {
  const dtype = n.type.dtype;
  const scalar = (c: Node, v: number): Tensor => tensorOf(c.type.dtype, [], [v]);
  switch (def.category) {
    case 'elementwise':
      return evaluate(
        def,
        operands.map((c, i) => scalar(c, splats[i]!)),
        n.attrs,
        dtype,
        [],
      )?.data[0];
    case 'movement': {
      const s = splats[0]!;
      if (n.op === 'concat') return splats.every((v) => Object.is(v, s)) ? s : undefined;
      if (n.op === 'pad') {
        const padding = [...n.attrs.before, ...n.attrs.after];
        const fill = tensorOf(dtype, [], [n.attrs.value]).data[0]!;
        return padding.every((p) => p === 0) || Object.is(fill, s) ? s : undefined;
      }
      return s; // reshape, broadcast_to, transpose, slice: the same elements, rearranged
    }
    case 'reduce': {
      const shape = operands[0]!.type.shape;
      if (n.op !== 'argmax' && n.op !== 'reduce_sum' && n.op !== 'reduce_max') return undefined;
      const axes = n.op === 'argmax' ? normalizeAxes([n.attrs.axis], shape.length, n.op) : normalizeAxes(n.attrs.axes, shape.length, n.op);
      const count = reducedCount(shape, axes);
      if (count === undefined || count > WORK_LIMIT) return undefined;
      // One output element reduces `count` equal elements: reduce a row of them.
      const row = tensorOf(operands[0]!.type.dtype, [count], new Array<number>(count).fill(splats[0]!));
      const attrs: Attrs = n.op === 'argmax' ? { axis: 0, keepdims: false } : { axes: [0], keepdims: false };
      return evaluate(def, [row], attrs, dtype, [])?.data[0];
    }
    case 'matmul': {
      const k = operands[0]!.type.shape.at(-1)!;
      if (typeof k !== 'number' || k > WORK_LIMIT) return undefined;
      const [a, b] = operands.map((c, i) => tensorOf(c.type.dtype, i === 0 ? [1, k] : [k, 1], new Array<number>(k).fill(splats[i]!)));
      return evaluate(def, [a!, b!], n.attrs, dtype, [1, 1])?.data[0];
    }
    default:
      return undefined; // gather and one_hot depend on where each index points
  }
}

/** The number of elements one output element of a reduction covers, if the reduced dims are concrete. */
function reducedCount(shape: readonly Dim[], axes: readonly number[]): number | undefined {
  let count = 1;
  for (const a of axes) {
    const d = shape[a]!;
    if (typeof d !== 'number') return undefined;
    count *= d;
  }
  return count;
}

/** The value every element of a constant holds (rounded to its dtype), if they are all equal. */
export function splatValue(c: Constant): number | undefined {
  const values = c.attrs.value;
  const data = tensorOf(c.type.dtype, [values.length], values).data;
  const first = data[0];
  if (first === undefined) return undefined;
  for (let i = 1; i < data.length; i++) if (!Object.is(data[i], first)) return undefined;
  return first;
}

function tensorOf(dtype: DType, shape: number[], values: readonly number[]): Tensor {
  const data = arrayFor(dtype, values.length);
  data.set(values);
  return { dtype, shape, data };
}

/** A constant node's tensor (its shape is concrete). */
function materialize(c: Constant): Tensor {
  const shape = [...(c.type.shape as number[])];
  const values = c.attrs.value;
  const data = arrayFor(c.type.dtype, numel(shape));
  if (values.length === 1) data.fill(values[0]!);
  else data.set(values);
  return { dtype: c.type.dtype, shape, data };
}

/** The op's reference result, or undefined where it fails: such a node is left to fail at run time. */
function evaluate(def: AnyPrimitiveDef, inputs: readonly Tensor[], attrs: Attrs, dtype: DType, shape: number[]): Tensor | undefined {
  try {
    return def.evaluate(inputs, attrs as never, { dtype, shape }, ctx);
  } catch (e) {
    if (e instanceof KilnError) return undefined;
    throw e;
  }
}
