// Loading artifacts into executables: the target an artifact names picks its executor from
// EXECUTORS (executors.ts), so a new target needs an entry there and nothing here.

import { loadArtifact, type Artifact } from './artifact.js';
import { withVariableBatch } from './batch.js';
import { EXECUTORS, isAsyncTarget, type ArtifactExecutable, type ExecutorOptions, type SyncExecutable } from './executors.js';
import { KilnRuntimeError } from './tensor.js';

export { KernelExecutable, type KernelExecutableOptions } from './kernel-executable.js';
export type { ArtifactExecutable, AsyncTarget, ExecutorOptions, SyncExecutable, SyncTarget } from './executors.js';

/** Loads the artifact in `dir` and makes it runnable on its target: the kernel interpreter for 'js', its module for 'wasm', its shaders on a WebGPU device for 'webgpu'. */
export async function loadExecutable(dir: string, options: ExecutorOptions = {}): Promise<ArtifactExecutable> {
  return createExecutable(await loadArtifact(dir), options);
}

/**
 * The executable of an artifact already in memory (artifactFromObject over fetched bytes, say),
 * for every target: no file system involved, so this works wherever JavaScript and WebAssembly
 * (for 'webgpu', WebGPU) run.
 */
export async function createExecutable(artifact: Artifact, options: ExecutorOptions = {}): Promise<ArtifactExecutable> {
  // Each executor takes the artifact of its own target, which the lookup guarantees.
  const executor = EXECUTORS[artifact.target] as (a: Artifact, o: ExecutorOptions) => ArtifactExecutable | Promise<ArtifactExecutable>;
  return withBatch(await executor(artifact, options), artifact);
}

/**
 * As createExecutable, at once, for the targets whose executable is made synchronously ('js',
 * 'wasm'); a 'webgpu' artifact (its pipelines compile asynchronously) is refused: use createExecutable.
 */
export function executableFromArtifact(artifact: Artifact, options: ExecutorOptions = {}): SyncExecutable {
  if (isAsyncTarget(artifact.target)) {
    throw new KilnRuntimeError(
      'artifact',
      `a ${artifact.target} artifact is made asynchronously (its pipelines compile on the device): use await createExecutable(artifact) or loadExecutable(dir)`,
    );
  }
  const executor = EXECUTORS[artifact.target] as (a: Artifact, o: ExecutorOptions) => SyncExecutable;
  return withBatch(executor(artifact, options), artifact);
}

// A variable-batch artifact takes 1 to batch.max rows; its input specs show the compiled size.
function withBatch<E extends ArtifactExecutable>(exe: E, artifact: Artifact): E {
  return artifact.batch ? withVariableBatch(exe, artifact.batch) : exe;
}
