// The optimization pipeline: the graph passes in the order they run, by name, so that any stage
// can be dumped (`kiln inspect --after simplify`) and checked (the verifier between passes).
//
//   graph (composites, symbolic dims)  --decompose, specialize-->  primitives, concrete shapes
//   --constant-fold, simplify, cse, dce (twice)-->  the smaller graph that fusion receives

import { fail, KilnError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { verify } from '../ir/verify.js';
import { constantFold } from './constant-fold.js';
import { cse } from './cse.js';
import { dce } from './dce.js';
import { decompose } from './decompose.js';
import { simplify } from './simplify.js';
import { specialize } from './specialize.js';

export interface PassOptions {
  /** Sizes of symbolic dims, for specialize. */
  shapes?: Readonly<Record<string, number>>;
}

export interface Pass {
  name: string;
  run(g: Graph, options: PassOptions): Graph;
}

export const PASSES: readonly Pass[] = [
  // Composites become the primitives they are defined as; every later pass sees primitives only.
  { name: 'decompose', run: (g) => decompose(g) },
  // Symbolic dims get their sizes, so folding can count elements (mean's divisor over B).
  { name: 'specialize', run: (g, o) => specialize(g, o) },
  // Ops of constants become constants: divisors, optimizer coefficients, splats broadcast.
  { name: 'constant-fold', run: (g) => constantFold(g) },
  // Algebraic identities: x * 1, reshape of reshape, transposes that cancel, ...
  { name: 'simplify', run: (g) => simplify(g) },
  // Equal computations become one (the gradient graph repeats transposes and broadcasts).
  { name: 'cse', run: (g) => cse(g) },
  // What nothing reads any more goes: folded operands, replaced nodes, merged duplicates.
  { name: 'dce', run: (g) => dce(g) },
  // Once more: merged operands make new identities and constants (where(c, x, x) once both
  // sides are one value), and new identities new duplicates.
  { name: 'constant-fold-2', run: (g) => constantFold(g) },
  { name: 'simplify-2', run: (g) => simplify(g) },
  { name: 'cse-2', run: (g) => cse(g) },
  { name: 'dce-2', run: (g) => dce(g) },
];

export const PASS_NAMES: readonly string[] = PASSES.map((p) => p.name);

export interface PipelineOptions extends PassOptions {
  /** Run the verifier after every pass (tests and debugging): a pass that breaks the graph is named. */
  verify?: boolean;
  /** Stop after the pass of this name. */
  until?: string;
  /** Called with each pass's result. */
  onPass?: (name: string, graph: Graph) => void;
}

/** The passes that run for `until`: all of them, or those up to and including it. */
export function passesUntil(until: string | undefined): readonly Pass[] {
  if (until === undefined) return PASSES;
  const i = PASS_NAMES.indexOf(until);
  if (i < 0) fail('usage', `unknown pass '${until}' (the passes, in order: ${PASS_NAMES.join(', ')})`);
  return PASSES.slice(0, i + 1);
}

export function runPipeline(g: Graph, options: PipelineOptions = {}): Graph {
  const passes = passesUntil(options.until);
  const passOptions: PassOptions = options.shapes ? { shapes: options.shapes } : {};
  for (const pass of passes) {
    g = pass.run(g, passOptions);
    if (options.verify) verifyAfter(pass.name, g);
    options.onPass?.(pass.name, g);
  }
  return g;
}

function verifyAfter(pass: string, g: Graph): void {
  try {
    verify(g);
  } catch (e) {
    if (e instanceof KilnError) throw new KilnError(e.code, `after pass ${pass}: ${e.detail}`, e.span);
    throw e;
  }
}

export interface PassStats {
  /** The pass, or '(input)' for the graph before any pass. */
  pass: string;
  nodes: number;
  byOp: Record<string, number>;
}

/** The node count, in all and by op, of the graph given and after each pass. */
export function passStats(g: Graph, options: Omit<PipelineOptions, 'onPass'> = {}): PassStats[] {
  const count = (pass: string, graph: Graph): PassStats => {
    const byOp: Record<string, number> = {};
    for (const n of graph.nodes) byOp[n.op] = (byOp[n.op] ?? 0) + 1;
    return { pass, nodes: graph.nodes.length, byOp };
  };
  const stats = [count('(input)', g)];
  runPipeline(g, { ...options, onPass: (pass, graph) => stats.push(count(pass, graph)) });
  return stats;
}
