// `kiln inspect --after PASS` and `--stats`: the IR any optimization pass leaves, node counts
// per pass, and one-line errors for unknown passes and unbound symbolic dims.

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bindShapes } from '../../src/ir/bind.js';
import { parseGraph, printGraph } from '../../src/ir/text.js';
import { verify } from '../../src/ir/verify.js';
import { runPipeline } from '../../src/passes/pipeline.js';
import { kiln } from './run-kiln.js';

const xor = () => parseGraph(readFileSync('examples/xor.kir', 'utf8'));

describe('kiln inspect --after', () => {
  test('prints the IR the pipeline leaves after the pass (golden), which parses back', async () => {
    const { code, out, err } = await kiln('inspect', 'examples/xor.kir', '--shapes', 'B=4', '--after', 'dce');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toBe(`graph xor {
  input x: f32[4, 2]
  %w1 = constant() {dtype=f32, shape=[2, 2], value=[1, 1, 1, 1]} : f32[2, 2]
  %b1 = constant() {dtype=f32, shape=[2], value=[0, -1]} : f32[2]
  %w2 = constant() {dtype=f32, shape=[2, 1], value=[1, -2]} : f32[2, 1]
  %h.0 = matmul(%x, %w1) : f32[4, 2]
  %h = add(%h.0, %b1) : f32[4, 2]
  %a = relu(%h) : f32[4, 2]
  %y = matmul(%a, %w2) : f32[4, 1]
  output y = %y
}
`);
    verify(parseGraph(out));
  });

  test('each pass name stops there: the same text as runPipeline until it', async () => {
    const bound = bindShapes(xor(), { B: 4 });
    for (const pass of ['decompose', 'constant-fold', 'simplify', 'cse-2']) {
      const { code, out } = await kiln('inspect', 'examples/xor.kir', '--shapes', 'B=4', '--after', pass);
      expect(code).toBe(0);
      expect(out).toBe(printGraph(runPipeline(bound, { until: pass })));
    }
  });

  test('passes before specialize run on symbolic dims without --shapes', async () => {
    const { code, out } = await kiln('inspect', 'examples/xor.kir', '--after', 'decompose');
    expect(code).toBe(0);
    expect(out).toContain('input x: f32[B, 2]');
    expect(out).toContain('%h.0 = matmul(%x, %w1) : f32[B, 2]');
  });

  test('a pass at or after specialize on a graph with symbols asks for --shapes', async () => {
    const { code, out, err } = await kiln('inspect', 'examples/xor.kir', '--after', 'simplify');
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toBe("kiln: the specialize pass needs a size for every symbolic dim: 'B' (first in input x: f32[B, 2]) is unbound; give --shapes B=<size>\n");
    expect((await kiln('inspect', 'examples/xor.kir', '--stats')).err).toContain('give --shapes B=<size>');
  });

  test('an unknown pass is one line listing the passes', async () => {
    const { code, err } = await kiln('inspect', 'examples/xor.kir', '--shapes', 'B=4', '--after', 'fold');
    expect(code).toBe(1);
    expect(err).toBe(
      "kiln: unknown pass 'fold' (the passes, in order: reseed, regularize, training-mode, grad, optimizer, decompose, specialize, constant-fold, simplify, cse, dce, constant-fold-2, simplify-2, cse-2, dce-2, fusion, in-place-updates, guard-updates, memory, schedule)\n",
    );
  });

  test('with --grad, the backward graph goes through the passes', async () => {
    const { code, out } = await kiln('inspect', 'examples/models/linear-regression.kir', '--grad', '--shapes', 'B=8', '--after', 'dce-2');
    expect(code).toBe(0);
    const optimized = parseGraph(out);
    const backward = parseGraph((await kiln('inspect', 'examples/models/linear-regression.kir', '--grad', '--shapes', 'B=8')).out);
    expect(optimized.outputs.map((o) => o.name)).toEqual(backward.outputs.map((o) => o.name));
    expect(optimized.outputs.map((o) => o.name)).toContain('grad_w');
    expect(optimized.nodes.length).toBeLessThan(backward.nodes.length);
  });
});

describe('kiln inspect --stats', () => {
  test('a table of node counts and changes after each pass (golden)', async () => {
    const { code, out } = await kiln('inspect', 'examples/models/mnist-mlp.kir', '--shapes', 'B=128', '--stats');
    expect(code).toBe(0);
    expect(out).toBe(`pass              nodes  change
(input)              10
decompose            30     +20
specialize           30       0
constant-fold        30       0
simplify             31      +1
cse                  31       0
dce                  30      -1
constant-fold-2      30       0
simplify-2           30       0
cse-2                30       0
dce-2                30       0
`);
  });

  test('with --after, the table stops at that pass', async () => {
    const { code, out } = await kiln('inspect', 'examples/xor.kir', '--shapes', 'B=4', '--stats', '--after', 'cse');
    expect(code).toBe(0);
    expect(
      out
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(['pass', '(input)', 'decompose', 'specialize', 'constant-fold', 'simplify', 'cse']);
  });
});

describe('inspect --after fusion and memory; run and train on the js backend', () => {
  test('--after fusion prints the kernels, --after memory adds arena offsets and figures', async () => {
    let out = '';
    const code = await main(
      ['inspect', 'examples/xor.kiln', '--shapes', 'B=4', '--after', 'fusion'],
      (s) => (out += s),
      (s) => expect.fail(s),
    );
    expect(code).toBe(0);
    expect(out).toMatch(/^program xor_mlp: \d+ kernels?, \d+ temp buffers?\n/);
    expect(out).toContain('matmul at [4, 8], sum over [2]: x[2*i0 + r0] * w1[i1 + 8*r0]');
    expect(out).toContain('= tanh(acc + b1[i1])');
    expect(out).not.toMatch(/@\d+/);
    let planned = '';
    await main(
      ['inspect', 'examples/xor.kiln', '--shapes', 'B=4', '--after', 'memory'],
      (s) => (planned += s),
      (s) => expect.fail(s),
    );
    expect(planned).toMatch(/temp \S+: f32\[4, 8\] @\d+/);
    expect(planned).toMatch(/^# arena \d+ bytes; liveness lower bound \d+; all temps \d+$/m);
  });

  test('run --backend js prints what the reference prints', async () => {
    const outputs: string[] = [];
    for (const backend of ['reference', 'js']) {
      let out = '';
      const code = await main(
        ['run', 'examples/xor.kir', '--shapes', 'B=4', '--inputs', 'examples/xor-inputs.json', '--backend', backend],
        (s) => (out += s),
        (s) => expect.fail(s),
      );
      expect(code).toBe(0);
      outputs.push(out);
    }
    expect(outputs[1]).toBe(outputs[0]);
    expect(outputs[0]!.trim()).toBe('y = f32[4, 1] [0, 1, 1, 0]');
    let err = '';
    expect(
      await main(
        ['run', 'examples/xor.kir', '--inputs', 'examples/xor-inputs.json', '--backend', 'gpu'],
        () => {},
        (s) => (err += s),
      ),
    ).toBe(1);
    expect(err).toBe("kiln: --backend: unknown backend 'gpu' (available: reference, js, wasm, webgpu)\n");
  });
});
