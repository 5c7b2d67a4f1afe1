// compile(): from a graph to an executable program on a backend of the registry (src/backends/registry.ts).

import type { ReferenceOptions } from './backends/reference/index.js';
import { backendOf, checkBackendOptions } from './backends/registry.js';
import type { BackendName } from './backends/registry.js';
import type { KernelProgram } from '../runtime/kernel-ir.js';
import { runGraphStages, runToKernels } from './passes/pipeline.js';
import type { StageContext } from './passes/pipeline.js';
import type { SpecializeOptions } from './passes/specialize.js';
import type { ScheduleTarget } from './kernels/schedule.js';
import type { Graph } from './ir/graph.js';
import { verify } from './ir/verify.js';
import { KilnError } from './ir/errors.js';
import type { Tensor } from './ir/types.js';
import type { IOSpec, TensorLike } from '../runtime/tensor.js';
import type { RunOptions } from '../runtime/program-executable.js';

export type { RunOptions } from '../runtime/program-executable.js';

export { BACKENDS } from './backends/registry.js';
export type { BackendName } from './backends/registry.js';

export interface CompileOptions extends ReferenceOptions, SpecializeOptions {
  /** Where it runs (default 'wasm', the compiled backend; 'reference' is the oracle, chosen explicitly). */
  backend?: BackendName;
  /**
   * Sets the mode of ops that behave differently in training (dropout): true turns them on,
   * false off. Left out, the graph runs as written, where dropout is off unless a node says
   * `training=true` (as compileTraining's step does).
   */
  training?: boolean;
  /**
   * Threads for backend 'wasm' (default 1): large kernels are shared among worker threads over
   * one shared memory. Where the environment has no worker threads or shared memory, one thread.
   */
  threads?: number;
  /** Backend 'webgpu': the GPU to run on (navigator.gpu in a page); default navigator.gpu, or Dawn's in Node. */
  gpu?: GPU;
  /** Run the verifier after every graph stage, naming the stage that broke the graph (default: env KILN_VERIFY=1). */
  verify?: boolean;
}

/** A compiled program: call `run` with named inputs to get named outputs. */
export interface Executable {
  readonly inputs: readonly IOSpec[];
  readonly outputs: readonly IOSpec[];
  readonly paramSpecs: readonly IOSpec[];
  /** The outputs of one run: all, or only those `options.outputs` names (the others are not read back). */
  run(inputs: Readonly<Record<string, TensorLike>>, options?: RunOptions): Promise<Record<string, Tensor>>;
  /** Copies of the current parameter values. Backend 'webgpu': those last read back, refused when the device has changed them since (use readParams). */
  params(): Record<string, Tensor>;
  /** Copies of the current parameter values once earlier runs are done, read back from the device where they live there. */
  readParams(): Promise<Record<string, Tensor>>;
  /** Replaces some or all parameters (all are checked before any is replaced). */
  setParams(values: Readonly<Record<string, TensorLike>>): void;
  /**
   * Compiled backends ('js', 'wasm'): the array the program reads input `name` from. Fill it and
   * pass the same array to `run` to skip copying the input in.
   */
  inputBuffer?(name: string): Float32Array | Int32Array | Uint8Array;
  /** Backend 'wasm': stops the program's worker threads, if it has any (it cannot run afterwards). */
  dispose?(): Promise<void>;
}

/** The kernel program of a graph: the pass pipeline, fusion, memory planning. */
export function kernelProgram(g: Graph, shapes: Readonly<Record<string, number>>, options: { verify?: boolean; target?: ScheduleTarget } = {}): KernelProgram {
  const { target, ...stageOptions } = options;
  return runToKernels(g, { shapes, ...(target ? { target } : {}) }, stageOptions);
}

/** Compiles a graph for a backend; symbolic dims are bound by `shapes`. */
export async function compile(g: Graph, options: CompileOptions = {}): Promise<Executable> {
  const backend = backendOf(options.backend ?? 'wasm');
  verify(g); // graphs may come from anywhere: JSON, hand-built objects
  checkBackendOptions(backend, options);
  const backendOptions = {
    ...(options.paramStore ? { paramStore: options.paramStore } : {}),
    ...(options.precision ? { precision: options.precision } : {}),
    ...(options.guardUpdates ? { guardUpdates: true } : {}),
    threads: options.threads ?? 1,
    ...(options.gpu ? { gpu: options.gpu } : {}),
  };
  const ctx: StageContext = {
    shapes: options.shapes ?? {},
    ...(options.training !== undefined ? { mode: options.training } : {}),
    ...(options.guardUpdates ? { guardUpdates: true } : {}),
    // Kernels are scheduled for the backend that renders them.
    ...('schedule' in backend ? { target: backend.schedule } : {}),
  };
  const stageOptions = options.verify !== undefined ? { verify: options.verify } : {};
  try {
    // The oracle runs the graph as written, composites spelled out, nothing optimized; the
    // compiler's path optimizes, fuses into kernels and plans memory, and the backend executes the schedule.
    const exe =
      backend.input === 'graph'
        ? backend.compile(runGraphStages(g, ctx, { ...stageOptions, until: 'specialize' }), backendOptions)
        : backend.compile(runToKernels(g, ctx, stageOptions), backendOptions);
    return await exe;
  } catch (e) {
    throw allocationError(e, `compile: ${options.backend ?? 'wasm'} backend, graph ${g.name}`);
  }
}

/** Every tensor fits the size limit, yet all of them together may not fit this process's memory. */
function allocationError(e: unknown, what: string): unknown {
  const allocation = e instanceof RangeError && /allocation failed|Invalid (typed )?array( buffer)? length/i.test(e.message);
  return allocation ? new KilnError('runtime', `${what}: cannot allocate the memory its tensors need (${e.message})`) : e;
}
