// The Wasm backend: a kernel program compiled to one WebAssembly module (binaryen, loaded only here, on first use) and run by runtime/wasm.ts.

import type { KernelProgram } from '../../../runtime/kernel-ir.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { WasmExecutable, threadsAvailable } from '../../../runtime/wasm.js';
import { generateWasm } from './codegen.js';

/** The module's bytes for a program, as an artifact holds them: validated and optimized by binaryen, threaded when `threads` > 1, recording the program's digest. */
export async function compileWasm(program: KernelProgram, threads = 1): Promise<Uint8Array> {
  return generateWasm(program, { threads, digest: true });
}

/** compile()'s path for backend 'wasm': the program's module, instantiated with the given parameter store. */
export async function wasmExecutable(program: KernelProgram, options: { paramStore?: Map<string, Tensor>; threads?: number } = {}): Promise<WasmExecutable> {
  // Without worker threads or shared memory here, the program runs on this thread alone.
  const threads = (options.threads ?? 1) > 1 && !(await threadsAvailable()) ? 1 : (options.threads ?? 1);
  // Compiled here and run from memory, the module is matched to no manifest: no digest to compute.
  const wasm = await generateWasm(program, { threads });
  return new WasmExecutable({ program, wasm }, options.paramStore ? { paramStore: options.paramStore } : {});
}
