// Whole-model files: one checkpoint file (a safetensors file, runtime/checkpoint.ts) whose
// metadata also holds the model graph as IR JSON and, when a trainer wrote it, what rebuilds the
// trainer; its tensors are the weights and, from a trainer, the optimizer state.

import { checkCompatible, loadCheckpoint, saveCheckpoint } from '../runtime/checkpoint.js';
import { KilnRuntimeError, toTensor, type Tensor, type TensorLike } from '../runtime/tensor.js';
import { compile, type CompileOptions, type Executable } from './compile.js';
import type { Graph } from './ir/graph.js';
import { graphToJSON, parseGraphJSON } from './ir/json.js';
import { adam, adamw, sgd, type Optimizer } from './passes/optimizers.js';
import type { Regularization } from './passes/regularize.js';
import { compileTraining, type Trainer, type TrainingOptions } from './train/trainer.js';

/** The metadata keys of a model file, besides a checkpoint's graph and step. */
export const MODEL_KEY = 'model';
export const TRAINING_KEY = 'training';

/** What a trainer's file records to rebuild the trainer (the step count is the checkpoint's step). */
export interface SavedTraining {
  optimizer: Optimizer;
  loss: string;
  learningRate: number;
  seed?: number;
  regularization?: Regularization;
}

function fail(path: string, message: string): never {
  throw new KilnRuntimeError('checkpoint', `${path}: ${message}`);
}

/** The metadata strings a model file adds to a checkpoint: the model's IR JSON, and the training record when there is one. */
export function modelMetadata(model: Graph, training?: SavedTraining): Record<string, string> {
  return { [MODEL_KEY]: JSON.stringify(graphToJSON(model)), ...(training ? { [TRAINING_KEY]: JSON.stringify(training) } : {}) };
}

/** The type a graph declares for each parameter, for checkCompatible. */
function declaredParams(g: Graph): Record<string, { dtype: Tensor['dtype']; shape: number[] }> {
  const out: Record<string, { dtype: Tensor['dtype']; shape: number[] }> = {};
  for (const p of g.params) out[p.name] = { dtype: p.type.dtype as Tensor['dtype'], shape: p.type.shape.map(Number) };
  return out;
}

/**
 * Writes `model` and the values of some or all of its parameters (`weights`, e.g. exe.params())
 * to `path` atomically; parameters left out start from their initializers when the file is
 * loaded. A Trainer's save() writes the same kind of file with its optimizer state.
 */
export async function saveModel(path: string, model: Graph, weights: Readonly<Record<string, TensorLike>> = {}): Promise<void> {
  const declared = declaredParams(model);
  const tensors: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(weights)) {
    const want = Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (!want) fail(path, `cannot save model: '${name}' is not a parameter of graph ${model.name} (its parameters: ${Object.keys(declared).join(', ') || 'none'})`);
    tensors[name] = toTensor(value, { name, ...want }, `cannot save model ${path}: weight '${name}'`, true);
  }
  await saveCheckpoint(path, tensors, { graph: model.name, step: 0, ...modelMetadata(model) });
}

/** The optimizer a file records, re-checked by the function that makes it. */
function savedOptimizer(raw: unknown, path: string): Optimizer {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, never>;
  try {
    if (o.kind === 'sgd') return sgd({ lr: o.lr, momentum: o.momentum, nesterov: o.nesterov });
    if (o.kind === 'adam') return adam({ lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps });
    if (o.kind === 'adamw') return adamw({ lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay });
  } catch (e) {
    fail(path, `the recorded optimizer is invalid (${(e as Error).message})`);
  }
  return fail(path, `the recorded optimizer ${JSON.stringify(raw)} is not sgd, adam or adamw`);
}

function parseTraining(text: string, path: string): SavedTraining {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    return fail(path, `__metadata__ '${TRAINING_KEY}' is not JSON (${(e as Error).message})`);
  }
  const loss = raw.loss;
  const lr = raw.learningRate;
  if (typeof loss !== 'string') fail(path, `__metadata__ '${TRAINING_KEY}' has no loss name`);
  if (typeof lr !== 'number' || !(lr > 0)) fail(path, `__metadata__ '${TRAINING_KEY}' has no positive learningRate`);
  return {
    optimizer: savedOptimizer(raw.optimizer, path),
    loss,
    learningRate: lr,
    ...(typeof raw.seed === 'number' ? { seed: raw.seed } : {}),
    ...(raw.regularization !== undefined ? { regularization: raw.regularization as Regularization } : {}),
  };
}

/** The training record of a checkpoint's metadata, checked; undefined when it has none. */
export function savedTraining(meta: Readonly<Record<string, unknown>>, path: string): SavedTraining | undefined {
  const text = meta[TRAINING_KEY];
  return typeof text === 'string' ? parseTraining(text, path) : undefined;
}

/**
 * The values of the parameters `specs` lists, picked from a file's tensors (a trainer's also hold
 * optimizer state, left out): every one must be there with its dtype and shape.
 */
export function weightsFor(
  specs: ReadonlyArray<{ name: string; dtype: Tensor['dtype']; shape: readonly number[] }>,
  tensors: Record<string, Tensor>,
  path: string,
): Record<string, Tensor> {
  const picked = Object.fromEntries(Object.entries(tensors).filter(([n]) => specs.some((p) => p.name === n)));
  checkCompatible(Object.fromEntries(specs.map((p) => [p.name, p])), picked, path);
  return picked;
}

/** A model file, opened: its graph and weights for inference, and for a trainer's file what continues the training. */
export class SavedModel {
  constructor(
    readonly path: string,
    readonly graph: Graph,
    /** Every tensor of the file: the model's parameters and, from a trainer, its optimizer state. */
    private readonly tensors: Record<string, Tensor>,
    /** Steps the trainer had applied (0 for saveModel). */
    readonly step: number,
    /** Present when a trainer saved the file. */
    readonly training: SavedTraining | undefined,
  ) {}

  /** The model's stored parameter values (optimizer state left out); copies. */
  weights(): Record<string, Tensor> {
    const names = new Set(this.graph.params.map((p) => p.name));
    return Object.fromEntries(
      Object.entries(this.tensors)
        .filter(([n]) => names.has(n))
        .map(([n, t]) => [n, { ...t, shape: [...t.shape], data: t.data.slice() }]),
    );
  }

  /** The model compiled for inference (compile's options), with the stored weights. */
  async compile(options: CompileOptions = {}): Promise<Executable> {
    const exe = await compile(this.graph, options);
    const held = new Set(exe.paramSpecs.map((p) => p.name));
    exe.setParams(Object.fromEntries(Object.entries(this.weights()).filter(([n]) => held.has(n))));
    return exe;
  }

  /**
   * A trainer that continues where the saved one stopped: the recorded optimizer, loss, seed,
   * regularization, learning rate and step count, the weights and the optimizer state. `options`
   * may choose the backend, threads, shapes and so on, or another optimizer of the same kind.
   */
  async compileTraining(options: Partial<TrainingOptions> = {}): Promise<Trainer> {
    const t = this.training;
    if (!t) fail(this.path, 'holds no training state (it was written by saveModel); compile it with compileTraining(load(...).graph, options) to train from its weights');
    const trainer = await compileTraining(this.graph, {
      optimizer: t.optimizer,
      loss: t.loss,
      ...(t.seed !== undefined ? { seed: t.seed } : {}),
      ...(t.regularization ? { regularization: t.regularization } : {}),
      ...options,
    });
    checkCompatible(trainer.stateSpecs(), this.tensors, this.path);
    trainer.setParams(this.tensors);
    trainer.stepCount = this.step;
    trainer.learningRate = options.optimizer?.lr ?? t.learningRate;
    return trainer;
  }
}

/**
 * Opens a model file (saveModel or trainer.save): every error names `path`, and a file whose
 * tensors do not fit its own graph is refused.
 */
export async function load(path: string): Promise<SavedModel> {
  const { meta, params } = await loadCheckpoint(path);
  const text = meta[MODEL_KEY];
  if (typeof text !== 'string') fail(path, `holds weights but no model (__metadata__ has no '${MODEL_KEY}'); restore it into a trainer with trainer.load(path)`);
  let graph: Graph;
  try {
    graph = parseGraphJSON(text, `${path} (${MODEL_KEY})`);
  } catch (e) {
    return fail(path, `the stored model is not a valid graph (${(e as Error).message})`);
  }
  if (graph.name !== meta.graph) fail(path, `the stored model is graph '${graph.name}', but the file says it holds '${meta.graph}'`);
  const training = savedTraining(meta, path);
  // The model's parameters must fit their declarations; a trainer's file also holds optimizer state, checked when a trainer is built.
  const declared = declaredParams(graph);
  const own = Object.fromEntries(Object.entries(params).filter(([n]) => Object.hasOwn(declared, n) || !training));
  const stored = Object.fromEntries(Object.entries(declared).filter(([n]) => Object.hasOwn(own, n)));
  checkCompatible(stored, own, path);
  return new SavedModel(path, graph, params, meta.step, training);
}
