// Tests of the IR text form: golden output, print/parse round trips for every op, spans,
// symbols, special floats, and parse errors at exact lines and columns.

import { describe, expect, it } from 'vitest';
import { attrsOf } from '../../src/ir/graph.js';
import { KilnError } from '../../src/ir/errors.js';
import { GraphBuilder, expandComposites } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { OPS } from '../../src/ir/ops/index.js';
import { parseGraph, printGraph } from '../../src/ir/text.js';
import { OP_SAMPLES, sampleGraph } from './op-samples.js';

const MLP = `graph mlp {
  input x: f32[B, 784]
  input y: i32[B]
  param w1: f32[784, 256] = glorot_uniform(seed=1)
  param b1: f32[256] = zeros()
  %t0 = matmul(%x, %w1) : f32[B, 256]
  %t1 = reduce_sum(%t0) {axes=[1], keepdims=false} : f32[B] loc("mlp.kiln":3:5)
  %t2 = constant() {dtype=f32, shape=[], value=[0.5]} : f32[]
  output logits = %t1
}
`;

/** print -> parse -> print is byte-identical, and parse(print(g)) is g. */
function expectRoundTrip(g: Graph): string {
  const text = printGraph(g);
  const back = parseGraph(text);
  expect(back).toStrictEqual(g);
  expect(printGraph(back)).toBe(text);
  return text;
}

/** The KilnError that parseGraph throws on `text`. */
function parseError(text: string, file?: string): KilnError {
  try {
    parseGraph(text, file);
  } catch (e) {
    if (e instanceof KilnError) return e;
    throw e;
  }
  throw new Error('the text parsed');
}

describe('printGraph', () => {
  it('prints the documented format', () => {
    const b = new GraphBuilder('mlp');
    b.input('x', { dtype: 'f32', shape: ['B', 784] });
    b.input('y', { dtype: 'i32', shape: ['B'] });
    b.param('w1', { dtype: 'f32', shape: [784, 256] }, { fn: 'glorot_uniform', args: { seed: 1 } });
    b.param('b1', { dtype: 'f32', shape: [256] }, { fn: 'zeros', args: {} });
    const t0 = b.emit('matmul', ['x', 'w1']);
    const t1 = b.emit('reduce_sum', [t0], { axes: [1] }, { file: 'mlp.kiln', line: 3, col: 5 });
    b.emit('constant', [], { value: [0.5] });
    b.output('logits', t1);
    expect(printGraph(b.build())).toBe(MLP);
  });

  it('prints initializer arguments in schema order', () => {
    const b = new GraphBuilder('g');
    b.param('w', { dtype: 'f32', shape: [2] }, { fn: 'uniform', args: { seed: 4, high: 0.5, low: -0.5 } });
    b.output('w', 'w');
    expect(printGraph(b.build())).toContain('param w: f32[2] = uniform(low=-0.5, high=0.5, seed=4)\n');
  });
});

describe('print/parse round trip', () => {
  it('has a sample for exactly the registered ops', () => {
    expect(Object.keys(OP_SAMPLES).sort()).toEqual([...OPS.keys()].sort());
  });

  it.each([...OPS.keys()])('round-trips %s', (op) => {
    const text = expectRoundTrip(sampleGraph(op));
    expect(text).toContain(`= ${op}(`);
  });

  it('reads the documented example back byte for byte', () => {
    expect(printGraph(parseGraph(MLP))).toBe(MLP);
  });

  it('round-trips expanded composites, whose value names hold dots', () => {
    const g = expandComposites(sampleGraph('log_softmax'));
    expect(g.nodes.some((n) => n.name.includes('.'))).toBe(true);
    expectRoundTrip(g);
  });

  it('round-trips value names that start with digits', () => {
    const b = new GraphBuilder('digits');
    b.input('0', { dtype: 'f32', shape: [2] });
    b.param('1.w', { dtype: 'f32', shape: [2] }, { fn: 'ones', args: {} });
    b.output('y', b.emit('add', ['0', '1.w'], {}, undefined, '2'));
    expect(expectRoundTrip(b.build())).toContain('input 0: f32[2]\n  param 1.w: f32[2] = ones()\n  %2 = add(%0, %1.w)');
  });

  it('round-trips spans on inputs, params, nodes and outputs, with and without files', () => {
    const b = new GraphBuilder('spans');
    b.input('x', { dtype: 'f32', shape: [3] }, { file: 'a "quoted" \\ dir/m\u00e9.kiln', line: 1, col: 2 });
    b.param('w', { dtype: 'f32', shape: [3] }, { fn: 'normal', args: { std: 0.1 } }, { line: 4, col: 7 });
    const h = b.emit('mul', ['x', 'w'], {}, { file: '', line: 10, col: 1 });
    b.output('y', h, { file: 'm.kiln', line: 12, col: 30 });
    const text = expectRoundTrip(b.build());
    expect(text).toBe(
      [
        'graph spans {',
        '  input x: f32[3] loc("a \\"quoted\\" \\\\ dir/m\u00e9.kiln":1:2)',
        '  param w: f32[3] = normal(std=0.1) loc(4:7)',
        '  %t0 = mul(%x, %w) : f32[3] loc("":10:1)',
        '  output y = %t0 loc("m.kiln":12:30)',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('round-trips symbolic shapes, including symbols named like constants', () => {
    const b = new GraphBuilder('symbols');
    b.input('x', { dtype: 'f32', shape: ['inf', 'N_2'] });
    const y = b.emit('broadcast_to', ['x'], { shape: ['nan', 'inf', 'N_2'] });
    const z = b.emit('reshape', [y], { shape: ['N_2', 'nan', 'inf'] });
    b.input('m', { dtype: 'bool', shape: ['true', 'false', 0] });
    b.output('z', z);
    b.output('m', 'm');
    const text = expectRoundTrip(b.build());
    expect(text).toContain('{shape=[nan, inf, N_2]} : f32[nan, inf, N_2]');
  });

  it('round-trips special floats exactly', () => {
    const specials = [Infinity, -Infinity, NaN, -0, 0, 1e-30, 0.1, 5e-324, Number.MAX_VALUE, 1e21, -1.5e-7, 1 / 3];
    const b = new GraphBuilder('floats');
    b.input('x', { dtype: 'f32', shape: [2] });
    b.param('c', { dtype: 'f32', shape: [2] }, { fn: 'constant', args: { value: -Infinity } });
    const k = b.emit('constant', [], { shape: [specials.length], value: specials });
    const p = b.emit('pad', ['x'], { before: [1], after: [0], value: -0 });
    const q = b.emit('clip', [p], { min: -Infinity, max: NaN });
    b.output('k', k);
    b.output('q', q);
    const g = b.build();
    const text = expectRoundTrip(g);
    expect(text).toContain('value=[inf, -inf, nan, -0, 0, 1e-30, 0.1, 5e-324, 1.7976931348623157e+308, 1e+21, -1.5e-7, 0.3333333333333333]');
    expect(text).toContain('{before=[1], after=[0], value=-0}');
    expect(text).toContain('{min=-inf, max=nan}');
    expect(text).toContain('= constant(value=-inf)');
    const back = parseGraph(text);
    const values = attrsOf(back.nodes[0]!)['value'] as number[];
    specials.forEach((v, i) => expect(Object.is(values[i], v), `value ${i}`).toBe(true));
    expect(Object.is(attrsOf(back.nodes[1]!)['value'], -0)).toBe(true);
  });
});

describe('parseGraph', () => {
  it('skips comments and blank lines and fills default attributes', () => {
    const text = [
      '# a hand-written graph',
      '',
      'graph g {   # trailing comment',
      '  input x: f32[B, 3]',
      '',
      '  %s = reduce_sum(%x) {axes=[-1]}   : f32[B]',
      '  output   y=%s',
      '}',
      '# done',
    ].join('\n');
    const g = parseGraph(text);
    expect(g.nodes[0]!.attrs).toEqual({ axes: [-1], keepdims: false });
    expect(printGraph(g)).toBe('graph g {\n  input x: f32[B, 3]\n  %s = reduce_sum(%x) {axes=[-1], keepdims=false} : f32[B]\n  output y = %s\n}\n');
  });

  it('keeps initializer arguments as written', () => {
    const g = parseGraph('graph g {\n  param w: f32[2] = uniform(seed=3)\n  output w = %w\n}\n');
    expect(g.params[0]!.init).toEqual({ fn: 'uniform', args: { seed: 3 } });
  });
});

describe('parse errors', () => {
  const lines = (...ls: string[]) => ls.join('\n') + '\n';

  it('an unknown op, at the op name', () => {
    const e = parseError(lines('graph g {', '  input x: f32[2, 2]', '  %t0 = matmull(%x, %x) : f32[2, 2]', '  output y = %t0', '}'), 'g.ir');
    expect(e.code).toBe('unknown-op');
    expect(e.span).toEqual({ file: 'g.ir', line: 3, col: 9 });
    expect(e.message).toBe("g.ir:3:9: unknown op 'matmull' (did you mean mul, matmul?)");
  });

  it('a bad token', () => {
    const e = parseError(lines('graph g {', '  input x: f32[2] @', '}'));
    expect(e.code).toBe('parse');
    expect(e.span).toEqual({ line: 2, col: 19 });
    expect(e.detail).toBe("expected 'input', 'param', a node '%name = op(...)', 'output', 'update' or '}', got '@'");
  });

  it('a missing type, at the token that came instead', () => {
    const e = parseError(lines('graph g {', '  input x: f32[2]', '  %t0 = neg(%x)', '  output y = %t0', '}'), 'g.ir');
    expect(e.code).toBe('parse');
    expect(e.message).toBe("g.ir:4:3: expected ':' and a type, got 'output'");
  });

  it('a missing type after an op that takes attributes', () => {
    const e = parseError(lines('graph g {', '  input x: f32[2]', '  %t0 = argmax(%x)', '}'));
    expect(e.detail).toBe("expected '{' with attributes or ':' and a type, got '}'");
    expect(e.span).toEqual({ line: 4, col: 1 });
  });

  it('an unknown attribute, at its name', () => {
    const e = parseError(lines('graph g {', '  input x: f32[2, 3]', '  %t0 = reduce_sum(%x) {axes=[1], keep=true} : f32[2]', '}'));
    expect(e.code).toBe('attr');
    expect(e.span).toEqual({ line: 3, col: 35 });
    expect(e.detail).toBe("reduce_sum: unknown attribute 'keep' (expected one of: axes, keepdims)");
  });

  it('an attribute named like an Object.prototype member', () => {
    const e = parseError(lines('graph g {', '  input x: f32[2]', '  %t0 = neg(%x) {constructor=1} : f32[2]', '}'));
    expect(e.code).toBe('attr');
    expect(e.span).toEqual({ line: 3, col: 18 });
    expect(e.detail).toBe("neg: unknown attribute 'constructor' (it takes none)");
  });

  it('an ill-typed attribute, at its value', () => {
    const e = parseError(lines('graph g {', '  input x: f32[2, 3]', '  %t0 = reduce_sum(%x) {axes=1} : f32[2]', '}'));
    expect(e.code).toBe('attr');
    expect(e.span).toEqual({ line: 3, col: 30 });
    expect(e.detail).toBe("reduce_sum: attribute 'axes' must be a list of integers, got 1");
  });

  it('a missing required attribute, at the op', () => {
    const e = parseError(lines('graph g {', '  input x: f32[2]', '  %t0 = cast(%x) : f32[2]', '}'));
    expect(e.code).toBe('attr');
    expect(e.span).toEqual({ line: 3, col: 9 });
    expect(e.detail).toBe("cast: missing attribute 'to' (dtype)");
  });

  it('an attribute given twice', () => {
    const e = parseError(lines('graph g {', '  input x: f32[2]', '  %t0 = cast(%x) {to=i32, to=f32} : i32[2]', '}'));
    expect(e.span).toEqual({ line: 3, col: 27 });
    expect(e.detail).toBe("cast: attribute 'to' is given twice");
  });

  it('a type mismatch found by the verifier, at the node line', () => {
    const e = parseError(lines('graph g {', '  input x: f32[B, 3]', '  %s = reduce_sum(%x) {axes=[1]} : f32[B, 1]', '  output y = %s', '}'), 'g.ir');
    expect(e.code).toBe('verify');
    expect(e.span).toEqual({ file: 'g.ir', line: 3, col: 3 });
    expect(e.detail).toBe('node %s = reduce_sum(%x) : f32[B, 1]: recorded type f32[B, 1] differs from the inferred type f32[B]');
  });

  it("a verifier error at the node's loc when it has one", () => {
    const e = parseError(lines('graph g {', '  input x: f32[3]', '  %s = neg(%x) : i32[3] loc("m.kiln":7:2)', '  output y = %s', '}'), 'g.ir');
    expect(e.code).toBe('verify');
    expect(e.span).toEqual({ file: 'm.kiln', line: 7, col: 2 });
  });

  it('an undefined output value, at the output line', () => {
    const e = parseError(lines('graph g {', '  input x: f32[3]', '   output y = %z', '}'));
    expect(e.code).toBe('verify');
    expect(e.span).toEqual({ line: 3, col: 4 });
    expect(e.detail).toBe('output y names %z, which is not defined');
  });

  it('an invalid dtype and an invalid dim', () => {
    const dtype = parseError(lines('graph g {', '  input x: f64[3]', '}'));
    expect(dtype.detail).toBe("expected a type (a dtype: f32, i32, bool), got 'f64'");
    expect(dtype.span).toEqual({ line: 2, col: 12 });
    const dim = parseError(lines('graph g {', '  input x: f32[3, -2]', '}'));
    expect(dim.detail).toBe("expected a dim (an integer from 0 to 2^53-1 or a symbol), got '-2'");
    expect(dim.span).toEqual({ line: 2, col: 19 });
  });

  it('declarations out of order', () => {
    const e = parseError(lines('graph g {', '  input x: f32[3]', '  %s = neg(%x) : f32[3]', '  param w: f32[3] = zeros()', '}'));
    expect(e.span).toEqual({ line: 4, col: 3 });
    expect(e.detail).toBe("expected a node '%name = op(...)', 'output', 'update' or '}' (params come before nodes), got 'param'");
  });

  it('an unknown initializer', () => {
    const e = parseError(lines('graph g {', '  param w: f32[3] = xavier(seed=1)', '}'));
    expect(e.code).toBe('attr');
    expect(e.span).toEqual({ line: 2, col: 21 });
    expect(e.detail).toMatch(/^param w: unknown initializer 'xavier' \(expected one of: zeros, ones/);
  });

  it('an unterminated string and a missing brace', () => {
    const str = parseError(lines('graph g {', '  input x: f32[3] loc("a.kiln', '}'));
    expect(str.detail).toBe(`expected '"' to close the string, got end of line`);
    expect(str.span).toEqual({ line: 2, col: 30 });
    const brace = parseError('graph g {\n  input x: f32[3]\n');
    expect(brace.detail).toContain("or '}', got end of input");
    expect(brace.span).toEqual({ line: 3, col: 1 });
  });

  it('text after the graph', () => {
    const e = parseError('graph g {\n  input x: f32[3]\n  output y = %x\n} graph');
    expect(e.detail).toBe("expected end of input, got 'graph'");
    expect(e.span).toEqual({ line: 4, col: 3 });
  });

  it('a loc without a line', () => {
    const e = parseError(lines('graph g {', '  input x: f32[3] loc("f":x:1)', '}'));
    expect(e.detail).toBe("expected a line number, got 'x'");
    expect(e.span).toEqual({ line: 2, col: 27 });
  });
});
