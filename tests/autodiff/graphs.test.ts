// grad() on whole graphs: accumulation over uses, an MLP's parameters, symbolic dims, paths that
// carry no gradient, what the loss ignores, how values are named, and usage errors.

import { describe, expect, it } from 'vitest';
import { attrsOf } from '../../src/ir/graph.js';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { SLICE_END } from '../../src/ir/ops/movement.js';
import { grad } from '../../src/passes/autodiff.js';
import { expectKiln } from '../ops/helpers.js';
import { WEIGHTS, analyticGrad, distinct, gradCheck, plain, uniform } from './gradcheck.js';

const f32 = (...shape: number[]) => ({ dtype: 'f32' as const, shape });

describe('a value used several times', () => {
  it('y = x*x + sin(x)*x: the cotangents of every use add up', async () => {
    const r = await gradCheck((b) => b.emit('add', [b.emit('mul', ['x', 'x']), b.emit('mul', [b.emit('sin', ['x']), 'x'])]), { x: { shape: [2, 3], gen: uniform(-2, 2) } });
    // Closed form: dy/dx = 2x + x cos x + sin x, weighted by R.
    const x = r.feed['x']!;
    const w = r.feed[WEIGHTS]!;
    r.analytic['x']!.forEach((g, i) => expect(g).toBeCloseTo(w[i]! * (2 * x[i]! + x[i]! * Math.cos(x[i]!) + Math.sin(x[i]!)), 12));
  });

  it('an intermediate used at three shapes: elementwise, reduced and sliced', async () => {
    await gradCheck(
      (b) => {
        const h = b.emit('exp', ['x']);
        const col = b.emit('reduce_sum', [h], { axes: [0], keepdims: true });
        const first = b.emit('slice', [h], { begin: [0, 0], end: [2, 1], stride: [1, 1] });
        return b.emit('add', [b.emit('mul', [h, col]), b.emit('mul', [h, first])]);
      },
      { x: { shape: [2, 3] } },
    );
  });

  it('the same input on both sides of a broadcast', async () => {
    // x [3] against reshape(x) [3, 1]: an outer product of x with itself.
    await gradCheck((b) => b.emit('mul', ['x', b.emit('reshape', ['x'], { shape: [3, 1] })]), { x: { shape: [3] } });
  });
});

/**
 * x [N, 3] -> tanh(dense) [N, 5] -> dense [N, 3] logits -> cross-entropy against i32 labels,
 * by the loss op or spelled out as -mean(sum(one_hot(labels) * log_softmax(logits))).
 */
const mlp = (useLossOp: boolean) => (b: GraphBuilder) => {
  b.param('w1', f32(3, 5), { fn: 'glorot_uniform', args: { seed: 1 } });
  b.param('b1', f32(5), { fn: 'uniform', args: { low: -0.5, high: 0.5, seed: 2 } });
  b.param('w2', f32(5, 3), { fn: 'glorot_uniform', args: { seed: 3 } });
  b.param('b2', f32(3), { fn: 'uniform', args: { low: -0.5, high: 0.5, seed: 4 } });
  const hidden = b.emit('tanh', [b.emit('dense', ['x', 'w1', 'b1'])]);
  const logits = b.emit('dense', [hidden, 'w2', 'b2']);
  if (useLossOp) return b.emit('softmax_cross_entropy', [logits, 'labels']);
  const hot = b.emit('one_hot', ['labels'], { depth: 3 });
  const picked = b.emit('reduce_sum', [b.emit('mul', [hot, b.emit('log_softmax', [logits])])], { axes: [1] });
  return b.emit('neg', [b.emit('mean', [picked], { axes: [0] })]);
};

describe('a two-layer MLP with softmax cross-entropy', () => {
  const inputs = {
    x: { shape: [4, 3], gen: uniform(-2, 2) },
    labels: { shape: [4], dtype: 'i32' as const, values: [0, 2, 1, 2] },
  };

  it.each([
    ['the loss op', true],
    ['one_hot and log_softmax', false],
  ])('every parameter and the input, against finite differences (parameters moved with setParams): %s', async (_label, useLossOp) => {
    const r = await gradCheck(mlp(useLossOp), inputs);
    expect(r.wrt).toEqual(['x', 'w1', 'b1', 'w2', 'b2']);
    // A cross-entropy of 3 classes near uniform predictions is near ln 3.
    expect(r.loss).toBeGreaterThan(0.5);
    expect(r.loss).toBeLessThan(2);
  });

  it('the loss op and its spelled-out form agree on the loss and every gradient', async () => {
    const [op, spelled] = [await analyticGrad(mlp(true), inputs), await analyticGrad(mlp(false), inputs)];
    expect(op.loss).toBeCloseTo(spelled.loss, 12);
    for (const w of op.wrt) op.analytic[w]!.forEach((g, i) => expect(g).toBeCloseTo(spelled.analytic[w]![i]!, 12));
  });

  it('parameter values given to the check replace the initializers', async () => {
    const w2 = Array.from({ length: 15 }, (_, i) => ((i * 7) % 5) / 5 - 0.4);
    const r = await gradCheck(mlp(false), { ...inputs, x: { ...inputs.x, diff: false } }, { params: { w2 } });
    expect(Array.from(r.params['w2']!)).toEqual(w2);
    expect(r.wrt).toEqual(['w1', 'b1', 'w2', 'b2']);
  });

  it('by default grad() differentiates every f32 parameter and no input', async () => {
    const { forward } = await analyticGrad(mlp(false), inputs, { wrt: [] });
    const outputs = grad(forward, { loss: 'loss' }).outputs.map((o) => o.name);
    expect(outputs).toEqual(['loss', 'grad_w1', 'grad_b1', 'grad_w2', 'grad_b2']);
  });
});

describe('symbolic dims: grad() on shapes with a batch symbol B, bound to 3 at compile time', () => {
  const B = { shapes: { B: 3 } };
  it.each([
    ['add of [B, 4] and [4]', (b: GraphBuilder) => b.emit('add', ['x', 'v']), { x: { shape: ['B', 4] }, v: { shape: [4] } }],
    ['mean over B', (b: GraphBuilder) => b.emit('mean', ['x'], { axes: [0] }), { x: { shape: ['B', 4] } }],
    ['reduce_max over the class axis', (b: GraphBuilder) => b.emit('reduce_max', ['x'], { axes: [1] }), { x: { shape: ['B', 4], gen: distinct(0.1) } }],
    ['softmax', (b: GraphBuilder) => b.emit('softmax', ['x']), { x: { shape: ['B', 4], gen: distinct(0.3) } }],
    ['matmul [B, 4] @ [4, 2]', (b: GraphBuilder) => b.emit('matmul', ['x', 'v']), { x: { shape: ['B', 4] }, v: { shape: [4, 2] } }],
    ['reshape [B, 2, 2] to [B, 4]', (b: GraphBuilder) => b.emit('reshape', ['x'], { shape: ['B', 4] }), { x: { shape: ['B', 2, 2] } }],
    ['transpose', (b: GraphBuilder) => b.emit('transpose', ['x'], { perm: [1, 0] }), { x: { shape: ['B', 4] } }],
    ['concat on the feature axis', (b: GraphBuilder) => b.emit('concat', ['x', 'y'], { axis: 1 }), { x: { shape: ['B', 4] }, y: { shape: ['B', 1] } }],
    ['slice of the feature axis', (b: GraphBuilder) => b.emit('slice', ['x'], { begin: [0, 1], end: [SLICE_END, 4], stride: [1, 2] }), { x: { shape: ['B', 4] } }],
    ['pad of the feature axis', (b: GraphBuilder) => b.emit('pad', ['x'], { before: [0, 1], after: [0, 2] }), { x: { shape: ['B', 4] } }],
    ['broadcast_to [B, 4]', (b: GraphBuilder) => b.emit('broadcast_to', ['v'], { shape: ['B', 4] }), { x: { shape: ['B', 4], diff: false }, v: { shape: [4] } }],
    [
      'gather along the feature axis',
      (b: GraphBuilder) => b.emit('gather', ['x', 'i'], { axis: 1 }),
      { x: { shape: ['B', 4] }, i: { shape: [3], dtype: 'i32' as const, values: [3, 0, 3] } },
    ],
  ] as const)('%s', async (_label, build, inputs) => {
    await gradCheck(build, inputs, B);
  });

  it('the MLP with cross-entropy over a batch of B', async () => {
    const r = await gradCheck(mlp(true), { x: { shape: ['B', 3], gen: uniform(-2, 2) }, labels: { shape: ['B'], dtype: 'i32', values: [2, 0, 1] } }, B);
    expect(r.backward.inputs.map((i) => i.type.shape)).toEqual([['B', 3], ['B']]);
  });
});

describe('values the loss does not depend on', () => {
  it('a parameter outside the loss gets an all-zero gradient of its shape', async () => {
    const r = await gradCheck(
      (b) => {
        b.param('used', f32(3), { fn: 'uniform', args: { low: 0.5, high: 1, seed: 5 } });
        b.param('unused', f32(2, 2), { fn: 'ones', args: {} });
        // unused feeds a value that reaches no output: it must still get a zero gradient.
        b.emit('exp', ['unused']);
        return b.emit('mul', ['x', 'used']);
      },
      { x: { shape: [3] } },
    );
    expect(r.wrt).toEqual(['x', 'used', 'unused']);
    expect(plain(r.analytic['unused']!)).toEqual([0, 0, 0, 0]);
    expect(plain(r.numeric['unused']!)).toEqual([0, 0, 0, 0]);
    const out = r.backward.outputs.find((o) => o.name === 'grad_unused')!;
    const node = r.backward.nodes.find((n) => n.name === out.value)!;
    expect([node.op, node.type.shape, attrsOf(node)['value']]).toEqual(['constant', [2, 2], [0]]);
  });

  it('an input that only reaches an integer output gets a zero gradient', async () => {
    const r = await analyticGrad(
      (b) => {
        b.output('index', b.emit('argmax', ['z']));
        return b.emit('reduce_sum', [b.emit('exp', ['x'])], { axes: [0] });
      },
      { x: { shape: [2] }, z: { shape: [3] } },
    );
    expect(plain(r.analytic['z']!)).toEqual([0, 0, 0]);
    expect(r.analytic['x']![1]).toBeCloseTo(Math.exp(r.feed['x']![1]!), 12);
  });
});

describe('integer and bool paths carry no gradient', () => {
  it('argmax, one_hot and a cast of the one-hot pick each row maximum', async () => {
    const r = await gradCheck(
      (b) => {
        const hot = b.emit('one_hot', [b.emit('argmax', ['x'], { axis: -1 })], { depth: 4 });
        return b.emit('reduce_sum', [b.emit('mul', ['x', hot])], { axes: [1] });
      },
      { x: { shape: [2, 4], gen: distinct(0.2) } },
    );
    // Only the argmax of each row gets its row's weight; argmax itself passes nothing.
    const x = r.feed['x']!;
    const w = r.feed[WEIGHTS]!;
    const want = Array.from(x, (v, i) => {
      const row = x.slice(i - (i % 4), i - (i % 4) + 4);
      return v === Math.max(...row) ? w[Math.floor(i / 4)]! : 0;
    });
    expect(plain(r.analytic['x']!)).toEqual(want);
  });

  it('a comparison feeding where: leaky relu', async () => {
    await gradCheck(
      (b) => {
        const zero = b.emit('constant', [], { value: [0] });
        const leak = b.emit('mul', ['x', b.emit('constant', [], { value: [0.1] })]);
        return b.emit('where', [b.emit('gt', ['x', zero]), 'x', leak]);
      },
      { x: { shape: [2, 3], values: [-1.5, 0.5, -0.25, 2, 0.75, -0.6] } },
    );
  });

  it('cast to i32 and back is piecewise constant: x * trunc(x) has gradient trunc(x)', async () => {
    const r = await gradCheck((b) => b.emit('mul', ['x', b.emit('cast', [b.emit('cast', ['x'], { to: 'i32' })], { to: 'f32' })]), {
      x: { shape: [4], values: [-2.5, -0.5, 1.5, 3.25] },
    });
    const w = r.feed[WEIGHTS]!;
    expect(plain(r.analytic['x']!)).toEqual([-2, -0, 1, 3].map((t, i) => t * w[i]! + 0));
  });

  it('an i32 input through integer arithmetic scales an f32 value', async () => {
    const r = await gradCheck((b) => b.emit('mul', ['x', b.emit('cast', [b.emit('add', ['i', 'i'])], { to: 'f32' })]), {
      x: { shape: [3] },
      i: { shape: [3], dtype: 'i32', values: [1, -2, 3] },
    });
    const w = r.feed[WEIGHTS]!;
    expect(plain(r.analytic['x']!)).toEqual([2 * w[0]!, -4 * w[1]!, 6 * w[2]!]);
  });

  it('accuracy added to the loss (argmax, eq, cast) contributes no gradient', async () => {
    const inputs = { z: { shape: [3, 4], gen: distinct(0.3) }, y: { shape: [3], dtype: 'i32' as const, values: [1, 3, 0] } };
    const squares = (b: GraphBuilder) => b.emit('reduce_sum', [b.emit('square', ['z'])], { axes: [0, 1] });
    const r = await gradCheck((b) => b.emit('add', [squares(b), b.emit('accuracy', ['z', 'y'])]), inputs);
    // The accuracy term is piecewise constant: what is left is d/dz sum(z^2) = 2z.
    r.analytic['z']!.forEach((g, i) => expect(g).toBeCloseTo(2 * r.feed['z']![i]!, 12));
  });

  it('gather at an index computed by argmax differentiates the table, not the index', async () => {
    await gradCheck(
      (b) => {
        const row = b.emit('gather', ['table', b.emit('argmax', ['x'], { axis: 0 })], { axis: 0 });
        return b.emit('mul', [row, b.emit('reduce_sum', ['x'], { axes: [0] })]);
      },
      { table: { shape: [3, 2] }, x: { shape: [3], gen: distinct(0.3) } },
    );
  });
});

describe('the loss', () => {
  it('may be named by a value instead of an output', () => {
    const b = new GraphBuilder('g');
    b.input('x', f32(2));
    const sum = b.emit('reduce_sum', [b.emit('mul', ['x', 'x'])], { axes: [0] });
    b.output('y', b.emit('neg', ['x']));
    const g = grad(b.build(), { loss: sum, wrt: ['x'] });
    expect(g.outputs.map((o) => o.name)).toEqual(['y', 'grad_x']);
  });
});

describe('values named as in the graph grad() is given', () => {
  /** Runs `g` on the reference backend in double precision. */
  const run = async (g: Graph, feed: Record<string, number[]>) => {
    const exe = await compile(g, { backend: 'reference', precision: 'f64' });
    const out = await exe.run(Object.fromEntries(Object.entries(feed).map(([k, v]) => [k, Float64Array.from(v)])));
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data)]));
  };

  it('wrt an intermediate value of a primitive: loss = sum(exp(x * x)) has d/dh = exp(h)', async () => {
    const b = new GraphBuilder('g');
    b.input('x', f32(3));
    const h = b.emit('mul', ['x', 'x']);
    b.output('loss', b.emit('reduce_sum', [b.emit('exp', [h])], { axes: [0] }));
    const out = await run(grad(b.build(), { wrt: [h, 'x'] }), { x: [0.5, -1, 0.25] });
    [0.5, -1, 0.25].forEach((x, i) => {
      expect(out[`grad_${h}`]![i]).toBeCloseTo(Math.exp(x * x), 12);
      expect(out['grad_x']![i]).toBeCloseTo(2 * x * Math.exp(x * x), 12);
    });
  });

  // grad() decomposes composites before it looks names up, and decomposition renames a
  // composite's value to its last primitive's: a name in the graph the caller passed vanishes.
  it('wrt the value of a composite node: loss = sum(p * p) for p = softmax(x) has d/dp = 2p', async () => {
    const b = new GraphBuilder('g');
    b.input('x', f32(1, 3));
    const p = b.emit('softmax', ['x']);
    b.output('loss', b.emit('reduce_sum', [b.emit('mul', [p, p])], { axes: [0, 1] }));
    const out = await run(grad(b.build(), { wrt: [p] }), { x: [0, 1, 2] });
    const e = [1, Math.E, Math.E ** 2];
    const sum = e[0]! + e[1]! + e[2]!;
    e.forEach((v, i) => expect(out[`grad_${p}`]![i]).toBeCloseTo((2 * v) / sum, 12));
  });

  it('the loss named by the value of a composite node: mse(x, t) has d/dx = 2 (x - t) / n', async () => {
    const b = new GraphBuilder('g');
    b.input('x', f32(2));
    b.input('t', f32(2));
    const loss = b.emit('mse', ['x', 't']);
    b.output('y', b.emit('neg', ['x']));
    const out = await run(grad(b.build(), { loss, wrt: ['x'] }), { x: [1, 3], t: [0.5, 4] });
    expect(out['grad_x']).toEqual([expect.closeTo(0.5, 12), expect.closeTo(-1, 12)]);
  });

  it('the updates of the graph are kept', () => {
    const b = new GraphBuilder('g');
    b.input('x', f32(2));
    b.param('w', f32(2), { fn: 'ones', args: {} });
    b.param('steps', f32(), { fn: 'zeros', args: {} });
    b.output('loss', b.emit('reduce_sum', [b.emit('mul', ['x', 'w'])], { axes: [0] }));
    const next = b.emit('add', ['steps', b.emit('constant', [], { value: [1] })]);
    b.update('steps', next);
    const g = grad(b.build(), { wrt: ['w'] });
    expect(g.updates).toEqual([{ param: 'steps', value: next }]);
  });
});

describe('usage errors', () => {
  /** g: input x f32[2, 3], input i i32[3], output loss = the given value. */
  const graph = (loss: (b: GraphBuilder) => string): Graph => {
    const b = new GraphBuilder('g');
    b.input('x', f32(2, 3));
    b.input('i', { dtype: 'i32', shape: [3] });
    b.output('loss', loss(b));
    return b.build();
  };
  const scalar = graph((b) => b.emit('reduce_sum', ['x'], { axes: [0, 1] }));

  it('a non-scalar loss', () => {
    expectKiln(
      () =>
        grad(
          graph((b) => b.emit('exp', ['x'])),
          { wrt: ['x'] },
        ),
      'usage',
      "grad: the loss 'loss' must be a scalar f32, got f32[2, 3]",
    );
  });

  it('an integer loss', () => {
    const g = graph((b) => b.emit('reduce_sum', ['i'], { axes: [0] }));
    expectKiln(() => grad(g, { wrt: ['x'] }), 'usage', "grad: the loss 'loss' must be a scalar f32, got i32[]");
  });

  it('a loss name that does not exist', () => {
    expectKiln(() => grad(scalar, { loss: 'nope', wrt: ['x'] }), 'usage', "grad: graph g has no output or value 'nope' to differentiate (outputs: loss)");
  });

  it('wrt an i32 value', () => {
    expectKiln(() => grad(scalar, { wrt: ['i'] }), 'usage', "grad: cannot differentiate with respect to 'i' of type i32[3] (only f32 values carry gradients)");
  });

  it('wrt a value that does not exist', () => {
    expectKiln(() => grad(scalar, { wrt: ['x', 'q'] }), 'usage', "grad: 'q' is not a value of graph g");
  });

  it('a gradient output name already taken', () => {
    const b = new GraphBuilder('g');
    b.input('x', f32(2));
    b.output('loss', b.emit('reduce_sum', ['x'], { axes: [0] }));
    b.output('grad_x', 'x');
    expectKiln(() => grad(b.build(), { wrt: ['x'] }), 'usage', "grad: output name 'grad_x' for the gradient of 'x' is already taken");
  });
});
