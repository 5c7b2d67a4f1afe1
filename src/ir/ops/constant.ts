// Constants: a splat of one value over any shape (symbolic dims allowed), or one value per
// element of a concrete shape.

import { fail } from '../errors.js';
import { primitive } from '../op.js';
import { formatShape, isConcrete, numel } from '../types.js';
import { checkValuesFit } from './elementwise.js';

export const constant = primitive({
  name: 'constant',
  // A splat is a literal in the expressions that read it; other constants are buffers.
  cost: 0,
  doc: 'a tensor of `shape` holding `value`: one value (splat) or one per element, row-major',
  category: 'constant',
  operands: [],
  infer(_inputs, { dtype, shape, value }) {
    checkValuesFit('constant', dtype, value);
    if (value.length !== 1 && !(isConcrete(shape) && value.length === numel(shape))) {
      fail('attr', `constant: ${value.length} values do not fill shape ${formatShape(shape)} (give 1 or one per element)`);
    }
    return { dtype, shape: [...shape] };
  },
  evaluate(_inputs, { dtype, value }, out, ctx) {
    const data = ctx.alloc(dtype, numel(out.shape));
    if (value.length === 1) data.fill(value[0]!);
    else data.set(value);
    return { dtype, shape: out.shape, data };
  },
  vjp: 'none',
});
