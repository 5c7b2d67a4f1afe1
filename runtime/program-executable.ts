// What every executor of a kernel program shares: its interface (inputs, outputs, parameters),
// the checks at the door, and one run, made of the steps of the executor contract below.
// Subclasses say where buffers live and how each step happens.
//
// The executor contract, in the order run() calls it (a GPU queue fits it as well as the
// synchronous JS and Wasm executors do):
//   upload(inputs)     the given inputs into the program's input buffers (and a guarded program's counts zeroed)
//   syncParams()       the parameter buffers in line with the store (another program may have updated it)
//   dispatch()         the whole schedule; may only enqueue it and return a promise
//   readback(names)    fresh copies of just the outputs asked for, as the schedule left them; may
//                      return a promise (a mapped copy), but must capture the values before any
//                      later write to the buffers it reads, as a queue orders a copy before later work
//   applyUpdates()     the parameter updates, all together, after the readback was issued; a guarded
//                      program whose counts are not all 0 instead puts its backups back
// run() awaits only what is a promise, so a synchronous executor pays no extra tick. A run whose
// steps are asynchronous holds the buffers until its readback resolves: a later run waits for it,
// so overlapping run() calls never see each other's buffers.

import type { Storage } from './interpreter.js';
import { kernelReads } from './kernel-analysis.js';
import type { KernelDType, KernelProgram } from './kernel-ir.js';
import { KilnRuntimeError, prepareInputs, toTensor, type IOSpec, type Tensor, type TensorLike } from './tensor.js';

/** A fresh standalone copy, as the dtype's array (bool as bytes). */
export function copyAs(dtype: KernelDType, data: ArrayLike<number>): Storage {
  // The constructors copy a typed array of the same type as one block (`from` goes element by element).
  return dtype === 'f32' ? new Float32Array(data) : dtype === 'i32' ? new Int32Array(data) : new Uint8Array(data);
}

/** What a run may ask for besides its inputs. */
export interface RunOptions {
  /** Read back only these outputs (default: all); the result holds just them. */
  readonly outputs?: readonly string[];
}

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as { then?: unknown } | null)?.then === 'function';

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
    this.outputNames = this.outputs.map((o) => o.name);
    this.paramSpecs = p.params.map((x) => spec(x.name, x.buffer));
    this.paramBuffer = new Map(p.params.map((x) => [x.name, x.buffer]));
    this.store = store ?? new Map<string, Tensor>();
  }

  /** Brings the buffers in line with the store (another program may have replaced an entry). */
  protected abstract syncParams(): void;
  /** Runs the whole schedule over the buffers, synchronously: nothing else may touch them meanwhile. */
  protected abstract execute(): void;
  /** The output names, in the program's order. */
  private readonly outputNames: readonly string[];
  /** Settles when the asynchronous run holding the buffers is done; undefined when none is. */
  private inFlight: Promise<void> | undefined;

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

  /** Copies of the current parameter values once the runs before it are done; where they live on a device, read back from it. */
  readParams(): Promise<Record<string, Tensor>> {
    return this.exclusive(() => Promise.resolve(this.params()));
  }

  /** Runs `work` alone: after the run holding the buffers, and before any later one. */
  protected async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const waiting = this.pending();
    if (waiting) await waiting;
    while (this.inFlight) await this.inFlight;
    return this.hold(work());
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

  /** The output names of a run: all of them, or those asked for (checked), in the program's order. */
  private requested(options: RunOptions): readonly string[] {
    if (options.outputs === undefined) return this.outputNames;
    for (const name of options.outputs) {
      if (!this.outputNames.includes(name)) throw new KilnRuntimeError('input', `unknown output '${name}' (the program's outputs are ${this.outputNames.join(', ') || 'none'})`);
    }
    return this.outputNames.filter((name) => options.outputs!.includes(name));
  }

  async run(inputs: Readonly<Record<string, TensorLike>>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    // Any waiting happens first: from the inputs' copy to the outputs' there is no await unless
    // a step is asynchronous, and then the run holds the buffers until it is done.
    const waiting = this.pending();
    if (waiting) await waiting;
    while (this.inFlight) await this.inFlight;
    const names = this.requested(options);
    this.upload(prepareInputs(this.inputs, inputs));
    this.syncParams();
    const dispatched = this.dispatch();
    if (dispatched) return this.hold(this.finishAfter(dispatched, names));
    const read = this.readback(names);
    this.applyUpdates();
    return isPromise(read) ? this.hold(read) : read;
  }

  private async finishAfter(dispatched: Promise<void>, names: readonly string[]): Promise<Record<string, Tensor>> {
    await dispatched;
    const read = this.readback(names);
    this.applyUpdates();
    return read;
  }

  /** Marks the buffers busy until `work` settles. */
  private async hold<T>(work: Promise<T>): Promise<T> {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight = done;
    try {
      return await work;
    } finally {
      if (this.inFlight === done) this.inFlight = undefined;
    }
  }

  /** Copies each given input into its buffer, unless the caller filled the buffer itself (inputBuffer). */
  protected upload(given: ReadonlyMap<string, Tensor>): void {
    for (const i of this.program.inputs) {
      const t = given.get(i.name);
      const buffer = this.buffers.get(i.buffer)!;
      if (t && t.data !== buffer) buffer.set(t.data);
    }
    if (this.program.guard) this.buffers.get(this.program.guard.counts)!.fill(0);
  }

  /** Runs the schedule; here synchronously (execute), so there is nothing to wait for. */
  protected dispatch(): Promise<void> | void {
    this.execute();
  }

  /** Fresh copies of the named outputs. Called before the updates, so an output naming a parameter shows the value this run used. */
  protected readback(names: readonly string[]): Record<string, Tensor> | Promise<Record<string, Tensor>> {
    const result: Record<string, Tensor> = {};
    for (const name of names) {
      const i = this.outputNames.indexOf(name);
      const s = this.outputs[i]!;
      result[name] = { dtype: s.dtype, shape: [...s.shape], data: copyAs(s.dtype, this.buffers.get(this.program.outputs[i]!.buffer)!) };
    }
    return result;
  }

  /** The parameter updates, together: a source that is itself a parameter is read before any changes. */
  protected applyUpdates(): void {
    const guard = this.program.guard;
    if (guard && this.buffers.get(guard.counts)!.some((n) => n !== 0)) {
      // Refused: what the kernels wrote in place goes back; the other updates are not copied.
      for (const b of guard.backups) this.paramView(b.param).set(this.buffers.get(b.buffer)!);
      return;
    }
    const params = new Set(this.paramBuffer.values());
    // An update from the parameter's own buffer was written in place by its kernel.
    const staged = this.program.updates
      .filter((u) => u.buffer !== this.paramBuffer.get(u.param))
      .map((u) => {
        const src = this.buffers.get(u.buffer)!;
        return [this.paramView(u.param), params.has(u.buffer) ? src.slice() : src] as const;
      });
    for (const [dst, src] of staged) if (dst !== src) dst.set(src);
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
