// KernelExecutable: a validated kernel program run by the JavaScript kernel interpreter, its buffers laid out in three regions (the temp arena, persistent parameters, inputs/outputs/constants) and its schedule compiled once; the run itself is ProgramExecutable's.

import { alignUp } from './artifact.js';
import { parseProgram } from './program-validator.js';
import { compileSchedule, type Storage } from './interpreter.js';
import type { BufferSpec } from './kernel-ir.js';
import { ProgramExecutable, copyAs } from './program-executable.js';
import { initializeInto } from './random.js';
import { numelOf, toTensor, type IOSpec, type Tensor, type TensorLike } from './tensor.js';

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

/** A compiled kernel program with its parameters in memory: call `run` with named inputs. */
export class KernelExecutable extends ProgramExecutable {
  private schedule: () => void;

  constructor(artifact: { program: unknown; weights?: Readonly<Record<string, Tensor>> }, options: KernelExecutableOptions = {}) {
    const p = parseProgram(artifact.program);
    super(p, options.paramStore);

    // Temps at the planner's offsets in one arena: bool as 0/1 in 4 bytes, like i32.
    const arena = new ArrayBuffer(p.arenaBytes);
    for (const b of p.buffers) if (b.role === 'temp') this.buffers.set(b.name, viewOf(arena, b.offset!, b, 4));
    for (const [name, view] of region(
      p.buffers.filter((b) => b.role !== 'temp' && b.role !== 'param'),
      4,
    ))
      this.buffers.set(name, view);
    for (const b of p.buffers) if (b.role === 'const') this.buffers.get(b.name)!.set(b.data!);

    // Parameters: shared storage from the store, else a first value in this program's own region.
    const given = this.checkValues(options.params ?? {}, 'parameter');
    const fresh = this.paramSpecs.filter((s) => !this.store.has(s.name));
    const own = region(
      fresh.map((s) => p.buffers.find((b) => b.name === this.paramBuffer.get(s.name))!),
      1,
    );
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
    for (const [name, t] of given) if (!fresh.some((s) => s.name === name)) this.paramView(name).set(t.data);
    this.schedule = compileSchedule(p, this.buffers);
  }

  protected execute(): void {
    this.schedule();
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
    this.buffers.set(this.paramBuffer.get(s.name)!, data);
  }

  /** Follows store entries replaced since the last call (another backend's update, a caller's edit); recompiles if any moved. */
  protected syncParams(): void {
    let moved = false;
    for (const s of this.paramSpecs) {
      const held = this.store.get(s.name);
      if (!held) this.store.set(s.name, { dtype: s.dtype, shape: [...s.shape], data: this.paramView(s.name) });
      else if (held.data !== this.paramView(s.name)) {
        this.bindParam(s);
        moved = true;
      }
    }
    if (moved) this.schedule = compileSchedule(this.program, this.buffers);
  }
}
