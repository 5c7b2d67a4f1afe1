// Batch independence: proves that every output of a graph computes row i of the batch from
// example i alone, so that a runtime may pad a smaller batch up to the compiled size and slice
// the outputs. The proof follows the batch dim of the inputs through the graph: each value is
// either free of the examples or carries them along exactly one axis, on which no op may mix
// (reduce, contract, gather across, broadcast one example over, or move examples between rows).
//
//   %h = matmul(%x, %w)  : f32[B, 10]      batch on axis 0 (rows of a)
//   %s = reduce_sum(%h, axes=[1])          batch on axis 0 (another axis reduced)
//   %m = reduce_sum(%s, axes=[0])          refused: sums over the batch

import { fail } from '../ir/errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { getOp } from '../ir/ops/index.js';
import type { Dim, Shape } from '../ir/types.js';

/** Which inputs and outputs carry the batch (always on axis 0). */
export interface BatchPlan {
  dim: string;
  inputs: string[];
  outputs: string[];
}

/** The axis of a value that carries the examples, or null when it does not depend on them. */
type Axis = number | null;

const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

function refuse(n: Node, why: string, dim: string): never {
  fail(
    'usage',
    `variable batch: node '${n.name}' (${n.op}) ${why}, so a row of a smaller batch would depend on other rows or on the padding; export with a fixed ${dim} instead`,
    n.span,
  );
}

/** The output axis of an operand's batch axis under right-aligned broadcasting, checking that the examples are not broadcast. */
function aligned(n: Node, axis: number, from: Shape, to: Shape, dim: string): number {
  const out = axis + to.length - from.length;
  if (from[axis] !== to[out]) refuse(n, `broadcasts the batch axis ${axis} (${String(from[axis])}) to ${String(to[out])}`, dim);
  return out;
}

/** One axis for the result from several operands' contributions; null entries are free operands. */
function agree(n: Node, axes: Axis[], dim: string): Axis {
  const carried = [...new Set(axes.filter((a): a is number => a !== null))];
  if (carried.length > 1) refuse(n, `combines operands whose examples lie on different axes (${carried.join(' and ')})`, dim);
  return carried[0] ?? null;
}

const product = (dims: readonly Dim[]): number | undefined => (dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a * b, 1) : undefined);

/** The result's batch axis for node `n`, given its operands' (at least one not null). */
function step(n: Node, axes: Axis[], shapes: Shape[], dim: string): Axis {
  const out = n.type.shape;
  const [a, b] = axes;
  const op = getOp(n.op);
  if (op.category === 'elementwise')
    return agree(
      n,
      axes.map((ax, i) => (ax === null ? null : aligned(n, ax, shapes[i]!, out, dim))),
      dim,
    );
  switch (n.op) {
    case 'reduce_sum':
    case 'reduce_max':
    case 'argmax': {
      const rank = shapes[0]!.length;
      const reduced = n.op === 'argmax' ? [norm(n.attrs.axis, rank)] : n.attrs.axes.map((x) => norm(x, rank));
      if (reduced.includes(a!)) refuse(n, `reduces over the batch axis ${a}`, dim);
      return n.attrs.keepdims ? a! : a! - reduced.filter((x) => x < a!).length;
    }
    case 'broadcast_to':
      return aligned(n, a!, shapes[0]!, out, dim);
    case 'transpose':
      return n.attrs.perm.indexOf(a!);
    case 'reshape': {
      const j = out.findIndex((d, i) => d === shapes[0]![a!] && product(out.slice(0, i)) !== undefined && product(out.slice(0, i)) === product(shapes[0]!.slice(0, a!)));
      if (j < 0) refuse(n, `reshapes ${String(shapes[0]![a!])} examples on axis ${a} into other axes`, dim);
      return j;
    }
    case 'slice':
      if (shapes[0]![a!] !== out[a!] || n.attrs.begin[a!] !== 0 || n.attrs.stride[a!] !== 1) refuse(n, `slices the batch axis ${a}`, dim);
      return a!;
    case 'pad':
      if (n.attrs.before[a!] !== 0 || n.attrs.after[a!] !== 0) refuse(n, `pads the batch axis ${a}`, dim);
      return a!;
    case 'concat': {
      const axis = agree(n, axes, dim)!;
      if (norm(n.attrs.axis, out.length) === axis) refuse(n, `concatenates along the batch axis ${axis}`, dim);
      return axis;
    }
    case 'one_hot':
      return a!;
    case 'matmul': {
      const [ra, rb] = [shapes[0]!.length, shapes[1]!.length];
      if (a === ra - 1 || b === rb - 2) refuse(n, 'contracts over the batch axis', dim);
      const fromA = a === null ? null : a === ra - 2 ? out.length - 2 : aligned(n, a!, shapes[0]!.slice(0, -2), out.slice(0, -2), dim);
      const fromB = b === null ? null : b === rb - 1 ? out.length - 1 : aligned(n, b!, shapes[1]!.slice(0, -2), out.slice(0, -2), dim);
      return agree(n, [fromA, fromB], dim);
    }
    case 'gather': {
      const axis = norm(n.attrs.axis, shapes[0]!.length);
      if (a === axis) refuse(n, `gathers along the batch axis ${axis}: indices pick examples`, dim);
      const fromTable = a === null ? null : a < axis ? a : a + shapes[1]!.length - 1;
      return agree(n, [fromTable, b === null ? null : axis + b!], dim);
    }
    default:
      return refuse(n, 'is not known to keep examples apart', dim);
  }
}

/**
 * Proves that `g`'s outputs are batch independent in symbolic dim `dim` (see the top of this
 * file), or fails naming the first node that mixes examples. `g` holds primitives only
 * (expandComposites) and is not yet specialized. Every input whose shape has `dim` must have it
 * on axis 0 and every output depending on them must carry the batch on axis 0.
 */
export function batchPlan(g: Graph, dim: string): BatchPlan {
  const axes = new Map<string, Axis>();
  const shapes = new Map<string, Shape>();
  const inputs: string[] = [];
  for (const i of g.inputs) {
    const at = i.type.shape.indexOf(dim);
    if (at > 0) fail('usage', `variable batch: input '${i.name}' has ${dim} on axis ${at}; the batch must be its first axis`);
    axes.set(i.name, at === 0 ? 0 : null);
    shapes.set(i.name, i.type.shape);
    if (at === 0) inputs.push(i.name);
  }
  if (inputs.length === 0)
    fail('usage', `variable batch: no input of '${g.name}' has ${dim} as its first dim (inputs: ${g.inputs.map((i) => `${i.name}: [${i.type.shape.join(', ')}]`).join(', ')})`);
  for (const p of g.params) {
    if (p.type.shape.includes(dim)) fail('usage', `variable batch: parameter '${p.name}' has ${dim} in its shape, so its size would change with the batch`);
    axes.set(p.name, null);
    shapes.set(p.name, p.type.shape);
  }
  for (const n of g.nodes) {
    const operands = n.inputs.map((v) => axes.get(v)!);
    const random = getOp(n.op).category === 'random';
    axes.set(
      n.name,
      random || operands.every((x) => x === null)
        ? null
        : step(
            n,
            operands,
            n.inputs.map((v) => shapes.get(v)!),
            dim,
          ),
    );
    shapes.set(n.name, n.type.shape);
  }
  const outputs: string[] = [];
  for (const o of g.outputs) {
    const axis = axes.get(o.value)!;
    const shape = shapes.get(o.value)!;
    if (axis === null && !shape.includes(dim)) continue; // the same for every batch: nothing to slice
    if ((axis ?? shape.indexOf(dim)) !== 0) fail('usage', `variable batch: output '${o.name}' carries the batch on axis ${axis ?? shape.indexOf(dim)}; it must be the first axis`);
    outputs.push(o.name);
  }
  return { dim, inputs, outputs };
}
