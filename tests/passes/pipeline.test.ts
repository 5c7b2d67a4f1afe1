// The pass pipeline: its order, golden IR through it, stopping after a named pass, the verifier
// between passes, and node counts per pass.

import { describe, expect, test } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { parseGraph, printGraph } from '../../src/ir/text.js';
import { PASS_NAMES, passStats, runPipeline } from '../../src/passes/pipeline.js';
import { catchKiln } from '../catch-kiln.js';

// A mean over a symbolic axis (its divisor is counted in the graph) and one softmax written twice.
const model = (): Graph =>
  parseGraph(`graph m {
  input x: f32[B, 3]
  input y: f32[B, 3]
  %m = mean(%x) {axes=[0]} : f32[3]
  %s = softmax(%y) {axis=1} : f32[B, 3]
  %t = softmax(%y) {axis=-1} : f32[B, 3]
  %u = add(%s, %t) : f32[B, 3]
  %v = mul(%u, %m) : f32[B, 3]
  output v = %v
}
`);

describe('the pipeline', () => {
  test('passes run in this order', () => {
    expect(PASS_NAMES).toEqual(['decompose', 'specialize', 'constant-fold', 'simplify', 'cse', 'dce', 'constant-fold-2', 'simplify-2', 'cse-2', 'dce-2']);
  });

  test('golden: the divisor is counted, folded and made a multiplication; the second softmax goes', () => {
    expect(printGraph(runPipeline(model(), { shapes: { B: 4 }, verify: true }))).toBe(`graph m {
  input x: f32[4, 3]
  input y: f32[4, 3]
  %m.0 = reduce_sum(%x) {axes=[0], keepdims=false} : f32[3]
  %m.3 = constant() {dtype=f32, shape=[3], value=[0.25]} : f32[3]
  %m = mul(%m.0, %m.3) : f32[3]
  %s.4 = reduce_max(%y) {axes=[1], keepdims=true} : f32[4, 1]
  %s.5 = sub(%y, %s.4) : f32[4, 3]
  %s.6 = exp(%s.5) : f32[4, 3]
  %s.7 = reduce_sum(%s.6) {axes=[1], keepdims=true} : f32[4, 1]
  %s = div(%s.6, %s.7) : f32[4, 3]
  %u = add(%s, %s) : f32[4, 3]
  %v = mul(%u, %m) : f32[4, 3]
  output v = %v
}
`);
  });

  test('until stops after the named pass', () => {
    const g = runPipeline(model(), { shapes: { B: 4 }, until: 'specialize' });
    const text = printGraph(g);
    expect(text).toContain('%m.1 = constant() {dtype=f32, shape=[4, 3], value=[1]} : f32[4, 3]');
    expect(text).toContain('%m.2 = reduce_sum(%m.1) {axes=[0], keepdims=false} : f32[3]');
    expect(g.nodes.length).toBe(16);
    const seen: string[] = [];
    runPipeline(model(), { shapes: { B: 4 }, until: 'cse', onPass: (name) => seen.push(name) });
    expect(seen).toEqual(['decompose', 'specialize', 'constant-fold', 'simplify', 'cse']);
  });

  test('an unknown pass name is a usage error listing the passes', () => {
    const e = catchKiln(() => runPipeline(model(), { until: 'fold' }));
    expect(e.code).toBe('usage');
    expect(e.message).toBe("unknown pass 'fold' (the passes, in order: decompose, specialize, constant-fold, simplify, cse, dce, constant-fold-2, simplify-2, cse-2, dce-2)");
  });

  test('symbolic dims need shapes once specialize runs', () => {
    expect(printGraph(runPipeline(model(), { until: 'decompose' }))).toContain('input x: f32[B, 3]');
    const e = catchKiln(() => runPipeline(model()));
    expect(e.code).toBe('bind');
    expect(e.message).toBe("unbound symbolic dimension 'B' (first in input x: f32[B, 3]); pass shapes: { B: <size> }");
  });

  test('with verify, a graph the verifier rejects is reported with the pass that left it', () => {
    const g = parseGraph(`graph g {
  input x: f32[3]
  %y = exp(%x) : f32[3]
  output y = %y
}
`);
    g.nodes[0]!.type = { dtype: 'f32', shape: [4] };
    const e = catchKiln(() => runPipeline(g, { verify: true }));
    expect(e.code).toBe('verify');
    expect(e.message).toBe('after pass decompose: node %y = exp(%x) : f32[4]: recorded type f32[4] differs from the inferred type f32[3]');
  });

  test('passStats counts nodes, in all and by op, before and after each pass', () => {
    const stats = passStats(model(), { shapes: { B: 4 } });
    expect(stats.map((s) => [s.pass, s.nodes])).toEqual([
      ['(input)', 5],
      ['decompose', 16],
      ['specialize', 16],
      ['constant-fold', 16],
      ['simplify', 17],
      ['cse', 12],
      ['dce', 10],
      ['constant-fold-2', 10],
      ['simplify-2', 10],
      ['cse-2', 10],
      ['dce-2', 10],
    ]);
    expect(stats[0]!.byOp).toEqual({ mean: 1, softmax: 2, add: 1, mul: 1 });
    expect(stats.at(-1)!.byOp).toEqual({ reduce_sum: 2, constant: 1, mul: 2, reduce_max: 1, sub: 1, exp: 1, div: 1, add: 1 });
    for (const s of stats) expect(Object.values(s.byOp).reduce((a, b) => a + b, 0)).toBe(s.nodes);
    expect(passStats(model(), { until: 'decompose' }).map((s) => s.pass)).toEqual(['(input)', 'decompose']);
  });
});
