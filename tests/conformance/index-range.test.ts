// Data-dependent indices on every backend: a gather index out of range is refused as the
// reference refuses it, whatever the axis size (1 included) and whatever the index goes
// through (broadcasts, reshapes, reductions); one_hot maps such an index to a row of zeros.

import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import type { Executable } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { parseGraph } from '../../src/ir/text.js';
import type { Tensor } from '../../src/ir/types.js';
import { simplify } from '../../src/passes/simplify.js';
import { describeEachBackend } from './backends.js';
import { closeEnough } from './tolerance.js';

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

interface Variant {
  name: string;
  /** The shape of x (f32, elements 1, 2, 3, ...). */
  x: number[];
  /** The shape of idx (i32). */
  idx: number[];
  /** The size of the axis the index selects along. */
  size: number;
  /** y from x and idx. */
  build: (b: GraphBuilder, x: string, idx: string) => string;
}

const gather = (b: GraphBuilder, x: string, idx: string, axis = 0) => b.emit('gather', [x, idx], { axis });

const zeroI32 = (b: GraphBuilder) => b.emit('constant', [], { dtype: 'i32', shape: [], value: [0] });
const sameTwice = (b: GraphBuilder, v: string) => b.emit('sub', [v, v]);
const x0 = (b: GraphBuilder) => b.emit('constant', [], { dtype: 'f32', shape: [2], value: [0] });

const VARIANTS: Variant[] = [
  { name: 'x[1], axis 0', x: [1], idx: [2], size: 1, build: (b, x, i) => gather(b, x, i) },
  { name: 'x[3], axis 0', x: [3], idx: [2], size: 3, build: (b, x, i) => gather(b, x, i) },
  { name: 'x[2, 1], axis 1', x: [2, 1], idx: [2], size: 1, build: (b, x, i) => gather(b, x, i, 1) },
  { name: 'x[1, 3], axis 0', x: [1, 3], idx: [2], size: 1, build: (b, x, i) => gather(b, x, i) },
  { name: 'x[1], 2-d indices', x: [1], idx: [2, 1], size: 1, build: (b, x, i) => gather(b, x, i) },
  { name: 'x[1] broadcast to [3]', x: [1], idx: [2], size: 3, build: (b, x, i) => gather(b, b.emit('broadcast_to', [x], { shape: [3] }), i) },
  { name: 'x[] broadcast to [3, 2]', x: [], idx: [2], size: 3, build: (b, x, i) => gather(b, b.emit('broadcast_to', [x], { shape: [3, 2] }), i) },
  { name: 'x[1] reshaped to [1, 1]', x: [1], idx: [2], size: 1, build: (b, x, i) => gather(b, b.emit('reshape', [x], { shape: [1, 1] }), i) },
  { name: 'x[1] plus 1, summed', x: [1], idx: [2], size: 1, build: (b, x, i) => b.emit('reduce_sum', [gather(b, b.emit('add', [x, x]), i)], { axes: [0] }) },
  { name: 'x[3] cast to i32, times 0', x: [3], idx: [2], size: 3, build: (b, x, i) => b.emit('mul', [b.emit('cast', [gather(b, x, i)], { to: 'i32' }), zeroI32(b)]) },
  { name: 'x[1] cast to i32, minus itself', x: [1], idx: [2], size: 1, build: (b, x, i) => sameTwice(b, b.emit('cast', [gather(b, x, i)], { to: 'i32' })) },
  { name: 'x[3] only in the test of a where', x: [3], idx: [2], size: 3, build: (b, x, i) => b.emit('where', [b.emit('gt', [gather(b, x, i), x0(b)]), x0(b), x0(b)]) },
  { name: 'x[3] in the branch a where does not choose', x: [3], idx: [2], size: 3, build: (b, x, i) => b.emit('where', [b.emit('gt', [x0(b), x0(b)]), gather(b, x, i), x0(b)]) },
  {
    name: 'x[1] in both branches of a where',
    x: [1],
    idx: [2],
    size: 1,
    build: (b, x, i) => b.emit('where', [b.emit('gt', [x0(b), x0(b)]), gather(b, x, i), b.emit('neg', [gather(b, x, i)])]),
  },
  { name: 'x[2, 3] transposed, axis 0', x: [2, 3], idx: [2], size: 3, build: (b, x, i) => gather(b, b.emit('transpose', [x], { perm: [1, 0] }), i) },
];

function graphOf(v: Variant): Graph {
  const b = new GraphBuilder('index_range');
  b.output('y', v.build(b, b.input('x', { dtype: 'f32', shape: v.x }), b.input('idx', { dtype: 'i32', shape: v.idx })));
  return b.build();
}

function feed(v: Variant, last: number) {
  const n = v.x.reduce((p, d) => p * d, 1);
  const m = v.idx.reduce((p, d) => p * d, 1);
  const idx = Array.from({ length: m }, (_, j) => (j === m - 1 ? last : 0));
  return { x: Float32Array.from({ length: n }, (_, i) => i + 1), idx: Int32Array.from(idx) };
}

/** The error `exe.run` rejects with. */
async function rejection(exe: Executable, inputs: ReturnType<typeof feed>): Promise<{ code?: string; message: string }> {
  try {
    await exe.run(inputs);
  } catch (e) {
    return e as { code?: string; message: string };
  }
  return expect.fail('the run was not refused');
}

function expectSame(got: Tensor, want: Tensor): void {
  expect(got.shape).toEqual(want.shape);
  want.data.forEach((w, i) => expect(closeEnough(Number(got.data[i]), Number(w)), `element ${i}`).toBe(true));
}

describeEachBackend((backend) => {
  describe.each(VARIANTS)('gather, $name', (v) => {
    it('agrees with the reference for every index in range', async () => {
      const g = graphOf(v);
      const [ref, exe] = await Promise.all([compile(g), compile(g, { backend })]);
      for (let k = 0; k < v.size; k++) expectSame((await exe.run(feed(v, k)))['y']!, (await ref.run(feed(v, k)))['y']!);
    });

    it('refuses a negative, too large or huge index, as the reference does', async () => {
      const g = graphOf(v);
      const [ref, exe] = await Promise.all([compile(g), compile(g, { backend })]);
      for (const bad of [-1, v.size, v.size + 1, 1_000_000, I32_MAX, I32_MIN]) {
        const [want, got] = await Promise.all([rejection(ref, feed(v, bad)), rejection(exe, feed(v, bad))]);
        expect(want.code).toBe('runtime');
        expect(got.code).toBe('runtime');
        for (const e of [want, got]) expect(e.message).toMatch(new RegExp(`gather: index ${bad} is out of range for .*\\bsize ${v.size}$`));
      }
    });
  });

  it.each([1, 3])('one_hot of depth %i maps an index out of range to a row of zeros', async (depth) => {
    const b = new GraphBuilder('one_hot_range');
    b.output('y', b.emit('one_hot', [b.input('idx', { dtype: 'i32', shape: [7] })], { depth, dtype: 'f32' }));
    const g = b.build();
    const [ref, exe] = await Promise.all([compile(g), compile(g, { backend })]);
    const idx = Int32Array.from([0, depth - 1, -1, depth, 1_000_000, I32_MAX, I32_MIN]);
    const want = (await ref.run({ idx }))['y']!;
    expectSame((await exe.run({ idx }))['y']!, want);
    expect(Array.from(want.data).reduce((a, x) => a + Number(x), 0)).toBe(2); // the two indices in range
  });
});

describe('the simplify pass', () => {
  // A gather checks its indices at run time: x·0, x - x or where(c, x, x) must not drop one.
  const gathered = (y: string) =>
    parseGraph(
      `graph g {\n  input t: i32[3]\n  input i: i32[2]\n  input h: i32[2]\n  %g = gather(%t, %i) : i32[2]\n  %zero = constant() {dtype=i32, value=[0]} : i32[]\n  %c = gt(%g, %h) : bool[2]\n  %y = ${y} : i32[2]\n  output y = %y\n}\n`,
    );
  it.each([
    ['mul(%g, %zero)', []],
    ['sub(%g, %g)', []],
    ['where(%c, %h, %h)', []],
    ['where(%c, %g, %g)', ['where-same']],
  ])('keeps the gather that %s is computed from', (y, want) => {
    const fired: string[] = [];
    simplify(gathered(y), { onRewrite: (rule) => fired.push(rule) });
    expect(fired).toEqual(want);
  });
});
