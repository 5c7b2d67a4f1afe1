// One kernel of the IR as one WGSL compute shader: a matmul as register tiles (matmul.ts), or
// staged in workgroup memory where the schedule says so (matmul-staged.ts); a reduction the
// schedule groups as a workgroup per point (reduce.ts); an elementwise kernel it upcasts as four
// points per invocation (upcast.ts); anything else as an invocation per output point (the space
// split over up to two dispatch dimensions), its reduction folded in a loop nest, every value of
// the point computed before any store (a guarded update's backup reads the old value), then the
// stores.
import type { Kernel, KernelDType } from '../../../runtime/kernel-ir.js';
import type { WebGpuLayout, WgslKernel } from '../../../runtime/webgpu-layout.js';
import { numelOf } from '../../../runtime/tensor.js';
import { ExprEmitter } from './expr.js';
import { fold, renderGroupReduce } from './reduce.js';
import { renderMatmul } from './matmul.js';
import { renderStagedMatmul } from './matmul-staged.js';
import { renderUpcast } from './upcast.js';
import { coordinates, groupsFor, shader, storePoint, workgroupSize } from './shader.js';

/** The kernel `index` of a program as a shader over the program's layout. */
export function renderKernel(k: Kernel, index: number, layout: WebGpuLayout, dtypeOf: (buffer: string) => KernelDType): WgslKernel {
  const special =
    renderStagedMatmul(k, index, layout, dtypeOf) ??
    renderMatmul(k, index, layout, dtypeOf) ??
    renderGroupReduce(k, index, layout, dtypeOf) ??
    renderUpcast(k, index, layout, dtypeOf);
  if (special) return special;
  const rank = k.shape.length;
  const sizes = [...k.shape, ...(k.reduce?.shape ?? [])];
  const e = new ExprEmitter({ offset: (b) => layout.words.get(b)!, sizes, shape: k.shape, kernel: index, acc: 'acc' });
  coordinates(e, k.shape);
  if (k.reduce) fold(e, k.reduce, rank);
  storePoint(e, k, layout, dtypeOf, 'pu');
  const points = numelOf(k.shape);
  const size = workgroupSize(k);
  return { name: k.name, code: shader(e.helpers, points, e.lines, size), workgroups: points === 0 ? [0, 1, 1] : groupsFor(points, size) };
}
