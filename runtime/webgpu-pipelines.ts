// The shaders of a WebGPU program: checked as untrusted data (they come from an artifact),
// compiled into pipelines once per device and shader text (programs of one model share most of
// their kernels), and a shader that fails to compile reported with its kernel and WGSL line.

import type { KernelProgram } from './kernel-ir.js';
import { isCount, isObject, show } from './program-validator.js';
import { KilnRuntimeError } from './tensor.js';
import { scoped } from './webgpu-device.js';
import type { WebGpuCode, WgslKernel } from './webgpu-layout.js';

const MAX_GROUPS = 65535;

function kernelList(raw: unknown, what: string, bad: (message: string) => never, nested = false): WgslKernel[] {
  if (!Array.isArray(raw)) bad(`${what} must be a list`);
  return raw.map((k: unknown, i) => {
    if (!isObject(k) || typeof k['name'] !== 'string' || typeof k['code'] !== 'string') bad(`${what}[${i}] must have a name and code`);
    const groups = k['workgroups'];
    if (!Array.isArray(groups) || groups.length !== 3 || !groups.every((n) => isCount(n) && n <= MAX_GROUPS))
      bad(`${what}[${i}].workgroups must be three counts up to ${MAX_GROUPS}, not ${show(groups)}`);
    const pre = k['pre'] === undefined || nested ? undefined : kernelList(k['pre'], `${what}[${i}].pre`, bad, true);
    if (nested && k['pre'] !== undefined) bad(`${what}[${i}] is a pass of another shader and may have none itself`);
    return { name: k['name'], code: k['code'], workgroups: groups as [number, number, number], ...(pre ? { pre } : {}) };
  });
}

/**
 * The code of a WebGPU artifact, checked: one shader per kernel of the program, then the commit
 * steps. A refusal starts with `at` (the code file of an artifact; default "webgpu code").
 */
export function checkWebGpuCode(raw: unknown, p: KernelProgram, at = 'webgpu code'): WebGpuCode {
  const bad = (message: string): never => {
    throw new KilnRuntimeError('artifact', `${at}: ${message}`);
  };
  if (!isObject(raw)) bad('must be an object');
  const code = raw as Record<string, unknown>;
  const kernels = kernelList(code['kernels'], 'kernels', bad);
  if (kernels.length !== p.kernels.length) bad(`has ${kernels.length} kernels for a program of ${p.kernels.length}`);
  const scratch = code['scratchWords'];
  if (!isCount(scratch)) bad(`scratchWords must be a count, not ${show(scratch)}`);
  return { kernels, commit: kernelList(code['commit'], 'commit', bad), scratchWords: scratch as number };
}

interface DeviceCache {
  bindGroupLayout: GPUBindGroupLayout;
  pipelineLayout: GPUPipelineLayout;
  pipelines: Map<string, Promise<GPUComputePipeline>>;
}
const caches = new WeakMap<GPUDevice, DeviceCache>();

function cacheOf(device: GPUDevice): DeviceCache {
  let cache = caches.get(device);
  if (!cache) {
    const storage = (binding: number): GPUBindGroupLayoutEntry => ({ binding, visibility: 0x4 /* COMPUTE */, buffer: { type: 'storage' } });
    const bindGroupLayout = device.createBindGroupLayout({ entries: [storage(0), storage(1)] });
    cache = { bindGroupLayout, pipelineLayout: device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] }), pipelines: new Map() };
    caches.set(device, cache);
  }
  return cache;
}

async function compileShader(device: GPUDevice, cache: DeviceCache, k: WgslKernel): Promise<GPUComputePipeline> {
  const module = device.createShaderModule({ code: k.code });
  const info = await module.getCompilationInfo();
  const error = info.messages.find((m) => m.type === 'error');
  if (error) {
    const line = k.code.split('\n')[error.lineNum - 1] ?? '';
    throw new KilnRuntimeError('runtime', `WebGPU: the WGSL of kernel '${k.name}' does not compile: line ${error.lineNum}:${error.linePos}: ${error.message}\n  ${line.trim()}`);
  }
  return scoped(device, `creating the pipeline of kernel '${k.name}'`, () =>
    device.createComputePipelineAsync({ layout: cache.pipelineLayout, compute: { module, entryPoint: 'main' } }),
  );
}

/** The pipelines of every shader, made concurrently and cached per device by shader text. */
export async function createPipelines(
  device: GPUDevice,
  code: WebGpuCode,
): Promise<{ bindGroupLayout: GPUBindGroupLayout; kernels: GPUComputePipeline[]; commit: GPUComputePipeline[] }> {
  const cache = cacheOf(device);
  const pipeline = (k: WgslKernel): Promise<GPUComputePipeline> => {
    let made = cache.pipelines.get(k.code);
    if (!made) {
      made = compileShader(device, cache, k);
      cache.pipelines.set(k.code, made);
      made.catch(() => cache.pipelines.delete(k.code));
    }
    return made;
  };
  const [kernels, commit] = await Promise.all([Promise.all(code.kernels.map(pipeline)), Promise.all(code.commit.map(pipeline))]);
  return { bindGroupLayout: cache.bindGroupLayout, kernels, commit };
}
