// compileTraining(): one model graph becomes a training step (forward, loss, backward and
// optimizer update in one program) and an evaluation program, sharing one set of weights.

import { checkCompatible, loadCheckpoint, saveCheckpoint } from '../../runtime/checkpoint.js';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import type { Tensor, TensorLike } from '../../runtime/tensor.js';
import { compile } from '../compile.js';
import type { BackendName, Executable } from '../compile.js';
import { batches } from '../data/dataset.js';
import { describeData } from '../data/dataset.js';
import type { Batch } from '../data/dataset.js';
import { fail } from '../ir/errors.js';
import type { Graph, InputDecl } from '../ir/graph.js';
import { valueTypes } from '../ir/graph.js';
import { formatType } from '../ir/types.js';
import { verify } from '../ir/verify.js';
import { keepOutputs } from '../passes/select-outputs.js';
import { NONFINITE_OUTPUT } from '../kernels/guard-updates.js';
import { LR_INPUT } from '../passes/optimizer.js';
import { runGraphStages } from '../passes/pipeline.js';
import type { TrainingContext } from '../passes/pipeline.js';
import type { Regularization } from '../passes/regularize.js';
import { batchedInputs, isDataset, toDataset } from './columns.js';
import type { ArrayColumns, DataLike } from './columns.js';
import { describeOptimizer } from './optimizers.js';
import { modelMetadata } from '../model-file.js';
import type { Optimizer } from './optimizers.js';

/** The input a model declares to receive the step count (an i32 scalar), e.g. as dropout's key. */
export const STEP_INPUT = 'step';

export interface TrainingOptions {
  /** Where the step and evaluation run (default 'wasm'; 'reference' is the oracle, chosen explicitly). */
  backend?: BackendName;
  optimizer: Optimizer;
  /** Sizes of symbolic dims; a batch's own shapes take precedence for the dims it shows. */
  shapes?: Readonly<Record<string, number>>;
  /** Mixed into every initializer and random op: a different seed, a different draw. */
  seed?: number;
  /** The scalar output minimized (default 'loss'). */
  loss?: string;
  regularization?: Regularization;
  precision?: 'f32' | 'f64';
  /** Threads for backend 'wasm' (default 1). */
  threads?: number;
  /** Backend 'webgpu': the GPU to train on (default navigator.gpu, or Dawn's in Node). */
  gpu?: GPU;
  /**
   * A step whose update has NaN or ±Infinity is never applied: the weights and optimizer state
   * stay as they were. 'skip' (default) reports it in the step's result (`nonfinite`, the count
   * of bad values) and goes on; 'error' throws a KilnRuntimeError naming the values.
   */
  nonFinite?: 'skip' | 'error';
}

/**
 * The loss and every other scalar output (metrics) of one step or one evaluation. A step that
 * was skipped because its update was not finite also has `nonfinite`, the count of bad values.
 */
export type Scalars = Record<string, number>;

/** The step's result key (and the step program's output) that reports a skipped update. */
export { NONFINITE_OUTPUT };

/** Examples per batch in predict and evaluate when none is given: no gradients, so larger batches than training's pay. */
export const EVAL_BATCH_SIZE = 256;

export class Trainer {
  /** The training step as one graph: forward, loss, backward, optimizer updates. */
  readonly trainGraph: Graph;
  /** The model in evaluation mode (dropout off), all outputs. */
  readonly evalGraph: Graph;
  readonly lossName: string;
  /** The parameters being trained (the model's f32 parameters). */
  readonly trainable: readonly string[];
  learningRate: number;
  /** Steps applied; a skipped step (non-finite update) does not count. */
  stepCount = 0;
  /** Steps skipped because their update had NaN or ±Infinity. */
  skippedSteps = 0;
  private readonly store = new Map<string, Tensor>();
  private readonly programs = new Map<string, Executable>();
  /** Evaluation graphs cut down to the inputs a batch provides, by input set. */
  private readonly predictGraphs = new Map<string, Graph>();

  constructor(
    /** The model as given, before any training stage: what save() writes. */
    readonly model: Graph,
    private readonly options: TrainingOptions,
  ) {
    verify(model);
    this.lossName = options.loss ?? 'loss';
    this.learningRate = options.optimizer.lr;
    // The pipeline's training stages: reseed and regularize, checks, then each program's mode,
    // and for the step grad and optimizer (src/passes/pipeline.ts).
    const training: TrainingContext = {
      loss: this.lossName,
      optimizer: options.optimizer,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.regularization ? { regularization: options.regularization } : {}),
    };
    const g = runGraphStages(model, { training }, { until: 'regularize' });
    const loss = g.outputs.find((o) => o.name === this.lossName);
    if (!loss) fail('usage', `compileTraining: graph ${model.name} has no output '${this.lossName}' to minimize (outputs: ${g.outputs.map((o) => o.name).join(', ')})`);
    const lossType = valueTypes(g).get(loss.value)!;
    if (lossType.dtype !== 'f32' || lossType.shape.length !== 0) {
      fail('usage', `compileTraining: the loss '${this.lossName}' must be a scalar f32, got ${formatType(lossType)}`);
    }
    this.trainable = g.params.filter((p) => p.type.dtype === 'f32').map((p) => p.name);
    if (this.trainable.length === 0) fail('usage', `compileTraining: graph ${model.name} has no f32 parameters to train`);
    if (g.inputs.some((i) => i.name === LR_INPUT)) fail('usage', `compileTraining: the input name '${LR_INPUT}' is reserved for the learning rate`);
    if (g.outputs.some((o) => o.name === NONFINITE_OUTPUT)) {
      fail('usage', `compileTraining: the output name '${NONFINITE_OUTPUT}' is reserved for the step's count of non-finite update values`);
    }
    const step = g.inputs.find((i) => i.name === STEP_INPUT);
    if (step && (step.type.dtype !== 'i32' || step.type.shape.length !== 0)) {
      fail('usage', `compileTraining: input '${STEP_INPUT}' receives the step count and must be i32[], got ${step.type.dtype}[${step.type.shape.join(', ')}]`);
    }
    this.evalGraph = runGraphStages(g, { mode: false }, { from: 'training-mode', until: 'training-mode' });
    this.trainGraph = runGraphStages(g, { mode: true, training: { ...training, trainable: this.trainable } }, { from: 'training-mode', until: 'optimizer' });
  }

  /**
   * One optimizer step on one batch; returns the loss and metrics before the update. A step
   * whose new weights or optimizer state would hold NaN or ±Infinity changes nothing: its
   * result has `nonfinite` (how many bad values), or it throws with `nonFinite: 'error'`.
   */
  async step(batch: Batch | Readonly<Record<string, TensorLike>>, options: { lr?: number } = {}): Promise<Scalars> {
    const lr = options.lr ?? this.learningRate;
    // A rate that is not a positive number would silently wreck the weights.
    if (!(lr > 0) || !Number.isFinite(lr)) fail('usage', `step: the learning rate must be a positive number, got ${lr}`);
    const feed = this.feed(this.trainGraph, batch);
    feed[LR_INPUT] = this.options.precision === 'f64' ? new Float64Array([lr]) : new Float32Array([lr]);
    const { [NONFINITE_OUTPUT]: counts, ...out } = await (await this.program('train', this.trainGraph, feed)).run(feed);
    const scalars = readScalars(out);
    const bad = this.trainGraph.updates.map((u, i) => [u.param, Number(counts!.data[i])] as const).filter(([, n]) => n > 0);
    if (bad.length === 0) {
      this.stepCount++;
      return scalars;
    }
    this.skippedSteps++;
    const total = bad.reduce((s, [, n]) => s + n, 0);
    if (this.options.nonFinite === 'error') {
      const where = bad.map(([p, n]) => `${p} (${n})`).join(', ');
      throw new KilnRuntimeError(
        'nonfinite',
        `step ${this.stepCount + 1}: the update has ${total} NaN or ±Infinity values, in ${where}; it was not applied and the weights are as before the step (loss ${scalars[this.lossName]})`,
      );
    }
    return { ...scalars, [NONFINITE_OUTPUT]: total };
  }

  /** The model's inputs, as data must feed them (the step count aside, which the trainer feeds). */
  get inputs(): readonly InputDecl[] {
    return this.evalGraph.inputs.filter((i) => i.name !== STEP_INPUT);
  }

  /**
   * The evaluation program's outputs (dropout off, weights unchanged). Given one batch (an object
   * of columns, no `batchSize`): every output its columns can compute, the loss too when the
   * labels are there, so `{ x }` suffices. Given a Dataset, or columns with `batchSize`: the
   * examples run in batches of `batchSize` (default 256) and the per-example outputs (those whose
   * first dim is the batch dim) come back concatenated in order; scalars such as the loss are
   * left to evaluate().
   */
  async predict(data: DataLike | Batch | Readonly<Record<string, TensorLike>>, options: { batchSize?: number } = {}): Promise<Record<string, Tensor>> {
    if (!isDataset(data) && options.batchSize === undefined) return this.evalRun(this.oneBatch(data as Readonly<Record<string, TensorLike>>), false);
    const ds = toDataset(data as DataLike, this.inputs, 'predict');
    if (ds.size === 0) fail('usage', 'predict: the data set is empty');
    const parts: Record<string, Tensor>[] = [];
    let perExample: string[] = [];
    for (const batch of batches(ds, options.batchSize ?? EVAL_BATCH_SIZE)) {
      const { g } = this.evalGraphFor(batch);
      const batchDim = batchedInputs(g.inputs)[0]?.type.shape[0];
      const types = valueTypes(g);
      perExample = g.outputs.filter((o) => types.get(o.value)!.shape[0] === batchDim).map((o) => o.name);
      const out = await this.evalRun(batch, false);
      parts.push(Object.fromEntries(perExample.map((n) => [n, out[n]!])));
    }
    return Object.fromEntries(perExample.map((n) => [n, concatenate(parts.map((p) => p[n]!))]));
  }

  /** A batch given as plain columns, its batched inputs checked and converted (the others, such as `step`, as given). */
  private oneBatch(batch: Readonly<Record<string, TensorLike>>): Batch | Readonly<Record<string, TensorLike>> {
    if (typeof batch !== 'object' || batch === null || Array.isArray(batch)) fail('usage', `predict: expected an object of named columns or a Dataset, got ${describeData(batch)}`);
    const batched = new Set(batchedInputs(this.inputs).map((i) => i.name));
    const columns = Object.entries(batch).filter(([n]) => batched.has(n));
    if (columns.length === 0) return batch;
    const ds = toDataset(Object.fromEntries(columns) as ArrayColumns, this.inputs, 'predict');
    const [whole] = batches(ds, Math.max(1, ds.size));
    return { ...batch, ...whole };
  }

  /** The evaluation graph cut down to the outputs this batch's columns can compute. */
  private evalGraphFor(batch: Readonly<Record<string, TensorLike>>): { g: Graph; key: string } {
    const given = this.evalGraph.inputs.filter((i) => batch[i.name] !== undefined || i.name === STEP_INPUT).map((i) => i.name);
    const key = given.join(',');
    let g = this.predictGraphs.get(key);
    if (!g) {
      g = restrictToInputs(this.evalGraph, new Set(given));
      if (g.outputs.length === 0) {
        fail(
          'usage',
          `predict: no output of ${this.evalGraph.name} can be computed from the columns given (${Object.keys(batch).join(', ') || 'none'}); its inputs are ${this.evalGraph.inputs.map((i) => i.name).join(', ')}`,
        );
      }
      this.predictGraphs.set(key, g);
    }
    return { g, key };
  }

  /** predict(), reading back all outputs or only the f32 scalars (evaluate's metrics, not the predictions). */
  private async evalRun(batch: Batch | Readonly<Record<string, TensorLike>>, scalarsOnly: boolean): Promise<Record<string, Tensor>> {
    const { g, key } = this.evalGraphFor(batch);
    const feed = this.feed(g, batch);
    const exe = await this.program(`eval[${key}]`, g, feed);
    if (!scalarsOnly) return exe.run(feed);
    return exe.run(feed, { outputs: exe.outputs.filter((o) => o.shape.length === 0 && o.dtype === 'f32').map((o) => o.name) });
  }

  /**
   * Scalar outputs averaged over every example of `data` (weighted by batch size), in batches of
   * `batchSize` (default 256); `data` is a Dataset, plain columns or batches.
   */
  async evaluate(data: DataLike | Iterable<Batch>, options: { batchSize?: number } = {}): Promise<Scalars> {
    const iterable = typeof data === 'object' && data !== null && Symbol.iterator in data;
    const source = iterable ? (data as Iterable<Batch>) : batches(toDataset(data as DataLike, this.inputs, 'evaluate'), options.batchSize ?? EVAL_BATCH_SIZE);
    const sums: Scalars = {};
    let count = 0;
    for (const batch of source) {
      const out = await this.evalRun(batch, true);
      if (Object.keys(out).length === 0) {
        const columns = Object.keys(batch).join(', ');
        fail(
          'usage',
          `evaluate: no scalar output of ${this.evalGraph.name} can be computed from the columns given (${columns}); its inputs are ${this.inputs.map((i) => i.name).join(', ')}`,
        );
      }
      const n = batchSizeOf(batch);
      for (const [name, t] of Object.entries(out)) {
        if (t.shape.length === 0 && t.dtype === 'f32') sums[name] = (sums[name] ?? 0) + Number(t.data[0]) * n;
      }
      count += n;
    }
    if (count === 0) fail('usage', 'evaluate: the data set is empty');
    return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / count]));
  }

  /** Copies of the model's trained parameters (optimizer state excluded). */
  params(): Record<string, Tensor> {
    return Object.fromEntries(this.trainable.map((n) => [n, copy(this.store.get(n)!)]));
  }

  /** Every parameter the training step holds: the model's and the optimizer's state. */
  state(): Record<string, Tensor> {
    return Object.fromEntries([...this.store].map(([n, t]) => [n, copy(t)]));
  }

  /** The dtype and shape of every parameter the training step holds. */
  stateSpecs(): Record<string, { dtype: Tensor['dtype']; shape: number[] }> {
    return Object.fromEntries([...this.store].map(([n, t]) => [n, { dtype: t.dtype, shape: [...t.shape] }]));
  }

  /**
   * params() after the steps before it are done, read back from the device where the weights
   * live there (backend 'webgpu', where params() answers only from the last read).
   */
  async readParams(): Promise<Record<string, Tensor>> {
    await this.anyProgram().readParams();
    return this.params();
  }

  /** state(), read back as readParams() reads. */
  async readState(): Promise<Record<string, Tensor>> {
    await this.anyProgram().readParams();
    return this.state();
  }

  /** Replaces some parameters; all are checked before any changes. */
  setParams(values: Readonly<Record<string, TensorLike>>): void {
    this.anyProgram().setParams(values);
  }

  /**
   * Writes the model (its graph), every parameter and the optimizer state to `path`, atomically:
   * a model file that load(path) reopens for inference or to train on (src/model-file.ts).
   */
  async save(path: string): Promise<void> {
    const { optimizer, seed, regularization } = this.options;
    const training = { optimizer, loss: this.lossName, learningRate: this.learningRate, ...(seed !== undefined ? { seed } : {}), ...(regularization ? { regularization } : {}) };
    await saveCheckpoint(path, await this.readState(), {
      graph: this.trainGraph.name,
      step: this.stepCount,
      optimizer: describeOptimizer(optimizer),
      ...modelMetadata(this.model, training),
    });
  }

  /** Reads a checkpoint; a corrupt or mismatched file is refused and the weights stay as they were. */
  async load(path: string): Promise<void> {
    const { meta, params } = await loadCheckpoint(path);
    const expected = this.stateSpecs();
    checkCompatible(expected, params, path);
    if (meta.graph !== this.trainGraph.name) {
      throw new KilnRuntimeError('checkpoint', `${path}: checkpoint is of graph '${meta.graph}', this trainer trains '${this.trainGraph.name}'`);
    }
    this.anyProgram().setParams(params);
    this.stepCount = meta.step;
  }

  // ---- internals --------------------------------------------------------------------------

  /** The batch's columns that `g` takes as inputs, plus the step count where it asks for one. */
  private feed(g: Graph, batch: Readonly<Record<string, TensorLike>>): Record<string, TensorLike> {
    const feed: Record<string, TensorLike> = {};
    for (const input of g.inputs) {
      if (input.name === STEP_INPUT && !(STEP_INPUT in batch)) feed[STEP_INPUT] = new Int32Array([this.stepCount]);
      else if (input.name !== LR_INPUT && batch[input.name] !== undefined) feed[input.name] = batch[input.name]!;
    }
    return feed;
  }

  /** The program for `g` at the shapes this feed shows, compiled once per distinct binding. */
  private async program(kind: string, g: Graph, feed: Readonly<Record<string, TensorLike>>, defaults = this.options.shapes ?? {}): Promise<Executable> {
    const shapes = bindingsFrom(g, feed, defaults);
    const key = `${kind}:${JSON.stringify(shapes)}`;
    let exe = this.programs.get(key);
    if (!exe) {
      exe = await compile(g, {
        backend: this.options.backend ?? 'wasm',
        shapes,
        paramStore: this.store,
        precision: this.options.precision ?? 'f32',
        ...(this.options.threads ? { threads: this.options.threads } : {}),
        ...(this.options.gpu ? { gpu: this.options.gpu } : {}),
        // A step is all or nothing: one NaN in a batch must not reach the weights.
        ...(kind === 'train' ? { guardUpdates: true } : {}),
      });
      this.programs.set(key, exe);
    }
    return exe;
  }

  /** A training program: it holds every parameter, the optimizer state included. */
  private anyProgram(): Executable {
    const entry = [...this.programs].find(([k]) => k.startsWith('train:'));
    return entry ? entry[1] : fail('usage', 'the trainer is not initialized; create it with compileTraining()');
  }

  /** Compiles the training step once so the weights exist before the first batch arrives. */
  async initialize(): Promise<void> {
    const shapes: Record<string, number> = { ...this.options.shapes };
    for (const i of this.trainGraph.inputs) for (const d of i.type.shape) if (typeof d === 'string' && !(d in shapes)) shapes[d] = 1;
    const feed: Record<string, TensorLike> = {};
    await this.program('train', this.trainGraph, feed, shapes);
  }
}

/** `g` keeping only the outputs computable from `inputs`, and only the inputs and parameters they read. */
function restrictToInputs(g: Graph, inputs: ReadonlySet<string>): Graph {
  const needs = new Map<string, Set<string>>();
  for (const i of g.inputs) needs.set(i.name, new Set([i.name]));
  for (const p of g.params) needs.set(p.name, new Set());
  for (const n of g.nodes) needs.set(n.name, new Set(n.inputs.flatMap((v) => [...needs.get(v)!])));
  return keepOutputs(
    g,
    g.outputs.filter((o) => [...needs.get(o.value)!].every((i) => inputs.has(i))),
  );
}

function readScalars(out: Record<string, Tensor>): Scalars {
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Number(t.data[0])]));
}

function copy(t: Tensor): Tensor {
  return { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() };
}

/** Tensors of the same dtype and trailing dims, joined along the first. */
function concatenate(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  const data = new (first.data.constructor as new (n: number) => Tensor['data'])(parts.reduce((n, p) => n + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return { dtype: first.dtype, shape: [parts.reduce((n, p) => n + p.shape[0]!, 0), ...first.shape.slice(1)], data };
}

/**
 * The shape a fed value shows: a Tensor's own, nested arrays' nesting, or for a bare typed
 * array the declared shape with its one symbolic dim solved from the length.
 */
function shapeOf(v: TensorLike, declared: readonly (number | string)[]): number[] | undefined {
  if (typeof v !== 'object' || v === null) return [];
  if ('shape' in v && Array.isArray((v as Tensor).shape)) return (v as Tensor).shape;
  if (Array.isArray(v)) {
    const shape: number[] = [];
    for (let cur: unknown = v; Array.isArray(cur); cur = cur[0]) shape.push(cur.length);
    return shape;
  }
  const symbolic = declared.filter((d) => typeof d === 'string');
  const known = declared.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
  if (symbolic.length !== 1 || known === 0) return undefined;
  return declared.map((d) => (typeof d === 'number' ? d : (v as ArrayLike<number>).length / known));
}

function batchSizeOf(batch: Batch): number {
  const first = Object.values(batch)[0];
  return first && first.shape.length > 0 ? first.shape[0]! : 1;
}

/** Symbol bindings read off the shapes of the fed tensors, over the defaults. */
function bindingsFrom(g: Graph, feed: Readonly<Record<string, TensorLike>>, defaults: Readonly<Record<string, number>>): Record<string, number> {
  const shapes: Record<string, number> = { ...defaults };
  for (const input of g.inputs) {
    const given = feed[input.name];
    const shape = given === undefined ? undefined : shapeOf(given, input.type.shape);
    if (!shape || shape.length !== input.type.shape.length) continue;
    input.type.shape.forEach((d, i) => {
      if (typeof d === 'string') shapes[d] = shape[i]!;
    });
  }
  return shapes;
}

/** Builds the training step and evaluation programs of `model`. */
export async function compileTraining(model: Graph, options: TrainingOptions): Promise<Trainer> {
  const trainer = new Trainer(model, options);
  await trainer.initialize();
  return trainer;
}
