// The backends, one entry each: name, description, what it compiles (the graph, for the
// reference oracle, or the kernel program), the options it accepts and what it writes into an
// artifact. compile(), the CLI and the conformance suites read this list; adding a backend is a
// folder under src/backends plus one entry here (and, if it writes artifacts, a runtime executor
// in runtime/executors.ts for its target).

import type { ArtifactTarget } from '../../runtime/artifact.js';
import type { KernelProgram } from '../../runtime/kernel-ir.js';
import type { Tensor } from '../../runtime/tensor.js';
import { fail } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import type { ArtifactOptions } from '../kernels/artifact.js';
import type { ScheduleTarget } from '../kernels/schedule.js';
import { jsExecutable } from './js/index.js';
import { ReferenceExecutable } from './reference/index.js';
import { compileWasm, wasmExecutable } from './wasm/index.js';
import { renderWgsl, webgpuExecutable } from './webgpu/index.js';
import type { Executable } from '../compile.js';

export type Precision = 'f32' | 'f64';

/** What every backend receives besides its program. */
export interface BackendOptions {
  paramStore?: Map<string, Tensor>;
  precision?: Precision;
  threads?: number;
  /** Graph backends: updates all or nothing (kernel backends get a guarded program instead). */
  guardUpdates?: boolean;
  /** Backend 'webgpu': the GPU to run on. */
  gpu?: GPU;
}

interface BackendCommon<N extends string> {
  name: N;
  description: string;
  /** Whether it runs large kernels on several threads (option `threads`). */
  threads: boolean;
  /** The precisions it computes in; the first is the default. */
  precisions: readonly Precision[];
}

/** A backend that runs the graph after decompose and specialize, as written (the oracle). */
export interface GraphBackend<N extends string = string> extends BackendCommon<N> {
  input: 'graph';
  compile(g: Graph, options: BackendOptions): Executable | Promise<Executable>;
  artifact?: undefined;
}

/** A backend that runs the optimized, fused, memory-planned kernel program. */
export interface KernelBackend<N extends string = string> extends BackendCommon<N> {
  input: 'kernels';
  compile(program: KernelProgram, options: BackendOptions): Executable | Promise<Executable>;
  /** The target whose schedule (stage schedule) it renders; default 'wasm', which a backend that renders none ignores. */
  schedule?: ScheduleTarget;
  /** What `kiln compile --target NAME` writes: the artifact's target and code, or none. */
  artifact?: { target: ArtifactTarget; code(program: KernelProgram, threads: number): Promise<ArtifactOptions> };
}

const storeOf = (o: BackendOptions) => (o.paramStore ? { paramStore: o.paramStore } : {});

export const BACKEND_LIST = [
  {
    name: 'reference',
    description: 'the oracle: interprets the graph node by node, composites spelled out, nothing optimized',
    input: 'graph',
    threads: false,
    precisions: ['f32', 'f64'],
    compile: (g, o) => new ReferenceExecutable(g, { ...storeOf(o), ...(o.precision ? { precision: o.precision } : {}), ...(o.guardUpdates ? { guardUpdates: true } : {}) }),
  } satisfies GraphBackend<'reference'>,
  {
    name: 'js',
    description: "the kernel program, run by the runtime's JavaScript kernel interpreter",
    input: 'kernels',
    threads: false,
    precisions: ['f32'],
    compile: (p, o) => jsExecutable(p, storeOf(o)),
    artifact: { target: 'js', code: () => Promise.resolve({ target: 'js' }) },
  } satisfies KernelBackend<'js'>,
  {
    name: 'wasm',
    description: 'the kernel program as one WebAssembly module, optionally on several threads',
    input: 'kernels',
    threads: true,
    precisions: ['f32'],
    schedule: 'wasm',
    compile: (p, o) => wasmExecutable(p, { ...storeOf(o), threads: o.threads ?? 1 }),
    artifact: { target: 'wasm', code: async (p, threads) => ({ target: 'wasm', wasm: await compileWasm(p, threads) }) },
  } satisfies KernelBackend<'wasm'>,
  {
    name: 'webgpu',
    description: 'the kernel program as WGSL compute shaders on a WebGPU device, a whole run in one submit',
    input: 'kernels',
    threads: false,
    precisions: ['f32'],
    schedule: 'webgpu',
    compile: (p, o) => webgpuExecutable(p, { ...storeOf(o), ...(o.gpu ? { gpu: o.gpu } : {}) }),
    // The shaders and their workgroup counts; rendering needs no device (threads do not apply).
    artifact: { target: 'webgpu', code: (p) => Promise.resolve({ target: 'webgpu', wgsl: renderWgsl(p) }) },
  } satisfies KernelBackend<'webgpu'>,
] as const;

export type Backend = (typeof BACKEND_LIST)[number];
export type BackendName = Backend['name'];
export const BACKENDS: readonly BackendName[] = BACKEND_LIST.map((b) => b.name);

export function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

/** The entry of a backend; an unknown name is a usage error listing the known ones. */
export function backendOf(name: string, what = 'unknown backend'): Backend {
  const entry = BACKEND_LIST.find((b) => b.name === name);
  return entry ?? fail('usage', `${what} '${name}' (available: ${BACKENDS.join(', ')})`);
}

/** Refuses options the backend does not take: a precision it does not compute in, several threads. */
export function checkBackendOptions(backend: Backend, options: BackendOptions): void {
  const precisions: readonly Precision[] = backend.precisions;
  if (options.precision !== undefined && !precisions.includes(options.precision)) {
    const owners = BACKEND_LIST.filter((b) => (b.precisions as readonly Precision[]).includes(options.precision!)).map((b) => b.name);
    fail('usage', `backend '${backend.name}' computes in ${precisions.join(', ')}; precision '${options.precision}' is the ${owners.join(', ')} backend's`);
  }
  if ((options.threads ?? 1) !== 1 && !backend.threads) fail('usage', `threads: only ${threadedList('backend')} runs on several threads`);
}

/** `backend 'wasm'` (or `--target wasm`): the backends that run on several threads, as a phrase. */
export function threadedList(prefix: string, artifactsOnly = false): string {
  const names = BACKEND_LIST.filter((b) => b.threads && (!artifactsOnly || 'artifact' in b)).map((b) => b.name);
  return names.map((n) => (prefix.startsWith('--') ? `${prefix} ${n}` : `${prefix} '${n}'`)).join(' or ');
}

/** The backends that write artifacts, by the name `kiln compile --target` takes. */
export function artifactBackends(): readonly Extract<Backend, { artifact: object }>[] {
  return BACKEND_LIST.filter((b): b is Extract<Backend, { artifact: object }> => 'artifact' in b);
}

/** The help line of the backends: `reference (the oracle: ...), js (...), ...`. */
export function describeBackends(only: readonly Backend[] = BACKEND_LIST): string {
  return only.map((b) => `${b.name} (${b.description})`).join('; ');
}
