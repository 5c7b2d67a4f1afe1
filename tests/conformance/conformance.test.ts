// The conformance suite: every op case and example graph on every backend in CONFORMANCE_BACKENDS.

import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { OPS } from '../../src/ir/ops/index.js';
import type { Tensor } from '../../src/ir/types.js';
import { CONFORMANCE_BACKENDS, describeEachBackend } from './backends.js';
import { CASES } from './cases.js';
import type { OpCase } from './cases.js';
import { GRAPHS } from './graphs.js';
import { closeEnough, expectTensor, f32, mismatch, typedData } from './tolerance.js';

type Backend = (typeof CONFORMANCE_BACKENDS)[number];

/** Builds `y = op(x0, ...)` from a case, compiles it for `backend` and runs it. */
async function runCase(backend: Backend, c: OpCase): Promise<Tensor> {
  const b = new GraphBuilder('conformance');
  const names = c.inputs.map((v, i) => b.input(`x${i}`, { dtype: v.dtype, shape: v.shape }));
  b.output('y', b.emitDynamic(c.op, names, c.attrs ?? {}));
  const exe = await compile(b.build(), { backend, ...(c.shapes ? { shapes: c.shapes } : {}) });
  const feed = Object.fromEntries(c.inputs.map((v, i) => [`x${i}`, typedData(v)]));
  return (await exe.run(feed))['y']!;
}

describe('the conformance table', () => {
  it('has a case for every op in the registry', () => {
    const covered = new Set(CASES.map((c) => c.op));
    expect([...OPS.keys()].filter((op) => !covered.has(op))).toEqual([]);
  });

  it('names only ops that exist, with unique case names', () => {
    expect(CASES.filter((c) => !OPS.has(c.op)).map((c) => c.op)).toEqual([]);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });
});

describe('the tolerance rule', () => {
  it('accepts relative error within 1e-5 plus a small absolute slack', () => {
    expect(closeEnough(1000.005, 1000)).toBe(true);
    expect(closeEnough(1000.02, 1000)).toBe(false);
    expect(closeEnough(5e-7, 0)).toBe(true);
    expect(closeEnough(5e-6, 0)).toBe(false);
  });

  it('compares nan and the infinities exactly', () => {
    expect(closeEnough(Number.NaN, Number.NaN)).toBe(true);
    expect(closeEnough(0, Number.NaN)).toBe(false);
    expect(closeEnough(Number.NaN, 0)).toBe(false);
    expect(closeEnough(Infinity, Infinity)).toBe(true);
    expect(closeEnough(-Infinity, Infinity)).toBe(false);
    expect(closeEnough(3.4e38, Infinity)).toBe(false);
    expect(closeEnough(Infinity, 3.4e38)).toBe(false);
  });

  it('checks dtype, shape and integers exactly', () => {
    const t: Tensor = { dtype: 'i32', shape: [2], data: new Int32Array([1, 2]) };
    expect(mismatch(t, { dtype: 'i32', shape: [2], values: [1, 2] })).toBeUndefined();
    expect(mismatch(t, { dtype: 'i32', shape: [2], values: [1, 3] })).toMatch(/^element 1 is 2, expected 3/);
    expect(mismatch(t, { dtype: 'f32', shape: [2], values: [1, 2] })).toBe('dtype i32, expected f32');
    expect(mismatch(t, { dtype: 'i32', shape: [1, 2], values: [1, 2] })).toBe('shape [2], expected [1, 2]');
  });
});

describeEachBackend((backend) => {
  describe('ops', () => {
    it.each(CASES)('$name', async (c) => {
      expectTensor(await runCase(backend, c), c.expected, c.tolerance);
    });
  });

  describe.each(GRAPHS)('graph $name', (g) => {
    it.each(g.runs)('$name', async (run) => {
      const exe = await compile(g.graph, { backend, ...(run.shapes ? { shapes: run.shapes } : {}) });
      exe.setParams(Object.fromEntries(Object.entries(g.params).map(([k, v]) => [k, typedData(v)])));
      const feed = Object.fromEntries(Object.entries(run.inputs).map(([k, v]) => [k, typedData(v)]));
      // Run twice: a second run on the same executable must not see state left by the first.
      for (let pass = 0; pass < 2; pass++) {
        const out = await exe.run(feed);
        expect(Object.keys(out).sort()).toEqual(Object.keys(run.expected).sort());
        for (const [name, want] of Object.entries(run.expected)) expectTensor(out[name], want);
      }
    });
  });

  it('a hand-weighted XOR net changes its answer when its weights change', async () => {
    const xor = GRAPHS.find((g) => g.name === 'xor_mlp')!;
    const exe = await compile(xor.graph, { backend });
    // With the initial all-zero weights the output is all zeros.
    const x = typedData(xor.runs[0]!.inputs['x']!);
    expectTensor((await exe.run({ x }))['y'], f32([4, 1], [0, 0, 0, 0]));
    exe.setParams(Object.fromEntries(Object.entries(xor.params).map(([k, v]) => [k, typedData(v)])));
    expectTensor((await exe.run({ x }))['y'], f32([4, 1], [0, 1, 1, 0]));
  });
});
