// Kiln's public API: build or load a graph, compile it for a backend, run it.

export { graph, init, Builder } from './frontend/builder.js';
export { KilnError, formatSpan } from './ir/errors.js';
export type { ErrorCode, SourceSpan } from './ir/errors.js';
export { KilnRuntimeError } from '../runtime/tensor.js';
export type { IOSpec, TensorLike } from '../runtime/tensor.js';
export type { Graph, Node, InputDecl, ParamDecl, OutputDecl, Initializer } from './ir/graph.js';
export type { DType, Dim, Shape, Tensor, TensorType } from './ir/types.js';
export { OPS, getOp } from './ir/ops/index.js';
export { verify } from './ir/verify.js';
export { printGraph, parseGraph } from './ir/text.js';
export { graphToJSON, graphFromJSON, parseGraphJSON, IR_JSON_VERSION } from './ir/json.js';
export { bindShapes } from './ir/bind.js';
export { expandComposites } from './ir/emit.js';

export { compile, BACKENDS } from './compile.js';
export type { BackendName, CompileOptions, Executable } from './compile.js';
