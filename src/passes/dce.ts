// Dead-code elimination: drops nodes whose values reach no output and no update. Inputs and
// parameters stay: they are the program's interface.
//
//   %a = exp(%x)                        %b = neg(%x)
//   %b = neg(%x)            -->         output y = %b
//   output y = %b

import type { Graph } from '../ir/graph.js';

export function dce(g: Graph): Graph {
  const live = new Set<string>([...g.outputs.map((o) => o.value), ...g.updates.map((u) => u.value)]);
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k]!;
    if (live.has(n.name)) for (const i of n.inputs) live.add(i);
  }
  const nodes = g.nodes.filter((n) => live.has(n.name));
  return nodes.length === g.nodes.length ? g : { ...g, nodes };
}
