// Getting a WebGPU device, once per GPU object: every program compiled for the same GPU shares
// its device, so parameters move between programs (a Trainer's step and its evaluation) by a
// copy on the device. The GPU is the one given, else the page's navigator.gpu, else in Node the
// `webgpu` package's (Dawn), loaded only here and only when asked for.

import { KilnRuntimeError } from './tensor.js';

/** GPUBufferUsage and GPUMapMode bits, spelled here so no global from the WebGPU implementation is needed. */
export const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, STORAGE: 0x80 } as const;
export const MAP_READ = 0x1;

export interface WebGpuDevice {
  device: GPUDevice;
  /** The adapter, in words (for reports). */
  adapter: string;
}

let defaultGpu: Promise<GPU> | undefined;
const devices = new Map<GPU, Promise<WebGpuDevice>>();
const lost = new WeakMap<GPUDevice, string>();

async function findGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const name = 'webgpu'; // Dawn's Node bindings; a variable keeps bundlers from pulling it into pages
  try {
    const dawn = (await import(name)) as { create(flags: string[]): GPU };
    return dawn.create([]);
  } catch (e) {
    throw new KilnRuntimeError('runtime', `WebGPU: no navigator.gpu here, and the 'webgpu' package (Dawn for Node) did not load: ${(e as Error).message}`);
  }
}

async function openDevice(gpu: GPU): Promise<WebGpuDevice> {
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new KilnRuntimeError('runtime', 'WebGPU: no adapter (no GPU, or no driver: on Linux without a GPU, Mesa 25 lavapipe provides one)');
  const { maxStorageBufferBindingSize, maxBufferSize, maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup } = adapter.limits;
  const device = await adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize, maxBufferSize, maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup } });
  void device.lost.then((info) => lost.set(device, `${info.reason}: ${info.message}`));
  const info = adapter.info;
  const words = [info.description, info.vendor, info.architecture].filter((s) => s).join(', ');
  return { device, adapter: words || 'unknown adapter' };
}

/** The shared device of `gpu` (default: navigator.gpu, or Dawn in Node). */
export async function webgpuDevice(gpu?: GPU): Promise<WebGpuDevice> {
  const g = gpu ?? (await (defaultGpu ??= findGpu()));
  let opened = devices.get(g);
  // A lost device serves nothing more: the next program gets a new one.
  if (opened && lost.has((await opened.catch(() => undefined))?.device as GPUDevice)) opened = undefined;
  if (!opened) {
    opened = openDevice(g);
    devices.set(g, opened);
    opened.catch(() => devices.delete(g)); // a later call may try again
  }
  return opened;
}

/** Throws when the device is gone: every later use would fail or hang. */
export function checkDevice(device: GPUDevice): void {
  const reason = lost.get(device);
  if (reason !== undefined) throw new KilnRuntimeError('runtime', `WebGPU: the device was lost (${reason}); compile the program again`);
}

/**
 * Calls `work` inside validation and out-of-memory error scopes; an error they capture becomes a
 * KilnRuntimeError naming `what`. The scopes close as soon as `work` returns (error scopes are a
 * stack, so they must not stay open across an await); a promise it returns is awaited after.
 */
export async function scoped<T>(device: GPUDevice, what: string, work: () => T): Promise<Awaited<T>> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let thrown: unknown;
  try {
    result = work();
  } catch (e) {
    thrown = e;
  }
  const validation = device.popErrorScope();
  const memory = device.popErrorScope();
  const [v, m] = await Promise.all([validation, memory]);
  if (m) throw new KilnRuntimeError('runtime', `WebGPU: out of device memory ${what}: ${m.message}`);
  if (v) throw new KilnRuntimeError('runtime', `WebGPU: ${what} failed validation: ${v.message}`);
  if (thrown !== undefined) throw thrown instanceof Error ? thrown : new Error(`${what} failed`);
  try {
    return await (result as T);
  } catch (e) {
    if (e instanceof KilnRuntimeError) throw e;
    throw new KilnRuntimeError('runtime', `WebGPU: ${what} failed: ${(e as Error).message}`);
  }
}
