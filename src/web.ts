// Kiln for the browser: build a graph, compile it, train it, with datasets and MNIST over HTTP.
// Nothing here imports a Node builtin, so a page can load the built ES modules from dist/ (bare
// specifiers through an import map: binaryen; cli-progress, which only a terminal's progress bar
// uses, to a stub). Model files, the model language, CSV files and the CLI stay in index.ts.
// Unlike index.ts, the functions are exported as they are, without the argument checks.

export { graph, Builder, init } from './frontend/builder.js';
export type { Activation, DenseOptions } from './frontend/layers.js';
export { KilnError } from './ir/errors.js';
export { KilnRuntimeError } from '../runtime/tensor.js';
export type { Graph } from './ir/graph.js';
export type { DType, Shape, Tensor } from './ir/types.js';
export { compile, BACKENDS } from './compile.js';
export type { BackendName, CompileOptions, Executable } from './compile.js';
export { isBackendName } from './backends/registry.js';
export { compileTraining, Trainer } from './train/trainer.js';
export type { TrainingOptions, Scalars } from './train/trainer.js';
export { sgd, adam, adamw } from './train/optimizers.js';
export type { Optimizer } from './train/optimizers.js';
export { fit } from './train/fit.js';
export type { FitOptions, FitResult, EpochLog, Trainable } from './train/fit.js';
export type { StepInfo } from './train/progress.js';
export { batches, batchCount, fromArrays, permutation, shuffle, slice, split, take } from './data/dataset.js';
export type { Batch, Column, Dataset } from './data/dataset.js';
export { MNIST_PIXELS, mnistFromDigits, mnistSplitsFromDigits } from './data/mnist-digits.js';
export type { MnistOptions, MnistSplitOptions, MnistSplits } from './data/mnist-digits.js';
export { fetchMnist, fetchMnistDigits, fetchMnistSplits } from './data/mnist-fetch.js';
