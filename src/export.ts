// Inference export: a model becomes an artifact that runtime/ loads. Only the chosen outputs and
// what they read are kept (no loss, no labels), and with `batch` the artifact runs any batch up to
// the compiled size, once batch-independence.ts has proved that rows never mix.

import type { ArtifactManifest } from '../runtime/artifact.js';
import type { KernelProgram } from '../runtime/kernel-ir.js';
import type { Tensor } from '../runtime/tensor.js';
import { artifactBackends, threadedList } from './backends/registry.js';
import { kernelProgram } from './compile.js';
import { expandComposites } from './ir/emit.js';
import { KilnError } from './ir/errors.js';
import type { Graph } from './ir/graph.js';
import { verify } from './ir/verify.js';
import { writeArtifact } from './kernels/artifact.js';
import { batchPlan, type BatchPlan } from './passes/batch-independence.js';
import { selectOutputs } from './passes/select-outputs.js';

export interface ExportOptions {
  /** 'js' (the kernel program, run by the runtime's interpreter), 'wasm' (a module) or 'webgpu' (WGSL shaders); default 'js'. */
  target?: string;
  /** Sizes of the symbolic dims; with `batch`, the batch dim's size is the largest batch a run may pass. */
  shapes?: Readonly<Record<string, number>>;
  /** The outputs to keep (default: all). Everything else, and every input and parameter they do not read, is dropped. */
  outputs?: readonly string[];
  /** The symbolic dim that is the batch: a run may then pass 1 to shapes[batch] rows. Refused when an output mixes rows. */
  batch?: string;
  /** Parameter values to store (trained weights), each a parameter of the model; those left out start from their initializers. */
  weights?: Readonly<Record<string, Tensor>>;
  /** wasm: a module for this many worker threads (default 1). */
  threads?: number;
}

/** What was written: the manifest, the program it holds and, for 'wasm', the module's bytes. */
export interface ExportResult {
  manifest: ArtifactManifest;
  program: KernelProgram;
  wasm: Uint8Array | undefined;
}

function prepare(model: Graph, options: ExportOptions): { g: Graph; plan: BatchPlan | undefined } {
  verify(model);
  const g = options.outputs ? selectOutputs(model, options.outputs) : model;
  if (options.batch === undefined) return { g, plan: undefined };
  const size = options.shapes?.[options.batch];
  if (size === undefined) throw new KilnError('usage', `batch: '${options.batch}' has no size in shapes (give ${options.batch}=N: the largest batch the artifact takes)`);
  return { g, plan: batchPlan(expandComposites(g), options.batch) };
}

/** Writes `model` as an artifact into `dir` (atomically; see writeArtifact). */
export async function exportArtifact(model: Graph, dir: string, options: ExportOptions = {}): Promise<ExportResult> {
  const name = options.target ?? 'js';
  const backend = artifactBackends().find((b) => b.name === name);
  const names = artifactBackends().map((b) => b.name);
  if (!backend) throw new KilnError('usage', `target: unknown target '${name}' (available: ${names.join(', ')})`);
  const threads = options.threads ?? 1;
  if (threads > 1 && !backend.threads) throw new KilnError('usage', `threads: only ${threadedList('target', true)} runs on several threads`);
  const { g, plan } = prepare(model, options);
  // Kernels are scheduled for the backend that renders them, as compile() does.
  const program = kernelProgram(g, options.shapes ?? {}, 'schedule' in backend ? { target: backend.schedule } : {});
  let weights: Record<string, Tensor> | undefined;
  if (options.weights) {
    const unknown = Object.keys(options.weights).find((n) => !model.params.some((p) => p.name === n));
    if (unknown !== undefined)
      throw new KilnError('usage', `weights: '${unknown}' is not a parameter of '${model.name}' (its parameters: ${model.params.map((p) => p.name).join(', ') || 'none'})`);
    // The parameters only dropped outputs read are not in the program.
    weights = Object.fromEntries(Object.entries(options.weights).filter(([n]) => program.params.some((p) => p.name === n)));
  }
  // A code generator (binaryen for wasm, the WGSL renderer for webgpu) loads here, and only for its target: the artifact's runtime never needs it.
  const code = await backend.artifact.code(program, threads);
  const manifest = await writeArtifact(dir, program, { ...code, ...(weights ? { weights } : {}), ...(plan ? { batch: plan } : {}) });
  return { manifest, program, wasm: code.target === 'wasm' ? code.wasm : undefined };
}
