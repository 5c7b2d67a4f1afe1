// The pipeline keeps meaning: every example model, every example's training step and 200 random
// graphs, run through all passes with the verifier after each, compute on the reference backend
// what they computed before, with fewer nodes.

import { describe, expect, test } from 'vitest';
import { MODELS } from '../../examples/export-models.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { xorGraph } from '../../examples/xor.js';
import type { Graph } from '../../src/ir/graph.js';
import { printGraph } from '../../src/ir/text.js';
import { verify } from '../../src/ir/verify.js';
import { constantFold } from '../../src/passes/constant-fold.js';
import { cse } from '../../src/passes/cse.js';
import { dce } from '../../src/passes/dce.js';
import { decompose } from '../../src/passes/decompose.js';
import { runPipeline } from '../../src/passes/pipeline.js';
import { simplify } from '../../src/passes/simplify.js';
import { specialize } from '../../src/passes/specialize.js';
import { compileTraining } from '../../src/train/trainer.js';
import { adam, sgd } from '../../src/train/optimizers.js';
import { compareOnReference, randomGraph, randomInputs } from '../support/random-graphs.js';

const shapes = { B: 4 };

/** Random inputs for a graph with symbolic dims, at `shapes`. */
const inputsAt = (g: Graph, seed: number) => randomInputs(specialize(g, { shapes }), seed);

/** Whether no pass finds anything more to do in `g`. */
function isFixedPoint(g: Graph): boolean {
  return constantFold(g) === g && simplify(g) === g && cse(g) === g && dce(g) === g;
}

const models: [string, () => Graph][] = [...Object.entries(MODELS), ['xor', xorGraph]];

describe('example models', () => {
  for (const [name, build] of models) {
    test(`${name}: same outputs, no more nodes than its primitives`, async () => {
      const g = build();
      const optimized = runPipeline(g, { shapes, verify: true });
      expect(await compareOnReference(g, optimized, inputsAt(g, 1), { shapes })).toBeUndefined();
      expect(optimized.nodes.length).toBeLessThanOrEqual(decompose(g).nodes.length);
      expect(isFixedPoint(optimized)).toBe(true);
    });
  }
});

describe('training steps', () => {
  for (const [name, build] of Object.entries(MODELS)) {
    test(`${name}: the optimized step gives the same loss, metrics and updated weights`, async () => {
      // Momentum SGD for some, Adam for the rest: both optimizers' updates go through the passes.
      const optimizer = name.length % 2 ? sgd({ lr: 0.1, momentum: 0.9 }) : adam({ lr: 0.01 });
      const step = (await compileTraining(build(), { optimizer })).trainGraph;
      const optimized = runPipeline(step, { shapes, verify: true });
      const inputs = { ...inputsAt(step, 2), lr: new Float32Array([0.01]) };
      expect(await compareOnReference(step, optimized, inputs, { shapes })).toBeUndefined();
      expect(optimized.nodes.length).toBeLessThan(step.nodes.length);
      expect(isFixedPoint(optimized)).toBe(true);
    });
  }

  test('the MNIST MLP step (784-256-256-10, Adam): node counts before and after', async () => {
    const step = (await compileTraining(mnistMlpGraph(), { optimizer: adam({ lr: 1e-3 }) })).trainGraph;
    const optimized = runPipeline(step, { shapes: { B: 128 }, verify: true });
    const count = (g: Graph, op: string) => g.nodes.filter((n) => n.op === op).length;
    // Constants are folded and merged (the optimizer's coefficients are shared by the layers),
    // reshape pairs disappear, the mean's division by 128 is a multiplication.
    expect(optimized.nodes.length).toBeLessThan(0.85 * step.nodes.length);
    expect(count(optimized, 'constant')).toBeLessThan(count(step, 'constant') / 4);
    expect(count(optimized, 'reshape')).toBeLessThan(count(step, 'reshape'));
    expect(count(optimized, 'matmul')).toBe(count(step, 'matmul'));
    expect(printGraph(optimized)).toContain('value=[0.0078125]');
  });
});

describe('random graphs', () => {
  test('the generator is deterministic and makes valid graphs of concrete shapes', () => {
    for (const seed of [0, 1, 99]) {
      const g = randomGraph(seed);
      verify(g);
      expect(printGraph(randomGraph(seed))).toBe(printGraph(g));
      expect(g.outputs.length).toBeGreaterThanOrEqual(2);
      expect([...g.inputs, ...g.nodes].every((v) => v.type.shape.every((d) => typeof d === 'number'))).toBe(true);
      expect(randomInputs(g, seed)).toEqual(randomInputs(g, seed));
    }
    expect(printGraph(randomGraph(1))).not.toBe(printGraph(randomGraph(2)));
  });

  test('generator options: size, outputs, no integers, no composites', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const g = randomGraph(seed, { ops: 60, outputs: 4, integers: false, composites: false, maxDim: 3 });
      verify(g);
      expect(g.outputs.length).toBe(4);
      expect(g.inputs.every((i) => i.type.dtype === 'f32')).toBe(true);
      expect(g.nodes.filter((n) => ['softmax', 'log_softmax', 'mean', 'dense'].includes(n.op))).toEqual([]);
      expect(g.nodes.length).toBeGreaterThanOrEqual(60);
      const optimized = runPipeline(g, { verify: true });
      expect(await compareOnReference(g, optimized, randomInputs(g, seed))).toBeUndefined();
    }
  });

  test('200 random graphs: the same outputs after every pass, and fewer live nodes', async () => {
    let live = 0;
    let optimizedNodes = 0;
    for (let seed = 0; seed < 200; seed++) {
      const g = randomGraph(seed);
      const optimized = runPipeline(g, { verify: true });
      const diff = await compareOnReference(g, optimized, randomInputs(g, seed));
      expect(diff, `random graph ${seed}: ${diff}\n${printGraph(g)}`).toBeUndefined();
      const primitives = dce(decompose(g)).nodes.length;
      expect(optimized.nodes.length, `random graph ${seed}`).toBeLessThanOrEqual(primitives);
      live += primitives;
      optimizedNodes += optimized.nodes.length;
    }
    // The generator plants constants, duplicates and identities: a good share goes.
    expect(optimizedNodes).toBeLessThan(0.8 * live);
  });
});
