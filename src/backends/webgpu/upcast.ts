// Elementwise kernels the schedule upcasts (upcast 4: the last extent a multiple of 4, every load
// either contiguous and aligned along the last axis or not moving along it): each invocation
// computes four consecutive points. A load contiguous along the last axis is one vec4 read for
// all four, a load that does not move along it is read once, and each output is written as one
// vec4; the arithmetic stays scalar, one block per point, so it is the scalar path's exactly.

import { forEachLoad, linearize } from '../../../runtime/kernel-analysis.js';
import type { IndexExpr, Kernel, KernelDType } from '../../../runtime/kernel-ir.js';
import { numelOf } from '../../../runtime/tensor.js';
import { FLAG_COUNTS, type WebGpuLayout, type WgslKernel } from '../../../runtime/webgpu-layout.js';
import { ExprEmitter } from './expr.js';
import { coordinates, groupsFor, shader, workgroupSize } from './shader.js';

const LANES = 4;

/** The kernel with four points per invocation, or undefined when its schedule does not upcast it. */
export function renderUpcast(k: Kernel, index: number, layout: WebGpuLayout, dtypeOf: (buffer: string) => KernelDType): WgslKernel | undefined {
  const rank = k.shape.length;
  if (k.reduce || k.schedule?.upcast !== LANES || rank === 0 || k.shape[rank - 1]! % LANES !== 0) return undefined;
  const last = rank - 1;
  const vectors = new Map<string, { buffer: string; index: IndexExpr }>();
  const still: { buffer: string; index: IndexExpr }[] = [];
  let aligned = true;
  forEachLoad(k, (buffer, idx) => {
    const l = linearize(idx, k.shape);
    const along = l?.terms.find((t) => t.axis === last)?.coeff ?? 0;
    const word = (layout.words.get(buffer) ?? 1) + (l?.constant ?? 1);
    if (!l || (along !== 0 && (along !== 1 || word % LANES !== 0 || l.terms.some((t) => t.axis !== last && t.coeff % LANES !== 0)))) aligned = false;
    else if (along === 1) vectors.set(`${buffer}|${JSON.stringify(idx)}`, { buffer, index: idx });
    else still.push({ buffer, index: idx });
  });
  if (!aligned) return undefined; // a schedule from elsewhere: the scalar path renders it
  const e = new ExprEmitter({ offset: (b) => layout.words.get(b)!, sizes: k.shape, shape: k.shape, kernel: index, acc: 'acc' });
  e.line(`let p0 = p * ${LANES};`);
  // Coordinates of the first of the four points; each lane's block moves the last one.
  coordinates(e, k.shape, 'p0');
  e.line(`let v${last}_0 = v${last};`);
  const names = new Map<string, string>();
  for (const [key, v] of vectors) {
    const name = e.fresh('q');
    e.line(`let ${name} = mem[(u32(${e.index(v.index)}) + ${layout.words.get(v.buffer)!}u) >> 2u];`);
    names.set(key, name);
  }
  for (const v of still) e.value({ k: 'load', buffer: v.buffer, index: v.index, dtype: dtypeOf(v.buffer) });
  k.stores.forEach((_, s) => e.line(`var w${s}: vec4<u32>;`));
  for (let c = 0; c < LANES; c++) {
    e.block('', () => {
      e.line(`let v${last} = v${last}_0 + ${c};`);
      e.loadOverride = (buffer, idx) => {
        const name = names.get(`${buffer}|${JSON.stringify(idx)}`);
        return name && `${name}[${c}]`;
      };
      const values = k.stores.map((s) => e.value(s.value));
      e.loadOverride = undefined;
      k.stores.forEach((s, i) => {
        const dtype = dtypeOf(s.buffer);
        e.line(`w${i}[${c}] = ${dtype === 'bool' ? `select(0u, 1u, ${values[i]!})` : `bitcast<u32>(${values[i]!})`};`);
        if (s.countNonFinite) {
          e.helpers.add('is_finite');
          e.line(`if (!is_finite(${values[i]!})) { atomicAdd(&flags[${FLAG_COUNTS + s.countNonFinite.index}], 1u); }`);
        }
      });
    });
  }
  k.stores.forEach((s, i) => e.line(`mem[(u32(p0) + ${layout.words.get(s.buffer)!}u) >> 2u] = w${i};`));
  const groups = numelOf(k.shape) / LANES;
  const size = workgroupSize(k);
  return { name: k.name, code: shader(e.helpers, groups, e.lines, size), workgroups: groups === 0 ? [0, 1, 1] : groupsFor(groups, size) };
}
