// The Wasm backend (one binaryen-built module per program, runtime/wasm.ts) against the expected values and the reference: conformance cases and graphs, example models, random graphs, Adam steps, gather range errors, and binaryen staying out of every static import.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { linearRegressionGraph } from '../../examples/linear-regression.js';
import { logisticRegressionGraph } from '../../examples/logistic-regression.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { perceptronGraph } from '../../examples/perceptron.js';
import { sinGraph } from '../../examples/sin.js';
import { xorMlpGraph } from '../../examples/xor-train.js';
import { compileWasm } from '../../src/backends/wasm/index.js';
import { compile, kernelProgram } from '../../src/compile.js';
import type { BackendName } from '../../src/compile.js';
import { graph } from '../../src/frontend/builder.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { uniform01 } from '../../src/ir/random.js';
import { isConcrete, numel } from '../../src/ir/types.js';
import type { Tensor } from '../../src/ir/types.js';
import { specialize } from '../../src/passes/specialize.js';
import { adam } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { WasmExecutable } from '../../runtime/wasm.js';
import { CASES } from '../conformance/cases.js';
import { GRAPHS } from '../conformance/graphs.js';
import { closeEnough, expectTensor, typedData } from '../conformance/tolerance.js';
import { randomGraph, randomInputs } from '../support/random-graphs.js';

function expectClose(what: string, got: Tensor, want: Tensor): void {
  expect(got.shape, what).toEqual(want.shape);
  expect(got.dtype, what).toBe(want.dtype);
  for (let i = 0; i < want.data.length; i++) {
    const ok = want.dtype === 'f32' ? closeEnough(Number(got.data[i]), Number(want.data[i])) : got.data[i] === want.data[i];
    if (!ok) expect.fail(`${what}[${i}] is ${got.data[i]}, expected ${want.data[i]}`);
  }
}

/** Seeded inputs for a graph at concrete shapes: f32 in [-1, 1), i32 labels in [0, 10). */
function inputsFor(g: Graph, shapes: Record<string, number>, seed: number): Record<string, Float32Array | Int32Array> {
  const bound = specialize(g, { shapes });
  return Object.fromEntries(
    bound.inputs.map((i, k) => {
      const n = isConcrete(i.type.shape) ? numel(i.type.shape) : 0;
      const u = Array.from({ length: n }, (_, j) => uniform01(seed + k, j));
      return [i.name, i.type.dtype === 'i32' ? Int32Array.from(u, (v) => Math.floor(v * 10)) : Float32Array.from(u, (v) => 2 * v - 1)];
    }),
  );
}

describe("backend 'wasm': the conformance table", () => {
  test.each(CASES)('$name', async (c) => {
    const b = new GraphBuilder('conformance');
    const names = c.inputs.map((v, i) => b.input(`x${i}`, { dtype: v.dtype, shape: v.shape }));
    b.output('y', b.emit(c.op, names, c.attrs ?? {}));
    const exe = await compile(b.build(), { backend: 'wasm', ...(c.shapes ? { shapes: c.shapes } : {}) });
    const feed = Object.fromEntries(c.inputs.map((v, i) => [`x${i}`, typedData(v)]));
    expectTensor((await exe.run(feed))['y'], c.expected, c.tolerance);
  });

  describe.each(GRAPHS)('graph $name', (g) => {
    test.each(g.runs)('$name', async (run) => {
      const exe = await compile(g.graph, { backend: 'wasm', ...(run.shapes ? { shapes: run.shapes } : {}) });
      exe.setParams(Object.fromEntries(Object.entries(g.params).map(([k, v]) => [k, typedData(v)])));
      const feed = Object.fromEntries(Object.entries(run.inputs).map(([k, v]) => [k, typedData(v)]));
      for (let pass = 0; pass < 2; pass++) {
        const out = await exe.run(feed);
        for (const [name, want] of Object.entries(run.expected)) expectTensor(out[name], want);
      }
    });
  });
});

const EXAMPLES: [string, () => Graph][] = [
  ['perceptron', perceptronGraph],
  ['logistic regression', logisticRegressionGraph],
  ['linear regression', linearRegressionGraph],
  ['xor', () => xorMlpGraph()],
  ['sin', () => sinGraph()],
  ['mnist mlp', () => mnistMlpGraph([64, 32])],
];

describe("backend 'wasm' against the reference", () => {
  test.each(EXAMPLES)('%s: inference outputs agree', async (_name, build) => {
    const g = build();
    const shapes = { B: 5 };
    const [ref, wasm] = await Promise.all([compile(g, { shapes }), compile(g, { shapes, backend: 'wasm' })]);
    wasm.setParams(ref.params());
    const inputs = inputsFor(g, shapes, 3);
    const [want, got] = await Promise.all([ref.run(inputs), wasm.run(inputs)]);
    for (const [name, t] of Object.entries(want)) expectClose(name, got[name]!, t);
  });

  test('a gather index out of range along its axis is refused, as by the js backend', async () => {
    const g = graph('take', (b) => b.output('y', b.gather(b.input('x', 'f32', [2, 3]), b.input('i', 'i32', [2]), 1)));
    const wasm = await compile(g, { backend: 'wasm' });
    const x = new Float32Array([0, 1, 2, 3, 4, 5]);
    expect(Array.from((await wasm.run({ x, i: [2, 0] })).y!.data)).toEqual([2, 0, 5, 3]);
    await expect(wasm.run({ x, i: [3, 0] })).rejects.toThrow('gather: index 3 is out of range for an axis of size 3');
    await expect(wasm.run({ x, i: [0, -1] })).rejects.toThrow('gather: index -1 is out of range for an axis of size 3');
    expect(Array.from((await wasm.run({ x, i: [1, 1] })).y!.data)).toEqual([1, 1, 4, 4]); // still usable after the error
  });

  test('100 random graphs agree', async () => {
    for (let seed = 0; seed < 100; seed++) {
      const g = randomGraph(seed);
      const inputs = randomInputs(g, seed);
      const [ref, wasm] = await Promise.all([compile(g), compile(g, { backend: 'wasm' })]);
      wasm.setParams(ref.params());
      const [want, got] = await Promise.all([ref.run(inputs), wasm.run(inputs)]);
      for (const [name, t] of Object.entries(want)) expectClose(`graph ${seed}: ${name}`, got[name]!, t);
    }
  }, 120_000);

  test.each([['mnist mlp', () => mnistMlpGraph([32, 16])], ['sin', () => sinGraph(16)]] as const)(
    '%s: three Adam training steps give the same losses and weights',
    async (_name, build) => {
      const g = build();
      const run = async (backend: BackendName) => {
        const trainer = await compileTraining(g, { backend, optimizer: adam({ lr: 0.01 }), seed: 4 });
        const batch = inputsFor(g, { B: 8 }, 11);
        const losses: number[] = [];
        for (let s = 0; s < 3; s++) losses.push((await trainer.step(batch)).loss!);
        return { losses, state: trainer.state() };
      };
      const [want, got] = await Promise.all([run('reference'), run('wasm')]);
      want.losses.forEach((l, i) => expect(closeEnough(got.losses[i]!, l), `loss ${i}: ${got.losses[i]} vs ${l}`).toBe(true));
      for (const [name, t] of Object.entries(want.state)) expectClose(name, got.state[name]!, t);
    },
  );

  test('programs sharing a parameter store hand the live weights over (wasm step, js evaluation)', async () => {
    const g = mnistMlpGraph([16, 8]);
    const store = new Map<string, Tensor>();
    const shapes = { B: 4 };
    const [wasm, js] = await Promise.all([compile(g, { backend: 'wasm', shapes, paramStore: store }), compile(g, { backend: 'js', shapes, paramStore: store })]);
    const inputs = inputsFor(g, shapes, 5);
    const changed = Object.fromEntries(Object.entries(wasm.params()).map(([k, t]) => [k, Float32Array.from(t.data, (v) => v * 0.5 + 0.01)]));
    js.setParams(changed);
    const [a, b] = [await js.run(inputs), await wasm.run(inputs)];
    for (const [name, t] of Object.entries(a)) expectClose(name, b[name]!, t);
  });
});

describe('the module and its runtime', () => {
  test('bit-identical to the js backend: per-op f32 rounding, transcendentals, sums in double, random streams', async () => {
    const b = new GraphBuilder('exact');
    const [x, y] = [b.input('x', { dtype: 'f32', shape: [6, 50] }), b.input('y', { dtype: 'f32', shape: [6, 50] })];
    const k = b.input('k', { dtype: 'i32', shape: [] });
    const chain = b.emit('div', [b.emit('add', [b.emit('mul', [x, y]), b.emit('exp', [y])]), b.emit('add', [b.emit('sigmoid', [x]), b.emit('rsqrt', [b.emit('add', [b.emit('mul', [y, y]), b.emit('tanh', [x])])])])]);
    b.output('chain', chain);
    b.output('pow', b.emit('pow', [b.emit('abs', [x]), y]));
    b.output('sum', b.emit('reduce_sum', [chain], { axes: [1] }));
    b.output('mm', b.emit('matmul', [x, b.emit('transpose', [y], { perm: [1, 0] })]));
    b.output('uniform', b.emit('random_uniform', [k], { shape: [300], seed: 3, low: -0.1, high: 0.7 }));
    b.output('normal', b.emit('random_normal', [], { shape: [300], seed: 9, mean: 1, std: 2 }));
    const g = b.build();
    const inputs = { ...randomInputs(g, 1), k: new Int32Array([11]) };
    const [js, wasm] = await Promise.all([compile(g, { backend: 'js' }), compile(g, { backend: 'wasm' })]);
    const [want, got] = await Promise.all([js.run(inputs), wasm.run(inputs)]);
    for (const [name, t] of Object.entries(want)) expect(Array.from(got[name]!.data), name).toEqual(Array.from(t.data));
  });

  test('runs from the program and the bytes alone, as an artifact would', async () => {
    const g = xorMlpGraph();
    const program = kernelProgram(g, { B: 4 });
    const exe = new WasmExecutable({ program, wasm: await compileWasm(program) });
    const x = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
    const out = await exe.run({ x, y: new Float32Array([0, 1, 1, 0]) });
    expect(Object.keys(out).length).toBeGreaterThan(0);
    expect(new Uint8Array(await compileWasm(program)).slice(0, 4)).toEqual(new Uint8Array([0, 0x61, 0x73, 0x6d]));
  });

  test("no static import reaches 'binaryen' except the wrapper, which loads it dynamically", () => {
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
    for (const file of [...files('src'), ...files('runtime')]) {
      const text = readFileSync(file, 'utf8');
      const statics = [...text.matchAll(/^import\s+(?!type\b)[^;]*from\s+'binaryen'/gm)];
      expect(statics.map((m) => m[0]), file).toEqual([]);
      if (file !== join('src', 'backends', 'wasm', 'binaryen.ts')) expect(text, file).not.toMatch(/['"]binaryen['"]/);
    }
  });

  test.runIf(existsSync('dist/src/backends/wasm/binaryen.js'))('a fresh process imports kiln and compiles for js without loading binaryen', () => {
    // A resolve hook refuses 'binaryen': js must still work, and wasm must hit the refusal (the hook is live).
    const hook = 'data:text/javascript,' + encodeURIComponent('export async function resolve(s, c, next) { if (s === "binaryen") throw new Error("binaryen was loaded"); return next(s, c); }');
    const script = [
      `import { register } from 'node:module';`,
      `register(${JSON.stringify(hook)});`,
      `const kiln = await import(${JSON.stringify(join(process.cwd(), 'dist/src/index.js'))});`,
      `const g = kiln.graph('g', (b) => b.output('y', b.relu(b.input('x', 'f32', [2]))));`,
      `const js = await kiln.compile(g, { backend: 'js' });`,
      `const y = Array.from((await js.run({ x: [-1, 2] })).y.data);`,
      `const wasm = await kiln.compile(g, { backend: 'wasm' }).then(() => 'compiled', (e) => e.message);`,
      `console.log(JSON.stringify({ y, wasm }));`,
    ].join('\n');
    const printed = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { y: number[]; wasm: string };
    expect(printed).toEqual({ y: [0, 2], wasm: 'binaryen was loaded' });
  });
});
