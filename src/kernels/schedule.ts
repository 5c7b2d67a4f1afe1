// The scheduling step: one per target, it chooses how each kernel is rendered (how the output
// space is shared out, vector widths, a matmul's register tile, threads per reduction, workgroup
// sizes) from the kernel and the device's limits, and records it on the kernel as plain data
// (KernelSchedule, runtime/kernel-ir.ts) for the target's renderer to follow. Wasm's choices are
// its code generator's own rules (src/backends/wasm/schedule.ts); WebGPU's are chosen here.

import { dependsOnData, forEachLoad, linearize } from '../../runtime/kernel-analysis.js';
import type { Kernel, KernelProgram, KernelSchedule } from '../../runtime/kernel-ir.js';
import { numelOf } from '../../runtime/tensor.js';
import { wasmSchedules } from '../backends/wasm/schedule.js';

export type { KernelSchedule };

export type ScheduleTarget = 'wasm' | 'webgpu';
export const SCHEDULE_TARGETS: readonly ScheduleTarget[] = ['wasm', 'webgpu'];

export interface DeviceLimits {
  /** wasm: the least work (points times reduction steps) worth sharing among threads (default 16384). */
  minSplitWork?: number;
  /** webgpu: invocations in one workgroup at most (default 256, what every WebGPU device allows). */
  maxComputeInvocationsPerWorkgroup?: number;
  /** webgpu: bytes of workgroup memory at most (default 16384, what every WebGPU device allows). */
  maxComputeWorkgroupStorageSize?: number;
}

/** The program with every kernel's schedule for `target` set (any schedule it had is replaced). */
export function scheduleProgram(p: KernelProgram, target: ScheduleTarget, limits: DeviceLimits = {}): KernelProgram {
  const schedules = target === 'wasm' ? wasmSchedules(p, limits.minSplitWork) : p.kernels.map((k) => webgpuSchedule(k, limits));
  return { ...p, kernels: p.kernels.map((k, i) => ({ ...k, schedule: schedules[i]! })) };
}

// ---- webgpu --------------------------------------------------------------------------------

/** Invocations of an elementwise kernel's workgroup (one point, or one vector of points, each). */
const ELEMENTWISE_WORKGROUP = 64;
/** A reduction at least this long is folded by a workgroup together, one workgroup per output point. */
const GROUP_REDUCE_MIN = 256;
/** From this length on the group is the largest (256 threads) rather than 64. */
const LARGE_REDUCE = 4096;
/** Fewer output points than this, each with a long reduction, split their reductions over workgroups. */
const SPLIT_POINTS = 64;
/** Terms each invocation of a split reduction folds, at least; and the most workgroups per point. */
const SPLIT_CHUNK = 16;
const MAX_SPLIT = 256;
/** A matmul's outputs per invocation: rows by columns. */
const MATMUL_TILE = { m: 4, n: 4 };
const VEC = 4;

const largestPowerOfTwo = (n: number): number => 2 ** Math.floor(Math.log2(Math.max(1, n)));

/**
 * Whether four consecutive points along the last axis can be one vec4: the axis a multiple of 4
 * long, and every load at the point or else stepping by 1 along the last axis from a multiple of 4
 * (one aligned vec4), or not moving along it (a splat).
 */
function vec4Aligned(k: Kernel): boolean {
  const rank = k.shape.length;
  if (rank === 0 || k.shape[rank - 1]! % VEC !== 0) return false;
  let ok = true;
  forEachLoad(k, (_, index) => {
    const l = dependsOnData(index) ? undefined : linearize(index, k.shape);
    if (!l) return void (ok = false);
    const along = l.terms.find((t) => t.axis === rank - 1)?.coeff ?? 0;
    const aligned = l.constant % VEC === 0 && l.terms.every((t) => t.axis === rank - 1 || t.coeff % VEC === 0);
    ok &&= along === 0 || (along === 1 && aligned);
  });
  return ok;
}

/** A sum over one axis of a product of two f32 loads, with rows and columns: what a tiled matmul renders. */
function isMatmul(k: Kernel): boolean {
  const r = k.reduce;
  const v = r?.value;
  return (
    k.pattern === 'matmul' &&
    k.shape.length >= 2 &&
    r?.op === 'sum' &&
    r.shape.length === 1 &&
    v?.k === 'binary' &&
    v.fn === 'mul' &&
    v.dtype === 'f32' &&
    v.a.k === 'load' &&
    v.b.k === 'load'
  );
}

/** The WebGPU schedule of one kernel: every output point is parallel, so workgroups share out the whole space. */
export function webgpuSchedule(k: Kernel, limits: DeviceLimits = {}): KernelSchedule {
  const invocations = largestPowerOfTwo(limits.maxComputeInvocationsPerWorkgroup ?? 256);
  const storage = limits.maxComputeWorkgroupStorageSize ?? 16384;
  const parallel = k.shape.length > 0 ? { parallel: { axis: 0 } } : {};
  if (isMatmul(k)) {
    // Each invocation a 4×4 register tile, its operands read straight from storage (as vec4s
    // where they are contiguous); 64 invocations per workgroup. Staging blocks in workgroup
    // memory (tile.stage) is rendered too, but on a software adapter (lavapipe) it measured 3x
    // slower at N = 1024 (barriers, scalar reads of workgroup memory), so it is not chosen here.
    return { ...parallel, upcast: 1, reduceUpcast: 1, reduceGroup: 1, tile: { ...MATMUL_TILE }, workgroup: [Math.min(ELEMENTWISE_WORKGROUP, invocations)] };
  }
  if (k.reduce) {
    // A tree reduction keeps a value (and for argmax an index) per thread in workgroup memory.
    const extent = numelOf(k.reduce.shape);
    const bytes = k.reduce.op === 'argmax' ? 8 : 4;
    const wanted = extent >= LARGE_REDUCE ? 256 : 64;
    const group = extent >= GROUP_REDUCE_MIN ? Math.min(wanted, invocations, largestPowerOfTwo(storage / bytes)) : 1;
    // Few points with long reductions would leave most of the device idle: split each point's
    // reduction over several workgroups (chunks of SPLIT_CHUNK terms per invocation) and fold
    // their results in a second pass.
    const points = numelOf(k.shape);
    const split = group > 1 && points < SPLIT_POINTS ? Math.min(MAX_SPLIT, Math.floor(extent / (group * SPLIT_CHUNK))) : 1;
    return {
      ...parallel,
      upcast: 1,
      reduceUpcast: 1,
      reduceGroup: group,
      ...(split > 1 ? { reduceSplit: split } : {}),
      workgroup: [group > 1 ? group : Math.min(ELEMENTWISE_WORKGROUP, invocations)],
    };
  }
  return { ...parallel, upcast: vec4Aligned(k) ? VEC : 1, reduceUpcast: 1, reduceGroup: 1, workgroup: [Math.min(ELEMENTWISE_WORKGROUP, invocations)] };
}
