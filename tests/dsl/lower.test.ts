// Lowering .kiln programs: each construct's IR, def scoping, imports, train settings, a builder twin.

import { describe, expect, test } from 'vitest';
import { compile } from '../../src/compile.js';
import { graph, init } from '../../src/frontend/builder.js';
import { checkModel } from '../../src/frontend/dsl/index.js';
import { lowerProgram } from '../../src/frontend/dsl/lower.js';
import type { LowerResult } from '../../src/frontend/dsl/lower.js';
import { parseProgram } from '../../src/frontend/dsl/parser.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { printGraph } from '../../src/ir/text.js';
import { adam, adamw, sgd } from '../../src/train/optimizers.js';

interface Options {
  file?: string;
  files?: Readonly<Record<string, string>>;
  model?: string;
  /** Paths readFile was asked for, in order. */
  reads?: string[];
}

function lower(source: string, o: Options = {}): LowerResult {
  const file = o.file ?? 'm.kiln';
  const parsed = parseProgram(source, file);
  expect(parsed.diagnostics).toEqual([]);
  const readFile = (path: string): string => {
    o.reads?.push(path);
    const text = o.files?.[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
  return lowerProgram(parsed.program, { source, file, readFile, parse: parseProgram, ...(o.model !== undefined ? { model: o.model } : {}) });
}

/** The graph of a program that must lower without diagnostics. */
function lowered(source: string, o: Options = {}): Graph {
  const r = lower(source, o);
  expect(r.diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`)).toEqual([]);
  return r.graph!;
}

function node(g: Graph, value: string): Node {
  const n = g.nodes.find((m) => m.name === value);
  if (!n) throw new Error(`no node defines ${value}`);
  return n;
}

/** The node an output reads. */
function outputNode(g: Graph, name: string): Node {
  return node(g, g.outputs.find((o) => o.name === name)!.value);
}

/** `op(operand types) : type @line:col` for each node, to assert ops, types and spans together. */
function summary(g: Graph): string[] {
  return g.nodes.map((n) => `${n.op} -> ${n.type.dtype}[${n.type.shape.join(', ')}] @${n.span?.line}:${n.span?.col}`);
}

describe('statements', () => {
  test('inputs, params with initializers, let, output with and without a value, loss', () => {
    const g = lowered(`model tiny {
  input x: f32[B, 3]
  input y: i32[B]
  param w: f32[3, 2] = normal(std=0.1, seed=7)
  param b: f32[2] = zeros
  let logits = x @ w + b
  output logits
  output probs = softmax(logits, axis=-1)
  loss softmax_cross_entropy(logits, y)
}`);
    expect(printGraph(g)).toBe(`graph tiny {
  input x: f32[B, 3] loc("m.kiln":2:3)
  input y: i32[B] loc("m.kiln":3:3)
  param w: f32[3, 2] = normal(mean=0, std=0.1, seed=7) loc("m.kiln":4:3)
  param b: f32[2] = zeros() loc("m.kiln":5:3)
  %t0 = matmul(%x, %w) : f32[B, 2] loc("m.kiln":6:16)
  %t1 = add(%t0, %b) : f32[B, 2] loc("m.kiln":6:16)
  %t2 = softmax(%t1) {axis=-1} : f32[B, 2] loc("m.kiln":8:18)
  %t3 = softmax_cross_entropy(%t1, %y) : f32[] loc("m.kiln":9:8)
  output logits = %t1 loc("m.kiln":7:3)
  output probs = %t2 loc("m.kiln":8:3)
  output loss = %t3 loc("m.kiln":9:3)
}
`);
  });

  test('a parameter without an initializer gets the builder default, seeded alike', () => {
    const g = lowered('model m { param w: f32[3, 2]; param b: f32[2]; param k: i32[2, 2]; output y = w }');
    const twin = graph('m', (b) => {
      b.param('w', 'f32', [3, 2]);
      b.param('b', 'f32', [2]);
      return { y: b.param('k', 'i32', [2, 2]) };
    });
    expect(g.params.map((p) => p.init)).toEqual(twin.params.map((p) => p.init));
    expect(g.params.map((p) => p.init.fn)).toEqual(['glorot_uniform', 'zeros', 'zeros']);
  });

  test('initializer keywords, with the defaults filled in', () => {
    const g = lowered(`model m {
  param a: f32[2, 2] = uniform(low=-1, high=1, seed=3)
  param c: f32[2] = constant(value=0.5)
  param h: f32[4, 4] = he_normal(seed=9)
  output y = a
}`);
    expect(g.params.map((p) => p.init)).toEqual([
      { fn: 'uniform', args: { low: -1, high: 1, seed: 3 } },
      { fn: 'constant', args: { value: 0.5 } },
      { fn: 'he_normal', args: { seed: 9 } },
    ]);
  });

  test('an output may name an input or a let directly', () => {
    const g = lowered('model m { input x: f32[2]; let h = relu(x); output x; output h }');
    expect(g.outputs.map((o) => [o.name, o.value])).toEqual([
      ['x', 'x'],
      ['h', 't0'],
    ]);
  });

  test('numbers bound by let size parameters and fold into one constant', () => {
    const g = lowered('model m { input x: f32[2]; let n = 2 * 3 - 4; param w: f32[n]; output y = x * (n + 1) + w }');
    expect(g.params[0]!.type.shape).toEqual([2]);
    expect(node(g, 't0')).toMatchObject({ op: 'constant', attrs: { dtype: 'f32', shape: [], value: [3] } });
  });
});

describe('expressions', () => {
  test('every operator maps to its op, left-associative, with ** binding tighter than unary minus', () => {
    const g = lowered(`model m {
  input a: f32[2, 2]
  input b: f32[2, 2]
  output o = a + b - a * b / a @ b
  output p = -a ** b
  output c1 = a == b
  output c2 = a != b
  output c3 = a < b
  output c4 = a <= b
  output c5 = a > b
  output c6 = a >= b
}`);
    expect(g.nodes.map((n) => n.op)).toEqual(['add', 'mul', 'div', 'matmul', 'sub', 'pow', 'neg', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']);
    // (a + b) - (((a * b) / a) @ b): * / @ share one level, left to right.
    expect(outputNode(g, 'o')).toMatchObject({ op: 'sub', inputs: ['t0', 't3'] });
    expect(outputNode(g, 'p')).toMatchObject({ op: 'neg', inputs: ['t5'] });
    expect(outputNode(g, 'c1').type).toEqual({ dtype: 'bool', shape: [2, 2] });
  });

  test('numbers become scalar constants of the other operand dtype, at the number', () => {
    const g = lowered(`model m {
  input x: f32[B, 3]
  input n: i32[B]
  output a = 2 * x + 1
  output b = n - 1
  output c = x ** -1
}`);
    expect(summary(g)).toEqual([
      'constant -> f32[] @4:14',
      'mul -> f32[B, 3] @4:14',
      'constant -> f32[] @4:22',
      'add -> f32[B, 3] @4:14',
      'constant -> i32[] @5:18',
      'sub -> i32[B] @5:14',
      'constant -> f32[] @6:19',
      'pow -> f32[B, 3] @6:14',
    ]);
    expect(node(g, 't4').attrs).toEqual({ dtype: 'i32', shape: [], value: [1] });
    expect(node(g, 't6').attrs).toEqual({ dtype: 'f32', shape: [], value: [-1] });
  });

  test('a number operand of where takes the dtype of the other branch, not of the condition', () => {
    const g = lowered('model m { input x: i32[4]; output y = where(x > 0, x, 0) }');
    expect(g.nodes.map((n) => `${n.op}:${n.type.dtype}`)).toEqual(['constant:i32', 'gt:bool', 'constant:i32', 'where:i32']);
  });
});

describe('calls', () => {
  test('conveniences: sum, one-operand max, mean over all axes or axis=, two-operand max', () => {
    const g = lowered(`model m {
  input x: f32[B, 3]
  output s = sum(x)
  output s1 = sum(x, axis=1, keepdims=true)
  output m = max(x, axis=0)
  output e = max(x, x)
  output a = mean(x)
  output r = reduce_sum(x, axes=1)
}`);
    const attrsOf = (o: string) => [outputNode(g, o).op, outputNode(g, o).attrs];
    expect(attrsOf('s')).toEqual(['reduce_sum', { axes: [0, 1], keepdims: false }]);
    expect(attrsOf('s1')).toEqual(['reduce_sum', { axes: [1], keepdims: true }]);
    expect(attrsOf('m')).toEqual(['reduce_max', { axes: [0], keepdims: false }]);
    expect(attrsOf('e')).toEqual(['max', {}]);
    expect(attrsOf('a')).toEqual(['mean', { axes: [0, 1], keepdims: false }]);
    expect(attrsOf('r')).toEqual(['reduce_sum', { axes: [1], keepdims: false }]);
  });

  test('attributes: dtype names, bools, shapes of numbers and symbols, -1 in reshape, filled perms', () => {
    const g = lowered(`model m {
  input x: f32[B, 6]
  input y: i32[B]
  output c = cast(x, to=i32)
  output r = reshape(x, shape=[B, 2, -1])
  output b = broadcast_to(y, shape=[3, B])
  output t = transpose(x)
  output h = one_hot(y, depth=4, dtype=bool)
  output k = concat(x, x, axis=1)
  output l = clip(x, min=-1, max=1)
}`);
    expect(outputNode(g, 'c').type).toEqual({ dtype: 'i32', shape: ['B', 6] });
    expect(outputNode(g, 'r').attrs).toEqual({ shape: ['B', 2, 3] });
    expect(outputNode(g, 'b').type.shape).toEqual([3, 'B']);
    expect(outputNode(g, 't').attrs).toEqual({ perm: [1, 0] });
    expect(outputNode(g, 'h').type).toEqual({ dtype: 'bool', shape: ['B', 4] });
    expect(outputNode(g, 'k').type.shape).toEqual(['B', 12]);
    expect(outputNode(g, 'l').attrs).toEqual({ min: -1, max: 1 });
  });

  test('dropout gets the step input, random ops a derived seed, as through the builder', () => {
    const g = lowered('model m { input x: f32[B, 4]; output d = dropout(x, rate=0.5); output r = random_normal(shape=[B, 4], std=2) }');
    const twin = graph('m', (b) => {
      const x = b.input('x', 'f32', ['B', 4]);
      return { d: b.dropout(x, 0.5), r: b.randomNormal(['B', 4], { std: 2 }) };
    });
    expect(g.inputs.map((i) => i.name)).toEqual(['x', 'step']);
    expect(g.nodes.map(({ span: _s, ...n }) => n)).toEqual(twin.nodes.map(({ span: _s, ...n }) => n));
  });
});

const LAYERS = `# layers
def dense(x, n_in, n_out) {
  param w: f32[n_in, n_out]
  param b: f32[n_out]
  return x @ w + b
}

def dense_relu(x, n_in, n_out) {
  return relu(dense(x, n_in, n_out))
}
`;

describe('defs', () => {
  test('each call scopes its parameters: by the let it is bound to, else def_<n>, nested alike', () => {
    const g = lowered(`${LAYERS}
model m {
  input x: f32[B, 3]
  let h1 = dense_relu(x, 3, 4)
  output y = dense(relu(dense(h1, 4, 4)), 4, 2)
}`);
    expect(g.params.map((p) => `${p.name}: ${p.type.shape.join('x')}`)).toEqual(['h1.dense_1.w: 3x4', 'h1.dense_1.b: 4', 'dense_1.w: 4x4', 'dense_1.b: 4', 'y.w: 4x2', 'y.b: 2']);
    // The nodes of a def carry the spans of its body.
    expect(summary(g).slice(0, 3)).toEqual(['matmul -> f32[B, 4] @5:10', 'add -> f32[B, 4] @5:10', 'relu -> f32[B, 4] @9:10']);
  });

  test('a residual block used twice makes distinct parameters', () => {
    const g = lowered(`
def residual(x, n) {
  param w: f32[n, n]
  param b: f32[n] = constant(value=0.1)
  return x + relu(x @ w + b)
}
model res {
  input x: f32[B, 8]
  let r1 = residual(x, 8)
  let r2 = residual(r1, 8)
  output y = r2
}`);
    expect(g.params.map((p) => p.name)).toEqual(['r1.w', 'r1.b', 'r2.w', 'r2.b']);
    expect(g.nodes.map((n) => n.op)).toEqual(['matmul', 'add', 'relu', 'add', 'matmul', 'add', 'relu', 'add']);
    expect(node(g, 't4').inputs).toEqual(['t3', 'r2.w']);
    expect(g.params[0]!.span).toEqual({ file: 'm.kiln', line: 3, col: 3 });
  });

  test('an RNN cell applied over three steps shares the weights passed to it', () => {
    const g = lowered(`
def cell(x, h, w, u, b) {
  return tanh(x @ w + h @ u + b)
}
model rnn {
  input x0: f32[B, 3]
  input x1: f32[B, 3]
  input x2: f32[B, 3]
  input h0: f32[B, 5]
  param w: f32[3, 5]
  param u: f32[5, 5]
  param b: f32[5]
  let h1 = cell(x0, h0, w, u, b)
  let h2 = cell(x1, h1, w, u, b)
  let h3 = cell(x2, h2, w, u, b)
  output h3
}`);
    expect(g.params.map((p) => p.name)).toEqual(['w', 'u', 'b']);
    const matmuls = g.nodes.filter((n) => n.op === 'matmul');
    expect(matmuls.map((n) => n.inputs)).toEqual([
      ['x0', 'w'],
      ['h0', 'u'],
      ['x1', 'w'],
      ['t4', 'u'],
      ['x2', 'w'],
      ['t9', 'u'],
    ]);
    expect(outputNode(g, 'h3')).toMatchObject({ op: 'tanh', type: { dtype: 'f32', shape: ['B', 5] }, span: { line: 3, col: 10 } });
  });

  test('number arguments size parameters and mix into expressions; arguments may be keywords', () => {
    const g = lowered(`
def scaled(x, n, k) {
  let half = n / 2
  param w: f32[n, half]
  return (x @ w) * k + half
}
model m {
  input x: f32[B, 4]
  output y = scaled(x, k=0.5, n=4)
}`);
    expect(g.params[0]).toMatchObject({ name: 'y.w', type: { shape: [4, 2] } });
    const constants = g.nodes.filter((n) => n.op === 'constant').map((n) => n.attrs['value']);
    expect(constants).toEqual([[0.5], [2]]);
  });

  test('a def may return a number', () => {
    const g = lowered('def twice(n) { return 2 * n }\nmodel m { input x: f32[2]; let n = twice(1); param w: f32[n]; output y = x + w * twice(3) }');
    expect(g.params[0]!.type.shape).toEqual([2]);
    expect(g.nodes.find((n) => n.op === 'constant')!.attrs['value']).toEqual([6]);
  });
});

describe('imports', () => {
  test('defs come from imported files, relative to the importing file, each read once', () => {
    const reads: string[] = [];
    const files = {
      'models/lib/layers.kiln': `import "../common/act.kiln"\n${LAYERS}\ndef block(x, n) { return act(dense(x, n, n)) }`,
      'models/common/act.kiln': 'def act(x) {\n  return tanh(x)\n}',
    };
    const g = lowered(
      `import "lib/layers.kiln"
import "common/act.kiln"
model m {
  input x: f32[B, 4]
  let b1 = block(x, 4)
  output y = act(b1)
}`,
      { file: 'models/main.kiln', files, reads },
    );
    expect(reads).toEqual(['models/lib/layers.kiln', 'models/common/act.kiln']);
    expect(g.params.map((p) => p.name)).toEqual(['b1.dense_1.w', 'b1.dense_1.b']);
    const tanh = g.nodes.filter((n) => n.op === 'tanh');
    expect(tanh.map((n) => n.span)).toEqual([
      { file: 'models/common/act.kiln', line: 2, col: 10 },
      { file: 'models/common/act.kiln', line: 2, col: 10 },
    ]);
    expect(g.params[0]!.span).toEqual({ file: 'models/lib/layers.kiln', line: 4, col: 3 });
  });

  test('models and train sections of an imported file are not imported', () => {
    const files = { 'lib.kiln': 'def f(x) { return x }\nmodel other { input z: f32[1]; output z }\ntrain { epochs = 9 }' };
    const r = lower('import "lib.kiln"\nmodel m { input x: f32[2]; output y = f(x) }', { files });
    expect(r.graph!.name).toBe('m');
    expect(r.train).toBeUndefined();
  });
});

describe('models and the train section', () => {
  test('the model option picks one of several', () => {
    const source = 'model a { input x: f32[2]; output y = x }\nmodel b { input x: f32[2]; output y = -x }';
    expect(lower(source, { model: 'b' }).graph!.nodes.map((n) => n.op)).toEqual(['neg']);
    expect(lower(source, { model: 'a' }).graph!.name).toBe('a');
  });

  test('settings become a TrainConfig, optimizers through their constructors', () => {
    const train = (settings: string) => lower(`model m { input x: f32[2]; output y = x }\ntrain {\n${settings}\n}`).train;
    expect(train('optimizer = adam(lr=1e-3)\nepochs = 10\nbatch = 128; seed = 4; patience = 3\nl1 = 0; l2 = 1e-4\ndataset = "csv:data/iris.csv"\nsplit = [8, 1, 1]')).toEqual({
      optimizer: adam({ lr: 1e-3 }),
      epochs: 10,
      batch: 128,
      seed: 4,
      patience: 3,
      l1: 0,
      l2: 1e-4,
      dataset: 'csv:data/iris.csv',
      split: [8, 1, 1],
      span: { file: 'm.kiln', line: 2, col: 1 },
    });
    expect(train('optimizer = sgd(lr=0.1, momentum=0.9, nesterov=true)')!.optimizer).toEqual(sgd({ lr: 0.1, momentum: 0.9, nesterov: true }));
    expect(train('optimizer = adamw(lr=2e-3, beta1=0.8, weight_decay=0.05)')!.optimizer).toEqual(adamw({ lr: 2e-3, beta1: 0.8, weightDecay: 0.05 }));
    expect(train('optimizer = adam')!.optimizer).toEqual(adam());
    expect(train('dataset = "mnist"; split = [0.8, 0.2, 0]')).toMatchObject({ dataset: 'mnist', split: [0.8, 0.2, 0] });
  });

  test('without a train section there is no TrainConfig', () => {
    const r = lower('model m { input x: f32[2]; output y = x }');
    expect(r).toEqual({ graph: r.graph, diagnostics: [] });
  });
});

describe('the same MLP from .kiln and from the TypeScript builder', () => {
  test('computes the same outputs on the same weights', async () => {
    const fromKiln = lowered(`${LAYERS}
model mlp {
  input x: f32[B, 4]
  input y: i32[B]
  let h1 = dense_relu(x, 4, 8)
  let logits = dense(h1, 8, 3)
  output probs = softmax(logits)
  loss softmax_cross_entropy(logits, y)
}`);
    const fromTs = graph('mlp', (b) => {
      const x = b.input('x', 'f32', ['B', 4]);
      const y = b.input('y', 'i32', ['B']);
      const h1 = x
        .matmul(b.param('h1.dense_1.w', 'f32', [4, 8]))
        .add(b.param('h1.dense_1.b', 'f32', [8], init.zeros()))
        .relu();
      const logits = h1.matmul(b.param('logits.w', 'f32', [8, 3])).add(b.param('logits.b', 'f32', [3], init.zeros()));
      return { probs: logits.softmax(), loss: b.softmaxCrossEntropy(logits, y) };
    });
    expect(fromKiln.params.map((p) => [p.name, p.type])).toEqual(fromTs.params.map((p) => [p.name, p.type]));
    expect(fromKiln.params.map((p) => p.init)).toEqual(fromTs.params.map((p) => p.init));

    const weights: Record<string, Float32Array> = {};
    fromTs.params.forEach((p, k) => {
      const n = (p.type.shape as number[]).reduce((a, d) => a * d, 1);
      weights[p.name] = Float32Array.from({ length: n }, (_, i) => Math.sin(7 * k + i) * 0.5);
    });
    const inputs = { x: Float32Array.from({ length: 20 }, (_, i) => Math.cos(i)), y: Int32Array.from([0, 2, 1, 1, 0]) };
    const outs = await Promise.all(
      [fromKiln, fromTs].map(async (g) => {
        const exe = await compile(g, { shapes: { B: 5 } });
        exe.setParams(weights);
        return exe.run(inputs);
      }),
    );
    for (const name of ['probs', 'loss']) {
      expect(Array.from(outs[0]![name]!.data)).toEqual(Array.from(outs[1]![name]!.data));
    }
  });
});

describe('generated names', () => {
  test('inputs declared after expressions keep their names: intermediate values avoid them', () => {
    const source = 'model m {\n  input x: f32[2]\n  let a = relu(x) * 2\n  input t0: f32[2]\n  param t1: f32[2]\n  output y = a + t0 + t1\n}\n';
    const r = checkModel(source, 'm.kiln');
    expect(r.diagnostics).toEqual([]);
    expect(r.graph!.inputs.map((i) => i.name)).toEqual(['x', 't0']);
    expect(r.graph!.params.map((p) => p.name)).toEqual(['t1']);
    expect(r.graph!.nodes.map((n) => n.name)).not.toContain('t0');
  });
});
