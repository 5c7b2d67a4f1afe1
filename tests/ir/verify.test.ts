// Tests of the IR verifier: one malformed graph per kind of problem, each with its own message.

import { catchKiln } from '../catch-kiln.js';
import { describe, expect, it } from 'vitest';

import { KilnError } from '../../src/ir/errors.js';
import type { SourceSpan } from '../../src/ir/errors.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { OPS } from '../../src/ir/ops/index.js';
import type { DType, TensorType } from '../../src/ir/types.js';
import { verify } from '../../src/ir/verify.js';
import { sampleGraph } from './op-samples.js';

/** A node as plain data, for the tests that break one on purpose. */
const loose = (n: Node) => n as unknown as { op: string; attrs: Record<string, unknown> };

const t = (dtype: DType, ...shape: (number | string)[]): TensorType => ({ dtype, shape });
const NODE_SPAN: SourceSpan = { file: 'mlp.kiln', line: 3, col: 5 };

/** x: f32[B, 4] -> matmul with w -> reduce_sum over axis 1 -> output y. */
function mlp(): Graph {
  const b = new GraphBuilder('mlp');
  b.input('x', t('f32', 'B', 4), { line: 1, col: 1 });
  b.param('w', t('f32', 4, 2), { fn: 'glorot_uniform', args: { seed: 1 } }, { line: 2, col: 1 });
  const h = b.emit('matmul', ['x', 'w'], {}, NODE_SPAN, 'h');
  const s = b.emit('reduce_sum', [h], { axes: [1] }, undefined, 's');
  b.output('y', s, { line: 9, col: 3 });
  return b.build();
}

/** The KilnError that verify throws on `g`. */
function failure(g: Graph): KilnError {
  return catchKiln(() => verify(g));
}

function expectFailure(g: Graph, ...parts: string[]): KilnError {
  const e = failure(g);
  expect(e.code).toBe('verify');
  for (const p of parts) expect(e.detail).toContain(p);
  return e;
}

describe('verify accepts', () => {
  it('a graph from the builder', () => {
    expect(() => verify(mlp())).not.toThrow();
  });

  it('a sample graph of every op', () => {
    for (const op of OPS.keys()) expect(() => verify(sampleGraph(op)), op).not.toThrow();
  });

  it('initializer arguments with their defaults left out', () => {
    const g = mlp();
    g.params[0]!.init = { fn: 'uniform', args: { seed: 2 } };
    expect(() => verify(g)).not.toThrow();
  });
});

describe('verify rejects', () => {
  it('a graph name that is not an identifier', () => {
    const g = mlp();
    g.name = '2fast';
    expectFailure(g, "graph name '2fast' is not an identifier");
  });

  it('an invalid value name', () => {
    const g = mlp();
    g.inputs[0]!.name = 'x y';
    const e = expectFailure(g, "input x y: invalid value name 'x y'");
    expect(e.span).toEqual({ line: 1, col: 1 });
  });

  it('an invalid node name', () => {
    const g = mlp();
    g.nodes[1]!.name = '.s';
    g.outputs[0]!.value = '.s';
    expectFailure(g, "invalid value name '.s'", 'reduce_sum');
  });

  it('a value defined twice: input and param (SSA)', () => {
    const g = mlp();
    g.params[0]!.name = 'x';
    g.nodes[0]!.inputs = ['x', 'x'];
    expectFailure(g, 'param x: value %x is defined twice (first by input x)', 'SSA');
  });

  it('a value defined twice: a node redefining an earlier node', () => {
    const g = mlp();
    g.nodes[1]!.name = 'h';
    g.outputs[0]!.value = 'h';
    const e = expectFailure(g, 'value %h is defined twice (first by node %h = matmul(%x, %w)');
    expect(e.detail).toMatch(/^node %h = reduce_sum\(%h\)/);
  });

  it('an invalid dtype in an input type', () => {
    const g = mlp();
    (g.inputs[0]!.type as { dtype: string }).dtype = 'f64';
    expectFailure(g, "input x: invalid dtype 'f64' (expected f32, i32, bool)");
  });

  it('an invalid dim in a param type', () => {
    const g = mlp();
    g.params[0]!.type = { dtype: 'f32', shape: [4, -2] };
    expectFailure(g, 'param w: invalid dim -2 at axis 1');
  });

  it('an invalid dim in a node type', () => {
    const g = mlp();
    g.nodes[0]!.type = { dtype: 'f32', shape: ['B', '2x'] };
    const e = expectFailure(g, "invalid dim '2x' at axis 1", 'node %h = matmul');
    expect(e.span).toEqual(NODE_SPAN);
  });

  it('an unknown op', () => {
    const g = mlp();
    loose(g.nodes[1]!).op = 'reduce_summ';
    expectFailure(g, 'node %s = reduce_summ(%h)', "unknown op 'reduce_summ'");
  });

  it('a wrong operand count', () => {
    const g = mlp();
    g.nodes[0]!.inputs = ['x'];
    const e = expectFailure(g, 'node %h = matmul(%x) : f32[B, 2]: matmul takes 2 operand(s) (a, b), got 1');
    expect(e.span).toEqual(NODE_SPAN);
    expect(e.message).toBe(`mlp.kiln:3:5: ${e.detail}`);
  });

  it('an unknown attribute', () => {
    const g = mlp();
    loose(g.nodes[1]!).attrs.axis = 1;
    expectFailure(g, 'node %s = reduce_sum(%h)', "reduce_sum: unknown attribute 'axis' (expected one of: axes, keepdims)");
  });

  it('an attribute named like an Object.prototype member', () => {
    const g = mlp();
    loose(g.nodes[1]!).attrs['constructor'] = 1;
    expectFailure(g, "reduce_sum: unknown attribute 'constructor'");
    const h = mlp();
    h.params[0]!.init.args['toString'] = 1;
    expectFailure(h, "param w: initializer glorot_uniform: unknown attribute 'toString' (expected one of: seed)");
    const i = mlp();
    i.params[0]!.init.fn = 'hasOwnProperty';
    expectFailure(i, "param w: unknown initializer 'hasOwnProperty'");
  });

  it('an ill-typed attribute', () => {
    const g = mlp();
    loose(g.nodes[1]!).attrs.keepdims = 1;
    expectFailure(g, "reduce_sum: attribute 'keepdims' must be true or false, got 1");
  });

  it('a missing required attribute', () => {
    const g = mlp();
    delete loose(g.nodes[1]!).attrs.axes;
    expectFailure(g, "reduce_sum: missing attribute 'axes' (ints)");
  });

  it('a missing attribute that has a default (the stored form is canonical)', () => {
    const g = mlp();
    delete loose(g.nodes[1]!).attrs.keepdims;
    expectFailure(g, "node %s = reduce_sum(%h) : f32[B]: attribute 'keepdims' is missing", 'defaults filled; here false');
  });

  it('a use before the definition (SSA order)', () => {
    const g = mlp();
    g.nodes.reverse();
    expectFailure(g, 'node %s = reduce_sum(%h) : f32[B]: operand 0 %h is used before its definition');
  });

  it('a node using its own value', () => {
    const g = mlp();
    g.nodes[1]!.inputs = ['s'];
    expectFailure(g, 'operand 0 %s is used before its definition');
  });

  it('a dangling use of a value defined nowhere', () => {
    const g = mlp();
    g.nodes[0]!.inputs = ['x', 'v'];
    expectFailure(g, 'node %h = matmul(%x, %v)', 'operand 1 %v is not defined anywhere in the graph (dangling reference)');
  });

  it('a recorded type that differs from the inferred type', () => {
    const g = mlp();
    g.nodes[1]!.type = t('f32', 'B', 1);
    expectFailure(g, 'recorded type f32[B, 1] differs from the inferred type f32[B]');
  });

  it('a recorded dtype that differs from the inferred one', () => {
    const g = mlp();
    g.nodes[0]!.type = t('i32', 'B', 2);
    const e = expectFailure(g, 'recorded type i32[B, 2] differs from the inferred type f32[B, 2]');
    expect(e.span).toEqual(NODE_SPAN);
  });

  it('a shape error from an op rule, as a verify error with the node and its span', () => {
    const g = mlp();
    g.nodes[0]!.inputs = ['w', 'x'];
    const e = expectFailure(g, 'node %h = matmul(%w, %x) : f32[B, 2]: matmul: inner dimensions differ in f32[4, 2] @ f32[B, 4]');
    expect(e.span).toEqual(NODE_SPAN);
  });

  it('an attribute an op rule rejects', () => {
    const g = mlp();
    loose(g.nodes[1]!).attrs.axes = [5];
    expectFailure(g, 'node %s = reduce_sum(%h)', 'reduce_sum: axis 5 is out of range for rank 2');
  });

  it('an unknown initializer', () => {
    const g = mlp();
    g.params[0]!.init = { fn: 'xavier', args: {} };
    const e = expectFailure(g, "param w: unknown initializer 'xavier'");
    expect(e.span).toEqual({ line: 2, col: 1 });
  });

  it('a bad initializer argument', () => {
    const g = mlp();
    g.params[0]!.init = { fn: 'normal', args: { std: 'wide' } };
    expectFailure(g, "param w: initializer normal: attribute 'std' must be a number");
  });

  it('an initializer that does not fit the param dtype', () => {
    const g = mlp();
    g.params[0]!.type = t('i32', 4, 2);
    expectFailure(g, 'param w: initializer glorot_uniform needs an f32 parameter, got i32[4, 2]');
  });

  it('a malformed initializer record', () => {
    const g = mlp();
    (g.params[0] as { init: unknown }).init = { fn: 'zeros' };
    expectFailure(g, 'param w: initializer must be { fn, args }');
  });

  it('an output naming an undefined value', () => {
    const g = mlp();
    g.outputs[0]!.value = 'z';
    const e = expectFailure(g, 'output y names %z, which is not defined');
    expect(e.span).toEqual({ line: 9, col: 3 });
  });

  it('duplicate output names', () => {
    const g = mlp();
    g.outputs.push({ name: 'y', value: 'h' });
    expectFailure(g, 'output y is declared twice (outputs #0 and #1)');
  });

  it('an invalid output name', () => {
    const g = mlp();
    g.outputs[0]!.name = 'y.1';
    expectFailure(g, "output 'y.1': invalid output name");
  });

  it('a graph with no outputs', () => {
    const g = mlp();
    g.outputs = [];
    expectFailure(g, 'graph mlp has no outputs');
  });
});

describe('verify locations', () => {
  it('falls back to the locator for declarations without a span', () => {
    const g = mlp();
    loose(g.nodes[1]!).attrs.axes = [7];
    let asked: unknown;
    try {
      verify(g, (site) => {
        asked = site;
        return { file: 'ir.txt', line: 5, col: 3 };
      });
    } catch (e) {
      expect(e).toBeInstanceOf(KilnError);
      expect((e as KilnError).span).toEqual({ file: 'ir.txt', line: 5, col: 3 });
    }
    expect(asked).toEqual({ kind: 'node', index: 1 });
  });

  it('prefers a declaration span over the locator', () => {
    const g = mlp();
    g.nodes[0]!.inputs = ['x'];
    expect(() => verify(g, () => ({ line: 99, col: 1 }))).toThrow(/^mlp\.kiln:3:5: /);
  });
});
