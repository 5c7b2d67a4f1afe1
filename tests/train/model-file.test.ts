// Model files: trainer.save and saveModel write the graph, the weights and the optimizer state in one safetensors file; load reopens it for inference or to train on, the next step the same as without the interruption.

import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { saveCheckpoint } from '../../runtime/checkpoint.js';
import { KilnRuntimeError, type Tensor } from '../../runtime/tensor.js';
import { graph } from '../../src/frontend/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { graphFromJSON, graphToJSON } from '../../src/ir/json.js';
import { printGraph } from '../../src/ir/text.js';
import { compile } from '../../src/compile.js';
import { load, saveModel } from '../../src/model-file.js';
import { adam, sgd } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { readSafetensors } from '../support/safetensors.js';
import { rejectionOf } from '../catch-kiln.js';

/** A two-layer MLP with a loss and a metric. */
function mlp(name = 'mlp'): Graph {
  return graph(name, (b) => {
    const x = b.input('x', 'f32', ['B', 3]);
    const y = b.input('y', 'i32', ['B']);
    const h = x
      .matmul(b.param('w1', 'f32', [3, 4]))
      .add(b.param('b1', 'f32', [4]))
      .relu();
    const logits = h.matmul(b.param('w2', 'f32', [4, 2])).add(b.param('b2', 'f32', [2]));
    b.output('logits', logits);
    b.output('loss', b.softmaxCrossEntropy(logits, y));
  });
}

const batches = [0, 1, 2, 3, 4].map((k) => ({
  x: { dtype: 'f32' as const, shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i * 0.7 + k)) },
  y: { dtype: 'i32' as const, shape: [4], data: Int32Array.from([0, 1, 1, 0].map((v) => (v + k) % 2)) },
}));

/** Values as plain arrays, so toEqual compares them bit for bit (NaN-safe, -0 aware). */
const snapshot = (state: Record<string, Tensor>) => Object.fromEntries(Object.entries(state).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data) }]));

async function refusal(promise: Promise<unknown>): Promise<string> {
  const e = await rejectionOf(promise);
  expect(e).toBeInstanceOf(KilnRuntimeError);
  return (e as KilnRuntimeError).message;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-model-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(['reference', 'wasm'] as const)('on backend %s', (backend) => {
  test('save after 3 steps, load, step 4: the same loss, weights and optimizer state as the trainer that went on', async () => {
    const options = { backend, optimizer: adam({ lr: 0.05 }), seed: 7 };
    const t = await compileTraining(mlp(), options);
    for (const b of batches.slice(0, 3)) await t.step(b);
    const path = join(dir, 'mlp.safetensors');
    await t.save(path);

    const saved = await load(path);
    expect(saved.step).toBe(3);
    expect(printGraph(saved.graph)).toBe(printGraph(mlp()));
    const resumed = await saved.compileTraining({ backend });
    expect(resumed.stepCount).toBe(3);
    expect(snapshot(resumed.state())).toEqual(snapshot(t.state()));
    for (const b of batches.slice(3)) expect(await resumed.step(b)).toEqual(await t.step(b));
    expect(snapshot(resumed.state())).toEqual(snapshot(t.state()));
    expect(resumed.stepCount).toBe(5);
  });

  test('load, compile: the stored weights give the trainer’s predictions', async () => {
    const t = await compileTraining(mlp(), { backend, optimizer: sgd({ lr: 0.1, momentum: 0.9 }), seed: 1 });
    for (const b of batches) await t.step(b);
    const path = join(dir, 'mlp.safetensors');
    await t.save(path);
    const exe = await (await load(path)).compile({ backend, shapes: { B: 4 } });
    const { logits, loss } = await exe.run(batches[0]!);
    const want = await t.predict(batches[0]!);
    expect(Array.from(logits!.data)).toEqual(Array.from(want.logits!.data));
    expect(loss!.data[0]).toBe(want.loss!.data[0]);
  });
});

test('the file is safetensors: an independent reader finds every tensor of the trainer and the model as IR JSON', async () => {
  const t = await compileTraining(mlp(), { optimizer: adam({ lr: 0.01 }), seed: 2 });
  await t.step(batches[0]!);
  const path = join(dir, 'mlp.safetensors');
  await t.save(path);
  const file = readSafetensors(new Uint8Array(await readFile(path)));
  const state = t.state();
  expect(Object.keys(file.tensors).sort()).toEqual(Object.keys(state).sort());
  for (const [name, want] of Object.entries(state)) {
    expect(file.tensors[name]!.shape).toEqual(want.shape);
    expect(file.tensors[name]!.values).toEqual(Array.from(want.data));
  }
  expect(printGraph(graphFromJSON(JSON.parse(file.metadata.model!)))).toBe(printGraph(mlp()));
  expect(JSON.parse(file.metadata.training!)).toEqual({ optimizer: adam({ lr: 0.01 }), loss: 'loss', learningRate: 0.01, seed: 2 });
  expect(file.metadata).toMatchObject({ graph: 'mlp', step: '1', optimizer: 'adam(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)' });
});

test('saveModel writes a graph with some weights; load compiles it, the rest from initializers, and it holds no training state', async () => {
  const model = mlp();
  const exe = await compile(model, { shapes: { B: 4 } });
  const weights = exe.params();
  weights.w1 = { dtype: 'f32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) };
  exe.setParams({ w1: weights.w1 });
  const path = join(dir, 'inference.safetensors');
  await saveModel(path, model, { w1: weights.w1 });
  const saved = await load(path);
  expect(saved.training).toBeUndefined();
  expect(Object.keys(saved.weights())).toEqual(['w1']);
  const again = await saved.compile({ shapes: { B: 4 } });
  expect(snapshot(again.params())).toEqual(snapshot(exe.params()));
  expect(await refusal(saved.compileTraining())).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: holds no training state`));
});

describe('refusals name the file and change nothing', () => {
  test('saveModel: a weight that is not a parameter, or of the wrong shape; no file is written', async () => {
    const path = join(dir, 'm.safetensors');
    expect(await refusal(saveModel(path, mlp(), { w3: [1] }))).toBe(`${path}: cannot save model: 'w3' is not a parameter of graph mlp (its parameters: w1, b1, w2, b2)`);
    expect(await refusal(saveModel(path, mlp(), { b1: [1, 2] }))).toMatch(/^cannot save model .*m\.safetensors: weight 'b1'/);
    expect(await readdir(dir)).toEqual([]);
  });

  test('a checkpoint without a model, a tampered model, a model its tensors do not fit', async () => {
    const path = join(dir, 'm.safetensors');
    await saveCheckpoint(path, {}, { graph: 'mlp', step: 0 });
    expect(await refusal(load(path))).toBe(`${path}: holds weights but no model (__metadata__ has no 'model'); restore it into a trainer with trainer.load(path)`);

    await saveModel(path, mlp(), { b1: [1, 2, 3, 4] });
    const bytes = new Uint8Array(await readFile(path));
    const at = Buffer.from(bytes).indexOf('relu');
    bytes.set(Buffer.from('tanh'), at);
    await writeFile(path, bytes);
    expect(await refusal(load(path))).toBe(`${path}: sha256 mismatch (the file is corrupt or was tampered with)`);

    const wide: Record<string, Tensor> = { b1: { dtype: 'f32', shape: [5], data: new Float32Array(5) } };
    await saveCheckpoint(path, wide, { graph: 'mlp', step: 0, model: JSON.stringify(graphToJSON(mlp())) });
    expect(await refusal(load(path))).toBe(`${path}: checkpoint does not match the model (1 difference):\n  parameter 'b1': the model expects f32[4], the checkpoint has f32[5]`);
    await saveCheckpoint(path, {}, { graph: 'other', step: 0, model: JSON.stringify(graphToJSON(mlp())) });
    expect(await refusal(load(path))).toBe(`${path}: the stored model is graph 'mlp', but the file says it holds 'other'`);
  });

  test('resuming with an optimizer of another kind is refused, listing the state that does not fit', async () => {
    const t = await compileTraining(mlp(), { optimizer: adam(), seed: 1 });
    const path = join(dir, 'm.safetensors');
    await t.save(path);
    expect(await refusal((await load(path)).compileTraining({ optimizer: sgd({ lr: 0.1 }) }))).toMatch(
      /checkpoint does not match the model \(\d+ differences\):\n {2}unexpected parameter 'b1\.m'/,
    );
  });
});
