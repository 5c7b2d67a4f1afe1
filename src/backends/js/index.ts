// The JS backend: the kernel program itself is the code, executed by the runtime's kernel
// interpreter (runtime/kernel-executable.ts); nothing is generated.

import { KernelExecutable } from '../../../runtime/kernel-executable.js';
import type { KernelProgram } from '../../../runtime/kernel-ir.js';
import type { Tensor } from '../../../runtime/tensor.js';

/** compile()'s path for backend 'js': the program's interpreter over the given parameter store. */
export function jsExecutable(program: KernelProgram, options: { paramStore?: Map<string, Tensor> } = {}): KernelExecutable {
  return new KernelExecutable({ program }, options.paramStore ? { paramStore: options.paramStore } : {});
}
