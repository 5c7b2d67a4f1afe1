// `kiln bench` through registerBench: the table's rows, columns, FLOP footer and ratio lines, and its one-line usage errors (timings are never asserted).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { FLOP_RULE, registerBench } from '../../src/cli/bench.js';
import { KilnError } from '../../src/ir/errors.js';
import { rejectionOf } from '../catch-kiln.js';

async function bench(args: string[]): Promise<string> {
  let out = '';
  const program = new Command('kiln').exitOverride();
  registerBench(program, { out: (s) => (out += s) });
  await program.parseAsync(['bench', ...args], { from: 'user' });
  return out;
}

async function benchError(args: string[]): Promise<KilnError> {
  const e = await rejectionOf(bench(args));
  expect(e).toBeInstanceOf(KilnError);
  return e as KilnError;
}

const fast = ['--runs', '2', '--warmup', '0'];

/**
 * examples/xor.kiln at B=4, after specialize and decompose:
 *   matmuls: x[4,2] @ w1[2,8] = 2·4·8·2 = 128, tanh(..)[4,8] @ w2[8,1] = 2·4·1·8 = 64       192
 *   hidden layer: add b1, tanh (32 each); output layer: add b2 (4)                          68
 *   sigmoid_cross_entropy: abs, neg, exp, add, log, sub, mul, mul, add, add on [4,1]
 *     (10 × 4) and the mean's div (1)                                                       41
 *   binary_accuracy: gt, gt, eq, cast on [4,1] (4 × 4) and the mean's div (1)               17
 *   prob = sigmoid(logits)                                                                   4
 */
const XOR_FLOPS = 192 + 68 + 41 + 17 + 4;

describe('kiln bench', () => {
  test('a row per backend and mode, the FLOP footer and a ratio line per backend', async () => {
    const out = await bench(['examples/xor.kiln', '--backends', 'wasm,js,reference', '--shapes', 'B=4', ...fast, '--train']);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('xor_mlp (B=4): 2 timed runs after 0 warm-up; train = one Adam step');
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['backend', 'mode', 'compile ms', 'median ms', 'min–max ms', 'runs/s', 'GFLOPS', 'runs']);
    const rows = lines.slice(2, 8).map((l) => l.split(/\s+/));
    expect(rows.map((r) => `${r[0]} ${r[1]}`)).toEqual(['wasm inference', 'wasm train', 'js inference', 'js train', 'reference inference', 'reference train']);
    for (const r of rows) {
      expect(r).toHaveLength(8);
      expect(r[4]).toMatch(/^\d+\.\d+–\d+\.\d+$/);
      expect(r[7]).toBe('2');
    }
    // Every column lines up: each row is as wide as the header.
    for (const l of lines.slice(2, 8)) expect(l.length).toBe(lines[1]!.length);
    expect(lines[8]).toMatch(new RegExp(`^FLOPs per run: inference ${XOR_FLOPS}, train [\\d,]+ \\(`));
    expect(lines[8]).toContain(FLOP_RULE);
    expect(lines.slice(-3)).toEqual([
      expect.stringMatching(/^wasm: baseline \(inference \d+\.\d+ ms, train \d+\.\d+ ms median\)$/),
      expect.stringMatching(/^js vs wasm: inference \d+\.\d\d×, train \d+\.\d\d× the median time$/),
      expect.stringMatching(/^reference vs wasm: inference \d+\.\d\d×, train \d+\.\d\d× the median time$/),
    ]);
  });

  test('inference only by default, on the default backends wasm and reference', async () => {
    const out = await bench(['examples/xor.kiln', '--shapes', 'B=4', ...fast]);
    const rows = out
      .split('\n')
      .filter((l) => /^(wasm|js|reference)\s+(inference|train)\s/.test(l))
      .map((l) => l.split(/\s+/).slice(0, 2).join(' '));
    expect(rows).toEqual(['wasm inference', 'reference inference']);
    expect(out).toContain(`FLOPs per run: inference ${XOR_FLOPS} (`);
    expect(out).toMatch(/^reference vs wasm: inference \d+\.\d\d× the median time$/m);
  });

  test('i32 labels get class indices, so a softmax cross-entropy model trains', async () => {
    const out = await bench(['examples/models/mnist-mlp.kir', '--backends', 'js', '--shapes', 'B=2', ...fast, '--train']);
    // 784-256-256-10 at B=2: the matmuls alone are 2·2·(784·256 + 256·256 + 256·10) = 1,075,200.
    const flops = Number(/inference ([\d,]+)/.exec(out)![1]!.replace(/,/g, ''));
    expect(flops).toBeGreaterThan(1_075_200);
    expect(out).toMatch(/^js\s+train\s/m);
  });

  test('--threads runs the wasm rows on worker threads and says so', async () => {
    const out = await bench(['examples/xor.kiln', '--backends', 'wasm,js', '--shapes', 'B=4', ...fast, '--train', '--threads', '2']);
    expect(out).toContain('; wasm on 2 threads');
    expect(out).toMatch(/^wasm\s+train\s/m);
    expect((await benchError(['examples/xor.kiln', '--shapes', 'B=4', '--threads', '0'])).message).toBe("--threads: expected a positive whole number, got '0'");
  });

  test('usage errors name the flag and what is wrong', async () => {
    expect((await benchError(['examples/xor.kiln', '--backends', 'wasm,tpu', '--shapes', 'B=4'])).message).toBe(
      "--backends: unknown backend 'tpu' (available: reference, js, wasm, webgpu)",
    );
    expect((await benchError(['examples/xor.kiln', '--backends', 'js,js', '--shapes', 'B=4'])).message).toContain("'js' is listed twice");
    expect((await benchError(['examples/xor.kiln', ...fast])).message).toBe(
      "model xor_mlp has unbound symbolic dims (B; 'B' first in input x: f32[B, 2]); give their sizes with --shapes B=<size>",
    );
    expect((await benchError(['examples/xor.kiln', '--shapes', 'N=4'])).message).toContain("--shapes: 'N' is not a dimension of model xor_mlp");
    expect((await benchError(['examples/xor.kiln', '--shapes', 'B=4', '--runs', '0'])).message).toBe("--runs: expected an integer >= 1, got '0'");
    expect((await benchError(['examples/xor.kiln', '--shapes', 'B=4', '--seconds', '-1'])).message).toContain('--seconds: expected a positive number');
  });

  test('--train needs a scalar loss output', async () => {
    expect((await benchError(['examples/xor.json', '--shapes', 'B=4', '--train'])).message).toMatch(/^--train: model \w+ has no output 'loss' to minimize \(outputs: y\)$/);
    const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-'));
    const model = join(dir, 'vector-loss.kir');
    writeFileSync(model, 'graph v {\n  input x: f32[B, 2]\n  param w: f32[2] = zeros()\n  %t0 = mul(%x, %w) : f32[B, 2]\n  output loss = %t0\n}\n');
    expect((await benchError([model, '--shapes', 'B=4', '--train'])).message).toBe("--train: the output 'loss' of model v must be a scalar f32, got f32[B, 2]");
  });
});
