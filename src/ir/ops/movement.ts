// Movement primitives: they rearrange elements without computing on them. Later stages turn
// them into index arithmetic; the reference implementations copy.

import { fail } from '../errors.js';
import { attr, primitive } from '../op.js';
import { broadcastShapes, formatShape, formatType, isConcrete, normalizeAxis, numel, sameShape, sameSize, stridesOf } from '../types.js';
import type { Dim, Shape } from '../types.js';
import { checkValuesFit } from './elementwise.js';
import { broadcastIndexer, ravel, requireSameDType, unravel } from './util.js';

export const reshape = primitive({
  name: 'reshape',
  doc: 'the same elements in row-major order under a new shape',
  category: 'movement',
  operands: ['x'],
  attrs: { shape: attr.shape() },
  infer([x], { shape }) {
    if (!sameSize(x!.shape, shape)) {
      fail('shape', `reshape: cannot reshape ${formatType(x!)} to ${formatShape(shape)} (element counts differ)`);
    }
    return { dtype: x!.dtype, shape: [...shape] };
  },
  evaluate([x], _attrs, out) {
    return { dtype: out.dtype, shape: out.shape, data: x!.data };
  },
});

export const broadcast_to = primitive({
  name: 'broadcast_to',
  doc: 'repeats x along new leading dims and size-1 dims to reach `shape` (numpy rules)',
  category: 'movement',
  operands: ['x'],
  attrs: { shape: attr.shape() },
  infer([x], { shape }) {
    const b = broadcastShapes([x!.shape, shape]);
    if (!b || !sameShape(b, shape) || x!.shape.length > shape.length) {
      fail('shape', `broadcast_to: cannot broadcast ${formatType(x!)} to ${formatShape(shape)}`);
    }
    return { dtype: x!.dtype, shape: [...shape] };
  },
  evaluate([x], _attrs, out, ctx) {
    const data = ctx.alloc(out.dtype, numel(out.shape));
    const index = broadcastIndexer(x!.shape, out.shape);
    for (let i = 0; i < data.length; i++) data[i] = x!.data[index(i)]!;
    return { dtype: out.dtype, shape: out.shape, data };
  },
});

function checkPerm(perm: readonly number[], rank: number): void {
  const ok = perm.length === rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!ok) fail('attr', `transpose: perm [${perm.join(', ')}] is not a permutation of the ${rank} axes`);
}

export const transpose = primitive({
  name: 'transpose',
  doc: 'permutes axes: result axis i is input axis perm[i]',
  category: 'movement',
  operands: ['x'],
  attrs: { perm: attr.ints() },
  infer([x], { perm }) {
    checkPerm(perm, x!.shape.length);
    return { dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]!) };
  },
  evaluate([x], { perm }, out, ctx) {
    const data = ctx.alloc(out.dtype, numel(out.shape));
    const inStrides = stridesOf(x!.shape);
    const strides = perm.map((p) => inStrides[p]!);
    for (let i = 0; i < data.length; i++) data[i] = x!.data[ravel(unravel(i, out.shape), strides)]!;
    return { dtype: out.dtype, shape: out.shape, data };
  },
});

/** Bound for "to the end of the axis" in slice `end`, as in Python's `x[a:]`. */
export const SLICE_END = 2147483647;

/**
 * Python slice semantics on one axis of length `dim`: negative bounds count from the end and
 * bounds are clamped. Returns the first index and the element count.
 */
export function sliceRange(begin: number, end: number, stride: number, dim: number): { start: number; count: number } {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
  const start = clamp(begin);
  const stop = clamp(end);
  return { start, count: Math.max(0, Math.ceil((stop - start) / stride)) };
}

export const slice = primitive({
  name: 'slice',
  doc: 'x[begin:end:stride] on every axis, Python semantics (negative bounds, clamping; stride > 0)',
  category: 'movement',
  operands: ['x'],
  attrs: { begin: attr.ints(), end: attr.ints(), stride: attr.ints() },
  infer([x], { begin, end, stride }) {
    const rank = x!.shape.length;
    if (begin.length !== rank || end.length !== rank || stride.length !== rank) {
      fail('attr', `slice: begin, end and stride need one entry per axis of ${formatType(x!)}`);
    }
    const shape: Dim[] = x!.shape.map((d, i) => {
      if (stride[i]! <= 0) fail('attr', `slice: stride ${stride[i]} on axis ${i} must be positive`);
      if (typeof d === 'string') {
        if (begin[i] === 0 && end[i]! >= SLICE_END && stride[i] === 1) return d;
        fail('shape', `slice: axis ${i} of ${formatType(x!)} is symbolic and can only be taken whole`);
      }
      return sliceRange(begin[i]!, end[i]!, stride[i]!, d).count;
    });
    return { dtype: x!.dtype, shape };
  },
  evaluate([x], { begin, end, stride }, out, ctx) {
    const data = ctx.alloc(out.dtype, numel(out.shape));
    const starts = x!.shape.map((d, i) => sliceRange(begin[i]!, end[i]!, stride[i]!, d).start);
    const inStrides = stridesOf(x!.shape);
    for (let i = 0; i < data.length; i++) {
      const idx = unravel(i, out.shape).map((k, a) => starts[a]! + k * stride[a]!);
      data[i] = x!.data[ravel(idx, inStrides)]!;
    }
    return { dtype: out.dtype, shape: out.shape, data };
  },
});

export const pad = primitive({
  name: 'pad',
  doc: 'adds `before[i]` and `after[i]` elements of `value` around axis i',
  category: 'movement',
  operands: ['x'],
  attrs: { before: attr.ints(), after: attr.ints(), value: attr.float(0) },
  infer([x], { before, after, value }) {
    const rank = x!.shape.length;
    if (before.length !== rank || after.length !== rank) {
      fail('attr', `pad: before and after need one entry per axis of ${formatType(x!)}`);
    }
    checkValuesFit('pad', x!.dtype, [value]);
    const shape = x!.shape.map((d, i) => {
      const b = before[i]!;
      const a = after[i]!;
      if (b < 0 || a < 0) fail('attr', `pad: padding on axis ${i} must be non-negative, got ${b} and ${a}`);
      if (typeof d === 'string') {
        if (b === 0 && a === 0) return d;
        fail('shape', `pad: cannot pad symbolic axis ${i} (${d}) of ${formatType(x!)}`);
      }
      return d + b + a;
    });
    return { dtype: x!.dtype, shape };
  },
  evaluate([x], { before, value }, out, ctx) {
    const data = ctx.alloc(out.dtype, numel(out.shape));
    data.fill(value);
    const outStrides = stridesOf(out.shape);
    for (let i = 0; i < x!.data.length; i++) {
      const idx = unravel(i, x!.shape).map((k, a) => k + before[a]!);
      data[ravel(idx, outStrides)] = x!.data[i]!;
    }
    return { dtype: out.dtype, shape: out.shape, data };
  },
});

export const concat = primitive({
  name: 'concat',
  doc: 'joins operands along `axis`; other dims must match',
  category: 'movement',
  operands: ['x'],
  variadic: { min: 1 },
  attrs: { axis: attr.int(0) },
  infer(xs, { axis }) {
    const first = xs[0]!;
    const dtype = requireSameDType('concat', xs);
    const a = normalizeAxis(axis, first.shape.length, 'concat');
    const mismatch = () => fail('shape', `concat: operands ${xs.map(formatType).join(', ')} differ off axis ${axis}`);
    for (const t of xs) {
      if (t.shape.length !== first.shape.length) mismatch();
      if (t.shape.some((d, i) => i !== a && d !== first.shape[i])) mismatch();
    }
    const dims = xs.map((t) => t.shape[a]!);
    let joined: Dim;
    if (dims.length === 1) joined = dims[0]!;
    else if (isConcrete(dims)) joined = (dims as number[]).reduce((s, d) => s + d, 0);
    else fail('shape', `concat: cannot join symbolic sizes along axis ${axis}: ${xs.map(formatType).join(', ')}`);
    const shape: Shape = first.shape.map((d, i) => (i === a ? joined : d));
    return { dtype, shape: [...shape] };
  },
  evaluate(xs, { axis }, out, ctx) {
    const a = normalizeAxis(axis, out.shape.length, 'concat');
    const data = ctx.alloc(out.dtype, numel(out.shape));
    const inner = numel(out.shape.slice(a + 1));
    const outer = numel(out.shape.slice(0, a));
    const rowOut = out.shape[a]! * inner;
    let offset = 0;
    for (const x of xs) {
      const row = x.shape[a]! * inner;
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < row; k++) data[o * rowOut + offset + k] = x.data[o * row + k]!;
      }
      offset += row;
    }
    return { dtype: out.dtype, shape: out.shape, data };
  },
});
