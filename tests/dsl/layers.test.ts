// Layers in the model language: dense(x, units, ...) names its parameters after the binding,
// computes what the builder's layer computes, and an initializer inside a def called twice
// draws twice (a seed written in the def included), the same on every lowering.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { checkModel, parseModel } from '../../src/frontend/dsl/index.js';
import { graph } from '../../src/frontend/builder.js';
import type { Graph } from '../../src/ir/graph.js';

const m = (body: string) => `model m {\n  input x: f32[B, 3]\n${body}\n}`;

const lower = (source: string): Graph => parseModel(source, 'm.kiln').graph;

/** Every diagnostic as `line:col: message`. */
const problems = (source: string): string[] => checkModel(source, 'm.kiln').diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`);

async function paramValues(g: Graph): Promise<Record<string, number[]>> {
  const exe = await compile(g, { backend: 'reference', shapes: { B: 1 } });
  return Object.fromEntries(Object.entries(exe.params()).map(([k, t]) => [k, Array.from(t.data)]));
}

describe('dense layers in .kiln', () => {
  it('name their parameters after the let or output, or dense_N (N counting every dense call, as for defs), and take activation, use_bias and kernel_initializer', () => {
    const g = lower(
      m('  let h = dense(x, 4, activation=relu)\n  output y = dense(dense(h, 2, use_bias=false, kernel_initializer=uniform(low=0, high=1)), 2, activation="softmax")'),
    );
    expect(g.params.map((p) => [p.name, p.type.shape, p.init.fn])).toEqual([
      ['h.w', [3, 4], 'he_normal'],
      ['h.b', [4], 'zeros'],
      ['dense_2.w', [4, 2], 'uniform'],
      ['y.w', [2, 2], 'glorot_uniform'],
      ['y.b', [2], 'zeros'],
    ]);
    expect(g.nodes.map((n) => n.op)).toEqual(['dense', 'relu', 'matmul', 'dense', 'softmax']);
  });

  it('inside a def are named after the def call, and the dense op with three operands stays', () => {
    const source = `def block(x) {\n  let inner = dense(x, 3, activation=tanh)\n  param w: f32[3, 3]\n  param b: f32[3]\n  return dense(inner, w, b)\n}\n${m('  let a = block(x)\n  output y = block(a)')}`;
    expect(lower(source).params.map((p) => p.name)).toEqual(['a.inner.w', 'a.inner.b', 'a.w', 'a.b', 'y.inner.w', 'y.inner.b', 'y.w', 'y.b']);
  });

  it('compute what the TypeScript layer computes on the same weights', async () => {
    const dsl = lower(m('  output y = dense(x, 2, activation=sigmoid)'));
    const ts = graph('ts', (b) => b.output('y', b.dense(b.input('x', 'f32', ['B', 3]), 2, { activation: 'sigmoid', name: 'y' })));
    const weights = { 'y.w': Float32Array.from([1, -2, 0.5, 0.25, -1, 3]), 'y.b': Float32Array.from([0.1, -0.3]) };
    const x = Float32Array.from([0.2, -0.4, 0.6, 1, 2, -3]);
    const run = async (g: Graph) => {
      const exe = await compile(g, { backend: 'reference', shapes: { B: 2 } });
      exe.setParams(weights);
      return Array.from((await exe.run({ x }))['y']!.data);
    };
    const expected = [0, 1].flatMap((r) =>
      [0, 1].map((c) => 1 / (1 + Math.exp(-([0, 1, 2].reduce((s, k) => s + x[r * 3 + k]! * weights['y.w'][k * 2 + c]!, 0) + weights['y.b'][c]!)))),
    );
    const got = await run(dsl);
    expect(got).toEqual(await run(ts));
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });
});

describe('the layer example of docs/language.md', () => {
  it('lowers to the parameters its comment names', () => {
    const docs = readFileSync('docs/language.md', 'utf8');
    const block = [...docs.matchAll(/```kiln\n([\s\S]*?)```/g)].map((b) => b[1]!).find((b) => b.includes('dense(x, 256, activation=relu)'));
    const g = lower(block!.replace(/^ {2}/gm, ''));
    expect(g.params.map((p) => `${p.name}: ${p.type.shape.join('x')}`)).toEqual(['h1.w: 784x256', 'h1.b: 256', 'h2.w: 256x256', 'h2.b: 256', 'logits.w: 256x10', 'logits.b: 10']);
  });
});

describe('seeds of parameters in defs', () => {
  const def = (init: string) => `def layer(x) {\n  param w: f32[3, 3] = ${init}\n  return x @ w\n}\n${m('  let a = layer(x)\n  output y = layer(a)')}`;

  it.each(['he_normal(seed=1)', 'he_normal', 'uniform(low=-1, high=1, seed=7)'])('a def called twice draws twice with %s', async (init) => {
    const v = await paramValues(lower(def(init)));
    expect(Object.keys(v)).toEqual(['a.w', 'y.w']);
    expect(v['a.w']).not.toEqual(v['y.w']);
    expect(await paramValues(lower(def(init)))).toEqual(v);
  });

  it('a seed written in the def still picks the draw, and a dense layer in a def is seeded per call too', async () => {
    const one = await paramValues(lower(def('he_normal(seed=1)')));
    const two = await paramValues(lower(def('he_normal(seed=2)')));
    expect(one['a.w']).not.toEqual(two['a.w']);
    const layers = await paramValues(lower(`def l(x) {\n  return dense(x, 3, kernel_initializer=he_normal(seed=1))\n}\n${m('  output y = l(l(x))')}`));
    expect(layers['y.dense_1.w']).not.toEqual(layers['l_1.dense_1.w']);
  });

  it('a seed written in a model is used as written', () => {
    const g = lower(m('  param w: f32[3, 3] = he_normal(seed=9)\n  output y = dense(x @ w, 2, kernel_initializer=glorot_normal(seed=9))'));
    expect(g.params.map((p) => p.init.args['seed'])).toEqual([9, 9, undefined]);
  });
});

describe('dense layer errors in .kiln', () => {
  it.each([
    ['units not a positive integer', '  output y = dense(x, 2.5)', ['3:23: dense: units must be a positive integer, got 2.5']],
    ['zero units', '  output y = dense(x, 0)', ['3:23: dense: units must be a positive integer, got 0']],
    ['an unknown activation', '  output y = dense(x, 2, activation=gelu)', ["3:37: dense: unknown activation 'gelu' (expected one of: linear, relu, sigmoid, tanh, softmax)"]],
    ['use_bias not a boolean', '  output y = dense(x, 2, use_bias=1)', ['3:35: dense: use_bias must be true or false, got the number 1']],
    ['an unknown keyword', '  output y = dense(x, 2, units=3)', ["3:26: dense: unknown keyword 'units' (expected one of: activation, use_bias, kernel_initializer)"]],
    ['a tensor for units', '  output y = dense(x, x)', ['3:23: dense: with two operands the second is the number of units (the dense op takes x, w, b), got a tensor']],
    [
      'an unknown initializer',
      '  output y = dense(x, 2, kernel_initializer=he)',
      ["3:45: unknown initializer 'he' (expected one of: zeros, ones, constant, uniform, normal, glorot_uniform, glorot_normal, he_uniform, he_normal)"],
    ],
  ])('%s', (_, body, expected) => {
    expect(problems(m(body))).toEqual(expected);
  });
});
