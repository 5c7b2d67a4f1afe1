// Kiln's public API: build or load a graph, compile it for a backend, run it, train it.
//
// Every function and class exported here checks its arguments (src/ir/api-args.ts): a call with
// an argument of the wrong kind fails with a 'usage' KilnError naming the function, the
// parameter and what it expected. tests/api/arguments.test.ts holds one entry per export.

import { checked, is } from './ir/api-args.js';
import type { ErrorCode } from './ir/errors.js';
import * as builder from './frontend/builder.js';
import * as errors from './ir/errors.js';
import * as tensor from '../runtime/tensor.js';
import type { RuntimeErrorCode } from '../runtime/tensor.js';
import * as ops from './ir/ops/index.js';
import * as verifier from './ir/verify.js';
import * as text from './ir/text.js';
import * as summaryM from './ir/summary.js';
import * as json from './ir/json.js';
import * as bind from './ir/bind.js';
import * as emit from './ir/emit.js';
import * as compiler from './compile.js';
import * as exporter from './export.js';
import * as autodiff from './passes/autodiff.js';
import * as dceP from './passes/dce.js';
import * as decomposeP from './passes/decompose.js';
import * as specializeP from './passes/specialize.js';
import * as trainingMode from './passes/training-mode.js';
import * as regularizeP from './passes/regularize.js';
import * as trainer from './train/trainer.js';
import * as optimizers from './train/optimizers.js';
import * as fitP from './train/fit.js';
import * as modelFile from './model-file.js';
import * as dsl from './frontend/dsl/index.js';
import * as data from './data/index.js';
import type { Graph } from './ir/graph.js';
import type { ModelOptions } from './frontend/dsl/index.js';

const ERROR_CODES = Object.keys({
  ...{ shape: 1, dtype: 1, attr: 1, arity: 1, 'unknown-op': 1, verify: 1, parse: 1 },
  ...{ json: 1, input: 1, bind: 1, runtime: 1, data: 1, usage: 1 },
} satisfies Record<ErrorCode, 1>);
const RUNTIME_CODES = Object.keys({ input: 1, runtime: 1, artifact: 1, checkpoint: 1, nonfinite: 1 } satisfies Record<RuntimeErrorCode, 1>);
const async = { async: true };
const precision = is.oneOf(['f32', 'f64']);
const compileFields = { backend: is.string, shapes: is.object, training: is.boolean, threads: is.number, verify: is.boolean, precision, guardUpdates: is.boolean };
const trainingFields = {
  backend: is.string,
  optimizer: is.object,
  shapes: is.object,
  seed: is.number,
  loss: is.string,
  regularization: is.object,
  precision,
  threads: is.number,
  nonFinite: is.oneOf(['skip', 'error']),
};
const dataLike = { what: 'a Dataset or an object of named columns', test: (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) };
const stream = { what: 'a stream with a write method', test: (v: unknown) => typeof v === 'object' && v !== null && 'write' in v && typeof v.write === 'function' };
const fitFields = {
  ...{ verbose: { what: '0, 1 or 2', test: (v: unknown) => v === 0 || v === 1 || v === 2 }, output: stream, validationSplit: is.number },
  ...{ epochs: is.number, batchSize: is.number, validation: dataLike, shuffle: is.boolean, seed: is.number, remainder: is.oneOf(['keep', 'drop']) },
  ...{ earlyStopping: is.object, learningRate: is.function, onBatch: is.function, onEpoch: is.function, onSkippedStep: is.function },
};
const label = { what: 'a column name or index', test: (v: unknown) => typeof v === 'string' || typeof v === 'number' };
const csvOptions = is.options({ file: is.string, label, labelDtype: is.oneOf(['i32', 'f32']), header: is.boolean, delimiter: is.string });
const mnistFields = { count: is.number, seed: is.number };

const graphOptions = is.options({ seed: is.number });
export const graph = checked(builder.graph, 'graph', [
  ['name', is.string],
  ['body', is.function],
  ['options?', graphOptions],
]);
export const Builder = checked(builder.Builder, 'Builder', [
  ['name', is.string],
  ['options?', graphOptions],
]);
export type Builder = builder.Builder;
export { init } from './frontend/builder.js';
export type { Activation, Conv2dOptions, DenseOptions } from './frontend/layers.js';
export const KilnError = checked(errors.KilnError, 'KilnError', [
  ['code', is.oneOf(ERROR_CODES)],
  ['detail', is.string],
  ['span?', is.span],
]);
export type KilnError = errors.KilnError;
export const formatSpan = checked(errors.formatSpan, 'formatSpan', [['span', is.span]]);
export type { ErrorCode, SourceSpan } from './ir/errors.js';
export const KilnRuntimeError = checked(tensor.KilnRuntimeError, 'KilnRuntimeError', [
  ['code', is.oneOf(RUNTIME_CODES)],
  ['message', is.string],
]);
export type KilnRuntimeError = tensor.KilnRuntimeError;
export type { IOSpec, TensorLike } from '../runtime/tensor.js';
export type { Graph, Node, NodeOf, InputDecl, ParamDecl, OutputDecl, Initializer } from './ir/graph.js';
export type { DType, Dim, Shape, Tensor, TensorType } from './ir/types.js';
export { OPS, OP_DEFS } from './ir/ops/index.js';
export const getOp = checked(ops.getOp, 'getOp', [
  ['name', is.string],
  ['span?', is.span],
]);
export const isOpName = checked(ops.isOpName, 'isOpName', [['name', is.string]]);
export type { AttrArgs, OpAttrs, OpDef, OpName, PrimitiveName, CompositeName } from './ir/op.js';
export const verify = checked(verifier.verify, 'verify', [
  ['g', is.graph],
  ['locate?', is.function],
]);
export const printGraph = checked(text.printGraph, 'printGraph', [['g', is.graph]]);
export const summary = checked(summaryM.summary, 'summary', [['g', is.graph]]);
export const parseGraph = checked(text.parseGraph, 'parseGraph', [
  ['text', is.string],
  ['file?', is.string],
]);
export const graphToJSON = checked(json.graphToJSON, 'graphToJSON', [['g', is.graph]]);
// Any value: graphFromJSON's own checks name the path of what is wrong in it.
export const graphFromJSON = checked(json.graphFromJSON, 'graphFromJSON', []);
export const parseGraphJSON = checked(json.parseGraphJSON, 'parseGraphJSON', [
  ['text', is.string],
  ['file?', is.string],
]);
export { IR_JSON_VERSION } from './ir/json.js';
export const bindShapes = checked(bind.bindShapes, 'bindShapes', [
  ['g', is.graph],
  ['shapes?', is.object],
]);
export const expandComposites = checked(emit.expandComposites, 'expandComposites', [['g', is.graph]]);

export const compile = checked(
  compiler.compile,
  'compile',
  [
    ['g', is.graph],
    ['options?', is.options(compileFields)],
  ],
  async,
);
const exportFields = { target: is.string, shapes: is.object, outputs: is.array, batch: is.string, weights: is.object, threads: is.number };
export const exportArtifact = checked(
  exporter.exportArtifact,
  'exportArtifact',
  [
    ['model', is.graph],
    ['dir', is.string],
    ['options?', is.options(exportFields)],
  ],
  async,
);
export type { ExportOptions, ExportResult } from './export.js';
export { BACKENDS } from './compile.js';
export type { BackendName, CompileOptions, Executable } from './compile.js';

// Passes: graph-to-graph functions, usable one by one.
export const grad = checked(autodiff.grad, 'grad', [
  ['g', is.graph],
  ['options?', is.options({ loss: is.string, wrt: is.array })],
]);
export const gradOutputName = checked(autodiff.gradOutputName, 'gradOutputName', [['value', is.string]]);
export type { GradOptions } from './passes/autodiff.js';
export const dce = checked(dceP.dce, 'dce', [['g', is.graph]]);
export const decompose = checked(decomposeP.decompose, 'decompose', [['g', is.graph]]);
export const specialize = checked(specializeP.specialize, 'specialize', [
  ['g', is.graph],
  ['options?', is.options({ shapes: is.object })],
]);
export type { SpecializeOptions } from './passes/specialize.js';
export const setTrainingMode = checked(trainingMode.setTrainingMode, 'setTrainingMode', [
  ['g', is.graph],
  ['training', is.boolean],
]);
export const regularize = checked(regularizeP.regularize, 'regularize', [
  ['g', is.graph],
  ['reg', is.object],
  ['loss?', is.string],
]);
export type { Regularization } from './passes/regularize.js';

// Training: the step program, optimizers and the epoch loop.
const trainingParams = [
  ['model', is.graph],
  ['options', is.options(trainingFields)],
] as const;
export const compileTraining = checked(trainer.compileTraining, 'compileTraining', trainingParams, async);
export const Trainer = checked(trainer.Trainer, 'Trainer', trainingParams);
export type Trainer = trainer.Trainer;
export { NONFINITE_OUTPUT, STEP_INPUT } from './train/trainer.js';
export type { TrainingOptions, Scalars } from './train/trainer.js';
export const sgd = checked(optimizers.sgd, 'sgd', [['options', is.options()]]);
export const adam = checked(optimizers.adam, 'adam', [['options?', is.options()]]);
export const adamw = checked(optimizers.adamw, 'adamw', [['options?', is.options()]]);
export type { Optimizer, SgdOptimizer, AdamOptimizer } from './train/optimizers.js';
const trainable = { what: 'a Trainer (from compileTraining)', test: (v: unknown) => typeof v === 'object' && v !== null && 'step' in v && typeof v.step === 'function' };
export const fit = checked(
  fitP.fit,
  'fit',
  [
    ['trainer', trainable],
    ['train', dataLike],
    ['options', is.options(fitFields)],
  ],
  async,
);
export type { FitOptions, FitResult, EpochLog, EarlyStopping, Trainable } from './train/fit.js';
export type { ProgressStream, StepInfo, Verbosity } from './train/progress.js';
export type { ArrayColumn, ArrayColumns, DataLike } from './train/columns.js';

// Model files: the graph, its weights and, from trainer.save, the optimizer state, in one safetensors file.
export const saveModel = checked(
  modelFile.saveModel,
  'saveModel',
  [
    ['path', is.string],
    ['model', is.graph],
    ['weights?', is.object],
  ],
  async,
);
export const load = checked(modelFile.load, 'load', [['path', is.string]], async);
export type { SavedModel, SavedTraining } from './model-file.js';

// Data for training: datasets of named columns, splits, batches, CSV and MNIST.
const dataset = ['ds', is.dataset] as const;
export const fromArrays = checked(data.fromArrays, 'fromArrays', [['columns', is.object]]);
export const permutation = checked(data.permutation, 'permutation', [
  ['n', is.number],
  ['seed', is.number],
]);
export const take = checked(data.take, 'take', [dataset, ['indices', is.arrayLike]]);
export const slice = checked(data.slice, 'slice', [dataset, ['start?', is.number], ['end?', is.number]]);
export const shuffle = checked(data.shuffle, 'shuffle', [dataset, ['seed', is.number]]);
export const splitSizes = checked(data.splitSizes, 'splitSizes', [
  ['size', is.number],
  ['ratios', is.array],
]);
export const split = checked(data.split, 'split', [dataset, ['ratios', is.array], ['options?', is.options({ seed: is.number, shuffle: is.boolean })]]);
export const batchCount = checked(data.batchCount, 'batchCount', [dataset, ['batchSize', is.number], ['remainder?', is.oneOf(['keep', 'drop'])]]);
export const batches = checked(data.batches, 'batches', [
  dataset,
  ['batchSize', is.number],
  ['options?', is.options({ remainder: is.oneOf(['keep', 'drop']), shuffle: is.boolean, seed: is.number })],
]);
export const parseCSV = checked(data.parseCSV, 'parseCSV', [
  ['text', is.string],
  ['options?', csvOptions],
]);
export const loadCSV = checked(data.loadCSV, 'loadCSV', [
  ['path', is.string],
  ['options?', csvOptions],
]);
export const loadMnist = checked(data.loadMnist, 'loadMnist', [['options?', is.options(mnistFields)]]);
export const mnistDigits = checked(data.mnistDigits, 'mnistDigits', []);
export const mnistPackageDir = checked(data.mnistPackageDir, 'mnistPackageDir', [['resolve?', is.function]]);
export const mnistSplits = checked(data.mnistSplits, 'mnistSplits', [['options?', is.options({ ...mnistFields, ratios: is.array })]]);
export { MNIST_PIXELS } from './data/index.js';
export type { Batch, BatchOptions, Column, ColumnData, ColumnDType, ColumnInput, Dataset, Remainder, CSVOptions, MnistOptions } from './data/index.js';

// The model language.
const modelParams = [
  ['source', is.string],
  ['file?', is.string],
  ['options?', is.options({ readFile: is.function, model: is.string, library: is.boolean })],
] as const;
export const checkModel = checked(dsl.checkModel, 'checkModel', modelParams);
export const formatModel = checked(dsl.formatModel, 'formatModel', modelParams.slice(0, 2));
export const parseModel = checked(dsl.parseModel, 'parseModel', modelParams);
export const DiagnosticsError = checked(dsl.DiagnosticsError, 'DiagnosticsError', [
  ['diagnostics', is.array],
  ['source?', is.string],
  ['code?', is.oneOf(ERROR_CODES)],
]);
export type DiagnosticsError = dsl.DiagnosticsError;
export const formatDiagnostic = checked(dsl.formatDiagnostic, 'formatDiagnostic', [
  ['d', { what: 'a diagnostic { message, span }', test: (v) => is.object.test(v) && is.span.test((v as { span?: unknown }).span) }],
  ['source?', is.string],
]);
export type { CheckResult, Diagnostic, ModelOptions, TrainConfig } from './frontend/dsl/index.js';

/** The graph of a model written in the model language; throws a DiagnosticsError listing every problem. */
export const parse = checked(
  function parse(source: string, file?: string, options?: ModelOptions): Graph {
    return dsl.parseModel(source, file, options).graph;
  },
  'parse',
  modelParams,
);
