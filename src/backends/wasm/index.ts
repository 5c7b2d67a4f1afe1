// The Wasm backend: a kernel program compiled to one WebAssembly module (binaryen, loaded only here, on first use) and run by runtime/wasm.ts.

import type { KernelProgram } from '../../../runtime/kernel-ir.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { WasmExecutable } from '../../../runtime/wasm.js';
import { generateWasm } from './codegen.js';

/** The module's bytes for a program: validated and optimized by binaryen. */
export async function compileWasm(program: KernelProgram): Promise<Uint8Array> {
  return generateWasm(program);
}

/** compile()'s path for backend 'wasm': the program's module, instantiated with the given parameter store. */
export async function wasmExecutable(program: KernelProgram, paramStore?: Map<string, Tensor>): Promise<WasmExecutable> {
  const wasm = await compileWasm(program);
  return new WasmExecutable({ program, wasm }, paramStore ? { paramStore } : {});
}
