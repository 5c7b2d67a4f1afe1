// compile(): from a graph to an executable program on a chosen backend.

import { ReferenceExecutable } from './backends/reference/index.js';
import { wasmExecutable } from './backends/wasm/index.js';
import type { ReferenceOptions } from './backends/reference/index.js';
import { KernelExecutable } from '../runtime/executable.js';
import type { KernelProgram } from '../runtime/kernel-ir.js';
import { fail } from './ir/errors.js';
import { lowerToKernels } from './kernels/lower.js';
import { planMemory } from './kernels/memory.js';
import { runPipeline } from './passes/pipeline.js';
import { decompose } from './passes/decompose.js';
import { specialize } from './passes/specialize.js';
import { setTrainingMode } from './passes/training-mode.js';
import type { SpecializeOptions } from './passes/specialize.js';
import type { Graph } from './ir/graph.js';
import { verify } from './ir/verify.js';
import type { Tensor } from './ir/types.js';
import type { IOSpec, TensorLike } from '../runtime/tensor.js';

export const BACKENDS = ['reference', 'js', 'wasm'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface CompileOptions extends ReferenceOptions, SpecializeOptions {
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
}

/** A compiled program: call `run` with named inputs to get named outputs. */
export interface Executable {
  readonly inputs: readonly IOSpec[];
  readonly outputs: readonly IOSpec[];
  readonly paramSpecs: readonly IOSpec[];
  run(inputs: Readonly<Record<string, TensorLike>>): Promise<Record<string, Tensor>>;
  /** Copies of the current parameter values. */
  params(): Record<string, Tensor>;
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

function modeOf(g: Graph, options: CompileOptions): Graph {
  return options.training === undefined ? g : setTrainingMode(g, options.training);
}

/** The kernel program of a graph: the pass pipeline, fusion, memory planning. */
export function kernelProgram(g: Graph, shapes: Readonly<Record<string, number>>): KernelProgram {
  return planMemory(lowerToKernels(runPipeline(g, { shapes })));
}

/** Compiles a graph for a backend; symbolic dims are bound by `shapes`. */
export async function compile(g: Graph, options: CompileOptions = {}): Promise<Executable> {
  const backend = options.backend ?? 'reference';
  verify(g); // graphs may come from anywhere: JSON, hand-built objects
  switch (backend) {
    case 'reference':
      if ((options.threads ?? 1) !== 1) fail('usage', "threads: only backend 'wasm' runs on several threads");
      // The oracle runs the graph as written, composites spelled out, nothing optimized.
      return new ReferenceExecutable(decompose(specialize(modeOf(g, options), options)), options);
    case 'js': {
      // The compiler's path: optimize, fuse into kernels, plan memory; the runtime's kernel
      // interpreter executes the schedule.
      if (options.precision === 'f64') fail('usage', "backend 'js' computes in f32; precision 'f64' is the reference backend's");
      if ((options.threads ?? 1) !== 1) fail('usage', "threads: only backend 'wasm' runs on several threads");
      const program = kernelProgram(modeOf(g, options), options.shapes ?? {});
      return new KernelExecutable({ program }, options.paramStore ? { paramStore: options.paramStore } : {});
    }
    case 'wasm': {
      // The same kernel program, rendered as one WebAssembly module (binaryen loads on first use).
      if (options.precision === 'f64') fail('usage', "backend 'wasm' computes in f32; precision 'f64' is the reference backend's");
      return wasmExecutable(kernelProgram(modeOf(g, options), options.shapes ?? {}), { ...(options.paramStore ? { paramStore: options.paramStore } : {}), threads: options.threads ?? 1 });
    }
    default:
      return fail('usage', `unknown backend '${String(backend)}' (available: ${BACKENDS.join(', ')})`);
  }
}
