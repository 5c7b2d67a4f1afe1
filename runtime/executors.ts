// The runtime's executors by artifact target: how a loaded artifact becomes runnable. One entry
// per ArtifactTarget (runtime/artifact.ts); a target without one is a type error here.

import type { Artifact, ArtifactTarget } from './artifact.js';
import { KernelExecutable, type KernelExecutableOptions } from './kernel-executable.js';
import type { ProgramExecutable } from './program-executable.js';
import { WasmExecutable, type WasmExecutableOptions } from './wasm.js';

export type ExecutorOptions = KernelExecutableOptions & WasmExecutableOptions;

/** The artifact of one target. */
export type ArtifactOf<T extends ArtifactTarget> = Extract<Artifact, { target: T }>;

export const EXECUTORS = {
  // The kernel program is the code: the kernel interpreter runs it.
  js: (artifact: ArtifactOf<'js'>, options: ExecutorOptions) => new KernelExecutable(artifact, options),
  // The module is the code; the program gives its buffer layout and IO.
  wasm: (artifact: ArtifactOf<'wasm'>, options: ExecutorOptions) => new WasmExecutable(artifact, options),
} satisfies { [T in ArtifactTarget]: (artifact: ArtifactOf<T>, options: ExecutorOptions) => ProgramExecutable };

/** What some executor makes of an artifact. */
export type ArtifactExecutable = ReturnType<(typeof EXECUTORS)[ArtifactTarget]>;
