// Parameter updates written in place (src/kernels/in-place-updates.ts): every update of the
// mnist MLP's SGD and Adam steps is made by its kernel straight into the parameter, and the step
// gives the same results as before; a parameter read after its update kernel, or read by it away
// from the point, keeps its copy.

import { describe, expect, it } from 'vitest';
import { parseProgram } from '../../runtime/program-validator.js';
import { KernelExecutable } from '../../runtime/executable.js';
import type { IndexExpr, KernelProgram, ValueExpr } from '../../runtime/kernel-ir.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { adam, sgd } from '../../src/index.js';
import { updateInPlace } from '../../src/kernels/in-place-updates.js';
import { lowerToKernels } from '../../src/kernels/lower.js';
import { planMemory } from '../../src/kernels/memory.js';
import { runPipeline } from '../../src/passes/pipeline.js';
import { Trainer } from '../../src/train/trainer.js';

const v = (axis: number): IndexExpr => ({ k: 'var', axis });
const ld = (buffer: string, index: IndexExpr): ValueExpr => ({ k: 'load', buffer, index, dtype: 'f32' });
const plus1 = (a: ValueExpr): ValueExpr => ({ k: 'binary', fn: 'add', a, b: { k: 'const', value: 1, dtype: 'f32' }, dtype: 'f32' });

/** w [4] updated to w + 1 by kernel 'step'; `after` kernels follow it. */
function program(stepReads: IndexExpr, after: KernelProgram['kernels'] = []): KernelProgram {
  return {
    name: 'p',
    buffers: [
      { name: 'w', dtype: 'f32', shape: [4], role: 'param' },
      { name: 'w_new', dtype: 'f32', shape: [4], role: 'output' },
      { name: 'y', dtype: 'f32', shape: [4], role: 'output' },
    ],
    kernels: [{ name: 'step', pattern: 'elementwise', shape: [4], stores: [{ buffer: 'w_new', value: plus1(ld('w', stepReads)) }] }, ...after],
    inputs: [],
    outputs: after.length ? [{ name: 'y', buffer: 'y' }] : [],
    params: [{ name: 'w', buffer: 'w', init: { fn: 'zeros', args: {} } }],
    updates: [{ param: 'w', buffer: 'w_new' }],
    arenaBytes: 0,
  };
}

describe('in-place parameter updates', () => {
  it.each([
    ['SGD', sgd({ lr: 0.1 })],
    ['Adam', adam({ lr: 1e-3 })],
  ] as const)('every update of the mnist MLP %s step is in place, and the step computes the same', async (_name, optimizer) => {
    const lowered = lowerToKernels(runPipeline(new Trainer(mnistMlpGraph([16, 8]), { optimizer }).trainGraph, { shapes: { B: 4 } }));
    const inPlace = updateInPlace(lowered);
    const own = new Map(inPlace.params.map((p) => [p.name, p.buffer]));
    expect(inPlace.updates.length).toBeGreaterThan(0);
    for (const u of inPlace.updates) expect(u.buffer, u.param).toBe(own.get(u.param));
    expect(inPlace.buffers.length).toBe(lowered.buffers.length - lowered.updates.length);
    const inputs = { x: Float32Array.from({ length: 4 * 784 }, (_, i) => (i % 13) / 13), y: new Int32Array([1, 7, 3, 0]), lr: new Float32Array([0.05]), step: new Int32Array([0]) };
    // Unplanned (every temp its own place, updates copied) against planned (which writes them in place).
    const [a, b] = [new KernelExecutable({ program: parseProgram(lowered) }), new KernelExecutable({ program: parseProgram(planMemory(lowered)) })];
    b.setParams(a.params());
    for (let s = 0; s < 2; s++) {
      const used = Object.fromEntries(Object.entries(inputs).filter(([k]) => a.inputs.some((i) => i.name === k)));
      expect(await b.run(used)).toEqual(await a.run(used));
    }
    expect(b.params()).toEqual(a.params());
  });

  it('keeps the copy when a later kernel reads the parameter, or the update kernel reads it off the point', () => {
    const reader = { name: 'later', pattern: 'elementwise' as const, shape: [4], stores: [{ buffer: 'y', value: ld('w', v(0)) }] };
    expect(updateInPlace(program(v(0))).updates).toEqual([{ param: 'w', buffer: 'w' }]);
    expect(updateInPlace(program(v(0), [reader])).updates).toEqual([{ param: 'w', buffer: 'w_new' }]);
    const reversed: IndexExpr = { k: 'add', a: { k: 'const', value: 3 }, b: { k: 'mul', a: v(0), by: -1 } };
    expect(updateInPlace(program(reversed)).updates).toEqual([{ param: 'w', buffer: 'w_new' }]);
  });
});
