// The `kiln` command: help, inspect (with --grad), run and ops, and one-line errors (never a stack trace).
// `kiln train` has its own file, train.test.ts.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { graphToJSON, parseGraph, printGraph, verify } from '../../src/index.js';
import { requireBuilt } from '../support/built.js';
import { kiln } from './run-kiln.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('kiln CLI', () => {
  test('--help lists the commands', async () => {
    const { code, out } = await kiln('--help');
    expect(code).toBe(0);
    for (const cmd of ['inspect', 'run', 'train', 'ops']) expect(out).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  test('inspect prints IR JSON as the same IR text as the .kir twin', async () => {
    const kir = readFileSync('examples/xor.kir', 'utf8');
    const { code, out } = await kiln('inspect', 'examples/xor.json');
    expect(code).toBe(0);
    expect(out).toBe(printGraph(parseGraph(kir)));
    expect(out).toContain('%h = dense(%x, %w1, %b1) : f32[B, 2]');
  });

  test('the committed xor.json is the JSON form of xor.kir', () => {
    const kir = parseGraph(readFileSync('examples/xor.kir', 'utf8'));
    expect(JSON.parse(readFileSync('examples/xor.json', 'utf8'))).toEqual(graphToJSON(kir));
  });

  test('inspect --shapes --expand binds B and expands dense', async () => {
    const { code, out } = await kiln('inspect', 'examples/xor.kir', '--shapes', 'B=4', '--expand');
    expect(code).toBe(0);
    expect(out).toContain('input x: f32[4, 2]');
    expect(out).toContain('= matmul(%x, %w1) : f32[4, 2]');
    expect(out).not.toContain('dense');
  });

  // A tiny regression: mse of x·w + b against y.
  const linear = `graph linear {
  input x: f32[B, 3]
  input y: f32[B, 1]
  param w: f32[3, 1] = glorot_uniform(seed=1)
  param b: f32[1] = zeros()
  %p = dense(%x, %w, %b) : f32[B, 1]
  %l = mse(%p, %y) : f32[]
  output objective = %l
}
`;

  test('inspect --grad prints the backward graph, which parses back', async () => {
    const path = file('linear.kir', linear);
    const { code, out, err } = await kiln('inspect', path, '--grad', '--loss', 'objective');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}output grad_w = %\S+$/m);
    expect(out).toMatch(/^ {2}output grad_b = %\S+$/m);
    expect(out).toMatch(/^ {2}output objective = %l$/m);
    expect(out).not.toContain('dense('); // grad works on primitives
    const back = parseGraph(out);
    verify(back);
    expect(printGraph(back)).toBe(out);
    expect(back.outputs.find((o) => o.name === 'grad_w')).toBeDefined();
  });

  test('inspect --grad with --shapes binds B first', async () => {
    const path = file('linear-b.kir', linear.replace('output objective', 'output loss'));
    const { code, out } = await kiln('inspect', path, '--grad', '--shapes', 'B=4');
    expect(code).toBe(0);
    expect(out).toContain('input x: f32[4, 3]');
    expect(out).toMatch(/= transpose\(%x\) \{perm=\[1, 0\]\} : f32\[3, 4\]/);
  });

  test('inspect --grad errors: no such loss, no parameters, --loss alone', async () => {
    const path = file('linear-c.kir', linear);
    const r1 = await kiln('inspect', path, '--grad');
    expect(r1.code).toBe(1);
    expect(r1.err).toBe("kiln: grad: graph linear has no output or value 'loss' to differentiate (outputs: objective)\n");
    const r2 = await kiln('inspect', 'examples/xor.kir', '--grad');
    expect(r2.err).toBe('kiln: --grad: graph xor has no f32 parameters to differentiate with respect to\n');
    const r3 = await kiln('inspect', path, '--loss', 'objective');
    expect(r3.err).toBe('kiln: --loss applies only with --grad or --train\n');
  });

  test('run computes XOR', async () => {
    const { code, out } = await kiln('run', 'examples/xor.kir', '--shapes', 'B=4', '--inputs', 'examples/xor-inputs.json');
    expect(code).toBe(0);
    expect(out.trim()).toBe('y = f32[4, 1] [0, 1, 1, 0]');
  });

  test('ops lists every op with its kind', async () => {
    const { code, out } = await kiln('ops');
    expect(code).toBe(0);
    expect(out).toMatch(/^reduce_sum\(x\) \{axes: ints, keepdims: bool = false\}\s+\[primitive\]/m);
    expect(out).toMatch(/^softmax\(x\) \{axis: int = -1\}\s+\[composite\]/m);
  });

  test('a missing file is one line naming it', async () => {
    const { code, err } = await kiln('inspect', join(tmp, 'nope.json'));
    expect(code).toBe(1);
    expect(err).toMatch(/^kiln: .*nope\.json: cannot read file \(no such file or directory\)\n$/);
  });

  test('an unsupported extension is refused', async () => {
    const { code, err } = await kiln('inspect', file('model.txt', ''));
    expect(code).toBe(1);
    expect(err).toContain("unsupported file type '.txt'");
  });

  test('an unknown op in JSON names the JSON path', async () => {
    const data = graphToJSON(parseGraph(readFileSync('examples/xor.kir', 'utf8'))) as { graph: { nodes: { op: string }[] } };
    data.graph.nodes[4]!.op = 'relu6';
    const { code, err } = await kiln('inspect', file('bad-op.json', JSON.stringify(data)));
    expect(code).toBe(1);
    expect(err).toContain('graph.nodes[4].op');
    expect(err).toContain("unknown op 'relu6'");
    expect(err).not.toMatch(/\n\s+at /);
  });

  test('a syntax error in IR text has file:line:col', async () => {
    const path = file('bad.kir', 'graph g {\n  input x: f32[2]\n  %y = relu(%x) f32[2]\n  output y = %y\n}\n');
    const { code, err } = await kiln('inspect', path);
    expect(code).toBe(1);
    expect(err).toMatch(new RegExp(`^kiln: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:17: `));
  });

  test('run reports a missing input and an unbound dim precisely', async () => {
    const noX = file('no-x.json', '{ "z": [1] }');
    const r1 = await kiln('run', 'examples/xor.kir', '--shapes', 'B=4', '--inputs', noX);
    expect(r1.code).toBe(1);
    expect(r1.err).toBe("kiln: unknown input 'z' (the program's inputs are x)\n");
    const r2 = await kiln('run', 'examples/xor.kir', '--inputs', 'examples/xor-inputs.json');
    expect(r2.code).toBe(1);
    expect(r2.err).toContain("unbound symbolic dimension 'B'");
    const r3 = await kiln('run', 'examples/xor.kir', '--shapes', 'B=3', '--inputs', 'examples/xor-inputs.json');
    expect(r3.err).toBe("kiln: input 'x': expected shape [3, 2], got [4, 2]\n");
  });

  test('a bad --shapes flag is a usage error', async () => {
    const { code, err } = await kiln('inspect', 'examples/xor.kir', '--shapes', 'B:4');
    expect(code).toBe(1);
    expect(err).toBe("kiln: --shapes: expected NAME=SIZE, got 'B:4'\n");
  });

  test('an unknown command exits 2', async () => {
    const { code, err } = await kiln('frobnicate');
    expect(code).toBe(2);
    expect(err).toContain("unknown command 'frobnicate'");
  });

  // The installed command runs the built dist/ (built by `npm ci` through `prepare`).
  test('bin/kiln.js runs as a process', () => {
    requireBuilt('dist/src/cli/main.js');
    const out = execFileSync(process.execPath, ['bin/kiln.js', 'run', 'examples/xor.json', '--shapes', 'B=4', '--inputs', 'examples/xor-inputs.json'], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('y = f32[4, 1] [0, 1, 1, 0]');
  });
});
