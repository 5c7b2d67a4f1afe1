// The runtime's public face: load an Artifact (written by `kiln compile`) and run it. Nothing
// here imports the compiler, so an application ships only this folder; Node's modules load only
// to read or write files, so artifactFromObject and createExecutable also run elsewhere (a page).

export { KernelExecutable, createExecutable, executableFromArtifact, loadExecutable } from './executable.js';
export type { ArtifactExecutable, AsyncTarget, ExecutorOptions, KernelExecutableOptions, SyncExecutable, SyncTarget } from './executable.js';
export { ASYNC_TARGETS, EXECUTORS } from './executors.js';
export { WasmExecutable } from './wasm.js';
export type { WasmExecutableOptions } from './wasm.js';
export { DeviceParam, WebGpuExecutable } from './webgpu.js';
export type { WebGpuExecutableOptions, WebGpuStats } from './webgpu.js';
export type { WebGpuCode, WgslKernel } from './webgpu-layout.js';
export { ARTIFACT_TARGETS, ARTIFACT_VERSION, WGSL_FILE, artifactFromObject, loadArtifact } from './artifact.js';
export { parseProgram } from './program-validator.js';
export type { Artifact, ArtifactManifest } from './artifact.js';
export { KilnRuntimeError } from './tensor.js';
export type { IOSpec, Tensor, TensorLike } from './tensor.js';
export { decodeCheckpoint, loadCheckpoint } from './checkpoint.js';
export type { KernelProgram } from './kernel-ir.js';
