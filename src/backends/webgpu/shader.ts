// What every shader of the WebGPU backend shares: the bindings, the entry point over a flat
// space of invocations, output coordinates, and the stores of one output point, each counting
// its non-finite values into `flags` when the guard asks.

import type { Kernel, KernelDType, KernelStore } from '../../../runtime/kernel-ir.js';
import { FLAG_COUNTS, type WebGpuLayout } from '../../../runtime/webgpu-layout.js';
import type { ExprEmitter } from './expr.js';
import { helperText } from './functions.js';

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

/** Invocations per workgroup: as the kernel's schedule says (in one dimension), else WORKGROUP. */
export function workgroupSize(k: Kernel): number {
  const size = (k.schedule?.workgroup ?? [WORKGROUP]).reduce((a, b) => a * b, 1);
  return Math.max(1, Math.min(size, 256));
}

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

/** Lets binding the output coordinates v0 .. v(rank-1) of point `point` (an i32), row-major. */
export function coordinates(e: ExprEmitter, shape: readonly number[], point = 'p'): void {
  let stride = 1;
  const lines: string[] = [];
  for (let a = shape.length - 1; a >= 0; a--) {
    const n = shape[a]!;
    const q = stride === 1 ? point : `(${point} / ${stride})`;
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
