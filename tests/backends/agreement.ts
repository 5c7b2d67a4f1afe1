// The agreement suite every compiled backend runs against the reference interpreter: the
// example models' inference, seeded random graphs, and Adam training steps, within 1e-5
// relative. A backend's test file calls `describeAgreement` and adds what is its own.

import { describe, expect, test } from 'vitest';
import { linearRegressionGraph } from '../../examples/linear-regression.js';
import { logisticRegressionGraph } from '../../examples/logistic-regression.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { perceptronGraph } from '../../examples/perceptron.js';
import { sinGraph } from '../../examples/sin.js';
import { xorMlpGraph } from '../../examples/xor-train.js';
import { compile } from '../../src/compile.js';
import type { BackendName } from '../../src/compile.js';
import type { Graph } from '../../src/ir/graph.js';
import { uniform01 } from '../../src/ir/random.js';
import { isConcrete, numel } from '../../src/ir/types.js';
import type { Tensor } from '../../src/ir/types.js';
import { specialize } from '../../src/passes/specialize.js';
import { adam } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { DEFAULT_TOLERANCE, closeEnough, type Tolerance } from '../conformance/tolerance.js';
import { randomGraph, randomInputs } from '../support/random-graphs.js';

export function expectClose(what: string, got: Tensor, want: Tensor, tol: Tolerance = DEFAULT_TOLERANCE): void {
  expect(got.shape, what).toEqual(want.shape);
  expect(got.dtype, what).toBe(want.dtype);
  for (let i = 0; i < want.data.length; i++) {
    const ok = want.dtype === 'f32' ? closeEnough(Number(got.data[i]), Number(want.data[i]), tol) : got.data[i] === want.data[i];
    if (!ok) expect.fail(`${what}[${i}] is ${got.data[i]}, expected ${want.data[i]}`);
  }
}

const ADAM_STEPS_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-6 };

/** Seeded inputs for a graph at concrete shapes: f32 in [-1, 1), i32 labels in [0, 10). */
export function inputsFor(g: Graph, shapes: Record<string, number>, seed: number): Record<string, Float32Array | Int32Array> {
  const bound = specialize(g, { shapes });
  return Object.fromEntries(
    bound.inputs.map((i, k) => {
      const n = isConcrete(i.type.shape) ? numel(i.type.shape) : 0;
      const u = Array.from({ length: n }, (_, j) => uniform01(seed + k, j));
      return [i.name, i.type.dtype === 'i32' ? Int32Array.from(u, (v) => Math.floor(v * 10)) : Float32Array.from(u, (v) => 2 * v - 1)];
    }),
  );
}

export const EXAMPLES: [string, () => Graph][] = [
  ['perceptron', perceptronGraph],
  ['logistic regression', logisticRegressionGraph],
  ['linear regression', linearRegressionGraph],
  ['xor', () => xorMlpGraph()],
  ['sin', () => sinGraph()],
  ['mnist mlp', () => mnistMlpGraph([64, 32])],
];

/** The suite for `backend`, with `randomGraphs` seeded random graphs. */
export function describeAgreement(backend: BackendName, randomGraphs: number): void {
  describe(`backend '${backend}' against the reference`, () => {
    test.each(EXAMPLES)('%s: inference outputs agree', async (_name, build) => {
      const g = build();
      const shapes = { B: 5 };
      const [ref, exe] = await Promise.all([compile(g, { shapes }), compile(g, { shapes, backend })]);
      exe.setParams(ref.params()); // the same weights on both sides
      const inputs = inputsFor(g, shapes, 3);
      const [want, got] = await Promise.all([ref.run(inputs), exe.run(inputs)]);
      for (const [name, t] of Object.entries(want)) expectClose(name, got[name]!, t);
    });

    test(`${randomGraphs} random graphs agree`, async () => {
      for (let seed = 0; seed < randomGraphs; seed++) {
        const g = randomGraph(seed);
        const inputs = randomInputs(g, seed);
        const [ref, exe] = await Promise.all([compile(g), compile(g, { backend })]);
        exe.setParams(ref.params());
        const [want, got] = await Promise.all([ref.run(inputs), exe.run(inputs)]);
        for (const [name, t] of Object.entries(want)) expectClose(`graph ${seed}: ${name}`, got[name]!, t);
      }
    }, 120_000);

    test.each([
      ['mnist mlp', () => mnistMlpGraph([32, 16])],
      ['sin', () => sinGraph(16)],
    ] as const)('%s: three Adam training steps give the same losses and weights', async (_name, build) => {
      const g = build();
      const run = async (b: BackendName) => {
        const trainer = await compileTraining(g, { backend: b, optimizer: adam({ lr: 0.01 }), seed: 4 });
        const batch = inputsFor(g, { B: 8 }, 11);
        const losses: number[] = [];
        for (let s = 0; s < 3; s++) losses.push((await trainer.step(batch)).loss!);
        return { losses, state: await trainer.readState() };
      };
      const [want, got] = await Promise.all([run('reference'), run(backend)]);
      want.losses.forEach((l, i) => expect(closeEnough(got.losses[i]!, l), `loss ${i}: ${got.losses[i]} vs ${l}`).toBe(true));
      // Adam divides each gradient by its own running magnitude, so a gradient that differs in its
      // last bits (a matmul tile sums in f32) moves a weight by lr × that relative difference: 1e-4.
      for (const [name, t] of Object.entries(want.state)) expectClose(name, got.state[name]!, t, ADAM_STEPS_TOLERANCE);
    });
  });
}
