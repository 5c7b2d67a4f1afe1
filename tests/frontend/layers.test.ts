// Layers of the TypeScript builder: b.dense(x, units, ...) makes and names its own parameters,
// seeds each from the graph seed and its name, computes what the hand-written graph computes,
// differentiates like it, and refuses bad units and activations at the caller's line.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { graph, init } from '../../src/frontend/builder.js';
import type { Builder, Sym } from '../../src/frontend/builder.js';
import type { Activation } from '../../src/frontend/layers.js';
import type { Graph, Initializer } from '../../src/ir/graph.js';
import { grad, gradOutputName } from '../../src/passes/autodiff.js';
import { catchKiln } from '../catch-kiln.js';

const SOURCE_LINES = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
const lineOf = (marker: string): number => SOURCE_LINES.findIndex((t) => t.includes(`// ${marker}`)) + 1;

/** x: f32[B, 3] through two dense layers of 4 and 2 units. */
function twoLayers(seed?: number): Graph {
  return graph(
    'two',
    (b) => {
      const x = b.input('x', 'f32', ['B', 3]);
      const h = b.dense(x, 4, { activation: 'relu' });
      b.output('y', h.dense(2));
    },
    seed === undefined ? {} : { seed },
  );
}

async function paramValues(g: Graph): Promise<Record<string, number[]>> {
  const exe = await compile(g, { backend: 'reference', shapes: { B: 1 } });
  return Object.fromEntries(Object.entries(exe.params()).map(([k, t]) => [k, Array.from(t.data)]));
}

describe('dense layers', () => {
  it('name their parameters dense_N.w and dense_N.b with the shapes the input fixes', () => {
    const g = twoLayers();
    expect(g.params.map((p) => [p.name, p.type.shape, p.init.fn])).toEqual([
      ['dense_1.w', [3, 4], 'he_normal'],
      ['dense_1.b', [4], 'zeros'],
      ['dense_2.w', [4, 2], 'glorot_uniform'],
      ['dense_2.b', [2], 'zeros'],
    ]);
    expect(g.nodes.map((n) => n.op)).toEqual(['dense', 'relu', 'dense']);
  });

  it('take a name, no bias and an initializer', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', ['B', 3]);
      b.output('y', b.dense(x, 5, { name: 'enc', useBias: false, activation: 'tanh', kernelInitializer: init.uniform({ low: 2, high: 3 }) }));
    });
    expect(g.params.map((p) => [p.name, p.type.shape, p.init.fn])).toEqual([['enc.w', [3, 5], 'uniform']]);
    expect(g.nodes.map((n) => n.op)).toEqual(['matmul', 'tanh']);
  });

  it('give two layers of the same shape different initial weights, the same for the same seed', async () => {
    const same = graph('same', (b) => {
      const x = b.input('x', 'f32', ['B', 4]);
      b.output('y', x.dense(4).dense(4));
    });
    const v = await paramValues(same);
    expect(v['dense_1.w']).toHaveLength(16);
    expect(v['dense_1.w']).not.toEqual(v['dense_2.w']);
    expect(await paramValues(twoLayers(5))).toEqual(await paramValues(twoLayers(5)));
    expect((await paramValues(twoLayers(5)))['dense_1.w']).not.toEqual((await paramValues(twoLayers(6)))['dense_1.w']);
  });

  it('keep an explicit seed as given', () => {
    const g = graph('g', (b) => {
      const x = b.input('x', 'f32', ['B', 4]);
      b.output('y', x.dense(4, { kernelInitializer: init.heNormal({ seed: 42 }) }).dense(4, { kernelInitializer: init.heNormal({ seed: 42 }) }));
    });
    expect(g.params.filter((p) => p.name.endsWith('.w')).map((p) => p.init.args['seed'])).toEqual([42, 42]);
  });

  const activations: [Activation, (b: Builder, y: Sym) => Sym][] = [
    ['linear', (_, y) => y],
    ['relu', (b, y) => b.relu(y)],
    ['sigmoid', (b, y) => b.sigmoid(y)],
    ['tanh', (b, y) => b.tanh(y)],
    ['softmax', (b, y) => b.softmax(y)],
  ];
  it.each(activations)('%s computes what the hand-written graph computes', async (activation, apply) => {
    const layered = graph('l', (b) => {
      const x = b.input('x', 'f32', [2, 3]);
      b.output('y', b.dense(x, 4, { activation, name: 'd' }));
    });
    const w = layered.params[0];
    const byHand = graph('h', (b) => {
      const x = b.input('x', 'f32', [2, 3]);
      b.output('y', apply(b, x.matmul(b.param('w', 'f32', [3, 4], w!.init)).add(b.param('b', 'f32', [4]))));
    });
    const x = Float32Array.from([0.5, -1, 2, -0.25, 1.5, -2]);
    const bValues = Float32Array.from([0.1, -0.2, 0.3, -0.4]); // nonzero, so the bias is seen to be added
    const a = await compile(layered, { backend: 'reference' });
    const h = await compile(byHand, { backend: 'reference' });
    a.setParams({ 'd.b': bValues });
    h.setParams({ b: bValues });
    expect(Array.from(a.params()['d.w']!.data)).toEqual(Array.from(h.params()['w']!.data));
    const got = Array.from((await a.run({ x }))['y']!.data);
    expect(got).toEqual(Array.from((await h.run({ x }))['y']!.data));
    expect(new Set(got).size).toBeGreaterThan(1);
  });

  it('have gradients that match central differences', async () => {
    const g = graph('fd', (b) => {
      const x = b.input('x', 'f32', [2, 3]);
      const t = b.input('t', 'f32', [2, 2]);
      const p = b.dense(b.dense(x, 4, { activation: 'tanh' }), 2, { activation: 'sigmoid' });
      b.output('loss', b.mse(p, t));
    });
    const options = { backend: 'reference', precision: 'f64' } as const;
    const forward = await compile(g, options);
    const backward = await compile(grad(g, { loss: 'loss' }), options);
    const feed = { x: Float64Array.from([0.3, -0.7, 1.1, 0.9, -0.2, 0.4]), t: Float64Array.from([0.2, 0.9, 0.6, 0.1]) };
    const params = Object.fromEntries(Object.entries(forward.params()).map(([k, v]) => [k, Float64Array.from(v.data, (e, i) => e + 0.05 * Math.sin(i + 1))]));
    forward.setParams(params);
    backward.setParams(params);
    const analytic = await backward.run(feed);
    expect(Object.keys(params)).toEqual(['dense_1.w', 'dense_1.b', 'dense_2.w', 'dense_2.b']);
    for (const [name, base] of Object.entries(params)) {
      const got = analytic[gradOutputName(name)]!.data;
      for (let i = 0; i < base.length; i++) {
        const h = 1e-6;
        const at = async (d: number) => {
          const moved = base.slice();
          moved[i] = base[i]! + d;
          forward.setParams({ [name]: moved });
          return (await forward.run(feed))['loss']!.data[0]!;
        };
        const numeric = ((await at(h)) - (await at(-h))) / (2 * h);
        expect(Math.abs(got[i]! - numeric), `${name}[${i}]`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(numeric));
      }
      forward.setParams({ [name]: base });
    }
    expect(Math.max(...Array.from(analytic[gradOutputName('dense_1.w')]!.data, Math.abs))).toBeGreaterThan(1e-4);
  });
});

describe('dense layer errors', () => {
  it('units that are not a positive integer, at the call', () => {
    for (const units of [0, -3, 2.5, Number.NaN]) {
      const e = catchKiln(() =>
        graph('g', (b) => {
          b.output('y', b.dense(b.input('x', 'f32', ['B', 3]), units)); // bad units
        }),
      );
      expect(e.detail).toBe(`dense: units must be a positive integer, got ${units}`);
      expect(e.span).toMatchObject({ file: 'tests/frontend/layers.test.ts', line: lineOf('bad units') });
    }
  });

  it('an unknown activation, with the known ones', () => {
    const e = catchKiln(() =>
      graph('g', (b) => {
        b.output('y', b.input('x', 'f32', ['B', 3]).dense(2, { activation: 'gelu' as Activation })); // bad activation
      }),
    );
    expect(e.detail).toBe("dense: unknown activation 'gelu' (expected one of: linear, relu, sigmoid, tanh, softmax)");
    expect(e.span).toMatchObject({ file: 'tests/frontend/layers.test.ts', line: lineOf('bad activation') });
  });

  it('options of the wrong kind', () => {
    const x = (b: Builder) => b.input('x', 'f32', ['B', 3]);
    const bias = catchKiln(() => graph('g', (b) => b.output('y', b.dense(x(b), 2, { useBias: 'no' as unknown as boolean }))));
    expect(bias.detail).toBe('dense: useBias must be true or false, got "no"');
    const initial = catchKiln(() => graph('g', (b) => b.output('y', b.dense(x(b), 2, { kernelInitializer: 'he_normal' as unknown as Initializer }))));
    expect(initial.detail).toBe('dense: kernelInitializer must be an initializer such as init.heNormal(), got "he_normal"');
  });

  it('an input whose last dimension is a symbol', () => {
    const e = catchKiln(() => graph('g', (b) => b.output('y', b.dense(b.input('x', 'f32', [3, 'C']), 2))));
    expect(e.detail).toBe("dense: x must be f32 with a numeric last dimension (its size fixes the weights' shape), got f32[3, C]");
  });
});

describe('b.conv2d(x, filters, ...)', () => {
  const convLayers = () =>
    graph('convs', (b) => {
      const x = b.input('x', 'f32', ['B', 8, 8, 3]);
      const h = b.conv2d(x, 6, { kernel: 5, padding: 'same', activation: 'relu' });
      b.output('y', b.conv2d(h, 4, { kernel: [3, 2], strides: [2, 2], useBias: false, name: 'last' }));
    });

  it('makes HWIO weights and a bias, He-initialized after relu, and computes the conv2d op of them', async () => {
    const g = convLayers();
    expect(g.params.map((p) => [p.name, p.type.shape, p.init.fn])).toEqual([
      ['conv2d_1.w', [5, 5, 3, 6], 'he_normal'],
      ['conv2d_1.b', [6], 'zeros'],
      ['last.w', [3, 2, 6, 4], 'glorot_uniform'],
    ]);
    const twin = graph('twin', (b) => {
      const x = b.input('x', 'f32', ['B', 8, 8, 3]);
      const w1 = b.param('conv2d_1.w', 'f32', [5, 5, 3, 6], init.heNormal());
      const b1 = b.param('conv2d_1.b', 'f32', [6], init.zeros());
      const w2 = b.param('last.w', 'f32', [3, 2, 6, 4], init.glorotUniform());
      const h = b.op('conv2d', [x, w1], { padding: 'same' }).add(b1).relu();
      b.output('y', b.op('conv2d', [h, w2], { strides: [2, 2] }));
    });
    const x = Float32Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.sin(i));
    const [a, t] = await Promise.all([compile(g, { shapes: { B: 2 } }), compile(twin, { shapes: { B: 2 } })]);
    t.setParams(a.params());
    const [ya, yt] = await Promise.all([a.run({ x }), t.run({ x })]);
    expect(ya['y']!.shape).toEqual([2, 3, 4, 4]);
    expect(Array.from(ya['y']!.data)).toEqual(Array.from(yt['y']!.data));
  });

  it.each([
    ['no filters', (b: Builder, x: Sym) => b.conv2d(x, 0), /conv2d: filters must be a positive integer, got 0/],
    ['an unknown activation', (b: Builder, x: Sym) => b.conv2d(x, 2, { activation: 'gelu' as Activation }), /conv2d: unknown activation 'gelu'/],
    ['images of rank 2', (b: Builder) => b.conv2d(b.input('flat', 'f32', ['B', 64]), 2), /conv2d: x must be f32 NHWC images with a numeric channel count .* got f32\[B, 64\]/],
  ])('refuses %s', (_what, make, message) => {
    const e = catchKiln(() => graph('bad', (b) => b.output('y', make(b, b.input('x', 'f32', ['B', 8, 8, 1])))));
    expect(e.message).toMatch(message);
  });
});
