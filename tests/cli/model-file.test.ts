// `kiln train --save` writes a model file, `kiln train --resume` continues from it (weights, optimizer state, step, optimizer), `kiln run --weights` runs a model with its stored weights, and `kiln run` / `kiln compile` take the model file itself as the model.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { load } from '../../src/model-file.js';
import { kiln } from './run-kiln.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-model-file-cli-'));
function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const model = file(
  'logreg.kir',
  `graph logreg {
  input x: f32[B, 2]
  input y: f32[B, 1]
  param w: f32[2, 1] = zeros()
  param b: f32[1] = zeros()
  %z = dense(%x, %w, %b) : f32[B, 1]
  %l = sigmoid_cross_entropy(%z, %y) : f32[]
  output logits = %z
  output loss = %l
}
`,
);
// 40 points labelled by the sign of x1 + x2.
const rows = Array.from({ length: 40 }, (_, i) => [((i * 7) % 11) - 5, ((i * 5) % 9) - 4]).filter(([a, b]) => a! + b! !== 0);
const csv = file('points.csv', `x1,x2,label\n${rows.map(([a, b]) => `${a},${b},${a! + b! > 0 ? 1 : 0}`).join('\n')}\n`);
const train = ['train', model, '--dataset', `csv:${csv}`, '--label', 'label', '--split', '1:0:0', '--batch', '8', '--no-progress'];
const steps = Math.ceil(rows.length / 8);

test('train --save, then --resume: the run goes on from the saved step with the saved optimizer', async () => {
  const first = join(tmp, 'first.safetensors');
  const second = join(tmp, 'second.safetensors');
  const a = await kiln(...train, '--epochs', '2', '--optimizer', 'momentum', '--lr', '0.05', '--seed', '4', '--save', first);
  expect([a.code, a.err]).toEqual([0, '']);
  const b = await kiln(...train, '--epochs', '1', '--resume', first, '--save', second);
  expect([b.code, b.err]).toEqual([0, '']);
  expect(b.out).toContain(`resumed from ${first} at step ${2 * steps}\n`);
  expect(b.out).toContain('sgd(lr=0.05, momentum=0.9)'); // the saved optimizer, not the default adam
  const [saved, resumed] = [await load(first), await load(second)];
  expect(resumed.step).toBe(3 * steps);
  expect(resumed.training).toEqual({ ...saved.training, learningRate: 0.05 });
  expect(Array.from(resumed.weights().w!.data)).not.toEqual(Array.from(saved.weights().w!.data));
  // The resumed first epoch starts from trained weights: its loss is below the first run's first epoch.
  const loss = (out: string) => Number(/^epoch 1\/\d+ {2}loss (\S+)/m.exec(out)![1]);
  expect(loss(b.out)).toBeLessThan(loss(a.out));
});

test('train --resume refuses a file of another model, naming it', async () => {
  const other = file(
    'other.kir',
    'graph other {\n  input x: f32[B, 2]\n  input y: f32[B, 1]\n  param w: f32[2, 1] = zeros()\n  %m = matmul(%x, %w) : f32[B, 1]\n  %l = mse(%m, %y) : f32[]\n  output loss = %l\n}\n',
  );
  const path = join(tmp, 'other.safetensors');
  expect((await kiln('train', other, '--dataset', `csv:${csv}`, '--label', 'label', '--label-dtype', 'f32', '--epochs', '1', '--no-progress', '--save', path)).code).toBe(0);
  const { code, err } = await kiln(...train, '--epochs', '1', '--resume', path);
  expect(code).toBe(1);
  expect(err).toMatch(
    new RegExp(
      `^kiln: ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: checkpoint does not match the model \\(3 differences\\):\n {2}missing parameter 'b' \\(the model expects f32\\[1\\]\\)`,
    ),
  );
});

test('run --weights runs the model with the stored weights', async () => {
  const path = join(tmp, 'run.safetensors');
  expect((await kiln(...train, '--epochs', '1', '--optimizer', 'sgd', '--lr', '0.5', '--save', path)).code).toBe(0);
  const inputs = file('inputs.json', JSON.stringify({ x: [[1, 2]], y: [[1]] }));
  const { code, out, err } = await kiln('run', model, '--shapes', 'B=1', '--inputs', inputs, '--weights', path);
  expect([code, err]).toEqual([0, '']);
  const { w, b } = (await load(path)).weights();
  const z = Math.fround(Math.fround(w!.data[0]! + 2 * w!.data[1]!) + b!.data[0]!);
  expect(z).not.toBe(0); // zeros() alone would give 0
  expect(out).toMatch(new RegExp(`^logits = f32\\[1, 1\\] \\[${Number(z.toPrecision(6))}\\]$`, 'm'));

  const missing = join(tmp, 'none.safetensors');
  const refused = await kiln('run', model, '--shapes', 'B=1', '--inputs', inputs, '--weights', missing);
  expect(refused.code).toBe(1);
  expect(refused.err).toBe(`kiln: ${missing}: cannot read checkpoint (no such file or directory)\n`);
});

test('run and compile take a model file as the model: its graph and its stored weights', async () => {
  const path = join(tmp, 'whole.safetensors');
  expect((await kiln(...train, '--epochs', '1', '--optimizer', 'sgd', '--lr', '0.5', '--save', path)).code).toBe(0);
  const inputs = file('whole-inputs.json', JSON.stringify({ x: [[1, 2]], y: [[1]] }));
  const withWeights = await kiln('run', model, '--shapes', 'B=1', '--inputs', inputs, '--weights', path);
  const alone = await kiln('run', path, '--shapes', 'B=1', '--inputs', inputs);
  expect([alone.code, alone.err]).toEqual([0, '']);
  expect(alone.out).toBe(withWeights.out);
  expect(alone.out).not.toMatch(/^logits = f32\[1, 1\] \[0\]$/m); // the initial zeros would give 0

  const dir = join(tmp, 'whole-artifact');
  const compiled = await kiln('compile', path, '--shapes', 'B=1', '--outputs', 'logits', '-o', dir);
  expect([compiled.code, compiled.err]).toEqual([0, '']);
  const { loadExecutable } = await import('../../runtime/index.js');
  const exe = await loadExecutable(dir);
  const { logits } = await exe.run({ x: [[1, 2]] });
  expect(`logits = f32[1, 1] [${Number(logits!.data[0]!.toPrecision(6))}]\n`).toBe(/^logits = .*\n/m.exec(alone.out)![0]);

  // Where only a graph will do, the file is named for what it is.
  const inspected = await kiln('inspect', path);
  expect(inspected.code).toBe(1);
  expect(inspected.err).toBe(
    `kiln: ${path}: a model file (weights and graph); kiln run and kiln compile take it as the model, kiln train takes it with --resume (here: expected .kiln (model language), .json (IR JSON) or .kir (IR text))\n`,
  );
});
