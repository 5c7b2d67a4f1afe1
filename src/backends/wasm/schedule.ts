// The Wasm target's scheduling step: for each kernel, what the code generator renders (the
// register-tiled matmul, four points or four reduction steps at a time, or scalar loops) and
// whether threads share it out, chosen from the kernel and the module's memory layout alone. The
// renderer (kernel.ts, codegen.ts) follows the schedule; the number of threads is the module's.

import { dependsOnData, forEachLoad } from '../../../runtime/kernel-analysis.js';
import type { Kernel, KernelProgram, KernelSchedule } from '../../../runtime/kernel-ir.js';
import { numelOf } from '../../../runtime/tensor.js';
import { wasmLayout, type WasmLayout } from '../../../runtime/wasm.js';
import { MR, NR, matmulPlan, type MatmulPlan } from './matmul.js';
import { LANES, vectorizable, type VectorMode } from './simd.js';

/** Points (times reduction steps) below which a kernel is not worth sharing among threads. */
export const MIN_SPLIT_WORK = 16384;

/** Whether any load's index is read from data (gather): its range error must come from thread 0, which reports it. */
export function readsByData(k: Kernel): boolean {
  let found = false;
  forEachLoad(k, (_, index) => (found ||= dependsOnData(index)));
  return found;
}

/**
 * Which output axis threads share out: a matmul's rows, in row tiles, only where there are two
 * tiles or more (each thread packs its own panels of B, so it needs a tile of its own to gain);
 * otherwise the first axis longer than 1. None for small kernels, or those that read by data.
 */
function parallelOf(k: Kernel, plan: MatmulPlan | undefined, minSplitWork: number): KernelSchedule['parallel'] {
  if (readsByData(k) || numelOf([...k.shape, ...(k.reduce?.shape ?? [])]) < minSplitWork) return undefined;
  const rank = k.shape.length;
  if (plan) {
    const tiles = Math.floor(k.shape[rank - 2]! / plan.rows);
    return tiles >= 2 ? { axis: rank - 2, maxShares: tiles } : undefined;
  }
  const axis = k.shape.findIndex((n) => n > 1);
  return axis >= 0 ? { axis } : undefined;
}

/** The schedule of one kernel of `p`, whose buffers `layout` places. */
export function wasmKernelSchedule(p: KernelProgram, layout: WasmLayout, k: Kernel, minSplitWork = MIN_SPLIT_WORK): KernelSchedule {
  const plan = matmulPlan(p, layout, k);
  const lanes = (mode: VectorMode): 1 | 4 => (vectorizable(p, layout, k, mode) ? LANES : 1);
  // A tiled matmul stores four columns at a time where its stores have a vector form; a
  // reduction computes four output points at a time, each folding its own, else four steps of one fold.
  const upcast = lanes(plan ? 'epilogue' : k.reduce ? 'reduction' : 'elementwise');
  const reduceUpcast = !plan && k.reduce && upcast === 1 ? lanes('row') : 1;
  const parallel = parallelOf(k, plan, minSplitWork);
  return { ...(parallel ? { parallel } : {}), upcast, reduceUpcast, reduceGroup: 1, ...(plan ? { tile: { m: MR, n: NR } } : {}) };
}

/** Every kernel's schedule for the Wasm backend. */
export function wasmSchedules(p: KernelProgram, minSplitWork = MIN_SPLIT_WORK): KernelSchedule[] {
  const layout = wasmLayout(p);
  return p.kernels.map((k) => wasmKernelSchedule(p, layout, k, minSplitWork));
}
