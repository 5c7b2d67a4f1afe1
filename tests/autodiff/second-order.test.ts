// grad() of a backward graph: the VJP rules' own IR is differentiable, checked by differences.

import { describe, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/emit.js';
import { grad, gradOutputName } from '../../src/passes/autodiff.js';
import { distinct, gradCheck, positive } from './gradcheck.js';
import type { InputSpec } from './gradcheck.js';

type Inputs = Record<string, InputSpec>;

/**
 * Checks d/dx of sum(R * dL/dx) for L = sum(sin(f(x))): builds L, applies grad(), then hands the
 * backward graph's nodes to gradCheck, whose y is the first gradient. sin keeps L non-linear
 * in f, so even a linear f has a non-zero second derivative.
 */
async function secondOrder(f: (b: GraphBuilder) => string, inputs: Inputs): Promise<void> {
  const first = new GraphBuilder('first');
  for (const [name, s] of Object.entries(inputs)) first.input(name, { dtype: s.dtype ?? 'f32', shape: s.shape });
  const y = f(first);
  const axes = first.typeOf(y).shape.map((_, i) => i);
  first.output('loss', first.emit('reduce_sum', [first.emit('sin', [y])], { axes }));
  const backward = grad(first.build(), { wrt: ['x'] });
  const gx = backward.outputs.find((o) => o.name === gradOutputName('x'))!.value;
  await gradCheck((b) => {
    for (const n of backward.nodes) b.emitDynamic(n.op, n.inputs, n.attrs, undefined, n.name);
    return gx;
  }, inputs);
}

describe('second derivatives', () => {
  const cases: [string, (b: GraphBuilder) => string, Inputs][] = [
    ['tanh', (b) => b.emit('tanh', ['x']), { x: { shape: [3] } }],
    ['sigmoid', (b) => b.emit('sigmoid', ['x']), { x: { shape: [3] } }],
    ['cos', (b) => b.emit('cos', ['x']), { x: { shape: [3] } }],
    ['log', (b) => b.emit('log', ['x']), { x: { shape: [3], gen: positive() } }],
    ['sqrt', (b) => b.emit('sqrt', ['x']), { x: { shape: [3], gen: positive() } }],
    ['rsqrt', (b) => b.emit('rsqrt', ['x']), { x: { shape: [3], gen: positive() } }],
    ['div by a broadcast row', (b) => b.emit('div', ['x', 'v']), { x: { shape: [2, 3] }, v: { shape: [3], gen: positive() } }],
    ['pow', (b) => b.emit('pow', ['x', 'v']), { x: { shape: [2, 3], gen: positive() }, v: { shape: [3] } }],
    ['matmul', (b) => b.emit('matmul', ['x', 'v']), { x: { shape: [2, 3] }, v: { shape: [3, 2] } }],
    ['softmax', (b) => b.emit('softmax', ['x']), { x: { shape: [2, 3], gen: distinct(0.3) } }],
    ['log_softmax', (b) => b.emit('log_softmax', ['x']), { x: { shape: [2, 3], gen: distinct(0.3) } }],
    ['reduce_max', (b) => b.emit('reduce_max', ['x'], { axes: [1] }), { x: { shape: [2, 3], gen: distinct(0.3) } }],
    [
      'gather with a repeated index, squared',
      (b) => {
        const picked = b.emit('gather', ['x', 'i']);
        return b.emit('mul', [picked, picked]);
      },
      { x: { shape: [3] }, i: { shape: [2], dtype: 'i32', values: [2, 2] } },
    ],
    ['a strided slice', (b) => b.emit('exp', [b.emit('slice', ['x'], { begin: [1], end: [5], stride: [2] })]), { x: { shape: [5] } }],
    ['concat of x with itself', (b) => b.emit('exp', [b.emit('concat', ['x', 'x'])]), { x: { shape: [3] } }],
  ];
  it.each(cases)('%s', async (_label, f, inputs) => {
    await secondOrder(f, inputs);
  });
});
