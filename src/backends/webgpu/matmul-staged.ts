// A matmul whose schedule stages its operands in workgroup memory (tile.stage = KB): a workgroup
// of 8 × 8 invocations computes a 32 × 32 block of outputs, each invocation a 4 × 4 tile; per
// pass of KB steps of k the workgroup first copies the block's KB columns of A and KB rows of B
// into workgroup memory (each value read from storage once per workgroup instead of once per
// invocation that needs it), meets at a barrier, then every invocation multiplies from there.
// Out-of-range rows, columns and steps read as 0; the epilogue runs per output, as in matmul.ts.

import type { Kernel, KernelDType } from '../../../runtime/kernel-ir.js';
import { numelOf } from '../../../runtime/tensor.js';
import type { WebGpuLayout, WgslKernel } from '../../../runtime/webgpu-layout.js';
import { ExprEmitter } from './expr.js';
import { helperText } from './functions.js';
import { batchBases, tileEpilogue, tiledOperands } from './matmul.js';
import { BINDINGS, groupsFor } from './shader.js';

/** Invocations per side of the workgroup, outputs per side of an invocation's tile, and per side of the block. */
const SIDE = 8;
const T = 4;
const BLOCK = SIDE * T;
const INVOCATIONS = SIDE * SIDE;

/** The kernel staged in workgroup memory, or undefined unless its schedule asks for 4 × 4 tiles with a stage of 4, 8 or 16 steps. */
export function renderStagedMatmul(k: Kernel, index: number, layout: WebGpuLayout, dtypeOf: (buffer: string) => KernelDType): WgslKernel | undefined {
  const ops = tiledOperands(k, layout);
  const KB = ops?.tile.stage;
  if (!ops || !KB || ops.tile.m !== T || ops.tile.n !== T || ![4, 8, 16].includes(KB)) return undefined;
  const { a, b, M, N, K } = ops;
  const rank = k.shape.length;
  const [MB, NB] = [Math.ceil(M / BLOCK), Math.ceil(N / BLOCK)];
  const batches = numelOf(k.shape.slice(0, rank - 2));
  const groups = batches * MB * NB;
  const e = new ExprEmitter({ offset: (buf) => layout.words.get(buf)!, sizes: [...k.shape, K], shape: k.shape, kernel: index, acc: 'acc' });
  // Every invocation reaches every barrier: one past the last block works on it and stores nothing.
  e.line(`let inside = wl < ${groups}u;`);
  e.line(`let w = min(wl, ${Math.max(groups, 1) - 1}u);`);
  e.line(`let bn = w % ${NB}u;`);
  e.line(`let bm = (w / ${NB}u) % ${MB}u;`);
  e.line(`let bt = i32(w / ${NB * MB}u);`);
  batchBases(e, k, a, b);
  e.line(`let ai = bm * ${BLOCK}u + (lid.x / ${SIDE}u) * ${T}u;`);
  e.line(`let bi = bn * ${BLOCK}u + (lid.x % ${SIDE}u) * ${T}u;`);
  for (let r = 0; r < T; r++) e.line(`var c${r} = vec4<f32>(0.0);`);
  const copies = (BLOCK * KB) / INVOCATIONS;
  e.block(`for (var k0 = 0u; k0 < ${K}u; k0 = k0 + ${KB}u)`, () => {
    for (let t = 0; t < copies; t++) {
      // A's block is [row][kk], B's [kk][column], one value each per invocation per copy.
      e.line(`let ia${t} = lid.x + ${t * INVOCATIONS}u;`);
      e.line(`let ra${t} = bm * ${BLOCK}u + ia${t} / ${KB}u;`);
      e.line(`let ka${t} = k0 + ia${t} % ${KB}u;`);
      e.line(`sa[ia${t}] = select(0.0, bitcast<f32>(ld(a_base + min(ra${t}, ${M - 1}u) * ${a.own}u + min(ka${t}, ${K - 1}u) * ${a.k}u)), ra${t} < ${M}u && ka${t} < ${K}u);`);
      e.line(`let kb${t} = k0 + ia${t} / ${BLOCK}u;`);
      e.line(`let cb${t} = bn * ${BLOCK}u + ia${t} % ${BLOCK}u;`);
      e.line(`sb[ia${t}] = select(0.0, bitcast<f32>(ld(b_base + min(cb${t}, ${N - 1}u) * ${b.own}u + min(kb${t}, ${K - 1}u) * ${b.k}u)), cb${t} < ${N}u && kb${t} < ${K}u);`);
    }
    e.line('workgroupBarrier();');
    e.line(`let ar = (lid.x / ${SIDE}u) * ${T * KB}u;`);
    e.line(`let bc = (lid.x % ${SIDE}u) * ${T}u;`);
    for (let kk = 0; kk < KB; kk++) {
      e.line(`let b${kk} = vec4<f32>(sb[${kk * BLOCK}u + bc], sb[${kk * BLOCK + 1}u + bc], sb[${kk * BLOCK + 2}u + bc], sb[${kk * BLOCK + 3}u + bc]);`);
      for (let r = 0; r < T; r++) e.line(`c${r} = c${r} + sa[ar + ${r * KB + kk}u] * b${kk};`);
    }
    e.line('workgroupBarrier();');
  });
  tileEpilogue(e, k, layout, dtypeOf, { M, N, rows: T, cols: T }, (r, c) => `c${r}[${c}]`, 'inside && ');
  const code = [
    BINDINGS,
    `var<workgroup> sa: array<f32, ${BLOCK * KB}>;`,
    `var<workgroup> sb: array<f32, ${BLOCK * KB}>;`,
    helperText(e.helpers),
    '',
    `@compute @workgroup_size(${INVOCATIONS})`,
    'fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) n: vec3u) {',
    '  let wl = wid.x + wid.y * n.x;',
    ...e.lines,
    '}',
    '',
  ].join('\n');
  return { name: k.name, code, workgroups: groups === 0 ? [0, 1, 1] : groupsFor(groups, 1) };
}
