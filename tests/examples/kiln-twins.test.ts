// Every example model written in the model language lowers to a graph that computes what its
// TypeScript-builder twin computes, on the same weights and inputs.

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { lenetGraph } from '../../examples/lenet.js';
import { linearRegressionGraph } from '../../examples/linear-regression.js';
import { logisticRegressionGraph } from '../../examples/logistic-regression.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { perceptronGraph } from '../../examples/perceptron.js';
import { sinGraph } from '../../examples/sin.js';
import { xorMlpGraph } from '../../examples/xor-train.js';
import { compile } from '../../src/compile.js';
import { parseModel } from '../../src/frontend/dsl/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { uniform01 } from '../../src/ir/random.js';
import { isConcrete, numel } from '../../src/ir/types.js';

const TWINS: [string, () => Graph][] = [
  ['perceptron', perceptronGraph],
  ['logistic-regression', logisticRegressionGraph],
  ['linear-regression', linearRegressionGraph],
  ['xor', () => xorMlpGraph()],
  ['sin', () => sinGraph()],
  ['mnist-mlp', () => mnistMlpGraph()],
  ['lenet', lenetGraph],
];

/** Seeded values in [-1, 1) for a concrete shape; integer labels in [0, 10) for i32. */
function values(seed: number, n: number, dtype: string): Float32Array | Int32Array {
  const u = Array.from({ length: n }, (_, i) => uniform01(seed, i));
  return dtype === 'i32' ? Int32Array.from(u, (v) => Math.floor(v * 10)) : Float32Array.from(u, (v) => 2 * v - 1);
}

describe('the .kiln examples and their TypeScript twins', () => {
  test.each(TWINS)('%s.kiln', async (name, twin) => {
    const file = `examples/${name}.kiln`;
    const { graph: fromKiln } = parseModel(readFileSync(file, 'utf8'), file);
    const fromTs = twin();
    // Same interface: inputs, parameter shapes in order, outputs.
    const sig = (g: Graph) => ({
      inputs: g.inputs.map((i) => [i.name, i.type]),
      params: g.params.map((p) => p.type),
      outputs: g.outputs.map((o) => o.name),
    });
    expect(sig(fromKiln)).toEqual(sig(fromTs));

    const B = 3;
    const [a, b] = await Promise.all([compile(fromKiln, { shapes: { B } }), compile(fromTs, { shapes: { B } })]);
    // The same weights, matched by position (a def's parameters are named by scope: h1.w).
    const weights = fromTs.params.map((p, k) => {
      const shape = p.type.shape;
      if (!isConcrete(shape)) throw new Error('parameters have concrete shapes');
      return values(100 + k, numel(shape), p.type.dtype);
    });
    a.setParams(Object.fromEntries(fromKiln.params.map((p, k) => [p.name, weights[k]!])));
    b.setParams(Object.fromEntries(fromTs.params.map((p, k) => [p.name, weights[k]!])));
    const inputs = Object.fromEntries(
      a.inputs.map((spec, k) => [
        spec.name,
        spec.name === 'y' && name === 'perceptron' ? Float32Array.from(values(7, numel(spec.shape), 'f32'), Math.sign) : values(k + 1, numel(spec.shape), spec.dtype),
      ]),
    );
    const [outA, outB] = await Promise.all([a.run(inputs), b.run(inputs)]);
    for (const o of fromTs.outputs) {
      const x = Array.from(outA[o.name]!.data);
      const y = Array.from(outB[o.name]!.data);
      expect(x.length, o.name).toBe(y.length);
      x.forEach((v, i) => expect(v, `${o.name}[${i}]`).toBeCloseTo(y[i]!, 5));
    }
  });

  test('mnist-mlp.kiln scopes its layers parameters by binding and carries its train section', () => {
    const file = 'examples/mnist-mlp.kiln';
    const { graph, train } = parseModel(readFileSync(file, 'utf8'), file);
    expect(graph.params.map((p) => p.name)).toEqual(['h1.w', 'h1.b', 'h2.w', 'h2.b', 'logits.w', 'logits.b']);
    expect(graph.params[0]!.init.fn).toBe('he_normal');
    expect(train).toMatchObject({ epochs: 5, batch: 128, patience: 2, dataset: 'mnist', split: [8, 1, 1] });
    expect(train!.optimizer).toMatchObject({ kind: 'adam', lr: 2e-3 });
  });
});
