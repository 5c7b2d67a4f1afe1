// batchPlan: which ops carry the batch along one axis and which mix examples. Each refusal names
// the node, its op and what it does to the batch axis; each acceptance says which inputs and
// outputs carry the batch.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Dim } from '../../src/ir/types.js';
import { batchPlan } from '../../src/passes/batch-independence.js';

type Emit = (g: GraphBuilder, x: string) => string;

/** A graph with input x: f32[...shape] and output y = body(x); the plan for dim B or its error. */
function planOf(body: Emit, shape: Dim[] = ['B', 4]): string {
  const g = new GraphBuilder('m');
  const x = g.input('x', { dtype: 'f32', shape });
  g.output('y', body(g, x));
  try {
    const plan = batchPlan(g.build(), 'B');
    return `inputs ${plan.inputs.join(' ')}; outputs ${plan.outputs.join(' ')}`;
  } catch (e) {
    return (e as Error).message.replace(/, so a row of a smaller batch .*$/, '');
  }
}

const param = (g: GraphBuilder, name: string, shape: number[]): string => g.param(name, { dtype: 'f32', shape }, { fn: 'zeros', args: {} });

describe('batchPlan', () => {
  it('carries the batch through rows of matmul, per-row reductions, argmax, transposes and broadcasts of parameters', () => {
    const ok = 'inputs x; outputs y';
    expect(planOf((g, x) => g.emit('matmul', [x, param(g, 'w', [4, 3])]))).toBe(ok);
    expect(planOf((g, x) => g.emit('reduce_max', [x], { axes: [1], keepdims: true }))).toBe(ok);
    expect(planOf((g, x) => g.emit('argmax', [x], { axis: -1, keepdims: false }))).toBe(ok);
    expect(planOf((g, x) => g.emit('transpose', [g.emit('transpose', [x], { perm: [1, 0] })], { perm: [1, 0] }))).toBe(ok);
    expect(planOf((g, x) => g.emit('mul', [x, param(g, 'w', [4])]))).toBe(ok);
    expect(planOf((g, x) => g.emit('reduce_sum', [x], { axes: [], keepdims: false }))).toBe(ok);
    expect(planOf((g, x) => g.emit('concat', [x, g.emit('exp', [x])], { axis: 1 }))).toBe(ok);
  });

  it('refuses what mixes examples, naming the node, the op and what it does', () => {
    expect(planOf((g, x) => g.emit('reduce_sum', [x], { axes: [0], keepdims: true }))).toBe("variable batch: node 't0' (reduce_sum) reduces over the batch axis 0");
    expect(planOf((g, x) => g.emit('matmul', [g.emit('transpose', [x], { perm: [1, 0] }), x]))).toBe("variable batch: node 't1' (matmul) contracts over the batch axis");
    expect(planOf((g, x) => g.emit('gather', [x, g.emit('constant', [], { dtype: 'i32', shape: [2], value: [1, 0] })], { axis: 0 }))).toBe(
      "variable batch: node 't1' (gather) gathers along the batch axis 0: indices pick examples",
    );
    expect(planOf((g, x) => g.emit('add', [x, g.emit('transpose', [x], { perm: [1, 0] })]), ['B', 'B'])).toBe(
      "variable batch: node 't1' (add) combines operands whose examples lie on different axes (0 and 1)",
    );
    expect(planOf((g, x) => g.emit('reshape', [x], { shape: [2, 'B', 2] }))).toBe("variable batch: node 't0' (reshape) reshapes B examples on axis 0 into other axes");
  });

  it('refuses a batch that is not on axis 0 of an input or an output', () => {
    expect(planOf((_g, x) => x, [4, 'B'])).toBe("variable batch: input 'x' has B on axis 1; the batch must be its first axis");
    expect(planOf((g, x) => g.emit('transpose', [x], { perm: [1, 0] }))).toBe("variable batch: output 'y' carries the batch on axis 1; it must be the first axis");
    expect(planOf((_g, x) => x, [4, 2])).toBe("variable batch: no input of 'm' has B as its first dim (inputs: x: [4, 2])");
  });
});
