// Training mode: sets the `training` attribute of every op that has one (dropout), so one
// model yields its training step and its evaluation program.
//
//   %h = dropout(%x) {rate=0.5, seed=1, training=true}   --(false)-->   ... training=false}

import { withAttrs } from '../ir/graph.js';
import type { Graph, Node, NodeWithAttr } from '../ir/graph.js';
import { getOp } from '../ir/ops/index.js';

const hasTraining = (n: Node): n is NodeWithAttr<'training', boolean> => Object.hasOwn(getOp(n.op).attrs, 'training');

export function setTrainingMode(g: Graph, training: boolean): Graph {
  const nodes = g.nodes.map((n): Node => (hasTraining(n) && n.attrs.training !== training ? withAttrs(n, { training }) : n));
  return nodes.every((n, i) => n === g.nodes[i]) ? g : { ...g, nodes };
}
