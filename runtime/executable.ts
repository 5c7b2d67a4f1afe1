// KernelExecutable: a validated kernel program made runnable behind the reference backend's Executable interface, its buffers laid out in three regions (the temp arena, persistent parameters, inputs/outputs/constants) and its schedule compiled once.

import { alignUp, loadArtifact, parseProgram } from './artifact.js';
import { compileSchedule, kernelReads, type Storage } from './interpreter.js';
import type { BufferSpec, KernelDType, KernelProgram } from './kernel-ir.js';
import { initializeInto } from './random.js';
import { KilnRuntimeError, numelOf, prepareInputs, toTensor, type IOSpec, type Tensor, type TensorLike } from './tensor.js';
import { WasmExecutable, type WasmExecutableOptions } from './wasm.js';

export interface KernelExecutableOptions {
  /**
   * Parameter storage shared between programs (a training step and its evaluation): all read and
   * update the same weights. The runtime keeps the live values here; a missing entry is filled
   * with the parameter's first value, and an entry replaced from outside is copied in at the next call.
   */
  paramStore?: Map<string, Tensor>;
  /** First values of some parameters; they take precedence over the artifact's weights and the initializers. */
  params?: Readonly<Record<string, TensorLike>>;
}

/** Parameter arrays the runtime made, so executables sharing a store update them in place and never write into a caller's arrays. */
const OWNED = new WeakSet<Storage>();

function viewOf(buffer: ArrayBuffer, offset: number, spec: BufferSpec, boolBytes: 1 | 4): Storage {
  const n = numelOf(spec.shape);
  if (spec.dtype === 'f32') return new Float32Array(buffer, offset, n);
  if (spec.dtype === 'bool' && boolBytes === 1) return new Uint8Array(buffer, offset, n);
  return new Int32Array(buffer, offset, n);
}

function bytesOf(spec: BufferSpec, boolBytes: 1 | 4): number {
  return numelOf(spec.shape) * (spec.dtype === 'bool' ? boolBytes : 4);
}

/** One region holding the given buffers end to end, each at an aligned offset. */
function region(specs: readonly BufferSpec[], boolBytes: 1 | 4): Map<string, Storage> {
  const offsets: number[] = [];
  let end = 0;
  for (const s of specs) {
    offsets.push(end);
    end = alignUp(end + bytesOf(s, boolBytes));
  }
  const memory = new ArrayBuffer(end);
  return new Map(specs.map((s, i) => [s.name, viewOf(memory, offsets[i]!, s, boolBytes)]));
}

/** A fresh standalone copy, as the dtype's array (bool as bytes). */
function copyAs(dtype: KernelDType, data: ArrayLike<number>): Storage {
  return dtype === 'f32' ? Float32Array.from(data) : dtype === 'i32' ? Int32Array.from(data) : Uint8Array.from(data);
}

/** A compiled kernel program with its parameters in memory: call `run` with named inputs. */
export class KernelExecutable {
  readonly program: KernelProgram;
  readonly inputs: IOSpec[];
  readonly outputs: IOSpec[];
  readonly paramSpecs: IOSpec[];
  /** Bytes of the arena holding every temp. */
  readonly arenaBytes: number;
  private readonly arrays = new Map<string, Storage>();
  private readonly paramBuffer: Map<string, string>;
  private readonly store: Map<string, Tensor>;
  private schedule: () => void;

  constructor(artifact: { program: unknown; weights?: Readonly<Record<string, Tensor>> }, options: KernelExecutableOptions = {}) {
    const p = parseProgram(artifact.program);
    this.program = p;
    const spec = (name: string, buffer: string): IOSpec => {
      const b = p.buffers.find((x) => x.name === buffer)!;
      return { name, dtype: b.dtype, shape: [...b.shape] };
    };
    const used = new Set([...p.kernels.flatMap((k) => [...kernelReads(k)]), ...p.outputs.map((o) => o.buffer), ...p.updates.map((u) => u.buffer)]);
    this.inputs = p.inputs.map((i) => (used.has(i.buffer) ? spec(i.name, i.buffer) : { ...spec(i.name, i.buffer), optional: true }));
    this.outputs = p.outputs.map((o) => spec(o.name, o.buffer));
    this.paramSpecs = p.params.map((x) => spec(x.name, x.buffer));
    this.paramBuffer = new Map(p.params.map((x) => [x.name, x.buffer]));

    // Temps at the planner's offsets in one arena: bool as 0/1 in 4 bytes, like i32.
    this.arenaBytes = p.arenaBytes;
    const arena = new ArrayBuffer(p.arenaBytes);
    for (const b of p.buffers) if (b.role === 'temp') this.arrays.set(b.name, viewOf(arena, b.offset!, b, 4));
    for (const [name, view] of region(p.buffers.filter((b) => b.role !== 'temp' && b.role !== 'param'), 4)) this.arrays.set(name, view);
    for (const b of p.buffers) if (b.role === 'const') this.arrays.get(b.name)!.set(b.data!);

    // Parameters: shared storage from the store, else a first value in this program's own region.
    this.store = options.paramStore ?? new Map();
    const given = this.checkValues(options.params ?? {}, 'parameter');
    const fresh = this.paramSpecs.filter((s) => !this.store.has(s.name));
    const own = region(fresh.map((s) => p.buffers.find((b) => b.name === this.paramBuffer.get(s.name))!), 1);
    for (const s of fresh) {
      const buffer = this.paramBuffer.get(s.name)!;
      const view = own.get(buffer)!;
      const stored = artifact.weights && Object.hasOwn(artifact.weights, s.name) ? toTensor(artifact.weights[s.name]!, s, `weight '${s.name}'`) : undefined;
      const first = given.get(s.name) ?? stored;
      if (first) view.set(first.data);
      else initializeInto(p.params.find((x) => x.name === s.name)!.init, s.shape, view);
      OWNED.add(view);
      this.store.set(s.name, { dtype: s.dtype, shape: [...s.shape], data: view });
    }
    for (const s of this.paramSpecs) this.bindParam(s);
    for (const [name, t] of given) if (!fresh.some((s) => s.name === name)) this.arrays.get(this.paramBuffer.get(name)!)!.set(t.data);
    this.schedule = compileSchedule(p, this.arrays);
  }

  /** Copies of the current parameter values. */
  params(): Record<string, Tensor> {
    this.syncParams();
    const out: Record<string, Tensor> = {};
    for (const s of this.paramSpecs) out[s.name] = { dtype: s.dtype, shape: [...s.shape], data: copyAs(s.dtype, this.arrays.get(this.paramBuffer.get(s.name)!)!) };
    return out;
  }

  /** Replaces some or all parameters; all are checked before any is replaced. */
  setParams(values: Readonly<Record<string, TensorLike>>): void {
    const checked = this.checkValues(values, 'parameter');
    this.syncParams();
    for (const [name, t] of checked) this.arrays.get(this.paramBuffer.get(name)!)!.set(t.data);
  }

  async run(inputs: Readonly<Record<string, TensorLike>>): Promise<Record<string, Tensor>> {
    const given = prepareInputs(this.inputs, inputs);
    for (const i of this.program.inputs) {
      const t = given.get(i.name);
      if (t) this.arrays.get(i.buffer)!.set(t.data);
    }
    this.syncParams();
    this.schedule();
    // Outputs are read before the updates, so an output naming a parameter shows the value this run used.
    const result: Record<string, Tensor> = {};
    this.program.outputs.forEach((o, i) => {
      const s = this.outputs[i]!;
      result[o.name] = { dtype: s.dtype, shape: [...s.shape], data: copyAs(s.dtype, this.arrays.get(o.buffer)!) };
    });
    // Updates take effect together: a source that is itself a parameter is read before any changes.
    const params = new Set(this.paramBuffer.values());
    const staged = this.program.updates.map((u) => {
      const src = this.arrays.get(u.buffer)!;
      return [this.arrays.get(this.paramBuffer.get(u.param)!)!, params.has(u.buffer) ? src.slice() : src] as const;
    });
    for (const [dst, src] of staged) if (dst !== src) dst.set(src);
    return result;
  }

  /** Checks named values against the parameter specs, refusing unknown names; copies nothing. */
  private checkValues(values: Readonly<Record<string, TensorLike>>, what: string): Map<string, Tensor> {
    const checked = new Map<string, Tensor>();
    for (const [name, v] of Object.entries(values)) {
      const s = this.paramSpecs.find((x) => x.name === name);
      if (!s) throw new KilnRuntimeError('input', `unknown parameter '${name}' (the parameters are ${this.paramSpecs.map((x) => x.name).join(', ') || 'none'})`);
      checked.set(name, toTensor(v, s, `${what} '${name}'`));
    }
    return checked;
  }

  /** Binds a parameter's buffer to the store's array, copying a caller's array into one the runtime owns. */
  private bindParam(s: IOSpec): void {
    const held = toTensor(this.store.get(s.name)!, s, `shared parameter '${s.name}'`);
    let data = held.data as Storage;
    if (!OWNED.has(data)) {
      data = copyAs(s.dtype, data);
      OWNED.add(data);
      this.store.set(s.name, { dtype: s.dtype, shape: [...s.shape], data });
    }
    this.arrays.set(this.paramBuffer.get(s.name)!, data);
  }

  /** Follows store entries replaced since the last call (another backend's update, a caller's edit); recompiles if any moved. */
  private syncParams(): void {
    let moved = false;
    for (const s of this.paramSpecs) {
      const buffer = this.paramBuffer.get(s.name)!;
      const held = this.store.get(s.name);
      if (!held) this.store.set(s.name, { dtype: s.dtype, shape: [...s.shape], data: this.arrays.get(buffer)! });
      else if (held.data !== this.arrays.get(buffer)) {
        this.bindParam(s);
        moved = true;
      }
    }
    if (moved) this.schedule = compileSchedule(this.program, this.arrays);
  }
}

/** Loads the artifact in `dir` and makes it runnable on its target: the kernel interpreter for 'js', its module for 'wasm'. */
export async function loadExecutable(dir: string, options: KernelExecutableOptions & WasmExecutableOptions = {}): Promise<KernelExecutable | WasmExecutable> {
  const artifact = await loadArtifact(dir);
  return artifact.target === 'wasm' ? new WasmExecutable(artifact, options) : new KernelExecutable(artifact, options);
}
