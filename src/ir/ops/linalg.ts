// Batched matrix multiplication: [..., M, K] @ [..., K, N] -> [..., M, N], batch dims broadcast.

import { fail } from '../errors.js';
import { primitive } from '../op.js';
import { broadcastShapes, formatType, numel } from '../types.js';
import { Grad } from './grad.js';
import { NUMERIC, broadcastIndexer, requireDType, requireSameDType } from './util.js';

export const matmul = primitive({
  name: 'matmul',
  fusion: 'fold',
  doc: 'batched matrix product a @ b over the last two axes; leading axes broadcast',
  category: 'matmul',
  operands: ['a', 'b'],
  infer([a, b]) {
    requireDType('matmul', 'a', a!, NUMERIC);
    requireDType('matmul', 'b', b!, NUMERIC);
    const dtype = requireSameDType('matmul', [a!, b!]);
    const ra = a!.shape.length;
    const rb = b!.shape.length;
    if (ra < 2 || rb < 2) fail('shape', `matmul: operands need rank >= 2, got ${formatType(a!)} @ ${formatType(b!)}`);
    const [m, k] = a!.shape.slice(-2);
    const [k2, n] = b!.shape.slice(-2);
    if (k !== k2) fail('shape', `matmul: inner dimensions differ in ${formatType(a!)} @ ${formatType(b!)} (${k} vs ${k2})`);
    const batch = broadcastShapes([a!.shape.slice(0, -2), b!.shape.slice(0, -2)]);
    if (!batch) fail('shape', `matmul: batch dimensions of ${formatType(a!)} @ ${formatType(b!)} do not broadcast`);
    return { dtype, shape: [...batch, m!, n!] };
  },
  evaluate([a, b], _attrs, out, ctx) {
    const data = ctx.alloc(out.dtype, numel(out.shape));
    const [m, n] = out.shape.slice(-2) as [number, number];
    const k = a!.shape[a!.shape.length - 1]!;
    const batchShape = out.shape.slice(0, -2);
    const batches = numel(batchShape);
    const aBatch = broadcastIndexer(a!.shape.slice(0, -2), batchShape);
    const bBatch = broadcastIndexer(b!.shape.slice(0, -2), batchShape);
    const isInt = out.dtype === 'i32';
    for (let t = 0; t < batches; t++) {
      const ao = aBatch(t) * m * k;
      const bo = bBatch(t) * k * n;
      const oo = t * m * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let p = 0; p < k; p++) {
            const x = a!.data[ao + i * k + p]!;
            const y = b!.data[bo + p * n + j]!;
            acc = isInt ? (acc + Math.imul(x, y)) | 0 : acc + x * y;
          }
          data[oo + i * n + j] = acc;
        }
      }
    }
    return { dtype: out.dtype, shape: out.shape, data };
  },
  // dA = G @ B^T, dB = A^T @ G, each summed over the batch axes its operand was broadcast along.
  vjp(e, { inputs: [a, b], g }) {
    const d = new Grad(e);
    const swapLast = (v: string) => {
      const r = d.shape(v).length;
      const perm = [...Array(r).keys()];
      [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
      return e.emit('transpose', [v], { perm });
    };
    const ga = e.emit('matmul', [g, swapLast(b!)]);
    const gb = e.emit('matmul', [swapLast(a!), g]);
    return [d.sumToShape(ga, d.shape(a!)), d.sumToShape(gb, d.shape(b!))];
  },
});
