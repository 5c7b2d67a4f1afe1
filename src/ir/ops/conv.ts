// Convolution and pooling over images in NHWC layout (batch, height, width, channels) with HWIO
// filters (height, width, in channels, out channels): TensorFlow's and Keras's layout, so their
// models and weights map one to one. Each is a composite over movement ops and a matmul (or an
// elementwise max/sum): the window's K×K shifted views of the padded input are slices, so in the
// kernel program they are index arithmetic inside the matmul's (or the fold's) loads, and the
// gradients are those of slice, pad, concat and matmul.
//
// Padding 'valid' takes no border; 'same' pads so that the output has ceil(size / stride) cells,
// the odd cell of an odd total after, as TensorFlow does; 'explicit' takes `pads`:
// [top, bottom, left, right].

import { fail } from '../errors.js';
import type { Emitter } from '../op.js';
import { composite } from '../op.js';
import { formatType, type Dim, type TensorType } from '../types.js';
import { SLICE_END } from './movement.js';
import { FLOAT, requireDType } from './util.js';

interface Window {
  /** Output height and width. */
  out: [number, number];
  /** Padding [top, bottom, left, right]. */
  pads: [number, number, number, number];
}

/** The output size and padding of a k×k window (dilated) over h×w at a stride, as `padding` asks. */
export function windowOf(
  op: string,
  size: [number, number],
  kernel: [number, number],
  strides: readonly number[],
  dilations: readonly number[],
  padding: string,
  pads: readonly number[],
): Window {
  if (strides.length !== 2 || !strides.every((s) => Number.isInteger(s) && s >= 1)) fail('attr', `${op}: strides must be two positive integers, got [${strides.join(', ')}]`);
  if (dilations.length !== 2 || !dilations.every((d) => Number.isInteger(d) && d >= 1))
    fail('attr', `${op}: dilations must be two positive integers, got [${dilations.join(', ')}]`);
  const span = kernel.map((k, i) => (k - 1) * dilations[i]! + 1) as [number, number];
  let p: [number, number, number, number];
  if (padding === 'valid') p = [0, 0, 0, 0];
  else if (padding === 'same') {
    const total = size.map((n, i) => Math.max((Math.ceil(n / strides[i]!) - 1) * strides[i]! + span[i]! - n, 0));
    p = [Math.floor(total[0]! / 2), total[0]! - Math.floor(total[0]! / 2), Math.floor(total[1]! / 2), total[1]! - Math.floor(total[1]! / 2)];
  } else if (padding === 'explicit') {
    if (pads.length !== 4 || !pads.every((v) => Number.isInteger(v) && v >= 0))
      fail('attr', `${op}: explicit padding takes pads [top, bottom, left, right] of non-negative integers, got [${pads.join(', ')}]`);
    p = [pads[0]!, pads[1]!, pads[2]!, pads[3]!];
  } else return fail('attr', `${op}: padding must be 'valid', 'same' or 'explicit', got '${padding}'`);
  const out = [0, 1].map((i) => Math.floor((size[i]! + p[2 * i]! + p[2 * i + 1]! - span[i]!) / strides[i]!) + 1) as [number, number];
  if (out[0] < 1 || out[1] < 1)
    fail('shape', `${op}: a ${kernel.join('×')} window (dilated to ${span.join('×')}) does not fit a ${size.join('×')} image with padding [${p.join(', ')}]`);
  return { out, pads: p };
}

/** The image's height and width, which must be numbers (the batch may be symbolic). */
function imageOf(op: string, t: TensorType): [Dim, number, number, number] {
  if (t.shape.length !== 4) fail('shape', `${op}: the input must be NHWC (rank 4), got ${formatType(t)}`);
  const [n, h, w, c] = t.shape;
  if (typeof h !== 'number' || typeof w !== 'number' || typeof c !== 'number') fail('shape', `${op}: height, width and channels of ${formatType(t)} must be numbers`);
  return [n!, h, w, c];
}

/** The K×K views of the padded input that a window at each output cell sees, in (row, column) order: each [N, OH, OW, C]. */
function windowViews(e: Emitter, x: string, c: number, kernel: [number, number], strides: readonly number[], dilations: readonly number[], win: Window, fill: number): string[] {
  const [pt, pb, pl, pr] = win.pads;
  const padded = pt + pb + pl + pr > 0 ? e.emit('pad', [x], { before: [0, pt, pl, 0], after: [0, pb, pr, 0], value: fill }) : x;
  const views: string[] = [];
  for (let i = 0; i < kernel[0]; i++) {
    for (let j = 0; j < kernel[1]; j++) {
      const top = i * dilations[0]!;
      const left = j * dilations[1]!;
      const begin = [0, top, left, 0];
      const end = [SLICE_END, top + (win.out[0] - 1) * strides[0]! + 1, left + (win.out[1] - 1) * strides[1]! + 1, c];
      views.push(e.emit('slice', [padded], { begin, end, stride: [1, strides[0]!, strides[1]!, 1] }));
    }
  }
  return views;
}

export const conv2d = composite({
  name: 'conv2d',
  doc: "2-D convolution of NHWC images with HWIO filters (stride, dilation, padding 'valid', 'same' or explicit)",
  operands: ['x', 'w'],
  decompose(e, [x, w], { strides, dilations, padding, pads }) {
    const xt = e.typeOf(x!);
    const wt = e.typeOf(w!);
    requireDType('conv2d', 'x', xt, FLOAT);
    requireDType('conv2d', 'w', wt, FLOAT);
    const [, h, wd, c] = imageOf('conv2d', xt);
    if (wt.shape.length !== 4 || !wt.shape.every((d) => typeof d === 'number')) fail('shape', `conv2d: the filter must be HWIO (rank 4, numbers), got ${formatType(wt)}`);
    const [kh, kw, ci, co] = wt.shape as number[];
    if (ci !== c) fail('shape', `conv2d: the filter ${formatType(wt)} takes ${ci} input channels, the image ${formatType(xt)} has ${c}`);
    const win = windowOf('conv2d', [h, wd], [kh!, kw!], strides, dilations, padding, pads);
    const views = windowViews(e, x!, c, [kh!, kw!], strides, dilations, win, 0);
    // The patches side by side along the channels, (row, column, channel) as HWIO's rows are.
    const patches = views.length === 1 ? views[0]! : e.emit('concat', views, { axis: 3 });
    const filter = e.emit('reshape', [w!], { shape: [kh! * kw! * ci!, co!] });
    return e.emit('matmul', [patches, filter]);
  },
});

/** A pool's window views, checked: the image, its window and `fill` in the padding. */
function poolViews(op: string, e: Emitter, x: string, attrs: { size: number[]; strides: number[]; padding: string; pads: number[] }, fill: number) {
  const { size, padding, pads } = attrs;
  const strides = attrs.strides.length === 0 ? size : attrs.strides; // Keras: the window's own size
  const xt = e.typeOf(x);
  requireDType(op, 'x', xt, FLOAT);
  const [, h, w, c] = imageOf(op, xt);
  if (size.length !== 2 || !size.every((k) => Number.isInteger(k) && k >= 1)) fail('attr', `${op}: size must be two positive integers, got [${size.join(', ')}]`);
  const win = windowOf(op, [h, w], [size[0]!, size[1]!], strides, [1, 1], padding, pads);
  return { views: windowViews(e, x, c, [size[0]!, size[1]!], strides, [1, 1], win, fill), win, strides, h, w };
}

export const max_pool2d = composite({
  name: 'max_pool2d',
  doc: "the largest value of each window of NHWC images (padding 'valid', 'same' or explicit; padded cells never win)",
  operands: ['x'],
  decompose(e, [x], attrs) {
    return poolViews('max_pool2d', e, x!, attrs, -Infinity).views.reduce((a, b) => e.emit('max', [a, b]));
  },
});

export const avg_pool2d = composite({
  name: 'avg_pool2d',
  doc: "the mean of each window of NHWC images (padding 'valid', 'same' or explicit; padded cells are left out of the divisor)",
  operands: ['x'],
  decompose(e, [x], attrs) {
    const { views, win, strides, h, w } = poolViews('avg_pool2d', e, x!, attrs, 0);
    const size = attrs.size;
    const sum = views.reduce((a, b) => e.emit('add', [a, b]));
    // How many cells of each window lie inside the image: a constant of the geometry alone.
    const counts: number[] = [];
    for (let i = 0; i < win.out[0]; i++) {
      const top = i * strides[0]! - win.pads[0];
      const rows = Math.min(top + size[0]!, h) - Math.max(top, 0);
      for (let j = 0; j < win.out[1]; j++) {
        const left = j * strides[1]! - win.pads[2];
        const cells = rows * (Math.min(left + size[1]!, w) - Math.max(left, 0));
        if (cells <= 0) fail('attr', `avg_pool2d: the window at output cell (${i}, ${j}) lies wholly in the padding [${win.pads.join(', ')}]`);
        counts.push(1 / cells);
      }
    }
    const inverse = e.emit('constant', [], { dtype: 'f32', shape: [1, win.out[0], win.out[1], 1], value: counts });
    return e.emit('mul', [sum, inverse]);
  },
});

export const global_avg_pool2d = composite({
  name: 'global_avg_pool2d',
  doc: 'the mean of each channel over the whole image: NHWC [N, H, W, C] to [N, C]',
  operands: ['x'],
  decompose(e, [x]) {
    const xt = e.typeOf(x!);
    requireDType('global_avg_pool2d', 'x', xt, FLOAT);
    imageOf('global_avg_pool2d', xt);
    return e.emit('mean', [x!], { axes: [1, 2] });
  },
});

export const upsample2d = composite({
  name: 'upsample2d',
  doc: 'nearest-neighbour upsampling of NHWC images: each pixel repeated `scale` times down and across',
  operands: ['x'],
  decompose(e, [x], { scale }) {
    const xt = e.typeOf(x!);
    requireDType('upsample2d', 'x', xt, FLOAT);
    const [n, h, w, c] = imageOf('upsample2d', xt);
    if (scale.length !== 2 || !scale.every((s) => Number.isInteger(s) && s >= 1)) fail('attr', `upsample2d: scale must be two positive integers, got [${scale.join(', ')}]`);
    const [sh, sw] = scale as [number, number];
    // [N, H, 1, W, 1, C] broadcast to [N, H, sh, W, sw, C], then merged: rows and columns repeated.
    const spread = e.emit('reshape', [x!], { shape: [n, h, 1, w, 1, c] });
    const repeated = e.emit('broadcast_to', [spread], { shape: [n, h, sh, w, sw, c] });
    return e.emit('reshape', [repeated], { shape: [n, h * sh, w * sw, c] });
  },
});
