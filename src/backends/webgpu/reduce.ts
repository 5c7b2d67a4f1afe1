// Reductions: serially, one invocation per output point folding its whole reduction in a loop
// nest (short reductions, or where the schedule says so); or, where the schedule gives a
// reduceGroup G > 1, one workgroup of G invocations per output point, each folding every G-th
// step, then a tree over workgroup memory. The grouped order differs from the serial one: sums
// agree within the tolerance stated in runtime/kernel-ir.ts; max and argmax exactly.

import type { Kernel, KernelDType, Reduction } from '../../../runtime/kernel-ir.js';
import { numelOf } from '../../../runtime/tensor.js';
import type { WebGpuLayout, WgslKernel } from '../../../runtime/webgpu-layout.js';
import { ExprEmitter, constLiteral, wgslType } from './expr.js';
import { BINDINGS, coordinates, groupsFor, shader, storePoint } from './shader.js';
import { helperText } from './functions.js';

/** The loop nest over the reduction axes, folding the value into `acc` (argmax counting the steps in `seen`). */
export function fold(e: ExprEmitter, r: Reduction, rank: number): void {
  initAcc(e, r.op, r.value.dtype);
  if (r.op === 'argmax') e.line('var seen = 0i;');
  const nest = (j: number): void => {
    if (j === r.shape.length) {
      combine(e, r.op, r.value.dtype, e.value(r.value), 'seen');
      if (r.op === 'argmax') e.line('seen = seen + 1i;');
      return;
    }
    const v = `v${rank + j}`;
    e.block(`for (var ${v} = 0i; ${v} < ${r.shape[j]}i; ${v} = ${v} + 1i)`, () => nest(j + 1));
  };
  nest(0);
  // An empty argmax is index 0, as the reference has it.
  if (r.op === 'argmax') e.line('acc = max(acc, 0i);');
}

/** Folds `x` (at flat reduction index `i`) into the invocation's partial result. */
function combine(e: ExprEmitter, op: Reduction['op'], d: KernelDType, x: string, i: string): void {
  if (op === 'sum') return e.line(`acc = acc + ${x};`);
  if (op === 'max') {
    if (d !== 'f32') return e.line(`acc = max(acc, ${x});`);
    e.helpers.add('is_nan');
    return e.line(`if (!is_nan(acc) && (is_nan(${x}) || ${x} > acc)) { acc = ${x}; }`);
  }
  const nan = d === 'f32' ? (e.helpers.add('is_nan'), `is_nan(${x})`) : 'false';
  e.line(`if (!stop && (acc < 0i || ${x} > best || ${nan})) { acc = ${i}; best = ${x}; stop = ${nan}; }`);
}

/** Merges partial result `b` (slot j) into `a` (slot i) of the workgroup's arrays. */
function merge(op: Reduction['op'], d: KernelDType, e: ExprEmitter): string {
  if (op === 'sum') return 'part[i] = part[i] + part[j];';
  if (op === 'max')
    return d === 'f32' ? (e.helpers.add('is_nan'), 'if (!is_nan(part[i]) && (is_nan(part[j]) || part[j] > part[i])) { part[i] = part[j]; }') : 'part[i] = max(part[i], part[j]);';
  // argmax: the larger value, a nan over any number, the smaller index between equals (a slot with no index loses).
  const nanI = d === 'f32' ? 'is_nan(part[i])' : 'false';
  const nanJ = d === 'f32' ? 'is_nan(part[j])' : 'false';
  if (d === 'f32') e.helpers.add('is_nan');
  return `let wins = index[j] >= 0i && (index[i] < 0i || (${nanJ} && (!${nanI} || index[j] < index[i])) || (!${nanI} && (part[j] > part[i] || (part[j] == part[i] && index[j] < index[i])))); if (wins) { part[i] = part[j]; index[i] = index[j]; }`;
}

/** The partial result's initial value: no term folded yet. */
function initAcc(e: ExprEmitter, op: Reduction['op'], d: KernelDType): void {
  if (op === 'argmax') {
    e.line('var acc = -1i;');
    e.line(`var best: ${wgslType(d)} = ${constLiteral(0, d)};`);
    e.line('var stop = false;');
    return;
  }
  if (op === 'max' && d === 'f32') e.helpers.add('f32_bits');
  e.line(`var acc: ${wgslType(d)} = ${op === 'sum' ? constLiteral(0, d) : d === 'f32' ? 'f32_bits(0xff800000u)' : constLiteral(-2147483648, d)};`);
}

/** The workgroup folds terms [from, to) of the reduction, every G-th per invocation, then merges them by a tree into slot 0. */
function groupFold(e: ExprEmitter, r: Reduction, rank: number, G: number, from: string, to: string): void {
  const d = r.value.dtype;
  initAcc(e, r.op, d);
  e.block(`for (var ri = ${from} + i32(lid.x); ri < ${to}; ri = ri + ${G}i)`, () => {
    let stride = 1;
    const lets: string[] = [];
    for (let j = r.shape.length - 1; j >= 0; j--) {
      lets.unshift(`let v${rank + j} = ${stride === 1 ? 'ri' : `(ri / ${stride}i)`} % ${r.shape[j]}i;`);
      stride *= r.shape[j]!;
    }
    for (const l of lets) e.line(l);
    combine(e, r.op, d, e.value(r.value), 'ri');
  });
  e.line(r.op === 'argmax' ? 'part[lid.x] = best;\n  index[lid.x] = acc;' : 'part[lid.x] = acc;');
  e.line('workgroupBarrier();');
  e.block(`for (var s = ${G / 2}u; s > 0u; s = s >> 1u)`, () => {
    e.block('if (lid.x < s)', () => {
      e.line('let i = lid.x;');
      e.line('let j = lid.x + s;');
      e.line(merge(r.op, d, e));
    });
    e.line('workgroupBarrier();');
  });
}

/** A shader of `groups` workgroups of G invocations, `pw` the workgroup's index. */
function groupShader(e: ExprEmitter, r: Reduction, G: number): string {
  const d = r.value.dtype;
  const shared = [`var<workgroup> part: array<${wgslType(d)}, ${G}>;`, ...(r.op === 'argmax' ? [`var<workgroup> index: array<i32, ${G}>;`] : [])];
  return [
    BINDINGS,
    ...shared,
    helperText(e.helpers),
    '',
    `@compute @workgroup_size(${G})`,
    'fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {',
    '  let pw = wid.x + wid.y * groups.x;',
    ...e.lines,
    '}',
    '',
  ].join('\n');
}

/** The words of scratch a kernel's second pass reads: a partial result (and for argmax its index) per output point and split. */
export function reduceScratchWords(k: Kernel): number {
  const split = k.reduce ? (k.schedule?.reduceSplit ?? 1) : 1;
  return split > 1 ? numelOf(k.shape) * split * (k.reduce!.op === 'argmax' ? 2 : 1) : 0;
}

/**
 * A kernel whose schedule groups its reduction, or undefined for the serial path. With a split
 * S > 1 (a long reduction over few points) it takes two passes: S workgroups per point each fold
 * one chunk into scratch, then one invocation per point folds the S partial results in order.
 */
export function renderGroupReduce(k: Kernel, index: number, layout: WebGpuLayout, dtypeOf: (buffer: string) => KernelDType): WgslKernel | undefined {
  const r = k.reduce;
  const G = k.schedule?.reduceGroup ?? 1;
  if (!r || G <= 1 || (G & (G - 1)) !== 0) return undefined;
  const rank = k.shape.length;
  const points = numelOf(k.shape);
  const R = numelOf(r.shape);
  const S = Math.min(k.schedule?.reduceSplit ?? 1, R);
  const cx = { offset: (b: string) => layout.words.get(b)!, sizes: [...k.shape, ...r.shape], shape: k.shape, kernel: index, acc: 'acc' };
  const e = new ExprEmitter(cx);
  const groups = points * S;
  // No invocation may leave before the barriers: one past the end works on the last group and stores nothing.
  e.line(`let inside = pw < ${groups}u;`);
  e.line(`let pg = min(pw, ${Math.max(groups, 1) - 1}u);`);
  e.line(`let pu = pg / ${S}u;`);
  e.line('let p = i32(pu);');
  coordinates(e, k.shape);
  const chunk = Math.ceil(R / S);
  if (S === 1) groupFold(e, r, rank, G, '0i', `${R}i`);
  else groupFold(e, r, rank, G, `i32(pg % ${S}u) * ${chunk}i`, `min(i32(pg % ${S}u) * ${chunk}i + ${chunk}i, ${R}i)`);
  const scratch = layout.memWords;
  e.block('if (lid.x == 0u && inside)', () => {
    if (S > 1) {
      e.line(`st(${scratch}u + pg, bitcast<u32>(part[0]));`);
      if (r.op === 'argmax') e.line(`st(${scratch + groups}u + pg, bitcast<u32>(index[0]));`);
      return;
    }
    e.line(r.op === 'argmax' ? 'let acc = max(index[0], 0i);' : 'let acc = part[0];');
    storePoint(e, k, layout, dtypeOf, 'pu');
  });
  const first: WgslKernel = { name: S > 1 ? `${k.name}.partial` : k.name, code: groupShader(e, r, G), workgroups: groups === 0 ? [0, 1, 1] : groupsFor(groups, 1) };
  if (S === 1) return first;
  // The second pass: the partial results of each point, in chunk order, as the serial fold would meet them.
  const f = new ExprEmitter(cx);
  const d = r.value.dtype;
  coordinates(f, k.shape);
  initAcc(f, r.op, d);
  f.block(`for (var c = 0u; c < ${S}u; c = c + 1u)`, () => {
    f.line(`let x = bitcast<${wgslType(d)}>(ld(${scratch}u + pu * ${S}u + c));`);
    if (r.op === 'argmax') {
      f.line(`let ix = bitcast<i32>(ld(${scratch + groups}u + pu * ${S}u + c));`);
      f.block('if (ix >= 0i)', () => combine(f, r.op, d, 'x', 'ix')); // an empty chunk has no index
    } else combine(f, r.op, d, 'x', 'c');
  });
  if (r.op === 'argmax') f.line('acc = max(acc, 0i);');
  storePoint(f, k, layout, dtypeOf, 'pu');
  return { name: k.name, code: shader(f.helpers, points, f.lines), workgroups: points === 0 ? [0, 1, 1] : groupsFor(points), pre: [first] };
}
