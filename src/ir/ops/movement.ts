// Movement primitives: they rearrange elements without computing on them. Later stages turn
// them into index arithmetic; the reference implementations copy.

import { fail } from '../errors.js';
import { primitive } from '../op.js';
import { broadcastShapes, formatShape, formatType, isConcrete, normalizeAxis, numel, sameShape, sameSize, stridesOf } from '../types.js';
import type { Dim, Shape } from '../types.js';
import { checkValuesFit } from './elementwise.js';
import { Grad } from './grad.js';
import { broadcastIndexer, ravel, requireSameDType, unravel } from './util.js';

export const reshape = primitive({
  name: 'reshape',
  fusion: 'view',
  cost: 0,
  doc: 'the same elements in row-major order under a new shape',
  category: 'movement',
  operands: ['x'],
  infer([x], { shape }) {
    if (!sameSize(x!.shape, shape)) {
      fail('shape', `reshape: cannot reshape ${formatType(x!)} to ${formatShape(shape)} (element counts differ)`);
    }
    return { dtype: x!.dtype, shape: [...shape] };
  },
  evaluate([x], _attrs, out) {
    return { dtype: out.dtype, shape: out.shape, data: x!.data };
  },
  vjp: (e, { inputs: [x], g }) => [new Grad(e).reshape(g, e.typeOf(x!).shape)],
});

export const broadcast_to = primitive({
  name: 'broadcast_to',
  fusion: 'view',
  cost: 0,
  doc: 'repeats x along new leading dims and size-1 dims to reach `shape` (numpy rules)',
  category: 'movement',
  operands: ['x'],
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
  vjp: (e, { inputs: [x], g }) => [new Grad(e).sumToShape(g, e.typeOf(x!).shape)],
});

function checkPerm(perm: readonly number[], rank: number): void {
  const ok = perm.length === rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!ok) fail('attr', `transpose: perm [${perm.join(', ')}] is not a permutation of the ${rank} axes`);
}

export const transpose = primitive({
  name: 'transpose',
  fusion: 'view',
  cost: 0,
  doc: 'permutes axes: result axis i is input axis perm[i]',
  category: 'movement',
  operands: ['x'],
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
  vjp: (e, { g, attrs: { perm } }) => [e.emit('transpose', [g], { perm: Grad.invert(perm) })],
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
  fusion: 'view',
  cost: 0,
  doc: 'x[begin:end:stride] on every axis, Python semantics (negative bounds, clamping; stride > 0)',
  category: 'movement',
  operands: ['x'],
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
  // The cotangent is put back where the slice came from, zeros elsewhere: strided axes first
  // get stride-1 zeros after each element, then one pad restores the untaken borders.
  vjp(e, { inputs: [x], g, attrs: { begin, end, stride } }) {
    const d = new Grad(e);
    const xs = d.shape(x!);
    const rank = xs.length;
    const zeros = (n: number) => new Array<number>(n).fill(0);
    let cur = g;
    const before = zeros(rank);
    const after = zeros(rank);
    xs.forEach((dim, i) => {
      if (typeof dim !== 'number') return; // symbolic axes are only ever taken whole
      const s = stride[i]!;
      const { start, count } = sliceRange(begin[i]!, end[i]!, s, dim);
      if (count === 0) {
        after[i] = dim;
        return;
      }
      if (s > 1) {
        const sh = d.shape(cur);
        const spread = d.reshape(cur, [...sh.slice(0, i + 1), 1, ...sh.slice(i + 1)]);
        const gaps = zeros(rank + 1);
        gaps[i + 1] = s - 1;
        const padded = e.emit('pad', [spread], { before: zeros(rank + 1), after: gaps });
        const merged = d.reshape(
          padded,
          sh.map((n, k) => (k === i ? count * s : n)),
        );
        const ends = sh.map((_, k) => (k === i ? (count - 1) * s + 1 : SLICE_END));
        cur = e.emit('slice', [merged], { begin: zeros(rank), end: ends, stride: new Array<number>(rank).fill(1) });
      }
      before[i] = start;
      after[i] = dim - start - ((count - 1) * s + 1);
    });
    return [e.emit('pad', [cur], { before, after, value: 0 })];
  },
});

export const pad = primitive({
  name: 'pad',
  cost: 0,
  doc: 'adds `before[i]` and `after[i]` elements of `value` around axis i',
  category: 'movement',
  operands: ['x'],
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
  vjp(e, { inputs: [x], g, attrs: { before } }) {
    const xs = e.typeOf(x!).shape;
    const end = xs.map((dim, i) => (typeof dim === 'number' ? before[i]! + dim : SLICE_END));
    return [e.emit('slice', [g], { begin: [...before], end, stride: xs.map(() => 1) })];
  },
});

export const concat = primitive({
  name: 'concat',
  cost: 0,
  doc: 'joins operands along `axis`; other dims must match',
  category: 'movement',
  operands: ['x'],
  variadic: { min: 1 },
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
  // Each operand's cotangent is its own stretch of g along the axis.
  vjp(e, { inputs, g, attrs: { axis } }) {
    if (inputs.length === 1) return [g];
    const shape = e.typeOf(g).shape;
    const a = normalizeAxis(axis, shape.length, 'concat');
    let offset = 0;
    return inputs.map((x) => {
      const size = e.typeOf(x).shape[a] as number; // concrete: checked by the shape rule
      const begin = shape.map((_, i) => (i === a ? offset : 0));
      const end = shape.map((_, i) => (i === a ? offset + size : SLICE_END));
      offset += size;
      return e.emit('slice', [g], { begin, end, stride: shape.map(() => 1) });
    });
  },
});
