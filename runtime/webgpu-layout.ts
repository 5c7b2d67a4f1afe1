// What the WGSL renderer (src/backends/webgpu) and the WebGPU executor (runtime/webgpu.ts) agree
// on: where every buffer of a kernel program lives on the device, and the shape of the code.
//
// Every shader binds the same two storage buffers:
//   @binding(0) mem:   array<vec4<u32>>     every buffer of the program, 4 bytes (a word) per
//                                           element (f32 and i32 as their bits, bool as 0u/1u);
//                                           vec4s so aligned runs move 16 bytes at once
//   @binding(1) flags: array<atomic<u32>>   the error record, then the guard's counts
// so one bind group and one pipeline layout serve every kernel, and a buffer's place is a
// constant word offset the renderer bakes into the code (as the Wasm renderer bakes addresses).
// Parameters come first, packed, so that reading them all back is one copy; each region starts
// at a multiple of 256 bytes (minStorageBufferOffsetAlignment), so any of them may be bound alone.

import type { KernelProgram } from './kernel-ir.js';
import { numelOf } from './tensor.js';

/** Words (4 bytes) per 256-byte alignment step. */
export const REGION_WORDS = 64;

/** The error record at the head of `flags`: a kernel that finds bad data sets it once (the first to get there wins). */
export const FLAG_ERROR = 0; // 0: none; one of ERROR_CODES
export const FLAG_KERNEL = 1; // the index of the kernel that set it
export const FLAG_VALUE = 2; // the offending value (i32 bits)
export const FLAG_LIMIT = 3; // the size it had to be below
/** The guard's counts start here: count i at flags[FLAG_COUNTS + i]. */
export const FLAG_COUNTS = 4;

/** The errors a kernel reports through `flags`. */
export const ERROR_CODES = { gather: 1 } as const;

export interface WebGpuLayout {
  /** Word offset in `mem` of every buffer (the guard's counts live in `flags` instead). */
  words: Map<string, number>;
  /** Words of the parameter block at the head of `mem`. */
  paramWords: number;
  /** Words of `mem` the program's buffers use; a renderer's scratch space follows. */
  memWords: number;
  /** Words of `flags`: the error record and the counts. */
  flagsWords: number;
}

const alignWords = (words: number): number => Math.ceil(words / REGION_WORDS) * REGION_WORDS;

/** The device layout of a program: parameters, then the temps' arena (at its planned offsets), then inputs, outputs and constants. */
export function webgpuLayout(p: KernelProgram): WebGpuLayout {
  const words = new Map<string, number>();
  let end = 0;
  const place = (name: string, shape: readonly number[]): void => {
    words.set(name, end);
    end = alignWords(end + Math.max(1, numelOf(shape)));
  };
  for (const b of p.buffers) if (b.role === 'param') place(b.name, b.shape);
  const paramWords = end;
  const arena = end;
  for (const b of p.buffers) if (b.role === 'temp') words.set(b.name, arena + b.offset! / 4);
  end = alignWords(arena + Math.ceil(p.arenaBytes / 4));
  const counts = p.guard?.counts;
  for (const b of p.buffers) if (b.role !== 'param' && b.role !== 'temp' && b.name !== counts) place(b.name, b.shape);
  return { words, paramWords, memWords: Math.max(end, REGION_WORDS), flagsWords: alignWords(FLAG_COUNTS + p.updates.length) };
}

/** One compute shader: a kernel of the program, or a step the renderer adds (a pass of a long reduction, the updates). */
export interface WgslKernel {
  /** The program's kernel it computes (for messages), or the step's own name. */
  name: string;
  /** A WGSL module with one entry point, `main`, binding `mem` and `flags` as above. */
  code: string;
  /** dispatchWorkgroups(x, y, z). */
  workgroups: [number, number, number];
  /** Shaders dispatched just before this one (the first pass of a split reduction). */
  pre?: WgslKernel[];
}

/** The shaders of `kernels` in dispatch order: each one's passes before it. */
export function dispatchOrder(kernels: readonly WgslKernel[]): WgslKernel[] {
  return kernels.flatMap((k) => [...(k.pre ?? []), k]);
}

/** A program rendered to WGSL: what a WebGPU artifact stores besides the program and weights. */
export interface WebGpuCode {
  /** The schedule, in order; one command encoder records them all. */
  kernels: WgslKernel[];
  /**
   * Run after the outputs are copied out: the parameter updates that are not written in place
   * (and, in a guarded program, the decision to keep or undo them), so an output that names a
   * parameter shows the value this run used.
   */
  commit: WgslKernel[];
  /** Words of scratch the kernels use after the program's buffers (at word `memWords`). */
  scratchWords: number;
}
