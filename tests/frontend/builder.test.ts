// The TypeScript builder: graphs it makes, its number operands, reshape solving, initializers
// and seeds, and errors and node spans that point back into this file.

import { catchKiln } from '../catch-kiln.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { attrsOf } from '../../src/ir/graph.js';
import { Builder, Sym, graph, init } from '../../src/frontend/builder.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { SLICE_END } from '../../src/ir/ops/movement.js';

const THIS_FILE = 'tests/frontend/builder.test.ts';
const SOURCE_LINES = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');

/** The 1-based line of this file holding `marker` (a comment placed on the line under test). */
function lineOf(marker: string): number {
  const hits = SOURCE_LINES.flatMap((text, i) => (text.includes(`// ${marker}`) ? [i + 1] : []));
  expect(hits).toHaveLength(1);
  return hits[0]!;
}

function nodeOf(g: Graph, value: string): Node {
  const n = g.nodes.find((m) => m.name === value);
  if (!n) throw new Error(`no node defines ${value}`);
  return n;
}

function outputNode(g: Graph, output: string): Node {
  return nodeOf(g, g.outputs.find((o) => o.name === output)!.value);
}

/** The nodes without their spans, to compare graphs built from different lines. */
function withoutSpans(g: Graph): unknown {
  return g.nodes.map(({ span: _span, ...rest }) => rest);
}

function mlp(options: { seed?: number } = {}): Graph {
  return graph(
    'mlp',
    (b) => {
      const x = b.input('x', 'f32', ['B', 784]);
      const w1 = b.param('w1', 'f32', [784, 256]);
      const b1 = b.param('b1', 'f32', [256]);
      const w2 = b.param('w2', 'f32', [256, 10]);
      const b2 = b.param('b2', 'f32', [10]);
      const h = x.matmul(w1).add(b1).relu();
      const logits = b.dense(h, w2, b2);
      b.output('logits', logits);
      b.output('probs', logits.softmax());
    },
    options,
  );
}

describe('graph building', () => {
  it('builds an MLP whose symbolic batch flows through every node', () => {
    const g = mlp();
    expect(g.name).toBe('mlp');
    expect(g.inputs.map((i) => [i.name, i.type])).toEqual([['x', { dtype: 'f32', shape: ['B', 784] }]]);
    expect(g.params.map((p) => [p.name, p.type.shape])).toEqual([
      ['w1', [784, 256]],
      ['b1', [256]],
      ['w2', [256, 10]],
      ['b2', [10]],
    ]);
    expect(g.nodes.map((n) => n.op)).toEqual(['matmul', 'add', 'relu', 'dense', 'softmax']);
    expect(g.nodes.map((n) => n.type.shape)).toEqual([
      ['B', 256],
      ['B', 256],
      ['B', 256],
      ['B', 10],
      ['B', 10],
    ]);
    expect(g.nodes.every((n) => n.type.dtype === 'f32')).toBe(true);
    // Each node consumes the one before it (and the parameters).
    const [mm, add, relu, dense, softmax] = g.nodes as [Node, Node, Node, Node, Node];
    expect(mm.inputs).toEqual(['x', 'w1']);
    expect(add.inputs).toEqual([mm.name, 'b1']);
    expect(relu.inputs).toEqual([add.name]);
    expect(dense.inputs).toEqual([relu.name, 'w2', 'b2']);
    expect(softmax.inputs).toEqual([dense.name]);
    expect(softmax.attrs).toEqual({ axis: -1 });
    expect(g.outputs.map((o) => [o.name, o.value])).toEqual([
      ['logits', dense.name],
      ['probs', softmax.name],
    ]);
  });

  it('fluent handles and builder methods make the same nodes', () => {
    const fluent = graph('g', (b) => {
      const x = b.input('x', 'f32', ['B', 4]);
      const w = b.param('w', 'f32', [4, 2]);
      b.output('y', x.matmul(w).tanh().sum(1));
    });
    const direct = graph('g', (b) => {
      const x = b.input('x', 'f32', ['B', 4]);
      const w = b.param('w', 'f32', [4, 2]);
      b.output('y', b.sum(b.tanh(b.matmul(x, w)), 1));
    });
    expect(withoutSpans(fluent)).toEqual(withoutSpans(direct));
    expect(fluent.params).not.toEqual([]);
    expect(fluent.params.map((p) => p.init)).toEqual(direct.params.map((p) => p.init));
  });

  it('takes outputs from a record the body returns', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', [3]);
      return { y: x.exp(), z: x.neg() };
    });
    expect(g.outputs.map((o) => [o.name, nodeOf(g, o.value).op])).toEqual([
      ['y', 'exp'],
      ['z', 'neg'],
    ]);
  });

  it('exposes the value type on handles', () => {
    graph('g', (b) => {
      const x = b.input('ids', 'i32', ['B', 7]);
      expect(x).toBeInstanceOf(Sym);
      expect([x.name, x.dtype, x.shape, x.rank]).toEqual(['ids', 'i32', ['B', 7], 2]);
      expect(String(x)).toBe('%ids: i32[B, 7]');
      b.output('ids', x);
    });
  });
});

describe('number operands', () => {
  it('become scalar constants of the other side dtype', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', ['B', 3]);
      const ids = b.input('ids', 'i32', ['B']);
      b.output('a', x.add(2.5));
      b.output('b', b.sub(1, x));
      b.output('c', ids.mul(3));
      b.output('d', ids.ge(0));
    });
    const constOf = (output: string, operand: number) => nodeOf(g, outputNode(g, output).inputs[operand]!);
    expect(constOf('a', 1)).toMatchObject({ op: 'constant', attrs: { dtype: 'f32', shape: [], value: [2.5] } });
    expect(constOf('b', 0)).toMatchObject({ op: 'constant', attrs: { dtype: 'f32', shape: [], value: [1] } });
    expect(outputNode(g, 'b').inputs[1]).toBe('x');
    expect(constOf('c', 1)).toMatchObject({ op: 'constant', attrs: { dtype: 'i32', value: [3] }, type: { dtype: 'i32', shape: [] } });
    expect(outputNode(g, 'c').type).toEqual({ dtype: 'i32', shape: ['B'] });
    expect(outputNode(g, 'd').type).toEqual({ dtype: 'bool', shape: ['B'] });
    expect(attrsOf(constOf('d', 1))['dtype']).toBe('i32');
  });

  it('must fit the other side dtype, and one side must be a value', () => {
    const frac = catchKiln(() => graph('g', (b) => void b.input('ids', 'i32', [2]).add(0.5)));
    expect(frac.code).toBe('dtype');
    expect(frac.message).toContain('add: the number 0.5 does not fit');
    expect(frac.message).toContain('i32[2]');
    const both = catchKiln(() => graph('g', (b) => void b.mul(2, 3)));
    expect(both.code).toBe('usage');
    expect(both.message).toContain('mul: both operands are numbers');
  });

  it('fill where branches', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', ['B', 4]);
      b.output('y', b.where(x.gt(0), x, 0));
    });
    const w = outputNode(g, 'y');
    expect(w.op).toBe('where');
    expect(w.type).toEqual({ dtype: 'f32', shape: ['B', 4] });
    expect(nodeOf(g, w.inputs[2]!).attrs).toEqual({ dtype: 'f32', shape: [], value: [0] });
  });
});

describe('shapes', () => {
  it('broadcasts elementwise operands numpy-style', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', ['B', 1, 4]);
      const y = b.input('y', 'f32', [3, 1]);
      const m = b.input('m', 'bool', ['B', 1, 1]);
      b.output('sum', x.add(y));
      b.output('pick', b.where(m, x, y));
      b.output('lt', y.lt(x));
    });
    expect(outputNode(g, 'sum').type).toEqual({ dtype: 'f32', shape: ['B', 3, 4] });
    expect(outputNode(g, 'pick').type).toEqual({ dtype: 'f32', shape: ['B', 3, 4] });
    expect(outputNode(g, 'lt').type).toEqual({ dtype: 'bool', shape: ['B', 3, 4] });
  });

  it('refuses to broadcast a symbol against a number', () => {
    const e = catchKiln(() => graph('g', (b) => void b.input('x', 'f32', ['B']).add(b.input('y', 'f32', [3]))));
    expect(e.code).toBe('shape');
    expect(e.message).toContain('add: cannot broadcast f32[B] with f32[3]');
  });

  it('solves a -1 in reshape from the element count', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', [2, 3, 4]);
      const s = b.input('s', 'f32', ['B', 3, 4]);
      b.output('a', x.reshape([-1, 4]));
      b.output('b', x.reshape([3, -1, 2]));
      b.output('c', s.reshape(['B', -1]));
      b.output('d', s.reshape(['B', 12]).reshape([-1, 3, 4]));
    });
    expect(attrsOf(outputNode(g, 'a'))['shape']).toEqual([6, 4]);
    expect(outputNode(g, 'b').type.shape).toEqual([3, 4, 2]);
    expect(outputNode(g, 'c').type.shape).toEqual(['B', 12]);
    expect(outputNode(g, 'd').type.shape).toEqual(['B', 3, 4]);
  });

  it('rejects a -1 that is not one dimension', () => {
    const cases: [() => void, string][] = [
      [() => graph('g', (b) => void b.input('x', 'f32', ['B', 4]).reshape([-1])), 'it would be 4 * B'],
      [() => graph('g', (b) => void b.input('x', 'f32', ['B', 'T']).reshape([-1])), 'B * T'],
      [() => graph('g', (b) => void b.input('x', 'f32', [2, 3]).reshape([-1, 4])), '6 elements do not divide by 4'],
      [() => graph('g', (b) => void b.input('x', 'f32', [2, 3]).reshape([-1, -1])), 'only one -1'],
      [() => graph('g', (b) => void b.input('x', 'f32', [2, 3]).reshape(['N', -1])), 'symbol N is not a factor'],
    ];
    for (const [fn, text] of cases) {
      const e = catchKiln(fn);
      expect(e.code).toBe('shape');
      expect(e.message).toContain('reshape:');
      expect(e.message).toContain(text);
    }
  });

  it('reduces over all axes by default and over chosen axes when asked', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', ['B', 5, 6]);
      b.output('all', x.sum());
      b.output('one', b.maxOver(x, -1));
      b.output('keep', x.mean([1, 2], true));
      b.output('arg', x.argmax());
    });
    expect(outputNode(g, 'all')).toMatchObject({ op: 'reduce_sum', attrs: { axes: [0, 1, 2], keepdims: false }, type: { shape: [] } });
    expect(outputNode(g, 'one')).toMatchObject({ op: 'reduce_max', attrs: { axes: [-1] }, type: { shape: ['B', 5] } });
    expect(outputNode(g, 'keep')).toMatchObject({ op: 'mean', type: { dtype: 'f32', shape: ['B', 1, 1] } });
    expect(outputNode(g, 'arg')).toMatchObject({ op: 'argmax', attrs: { axis: -1 }, type: { dtype: 'i32', shape: ['B', 5] } });
  });

  it('fills movement defaults: reversed transpose, whole trailing slice axes', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', [2, 5, 6]);
      b.output('t', x.transpose());
      b.output('s', x.slice([1], [2]));
      b.output('p', x.pad([0, 1, 0], [0, 0, 2], -1));
      b.output('c', b.concat([x, x], 1));
      b.output('bc', b.input('v', 'f32', [6]).broadcastTo(['B', 6]));
    });
    expect(outputNode(g, 't')).toMatchObject({ attrs: { perm: [2, 1, 0] }, type: { shape: [6, 5, 2] } });
    expect(outputNode(g, 's').attrs).toEqual({ begin: [1, 0, 0], end: [2, SLICE_END, SLICE_END], stride: [1, 1, 1] });
    expect(outputNode(g, 's').type.shape).toEqual([1, 5, 6]);
    expect(outputNode(g, 'p')).toMatchObject({ attrs: { value: -1 }, type: { shape: [2, 6, 8] } });
    expect(outputNode(g, 'c').type.shape).toEqual([2, 10, 6]);
    expect(outputNode(g, 'bc').type.shape).toEqual(['B', 6]);
  });

  it('types indexing, random and composite ops', () => {
    const g = graph('g', (b) => {
      const table = b.param('table', 'f32', [100, 16]);
      const ids = b.input('ids', 'i32', ['B', 8]);
      const step = b.input('step', 'i32', []);
      b.output('emb', table.gather(ids));
      b.output('hot', b.oneHot(ids, 10));
      b.output('noise', b.randomNormal(['B', 16], { std: 0.1, seed: 9, key: step }));
      b.output('u', b.randomUniform([4], { low: -1, high: 1 }));
      b.output('clipped', b.clip(ids.cast('f32'), 0, 6));
      b.output('ls', b.logSoftmax(table, 0));
    });
    expect(outputNode(g, 'emb').type).toEqual({ dtype: 'f32', shape: ['B', 8, 16] });
    expect(outputNode(g, 'hot').type).toEqual({ dtype: 'f32', shape: ['B', 8, 10] });
    expect(outputNode(g, 'noise')).toMatchObject({ inputs: ['step'], attrs: { mean: 0, std: 0.1, seed: 9 } });
    const u = outputNode(g, 'u');
    expect(u.inputs).toEqual([]);
    expect(u.attrs).toMatchObject({ shape: [4], low: -1, high: 1 });
    expect(Number.isInteger(attrsOf(u)['seed'])).toBe(true);
    expect(outputNode(g, 'clipped')).toMatchObject({ op: 'clip', attrs: { min: 0, max: 6 }, type: { dtype: 'f32', shape: ['B', 8] } });
    expect(outputNode(g, 'ls').type.shape).toEqual([100, 16]);
  });

  it('makes constants from nested arrays and rejects ragged ones', () => {
    const g = graph('g', (b) => {
      b.output(
        'm',
        b.constant(
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
          'i32',
        ),
      );
      b.output('s', b.constant(0.5));
      b.output('k', b.constant([true, false], 'bool'));
    });
    expect(outputNode(g, 'm')).toMatchObject({ attrs: { dtype: 'i32', shape: [2, 3], value: [1, 2, 3, 4, 5, 6] } });
    expect(outputNode(g, 's').type).toEqual({ dtype: 'f32', shape: [] });
    expect(attrsOf(outputNode(g, 'k'))['value']).toEqual([1, 0]);
    const ragged = catchKiln(() => graph('g', (b) => void b.constant([[1, 2], [3]])));
    expect(ragged.message).toContain('ragged');
    const deep = catchKiln(() => graph('g', (b) => void b.constant([1, [2]])));
    expect(deep.message).toContain('ragged');
  });

  it('applies any registered op through the escape hatch', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', [3]);
      b.output('y', b.op('square', [x]));
    });
    expect(outputNode(g, 'y')).toMatchObject({ op: 'square', inputs: ['x'], type: { shape: [3] } });
    const e = catchKiln(() => graph('g', (b) => void b.op('squash', [b.input('x', 'f32', [3])])));
    expect(e.code).toBe('unknown-op');
  });
});

describe('errors', () => {
  it('name the op, both shapes and the call site in this file', () => {
    const e = catchKiln(() =>
      graph('g', (b) => {
        const x = b.input('x', 'f32', ['B', 784]);
        const w = b.param('w', 'f32', [100, 10]);
        x.matmul(w); // shape-error-site
      }),
    );
    expect(e.code).toBe('shape');
    expect(e.message).toContain('matmul');
    expect(e.message).toContain('f32[B, 784]');
    expect(e.message).toContain('f32[100, 10]');
    expect(e.message).toContain(`builder.test.ts:${lineOf('shape-error-site')}:`);
    expect(e.span).toMatchObject({ file: THIS_FILE, line: lineOf('shape-error-site') });
  });

  it('list the operand types when the op message leaves them out', () => {
    const e = catchKiln(() => graph('g', (b) => void b.input('x', 'f32', ['B', 3]).sum(5)));
    expect(e.message).toContain('reduce_sum: axis 5 is out of range for rank 2');
    expect(e.message).toContain('operands: f32[B, 3]');
  });

  it('reject add(f32, i32) as a dtype error', () => {
    const e = catchKiln(() =>
      graph('g', (b) => {
        b.add(b.input('x', 'f32', [4]), b.input('n', 'i32', [4])); // dtype-error-site
      }),
    );
    expect(e.code).toBe('dtype');
    expect(e.message).toContain('add: operands must have one dtype, got f32[4], i32[4]');
    expect(e.span).toMatchObject({ file: THIS_FILE, line: lineOf('dtype-error-site') });
  });

  it('reject a handle from another builder', () => {
    let foreign: Sym | undefined;
    graph('first', (b) => {
      foreign = b.input('x', 'f32', [3]);
      b.output('x', foreign);
    });
    const e = catchKiln(() =>
      graph('second', (b) => {
        b.input('x', 'f32', [3]).add(foreign!);
      }),
    );
    expect(e.code).toBe('usage');
    expect(e.message).toContain("add: operand 'b' (%x: f32[3]) belongs to graph first, not to graph second");
  });

  it('reject a builder used after its graph is built', () => {
    let leaked: Builder | undefined;
    graph('g', (b) => {
      leaked = b;
      b.output('x', b.input('x', 'f32', [1]));
    });
    const e = catchKiln(() => leaked!.input('late', 'f32', [1]));
    expect(e.message).toContain('graph g is already built');
  });

  it('reject duplicate value names', () => {
    const e = catchKiln(() =>
      graph('g', (b) => {
        b.input('x', 'f32', [3]);
        b.input('x', 'f32', [4]); // duplicate-site
      }),
    );
    expect(e.code).toBe('usage');
    expect(e.message).toContain("value 'x' is already defined");
    expect(e.span?.line).toBe(lineOf('duplicate-site'));
    const clash = catchKiln(() =>
      graph('g', (b) => {
        b.input('w', 'f32', [3]);
        b.param('w', 'f32', [3]);
      }),
    );
    expect(clash.message).toContain("value 'w' is already defined");
  });

  it('reject bad declarations', () => {
    expect(catchKiln(() => graph('not a name', () => {})).code).toBe('usage');
    expect(catchKiln(() => graph('g', (b) => void b.input('x', 'f32', [-1]))).code).toBe('shape');
    const dup = catchKiln(() =>
      graph('g', (b) => {
        const x = b.input('x', 'f32', [3]);
        b.output('y', x);
        b.output('y', x.neg());
      }),
    );
    expect(dup.message).toContain("output 'y' is already defined");
  });

  it('reject a graph without outputs, pointing at its creation', () => {
    const e = catchKiln(() => graph('empty', (b) => void b.input('x', 'f32', [3]))); // no-outputs-site
    expect(e.code).toBe('verify');
    expect(e.message).toContain('graph empty has no outputs');
    expect(e.span).toMatchObject({ file: THIS_FILE, line: lineOf('no-outputs-site') });
  });
});

describe('parameters', () => {
  it('default to glorot_uniform for f32 matrices and zeros otherwise', () => {
    const g = graph('g', (b) => {
      b.param('w', 'f32', [3, 4]);
      b.param('k', 'f32', [3, 3, 2, 8]);
      b.param('bias', 'f32', [4]);
      b.param('scale', 'f32', []);
      b.output('t', b.param('table', 'i32', [5, 5]));
    });
    expect(g.params.map((p) => p.init.fn)).toEqual(['glorot_uniform', 'glorot_uniform', 'zeros', 'zeros', 'zeros']);
    expect(g.params[2]!.init.args).toEqual({});
  });

  it('keep given initializers and fill their defaults', () => {
    const g = graph('g', (b) => {
      b.param('a', 'f32', [2, 2], init.heNormal({ seed: 7 }));
      b.param('b', 'f32', [2], init.uniform({ low: -1, high: 1 }));
      b.param('c', 'f32', [2], init.normal());
      b.param('d', 'f32', [2], init.constant(0.5));
      b.output('e', b.param('e', 'i32', [2], init.ones()));
    });
    const [a, bb, c, d, e] = g.params.map((p) => p.init);
    expect(a).toEqual({ fn: 'he_normal', args: { seed: 7 } });
    expect(bb!.fn).toBe('uniform');
    expect(bb!.args).toMatchObject({ low: -1, high: 1 });
    expect(c!.args).toMatchObject({ mean: 0, std: 0.05 });
    expect(Number.isInteger(c!.args['seed'])).toBe(true);
    expect(d).toEqual({ fn: 'constant', args: { value: 0.5 } });
    expect(e).toEqual({ fn: 'ones', args: {} });
  });

  it('build the helpers as plain initializer objects', () => {
    expect(init.zeros()).toEqual({ fn: 'zeros', args: {} });
    expect(init.glorotUniform({ seed: 3 })).toEqual({ fn: 'glorot_uniform', args: { seed: 3 } });
    expect(init.glorotNormal()).toEqual({ fn: 'glorot_normal', args: {} });
    expect(init.heUniform({})).toEqual({ fn: 'he_uniform', args: {} });
    expect(init.normal({ mean: 1, std: 2, seed: 4 })).toEqual({ fn: 'normal', args: { mean: 1, std: 2, seed: 4 } });
  });

  it('reject a seeded random initializer on an integer parameter, at the call site', () => {
    const e = catchKiln(() =>
      graph('g', (b) => {
        b.param('t', 'i32', [2, 2], init.heUniform()); // init-error-site
      }),
    );
    expect(e.code).toBe('dtype');
    expect(e.message).toContain('param t: initializer he_uniform needs an f32 parameter');
    expect(e.span?.line).toBe(lineOf('init-error-site'));
  });

  it('get deterministic seeds, distinct per parameter', () => {
    const seeds = (g: Graph) => g.params.filter((p) => 'seed' in p.init.args).map((p) => p.init.args['seed'] as number);
    const first = mlp();
    expect(mlp()).toEqual(first);
    const [s1, s2] = seeds(first);
    expect(seeds(first)).toHaveLength(2);
    expect(s1).not.toBe(s2);
    for (const s of [s1!, s2!]) {
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(2 ** 31);
    }
    // A different graph seed changes them; the same one reproduces them.
    const other = seeds(mlp({ seed: 1 }));
    expect(other).not.toEqual([s1, s2]);
    expect(seeds(mlp({ seed: 1 }))).toEqual(other);
  });

  it('keep their seeds when another parameter is added before them', () => {
    const seedOf = (g: Graph, name: string) => g.params.find((p) => p.name === name)!.init.args['seed'];
    const small = graph('g', (b) => ({ w: b.param('w', 'f32', [2, 2]) }));
    const grown = graph('g', (b) => {
      b.param('v', 'f32', [2, 2]);
      b.output('w', b.param('w', 'f32', [2, 2]));
    });
    expect(seedOf(grown, 'w')).toBe(seedOf(small, 'w'));
    expect(seedOf(grown, 'v')).not.toBe(seedOf(grown, 'w'));
  });

  it('and random ops never share a derived seed', () => {
    const g = graph('g', (b) => {
      b.param('w', 'f32', [2, 2]);
      b.output('a', b.randomUniform([2]));
      b.output('b', b.randomUniform([2]));
    });
    const all = [g.params[0]!.init.args['seed'], attrsOf(outputNode(g, 'a'))['seed'], attrsOf(outputNode(g, 'b'))['seed']];
    expect(new Set(all).size).toBe(3);
  });
});

describe('spans', () => {
  it('point every declaration and node at its line in this file', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', ['B', 3]); // span-input
      const w = b.param('w', 'f32', [3, 2]); // span-param
      const y = x.matmul(w).mul(2); // span-chain
      b.output('y', y); // span-output
    });
    expect(g.inputs[0]!.span).toMatchObject({ file: THIS_FILE, line: lineOf('span-input') });
    expect(g.params[0]!.span).toMatchObject({ file: THIS_FILE, line: lineOf('span-param') });
    expect(g.outputs[0]!.span).toMatchObject({ file: THIS_FILE, line: lineOf('span-output') });
    expect(g.nodes.map((n) => n.op)).toEqual(['matmul', 'constant', 'mul']);
    for (const n of g.nodes) expect(n.span).toMatchObject({ file: THIS_FILE, line: lineOf('span-chain') });
    // Columns tell calls on one line apart: matmul comes before mul, and the constant shares mul's.
    const [mm, k, mul] = g.nodes.map((n) => n.span!.col);
    expect(mm).toBeLessThan(mul!);
    expect(k).toBe(mul);
    const line = SOURCE_LINES[lineOf('span-chain') - 1]!;
    expect(line.slice(mm! - 1)).toMatch(/^matmul\(/);
    expect(line.slice(mul! - 1)).toMatch(/^mul\(/);
  });

  it('point at the user caller through helper functions', () => {
    const block = (b: Builder, x: Sym) => b.relu(x); // span-helper
    const g = graph('g', (b) => void b.output('y', block(b, b.input('x', 'f32', [2]))));
    expect(g.nodes[0]!.span?.line).toBe(lineOf('span-helper'));
  });

  it('can be given explicitly, as the DSL does', () => {
    const at = { file: 'model.kiln', line: 3, col: 5 };
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', [2]);
      const y = b.at(at, () => x.exp().neg());
      b.output('y', y.abs());
    });
    expect(g.nodes.slice(0, 2).map((n) => n.span)).toEqual([at, at]);
    expect(g.nodes[2]!.span?.file).toBe(THIS_FILE);
  });
});
