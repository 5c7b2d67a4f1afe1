// Common-subexpression elimination: nodes that apply the same op with the same attributes to
// the same operands compute the same value; the first is kept and readers of the others read it.
//
//   %a = exp(%x) : f32[3]                          %a = exp(%x) : f32[3]
//   %b = exp(%x) : f32[3]                   -->    %c = add(%a, %a) : f32[3]
//   %c = add(%a, %b) : f32[3]
//
// Nodes are hashed by (op, operands after merging, attributes as canonical text), so one pass
// in program order finds chains of duplicates. Operands of a commutative op are sorted first.
// Commutativity is the op definition's `commutative` field, the one truth simplify reads too;
// for the elementwise binary ops it comes from their kernel function (runtime/kernel-fns.ts):
// add, mul, max, min, eq and ne, exactly commutative in IEEE and i32 arithmetic
// (Math.max(+0, -0) is +0 in either order). Constants merge when dtype, shape and values are equal; a constant
// whose values are all equal is keyed as its splat. Random ops merge too: a draw is a pure
// function of (seed, key, element index) — counter-based, see ir/random.ts — so two nodes with
// the same seed, key and shape hold the same numbers. The merged node's span is dropped.

import type { Graph, Node } from '../ir/graph.js';
import { getOp } from '../ir/ops/index.js';
import { formatType } from '../ir/types.js';
import { splatValue } from './constant-fold.js';

export function cse(g: Graph): Graph {
  const first = new Map<string, string>();
  const alias = new Map<string, string>();
  const ref = (v: string) => alias.get(v) ?? v;
  const nodes: Node[] = [];
  for (const original of g.nodes) {
    const n = original.inputs.some((v) => alias.has(v)) ? { ...original, inputs: original.inputs.map(ref) } : original;
    const key = keyOf(n);
    const prior = first.get(key);
    if (prior !== undefined) {
      alias.set(n.name, prior);
      continue;
    }
    first.set(key, n.name);
    nodes.push(n);
  }
  if (alias.size === 0) return g;
  return {
    ...g,
    nodes,
    outputs: g.outputs.map((o) => (alias.has(o.value) ? { ...o, value: ref(o.value) } : o)),
    updates: g.updates.map((u) => (alias.has(u.value) ? { ...u, value: ref(u.value) } : u)),
  };
}

/** The text two nodes share exactly when they compute the same value. */
function keyOf(n: Node): string {
  const inputs = getOp(n.op).commutative ? [...n.inputs].sort() : n.inputs;
  let attrs = n.attrs;
  if (n.op === 'constant') {
    const s = splatValue(n);
    if (s !== undefined) attrs = { ...attrs, value: [s] };
  }
  return `${n.op}(${inputs.join(',')}) ${canonical(attrs)} : ${formatType(n.type)}`;
}

/** JSON-like text with sorted keys that tells nan, the infinities and -0 apart (JSON cannot). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
