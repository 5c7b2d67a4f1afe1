// Shape specialization: binds every symbolic dim to a size, so later passes and backends see
// concrete shapes only.
//
//   input x: f32[B, 784]            --{ B: 32 }-->   input x: f32[32, 784]
//   %t0 = matmul(%x, %w) : f32[B, 10]                %t0 = matmul(%x, %w) : f32[32, 10]

import { bindShapes } from '../ir/bind.js';
import type { Graph } from '../ir/graph.js';

export interface SpecializeOptions {
  shapes?: Readonly<Record<string, number>>;
}

export function specialize(g: Graph, options: SpecializeOptions = {}): Graph {
  return bindShapes(g, options.shapes);
}
