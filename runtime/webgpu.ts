// WebGpuExecutable: a kernel program rendered to WGSL (src/backends/webgpu), run on a WebGPU
// device behind the same interface as the other executors. Everything is made at load: one
// `mem` buffer holding every program buffer (webgpu-layout.ts), the `flags` buffer, one pipeline
// per shader and one bind group. A run writes the inputs, records the whole schedule into one
// command encoder (kernels, the copies of the outputs asked for, then the commit of the
// updates) and submits it once; only those outputs and the flags come back. Parameters stay on
// the device: the parameter store holds DeviceParams, whose values are read back only by
// readParams() (params() answers from the last read, and refuses when they changed since).

import { ERROR_CODES, FLAG_COUNTS, FLAG_LIMIT, FLAG_VALUE, dispatchOrder, webgpuLayout, type WebGpuCode, type WebGpuLayout } from './webgpu-layout.js';
import type { Storage } from './interpreter.js';
import type { KernelDType, KernelProgram } from './kernel-ir.js';
import { copyAs, ProgramExecutable } from './program-executable.js';
import { parseProgram } from './program-validator.js';
import { initializeInto } from './random.js';
import { KilnRuntimeError, numelOf, toTensor, type Tensor, type TensorLike } from './tensor.js';
import { MAP_READ, USAGE, checkDevice, scoped, webgpuDevice } from './webgpu-device.js';
import { checkWebGpuCode, createPipelines } from './webgpu-pipelines.js';

/** The pause before mapping: this share of the last run's time, when that is worth a timer. */
const PAUSE_SHARE = 0.85;
const MIN_PAUSE_MS = 2;
/** A map that resolves this soon after the pause was ready before it ended: the estimate shrinks by PROBE_SHARE. */
const OVERSLEPT_MS = 1;
const PROBE_SHARE = 0.7;

export interface WebGpuExecutableOptions {
  /** Parameter storage shared between programs; on the device, entries are DeviceParams. */
  paramStore?: Map<string, Tensor>;
  /** First values of some parameters; they take precedence over the weights and the initializers. */
  params?: Readonly<Record<string, TensorLike>>;
  /** The GPU to run on (navigator.gpu in a page); default: navigator.gpu, or Dawn in Node. */
  gpu?: GPU;
}

/** What a run costs, for reports: dispatches and submits are exact counts. */
export interface WebGpuStats {
  dispatchesPerRun: number;
  /** queue.submit calls so far (runs and parameter reads). */
  submits: number;
  /** Milliseconds spent creating the pipelines at load. */
  pipelineMs: number;
  adapter: string;
}

/** A parameter whose live value is on a program's device; `data` is its last read-back value. */
export class DeviceParam implements Tensor {
  constructor(
    readonly owner: WebGpuExecutable,
    readonly name: string,
    readonly dtype: KernelDType,
    readonly shape: number[],
  ) {}
  get data(): Storage {
    return this.owner.hostCopy(this.name);
  }
}

/** The bytes of a typed array as the device stores them: 4 per element, bool as u32. */
function deviceWords(dtype: KernelDType, data: ArrayLike<number>): Float32Array | Int32Array | Uint32Array {
  if (dtype === 'f32') return data instanceof Float32Array ? data : new Float32Array(data);
  if (dtype === 'i32') return data instanceof Int32Array ? data : new Int32Array(data);
  return Uint32Array.from(data, (v) => (v !== 0 ? 1 : 0));
}

function fromWords(dtype: KernelDType, bytes: ArrayBuffer, offset: number, n: number): Storage {
  if (dtype === 'f32') return new Float32Array(bytes.slice(offset, offset + 4 * n));
  if (dtype === 'i32') return new Int32Array(bytes.slice(offset, offset + 4 * n));
  return Uint8Array.from(new Uint32Array(bytes, offset, n));
}

export class WebGpuExecutable extends ProgramExecutable {
  readonly stats: WebGpuStats;
  private readonly device: GPUDevice;
  private readonly layout: WebGpuLayout;
  private readonly mem: GPUBuffer;
  private readonly flags: GPUBuffer;
  private readonly staging: GPUBuffer;
  /** Byte offset of each output in `staging`; the flags' copy follows the outputs. */
  private readonly stagingAt = new Map<string, number>();
  private readonly flagsAt: number;
  private readonly pipelines: { kernels: GPUComputePipeline[]; commit: GPUComputePipeline[] };
  private readonly bindGroup: GPUBindGroup;
  private readonly code: WebGpuCode;
  /** The last read-back value of each parameter, and which have changed on the device since. */
  private readonly host = new Map<string, Storage>();
  private readonly stale = new Set<string>();
  /** Copies from another program's buffer, recorded at the head of the next command encoder. */
  private readonly pendingCopies = new Map<string, { from: GPUBuffer; offset: number; bytes: number }>();
  private encoder: GPUCommandEncoder | undefined;
  /** Milliseconds from submit to outputs, as the last runs measured it. */
  private runEstimate = 0;
  private runsSeen = 0;

  private constructor(p: KernelProgram, code: WebGpuCode, made: Made, store: Map<string, Tensor> | undefined) {
    super(p, store);
    this.code = code;
    this.device = made.device;
    this.layout = made.layout;
    this.mem = made.mem;
    this.flags = made.flags;
    this.staging = made.staging;
    this.pipelines = made.pipelines;
    this.bindGroup = made.bindGroup;
    this.stats = made.stats;
    let at = 0;
    for (const o of p.outputs) {
      this.stagingAt.set(o.name, at);
      at += 4 * numelOf(p.buffers.find((b) => b.name === o.buffer)!.shape);
    }
    this.flagsAt = at;
  }

  /** Loads `artifact` on the device: buffers, pipelines, first parameter values. */
  static async create(artifact: { program: unknown; wgsl: unknown; weights?: Readonly<Record<string, Tensor>> }, options: WebGpuExecutableOptions = {}): Promise<WebGpuExecutable> {
    const p = parseProgram(artifact.program);
    const code = checkWebGpuCode(artifact.wgsl, p);
    const { device, adapter } = await webgpuDevice(options.gpu);
    checkDevice(device);
    const made = await makeResources(device, p, code, adapter);
    const exe = new WebGpuExecutable(p, code, made, options.paramStore);
    exe.initialize(artifact.weights, options.params ?? {});
    return exe;
  }

  private initialize(weights: Readonly<Record<string, Tensor>> | undefined, params: Readonly<Record<string, TensorLike>>): void {
    for (const b of this.program.buffers) if (b.role === 'const') this.write(b.name, b.dtype, b.data!);
    const given = this.checkValues(params, 'parameter');
    for (const s of this.paramSpecs) {
      if (this.store.has(s.name) && !given.has(s.name)) continue;
      const stored = weights && Object.hasOwn(weights, s.name) ? toTensor(weights[s.name]!, s, `weight '${s.name}'`) : undefined;
      const first = given.get(s.name) ?? stored;
      const host = copyAs(s.dtype, new Float32Array(numelOf(s.shape)));
      if (first) host.set(first.data);
      else initializeInto(this.program.params.find((x) => x.name === s.name)!.init, s.shape, host);
      this.store.set(s.name, { dtype: s.dtype, shape: [...s.shape], data: host });
    }
    this.syncParams();
  }

  private write(buffer: string, dtype: KernelDType, data: ArrayLike<number>): void {
    const words = deviceWords(dtype, data);
    this.device.queue.writeBuffer(this.mem, 4 * this.layout.words.get(buffer)!, words.buffer, words.byteOffset, words.byteLength);
  }

  /** A parameter's last read-back value; refused when the device has changed it since. */
  hostCopy(name: string): Storage {
    if (this.stale.has(name)) {
      throw new KilnRuntimeError(
        'runtime',
        `parameter '${name}' lives on the GPU and has changed since it was last read: await readParams() first (a Trainer: await trainer.readParams())`,
      );
    }
    return this.host.get(name)!;
  }

  /** Brings every parameter's device value in line with the store, and points the store at this program. */
  protected syncParams(): void {
    for (const s of this.paramSpecs) {
      const held = this.store.get(s.name);
      if (held instanceof DeviceParam && held.owner === this) continue;
      const dst = this.paramBuffer.get(s.name)!;
      if (held instanceof DeviceParam && held.owner.device === this.device) {
        // Another program on this device holds the live value: copy it across on the device.
        const bytes = 4 * numelOf(s.shape);
        this.pendingCopies.set(dst, { from: held.owner.mem, offset: 4 * held.owner.layout.words.get(held.owner.paramBuffer.get(s.name)!)!, bytes });
        if (held.owner.stale.has(s.name)) this.stale.add(s.name);
        else {
          this.host.set(s.name, copyAs(s.dtype, held.owner.host.get(s.name)!));
          this.stale.delete(s.name);
        }
      } else if (held) {
        const t = toTensor(held, s, `shared parameter '${s.name}'`);
        this.pendingCopies.delete(dst);
        this.write(dst, s.dtype, t.data);
        this.host.set(s.name, copyAs(s.dtype, t.data));
        this.stale.delete(s.name);
      }
      this.store.set(s.name, new DeviceParam(this, s.name, s.dtype, [...s.shape]));
    }
  }

  override params(): Record<string, Tensor> {
    this.syncParams();
    const out: Record<string, Tensor> = {};
    for (const s of this.paramSpecs) out[s.name] = { dtype: s.dtype, shape: [...s.shape], data: copyAs(s.dtype, this.hostCopy(s.name)) };
    return out;
  }

  override setParams(values: Readonly<Record<string, TensorLike>>): void {
    const checked = this.checkValues(values, 'parameter');
    this.syncParams();
    for (const [name, t] of checked) {
      const buffer = this.paramBuffer.get(name)!;
      this.pendingCopies.delete(buffer); // the value written now wins over a copy recorded earlier
      this.write(buffer, t.dtype, t.data);
      this.host.set(name, copyAs(t.dtype, t.data));
      this.stale.delete(name);
    }
  }

  /** Reads every parameter back from the device (after the runs before it). */
  override readParams(): Promise<Record<string, Tensor>> {
    return this.exclusive(async () => {
      checkDevice(this.device);
      this.syncParams();
      const bytes = 4 * this.layout.paramWords;
      if (bytes > 0 && this.stale.size > 0) {
        const staging = this.device.createBuffer({ size: bytes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
        const encoder = this.device.createCommandEncoder();
        this.recordPendingCopies(encoder);
        encoder.copyBufferToBuffer(this.mem, 0, staging, 0, bytes);
        this.submit(encoder);
        await this.mapped(staging, 'reading parameters back', (data) => {
          for (const s of this.paramSpecs) this.host.set(s.name, fromWords(s.dtype, data, 4 * this.layout.words.get(this.paramBuffer.get(s.name)!)!, numelOf(s.shape)));
        });
        staging.destroy();
        this.stale.clear();
      }
      return this.params();
    });
  }

  override inputBuffer(name: string): Storage {
    const spec = this.inputs.find((i) => i.name === name);
    if (!spec) return super.inputBuffer(name); // the unknown-input error
    let b = this.buffers.get(name);
    if (!b) this.buffers.set(name, (b = copyAs(spec.dtype, new Float32Array(numelOf(spec.shape)))));
    return b;
  }

  protected override upload(given: ReadonlyMap<string, Tensor>): void {
    checkDevice(this.device);
    for (const i of this.program.inputs) {
      const t = given.get(i.name);
      if (t) this.write(i.buffer, t.dtype, t.data);
    }
  }

  protected execute(): void {
    throw new Error('unreachable: dispatch records the schedule');
  }

  protected override dispatch(): void {
    const encoder = this.device.createCommandEncoder();
    this.recordPendingCopies(encoder);
    encoder.clearBuffer(this.flags);
    this.recordPass(encoder, this.pipelines.kernels, dispatchOrder(this.code.kernels));
    this.encoder = encoder;
  }

  private recordPendingCopies(encoder: GPUCommandEncoder): void {
    for (const [buffer, c] of this.pendingCopies) encoder.copyBufferToBuffer(c.from, c.offset, this.mem, 4 * this.layout.words.get(buffer)!, c.bytes);
    this.pendingCopies.clear();
  }

  private recordPass(encoder: GPUCommandEncoder, pipelines: readonly GPUComputePipeline[], kernels: WebGpuCode['kernels']): void {
    if (pipelines.length === 0) return;
    const pass = encoder.beginComputePass();
    pass.setBindGroup(0, this.bindGroup);
    pipelines.forEach((pipeline, i) => {
      const [x, y, z] = kernels[i]!.workgroups;
      if (x * y * z === 0) return;
      pass.setPipeline(pipeline);
      pass.dispatchWorkgroups(x, y, z);
    });
    pass.end();
  }

  private submit(encoder: GPUCommandEncoder): void {
    this.device.queue.submit([encoder.finish()]);
    this.stats.submits++;
  }

  protected override readback(names: readonly string[]): Promise<Record<string, Tensor>> {
    const encoder = this.encoder!;
    this.encoder = undefined;
    const counts = this.program.guard?.counts;
    for (const name of names) {
      const o = this.program.outputs.find((x) => x.name === name)!;
      const bytes = 4 * numelOf(this.outputs.find((x) => x.name === name)!.shape);
      if (bytes === 0) continue;
      const from = o.buffer === counts ? [this.flags, 4 * FLAG_COUNTS] : [this.mem, 4 * this.layout.words.get(o.buffer)!];
      encoder.copyBufferToBuffer(from[0] as GPUBuffer, from[1] as number, this.staging, this.stagingAt.get(name)!, bytes);
    }
    encoder.copyBufferToBuffer(this.flags, 0, this.staging, this.flagsAt, 4 * FLAG_COUNTS);
    this.recordPass(encoder, this.pipelines.commit, this.code.commit);
    const done = scoped(this.device, `running program '${this.program.name}'`, () => this.submit(encoder));
    for (const u of this.program.updates) this.stale.add(u.param);
    return this.finish(done, names);
  }

  /**
   * How long to let the device work before asking for the outputs: a little less than the last
   * run took. Waiting on a map makes the calling thread poll (Dawn's Node bindings do), and on a
   * software adapter (lavapipe) that thread takes a core from the driver's own: asking late made
   * the W2 step about 1.5x faster there. Runs too short for a timer are not paused.
   */
  private pauseBeforeMap(): number {
    return this.runEstimate >= MIN_PAUSE_MS ? PAUSE_SHARE * this.runEstimate : 0;
  }

  private recordWait(waited: number, pause: number): void {
    // The first run also compiles the shaders in the driver: not a measure of the next ones.
    if (this.runsSeen++ === 0) return;
    // Outputs ready as soon as the pause ended: the run took less, by how much is unknown; probe lower.
    this.runEstimate = pause > 0 && waited - pause < OVERSLEPT_MS ? PROBE_SHARE * this.runEstimate : waited;
  }

  private async finish(submitted: Promise<void>, names: readonly string[]): Promise<Record<string, Tensor>> {
    const started = performance.now();
    await submitted;
    const pause = this.pauseBeforeMap();
    if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    const result: Record<string, Tensor> = {};
    await this.mapped(this.staging, `reading the outputs of '${this.program.name}'`, (data) => {
      const flags = new Int32Array(data, this.flagsAt, FLAG_COUNTS);
      if (flags[0] === ERROR_CODES.gather) {
        throw new KilnRuntimeError('runtime', `gather: index ${flags[FLAG_VALUE]} is out of range for an axis of size ${flags[FLAG_LIMIT]}`);
      }
      for (const name of names) {
        const s = this.outputs.find((x) => x.name === name)!;
        result[name] = { dtype: s.dtype, shape: [...s.shape], data: fromWords(s.dtype, data, this.stagingAt.get(name)!, numelOf(s.shape)) };
      }
    });
    this.recordWait(performance.now() - started, pause);
    return result;
  }

  private async mapped(buffer: GPUBuffer, what: string, read: (data: ArrayBuffer) => void): Promise<void> {
    try {
      await buffer.mapAsync(MAP_READ);
    } catch (e) {
      checkDevice(this.device);
      throw new KilnRuntimeError('runtime', `WebGPU: ${what} failed: ${(e as Error).message}`);
    }
    try {
      read(buffer.getMappedRange());
    } finally {
      buffer.unmap();
    }
  }

  /** The device did the updates, in the commit step of the submitted work. */
  protected override applyUpdates(): void {}

  /** Frees the device buffers; the program cannot run afterwards. */
  dispose(): Promise<void> {
    return this.exclusive(() => {
      for (const b of [this.mem, this.flags, this.staging]) b.destroy();
      return Promise.resolve();
    });
  }
}

interface Made {
  device: GPUDevice;
  layout: WebGpuLayout;
  mem: GPUBuffer;
  flags: GPUBuffer;
  staging: GPUBuffer;
  pipelines: { kernels: GPUComputePipeline[]; commit: GPUComputePipeline[] };
  bindGroup: GPUBindGroup;
  stats: WebGpuStats;
}

/** The buffers, pipelines and bind group of a program, checked against the device's limits. */
async function makeResources(device: GPUDevice, p: KernelProgram, code: WebGpuCode, adapter: string): Promise<Made> {
  const layout = webgpuLayout(p);
  const memBytes = 4 * (layout.memWords + code.scratchWords);
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  if (memBytes > limit)
    throw new KilnRuntimeError('runtime', `WebGPU: program '${p.name}' needs ${memBytes} bytes of device memory in one buffer; this device binds at most ${limit}`);
  const outputBytes = p.outputs.reduce((n, o) => n + 4 * numelOf(p.buffers.find((b) => b.name === o.buffer)!.shape), 0);
  const started = performance.now();
  const { bindGroupLayout, kernels, commit } = await createPipelines(device, { ...code, kernels: dispatchOrder(code.kernels) });
  const pipelineMs = performance.now() - started;
  return scoped(device, `allocating ${memBytes} bytes for program '${p.name}'`, () => {
    const mem = device.createBuffer({ size: memBytes, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
    const flags = device.createBuffer({ size: 4 * layout.flagsWords, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
    const staging = device.createBuffer({ size: Math.ceil((outputBytes + 4 * FLAG_COUNTS) / 4) * 4, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    const bindGroup = device.createBindGroup({
      layout: bindGroupLayout,
      entries: [
        { binding: 0, resource: { buffer: mem } },
        { binding: 1, resource: { buffer: flags } },
      ],
    });
    const dispatches = [...dispatchOrder(code.kernels), ...code.commit].filter((k) => k.workgroups.every((n) => n > 0)).length;
    return { device, layout, mem, flags, staging, pipelines: { kernels, commit }, bindGroup, stats: { dispatchesPerRun: dispatches, submits: 0, pipelineMs, adapter } };
  });
}
