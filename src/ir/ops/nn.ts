// Neural-network layers that are ops rather than builder helpers: dropout, which carries a mode
// (a composite over random_uniform whose training flag is an attribute: false, the identity,
// unless set, so a model runs for inference as written; training turns it on), and layer_norm.

import { fail } from '../errors.js';
import { composite } from '../op.js';
import { formatType } from '../types.js';
import { scalar } from './composites.js';
import { FLOAT, requireDType } from './util.js';

export const dropout = composite({
  name: 'dropout',
  doc: 'inverted dropout: in training, zeroes each element with probability `rate` and scales the rest by 1 / (1 - rate); else x',
  operands: ['x', 'key'],
  variadic: { min: 1, max: 2 },
  decompose(e, [x, key], { rate, seed, training }) {
    if (!(rate >= 0 && rate < 1)) fail('attr', `dropout: rate must be in [0, 1), got ${rate}`);
    const t = e.typeOf(x!);
    requireDType('dropout', 'x', t, FLOAT);
    // Checked in every mode, so switching `training` never turns a valid graph into an invalid one.
    if (key !== undefined) {
      const k = e.typeOf(key);
      if (k.dtype !== 'i32' || k.shape.length !== 0) fail('dtype', `dropout: operand 'key' must be an i32 scalar, got ${formatType(k)}`);
    }
    if (!training || rate === 0) return x!;
    // The key (a step counter, say) picks a fresh mask per step from one compiled program.
    const u = e.emit('random_uniform', key === undefined ? [] : [key], { shape: [...t.shape], seed });
    // P(u >= rate) = 1 - rate for u uniform in [0, 1); scaling the kept elements keeps E[y] = x.
    const keep = e.emit('cast', [e.emit('ge', [u, scalar(e, rate)])], { to: 'f32' });
    const mask = e.emit('mul', [keep, scalar(e, 1 / (1 - rate))]);
    return e.emit('mul', [x!, mask]);
  },
});

export const layer_norm = composite({
  name: 'layer_norm',
  doc: "x normalized over one axis to mean 0 and variance 1 (biased, as in training), then gamma · x + beta; gamma and beta have that axis's size",
  operands: ['x', 'gamma', 'beta'],
  decompose(e, [x, gamma, beta], { axis, eps }) {
    const t = e.typeOf(x!);
    requireDType('layer_norm', 'x', t, FLOAT);
    const rank = t.shape.length;
    if (!Number.isInteger(axis) || axis < -rank || axis >= rank) fail('attr', `layer_norm: axis ${axis} is out of range for ${formatType(t)}`);
    const a = axis < 0 ? axis + rank : axis;
    for (const [name, v] of [
      ['gamma', gamma!],
      ['beta', beta!],
    ] as const) {
      const vt = e.typeOf(v);
      if (vt.dtype !== 'f32' || vt.shape.length !== 1 || vt.shape[0] !== t.shape[a])
        fail('shape', `layer_norm: '${name}' must be f32[${t.shape[a]}] (axis ${a} of ${formatType(t)}), got ${formatType(vt)}`);
    }
    if (!(eps > 0)) fail('attr', `layer_norm: eps must be positive, got ${eps}`);
    const centered = e.emit('sub', [x!, e.emit('mean', [x!], { axes: [a], keepdims: true })]);
    const variance = e.emit('mean', [e.emit('mul', [centered, centered])], { axes: [a], keepdims: true });
    const normalized = e.emit('mul', [centered, e.emit('rsqrt', [e.emit('add', [variance, scalar(e, eps)])])]);
    // gamma and beta lie along `axis`: shaped [n, 1, ..., 1] to broadcast against the axes after it.
    const along = (v: string) => (a === rank - 1 ? v : e.emit('reshape', [v], { shape: [t.shape[a]!, ...Array.from({ length: rank - 1 - a }, () => 1)] }));
    return e.emit('add', [e.emit('mul', [normalized, along(gamma!)]), along(beta!)]);
  },
});
