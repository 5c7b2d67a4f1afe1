// Decomposition: replaces every composite op by the primitives it is defined as, so backends
// implement primitives only.
//
//   %p = softmax(%x) {axis=-1}   -->   %p.0 = reduce_max(%x) {axes=[1], keepdims=true}
//                                      %p.1 = sub(%x, %p.0)
//                                      %p.2 = exp(%p.1)
//                                      %p.3 = reduce_sum(%p.2) {axes=[1], keepdims=true}
//                                      %p = div(%p.2, %p.3)        the result keeps its name

import { expandComposites } from '../ir/emit.js';
import type { Graph } from '../ir/graph.js';

export function decompose(g: Graph): Graph {
  return expandComposites(g);
}
