// WasmExecutable: a kernel program compiled to one WebAssembly module (bytes made by src/backends/wasm), instantiated here behind the same interface as KernelExecutable; one exported run() executes the whole schedule over the module's own memory, or with a threaded module, run(tid) on every thread over one shared memory (threads.ts).

import { alignUp } from './artifact.js';
import { parseProgram } from './program-validator.js';
import type { BinaryFn, UnaryFn } from './kernel-fns.js';
import type { BufferSpec, KernelProgram } from './kernel-ir.js';
import { ProgramExecutable } from './program-executable.js';
import { ThreadPool, threadedModuleInfo } from './threads.js';
export { CONTROL_BYTES, MAX_THREADS, THREADS_SECTION, THREAD_CONTROL, moduleThreads, threadsAvailable, type ThreadedModuleInfo } from './threads.js';
import { initializeInto } from './random.js';
import { KilnRuntimeError, numelOf, toTensor, type Tensor, type TensorLike } from './tensor.js';

/** Where every buffer lives in the module's one memory: the arena, then parameters, then inputs/outputs/constants. */
export interface WasmLayout {
  /** Byte offset of each buffer. */
  offsets: Map<string, number>;
  /** Bytes per element: 4, except bool parameters, which are bytes so the parameter store holds them as Uint8Array. */
  elementBytes: Map<string, 1 | 4>;
  /** Bytes of memory the program needs. */
  bytes: number;
}

const PAGE = 65536;

/** The part of the WebAssembly JS API used here (the project's lib settings declare none). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => { buffer: SharedArrayBuffer };
};

/** The memory layout shared by the code generator (which bakes the offsets in) and the runtime (which views them). */
export function wasmLayout(p: KernelProgram): WasmLayout {
  const offsets = new Map<string, number>();
  const elementBytes = new Map<string, 1 | 4>();
  for (const b of p.buffers) {
    if (b.role !== 'temp') continue;
    offsets.set(b.name, b.offset!);
    elementBytes.set(b.name, 4);
  }
  let end = alignUp(p.arenaBytes);
  const place = (b: BufferSpec, bytes: 1 | 4): void => {
    offsets.set(b.name, end);
    elementBytes.set(b.name, bytes);
    end = alignUp(end + numelOf(b.shape) * bytes);
  };
  for (const b of p.buffers) if (b.role === 'param') place(b, b.dtype === 'bool' ? 1 : 4);
  for (const b of p.buffers) if (b.role !== 'temp' && b.role !== 'param') place(b, 4);
  return { offsets, elementBytes, bytes: end };
}

/** Pages of 64 KiB holding `bytes` (at least one). */
export function wasmPages(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / PAGE));
}

// Both branches keep exp's argument non-positive, as the interpreter's sigmoid does.
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
/** The kernel functions a module may import from module `host` as f64 functions. */
export type HostMathFn = Extract<UnaryFn, 'exp' | 'log' | 'tanh' | 'sigmoid' | 'sin' | 'cos'> | Extract<BinaryFn, 'pow'>;
/**
 * Functions in f64 a module may import (it rounds their results to f32). Modules compiled now
 * compute exp, log, tanh and sigmoid on f32 themselves and import only log, sin, cos and pow;
 * artifacts written by earlier versions import the others too, and still load.
 */
const HOST_MATH: Record<HostMathFn, (...args: number[]) => number> = { exp: Math.exp, log: Math.log, tanh: Math.tanh, sin: Math.sin, cos: Math.cos, pow: Math.pow, sigmoid };

/** The host functions as source text for worker threads, which never call the range errors. */
function workerImports(): [string, string][] {
  const refuse = '() => { throw new Error("a range check ran on a worker thread"); }';
  const source = (name: string, f: (...args: number[]) => number): string => (f === sigmoid ? sigmoid.toString() : `Math.${name}`);
  return [...Object.entries(HOST_MATH).map(([name, f]): [string, string] => [name, source(name, f)]), ['gather_range', refuse], ['load_range', refuse]];
}

/** The functions a module imports from module `host`: the transcendentals and the range errors. */
function hostImports(p: KernelProgram): Record<string, (...args: number[]) => number | void> {
  const sizeOf = (b: BufferSpec): number => numelOf(b.shape);
  return {
    ...HOST_MATH,
    gather_range: (i: number, size: number) => {
      throw new KilnRuntimeError('runtime', `gather: index ${i} is out of range for an axis of size ${size}`);
    },
    load_range: (kernel: number, buffer: number, i: number) => {
      const b = p.buffers[buffer]!;
      throw new KilnRuntimeError('runtime', `kernel '${p.kernels[kernel]!.name}': index ${i} is out of range for buffer '${b.name}' (${sizeOf(b)} elements)`);
    },
  };
}

export interface WasmExecutableOptions {
  /** Parameter storage shared between programs, as for KernelExecutable: the live values are kept here. */
  paramStore?: Map<string, Tensor>;
  /** First values of some parameters; they take precedence over the weights and the initializers. */
  params?: Readonly<Record<string, TensorLike>>;
}

/** A kernel program running as one WebAssembly instance: call `run` with named inputs. */
export class WasmExecutable extends ProgramExecutable {
  private readonly runModule: () => void;
  /** Threads the module runs on. */
  readonly threads: number = 1;
  /** The worker threads of a threaded module: starting, then started. */
  private readonly starting: Promise<ThreadPool> | undefined;
  private threadPool: ThreadPool | undefined;

  constructor(artifact: { program: unknown; wasm: Uint8Array; weights?: Readonly<Record<string, Tensor>> }, options: WasmExecutableOptions = {}) {
    const p = parseProgram(artifact.program);
    super(p, options.paramStore);

    // A one-thread module exports its memory; a threaded one imports a shared memory it describes
    // in a custom section. Either is sized for the layout it was compiled against and never grows, so views stay valid.
    const module = new WebAssembly.Module(artifact.wasm);
    const info = threadedModuleInfo(module);
    let mem: ArrayBufferLike;
    if (info) {
      const memory = new WebAssembly.Memory({ initial: info.pages, maximum: info.pages, shared: true });
      const exports = new WebAssembly.Instance(module, { env: { memory }, host: hostImports(p) }).exports as { run: (tid: number) => void };
      this.runModule = () => exports.run(0);
      this.threads = info.threads;
      this.starting = ThreadPool.start(module, memory, info, workerImports());
      this.starting.catch(() => undefined); // reported by the first run
      mem = memory.buffer;
    } else {
      const exports = new WebAssembly.Instance(module, { host: hostImports(p) }).exports as { memory: { buffer: ArrayBuffer }; run: () => void };
      this.runModule = exports.run;
      mem = exports.memory.buffer;
    }
    const layout = wasmLayout(p);
    if (mem.byteLength < layout.bytes)
      throw new KilnRuntimeError('artifact', `wasm module memory (${mem.byteLength} bytes) is smaller than program '${p.name}' needs (${layout.bytes})`);
    for (const b of p.buffers) {
      const offset = layout.offsets.get(b.name)!;
      const n = numelOf(b.shape);
      const view = b.dtype === 'f32' ? new Float32Array(mem, offset, n) : layout.elementBytes.get(b.name) === 1 ? new Uint8Array(mem, offset, n) : new Int32Array(mem, offset, n);
      this.buffers.set(b.name, view);
      if (b.role === 'const') view.set(b.data!);
    }

    // Parameters: first values for those the store lacks, then every parameter bound to the store.
    const given = this.checkValues(options.params ?? {}, 'parameter');
    for (const s of this.paramSpecs) {
      const view = this.paramView(s.name);
      if (this.store.has(s.name)) continue;
      const stored = artifact.weights && Object.hasOwn(artifact.weights, s.name) ? toTensor(artifact.weights[s.name]!, s, `weight '${s.name}'`) : undefined;
      const first = given.get(s.name) ?? stored;
      if (first) view.set(first.data);
      else initializeInto(p.params.find((x) => x.name === s.name)!.init, s.shape, view);
      this.store.set(s.name, { dtype: s.dtype, shape: [...s.shape], data: view });
    }
    this.syncParams();
    for (const [name, t] of given) this.paramView(name).set(t.data);
  }

  protected override pending(): Promise<void> | undefined {
    if (!this.starting || this.threadPool) return undefined;
    return this.starting.then((pool) => void (this.threadPool = pool));
  }

  protected execute(): void {
    // The whole schedule: one call into Wasm (per thread).
    if (this.threadPool) this.threadPool.run(this.runModule);
    else this.runModule();
  }

  /** Stops the worker threads of a threaded module (it cannot run afterwards). */
  async dispose(): Promise<void> {
    if (this.starting) await (await this.starting).terminate();
  }

  /**
   * Parameters must live in this module's memory, so a store entry that is not our view (another
   * program's update, a caller's array) is copied in and the entry pointed back at our view: the
   * store always holds the live values, and programs sharing it hand them over by copying.
   */
  protected syncParams(): void {
    for (const s of this.paramSpecs) {
      const view = this.paramView(s.name);
      const held = this.store.get(s.name);
      if (held?.data === view) continue;
      if (held) view.set(toTensor(held, s, `shared parameter '${s.name}'`).data);
      this.store.set(s.name, { dtype: s.dtype, shape: [...s.shape], data: view });
    }
  }
}
