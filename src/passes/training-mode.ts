// Training mode: sets the `training` attribute of every op that has one (dropout), so one
// model yields its training step and its evaluation program.
//
//   %h = dropout(%x) {rate=0.5, seed=1, training=true}   --(false)-->   ... training=false}

import type { Graph } from '../ir/graph.js';
import { getOp } from '../ir/ops/index.js';

export function setTrainingMode(g: Graph, training: boolean): Graph {
  const nodes = g.nodes.map((n) =>
    Object.hasOwn(getOp(n.op).attrs, 'training') && n.attrs['training'] !== training ? { ...n, attrs: { ...n.attrs, training } } : n,
  );
  return nodes.every((n, i) => n === g.nodes[i]) ? g : { ...g, nodes };
}
