// Reseeding: mixes one seed into every source of randomness of a graph (parameter
// initializers, random ops, dropout), so `seed` picks a whole new, reproducible draw.
//
//   param w: f32[2, 2] = glorot_uniform(seed=7)   --(seed 1)-->   glorot_uniform(seed=<mix(1, 7)>)

import { withAttrs } from '../ir/graph.js';
import type { Graph, Node, NodeWithAttr } from '../ir/graph.js';
import { INITIALIZERS } from '../ir/init.js';
import { getOp } from '../ir/ops/index.js';
import { mix32 } from '../ir/random.js';

/** A new seed from a base seed and an original one; keeps within the i32 attribute range. */
function mixSeed(seed: number, original: number): number {
  return mix32(mix32(seed) ^ original) | 0;
}

const isSeeded = (n: Node): n is NodeWithAttr<'seed', number> => Object.hasOwn(getOp(n.op).attrs, 'seed');

export function reseed(g: Graph, seed: number): Graph {
  const params = g.params.map((p) => {
    if (!Object.hasOwn(INITIALIZERS[p.init.fn]?.args ?? {}, 'seed')) return p;
    const original = typeof p.init.args['seed'] === 'number' ? p.init.args['seed'] : 0;
    return { ...p, init: { fn: p.init.fn, args: { ...p.init.args, seed: mixSeed(seed, original) } } };
  });
  const nodes = g.nodes.map((n): Node => (isSeeded(n) ? withAttrs(n, { seed: mixSeed(seed, n.attrs.seed) }) : n));
  return { ...g, params, nodes };
}
