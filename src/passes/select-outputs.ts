// Output selection for inference export: keeps the named outputs, drops the updates, every node
// they do not need, and the inputs and parameters left unread (the labels of a loss, say).
//
//   input x, input y                       input x
//   %logits = dense(%x, ...)     --{ logits }-->   %logits = dense(%x, ...)
//   %loss = softmax_cross_entropy(%logits, %y)     output logits = %logits
//   output loss = %loss, output logits = %logits

import { KilnError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { dce } from './dce.js';

/** `g` computing only `names` (in that order); an unknown name is an error listing the graph's outputs. */
export function selectOutputs(g: Graph, names: readonly string[]): Graph {
  if (names.length === 0) throw new KilnError('usage', `outputs: name at least one of the outputs of '${g.name}' (${g.outputs.map((o) => o.name).join(', ') || 'none'})`);
  const outputs = names.map((name) => {
    const o = g.outputs.find((x) => x.name === name);
    if (!o) throw new KilnError('usage', `outputs: '${name}' is not an output of '${g.name}' (its outputs: ${g.outputs.map((x) => x.name).join(', ') || 'none'})`);
    return o;
  });
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new KilnError('usage', `outputs: '${twice}' is named twice`);
  return keepOutputs(g, outputs);
}

/** `g` with just `outputs` (its own, in any order) and no updates: the nodes, inputs and parameters they do not read are gone. */
export function keepOutputs(g: Graph, outputs: Graph['outputs']): Graph {
  const pruned = dce({ ...g, outputs, updates: [] });
  const used = new Set([...pruned.nodes.flatMap((n) => n.inputs), ...outputs.map((o) => o.value)]);
  return { ...pruned, inputs: g.inputs.filter((i) => used.has(i.name)), params: g.params.filter((p) => used.has(p.name)) };
}
