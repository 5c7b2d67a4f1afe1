// Tests of the IR JSON form: round trips for every op, the format tag and version, special
// numbers, and structural errors named by their JSON path.

import { catchKiln } from '../catch-kiln.js';
import { describe, expect, it } from 'vitest';
import { attrsOf } from '../../src/ir/graph.js';
import { KilnError } from '../../src/ir/errors.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { IR_JSON_VERSION, graphFromJSON, graphToJSON, parseGraphJSON } from '../../src/ir/json.js';
import { OPS } from '../../src/ir/ops/index.js';
import { OP_SAMPLES, sampleGraph } from './op-samples.js';
import { jsonCopy, list, obj, type Json, type JsonObject } from '../support/json.js';

/** x -> matmul w -> reduce_sum -> y, with spans on some declarations. */
function mlp(): Graph {
  const b = new GraphBuilder('mlp');
  b.input('x', { dtype: 'f32', shape: ['B', 4] }, { file: 'mlp.kiln', line: 1, col: 1 });
  b.param('w', { dtype: 'f32', shape: [4, 2] }, { fn: 'normal', args: { std: 0.1, seed: 2 } });
  const h = b.emit('matmul', ['x', 'w'], {}, { line: 3, col: 5 });
  b.output('y', b.emit('reduce_sum', [h], { axes: [1] }), { file: 'mlp.kiln', line: 9, col: 2 });
  return b.build();
}

/** The JSON form of mlp() as mutable plain data. */
function mlpJSON(): JsonObject {
  return obj(jsonCopy(graphToJSON(mlp())));
}

function jsonError(data: unknown): KilnError {
  return catchKiln(() => graphFromJSON(data));
}

function expectJSONError(data: unknown, detail: string | RegExp): void {
  const e = jsonError(data);
  expect(e.code).toBe('json');
  if (typeof detail === 'string') expect(e.detail).toBe(detail);
  else expect(e.detail).toMatch(detail);
}

describe('graphToJSON / graphFromJSON round trip', () => {
  it('has a sample for exactly the registered ops', () => {
    expect(Object.keys(OP_SAMPLES).sort()).toEqual([...OPS.keys()].sort());
  });

  it.each([...OPS.keys()])('round-trips %s, as objects and as JSON text', (op) => {
    const g = sampleGraph(op);
    expect(graphFromJSON(graphToJSON(g))).toStrictEqual(g);
    const text = JSON.stringify(graphToJSON(g));
    const back = parseGraphJSON(text);
    expect(back).toStrictEqual(g);
    expect(JSON.stringify(graphToJSON(back))).toBe(text);
  });

  it('writes the format tag, the version and the graph', () => {
    const json = obj(graphToJSON(mlp()) as Json);
    expect(IR_JSON_VERSION).toBe(1);
    expect(Object.keys(json)).toEqual(['format', 'version', 'graph']);
    expect(json.format).toBe('kiln-ir');
    expect(json.version).toBe(1);
    expect(obj(json, 'graph', 'nodes', 1)).toEqual({
      name: 't1',
      op: 'reduce_sum',
      inputs: ['t0'],
      attrs: { axes: [1], keepdims: false },
      type: { dtype: 'f32', shape: ['B'] },
    });
    expect(obj(json, 'graph', 'inputs', 0, 'span')).toEqual({ file: 'mlp.kiln', line: 1, col: 1 });
  });

  it('round-trips spans', () => {
    const g = mlp();
    expect(parseGraphJSON(JSON.stringify(graphToJSON(g)))).toStrictEqual(g);
  });

  it('encodes inf, -inf, nan and -0 as strings and reads them back exactly', () => {
    const specials = [Infinity, -Infinity, NaN, -0, 1e-30, 0.1, 5e-324];
    const b = new GraphBuilder('floats');
    b.param('c', { dtype: 'f32', shape: [2] }, { fn: 'constant', args: { value: NaN } });
    const k = b.emit('constant', [], { shape: [specials.length], value: specials });
    b.output('k', k);
    b.output('q', b.emit('clip', ['c'], { min: -Infinity, max: Infinity }));
    const json = obj(graphToJSON(b.build()) as Json);
    expect(list(json, 'graph', 'nodes', 0, 'attrs', 'value')).toEqual(['inf', '-inf', 'nan', '-0', 1e-30, 0.1, 5e-324]);
    expect(obj(json, 'graph', 'nodes', 1, 'attrs')).toEqual({ min: '-inf', max: 'inf' });
    expect(obj(json, 'graph', 'params', 0, 'init', 'args')).toEqual({ value: 'nan' });
    const back = parseGraphJSON(JSON.stringify(json));
    const values = attrsOf(back.nodes[0]!)['value'] as number[];
    specials.forEach((v, i) => expect(Object.is(values[i], v), `value ${i}`).toBe(true));
    expect(back.params[0]!.init.args.value).toBeNaN();
  });

  it('keeps shape symbols named like special numbers as symbols', () => {
    const b = new GraphBuilder('symbols');
    b.input('x', { dtype: 'f32', shape: ['inf'] });
    b.output('y', b.emit('broadcast_to', ['x'], { shape: ['nan', 'inf'] }));
    const g = b.build();
    const back = graphFromJSON(JSON.parse(JSON.stringify(graphToJSON(g))));
    expect(attrsOf(back.nodes[0]!)['shape']).toEqual(['nan', 'inf']);
    expect(back).toStrictEqual(g);
  });

  it('fills omitted attribute defaults and keeps initializer arguments as written', () => {
    const data = mlpJSON();
    delete obj(data, 'graph', 'nodes', 1, 'attrs').keepdims;
    const g = graphFromJSON(data);
    expect(g.nodes[1]!.attrs).toEqual({ axes: [1], keepdims: false });
    expect(g.params[0]!.init).toEqual({ fn: 'normal', args: { std: 0.1, seed: 2 } });
  });
});

describe('format and version', () => {
  it('rejects a document that is not an object', () => {
    expectJSONError([1, 2], 'expected a kiln-ir JSON object, got a list');
  });

  it('rejects a wrong or missing format tag', () => {
    expectJSONError({ ...mlpJSON(), format: 'onnx' }, `format: expected 'kiln-ir', got "onnx"`);
    const { format: _, ...rest } = mlpJSON();
    expectJSONError(rest, `format: expected 'kiln-ir', got nothing`);
  });

  it('rejects an unsupported version, before looking at the rest', () => {
    expectJSONError({ format: 'kiln-ir', version: 2, graph: { future: true } }, 'version: unsupported version 2 (this Kiln reads version 1)');
    expectJSONError({ ...mlpJSON(), version: '1' }, 'version: expected a version number, got "1"');
  });

  it('rejects unknown top-level keys', () => {
    expectJSONError({ ...mlpJSON(), extra: 1 }, "unknown key 'extra' (expected format, version, graph)");
  });
});

describe('structural errors name the JSON path', () => {
  const cases: [string, (d: JsonObject) => void, string | RegExp][] = [
    ['an unknown op', (d) => (obj(d, 'graph', 'nodes', 1).op = 'foo'), "graph.nodes[1].op: unknown op 'foo'"],
    [
      'an invalid dim',
      (d) => (list(d, 'graph', 'inputs', 0, 'type', 'shape')[1] = -2),
      'graph.inputs[0].type.shape[1]: invalid dim -2 (a dim is an integer from 0 to 2^53-1 or a symbol)',
    ],
    [
      'a symbol that is no identifier',
      (d) => (list(d, 'graph', 'nodes', 0, 'type', 'shape')[0] = 'B+1'),
      'graph.nodes[0].type.shape[0]: invalid dim "B+1" (a dim is an integer from 0 to 2^53-1 or a symbol)',
    ],
    ['an invalid dtype', (d) => (obj(d, 'graph', 'params', 0, 'type').dtype = 'f64'), 'graph.params[0].type.dtype: invalid dtype "f64" (expected f32, i32, bool)'],
    ['a missing key', (d) => delete obj(d, 'graph', 'nodes', 0).type, 'graph.nodes[0].type: missing'],
    ['an unknown key', (d) => (obj(d, 'graph', 'outputs', 0).extra = 1), "graph.outputs[0]: unknown key 'extra' (expected name, value, span)"],
    ['a field of the wrong kind', (d) => (obj(d, 'graph').inputs = {}), 'graph.inputs: expected a list, got an object'],
    ['a non-string operand', (d) => (list(d, 'graph', 'nodes', 0, 'inputs')[1] = 3), 'graph.nodes[0].inputs[1]: expected a string, got 3'],
    ['a graph that is not an object', (d) => (d.graph = null), 'graph: expected an object, got null'],
    ['a non-string graph name', (d) => (obj(d, 'graph').name = 7), 'graph.name: expected a string, got 7'],
    ['an ill-typed attribute', (d) => (obj(d, 'graph', 'nodes', 1, 'attrs').axes = 'x'), `graph.nodes[1].attrs: reduce_sum: attribute 'axes' must be a list of integers, got "x"`],
    ['an unknown attribute', (d) => (obj(d, 'graph', 'nodes', 1, 'attrs').foo = 1), /^graph\.nodes\[1\]\.attrs: reduce_sum: unknown attribute 'foo'/],
    [
      'an attribute named like a prototype member',
      (d) => Object.assign(obj(d, 'graph', 'nodes', 1, 'attrs'), { constructor: 1 }),
      /^graph\.nodes\[1\]\.attrs: reduce_sum: unknown attribute 'constructor'/,
    ],
    [
      'an initializer named like a prototype member',
      (d) => (obj(d, 'graph', 'params', 0, 'init').fn = 'toString'),
      /^graph\.params\[0\]\.init\.fn: unknown initializer 'toString'/,
    ],
    ['a missing required attribute', (d) => delete obj(d, 'graph', 'nodes', 1, 'attrs').axes, "graph.nodes[1].attrs: reduce_sum: missing attribute 'axes' (ints)"],
    ['attributes that are a list', (d) => (obj(d, 'graph', 'nodes', 1).attrs = []), 'graph.nodes[1].attrs: expected an object, got a list'],
    ['an unknown initializer', (d) => (obj(d, 'graph', 'params', 0, 'init').fn = 'xavier'), /^graph\.params\[0\]\.init\.fn: unknown initializer 'xavier' \(expected one of: zeros/],
    [
      'a bad initializer argument',
      (d) => (obj(d, 'graph', 'params', 0, 'init', 'args').std = 'wide'),
      `graph.params[0].init.args: initializer normal: attribute 'std' must be a number, got "wide"`,
    ],
    ['a span line that is not a number', (d) => (obj(d, 'graph', 'outputs', 0, 'span').line = '9'), 'graph.outputs[0].span.line: expected a number, got "9"'],
    ['a span file that is not a string', (d) => (obj(d, 'graph', 'inputs', 0, 'span').file = null), 'graph.inputs[0].span.file: expected a string, got null'],
  ];

  it.each(cases)('%s', (_name, edit, detail) => {
    const data = mlpJSON();
    edit(data);
    expectJSONError(data, detail);
  });

  it('runs the verifier on a well-formed structure', () => {
    const data = mlpJSON();
    obj(data, 'graph', 'nodes', 1, 'type').shape = ['B', 1];
    const e = jsonError(data);
    expect(e.code).toBe('verify');
    expect(e.detail).toContain('recorded type f32[B, 1] differs from the inferred type f32[B]');
  });
});

describe('parseGraphJSON', () => {
  it('turns JSON syntax errors into json errors with a place when known', () => {
    let e: unknown;
    try {
      parseGraphJSON('{\n  "format": "kiln-ir",\n  "version" 1\n}', 'm.json');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(KilnError);
    expect((e as KilnError).code).toBe('json');
    expect((e as KilnError).detail).toMatch(/^invalid JSON: /);
    expect((e as KilnError).span).toEqual({ file: 'm.json', line: 3, col: 13 });
  });

  it('reports a truncated document at its end', () => {
    expect(() => parseGraphJSON('{"format": ')).toThrow(/^<input>:1:12: invalid JSON: /);
  });

  it('names the file in structural errors', () => {
    const text = JSON.stringify({ ...mlpJSON(), version: 3 });
    expect(() => parseGraphJSON(text, 'm.json')).toThrow('m.json: version: unsupported version 3 (this Kiln reads version 1)');
  });
});
