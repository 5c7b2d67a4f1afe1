// Loading artifacts into executables: the target an artifact names picks its executor from
// EXECUTORS (executors.ts), so a new target needs an entry there and nothing here.

import { loadArtifact, type Artifact } from './artifact.js';
import { withVariableBatch } from './batch.js';
import { EXECUTORS, type ArtifactExecutable, type ExecutorOptions } from './executors.js';

export { KernelExecutable, type KernelExecutableOptions } from './kernel-executable.js';
export type { ArtifactExecutable, ExecutorOptions } from './executors.js';

/** Loads the artifact in `dir` and makes it runnable on its target: the kernel interpreter for 'js', its module for 'wasm'. */
export async function loadExecutable(dir: string, options: ExecutorOptions = {}): Promise<ArtifactExecutable> {
  return executableFromArtifact(await loadArtifact(dir), options);
}

/**
 * The executable of an artifact already in memory (artifactFromObject over fetched bytes, say):
 * no file system involved, so this works wherever JavaScript and WebAssembly run.
 */
export function executableFromArtifact(artifact: Artifact, options: ExecutorOptions = {}): ArtifactExecutable {
  // Each executor takes the artifact of its own target, which the lookup guarantees.
  const executor = EXECUTORS[artifact.target] as (a: Artifact, o: ExecutorOptions) => ArtifactExecutable;
  const exe = executor(artifact, options);
  // A variable-batch artifact takes 1 to batch.max rows; its input specs show the compiled size.
  return artifact.batch ? withVariableBatch(exe, artifact.batch) : exe;
}
