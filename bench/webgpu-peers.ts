// The WebGPU comparison's setup: Dawn's Node bindings (the `webgpu` package) as navigator.gpu, so
// that TensorFlow.js's webgpu backend and jax-js's webgpu device find the adapter a browser would
// give them, and the two set up on it. Their runners are bench/peers.ts's, on these backends.

import * as tf from '@tensorflow/tfjs';
import { create, globals } from 'webgpu';
import { defaultDevice, getWebGPUDevice, init as initJax } from '@jax-js/jax';
import type { TfSide } from './peers.js';

export const TFJS_WEBGPU = 'tfjs-webgpu';
export const JAX_WEBGPU = 'jax-js-webgpu';

/** tfjs-webgpu reads a tensor back asynchronously (dataSync would block on a mapped buffer). */
export const TF_WEBGPU: TfSide = { library: TFJS_WEBGPU, how: 'await data()', read: (t) => t.data() };

/** Dawn's instance, made navigator.gpu (Node 20 has no navigator; later Nodes have one without gpu). */
export function installNavigatorGpu(): GPU {
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const g = globalThis as { navigator?: object };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js/${process.version}` }, configurable: true, writable: true });
  return gpu;
}

/** The adapter's name as Dawn reports it, e.g. 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)'. */
export function adapterName(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const name = info.description || [info.vendor, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return info.architecture ? `${name} (${info.vendor || '?'}, ${info.architecture})` : name;
}

/** The adapter navigator.gpu gives (the one every library asks for); throws where there is none. */
export async function sharedAdapter(gpu: GPU): Promise<string> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no WebGPU adapter (install Mesa 25 with scripts/setup-webgpu.sh)');
  return adapterName(adapter.info);
}

/** tfjs's webgpu backend, registered only once navigator.gpu exists (hence the late import). */
export async function initTfjsWebGpu(): Promise<string> {
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: the webgpu backend did not initialize');
  const info = (tf.backend() as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
  const cpuForward = tf.env().getBool('WEBGPU_CPU_FORWARD');
  return `backend webgpu, adapter ${info ? `${info.vendor ?? '?'} ${info.architecture ?? '?'}` : '?'}; WEBGPU_CPU_FORWARD ${cpuForward} (its default: small ops on host-resident inputs run on the CPU)`;
}

export async function initJaxWebGpu(): Promise<string> {
  const devices = await initJax('webgpu');
  if (!devices.includes('webgpu')) throw new Error(`jax-js: no webgpu device (have ${devices.join(', ')})`);
  defaultDevice('webgpu');
  return `device webgpu, jit, adapter ${adapterName(getWebGPUDevice().adapterInfo)}`;
}
