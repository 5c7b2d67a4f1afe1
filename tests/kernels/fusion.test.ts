// Fusion and lowering: golden kernel text per fusion decision, MNIST kernel counts, and programs run against the reference backend.

import { describe, expect, it } from 'vitest';
import { MODELS } from '../../examples/export-models.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { graph as kilnGraph, init } from '../../src/frontend/builder.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { SLICE_END } from '../../src/ir/ops/movement.js';
import { mix32 } from '../../src/ir/random.js';
import type { DType, Dim } from '../../src/ir/types.js';
import { chooseMaterialized } from '../../src/kernels/fusion.js';
import { lowerToKernels } from '../../src/kernels/lower.js';
import { printKernels } from '../../src/kernels/print.js';
import { adam, sgd } from '../../src/train/optimizers.js';
import { Trainer } from '../../src/train/trainer.js';
import { dce } from '../../src/passes/dce.js';
import { decompose } from '../../src/passes/decompose.js';
import { specialize } from '../../src/passes/specialize.js';
import { CASES } from '../conformance/cases.js';
import { GRAPHS } from '../conformance/graphs.js';
import { mismatch, typedData } from '../conformance/tolerance.js';
import { randomGraph, randomInputs } from '../support/random-graphs.js';
import { expectMatchesReference, expectValidSchedule, runKernels } from './evaluate.js';
import type { Feed } from './evaluate.js';

const t = (dtype: DType, shape: Dim[]) => ({ dtype, shape });
const zeros = { fn: 'zeros', args: {} };

/** A graph from a builder callback. */
function graph(build: (b: GraphBuilder) => void, name = 'g'): Graph {
  const b = new GraphBuilder(name);
  build(b);
  return b.build();
}

/** Decomposes, specializes, lowers (checking the schedule) and prints. */
function lower(g: Graph, shapes: Record<string, number> = {}) {
  const p = lowerToKernels(dce(decompose(specialize(g, { shapes }))));
  expectValidSchedule(p);
  return p;
}

const kernels = (g: Graph, shapes: Record<string, number> = {}) => printKernels(lower(g, shapes));

/** Deterministic test data in [-2, 2). */
function data(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (mix32(seed * 7919 + i) / 2 ** 32) * 4 - 2);
}

describe('fusion decisions', () => {
  it('fuses an elementwise chain into one kernel', () => {
    const g = graph((b) => {
      const x = b.input('x', t('f32', [4, 3]));
      const y = b.emit('exp', [b.emit('add', [b.emit('mul', [b.emit('neg', [x]), b.emit('constant', [], { value: [2] })]), b.emit('constant', [], { value: [1] })])]);
      b.output('y', b.emit('sqrt', [y]));
    });
    expect(kernels(g)).toMatchInlineSnapshot(`
      "program g: 1 kernel, 0 temp buffers
        input x: f32[4, 3]
        output t6: f32[4, 3]
        returns y = t6
      k0 elementwise at [4, 3]
        t6 = sqrt(exp(-x[3*i0 + i1] * 2 + 1))"
    `);
  });

  it('lowers softmax to two reductions and one elementwise kernel', () => {
    const g = graph((b) => b.output('p', b.emit('softmax', [b.input('x', t('f32', [8, 10]))])));
    expect(kernels(g)).toMatchInlineSnapshot(`
      "program g: 3 kernels, 2 temp buffers
        input x: f32[8, 10]
        temp t0.0: f32[8, 1]
        temp t0.3: f32[8, 1]
        output t0: f32[8, 10]
        returns p = t0
      k0 reduce at [8, 1], max over [10]: x[10*i0 + r0]
        t0.0 = acc
      k1 reduce at [8, 1], sum over [10]: exp(x[10*i0 + r0] - t0.0[i0])
        t0.3 = acc
      k2 elementwise at [8, 10]
        t0 = exp(x[10*i0 + i1] - t0.0[i0]) / t0.3[i0]"
    `);
  });

  it('computes relu(x @ w + b) in one matmul kernel, the bias and relu as its epilogue', () => {
    const g = graph((b) => {
      const x = b.input('x', t('f32', ['B', 5]));
      const w = b.param('w', t('f32', [5, 3]), zeros);
      const bias = b.param('b', t('f32', [3]), zeros);
      b.output('y', b.emit('relu', [b.emit('add', [b.emit('matmul', [x, w]), bias])]));
    });
    expect(kernels(g, { B: 4 })).toMatchInlineSnapshot(`
      "program g: 1 kernel, 0 temp buffers
        input x: f32[4, 5]
        param w: f32[5, 3] = zeros()
        param b: f32[3] = zeros()
        output t2: f32[4, 3]
        returns y = t2
      k0 matmul at [4, 3], sum over [5]: x[5*i0 + r0] * w[i1 + 3*r0]
        t2 = relu(acc + b[i1])"
    `);
  });

  it('stores a reduction used twice once, and reads it from both consumers', () => {
    const g = graph((b) => {
      const x = b.input('x', t('f32', [4, 6]));
      const s = b.emit('reduce_sum', [x], { axes: [1], keepdims: true });
      b.output('centered', b.emit('sub', [x, s]));
      b.output('scaled', b.emit('div', [x, s]));
    });
    expect(kernels(g)).toMatchInlineSnapshot(`
      "program g: 2 kernels, 1 temp buffer
        input x: f32[4, 6]
        temp t0: f32[4, 1]
        output t1: f32[4, 6]
        output t2: f32[4, 6]
        returns centered = t1
        returns scaled = t2
      k0 reduce at [4, 1], sum over [6]: x[6*i0 + r0]
        t0 = acc
      k1 elementwise at [4, 6]
        t1 = x[6*i0 + i1] - t0[i0]
        t2 = x[6*i0 + i1] / t0[i0]"
    `);
  });

  it('reads a transposed matmul operand through an index expression, with no copy', () => {
    const g = graph((b) => {
      const x = b.input('x', t('f32', [4, 5]));
      const w = b.input('w', t('f32', [3, 5]));
      b.output('y', b.emit('matmul', [x, b.emit('transpose', [w], { perm: [1, 0] })]));
    });
    expect(kernels(g)).toMatchInlineSnapshot(`
      "program g: 1 kernel, 0 temp buffers
        input x: f32[4, 5]
        input w: f32[3, 5]
        output t1: f32[4, 3]
        returns y = t1
      k0 matmul at [4, 3], sum over [5]: x[5*i0 + r0] * w[5*i1 + r0]
        t1 = acc"
    `);
  });

  it('orders a dependency chain: each kernel reads only what earlier ones wrote', () => {
    // max -> centered -> sum of squares -> normalized: four steps, two of them reductions.
    const g = graph((b) => {
      const x = b.input('x', t('f32', [3, 4]));
      const m = b.emit('reduce_max', [x], { axes: [1], keepdims: true });
      const c = b.emit('sub', [x, m]);
      const ss = b.emit('reduce_sum', [b.emit('mul', [c, c])], { axes: [1], keepdims: true });
      b.output('y', b.emit('mul', [c, b.emit('rsqrt', [ss])]));
      b.output('m', m);
    });
    expect(kernels(g)).toMatchInlineSnapshot(`
      "program g: 3 kernels, 1 temp buffer
        input x: f32[3, 4]
        output t0: f32[3, 1]
        temp t3: f32[3, 1]
        output t5: f32[3, 4]
        returns y = t5
        returns m = t0
      k0 reduce at [3, 1], max over [4]: x[4*i0 + r0]
        t0 = acc
      k1 reduce at [3, 1], sum over [4]: (x[4*i0 + r0] - t0[i0]) * (x[4*i0 + r0] - t0[i0])
        t3 = acc
      k2 elementwise at [3, 4]
        t5 = (x[4*i0 + i1] - t0[i0]) * rsqrt(t3[i0])"
    `);
  });

  it('stores a scalar broadcast into a large space once instead of recomputing it per element', () => {
    const g = graph((b) => {
      const s = b.input('s', t('f32', []));
      const x = b.input('x', t('f32', [256, 256]));
      const corr = b.emit('sub', [b.emit('constant', [], { value: [1] }), b.emit('pow', [b.emit('constant', [], { value: [0.9] }), s])]);
      b.output('y', b.emit('div', [x, corr]));
    });
    expect(kernels(g)).toMatchInlineSnapshot(`
      "program g: 2 kernels, 1 temp buffer
        input s: f32[]
        input x: f32[256, 256]
        temp t3: f32[]
        output t4: f32[256, 256]
        returns y = t4
      k0 elementwise at []
        t3 = 1 - pow(0.9, s)
      k1 elementwise at [256, 256]
        t4 = x[256*i0 + i1] / t3"
    `);
  });

  it('stacks independent reductions of one shape into one kernel', () => {
    const g = graph((b) => {
      const x = b.input('x', t('f32', [4, 6]));
      const y = b.input('y', t('f32', [4, 6]));
      const sx = b.emit('reduce_sum', [b.emit('exp', [x])], { axes: [1], keepdims: true });
      const sy = b.emit('reduce_sum', [b.emit('abs', [y])], { axes: [1], keepdims: true });
      b.output('z', b.emit('mul', [b.emit('add', [x, y]), b.emit('div', [sx, sy])]));
    });
    expect(kernels(g)).toMatchInlineSnapshot(`
      "program g: 2 kernels, 1 temp buffer
        input x: f32[4, 6]
        input y: f32[4, 6]
        temp stack(t1,t3): f32[2, 4, 1]
        output t6: f32[4, 6]
        returns z = t6
      k0 reduce at [2, 4, 1], sum over [6]: where(i0 == 0, exp(x[6*i1 + r0]), abs(y[6*i1 + r0]))
        stack(t1,t3) = acc
      k1 elementwise at [4, 6]
        t6 = (x[6*i0 + i1] + y[6*i0 + i1]) * (stack(t1,t3)[i0] / stack(t1,t3)[i0 + 4])"
    `);
  });

  it('copies an output that is an input or a parameter; an update may name any value', () => {
    const g = graph((b) => {
      const x = b.input('x', t('f32', [3]));
      const w = b.param('w', t('f32', [3]), zeros);
      b.output('same', x);
      b.output('weights', w);
      b.update(w, x);
    });
    expect(kernels(g)).toMatchInlineSnapshot(`
      "program g: 1 kernel, 0 temp buffers
        input x: f32[3]
        param w: f32[3] = zeros()
        output output:same: f32[3]
        output output:weights: f32[3]
        returns same = output:same
        returns weights = output:weights
        update w = x
      k0 elementwise at [3]
        output:same = x[i0]
        output:weights = w[i0]"
    `);
  });

  it('turns pad, concat, slice and gather into index arithmetic on the loads beneath them', () => {
    const g = graph((b) => {
      const x = b.input('x', t('f32', [2, 3]));
      const ids = b.input('ids', t('i32', [2]));
      const padded = b.emit('pad', [x], { before: [0, 1], after: [0, 1], value: -1 });
      const joined = b.emit('concat', [padded, b.emit('gather', [x, ids], { axis: 1 })], { axis: 1 });
      b.output('y', b.emit('slice', [joined], { begin: [1, 0], end: [SLICE_END, SLICE_END], stride: [1, 2] }));
    });
    expect(kernels(g)).toMatchInlineSnapshot(`
      "program g: 1 kernel, 0 temp buffers
        input x: f32[2, 3]
        input ids: i32[2]
        output t3: f32[1, 4]
        returns y = t3
      k0 elementwise at [1, 4]
        t3 = where(2*i1 < 5, where(2*i1 >= 1, where(2*i1 < 4, x[2*i1 + 2], -1), -1), x[{ids[2*i1 - 5]} + 3])"
    `);
  });
});

describe('materialization', () => {
  it('says why each stored value of a training step is stored', () => {
    const step = new Trainer(mnistMlpGraph(), { optimizer: adam({ lr: 1e-3 }) }).trainGraph;
    const g = dce(decompose(specialize(step, { shapes: { B: 128 } })));
    const facts = {
      nodes: g.nodes,
      external: new Set([...g.outputs.map((o) => o.value), ...g.updates.map((u) => u.value)]),
      sources: new Set([...g.inputs, ...g.params].map((v) => v.name)),
      shapeOf: (v: string) => [...g.nodes, ...g.inputs, ...g.params].find((n) => n.name === v)!.type.shape as number[],
    };
    const why = chooseMaterialized(facts, { fuse: true });
    const reasons = (r: string) =>
      [...why]
        .filter(([, x]) => x === r)
        .map(([v]) => v)
        .sort();
    // relu(x @ w1 + b1) feeds the next matmul and the weight gradient's: stored as an operand.
    expect(reasons('matmul operand')).toEqual(['t2', 't41', 't49', 't5', 't57']);
    // Adam's bias corrections 1 - beta^t are scalars read by every update: stored, not recomputed per weight.
    expect(reasons('costly to recompute')).toEqual(['t22', 't65']);
    expect(reasons('output')).toHaveLength(2 + 19);
  });
});

describe('the MNIST MLP (784-256-256-10, B = 128)', () => {
  const counts = (p: ReturnType<typeof lower>) => ({ kernels: p.kernels.length, temps: p.buffers.filter((b) => b.role === 'temp').length });

  it('runs inference (logits, loss, accuracy) in 9 kernels, and the logits alone in 3', () => {
    const g = mnistMlpGraph();
    expect(counts(lower(g, { B: 128 }))).toEqual({ kernels: 9, temps: 6 });
    expect(counts(lower({ ...g, outputs: g.outputs.filter((o) => o.name === 'logits') }, { B: 128 }))).toEqual({ kernels: 3, temps: 2 });
  });

  it('runs a whole Adam training step (forward, backward, update) in 20 kernels', () => {
    const step = new Trainer(mnistMlpGraph(), { optimizer: adam({ lr: 1e-3 }) }).trainGraph;
    const p = lower(step, { B: 128 });
    expect(counts(p)).toEqual({ kernels: 20, temps: 16 });
    // Every weight's gradient matmul carries its Adam update: m', v' and w' stored together.
    const w1 = p.kernels.find((k) => k.stores.some((s) => p.updates.find((u) => u.param === 'w1')!.buffer === s.buffer))!;
    expect(w1.pattern).toBe('matmul');
    expect(w1.stores).toHaveLength(3);
    // Unfused, the same step takes one kernel per primitive (201 of them).
    const primitives = dce(decompose(specialize(step, { shapes: { B: 128 } })));
    expect(lowerToKernels(primitives, { fuse: false }).kernels.length).toBe(primitives.nodes.length);
    expect(primitives.nodes.length).toBe(201);
  });
});

describe('fused execution matches the reference backend', () => {
  describe('every op of the conformance table', () => {
    it.each(CASES)('$name', (c) => {
      const b = new GraphBuilder('conformance');
      const names = c.inputs.map((v, i) => b.input(`x${i}`, { dtype: v.dtype, shape: v.shape }));
      b.output('y', b.emitDynamic(c.op, names, c.attrs ?? {}));
      const primitives = decompose(specialize(b.build(), { shapes: c.shapes ?? {} }));
      const feed = Object.fromEntries(c.inputs.map((v, i) => [`x${i}`, typedData(v)]));
      for (const fuse of [true, false]) {
        const p = lowerToKernels(primitives, { fuse });
        expectValidSchedule(p);
        expect(mismatch(runKernels(p, feed).outputs['y']!, c.expected, c.tolerance)).toBeUndefined();
      }
    });
  });

  describe('the conformance graphs', () => {
    const runs = GRAPHS.flatMap((g) => g.runs.map((run) => ({ name: `${g.name}: ${run.name}`, g, run })));
    it.each(runs)('$name', ({ g, run }) => {
      const p = lowerToKernels(decompose(specialize(g.graph, { shapes: run.shapes ?? {} })));
      const feed = Object.fromEntries(Object.entries({ ...g.params, ...run.inputs }).map(([k, v]) => [k, typedData(v)]));
      const out = runKernels(p, feed).outputs;
      for (const [name, want] of Object.entries(run.expected)) expect(mismatch(out[name]!, want), name).toBeUndefined();
    });
  });

  it('random graphs', async () => {
    for (let seed = 1; seed <= 60; seed++) {
      const g = randomGraph(seed);
      await expectMatchesReference(g, randomInputs(g, seed));
    }
  });

  it('a small MLP training step with Adam: loss, accuracy and every updated parameter', async () => {
    const step = new Trainer(mnistMlpGraph([12, 8]), { optimizer: adam({ lr: 1e-2 }) }).trainGraph;
    const B = 6;
    const feed: Record<string, Float32Array | Int32Array> = {
      x: data(B * 784, 1).map((v) => Math.abs(v) / 2),
      y: Int32Array.from({ length: B }, (_, i) => (i * 7) % 10),
      lr: new Float32Array([0.01]),
      'optimizer.step': new Float32Array([3]),
    };
    step.params.forEach((p, i) => {
      const n = p.type.shape.reduce<number>((a, d) => a * (d as number), 1);
      feed[p.name] = p.name.endsWith('.v') ? data(n, 100 + i).map((v) => (v * v) / 100) : p.name === 'optimizer.step' ? feed[p.name]! : data(n, 100 + i).map((v) => v / 4);
    });
    const p = await expectMatchesReference(step, feed satisfies Feed, { B });
    expect(p.kernels.length).toBe(20);
  });

  it('training steps of the example models (SGD with momentum, Adam; dropout keyed by the step)', async () => {
    const withDropout = kilnGraph('dropout_mlp', (b) => {
      const x = b.input('x', 'f32', ['B', 6]);
      const h = x
        .matmul(b.param('w1', 'f32', [6, 5], init.heNormal()))
        .relu()
        .dropout(0.3);
      const y = h.matmul(b.param('w2', 'f32', [5, 1], init.glorotUniform()));
      b.output('loss', b.op('mse', [y, b.input('t', 'f32', ['B', 1])]));
    });
    const models = [...Object.entries(MODELS).filter(([name]) => name !== 'mnist-mlp'), ['dropout', () => withDropout] as const];
    for (const [i, [name, make]] of models.entries()) {
      const optimizer = i % 2 ? adam({ lr: 0.01 }) : sgd({ lr: 0.05, momentum: 0.9 });
      const step = new Trainer(make(), { optimizer }).trainGraph;
      const B = 5;
      const feed: Record<string, Float32Array | Int32Array | Uint8Array> = {};
      for (const [k, v] of [...step.inputs, ...step.params].entries()) {
        const n = v.type.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : B), 1);
        const values = data(n, 31 * i + k);
        if (v.name === 'optimizer.step' || v.name === 'step') feed[v.name] = v.type.dtype === 'i32' ? new Int32Array([4]) : new Float32Array([4]);
        else if (v.name === 'lr') feed[v.name] = new Float32Array([0.01]);
        else if (v.type.dtype === 'i32') feed[v.name] = Int32Array.from(values, (x) => (x > 0 ? 1 : 0));
        else feed[v.name] = v.name.endsWith('.v') ? values.map((x) => x * x) : values;
      }
      await expectMatchesReference(step, feed, { B }).catch((e: unknown) => {
        throw new Error(`${name}: ${String(e)}`);
      });
    }
  });

  it('reductions of several kinds and dtypes: only alike ones stack', async () => {
    const g = graph((b) => {
      const x = b.input('x', t('f32', [3, 5]));
      const n = b.input('n', t('i32', [3, 5]));
      const rows = (op: string, v: string) => b.emit('cast', [b.emitDynamic(op, [v], op === 'argmax' ? { axis: 1 } : { axes: [1] })], { to: 'f32' });
      const folds = [
        ['argmax', x],
        ['argmax', n],
        ['reduce_max', x],
        ['reduce_max', b.emit('neg', [x])],
        ['reduce_sum', n],
        ['reduce_sum', b.emit('mul', [n, n])],
      ];
      b.output(
        'y',
        folds.map(([op, v]) => rows(op!, v!)).reduce((s, r) => b.emit('add', [s, r])),
      );
    });
    const p = await expectMatchesReference(g, { x: data(15, 5), n: Int32Array.from(data(15, 6), (v) => Math.round(v * 3)) });
    // The two f32 row maxima stack; argmax of f32 and of i32 do not; the last sum carries y.
    expect(p.kernels.map((k) => `${k.reduce!.op}[${k.shape.join()}]`)).toEqual(['argmax[3]', 'argmax[3]', 'max[2,3]', 'sum[3]', 'sum[3]']);
  });

  it('graphs whose movement ops compose: transpose of a reshape of a broadcast, pad and concat into a reduction', async () => {
    const g = graph((b) => {
      const x = b.input('x', t('f32', [6, 1]));
      const w = b.input('w', t('f32', [4, 6]));
      const wide = b.emit('broadcast_to', [x], { shape: [2, 6, 4] });
      const r = b.emit('transpose', [b.emit('reshape', [wide], { shape: [4, 3, 4] })], { perm: [0, 2, 1] });
      const m = b.emit('matmul', [r, b.emit('reshape', [b.emit('transpose', [w], { perm: [1, 0] })], { shape: [3, 8] })]);
      const p = b.emit('pad', [m], { before: [1, 0, 2], after: [0, 1, 0], value: 0.5 });
      const c = b.emit('concat', [p, b.emit('slice', [p], { begin: [0, 0, 1], end: [SLICE_END, SLICE_END, SLICE_END], stride: [1, 1, 3] })], { axis: 2 });
      b.output('s', b.emit('reduce_max', [c], { axes: [0, 2] }));
      b.output('c', c);
    });
    await expectMatchesReference(g, { x: data(6, 3), w: data(24, 4) });
  });
});
