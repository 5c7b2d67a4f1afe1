// `kiln train MODEL`: loads a dataset (MNIST or a CSV file), checks its columns against the
// model's inputs, splits it, trains with fit() and reports epochs, the test set and a curve.

import { existsSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fsReason } from '../../runtime/fs.js';
import { backendOf } from '../backends/registry.js';
import type { BackendName } from '../backends/registry.js';
import { loadCSV } from '../data/csv.js';
import type { Column, Dataset } from '../data/dataset.js';
import { slice, split } from '../data/dataset.js';
import { MNIST_PIXELS, loadMnist, mnistDigits } from '../data/mnist.js';
import type { TrainConfig } from '../frontend/dsl/index.js';
import { fail } from '../ir/errors.js';
import type { Graph, InputDecl } from '../ir/graph.js';
import { formatType } from '../ir/types.js';
import type { Dim } from '../ir/types.js';
import { fit } from '../train/fit.js';
import type { EpochLog, FitResult } from '../train/fit.js';
import { adam, adamw, describeOptimizer, sgd } from '../train/optimizers.js';
import type { Optimizer } from '../train/optimizers.js';
import { formatNumber, formatQuantities, progressReporter } from '../train/progress.js';
import type { ProgressStream } from '../train/progress.js';
import { STEP_INPUT, compileTraining } from '../train/trainer.js';
import type { Trainer } from '../train/trainer.js';
import { loadModelFile } from './load.js';
import { loadCheckpoint } from '../../runtime/checkpoint.js';
import { savedTraining } from '../model-file.js';
import { lineChartSVG } from './svg.js';
import type { Series } from './svg.js';

/** The flags as commander hands them over: strings, checked here so errors name the flag. */
export interface TrainFlags {
  dataset?: string;
  limit?: string;
  label?: string;
  labelDtype?: string;
  split?: string;
  epochs?: string;
  batch?: string;
  optimizer?: string;
  lr?: string;
  seed?: string;
  patience?: string;
  l2?: string;
  curve?: string;
  save?: string;
  resume?: string;
  backend?: string;
  threads?: string;
  progress: boolean;
}

export interface TrainIO {
  out: (s: string) => void;
  progress: ProgressStream;
}

/** A backend named on the command line, checked. */
export function backendFlag(name: string): BackendName {
  return backendOf(name, '--backend: unknown backend').name;
}

/** --threads: a whole number of threads, 1 by default. */
export function threadsFlag(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) fail('usage', `--threads: expected a positive whole number, got '${value}'`);
  return n;
}

export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'adamw'] as const;
type OptimizerName = (typeof OPTIMIZERS)[number];

/** Learning rates that suit each optimizer when --lr is not given. */
const DEFAULT_LR: Record<OptimizerName, number> = { sgd: 0.01, momentum: 0.01, adam: 1e-3, adamw: 1e-3 };

// ---- flag parsing ---------------------------------------------------------------------------

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function integerFlag(flag: string, text: string, min: number): number {
  const v = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min) fail('usage', `${flag}: expected an integer >= ${min}, got '${text}'`);
  return v;
}

export function numberFlag(flag: string, text: string, ok: (v: number) => boolean, rule: string): number {
  const v = DECIMAL.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isFinite(v) || !ok(v)) fail('usage', `${flag}: expected ${rule}, got '${text}'`);
  return v;
}

/** `8:1:1` as train, validation and test ratios; validation and test may be 0 (no such set). */
export function parseSplit(text: string): [number, number, number] {
  const parts = text.split(':');
  const ratios = parts.map((p) => (DECIMAL.test(p.trim()) ? Number(p) : Number.NaN));
  if (ratios.length !== 3 || ratios.some((r) => !Number.isFinite(r) || r < 0) || ratios[0]! <= 0) {
    fail('usage', `--split: expected TRAIN:VALIDATION:TEST ratios such as 8:1:1 (train > 0, the others >= 0), got '${text}'`);
  }
  return ratios as [number, number, number];
}

function makeOptimizer(name: string, lrText: string | undefined): Optimizer {
  if (!(OPTIMIZERS as readonly string[]).includes(name)) fail('usage', `--optimizer: unknown optimizer '${name}' (expected ${OPTIMIZERS.join(', ')})`);
  const kind = name as OptimizerName;
  const lr = lrText === undefined ? DEFAULT_LR[kind] : numberFlag('--lr', lrText, (v) => v > 0, 'a positive number');
  switch (kind) {
    case 'sgd':
      return sgd({ lr });
    case 'momentum':
      return sgd({ lr, momentum: 0.9 });
    case 'adam':
      return adam({ lr });
    case 'adamw':
      return adamw({ lr });
  }
}

/** Fails before training when an output file could not be written afterwards. */
function checkWritable(flag: string, path: string): void {
  if (!existsSync(dirname(path))) fail('usage', `${flag}: the folder of '${path}' does not exist`);
}

// ---- the dataset ----------------------------------------------------------------------------

interface DataOptions {
  limit?: number;
  label?: string;
  labelDtype?: 'i32' | 'f32';
  seed: number;
}

/** `mnist` or `csv:PATH` as a dataset; a CSV label is a header name or a column index (-1: the last). */
export function loadDataset(spec: string, o: DataOptions): Dataset {
  if (spec === 'mnist') {
    if (o.label !== undefined || o.labelDtype !== undefined) fail('usage', '--label and --label-dtype apply to csv: datasets only');
    const total = mnistDigits().reduce((n, px) => n + px.length / MNIST_PIXELS, 0);
    if (o.limit !== undefined && o.limit > total) fail('usage', `--limit: mnist has ${total} examples, got ${o.limit}`);
    return loadMnist({ count: o.limit, seed: o.seed });
  }
  if (spec.startsWith('csv:')) {
    const path = spec.slice(4);
    if (path === '') fail('usage', "--dataset: 'csv:' needs a path, e.g. csv:data/iris.csv");
    const label = o.label === undefined ? -1 : /^-?\d+$/.test(o.label) ? Number(o.label) : o.label;
    const ds = loadCSV(path, { label, labelDtype: o.labelDtype ?? 'i32' });
    if (o.limit !== undefined && o.limit < ds.size) return slice(ds, 0, o.limit);
    return ds;
  }
  // A CSV path given without its prefix is the likely slip: name the spelling that loads it.
  const slip = /\.csv$/i.test(spec) || existsSync(spec) ? `; did you mean csv:${spec}?` : '';
  return fail('usage', `unknown dataset '${spec}' (expected mnist or csv:PATH)${slip}`);
}

const describeColumn = (c: Column): string => `${c.dtype}[${c.shape.join(', ')}]`;

/** Whether an example shape fits a model's dims (a symbolic dim fits any size). */
const fits = (dims: readonly Dim[], have: readonly number[]): boolean => dims.length === have.length && dims.every((d, i) => typeof d === 'string' || d === have[i]);

/** Whether two concrete shapes differ only by size-1 dims, like [1] and [] (the same values in the same order). */
const sameUpToUnitDims = (a: readonly Dim[], b: readonly number[]): boolean => {
  const [x, y] = [a.filter((d) => d !== 1), b.filter((d) => d !== 1)];
  return a.every((d) => typeof d === 'number') && x.length === y.length && x.every((d, i) => d === y[i]);
};

/** The model's inputs that examples feed: every input except the step count, which the trainer feeds. */
function dataInputs(model: Graph): InputDecl[] {
  return model.inputs.filter((i) => i.name !== STEP_INPUT);
}

/**
 * The dataset with its columns checked against the model's inputs: each input [B, ...dims] needs
 * a column of the same dtype and example shape `dims`. A column that differs only by size-1 dims
 * (a scalar label for a y of f32[B, 1]) is given the model's shape: the values are laid out the same.
 */
export function fitColumns(model: Graph, ds: Dataset, datasetName: string): Dataset {
  const inputs = dataInputs(model);
  const listing = (): string =>
    `model inputs: ${inputs.map((i) => `${i.name} ${formatType(i.type)}`).join(', ')}; ` +
    `dataset columns: ${Object.entries(ds.columns)
      .map(([n, c]) => `${n} ${describeColumn(c)}`)
      .join(', ')}`;
  const mismatch = (why: string): never => fail('usage', `model ${model.name} does not fit dataset ${datasetName}: ${why} (${listing()})`);

  const columns: Record<string, Column> = { ...ds.columns };
  const bound = new Map<string, number>(); // symbolic example dims, consistent across columns
  for (const input of inputs) {
    const shape = input.type.shape;
    const batchDim = shape[0];
    if (typeof batchDim !== 'string')
      mismatch(`the model's ${input.name} is ${formatType(input.type)}, but inputs fed from a dataset need a symbolic batch dim first, e.g. ${input.type.dtype}[B, ...]`);
    const col = ds.columns[input.name];
    if (!col) mismatch(`the model's input ${input.name} is not a column of the dataset`);
    const want = shape.slice(1);
    let example = col.shape;
    if (col.dtype === input.type.dtype && !fits(want, example) && sameUpToUnitDims(want, example)) {
      example = want as number[];
      columns[input.name] = { ...col, shape: example };
    }
    if (col.dtype !== input.type.dtype || !fits(want, example)) {
      mismatch(`the model's ${input.name} is ${formatType(input.type)} but the dataset's ${input.name} is ${describeColumn(col)} per example`);
    }
    want.forEach((d, i) => {
      if (typeof d !== 'string') return;
      const seen = bound.get(d);
      if (seen !== undefined && seen !== example[i]) mismatch(`dim ${d} is ${seen} in one column and ${example[i]} in ${input.name}`);
      bound.set(d, example[i]!);
    });
  }
  return { size: ds.size, columns: Object.freeze(columns) };
}

/** Train, validation and test sets; a 0 ratio leaves that set out, a positive one must not come out empty. */
function splitDataset(ds: Dataset, ratios: [number, number, number], seed: number): { train: Dataset; validation?: Dataset; test?: Dataset } {
  const names = ['train', 'validation', 'test'] as const;
  const kept = names.filter((_, k) => ratios[k]! > 0);
  const parts = split(
    ds,
    kept.map((n) => ratios[names.indexOf(n)]!),
    { seed },
  );
  const sets: Partial<Record<(typeof names)[number], Dataset>> = {};
  kept.forEach((n, k) => {
    if (parts[k]!.size === 0) fail('usage', `--split ${ratios.join(':')} leaves the ${n} set empty (the dataset has ${ds.size} examples)`);
    sets[n] = parts[k]!;
  });
  return { train: sets.train!, validation: sets.validation, test: sets.test };
}

// ---- reporting ------------------------------------------------------------------------------

/** Loss curves on the left axis; accuracies, when the model reports any, on a 0..1 right axis. */
export function trainingCurve(history: readonly EpochLog[], title: string): string {
  const keys = [...new Set(history.flatMap((h) => Object.keys(h)))].filter((k) => k !== 'epoch' && k !== 'seconds' && k !== 'skipped');
  const base = (k: string): string => k.replace(/^val_/, '');
  const isAccuracy = (k: string): boolean => /acc/.test(k);
  const bases = [...new Set(keys.map(base))];
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  // The same color for a quantity and its validation twin; validation is dashed.
  const order = (k: string): number => bases.indexOf(base(k)) * 2 + (k.startsWith('val_') ? 1 : 0);
  const series: Series[] = keys
    .filter((k) => isAccuracy(k) || /loss/.test(k))
    .sort((a, b) => order(a) - order(b))
    .map((k) => ({
      name: k,
      values: history.map((h) => h[k] ?? Number.NaN),
      axis: isAccuracy(k) ? ('right' as const) : ('left' as const),
      color: colors[bases.indexOf(base(k)) % colors.length]!,
      dashed: k.startsWith('val_'),
    }));
  const hasAccuracy = series.some((s) => s.axis === 'right');
  return lineChartSVG(series, {
    title,
    xLabel: 'epoch',
    left: { label: 'loss', min: 0 },
    ...(hasAccuracy ? { right: { label: 'accuracy', min: 0, max: 1 } } : {}),
  });
}

// ---- the command ----------------------------------------------------------------------------

/** The optimizer from the flags, else the train section's (with --lr applied), else adam. */
export function chooseOptimizer(flags: Pick<TrainFlags, 'optimizer' | 'lr'>, section: TrainConfig): Optimizer {
  if (flags.optimizer !== undefined || !section.optimizer) return makeOptimizer(flags.optimizer ?? 'adam', flags.lr);
  if (flags.lr === undefined) return section.optimizer;
  return { ...section.optimizer, lr: numberFlag('--lr', flags.lr, (v) => v > 0, 'a positive number') };
}

/** The train section's split as train, validation and test ratios. */
function sectionSplit(split: readonly number[]): [number, number, number] {
  if (split.length !== 3 || split[0]! <= 0 || split.some((r) => !(r >= 0))) {
    fail('usage', `train section: split must be three ratios such as [8, 1, 1] (train > 0, the others >= 0), got [${split.join(', ')}]`);
  }
  return [split[0]!, split[1]!, split[2]!];
}

/** Every setting of a run, from the flags over the model's train section, checked before anything slow happens. */
function trainSettings(modelPath: string, flags: TrainFlags) {
  // A .kiln model's train section gives the defaults; flags override them.
  const { graph: model, train: section = {} } = loadModelFile(modelPath);
  const epochs = flags.epochs !== undefined ? integerFlag('--epochs', flags.epochs, 1) : (section.epochs ?? 10);
  const batchSize = flags.batch !== undefined ? integerFlag('--batch', flags.batch, 1) : (section.batch ?? 32);
  const seed = flags.seed !== undefined ? integerFlag('--seed', flags.seed, 0) : section.seed;
  const limit = flags.limit === undefined ? undefined : integerFlag('--limit', flags.limit, 1);
  const patience = flags.patience !== undefined ? integerFlag('--patience', flags.patience, 1) : section.patience;
  const l2 = flags.l2 !== undefined ? numberFlag('--l2', flags.l2, (v) => v >= 0, 'a non-negative number') : (section.l2 ?? 0);
  const l1 = section.l1 ?? 0;
  const ratios = flags.split !== undefined ? parseSplit(flags.split) : section.split ? sectionSplit(section.split) : parseSplit('8:1:1');
  const optimizer = chooseOptimizer(flags, section);
  // A CSV named in the train section lies relative to the model file.
  const fromSection = section.dataset?.startsWith('csv:') && !isAbsolute(section.dataset.slice(4)) ? `csv:${join(dirname(modelPath), section.dataset.slice(4))}` : section.dataset;
  const datasetName = flags.dataset ?? fromSection;
  if (datasetName === undefined) fail('usage', `train: no dataset; pass --dataset (mnist or csv:PATH) or set dataset in the model's train section`);
  if (flags.labelDtype !== undefined && flags.labelDtype !== 'i32' && flags.labelDtype !== 'f32') {
    fail('usage', `--label-dtype: expected i32 or f32, got '${flags.labelDtype}'`);
  }
  if (flags.curve !== undefined) checkWritable('--curve', flags.curve);
  if (flags.save !== undefined) checkWritable('--save', flags.save);
  return { model, epochs, batchSize, seed, limit, patience, l1, l2, ratios, optimizer, datasetName };
}

type Settings = ReturnType<typeof trainSettings>;

/** The data set, fitted to the model's inputs and split into train, validation and test. */
function trainingData(s: Settings, flags: TrainFlags): ReturnType<typeof splitDataset> {
  // CSV labels default to the dtype of the model's y, so a regression model needs no flag.
  const yType = s.model.inputs.find((i) => i.name === 'y')?.type.dtype;
  const labelDtype = (flags.labelDtype as 'i32' | 'f32' | undefined) ?? (s.datasetName.startsWith('csv:') && (yType === 'f32' || yType === 'i32') ? yType : undefined);
  const raw = loadDataset(s.datasetName, { limit: s.limit, label: flags.label, labelDtype, seed: s.seed ?? 0 });
  const data = fitColumns(s.model, raw, s.datasetName);
  return splitDataset(data, s.ratios, s.seed ?? 0);
}

/** fit() reporting as the API does, but with the epoch lines on `out` and the bar (unless --no-progress) on `progress`. */
async function fitWithProgress(trainer: Trainer, s: Settings, data: ReturnType<typeof splitDataset>, flags: TrainFlags, io: TrainIO): Promise<FitResult> {
  const reporter = progressReporter({ epochs: s.epochs, verbose: flags.progress ? 1 : 2, lines: io.out, bar: io.progress });
  try {
    return await fit(trainer, data.train, {
      epochs: s.epochs,
      batchSize: s.batchSize,
      ...(data.validation ? { validation: data.validation } : {}),
      seed: s.seed ?? 0,
      ...(s.patience !== undefined ? { earlyStopping: { patience: s.patience, restoreBest: true } } : {}),
      verbose: 0,
      onBatch: (info) => reporter.step(info),
      onSkippedStep: () => {}, // the epoch line says how many
      onEpoch: (log) => reporter.epoch(log),
    });
  } finally {
    reporter.stop(); // a failed step must not leave the bar on the screen
  }
}

export async function trainCommand(modelPath: string, flags: TrainFlags, io: TrainIO): Promise<void> {
  // A resumed run keeps the saved seed unless --seed is given, and the saved optimizer (at its last learning rate) unless --optimizer is.
  const saved = flags.resume === undefined ? undefined : savedTraining((await loadCheckpoint(flags.resume)).meta, flags.resume);
  const settings = trainSettings(modelPath, flags);
  const s = saved?.seed !== undefined && flags.seed === undefined ? { ...settings, seed: saved.seed } : settings;
  const { model, epochs, batchSize, seed, patience, datasetName } = s;
  const data = trainingData(s, flags);
  const { train, validation, test } = data;
  const lr = flags.lr === undefined ? saved?.learningRate : numberFlag('--lr', flags.lr, (v) => v > 0, 'a positive number');
  const optimizer = saved && flags.optimizer === undefined ? { ...saved.optimizer, lr: lr! } : s.optimizer;

  const trainer = await compileTraining(model, {
    backend: backendFlag(flags.backend ?? 'wasm'),
    threads: threadsFlag(flags.threads),
    optimizer,
    ...(seed !== undefined ? { seed } : {}),
    ...(s.l1 > 0 || s.l2 > 0 ? { regularization: { l1: s.l1, l2: s.l2 } } : {}),
  });
  const out = io.out;
  if (flags.resume !== undefined) {
    await trainer.load(flags.resume); // refuses a file of another model, keeping nothing of it
    out(`resumed from ${flags.resume} at step ${trainer.stepCount}\n`);
  }
  out(
    `train ${model.name} on ${datasetName}: ${train.size} train, ${validation?.size ?? 0} validation, ${test?.size ?? 0} test examples; ` +
      `${describeOptimizer(optimizer)}, batch ${batchSize}, ${epochs} epoch${epochs === 1 ? '' : 's'}\n`,
  );
  const { history, bestEpoch, stoppedEarly } = await fitWithProgress(trainer, s, data, flags, io);
  if (patience !== undefined) {
    const monitor = validation ? 'val_loss' : 'loss';
    if (stoppedEarly) out(`stopped early after epoch ${history.length}: ${monitor} did not improve for ${patience} epochs\n`);
    if (bestEpoch !== history.length - 1) out(`restored the weights of epoch ${bestEpoch + 1} (${monitor} ${formatNumber(history[bestEpoch]![monitor]!)})\n`);
  }
  if (test) out(`test  ${formatQuantities(await trainer.evaluate(test, { batchSize }))}\n`);
  await writeOutputs(trainer, history, `${model.name} on ${datasetName}`, flags, out);
}

/** The --curve chart and the --save checkpoint, each announced. */
async function writeOutputs(trainer: Trainer, history: FitResult['history'], title: string, flags: TrainFlags, out: (s: string) => void): Promise<void> {
  if (flags.curve !== undefined) {
    try {
      writeFileSync(flags.curve, trainingCurve(history, title));
    } catch (e) {
      fail('usage', `--curve: cannot write '${flags.curve}' (${fsReason(e)})`);
    }
    out(`wrote ${flags.curve}\n`);
  }
  if (flags.save !== undefined) {
    await trainer.save(flags.save);
    out(`saved ${flags.save}\n`);
  }
}
