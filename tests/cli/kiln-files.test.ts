// The CLI on .kiln files: check (every error with its excerpt), fmt (print, --check, --write),
// inspect, and train taking its defaults from the train section, flags overriding them.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseModel } from '../../src/frontend/dsl/index.js';
import { printGraph } from '../../src/ir/text.js';
import { kiln } from './run-kiln.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-files-'));
function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('kiln check', () => {
  test('the example files, a library of defs included, have no errors', async () => {
    const files = ['perceptron', 'logistic-regression', 'linear-regression', 'xor', 'sin', 'mnist-mlp', 'layers'].map((n) => `examples/${n}.kiln`);
    expect(await kiln('check', ...files)).toEqual({ code: 0, out: '', err: '' });
  });

  test('reports every syntax error at once, each with its line, caret and exit code 1', async () => {
    const path = file('syntax.kiln', 'model m {\n  input x f32[2]\n  let y = relu(x\n  output y\n}\n');
    const { code, err } = await kiln('check', path);
    expect(code).toBe(1);
    const heads = err.split('\n').filter((l) => l.startsWith(path));
    expect(heads.length).toBeGreaterThanOrEqual(2);
    expect(heads[0]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:11: `));
    expect(err).toContain('2 |   input x f32[2]\n');
  });

  test('reports semantic errors with both shapes and the place', async () => {
    const path = file('shapes.kiln', 'model m {\n  input x: f32[B, 3]\n  param w: f32[4, 2]\n  output y = x @ w\n}\n');
    const { code, err } = await kiln('check', path);
    expect(code).toBe(1);
    expect(err).toBe(`${path}:4:14: matmul: inner dimensions differ in f32[B, 3] @ f32[4, 2] (3 vs 4)\n4 |   output y = x @ w\n                 ^\n`);
  });
});

describe('kiln check: nothing passes that compile refuses, every excerpt from its own file', () => {
  test('an error in an imported file shows a line of that file', async () => {
    file('lib3.kiln', 'def twice(x) {\n  let y = x + x\n  return y @ q\n}\n');
    const path = file('uses-lib3.kiln', 'import "lib3.kiln"\nmodel m {\n  input x: f32[2]\n  output o = twice(x)\n}\n');
    const { code, err } = await kiln('check', path);
    expect(code).toBe(1);
    expect(err).toBe(`${join(tmp, 'lib3.kiln')}:3:14: unknown name 'q'\n3 |   return y @ q\n                 ^\n`);
  });

  test('a syntax error in an imported file shows a line of that file', async () => {
    file('lib4.kiln', 'def f(x) {\n  return (x\n}\n');
    const path = file('uses-lib4.kiln', 'import "lib4.kiln"\nmodel m {\n  input x: f32[2]\n  output o = f(x)\n}\n');
    const { err } = await kiln('check', path);
    expect(err.split('\n').slice(0, 2)).toEqual([`${join(tmp, 'lib4.kiln')}:3:1: expected ')' to close '(', got '}'`, '3 | }']);
  });

  test('a param dim that no input has is reported at the dim', async () => {
    const path = file('unbound.kiln', 'model m {\n  input x: f32[B, 3]\n  param w: f32[3, C]\n  output y = x @ w\n}\n');
    const { code, err } = await kiln('check', path);
    expect(code).toBe(1);
    expect(err.split('\n')[0]).toBe(`${path}:3:19: param w: dimension 'C' is in no input's shape, so its size is never known; use a number or a symbol of an input`);
  });

  test('a file with a train section and no model says so', async () => {
    const path = file('train-only.kiln', 'train {\n  epochs = 3\n}\n');
    expect(await kiln('check', path)).toEqual({
      code: 1,
      out: '',
      err: `${path}:1:1: no model in this file; declare one with model NAME { ... }\n1 | train {\n    ^\n`,
    });
  });

  test("'return' in a model is the error reported, not missing outputs", async () => {
    const path = file('model-return.kiln', 'model m {\n  input x: f32[2]\n  return relu(x)\n}\n');
    const { err } = await kiln('check', path);
    expect(err.split('\n').filter((l) => l.startsWith(path))).toEqual([`${path}:3:3: 'return' outside a def; a model gives its results with 'output'`]);
  });

  test('nesting past the limit is a diagnostic with its place, for check and fmt', async () => {
    const path = file('deep.kiln', `model m {\n  input x: f32[2]\n  output y = ${'relu('.repeat(500)}x${')'.repeat(500)}\n}\n`);
    const { code, err } = await kiln('check', path);
    expect(code).toBe(1);
    expect(err.split('\n')[0]).toBe(`${path}:3:178: nesting deeper than 32 levels of parentheses, brackets, calls, '**' or unary '-'`);
    const fmt = await kiln('fmt', path);
    expect(fmt.code).toBe(1);
    expect(fmt.err).toContain(`${path}:3:178: nesting deeper than 32 levels`);
    expect(fmt.err).not.toMatch(/RangeError|at .*\.js/);
  });
});

describe('kiln fmt', () => {
  const messy = 'model m{input x:f32[B,2];let y=relu( x )*2   # twice\n output y}\n';
  const canonical = 'model m {\n  input x: f32[B, 2]\n  let y = relu(x) * 2  # twice\n  output y\n}\n';

  test('prints the canonical form, which is a fixed point', async () => {
    const path = file('messy.kiln', messy);
    expect((await kiln('fmt', path)).out).toBe(canonical);
    const again = file('canonical.kiln', canonical);
    expect((await kiln('fmt', again)).out).toBe(canonical);
  });

  test('--check fails on unformatted files only; --write rewrites in place', async () => {
    const path = file('to-write.kiln', messy);
    const checked = await kiln('fmt', '--check', path, 'examples/sin.kiln');
    expect(checked).toEqual({ code: 1, out: '', err: `${path}: not formatted\n` });
    expect(await kiln('fmt', '--write', path)).toEqual({ code: 0, out: '', err: '' });
    expect(readFileSync(path, 'utf8')).toBe(canonical);
    expect((await kiln('fmt', '--check', path)).code).toBe(0);
  });

  test('a file that does not parse is not formatted', async () => {
    const path = file('broken.kiln', 'model m {\n  let = 1\n}\n');
    const { code, err } = await kiln('fmt', '--write', path);
    expect(code).toBe(1);
    expect(err).toMatch(/:2:7: /);
    expect(readFileSync(path, 'utf8')).toBe('model m {\n  let = 1\n}\n');
  });
});

describe('inspect and train on .kiln files', () => {
  test('inspect prints the lowered graph', async () => {
    const { code, out } = await kiln('inspect', 'examples/xor.kiln');
    expect(code).toBe(0);
    const { graph } = parseModel(readFileSync('examples/xor.kiln', 'utf8'), 'examples/xor.kiln');
    expect(out).toBe(printGraph(graph));
  });

  test('train takes its settings from the train section; flags override them', async () => {
    const rows = ['x1,x2,label'];
    for (let i = -4; i <= 4; i++) for (let j = -4; j <= 4; j++) if (Math.abs(i + j) >= 2) rows.push(`${i / 2},${j / 2},${i + j > 0 ? 1 : 0}`);
    file('points.csv', `${rows.join('\n')}\n`);
    const path = file(
      'logreg.kiln',
      [
        'model logreg {',
        '  input x: f32[B, 2]',
        '  input y: f32[B, 1]',
        '  param w: f32[2, 1] = zeros',
        '  param b: f32[1]',
        '  let z = x @ w + b',
        '  loss sigmoid_cross_entropy(z, y)',
        '  output accuracy = binary_accuracy(z, y, threshold=0)',
        '}',
        '',
        'train {',
        '  optimizer = sgd(lr=0.5)',
        '  epochs = 3',
        '  batch = 8',
        '  dataset = "csv:points.csv"',
        '  split = [8, 1, 1]',
        '}',
        '',
      ].join('\n'),
    );
    const fromSection = await kiln('train', path, '--no-progress');
    expect(fromSection.err).toBe('');
    expect(fromSection.code).toBe(0);
    expect(fromSection.out).toContain(`train logreg on csv:${join(tmp, 'points.csv')}`);
    expect(fromSection.out).toContain('sgd(lr=0.5), batch 8, 3 epochs');
    expect(fromSection.out.match(/^epoch \d\/3 /gm)).toHaveLength(3);

    const overridden = await kiln('train', path, '--no-progress', '--epochs', '2', '--lr', '0.25');
    expect(overridden.code).toBe(0);
    expect(overridden.out).toContain('sgd(lr=0.25), batch 8, 2 epochs');
    expect(overridden.out.match(/^epoch \d\/2 /gm)).toHaveLength(2);
    expect(overridden.out).toMatch(/^test {2}loss [\d.]+ {2}accuracy 1\.0000$/m);
  });
});
