// The memory planner on hand-built programs: no two live temps overlap (every pair checked), bytes are reused, in place only where safe, the arena within 10% of the live lower bound on chains and diamonds, and planned programs compute what unplanned ones do.

import { describe, expect, it } from 'vitest';
import { parseProgram } from '../../runtime/program-validator.js';
import { KernelExecutable } from '../../runtime/executable.js';
import { isPointIndex } from '../../runtime/kernel-analysis.js';
import type { BufferSpec, IndexExpr, Kernel, KernelProgram, ValueExpr } from '../../runtime/kernel-ir.js';
import { liveLowerBound, planMemory, totalTempBytes } from '../../src/kernels/memory.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { ReferenceExecutable } from '../../src/backends/reference/index.js';
import { adam } from '../../src/index.js';
import { lowerToKernels } from '../../src/kernels/lower.js';
import { decompose } from '../../src/passes/decompose.js';
import { specialize } from '../../src/passes/specialize.js';
import { Trainer } from '../../src/train/trainer.js';

const v = (axis: number): IndexExpr => ({ k: 'var', axis });
const iadd = (a: IndexExpr, b: IndexExpr): IndexExpr => ({ k: 'add', a, b });
const imul = (a: IndexExpr, by: number): IndexExpr => ({ k: 'mul', a, by });
const ld = (buffer: string, index: IndexExpr): ValueExpr => ({ k: 'load', buffer, index, dtype: 'f32' });
const add = (a: ValueExpr, b: ValueExpr): ValueExpr => ({ k: 'binary', fn: 'add', a, b, dtype: 'f32' });
const tanh = (a: ValueExpr): ValueExpr => ({ k: 'unary', fn: 'tanh', a, dtype: 'f32' });
const temp = (name: string, shape: number[]): BufferSpec => ({ name, dtype: 'f32', shape, role: 'temp' });

/** Row-major offset over [r, c] of variables (0, 1); transposed reads [c, r] stored row-major. */
const point = (c: number): IndexExpr => iadd(imul(v(0), c), v(1));
const transposed = (r: number): IndexExpr => iadd(imul(v(1), r), v(0));

function kernel(name: string, shape: number[], out: string, value: ValueExpr, reduce?: Kernel['reduce']): Kernel {
  return { name, pattern: reduce ? 'reduce' : 'elementwise', shape, stores: [{ buffer: out, value }], ...(reduce ? { reduce } : {}) };
}

function program(buffers: BufferSpec[], kernels: Kernel[], extra: Partial<KernelProgram> = {}): KernelProgram {
  const named = (role: string) => buffers.filter((b) => b.role === role).map((b) => ({ name: b.name, buffer: b.name }));
  return { name: 'plan', buffers, kernels, inputs: named('input'), outputs: named('output'), params: [], updates: [], arenaBytes: 0, ...extra };
}

/** x [r, c] -> t0 -> … -> t(n-1) -> y, each step tanh of the last, read at the point or transposed (alternating shapes). */
function chain(n: number, r: number, c: number, read: 'point' | 'transposed'): KernelProgram {
  const shapeOf = (i: number): [number, number] => (read === 'point' || i % 2 === 1 ? [r, c] : [c, r]);
  const buffers: BufferSpec[] = [{ name: 'x', dtype: 'f32', shape: [r, c], role: 'input' }];
  const kernels: Kernel[] = [];
  let prev = 'x';
  for (let i = 0; i <= n; i++) {
    const [rows, cols] = shapeOf(i);
    const name = i === n ? 'y' : `t${i}`;
    buffers.push(i === n ? { name, dtype: 'f32', shape: [rows, cols], role: 'output' } : temp(name, [rows, cols]));
    kernels.push(kernel(`k${i}`, [rows, cols], name, tanh(ld(prev, read === 'point' ? point(cols) : transposed(rows)))));
    prev = name;
  }
  return program(buffers, kernels);
}

/** x -> a; a -> b and a -> c; b + c -> d (c read at the point, so d may take its place); repeated `depth` times. */
function diamonds(depth: number, r: number): KernelProgram {
  const buffers: BufferSpec[] = [{ name: 'x', dtype: 'f32', shape: [r, r], role: 'input' }];
  const kernels: Kernel[] = [];
  let prev = 'x';
  for (let i = 0; i < depth; i++) {
    const [a, b, cc, d] = [`a${i}`, `b${i}`, `c${i}`, i === depth - 1 ? 'y' : `d${i}`];
    buffers.push(temp(a, [r, r]), temp(b, [r, r]), temp(cc, [r, r]), d === 'y' ? { name: d, dtype: 'f32', shape: [r, r], role: 'output' } : temp(d, [r, r]));
    kernels.push(
      kernel(`ka${i}`, [r, r], a, tanh(ld(prev, transposed(r)))),
      kernel(`kb${i}`, [r, r], b, tanh(ld(a, transposed(r)))),
      kernel(`kc${i}`, [r, r], cc, add(ld(a, transposed(r)), ld(a, point(r)))),
      kernel(`kd${i}`, [r, r], d, add(ld(b, transposed(r)), ld(cc, point(r)))),
    );
    prev = d;
  }
  return program(buffers, kernels);
}

/** A deterministic generator, so the random programs are the same on every run. */
function rng(seed: number): () => number {
  let s = Math.imul(seed, 0x9e3779b9) >>> 0; // spread small seeds apart
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random DAG of square kernels: point reads, transposed reads, reductions, two stores, an update source kept to the end. */
function randomProgram(seed: number): KernelProgram {
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const sizes = [2, 4, 8];
  const buffers: BufferSpec[] = [{ name: 'x', dtype: 'f32', shape: [8, 8], role: 'input' }];
  const avail: { name: string; n: number }[] = [{ name: 'x', n: 8 }];
  const kernels: Kernel[] = [];
  const count = 6 + Math.floor(rand() * 10);
  for (let i = 0; i < count; i++) {
    const n = pick(sizes);
    const srcs = avail.filter((a) => a.n >= n);
    const src = pick(srcs.length ? srcs : avail);
    const other = pick(srcs.length ? srcs : avail);
    const read = (b: { name: string; n: number }, how: number): ValueExpr => ld(b.name, b.n === n ? (how < 0.6 ? point(b.n) : transposed(b.n)) : iadd(imul(v(0), b.n), v(1)));
    const out = `t${i}`;
    buffers.push(temp(out, [n, n]));
    const kind = rand();
    if (kind < 0.15) {
      kernels.push(kernel(`k${i}`, [n, n], out, add({ k: 'acc', dtype: 'f32' }, read(src, 0)), { op: 'sum', shape: [n], value: ld(src.name, iadd(imul(v(0), src.n), v(2))) }));
    } else if (kind < 0.3 && i > 0) {
      const out2 = `u${i}`;
      buffers.push(temp(out2, [n, n]));
      kernels.push({
        name: `k${i}`,
        pattern: 'elementwise',
        shape: [n, n],
        stores: [
          { buffer: out, value: tanh(read(src, rand())) },
          { buffer: out2, value: add(read(src, rand()), read(other, rand())) },
        ],
      });
      avail.push({ name: out2, n });
    } else {
      kernels.push(kernel(`k${i}`, [n, n], out, add(tanh(read(src, rand())), read(other, rand()))));
    }
    avail.push({ name: out, n });
  }
  const last = avail[avail.length - 1]!;
  buffers.push({ name: 'y', dtype: 'f32', shape: [last.n, last.n], role: 'output' }, { name: 'w', dtype: 'f32', shape: [4, 4], role: 'param' });
  kernels.push(kernel('out', [last.n, last.n], 'y', ld(last.name, point(last.n))));
  const fed = avail.find((a) => a.n === 4 && a.name !== 'x');
  return program(buffers, kernels, {
    params: [{ name: 'w', buffer: 'w', init: { fn: 'zeros', args: {} } }],
    updates: fed ? [{ param: 'w', buffer: fed.name }] : [],
  });
}

/** First write and last use of each temp, computed here independently of the planner. */
function lifetimes(p: KernelProgram): Map<string, [number, number]> {
  const reads = (k: Kernel): string[] =>
    JSON.stringify(k)
      .match(/"k":"load","buffer":"[^"]+"/g)
      ?.map((m) => m.split('"')[7]!) ?? [];
  const life = new Map<string, [number, number]>();
  p.kernels.forEach((k, i) => {
    for (const s of k.stores) if (!life.has(s.buffer)) life.set(s.buffer, [i, i]);
    for (const b of reads(k)) if (life.has(b)) life.get(b)![1] = i;
  });
  for (const r of [...p.outputs, ...p.updates]) if (life.has(r.buffer)) life.get(r.buffer)![1] = p.kernels.length;
  for (const b of p.buffers) if (b.role !== 'temp') life.delete(b.name);
  return life;
}

/** Every pair of temps live at once either owns disjoint bytes or is a legal in-place pair; returns the in-place pairs. */
function checkNoOverlap(p: KernelProgram): [string, string][] {
  const life = lifetimes(p);
  const temps = p.buffers.filter((b) => b.role === 'temp' && life.has(b.name));
  const inPlace: [string, string][] = [];
  for (const b of temps) {
    expect(b.offset! % 16).toBe(0);
    expect(b.offset! + 4 * b.shape.reduce((x, y) => x * y, 1)).toBeLessThanOrEqual(p.arenaBytes);
  }
  for (let i = 0; i < temps.length; i++) {
    for (let j = i + 1; j < temps.length; j++) {
      const [x, y] = [temps[i]!, temps[j]!];
      const [lx, ly] = [life.get(x.name)!, life.get(y.name)!];
      const bytes = (b: BufferSpec): [number, number] => [b.offset!, b.offset! + 4 * b.shape.reduce((s, d) => s * d, 1)];
      const [bx, by] = [bytes(x), bytes(y)];
      const shareTime = lx[0] <= ly[1] && ly[0] <= lx[1];
      const shareBytes = bx[0] < by[1] && by[0] < bx[1];
      if (!shareTime || !shareBytes) continue;
      // Only legal: the older dies in the kernel that writes the younger over it, read only at the point.
      const [old, young] = lx[0] < ly[0] ? [x, y] : [y, x];
      const k = life.get(young.name)![0];
      const kern = p.kernels[k]!;
      expect(life.get(old.name)![1], `${old.name} and ${young.name} overlap`).toBe(k);
      expect(old.offset).toBe(young.offset);
      const loads = JSON.stringify(kern).includes(`"buffer":"${old.name}"`);
      expect(loads).toBe(true);
      inPlace.push([old.name, young.name]);
    }
  }
  return inPlace;
}

async function sameResults(p: KernelProgram, planned: KernelProgram): Promise<void> {
  const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.7));
  const feed = {
    x: x.slice(
      0,
      p.buffers.find((b) => b.name === 'x')!.shape.reduce((a, b) => a * b, 1),
    ),
  };
  const [a, b] = [new KernelExecutable({ program: p }), new KernelExecutable({ program: planned })];
  expect(await b.run(feed)).toEqual(await a.run(feed));
  expect(b.params()).toEqual(a.params());
}

describe('planMemory', () => {
  it('writes a chain of pointwise kernels in place: one buffer for the whole chain', async () => {
    const p = chain(6, 8, 8, 'point');
    const planned = planMemory(p);
    expect(liveLowerBound(planned)).toBe(512);
    expect(totalTempBytes(planned)).toBe(6 * 256);
    expect(planned.arenaBytes).toBe(256);
    expect(new Set(planned.buffers.filter((b) => b.role === 'temp').map((b) => b.offset))).toEqual(new Set([0]));
    expect(checkNoOverlap(planned)).toHaveLength(5);
    await sameResults(p, planned);
  });

  it('alternates two places for a chain whose reads are transposed (no in place)', async () => {
    const p = chain(7, 4, 12, 'transposed');
    const planned = planMemory(p);
    expect(checkNoOverlap(planned)).toEqual([]);
    expect(planned.arenaBytes).toBe(liveLowerBound(planned));
    expect(planned.arenaBytes).toBe(2 * 192);
    await sameResults(p, planned);
  });

  it('keeps diamonds within 10% of the live lower bound', async () => {
    for (const [depth, r] of [
      [1, 4],
      [3, 8],
      [5, 6],
    ] as const) {
      const p = diamonds(depth, r);
      const planned = planMemory(p);
      expect(checkNoOverlap(planned).every(([old, young]) => old.startsWith('c') && (young.startsWith('d') || young === 'y'))).toBe(true);
      expect(planned.arenaBytes).toBeLessThanOrEqual(1.1 * liveLowerBound(planned));
      // One diamond has all three temps live at its last kernel; a second can reuse the first's bytes.
      if (depth > 1) expect(planned.arenaBytes).toBeLessThan(totalTempBytes(planned));
      await sameResults(p, planned);
    }
  });

  it('diamonds of mixed sizes stay within 10% of the bound', () => {
    // Widths 3, 5 and 7 give blocks of different sizes (48, 112 and 208 bytes).
    const buffers: BufferSpec[] = [{ name: 'x', dtype: 'f32', shape: [7, 7], role: 'input' }];
    const kernels: Kernel[] = [];
    let prev = { name: 'x', n: 7 };
    [3, 5, 7, 5, 3, 7].forEach((n, i) => {
      const [a, b, c] = [`a${i}`, `b${i}`, `c${i}`];
      buffers.push(temp(a, [n, n]), temp(b, [n, n]), temp(c, [n, n]));
      kernels.push(
        kernel(`ka${i}`, [n, n], a, tanh(ld(prev.name, point(prev.n)))),
        kernel(`kb${i}`, [n, n], b, tanh(ld(a, transposed(n)))),
        kernel(`kc${i}`, [n, n], c, add(ld(a, transposed(n)), ld(b, transposed(n)))),
      );
      prev = { name: c, n };
    });
    buffers.push({ name: 'y', dtype: 'f32', shape: [7, 7], role: 'output' });
    kernels.push(kernel('ky', [7, 7], 'y', ld(prev.name, point(7))));
    const planned = planMemory(program(buffers, kernels));
    checkNoOverlap(planned);
    expect(planned.arenaBytes).toBeLessThanOrEqual(1.1 * liveLowerBound(planned));
  });

  it('random programs: no overlap, accepted by the runtime, same results as unplanned', async () => {
    let inPlaceCount = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const p = randomProgram(seed);
      const planned = planMemory(p);
      inPlaceCount += checkNoOverlap(planned).length;
      expect(() => parseProgram(planned)).not.toThrow();
      expect(planned.arenaBytes).toBeLessThanOrEqual(totalTempBytes(planned));
      await sameResults(p, planned);
    }
    expect(inPlaceCount).toBeGreaterThan(10); // the generator exercises in place often
  });

  it('does not change the program it is given', () => {
    const p = chain(3, 2, 2, 'point');
    const before = JSON.stringify(p);
    planMemory(p);
    expect(JSON.stringify(p)).toBe(before);
  });
});

describe('in place only where safe', () => {
  /** x -> s (temp [4, 4]) -> t via `value` (reading s) -> y; returns whether t landed on s. */
  function placedOnS(tShape: number[], value: ValueExpr, reduce?: Kernel['reduce'], laterRead = false): boolean {
    const buffers = [
      { name: 'x', dtype: 'f32', shape: [4, 4], role: 'input' } as BufferSpec,
      temp('s', [4, 4]),
      temp('t', tShape),
      { name: 'y', dtype: 'f32', shape: tShape, role: 'output' } as BufferSpec,
    ];
    const yValue = laterRead
      ? add(ld('t', tShape.length === 2 ? point(tShape[1]!) : v(0)), ld('s', tShape.length === 2 ? point(4) : v(0)))
      : ld('t', tShape.length === 2 ? point(tShape[1]!) : v(0));
    const p = program(buffers, [kernel('s', [4, 4], 's', tanh(ld('x', point(4)))), kernel('t', tShape, 't', value, reduce), kernel('y', tShape, 'y', yValue)]);
    const planned = planMemory(p);
    checkNoOverlap(planned);
    parseProgram(planned);
    const off = (n: string) => planned.buffers.find((b) => b.name === n)!.offset;
    return off('s') === off('t') && planned.arenaBytes === 64;
  }

  it('an input read only at the point, dying there, equal size: in place', () => {
    expect(placedOnS([4, 4], tanh(ld('s', point(4))))).toBe(true);
  });
  it('a transposed read: not in place', () => {
    expect(placedOnS([4, 4], tanh(ld('s', transposed(4))))).toBe(false);
  });
  it('an input still read later: not in place', () => {
    expect(placedOnS([4, 4], tanh(ld('s', point(4))), undefined, true)).toBe(false);
  });
  it('an input also read along a reduction axis: not in place', () => {
    const reduce: Kernel['reduce'] = { op: 'sum', shape: [4], value: ld('s', iadd(imul(v(0), 4), v(2))) };
    expect(placedOnS([4, 4], add({ k: 'acc', dtype: 'f32' }, ld('s', point(4))), reduce)).toBe(false);
  });
  it('a reduction that reads the input only at the point (broadcast along the reduction): in place', () => {
    const reduce: Kernel['reduce'] = { op: 'max', shape: [3], value: ld('s', point(4)) };
    expect(placedOnS([4, 4], add({ k: 'acc', dtype: 'f32' }, ld('s', point(4))), reduce)).toBe(true);
  });
  it('a smaller output (the point index of a smaller space): not in place', () => {
    expect(placedOnS([8], tanh(ld('s', v(0))))).toBe(false);
  });
  it('a broadcast read: not in place', () => {
    expect(placedOnS([4, 4], tanh(ld('s', v(1))))).toBe(false);
  });
  it('the point test itself', () => {
    expect(isPointIndex(point(4), [4, 4])).toBe(true);
    expect(isPointIndex(point(4), [4, 4], [4, 4, 3])).toBe(true);
    expect(isPointIndex(iadd(point(4), v(2)), [4, 4], [4, 4, 3])).toBe(false);
  });

  it('a temp feeding an update stays live to the end, so nothing reuses its bytes', () => {
    const buffers: BufferSpec[] = [
      { name: 'x', dtype: 'f32', shape: [4], role: 'input' },
      temp('a', [4]),
      temp('b', [4]),
      temp('c', [4]),
      { name: 'w', dtype: 'f32', shape: [4], role: 'param' },
      { name: 'y', dtype: 'f32', shape: [4], role: 'output' },
    ];
    const p = program(
      buffers,
      [kernel('a', [4], 'a', tanh(ld('x', v(0)))), kernel('b', [4], 'b', tanh(ld('a', v(0)))), kernel('c', [4], 'c', tanh(ld('b', v(0)))), kernel('y', [4], 'y', ld('c', v(0)))],
      {
        params: [{ name: 'w', buffer: 'w', init: { fn: 'zeros', args: {} } }],
        updates: [{ param: 'w', buffer: 'a' }],
      },
    );
    const planned = planMemory(p);
    checkNoOverlap(planned);
    const off = (n: string) => planned.buffers.find((b) => b.name === n)!.offset;
    expect(off('b')).not.toBe(off('a'));
    expect(off('c')).toBe(off('b')); // c may still go in place over b
    expect(liveLowerBound(planned)).toBe(48);
    expect(planned.arenaBytes).toBe(32);
  });
});

describe('a lowered training step', () => {
  it('plans within the bound, and runs three Adam steps like the reference backend', async () => {
    const trainer = new Trainer(mnistMlpGraph([64, 32]), { optimizer: adam({ lr: 1e-3 }), seed: 1 });
    const g = decompose(specialize(trainer.trainGraph, { shapes: { B: 16 } }));
    for (const fuse of [true, false]) {
      const p = planMemory(lowerToKernels(g, { fuse }));
      checkNoOverlap(p);
      expect(p.arenaBytes).toBeLessThanOrEqual(liveLowerBound(p));
      expect(p.arenaBytes).toBeLessThan(totalTempBytes(p));
      const [exe, ref] = [new KernelExecutable({ program: p }), new ReferenceExecutable(g)];
      const x = Float32Array.from({ length: 16 * 784 }, (_, i) => ((i * 7919) % 255) / 255);
      const y = Int32Array.from({ length: 16 }, (_, i) => i % 10);
      for (let step = 0; step < 3; step++) {
        const feed = { x, y, lr: new Float32Array([1e-3]), step: new Int32Array([step]) };
        const given = Object.fromEntries(Object.entries(feed).filter(([k]) => exe.inputs.some((i) => i.name === k)));
        const [a, b] = [await exe.run(given), await ref.run(given)];
        expect(a['loss']!.data[0]).toBeCloseTo(b['loss']!.data[0]!, 5);
      }
      for (const [name, t] of Object.entries(ref.params())) {
        const got = exe.params()[name]!.data;
        t.data.forEach((want, i) => expect(Math.abs(got[i]! - want)).toBeLessThan(1e-6));
      }
    }
  }, 60_000);
});
