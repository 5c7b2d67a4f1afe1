// The runtime's executors by artifact target: how a loaded artifact becomes runnable. One entry
// per ArtifactTarget (runtime/artifact.ts); a target without one is a type error here. An
// executor returns its executable, or a promise of it where making one is asynchronous (WebGPU
// compiles its pipelines on the device): ASYNC_TARGETS lists exactly those.

import type { Artifact, ArtifactTarget } from './artifact.js';
import { KernelExecutable, type KernelExecutableOptions } from './kernel-executable.js';
import type { ProgramExecutable } from './program-executable.js';
import { WasmExecutable, type WasmExecutableOptions } from './wasm.js';
import { WebGpuExecutable, type WebGpuExecutableOptions } from './webgpu.js';

export type ExecutorOptions = KernelExecutableOptions & WasmExecutableOptions & WebGpuExecutableOptions;

/** The artifact of one target. */
export type ArtifactOf<T extends ArtifactTarget> = Extract<Artifact, { target: T }>;

export const EXECUTORS = {
  // The kernel program is the code: the kernel interpreter runs it.
  js: (artifact: ArtifactOf<'js'>, options: ExecutorOptions) => new KernelExecutable(artifact, options),
  // The module is the code; the program gives its buffer layout and IO.
  wasm: (artifact: ArtifactOf<'wasm'>, options: ExecutorOptions) => new WasmExecutable(artifact, options),
  // The shaders are the code, run on a WebGPU device (options.gpu, else navigator.gpu, else Dawn in Node).
  webgpu: (artifact: ArtifactOf<'webgpu'>, options: ExecutorOptions) =>
    WebGpuExecutable.create({ program: artifact.program, wgsl: artifact.wgsl, weights: artifact.weights }, options),
} satisfies { [T in ArtifactTarget]: (artifact: ArtifactOf<T>, options: ExecutorOptions) => ProgramExecutable | Promise<ProgramExecutable> };

type Made<T extends ArtifactTarget> = ReturnType<(typeof EXECUTORS)[T]>;

/** The targets whose executor returns a promise. */
export type AsyncTarget = { [T in ArtifactTarget]: Made<T> extends PromiseLike<unknown> ? T : never }[ArtifactTarget];
/** The targets whose executor returns the executable itself. */
export type SyncTarget = Exclude<ArtifactTarget, AsyncTarget>;

/** Exactly the asynchronous targets (the type requires each, and no other). */
const ASYNC: { readonly [T in AsyncTarget]: true } = { webgpu: true };
export const ASYNC_TARGETS = Object.keys(ASYNC) as AsyncTarget[];

export function isAsyncTarget(target: ArtifactTarget): target is AsyncTarget {
  return Object.hasOwn(ASYNC, target);
}

/** What some executor makes of an artifact. */
export type ArtifactExecutable = Awaited<Made<ArtifactTarget>>;
/** What the executor of a synchronous target makes (executableFromArtifact's result). */
export type SyncExecutable = Made<SyncTarget>;
