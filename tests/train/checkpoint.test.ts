// Checkpoints through the Trainer: save and load restore weights, optimizer state and step count; bad files are refused and change nothing.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadCheckpoint } from '../../runtime/checkpoint.js';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import type { Tensor } from '../../runtime/tensor.js';
import { graph } from '../../src/frontend/builder.js';
import type { Graph } from '../../src/ir/graph.js';
import { adam } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import type { Trainer } from '../../src/train/trainer.js';
import { rejectionOf } from '../catch-kiln.js';

/** A linear model named `name` with an n-by-1 weight matrix. */
function linear(name: string, n: number): Graph {
  return graph(name, (b) => {
    const x = b.input('x', 'f32', ['B', n]);
    const y = b.input('y', 'f32', ['B', 1]);
    b.output('loss', b.mse(x.matmul(b.param('w', 'f32', [n, 1])), y));
  });
}

const batch = {
  x: [
    [1, 2],
    [3, -1],
  ],
  y: [[1], [0]],
};

async function trained(model: Graph, steps: number): Promise<Trainer> {
  const t = await compileTraining(model, { optimizer: adam({ lr: 0.05 }), seed: 3 });
  for (let i = 0; i < steps; i++) await t.step(batch);
  return t;
}

/** Every tensor of a state as plain arrays, so toEqual compares values bit for bit (NaN-safe, -0 aware). */
const snapshot = (state: Record<string, Tensor>) => Object.fromEntries(Object.entries(state).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data) }]));

async function refusal(promise: Promise<unknown>): Promise<KilnRuntimeError> {
  const e = await rejectionOf(promise);
  expect(e).toBeInstanceOf(KilnRuntimeError);
  expect((e as KilnRuntimeError).code).toBe('checkpoint');
  return e as KilnRuntimeError;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kiln-train-ckpt-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('save, train on, load: weights, optimizer state and step count come back exactly', async () => {
  const t = await trained(linear('lin', 2), 3);
  const path = join(dir, 'lin.ckpt');
  const saved = snapshot(t.state());
  // Adam's state travels with the weights.
  expect(Object.keys(saved).sort()).toEqual(['optimizer.step', 'w', 'w.m', 'w.v']);
  expect(saved['optimizer.step']!.data).toEqual([3]);
  await t.save(path);
  // The file says what it holds: the graph, the step and the optimizer, besides the model itself (tests/train/model-file.test.ts).
  const { meta } = await loadCheckpoint(path);
  expect(Object.keys(meta).sort()).toEqual(['graph', 'model', 'optimizer', 'step', 'training']);
  expect(meta).toMatchObject({ graph: 'lin', step: 3, optimizer: 'adam(lr=0.05, beta1=0.9, beta2=0.999, eps=1e-8)' });

  for (let i = 0; i < 2; i++) await t.step(batch);
  t.setParams({ w: [[9], [9]] });
  expect(t.stepCount).toBe(5);
  expect(snapshot(t.state())).not.toEqual(saved);

  await t.load(path);
  expect(snapshot(t.state())).toEqual(saved);
  expect(t.stepCount).toBe(3);
  // The next step continues from the restored state: the same as a fresh trainer loading it.
  const other = await trained(linear('lin', 2), 0);
  await other.load(path);
  expect(await other.step(batch)).toEqual(await t.step(batch));
  expect(snapshot(other.state())).toEqual(snapshot(t.state()));
  expect(other.stepCount).toBe(4);
});

test('the save is atomic: only the checkpoint is left in the directory, also when overwriting', async () => {
  const t = await trained(linear('lin', 2), 1);
  const path = join(dir, 'lin.ckpt');
  await t.save(path);
  const first = await readFile(path);
  await t.step(batch);
  await t.save(path);
  expect(await readdir(dir)).toEqual(['lin.ckpt']);
  // The second save replaced the first (the weights moved).
  expect(Buffer.compare(await readFile(path), first)).not.toBe(0);
});

describe('refused checkpoints leave the trainer as it was', () => {
  let t: Trainer;
  let path: string;
  let bytes: Uint8Array;
  let before: ReturnType<typeof snapshot>;

  beforeEach(async () => {
    t = await trained(linear('lin', 2), 2);
    path = join(dir, 'lin.ckpt');
    await t.save(path);
    bytes = new Uint8Array(await readFile(path));
    // Train on after saving, so a load that went through would be visible.
    await t.step(batch);
    before = snapshot(t.state());
  });

  function expectUnchanged(): void {
    expect(snapshot(t.state())).toEqual(before);
    expect(t.stepCount).toBe(3);
  }

  test('a truncated file', async () => {
    await writeFile(path, bytes.subarray(0, bytes.length - 10));
    const e = await refusal(t.load(path));
    expect(e.message).toBe(`${path}: truncated (expected ${bytes.length} bytes, got ${bytes.length - 10})`);
    expectUnchanged();
  });

  test('a file with one flipped byte in the weights', async () => {
    const bad = bytes.slice();
    bad[bad.length - 8]! ^= 0x01; // the data section ends the file
    await writeFile(path, bad);
    const e = await refusal(t.load(path));
    expect(e.message).toBe(`${path}: sha256 mismatch (the file is corrupt or was tampered with)`);
    expectUnchanged();
  });

  test('a checkpoint of a model with other parameter shapes', async () => {
    const wide = await trained(linear('lin', 3), 0);
    await wide.save(path);
    const e = await refusal(t.load(path));
    expect(e.message).toBe(
      [
        `${path}: checkpoint does not match the model (3 differences):`,
        "  parameter 'w': the model expects f32[2, 1], the checkpoint has f32[3, 1]",
        "  parameter 'w.m': the model expects f32[2, 1], the checkpoint has f32[3, 1]",
        "  parameter 'w.v': the model expects f32[2, 1], the checkpoint has f32[3, 1]",
      ].join('\n'),
    );
    expectUnchanged();
  });

  test('a checkpoint of another graph with the same parameters', async () => {
    const other = await trained(linear('other', 2), 1);
    await other.save(path);
    const e = await refusal(t.load(path));
    expect(e.message).toBe(`${path}: checkpoint is of graph 'other', this trainer trains 'lin'`);
    expectUnchanged();
  });

  test('a missing file', async () => {
    const e = await refusal(t.load(join(dir, 'nope.ckpt')));
    expect(e.message).toContain('cannot read checkpoint (no such file or directory)');
    expectUnchanged();
  });
});
