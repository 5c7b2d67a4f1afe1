// The WebGPU backend: a kernel program rendered to WGSL, one compute shader per kernel (kernel.ts)
// plus the commit step below, and run by runtime/webgpu.ts with every buffer on the device.

import type { KernelProgram } from '../../../runtime/kernel-ir.js';
import type { Tensor } from '../../../runtime/tensor.js';
import { WebGpuExecutable } from '../../../runtime/webgpu.js';
import { FLAG_COUNTS, FLAG_ERROR, webgpuLayout, type WebGpuCode, type WebGpuLayout, type WgslKernel } from '../../../runtime/webgpu-layout.js';
import { numelOf } from '../../../runtime/tensor.js';
import { renderKernel } from './kernel.js';
import { reduceScratchWords } from './reduce.js';
import { groupsFor, shader } from './shader.js';

/** A copy of `words` words inside `mem`, made when `when` holds. */
interface Segment {
  dst: number;
  src: number;
  words: number;
  when: 'ok' | 'refused' | 'always';
}

/** Invocations of a copy shader: each copies every this-many-th word, so a commit with nothing to do costs few of them. */
const COPY_INVOCATIONS = 4096;

/** One shader copying every segment, invocation i taking words i, i + stride, ... of their concatenation. */
function copyShader(name: string, segments: readonly Segment[], ok: string): WgslKernel {
  const total = segments.reduce((n, s) => n + s.words, 0);
  const threads = Math.min(total, COPY_INVOCATIONS);
  const body = [`  let ok = ${ok};`];
  // Where the outcome leaves nothing to copy, every invocation stops here.
  if (!segments.some((s) => s.when !== 'refused')) body.push('  if (ok) { return; }');
  if (!segments.some((s) => s.when !== 'ok')) body.push('  if (!ok) { return; }');
  body.push(`  for (var w = pu; w < ${total}u; w = w + ${threads}u) {`, '    var i = w;');
  for (const s of segments) {
    const copy = `st(${s.dst}u + i, ld(${s.src}u + i));`;
    const guarded = s.when === 'always' ? copy : `if (${s.when === 'ok' ? 'ok' : '!ok'}) { ${copy} }`;
    body.push(`    if (i < ${s.words}u) { ${guarded} continue; }`, `    i = i - ${s.words}u;`);
  }
  body.push('  }');
  return { name, code: shader(new Set(), threads, body), workgroups: groupsFor(threads) };
}

/**
 * The updates not written in place, and a guarded program's undo: copies inside `mem`, made only
 * when no kernel recorded an error and (guarded) every count is 0; otherwise the backups go back.
 * A source that is itself a parameter is first staged in scratch, so that swaps read old values.
 */
function renderCommit(p: KernelProgram, layout: WebGpuLayout): { kernels: WgslKernel[]; scratchWords: number } {
  const at = (buffer: string): number => layout.words.get(buffer)!;
  const paramOf = new Map(p.params.map((x) => [x.name, x.buffer]));
  const paramBuffers = new Set(paramOf.values());
  const sizeOf = (buffer: string): number => numelOf(p.buffers.find((b) => b.name === buffer)!.shape);
  const staged: Segment[] = [];
  const commit: Segment[] = [];
  let scratch = 0;
  for (const u of p.updates) {
    const param = paramOf.get(u.param)!;
    const words = sizeOf(param);
    if (u.buffer === param) continue;
    let src = at(u.buffer);
    if (paramBuffers.has(u.buffer)) {
      staged.push({ dst: layout.memWords + scratch, src, words, when: 'always' });
      src = layout.memWords + scratch;
      scratch += Math.ceil(words / 4) * 4;
    }
    commit.push({ dst: at(param), src, words, when: 'ok' });
  }
  for (const b of p.guard?.backups ?? []) commit.push({ dst: at(paramOf.get(b.param)!), src: at(b.buffer), words: sizeOf(b.buffer), when: 'refused' });
  const checks = [`atomicLoad(&flags[${FLAG_ERROR}]) == 0u`, ...(p.guard ? p.updates.map((_, i) => `atomicLoad(&flags[${FLAG_COUNTS + i}]) == 0u`) : [])];
  const kernels: WgslKernel[] = [];
  if (staged.length > 0) kernels.push(copyShader('stage-updates', staged, 'true'));
  if (commit.length > 0) kernels.push(copyShader('commit-updates', commit, checks.join(' && ')));
  return { kernels, scratchWords: scratch };
}

/** The program as WGSL over its device layout. */
export function renderWgsl(p: KernelProgram): WebGpuCode {
  const layout = webgpuLayout(p);
  const dtypeOf = (buffer: string) => p.buffers.find((b) => b.name === buffer)!.dtype;
  const kernels = p.kernels.map((k, i) => renderKernel(k, i, layout, dtypeOf));
  const commit = renderCommit(p, layout);
  // Scratch is used by one kernel (a split reduction's passes) or the commit at a time: the largest need.
  const scratchWords = Math.max(commit.scratchWords, ...p.kernels.map(reduceScratchWords));
  return { kernels, commit: commit.kernels, scratchWords: Math.ceil(scratchWords / 4) * 4 };
}

/** compile()'s path for backend 'webgpu': the program's shaders, their pipelines built on the device. */
export async function webgpuExecutable(program: KernelProgram, options: { paramStore?: Map<string, Tensor>; gpu?: GPU } = {}): Promise<WebGpuExecutable> {
  return WebGpuExecutable.create({ program, wgsl: renderWgsl(program) }, options);
}
