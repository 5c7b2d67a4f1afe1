// `kiln compile --outputs` and `--batch` end to end: the artifact has the chosen outputs and only
// the inputs they read, runs any batch up to the compiled one, and bad names are one-line errors.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadExecutable } from '../../runtime/index.js';
import { kiln } from './run-kiln.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-compile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('kiln compile --outputs', () => {
  test('mnist-mlp with --outputs logits --batch B: no labels input, any batch up to 8', async () => {
    const out = join(tmp, 'mlp');
    const run = await kiln('compile', 'examples/mnist-mlp.kiln', '--outputs', 'logits', '--shapes', 'B=8', '--batch', 'B', '--target', 'wasm', '-o', out);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^wrote .+ \(target wasm\): \d+ kernels, arena \d+ bytes, 6 parameters, inputs x, outputs logits, batch 1 to 8 \(B\), module \d+ bytes\n$/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { batch: unknown };
    expect(manifest.batch).toEqual({ dim: 'B', max: 8, inputs: ['x'], outputs: ['logits'] });
    const exe = await loadExecutable(out);
    expect(exe.inputs.map((i) => i.name)).toEqual(['x']);
    const x = Float32Array.from({ length: 8 * 784 }, (_, i) => (i % 97) / 97);
    const full = await exe.run({ x });
    const three = await exe.run({ x: x.slice(0, 3 * 784) });
    expect(three.logits!.shape).toEqual([3, 10]);
    expect(three.logits!.data).toEqual(full.logits!.data.slice(0, 30));
  });

  test('an unknown output is one line naming the outputs of the model', async () => {
    const run = await kiln('compile', 'examples/mnist-mlp.kiln', '--outputs', 'logits,probs', '--shapes', 'B=8', '-o', join(tmp, 'bad'));
    expect(run.code).toBe(1);
    expect(run.err).toBe("kiln: outputs: 'probs' is not an output of 'mnist_mlp' (its outputs: loss, accuracy, logits)\n");
  });

  test('--batch on an output that mixes the batch is refused, naming the node', async () => {
    const model = join(tmp, 'center.kiln');
    writeFileSync(model, 'model center {\n  input x: f32[B, 4]\n  output y = x - mean(x, axes=[0], keepdims=true)\n}\n');
    const run = await kiln('compile', model, '--shapes', 'B=8', '--batch', 'B', '-o', join(tmp, 'center'));
    expect(run.code).toBe(1);
    expect(run.err.replace(model, 'MODEL')).toMatch(
      /^kiln: MODEL:3:18: variable batch: node '[^']+' \(reduce_sum\) reduces over the batch axis 0, so a row of a smaller batch would depend on other rows or on the padding; export with a fixed B instead\n$/,
    );
  });
});
