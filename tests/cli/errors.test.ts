// The command line's errors: a loss over two shapes fails `kiln check`; hints name flags
// (--shapes, --label, --label-dtype), not API options; file errors are in words, not errno codes;
// a CSV path given as a dataset name is answered with its csv: spelling.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fsReason } from '../../runtime/fs.js';
import { kiln } from './run-kiln.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-errors-'));
function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}
const folder = (name: string): string => {
  const path = join(tmp, name);
  mkdirSync(path, { recursive: true });
  return path;
};

/** A classifier with i32 labels, for CSV datasets. */
const CLASSIFIER = file('cls.kiln', 'model cls {\n  input x: f32[B, 2]\n  input y: i32[B]\n  param w: f32[2, 3]\n  loss softmax_cross_entropy(x @ w, y)\n}\n');

describe('kiln check refuses a loss over two shapes', () => {
  test('.kiln: the place, both operands and the line', async () => {
    const path = file('mse.kiln', 'model m {\n  input x: f32[B, 4]\n  input y: f32[B, 1]\n  loss mse(y, x)\n}\n');
    expect(await kiln('check', path)).toEqual({
      code: 1,
      out: '',
      err: `${path}:4:8: mse: pred f32[B, 1] and target f32[B, 4] must have the same shape\n4 |   loss mse(y, x)\n           ^\n`,
    });
  });

  test('.kir: the node and its place', async () => {
    const path = file('mse.kir', 'graph g {\n  input x: f32[B, 4]\n  input y: f32[B, 1]\n  %t0 = mse(%y, %x) : f32[]\n  output loss = %t0\n}\n');
    expect(await kiln('check', path)).toEqual({
      code: 1,
      out: '',
      err: `kiln: ${path}:4:3: node %t0 = mse(%y, %x) : f32[]: mse: pred f32[B, 1] and target f32[B, 4] must have the same shape\n`,
    });
  });
});

describe('hints name command-line flags', () => {
  const inputs = file('inputs.json', JSON.stringify({ x: [[0, 1]], y: [[1]] }));

  test('an unbound dimension: --shapes B=<size>', async () => {
    const expected = { code: 1, out: '', err: "kiln: unbound symbolic dimension 'B' (first in input x: f32[B, 2]); pass --shapes B=<size>\n" };
    expect(await kiln('run', 'examples/xor.kiln', '--inputs', inputs)).toEqual(expected);
    expect(await kiln('compile', 'examples/xor.kiln', '-o', join(tmp, 'unbound-artifact'))).toEqual(expected);
  });

  test('a name that is not a dimension: --shapes', async () => {
    const { err } = await kiln('run', 'examples/xor.kiln', '--inputs', inputs, '--shapes', 'B=1,N=4');
    expect(err).toBe("kiln: --shapes: 'N' is not a dimension of graph xor_mlp (its symbols are B)\n");
  });

  test('a fractional class label: --label-dtype f32', async () => {
    const csv = file('frac.csv', 'a,b,label\n1,2,1.5\n');
    const { code, err } = await kiln('train', CLASSIFIER, '--dataset', `csv:${csv}`, '--epochs', '1');
    expect(code).toBe(1);
    expect(err).toBe(`kiln: ${csv}:2:5: class label '1.5' is not an integer (column 'label'); use --label-dtype f32 for regression\n`);
  });

  test('--label by name without a header row, and by an index out of range', async () => {
    const csv = file('headless.csv', '1,2,0\n3,4,1\n');
    expect((await kiln('train', CLASSIFIER, '--dataset', `csv:${csv}`, '--label', 'species')).err).toBe(
      "kiln: --label: 'species' names a column, but the CSV has no header row; give the label as a column index\n",
    );
    expect((await kiln('train', CLASSIFIER, '--dataset', `csv:${csv}`, '--label', '5')).err).toBe('kiln: --label: column index 5 is out of range for 3 columns\n');
  });
});

describe('file errors in words', () => {
  test('fsReason: words for the usual codes, Node’s description otherwise, never the code', () => {
    const err = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(fsReason(err('ENOENT', "ENOENT: no such file or directory, open 'a'"))).toBe('no such file or directory');
    expect(fsReason(err('EISDIR', 'EISDIR: illegal operation on a directory, read'))).toBe('is a directory');
    expect(fsReason(err('EIO', "EIO: i/o error, read 'a'"))).toBe('i/o error');
    expect(fsReason(new Error('disk on fire'))).toBe('disk on fire');
  });

  test('a model file that is missing, or a directory', async () => {
    const missing = join(tmp, 'nope.kiln');
    const dir = folder('dir.kiln');
    expect((await kiln('check', missing)).err).toBe(`kiln: ${missing}: cannot read file (no such file or directory)\n`);
    expect((await kiln('check', dir)).err).toBe(`kiln: ${dir}: cannot read file (is a directory)\n`);
    expect((await kiln('inspect', dir)).err).toBe(`kiln: ${dir}: cannot read file (is a directory)\n`);
  });

  test('--inputs that is missing, a directory, or not JSON', async () => {
    const run = (inputs: string) => kiln('run', 'examples/xor.kiln', '--shapes', 'B=1', '--inputs', inputs);
    const missing = join(tmp, 'none.json');
    expect((await run(missing)).err).toBe(`kiln: ${missing}: cannot read file (no such file or directory)\n`);
    expect((await run(tmp)).err).toBe(`kiln: ${tmp}: cannot read file (is a directory)\n`);
    const bad = file('bad.json', '{ x: ');
    expect((await run(bad)).err).toMatch(new RegExp(`^kiln: ${bad.replace(/[.\\]/g, '\\$&')}: the inputs are not JSON \\(.+\\)\\n$`));
  });

  test('--weights that is missing or a directory', async () => {
    const compile = (weights: string) => kiln('compile', 'examples/xor.kiln', '--shapes', 'B=4', '-o', join(tmp, 'w-artifact'), '--weights', weights);
    const missing = join(tmp, 'none.ckpt');
    expect((await compile(missing)).err).toBe(`kiln: ${missing}: cannot read checkpoint (no such file or directory)\n`);
    expect((await compile(tmp)).err).toBe(`kiln: ${tmp}: cannot read checkpoint (is a directory)\n`);
  });

  test('-o under a file', async () => {
    const blocker = file('blocker', 'a file, not a folder');
    const out = join(blocker, 'artifact');
    const { code, err } = await kiln('compile', 'examples/xor.kiln', '--shapes', 'B=4', '-o', out);
    expect(code).toBe(1);
    expect(err).toBe(`kiln: ${out}: cannot write the artifact (a part of the path is not a directory)\n`);
  });

  test('a csv: dataset that is missing or a directory', async () => {
    const missing = join(tmp, 'none.csv');
    expect((await kiln('train', CLASSIFIER, '--dataset', `csv:${missing}`)).err).toBe(`kiln: cannot read CSV file '${missing}' (no such file or directory)\n`);
    expect((await kiln('train', CLASSIFIER, '--dataset', `csv:${tmp}`)).err).toBe(`kiln: cannot read CSV file '${tmp}' (is a directory)\n`);
  });

  test('--curve and --save onto a directory', async () => {
    const csv = file('xor.csv', 'a,b,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n');
    const train = (...flags: string[]) => kiln('train', CLASSIFIER, '--dataset', `csv:${csv}`, '--epochs', '1', '--batch', '2', '--split', '1:0:0', '--no-progress', ...flags);
    const curve = folder('curve.svg');
    expect((await train('--curve', curve)).err).toBe(`kiln: --curve: cannot write '${curve}' (is a directory)\n`);
    const save = folder('model.ckpt');
    writeFileSync(join(save, 'keep'), 'x');
    expect((await train('--save', save)).err).toMatch(
      new RegExp(`^kiln: ${save.replace(/[.\\]/g, '\\$&')}: cannot save checkpoint \\((is a directory|is a directory that is not empty|already exists)\\)\\n$`),
    );
  });
});

describe('--dataset names', () => {
  test('a CSV path without its prefix is answered with the csv: spelling', async () => {
    expect((await kiln('train', CLASSIFIER, '--dataset', 'cls.csv')).err).toBe("kiln: unknown dataset 'cls.csv' (expected mnist or csv:PATH); did you mean csv:cls.csv?\n");
    expect((await kiln('train', CLASSIFIER, '--dataset', 'data/IRIS.CSV')).err).toBe(
      "kiln: unknown dataset 'data/IRIS.CSV' (expected mnist or csv:PATH); did you mean csv:data/IRIS.CSV?\n",
    );
  });

  test('an unknown name lists the datasets only', async () => {
    expect((await kiln('train', CLASSIFIER, '--dataset', 'cifar')).err).toBe("kiln: unknown dataset 'cifar' (expected mnist or csv:PATH)\n");
  });
});
