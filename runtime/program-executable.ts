// What every executor of a kernel program shares: its interface (inputs, outputs, parameters),
// the checks at the door, and one run — upload inputs, execute the schedule, download outputs,
// apply the updates. Subclasses say where buffers live and how the schedule executes.

import type { Storage } from './interpreter.js';
import { kernelReads } from './kernel-analysis.js';
import type { KernelDType, KernelProgram } from './kernel-ir.js';
import { KilnRuntimeError, prepareInputs, toTensor, type IOSpec, type Tensor, type TensorLike } from './tensor.js';

/** A fresh standalone copy, as the dtype's array (bool as bytes). */
export function copyAs(dtype: KernelDType, data: ArrayLike<number>): Storage {
  // The constructors copy a typed array of the same type as one block (`from` goes element by element).
  return dtype === 'f32' ? new Float32Array(data) : dtype === 'i32' ? new Int32Array(data) : new Uint8Array(data);
}

export abstract class ProgramExecutable {
  readonly program: KernelProgram;
  readonly inputs: IOSpec[];
  readonly outputs: IOSpec[];
  readonly paramSpecs: IOSpec[];
  /** Bytes of the arena holding every temp. */
  readonly arenaBytes: number;
  /** Every buffer of the program by name, wherever the subclass keeps it. */
  protected readonly buffers = new Map<string, Storage>();
  protected readonly paramBuffer: Map<string, string>;
  /** The live parameter values, possibly shared with other programs. */
  protected readonly store: Map<string, Tensor>;

  protected constructor(program: KernelProgram, store: Map<string, Tensor> | undefined) {
    const p = program;
    this.program = p;
    this.arenaBytes = p.arenaBytes;
    const spec = (name: string, buffer: string): IOSpec => {
      const b = p.buffers.find((x) => x.name === buffer)!;
      return { name, dtype: b.dtype, shape: [...b.shape] };
    };
    // An input no kernel, output or update reads may be left out.
    const used = new Set([...p.kernels.flatMap((k) => [...kernelReads(k)]), ...p.outputs.map((o) => o.buffer), ...p.updates.map((u) => u.buffer)]);
    this.inputs = p.inputs.map((i) => (used.has(i.buffer) ? spec(i.name, i.buffer) : { ...spec(i.name, i.buffer), optional: true }));
    this.outputs = p.outputs.map((o) => spec(o.name, o.buffer));
    this.paramSpecs = p.params.map((x) => spec(x.name, x.buffer));
    this.paramBuffer = new Map(p.params.map((x) => [x.name, x.buffer]));
    this.store = store ?? new Map();
  }

  /** Brings the buffers in line with the store (another program may have replaced an entry). */
  protected abstract syncParams(): void;
  /** Runs the whole schedule over the buffers, synchronously: nothing else may touch them meanwhile. */
  protected abstract execute(): void;

  /** Anything to wait for before the first run (worker threads starting); undefined once ready. */
  protected pending(): Promise<void> | undefined {
    return undefined;
  }

  protected paramView(name: string): Storage {
    return this.buffers.get(this.paramBuffer.get(name)!)!;
  }

  /** Copies of the current parameter values. */
  params(): Record<string, Tensor> {
    this.syncParams();
    const out: Record<string, Tensor> = {};
    for (const s of this.paramSpecs) out[s.name] = { dtype: s.dtype, shape: [...s.shape], data: copyAs(s.dtype, this.paramView(s.name)) };
    return out;
  }

  /** Replaces some or all parameters; all are checked before any is replaced. */
  setParams(values: Readonly<Record<string, TensorLike>>): void {
    const checked = this.checkValues(values, 'parameter');
    this.syncParams();
    for (const [name, t] of checked) this.paramView(name).set(t.data);
  }

  /**
   * The array this program reads input `name` from. Writing an input there and passing this same
   * array to run() spares the copy (large inputs into Wasm memory); it holds until the next run.
   */
  inputBuffer(name: string): Storage {
    const input = this.program.inputs.find((i) => i.name === name);
    if (!input) throw new KilnRuntimeError('input', `unknown input '${name}' (the program's inputs are ${this.inputs.map((i) => i.name).join(', ') || 'none'})`);
    return this.buffers.get(input.buffer)!;
  }

  async run(inputs: Readonly<Record<string, TensorLike>>): Promise<Record<string, Tensor>> {
    // Any waiting happens first: from the inputs' copy to the outputs' there is no await, so
    // overlapping calls cannot see each other's buffers.
    const waiting = this.pending();
    if (waiting) await waiting;
    const given = prepareInputs(this.inputs, inputs);
    for (const i of this.program.inputs) {
      const t = given.get(i.name);
      const buffer = this.buffers.get(i.buffer)!;
      if (t && t.data !== buffer) buffer.set(t.data);
    }
    this.syncParams();
    this.execute();
    // Outputs are read before the updates, so an output naming a parameter shows the value this run used.
    const result: Record<string, Tensor> = {};
    this.program.outputs.forEach((o, i) => {
      const s = this.outputs[i]!;
      result[o.name] = { dtype: s.dtype, shape: [...s.shape], data: copyAs(s.dtype, this.buffers.get(o.buffer)!) };
    });
    // Updates take effect together: a source that is itself a parameter is read before any changes.
    const params = new Set(this.paramBuffer.values());
    // An update from the parameter's own buffer was written in place by its kernel.
    const staged = this.program.updates.filter((u) => u.buffer !== this.paramBuffer.get(u.param)).map((u) => {
      const src = this.buffers.get(u.buffer)!;
      return [this.paramView(u.param), params.has(u.buffer) ? src.slice() : src] as const;
    });
    for (const [dst, src] of staged) if (dst !== src) dst.set(src);
    return result;
  }

  /** Checks named values against the parameter specs, refusing unknown names; copies nothing. */
  protected checkValues(values: Readonly<Record<string, TensorLike>>, what: string): Map<string, Tensor> {
    const checked = new Map<string, Tensor>();
    for (const [name, v] of Object.entries(values)) {
      const s = this.paramSpecs.find((x) => x.name === name);
      if (!s) throw new KilnRuntimeError('input', `unknown parameter '${name}' (the parameters are ${this.paramSpecs.map((x) => x.name).join(', ') || 'none'})`);
      checked.set(name, toTensor(v, s, `${what} '${name}'`));
    }
    return checked;
  }
}
