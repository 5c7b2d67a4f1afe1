// WasmExecutable: a kernel program compiled to one WebAssembly module (bytes made by src/backends/wasm), instantiated here behind the same interface as KernelExecutable; one exported run() executes the whole schedule over the module's own memory.

import { alignUp, parseProgram } from './artifact.js';
import type { BufferSpec, KernelProgram } from './kernel-ir.js';
import { ProgramExecutable } from './program-executable.js';
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

/** The functions a module imports from module `host`: transcendentals in f64 (the module rounds to f32) and the range errors. */
function hostImports(p: KernelProgram): Record<string, (...args: number[]) => number | void> {
  const sizeOf = (b: BufferSpec): number => numelOf(b.shape);
  return {
    exp: Math.exp,
    log: Math.log,
    tanh: Math.tanh,
    sin: Math.sin,
    cos: Math.cos,
    pow: Math.pow,
    // Both branches keep exp's argument non-positive, as the interpreter's sigmoid does.
    sigmoid: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
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

  constructor(artifact: { program: unknown; wasm: Uint8Array; weights?: Readonly<Record<string, Tensor>> }, options: WasmExecutableOptions = {}) {
    const p = parseProgram(artifact.program);
    super(p, options.paramStore);

    // The module exports its memory, sized for the layout it was compiled against; it never grows, so views stay valid.
    const instance = new WebAssembly.Instance(new WebAssembly.Module(artifact.wasm), { host: hostImports(p) });
    const exports = instance.exports as { memory: { buffer: ArrayBuffer }; run: () => void };
    const layout = wasmLayout(p);
    if (exports.memory.buffer.byteLength < layout.bytes) throw new KilnRuntimeError('artifact', `wasm module memory (${exports.memory.buffer.byteLength} bytes) is smaller than program '${p.name}' needs (${layout.bytes})`);
    this.runModule = exports.run;
    for (const b of p.buffers) {
      const offset = layout.offsets.get(b.name)!;
      const n = numelOf(b.shape);
      const mem = exports.memory.buffer;
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

  protected execute(): void {
    this.runModule(); // the whole schedule: one call into Wasm
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
