// Neural-network layers that are ops rather than builder helpers because they carry a mode:
// dropout, a composite over random_uniform whose training flag is an attribute: false (the
// identity) unless set, so a model runs for inference as written; training turns it on.

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
