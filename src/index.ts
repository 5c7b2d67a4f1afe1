// Kiln's public API: build or load a graph, compile it for a backend, run it, train it.

import { parseModel } from './frontend/dsl/index.js';
import type { ModelOptions } from './frontend/dsl/index.js';
import type { Graph } from './ir/graph.js';

export { graph, init, Builder } from './frontend/builder.js';
export { KilnError, formatSpan } from './ir/errors.js';
export type { ErrorCode, SourceSpan } from './ir/errors.js';
export { KilnRuntimeError } from '../runtime/tensor.js';
export type { IOSpec, TensorLike } from '../runtime/tensor.js';
export type { Graph, Node, NodeOf, InputDecl, ParamDecl, OutputDecl, Initializer } from './ir/graph.js';
export type { DType, Dim, Shape, Tensor, TensorType } from './ir/types.js';
export { OPS, OP_DEFS, getOp, isOpName } from './ir/ops/index.js';
export type { AttrArgs, OpAttrs, OpDef, OpName, PrimitiveName, CompositeName } from './ir/op.js';
export { verify } from './ir/verify.js';
export { printGraph, parseGraph } from './ir/text.js';
export { graphToJSON, graphFromJSON, parseGraphJSON, IR_JSON_VERSION } from './ir/json.js';
export { bindShapes } from './ir/bind.js';
export { expandComposites } from './ir/emit.js';

export { compile, BACKENDS } from './compile.js';
export type { BackendName, CompileOptions, Executable } from './compile.js';

// Passes: graph-to-graph functions, usable one by one.
export { grad, gradOutputName } from './passes/autodiff.js';
export type { GradOptions } from './passes/autodiff.js';
export { dce } from './passes/dce.js';
export { decompose } from './passes/decompose.js';
export { specialize } from './passes/specialize.js';
export type { SpecializeOptions } from './passes/specialize.js';
export { setTrainingMode } from './passes/training-mode.js';
export { regularize } from './passes/regularize.js';
export type { Regularization } from './passes/regularize.js';

// Training: the step program, optimizers and the epoch loop.
export { compileTraining, Trainer, STEP_INPUT } from './train/trainer.js';
export type { TrainingOptions, Scalars } from './train/trainer.js';
export { sgd, adam, adamw } from './train/optimizers.js';
export type { Optimizer, SgdOptimizer, AdamOptimizer } from './train/optimizers.js';
export { fit } from './train/fit.js';
export type { FitOptions, FitResult, EpochLog, EarlyStopping, Trainable } from './train/fit.js';

// Data: datasets of named columns, splits, batches, CSV and MNIST.
export * from './data/index.js';

export { checkModel, formatModel, parseModel, DiagnosticsError, formatDiagnostic } from './frontend/dsl/index.js';
export type { CheckResult, Diagnostic, ModelOptions, TrainConfig } from './frontend/dsl/index.js';

/** The graph of a model written in the model language; throws a DiagnosticsError listing every problem. */
export function parse(source: string, file?: string, options?: ModelOptions): Graph {
  return parseModel(source, file, options).graph;
}
