// One kernel of the IR as one WGSL compute shader: an invocation per output point (the space
// split over up to two dispatch dimensions), its reduction folded in a loop nest, every value
// of the point computed before any store (a guarded update's backup reads the old value), then
// the stores, each counting its non-finite values into `flags` when the guard asks.

import type { Kernel, KernelDType, KernelStore } from '../../../runtime/kernel-ir.js';
import { FLAG_COUNTS, type WebGpuLayout, type WgslKernel } from '../../../runtime/webgpu-layout.js';
import { numelOf } from '../../../runtime/tensor.js';
import { ExprEmitter } from './expr.js';
import { helperText } from './functions.js';
import { fold, renderGroupReduce } from './reduce.js';
import { renderMatmul } from './matmul.js';

/** Invocations per workgroup of an elementwise or serial-reduction kernel. */
export const WORKGROUP = 64;
/** The largest workgroup count of one dispatch dimension (maxComputeWorkgroupsPerDimension). */
const MAX_GROUPS = 65535;

// mem is declared as vec4s so that aligned runs load and store 16 bytes at once (a matmul's
// tiles); one element is word w & 3 of vec4 w >> 2 (ld, st). WebGPU refuses a second, scalar
// binding of the same buffer: writable bindings may not alias.
export const BINDINGS = `@group(0) @binding(0) var<storage, read_write> mem: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> flags: array<atomic<u32>>;
fn ld(w: u32) -> u32 { return mem[w >> 2u][w & 3u]; }
fn st(w: u32, v: u32) { mem[w >> 2u][w & 3u] = v; }`;

/** Workgroups covering `points` invocations of WORKGROUP each, as (x, y, 1). */
export function groupsFor(points: number, size = WORKGROUP): [number, number, number] {
  const groups = Math.ceil(points / size);
  if (groups <= MAX_GROUPS) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y, 1];
}

/** The shader's head: the bindings, the helpers, the entry point with `pu` (the point, u32) and `p` (i32). */
export function shader(helpers: ExprEmitter['helpers'], points: number, body: readonly string[], size = WORKGROUP): string {
  return [
    BINDINGS,
    helperText(helpers),
    '',
    `@compute @workgroup_size(${size})`,
    'fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {',
    `  let pu = gid.x + gid.y * groups.x * ${size}u;`,
    `  if (pu >= ${points}u) { return; }`,
    '  let p = i32(pu);',
    ...body,
    '}',
    '',
  ].join('\n');
}

/** Lets binding the output coordinates v0 .. v(rank-1) of point p, row-major. */
export function coordinates(e: ExprEmitter, shape: readonly number[]): void {
  let stride = 1;
  const lines: string[] = [];
  for (let a = shape.length - 1; a >= 0; a--) {
    const n = shape[a]!;
    const q = stride === 1 ? 'p' : `(p / ${stride})`;
    lines.unshift(a === 0 ? `let v${a} = ${q};` : `let v${a} = ${q} % ${n};`);
    stride *= n;
  }
  for (const l of lines) e.line(l);
}

function store(e: ExprEmitter, s: KernelStore, value: string, layout: WebGpuLayout, dtype: KernelDType, point: string): void {
  const word = dtype === 'bool' ? `select(0u, 1u, ${value})` : `bitcast<u32>(${value})`;
  e.line(`st(${point} + ${layout.words.get(s.buffer)!}u, ${word});`);
  if (s.countNonFinite) {
    e.helpers.add('is_finite');
    e.line(`if (!is_finite(${value})) { atomicAdd(&flags[${FLAG_COUNTS + s.countNonFinite.index}], 1u); }`);
  }
}

/** The kernel's stores at one point (word offset `point` of each output): every value first, then the stores. */
export function storePoint(e: ExprEmitter, k: Kernel, layout: WebGpuLayout, dtypeOf: (buffer: string) => KernelDType, point: string): void {
  const values = k.stores.map((s) => e.value(s.value));
  k.stores.forEach((s, i) => store(e, s, values[i]!, layout, dtypeOf(s.buffer), point));
}

/** The kernel `index` of a program as a shader over the program's layout. */
export function renderKernel(k: Kernel, index: number, layout: WebGpuLayout, dtypeOf: (buffer: string) => KernelDType): WgslKernel {
  const special = renderMatmul(k, index, layout, dtypeOf) ?? renderGroupReduce(k, index, layout, dtypeOf);
  if (special) return special;
  const rank = k.shape.length;
  const sizes = [...k.shape, ...(k.reduce?.shape ?? [])];
  const e = new ExprEmitter({ offset: (b) => layout.words.get(b)!, sizes, shape: k.shape, kernel: index, acc: 'acc' });
  coordinates(e, k.shape);
  if (k.reduce) fold(e, k.reduce, rank);
  storePoint(e, k, layout, dtypeOf, 'pu');
  const points = numelOf(k.shape);
  return { name: k.name, code: shader(e.helpers, points, e.lines), workgroups: points === 0 ? [0, 1, 1] : groupsFor(points) };
}
