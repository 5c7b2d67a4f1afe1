// `kiln train` end to end on a tiny CSV (logistic regression), its outputs (epoch lines, the test
// line, the SVG curve, the checkpoint, the progress bar) and its one-line errors.

import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { ProgressStream } from '../../src/cli/progress.js';

async function kiln(argv: string[], progress?: ProgressStream): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => (out += s),
    (s) => (err += s),
    progress,
  );
  return { code, out, err };
}

const tmp = mkdtempSync(join(tmpdir(), 'kiln-train-'));
function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

// Logistic regression: one dense unit on logits, a sigmoid cross-entropy loss and its accuracy.
const LOGREG = `graph logreg {
  input x: f32[B, 2]
  input y: f32[B, 1]
  param w: f32[2, 1] = zeros()
  param b: f32[1] = zeros()
  %z = dense(%x, %w, %b) : f32[B, 1]
  %l = sigmoid_cross_entropy(%z, %y) : f32[]
  %a = binary_accuracy(%z, %y) {threshold=0} : f32[]
  output logits = %z
  output loss = %l
  output accuracy = %a
}
`;

/** 90 points on a grid, labelled by which side of x1 + x2 = 0 they lie, none closer than 1 to it. */
function separableCSV(): string {
  const rows = ['x1,x2,label'];
  for (let i = -5; i <= 5; i++) {
    for (let j = -5; j <= 5; j++) {
      if (Math.abs(i + j) < 2) continue;
      rows.push(`${i / 2},${j / 2},${i + j > 0 ? 1 : 0}`);
    }
  }
  return `${rows.join('\n')}\n`;
}

const model = file('logreg.kir', LOGREG);
const csv = file('points.csv', separableCSV());
const base = ['train', model, '--dataset', `csv:${csv}`, '--label', 'label', '--no-progress'];

/** A fake terminal that records what the progress bar draws. */
function terminal(isTTY: boolean): ProgressStream & { text: string } {
  const t = { isTTY, columns: 120, text: '', write: (s: string) => ((t.text += s), true) };
  return t;
}

/** Tags balance like XML: every opened element is closed, in order. */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w-]*)\b[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (!m[1]) stack.push(m[2]!);
    else if (stack.pop() !== m[2]) return false;
  }
  return stack.length === 0;
}

describe('kiln train', () => {
  test("a step whose update is not finite is skipped and the epoch line says so (Adam's g² of a 1e30 feature overflows)", async () => {
    const rows = separableCSV().trimEnd().split('\n');
    rows[5] = `1e30,${rows[5]!.split(',').slice(1).join(',')}`;
    const spiked = file('spiked.csv', `${rows.join('\n')}\n`);
    const { code, out, err } = await kiln([
      'train',
      model,
      '--dataset',
      `csv:${spiked}`,
      '--label',
      'label',
      '--no-progress',
      '--split',
      '1:0:0',
      '--epochs',
      '2',
      '--batch',
      '30',
    ]);
    expect([code, err]).toEqual([0, '']);
    const epochs = out.split('\n').filter((l) => l.startsWith('epoch '));
    expect(epochs).toHaveLength(2);
    for (const l of epochs)
      expect(l).toMatch(/^epoch \d\/2 {2}loss \d\.\d{4} {2}accuracy \d\.\d{4} {2}\d+\.\ds {2}\(1 step skipped: NaN or ±Infinity in the update; the weights were kept\)$/);
  });

  test('learns a linearly separable set: epoch lines, a test line, a curve and a checkpoint', async () => {
    const curve = join(tmp, 'curve.svg');
    const ckpt = join(tmp, 'logreg.ckpt');
    const { code, out, err } = await kiln([...base, '--epochs', '12', '--batch', '8', '--lr', '0.1', '--seed', '3', '--curve', curve, '--save', ckpt]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^train logreg on csv:.*points\.csv: 72 train, 9 validation, 9 test examples; adam\(lr=0\.1, /);
    const epochs = lines.filter((l) => l.startsWith('epoch '));
    expect(epochs).toHaveLength(12);
    const epochLine = /^epoch (\d+)\/12 {2}loss (\d\.\d{4}) {2}accuracy (\d\.\d{4}) {2}val_loss (\d\.\d{4}) {2}val_accuracy (\d\.\d{4}) {2}\d+\.\ds$/;
    epochs.forEach((l, i) => {
      expect(l).toMatch(epochLine);
      expect(epochLine.exec(l)![1]).toBe(String(i + 1));
    });
    const [first, last] = [epochLine.exec(epochs[0]!)!, epochLine.exec(epochs[11]!)!];
    expect(Number(last[2])).toBeLessThan(Number(first[2]));
    expect(last[3]).toBe('1.0000');
    expect(out).toMatch(/^test {2}loss \d\.\d{4} {2}accuracy 1\.0000$/m);
    expect(out).toContain(`wrote ${curve}\n`);
    expect(out).toContain(`saved ${ckpt}\n`);

    const svg = readFileSync(curve, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(wellFormed(svg)).toBe(true);
    const series = [...svg.matchAll(/<polyline data-series="([^"]+)"[^>]*points="([^"]*)"/g)];
    expect(series.map((m) => m[1])).toEqual(['loss', 'val_loss', 'accuracy', 'val_accuracy']);
    for (const m of series) expect(m[2]!.split(' ')).toHaveLength(12);
    expect(svg).toContain('class="axis y-axis right"');

    expect(statSync(ckpt).size).toBeGreaterThan(0);
  });

  test('the same seed gives the same run', async () => {
    const args = [...base, '--epochs', '2', '--batch', '16', '--optimizer', 'momentum', '--seed', '7'];
    const strip = (s: string) => s.replace(/ {2}\d+\.\ds$/gm, '');
    const [a, b] = [await kiln(args), await kiln(args)];
    expect(a.code).toBe(0);
    expect(strip(a.out)).toBe(strip(b.out));
    expect(a.out).toContain('sgd(lr=0.01, momentum=0.9)');
  });

  test('a 0 ratio leaves the validation and test sets out', async () => {
    const { code, out } = await kiln([...base, '--epochs', '1', '--split', '1:0:0', '--optimizer', 'sgd']);
    expect(code).toBe(0);
    expect(out).toMatch(/90 train, 0 validation, 0 test examples/);
    expect(out).toMatch(/^epoch 1\/1 {2}loss \d\.\d{4} {2}accuracy \d\.\d{4} {2}\d+\.\ds$/m);
    expect(out).not.toMatch(/^test /m);
  });

  test('the progress bar is drawn on a terminal only, and not with --no-progress', async () => {
    const args = base.filter((a) => a !== '--no-progress').concat('--epochs', '2', '--batch', '8');
    const tty = terminal(true);
    expect((await kiln(args, tty)).code).toBe(0);
    // The last frame of each epoch is always drawn: the full bar, ETA 0, the ms per step and the running averages.
    // cli-progress draws each frame from the first column and clears what is right of it.
    const drawn = tty.text.replaceAll('\x1b[1G', '<col 1>').replaceAll('\x1b[0K', '<clear right>');
    expect(drawn).toMatch(/<col 1>epoch 1\/2 \[#{20}\] 9\/9 {2}ETA 0\.0s {2}\d+(\.\d)? ms\/step {2}loss \d\.\d{4} {2}accuracy \d\.\d{4}<clear right>/);
    expect(drawn).toMatch(/<col 1>epoch 2\/2 \[#{20}\] 9\/9 /);
    // The bar's line is cleared at the end (the cursor back where the bar began), so the epoch lines on stdout stand alone.
    expect(tty.text.endsWith('\x1b8\x1b[1G\x1b[2K')).toBe(true);
    const pipe = terminal(false);
    await kiln(args, pipe);
    expect(pipe.text).toBe('');
    const quiet = terminal(true);
    await kiln([...args, '--no-progress'], quiet);
    expect(quiet.text).toBe('');
  });

  test('--patience stops when val_loss stops improving and reports the epoch it restored', async () => {
    // A small MLP on 300 digits with a large step overfits within a few epochs.
    const mlp = file(
      'mnist-mlp.kir',
      `graph mnist_mlp {
  input x: f32[B, 784]
  input y: i32[B]
  param w1: f32[784, 32] = he_normal(seed=1)
  param b1: f32[32] = zeros()
  param w2: f32[32, 10] = glorot_uniform(seed=2)
  param b2: f32[10] = zeros()
  %h = dense(%x, %w1, %b1) : f32[B, 32]
  %a = relu(%h) : f32[B, 32]
  %z = dense(%a, %w2, %b2) : f32[B, 10]
  %l = softmax_cross_entropy(%z, %y) : f32[]
  %acc = accuracy(%z, %y) : f32[]
  output loss = %l
  output accuracy = %acc
}
`,
    );
    const { code, out } = await kiln(['train', mlp, '--dataset', 'mnist', '--limit', '300', '--epochs', '15', '--lr', '0.01', '--patience', '2', '--l2', '0.001', '--no-progress']);
    expect(code).toBe(0);
    expect(out).toMatch(/240 train, 30 validation, 30 test examples/);
    const stopped = /^stopped early after epoch (\d+): val_loss did not improve for 2 epochs$/m.exec(out);
    expect(stopped).not.toBeNull();
    const epochs = out.split('\n').filter((l) => l.startsWith('epoch '));
    expect(epochs).toHaveLength(Number(stopped![1]));
    // With --l2 the logs also carry the unpenalized data_loss.
    expect(epochs[0]).toMatch(/^epoch 1\/15 {2}loss \S+ {2}accuracy \S+ {2}data_loss \S+ {2}val_loss \S+ {2}val_accuracy \S+ {2}val_data_loss \S+ {2}\S+s$/);
    const restored = /^restored the weights of epoch (\d+) \(val_loss (\S+)\)$/m.exec(out)!;
    const best = Number(restored[1]);
    expect(best).toBe(Number(stopped![1]) - 2);
    expect(epochs[best - 1]).toContain(`val_loss ${restored[2]}`);
    const valLosses = epochs.map((l) => Number(/ val_loss (\S+)/.exec(l)![1]));
    expect(Math.min(...valLosses)).toBe(Number(restored[2]));
    expect(out).toMatch(/^test {2}loss \S+ {2}accuracy \S+ {2}data_loss \S+$/m);
  });

  test('an unknown dataset is one line', async () => {
    const { code, err } = await kiln(['train', model, '--dataset', 'cifar']);
    expect(code).toBe(1);
    expect(err).toBe("kiln: unknown dataset 'cifar' (expected mnist or csv:PATH)\n");
  });

  test('columns that do not fit the model are named, with both sides listed', async () => {
    const mlp = file('mlp.kir', LOGREG.replace('graph logreg', 'graph mlp').replace('x: f32[B, 2]', 'x: f32[B, 784]').replace('w: f32[2, 1]', 'w: f32[784, 1]'));
    const r1 = await kiln(['train', mlp, '--dataset', `csv:${csv}`]);
    expect(r1.code).toBe(1);
    expect(r1.err).toBe(
      `kiln: model mlp does not fit dataset csv:${csv}: the model's x is f32[B, 784] but the dataset's x is f32[2] per example ` +
        '(model inputs: x f32[B, 784], y f32[B, 1]; dataset columns: x f32[2], y f32[])\n',
    );
    const r2 = await kiln(['train', model, '--dataset', `csv:${csv}`, '--label-dtype', 'i32']);
    expect(r2.err).toContain("the model's y is f32[B, 1] but the dataset's y is i32[] per example");
    const other = file('z.kir', LOGREG.replace('input y:', 'input t:').replace(/%y\b/g, '%t'));
    const r3 = await kiln(['train', other, '--dataset', `csv:${csv}`]);
    expect(r3.err).toContain("the model's input t is not a column of the dataset");
  });

  test('mnist is checked against the model like any dataset', async () => {
    const r1 = await kiln(['train', model, '--dataset', 'mnist', '--limit', '20']);
    expect(r1.code).toBe(1);
    expect(r1.err).toBe(
      "kiln: model logreg does not fit dataset mnist: the model's x is f32[B, 2] but the dataset's x is f32[784] per example " +
        '(model inputs: x f32[B, 2], y f32[B, 1]; dataset columns: x f32[784], y i32[])\n',
    );
    expect((await kiln(['train', model, '--dataset', 'mnist', '--limit', '20000'])).err).toBe('kiln: --limit: mnist has 10000 examples, got 20000\n');
    expect((await kiln(['train', model, '--dataset', 'mnist', '--label', 'y'])).err).toBe('kiln: --label and --label-dtype apply to csv: datasets only\n');
  });

  test('a bad --split is refused before anything loads', async () => {
    for (const split of ['8:1', '8:1:x', '0:1:1', '8:-1:1']) {
      const { code, err } = await kiln([...base, '--split', split]);
      expect(code).toBe(1);
      expect(err).toBe(`kiln: --split: expected TRAIN:VALIDATION:TEST ratios such as 8:1:1 (train > 0, the others >= 0), got '${split}'\n`);
    }
    const tiny = file('tiny.csv', 'x1,x2,label\n1,1,1\n-1,-1,0\n');
    const { err } = await kiln(['train', model, '--dataset', `csv:${tiny}`, '--split', '8:1:1']);
    expect(err).toBe('kiln: --split 8:1:1 leaves the validation set empty (the dataset has 2 examples)\n');
  });

  test('a missing model file, bad numbers and a missing --dataset', async () => {
    const missing = join(tmp, 'nope.kir');
    const r1 = await kiln(['train', missing, '--dataset', `csv:${csv}`]);
    expect(r1.code).toBe(1);
    expect(r1.err).toBe(`kiln: ${missing}: cannot read file (no such file or directory)\n`);
    expect((await kiln([...base, '--epochs', 'ten'])).err).toBe("kiln: --epochs: expected an integer >= 1, got 'ten'\n");
    expect((await kiln([...base, '--lr', '-1'])).err).toBe("kiln: --lr: expected a positive number, got '-1'\n");
    expect((await kiln([...base, '--optimizer', 'rmsprop'])).err).toBe("kiln: --optimizer: unknown optimizer 'rmsprop' (expected sgd, momentum, adam, adamw)\n");
    expect((await kiln([...base, '--curve', join(tmp, 'no-dir', 'c.svg')])).err).toContain('--curve: the folder of');
    const r2 = await kiln(['train', model]);
    expect(r2.code).toBe(1);
    expect(r2.err).toBe("kiln: train: no dataset; pass --dataset (mnist or csv:PATH) or set dataset in the model's train section\n");
    expect(existsSync(join(tmp, 'no-dir'))).toBe(false);
  });
});
