// The whole stage list: its order, the training stages from a context (the Trainer's step is
// the list run through optimizer), the kernel stages, and the verifier naming the stage that
// broke a graph, on request or from KILN_VERIFY.

import { describe, expect, test } from 'vitest';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { kernelProgram } from '../../src/compile.js';
import { parseGraph, printGraph } from '../../src/ir/text.js';
import { updateInPlace } from '../../src/kernels/in-place-updates.js';
import { lowerToKernels } from '../../src/kernels/lower.js';
import { planMemory } from '../../src/kernels/memory.js';
import { scheduleProgram } from '../../src/kernels/schedule.js';
import { STAGE_NAMES, isProgram, runGraphStages, runPipeline, runStages, runToKernels, verifyFromEnv } from '../../src/passes/pipeline.js';
import { sgd } from '../../src/train/optimizers.js';
import { Trainer } from '../../src/train/trainer.js';
import { catchKiln } from '../catch-kiln.js';

describe('the stage list', () => {
  test('every stage from a model to a kernel program, in order', () => {
    expect(STAGE_NAMES).toEqual([
      'reseed',
      'regularize',
      'training-mode',
      'grad',
      'optimizer',
      'decompose',
      'specialize',
      'constant-fold',
      'simplify',
      'cse',
      'dce',
      'constant-fold-2',
      'simplify-2',
      'cse-2',
      'dce-2',
      'fusion',
      'in-place-updates',
      'guard-updates',
      'memory',
      'schedule',
    ]);
  });

  test('the training stages run from the context: through optimizer it is the Trainer step', () => {
    const model = mnistMlpGraph([16, 8]);
    const optimizer = sgd({ lr: 0.1, momentum: 0.9 });
    const trainer = new Trainer(model, { optimizer, seed: 7, regularization: { l2: 1e-4 } });
    const trainable = model.params.filter((p) => p.type.dtype === 'f32').map((p) => p.name);
    const ctx = { mode: true, training: { loss: 'loss', optimizer, seed: 7, regularization: { l2: 1e-4 }, trainable } };
    expect(printGraph(runGraphStages(model, ctx, { until: 'optimizer' }))).toBe(printGraph(trainer.trainGraph));
    const seen: string[] = [];
    runStages(model, ctx, { until: 'optimizer', onStage: (name) => seen.push(name) });
    expect(seen).toEqual(['reseed', 'regularize', 'training-mode', 'grad', 'optimizer']);
  });

  test('without a context the training stages pass the graph on', () => {
    const model = mnistMlpGraph([16, 8]);
    expect(runGraphStages(model, {}, { until: 'optimizer' })).toBe(model);
  });

  test('the kernel stages: fusion, in-place updates, memory planning, scheduling make compile()s program', () => {
    const step = new Trainer(mnistMlpGraph([16, 8]), { optimizer: sgd({ lr: 0.1 }) }).trainGraph;
    const shapes = { B: 4 };
    const program = runToKernels(step, { shapes });
    expect(program).toEqual(kernelProgram(step, shapes));
    expect(program).toEqual(scheduleProgram(planMemory(updateInPlace(lowerToKernels(runPipeline(step, { shapes })))), 'wasm'));
    const fused = runStages(step, { shapes }, { until: 'fusion' });
    expect(isProgram(fused) && fused.arenaBytes).toBe(0);
    expect(runStages(fused, {}, { from: 'in-place-updates' })).toEqual(program);
  });

  test('the verifier names the stage that left a broken graph; tests run it from KILN_VERIFY', () => {
    expect(verifyFromEnv()).toBe(true);
    const g = parseGraph(`graph g {
  input x: f32[3]
  %y = exp(%x) : f32[3]
  output y = %y
}
`);
    g.nodes[0]!.type = { dtype: 'f32', shape: [4] };
    expect(catchKiln(() => runStages(g, {}, { from: 'simplify', until: 'cse' })).message).toMatch(/^after pass simplify: /);
    expect(() => runStages(g, {}, { from: 'simplify', until: 'cse', verify: false })).not.toThrow();
  });
});
