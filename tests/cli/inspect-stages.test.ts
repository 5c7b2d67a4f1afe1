// `kiln inspect --after NAME` for every stage of the pipeline, with --train for the training
// stages: each prints a graph that parses back, or kernels; the training step's graph is the
// Trainer's, and a stage that needs training says so without --train.

import { describe, expect, test } from 'vitest';
import { parseGraph, printGraph } from '../../src/ir/text.js';
import { verify } from '../../src/ir/verify.js';
import { STAGES, STAGE_NAMES, TRAINING_STAGES } from '../../src/passes/pipeline.js';
import { adam } from '../../src/train/optimizers.js';
import { Trainer } from '../../src/train/trainer.js';
import { loadGraphFile } from '../../src/cli/load.js';
import { kiln } from './run-kiln.js';

const MODEL = 'examples/mnist-mlp.kiln';

describe('kiln inspect --train --after STAGE', () => {
  test('every stage prints what it leaves: a graph that verifies, or kernels', async () => {
    for (const stage of STAGES) {
      const { code, out, err } = await kiln('inspect', MODEL, '--train', '--shapes', 'B=4', '--after', stage.name);
      expect(err, stage.name).toBe('');
      expect(code, stage.name).toBe(0);
      if (stage.kind === 'graph') verify(parseGraph(out));
      else expect(out, stage.name).toMatch(/^program \S+: \d+ kernels?/);
    }
  });

  test('--after grad prints the backward graph; --after optimizer the Trainer step', async () => {
    const backward = (await kiln('inspect', MODEL, '--train', '--after', 'grad')).out;
    expect(backward).toMatch(/output grad_\w+ = /);
    const step = (await kiln('inspect', MODEL, '--train', '--optimizer', 'adam', '--after', 'optimizer')).out;
    expect(step).toBe(printGraph(new Trainer(loadGraphFile(MODEL), { optimizer: adam() }).trainGraph));
  });

  test('a training stage without --train is a usage error; the help lists every stage', async () => {
    for (const stage of TRAINING_STAGES) {
      const { code, err } = await kiln('inspect', MODEL, '--after', stage);
      expect(code).toBe(1);
      expect(err).toBe(`kiln: --after ${stage}: a training stage; add --train\n`);
    }
    const { out } = await kiln('inspect', '--help');
    expect(out.replace(/\s+/g, ' ')).toContain(STAGE_NAMES.join(', '));
  });

  test("--after schedule prints each kernel's schedule, for wasm or for the --target given", async () => {
    const wasm = (await kiln('inspect', MODEL, '--train', '--shapes', 'B=64', '--after', 'schedule')).out;
    const kernels = wasm.match(/^k\d+ /gm)?.length ?? 0;
    expect(kernels).toBeGreaterThan(0);
    expect(wasm.match(/^ {2}schedule: /gm)).toHaveLength(kernels);
    expect(wasm).toMatch(/^ {2}schedule: (no parallel axis|parallel axis \d+( \(at most \d+ shares\))?), upcast 4, tile 4x8$/m);
    const webgpu = await kiln('inspect', MODEL, '--train', '--shapes', 'B=64', '--after', 'schedule', '--target', 'webgpu');
    expect(webgpu.code).toBe(0);
    expect(webgpu.out).toMatch(/^ {2}schedule: parallel axis 0, upcast 1, tile 4x4, workgroup 64$/m);
    const bad = await kiln('inspect', MODEL, '--after', 'schedule', '--target', 'cuda');
    expect(bad.code).toBe(1);
    expect(bad.err).toBe("kiln: --target: unknown target 'cuda' (wasm, webgpu)\n");
  });

  test('--stats with --train counts the training stages too', async () => {
    const { code, out } = await kiln('inspect', MODEL, '--train', '--shapes', 'B=4', '--stats');
    expect(code).toBe(0);
    const rows = out
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s+/)[0]);
    expect(rows.slice(0, 5)).toEqual(['(input)', 'regularize', 'training-mode', 'grad', 'optimizer']);
  });
});
