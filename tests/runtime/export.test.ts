// Inference export: an artifact keeps only the chosen outputs and what they read (no loss, no
// labels), and a variable-batch artifact runs 1 to its compiled batch, each row as the full batch
// computes it, on both targets; a model whose outputs mix rows is refused for it.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExecutable } from '../../runtime/index.js';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import { exportArtifact, parse } from '../../src/index.js';
import { rejectionOf } from '../catch-kiln.js';

const MODEL = `model clf {
  input x: f32[B, 6]
  input y: i32[B]
  param w1: f32[6, 8] = glorot_uniform(seed=1)
  param b1: f32[8] = zeros
  param w2: f32[8, 3] = glorot_uniform(seed=2)
  param b2: f32[3] = zeros
  let h = relu(x @ w1 + b1)
  let logits = h @ w2 + b2
  loss softmax_cross_entropy(logits, y)
  output accuracy = accuracy(logits, y)
  output logits
  output probs = softmax(logits)
}`;
const FULL = 32;

/** Row r of the inputs: distinct values per row, so a row taken from the wrong place shows. */
const xRows = (rows: number, from = 0): Float32Array => Float32Array.from({ length: rows * 6 }, (_, i) => Math.sin((from * 6 + i) * 0.37) * 2);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kiln-export-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function refusedWith(p: Promise<unknown>): Promise<string> {
  const e = await rejectionOf(p);
  expect(e).toBeInstanceOf(Error);
  return (e as Error).message;
}

describe('exportArtifact: outputs', () => {
  it('keeps the chosen outputs: the loss, the accuracy and the labels input are gone, and it runs on x alone', async () => {
    const dir = join(root, 'logits');
    const { program } = await exportArtifact(parse(MODEL), dir, { outputs: ['logits'], shapes: { B: 4 } });
    expect(program.inputs.map((i) => i.name)).toEqual(['x']);
    expect(program.outputs.map((o) => o.name)).toEqual(['logits']);
    const exe = await loadExecutable(dir);
    expect(exe.inputs.map((i) => i.name)).toEqual(['x']);
    const out = await exe.run({ x: xRows(4) });
    expect(Object.keys(out)).toEqual(['logits']);
    expect(out.logits!.shape).toEqual([4, 3]);
    // The same logits as the whole model computes, labels and all.
    const whole = await exportArtifact(parse(MODEL), join(root, 'whole'), { shapes: { B: 4 } });
    expect(whole.program.inputs.map((i) => i.name)).toEqual(['x', 'y']);
    const all = await (await loadExecutable(join(root, 'whole'))).run({ x: xRows(4), y: new Int32Array(4) });
    expect(out.logits!.data).toEqual(all.logits!.data);
  });

  it('refuses an unknown output, listing the outputs of the model', async () => {
    const message = await refusedWith(exportArtifact(parse(MODEL), join(root, 'bad'), { outputs: ['logits', 'prob'], shapes: { B: 4 } }));
    expect(message).toBe("outputs: 'prob' is not an output of 'clf' (its outputs: loss, accuracy, logits, probs)");
  });

  it('refuses a weight that is no parameter of the model', async () => {
    const weights = { w3: { dtype: 'f32' as const, shape: [1], data: new Float32Array(1) } };
    const message = await refusedWith(exportArtifact(parse(MODEL), join(root, 'bad'), { outputs: ['logits'], shapes: { B: 4 }, weights }));
    expect(message).toBe("weights: 'w3' is not a parameter of 'clf' (its parameters: w1, b1, w2, b2)");
  });
});

describe.each(['js', 'wasm'] as const)('exportArtifact: a variable batch on %s', (target) => {
  let dir: string;
  beforeAll(async () => {
    dir = join(root, `batch-${target}`);
    await exportArtifact(parse(MODEL), dir, { target, outputs: ['logits', 'probs'], shapes: { B: FULL }, batch: 'B' });
  });

  it('records the batch in the manifest', async () => {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { batch: unknown };
    expect(manifest.batch).toEqual({ dim: 'B', max: FULL, inputs: ['x'], outputs: ['logits', 'probs'] });
  });

  it('runs 1, 3 and 32 rows, each row exactly as the full batch computes it', async () => {
    const exe = await loadExecutable(dir);
    const full = await exe.run({ x: xRows(FULL) });
    for (const rows of [1, 3, FULL]) {
      const out = await exe.run({ x: { dtype: 'f32', shape: [rows, 6], data: xRows(rows) } });
      for (const name of ['logits', 'probs']) {
        expect(out[name]!.shape).toEqual([rows, 3]);
        expect(out[name]!.data).toEqual(full[name]!.data.slice(0, rows * 3));
      }
    }
    // Rows from the middle of the batch, given as nested arrays: the same as at their place in the full batch.
    const middle = xRows(2, 10);
    const nested = [Array.from(middle.slice(0, 6)), Array.from(middle.slice(6))];
    const out = await exe.run({ x: nested });
    expect(out.logits!.data).toEqual(full.logits!.data.slice(30, 36));
  });

  it('refuses a batch larger than the compiled one, naming the limit', async () => {
    const exe = await loadExecutable(dir);
    const e = await exe.run({ x: xRows(FULL + 1) }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(KilnRuntimeError);
    expect((e as KilnRuntimeError).message).toBe("input 'x' has 33 rows, but this artifact runs at most 32 (B was compiled as 32)");
    await expect(exe.run({ x: new Float32Array(0) })).rejects.toThrow("input 'x' has no rows; a batch has 1 to 32");
  });
});

describe('exportArtifact: refusing a variable batch', () => {
  it('refuses outputs that mix the examples, naming the node and why', async () => {
    const model = parse(MODEL);
    const loss = await refusedWith(exportArtifact(model, join(root, 'mix'), { outputs: ['loss'], shapes: { B: FULL }, batch: 'B' }));
    expect(loss).toMatch(
      /^<input>:10:8: variable batch: node '[^']+' \(reduce_sum\) reduces over the batch axis 0, so a row of a smaller batch would depend on other rows or on the padding/,
    );
    const norm = parse(`model norm {
  input x: f32[B, 4]
  output centered = x - mean(x, axes=[0], keepdims=true)
}`);
    const centered = await refusedWith(exportArtifact(norm, join(root, 'mix'), { shapes: { B: FULL }, batch: 'B' }));
    expect(centered).toMatch(/^<input>:3:25: variable batch: node '[^']+' \(reduce_sum\) reduces over the batch axis 0/);
  });

  it('refuses a batch dim without a size and one that no input leads with', async () => {
    expect(await refusedWith(exportArtifact(parse(MODEL), join(root, 'b'), { outputs: ['logits'], shapes: {}, batch: 'B' }))).toBe(
      "batch: 'B' has no size in shapes (give B=N: the largest batch the artifact takes)",
    );
    const cols = parse(`model cols {
  input x: f32[4, B]
  output y = relu(x)
}`);
    expect(await refusedWith(exportArtifact(cols, join(root, 'b'), { shapes: { B: 8 }, batch: 'B' }))).toBe(
      "variable batch: input 'x' has B on axis 1; the batch must be its first axis",
    );
  });

  it('accepts a batch carried through transposes, reshapes and gathers per row', async () => {
    const model = parse(`model rows {
  input x: f32[B, 2, 3]
  input k: i32[B]
  param table: f32[5, 6] = glorot_uniform(seed=4)
  let flat = reshape(transpose(x, perm=[0, 2, 1]), shape=[B, 6])
  output y = flat + gather(table, k)
}`);
    const dir = join(root, 'rows');
    const { manifest } = await exportArtifact(model, dir, { shapes: { B: 4 }, batch: 'B' });
    expect(manifest.batch).toEqual({ dim: 'B', max: 4, inputs: ['x', 'k'], outputs: ['y'] });
    const exe = await loadExecutable(dir);
    const x = Float32Array.from({ length: 24 }, (_, i) => i);
    const k = Int32Array.from([3, 1, 4, 0]);
    const full = await exe.run({ x, k });
    const two = await exe.run({ x: x.slice(0, 12), k: k.slice(0, 2) });
    expect(two.y!.data).toEqual(full.y!.data.slice(0, 12));
    await expect(exe.run({ x: x.slice(0, 12), k: k.slice(0, 3) })).rejects.toThrow("inputs 'x' and 'k' have 2 and 3 rows; the batch (B) is the same for every input");
  });
});
