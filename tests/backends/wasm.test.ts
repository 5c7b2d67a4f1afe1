// The Wasm backend (one binaryen-built module per program, runtime/wasm.ts): the agreement suite against the reference, gather range errors, shared parameter stores, bit-identity with the js backend, and binaryen staying out of every static import.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { describeAgreement, expectClose, inputsFor } from './agreement.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { xorMlpGraph } from '../../examples/xor-train.js';
import { compileWasm } from '../../src/backends/wasm/index.js';
import { compile, kernelProgram } from '../../src/compile.js';
import { graph } from '../../src/frontend/builder.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Tensor } from '../../src/ir/types.js';
import { WasmExecutable, wasmLayout, wasmPages } from '../../runtime/wasm.js';
import { ModuleBuilder, type Expr } from '../../src/backends/wasm/binaryen.js';
import { randomGraph, randomInputs } from '../support/random-graphs.js';
import { ulps } from '../support/ulps.js';
import { requireBuilt } from '../support/built.js';

// The conformance table runs on 'wasm' in tests/conformance (its backend list).
describeAgreement('wasm', 100);

describe("backend 'wasm': its own checks", () => {
  test('60 random graphs with dims up to 11 (vector bodies and rests, reductions in lanes) agree with the reference', async () => {
    for (let seed = 1000; seed < 1060; seed++) {
      const g = randomGraph(seed, { maxDim: 11 });
      const inputs = randomInputs(g, seed);
      const [ref, exe] = await Promise.all([compile(g), compile(g, { backend: 'wasm' })]);
      exe.setParams(ref.params());
      const [want, got] = await Promise.all([ref.run(inputs), exe.run(inputs)]);
      for (const [name, t] of Object.entries(want)) expectClose(`graph ${seed}: ${name}`, got[name]!, t);
    }
  }, 120_000);

  test('a gather index out of range along its axis is refused, as by the js backend', async () => {
    const g = graph('take', (b) => b.output('y', b.gather(b.input('x', 'f32', [2, 3]), b.input('i', 'i32', [2]), 1)));
    const wasm = await compile(g, { backend: 'wasm' });
    const x = new Float32Array([0, 1, 2, 3, 4, 5]);
    expect(Array.from((await wasm.run({ x, i: [2, 0] })).y!.data)).toEqual([2, 0, 5, 3]);
    await expect(wasm.run({ x, i: [3, 0] })).rejects.toThrow('gather: index 3 is out of range for an axis of size 3');
    await expect(wasm.run({ x, i: [0, -1] })).rejects.toThrow('gather: index -1 is out of range for an axis of size 3');
    expect(Array.from((await wasm.run({ x, i: [1, 1] })).y!.data)).toEqual([1, 1, 4, 4]); // still usable after the error
  });

  test.each(['wasm', 'js'] as const)('%s: an input written into inputBuffer() and passed back runs without a copy, with the same result', async (backend) => {
    const g = graph('scale', (b) =>
      b.output(
        'y',
        b
          .input('x', 'f32', [6])
          .mul(2)
          .add(b.input('z', 'f32', [6])),
      ),
    );
    const exe = await compile(g, { backend });
    const x = exe.inputBuffer!('x');
    x.set([1, 2, 3, 4, 5, -6]);
    const z = new Float32Array([0.5, 0, 0, 0, 0, 1]);
    expect(Array.from((await exe.run({ x, z })).y!.data)).toEqual([2.5, 4, 6, 8, 10, -11]);
    expect(Array.from((await exe.run({ x: new Float32Array(6).fill(1), z })).y!.data)).toEqual([2.5, 2, 2, 2, 2, 3]); // a copy as before
    expect(() => exe.inputBuffer!('w')).toThrow("unknown input 'w' (the program's inputs are x, z)");
  });

  test.each([
    ['wasm', 1],
    ['wasm', 2],
    ['js', 1],
  ] as const)('%s on %i thread(s): overlapping runs each get their own outputs', async (backend, threads) => {
    const g = graph('twice', (b) => b.output('y', b.input('x', 'f32', [200, 200]).mul(2).relu()));
    const exe = await compile(g, { backend, threads });
    const feeds = [1, -3, 5].map((v) => new Float32Array(40000).fill(v));
    const outs = await Promise.all(feeds.map((x) => exe.run({ x })));
    expect(outs.map((o) => [o.y!.data[0], o.y!.data[39999]])).toEqual([
      [2, 2],
      [0, 0],
      [10, 10],
    ]);
  });

  test('a module that imports exp, tanh and sigmoid from the host (as earlier versions compiled them) still loads and runs', async () => {
    const program = kernelProgram(
      graph('old', (b) => b.output('y', b.input('x', 'f32', [3]).exp())),
      {},
    );
    const layout = wasmLayout(program);
    const [x, y] = [program.inputs[0]!.buffer, program.outputs[0]!.buffer].map((name) => layout.offsets.get(name)!);
    const m = await ModuleBuilder.create();
    m.setMemory(wasmPages(layout.bytes), 'memory');
    for (const fn of ['exp', 'tanh', 'sigmoid', 'log', 'sin', 'cos']) m.importFunction(fn, 'host', fn, ['f64'], 'f64');
    // run(): y[i] = f32(host exp(x[i])) for i = 0, 1, 2, unrolled.
    const at = (i: number): Expr => m.i32Const(4 * i);
    const body = [0, 1, 2].map((i) => m.store('f32', 4, y, at(i), m.convert('f32_from_f64', m.call('exp', [m.convert('f64_from_f32', m.load('f32', 4, x, at(i)))], 'f64'))));
    m.addFunction('run', [], 'none', [], m.block(body));
    m.exportFunction('run', 'run');
    const exe = new WasmExecutable({ program, wasm: m.finish() });
    expect(Array.from((await exe.run({ x: [0, 1, -1] })).y!.data)).toEqual([1, Math.fround(Math.E), Math.fround(1 / Math.E)]);
  });

  test('a program that needs more than 4 GiB is refused with its size', async () => {
    const g = graph('huge', (b) => b.output('y', b.input('x', 'f32', [40000, 30000]).relu()));
    await expect(compile(g, { backend: 'wasm' })).rejects.toThrow(/program 'huge' needs \d+ bytes of memory; a WebAssembly memory holds at most 4 GiB/);
  });

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
  test('bit-identical to the js backend: per-op f32 rounding, rsqrt, pow, random streams; row sums in double within 1 ulp (matmul tiles sum in f32: wasm-matmul.test.ts)', async () => {
    const b = new GraphBuilder('exact');
    const [x, y] = [b.input('x', { dtype: 'f32', shape: [6, 50] }), b.input('y', { dtype: 'f32', shape: [6, 50] })];
    const k = b.input('k', { dtype: 'i32', shape: [] });
    const chain = b.emit('div', [b.emit('add', [b.emit('mul', [x, y]), y]), b.emit('add', [x, b.emit('rsqrt', [b.emit('add', [b.emit('mul', [y, y]), b.emit('abs', [x])])])])]);
    b.output('chain', chain);
    b.output('pow', b.emit('pow', [b.emit('abs', [x]), y]));
    b.output('sum', b.emit('reduce_sum', [chain], { axes: [1] }));
    b.output('dot', b.emit('reduce_sum', [b.emit('mul', [x, y])], { axes: [1] })); // a sum of products that is not a matmul kernel
    b.output('uniform', b.emit('random_uniform', [k], { shape: [300], seed: 3, low: -0.1, high: 0.7 }));
    b.output('normal', b.emit('random_normal', [], { shape: [300], seed: 9, mean: 1, std: 2 }));
    const g = b.build();
    const inputs = { ...randomInputs(g, 1), k: new Int32Array([11]) };
    const [js, wasm] = await Promise.all([compile(g, { backend: 'js' }), compile(g, { backend: 'wasm' })]);
    const [want, got] = await Promise.all([js.run(inputs), wasm.run(inputs)]);
    // Row sums add four f64 lane totals at the end: another order of f64 additions, so within 1 ulp after rounding.
    for (const [name, t] of Object.entries(want)) {
      if (name === 'sum' || name === 'dot') t.data.forEach((v, i) => expect(ulps(Number(got[name]!.data[i]), Number(v)), `${name}[${i}]`).toBeLessThanOrEqual(1));
      else expect(Array.from(got[name]!.data), name).toEqual(Array.from(t.data));
    }
  });

  test("exp, log, tanh and sigmoid (the module's polynomials) are within 2 ulp of the js backend's correctly rounded results", async () => {
    const b = new GraphBuilder('transcendental');
    const x = b.input('x', { dtype: 'f32', shape: [7, 61] });
    b.output('exp', b.emit('exp', [x]));
    b.output('log', b.emit('log', [b.emit('abs', [x])]));
    b.output('tanh', b.emit('tanh', [x]));
    b.output('sigmoid', b.emit('sigmoid', [x]));
    const g = b.build();
    const inputs = { x: Float32Array.from({ length: 7 * 61 }, (_, i) => (i - 200) * 0.47 + Math.sin(i)) }; // −94 … 107, through overflow and underflow
    const [js, wasm] = await Promise.all([compile(g, { backend: 'js' }), compile(g, { backend: 'wasm' })]);
    const [want, got] = await Promise.all([js.run(inputs), wasm.run(inputs)]);
    for (const [name, t] of Object.entries(want)) {
      const worst = Math.max(...Array.from(t.data, (v, i) => ulps(Number(got[name]!.data[i]), Number(v))));
      expect(worst, name).toBeLessThanOrEqual(2);
    }
  });

  test('runs from the program and the bytes alone, as an artifact would, with the reference results', async () => {
    const g = xorMlpGraph();
    const program = kernelProgram(g, { B: 4 });
    const exe = new WasmExecutable({ program, wasm: await compileWasm(program) });
    const ref = await compile(g, { shapes: { B: 4 } });
    exe.setParams(ref.params()); // the same weights on both sides
    const inputs = { x: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), y: new Float32Array([0, 1, 1, 0]) };
    const [want, out] = [await ref.run(inputs), await exe.run(inputs)];
    expect(Object.keys(out).sort()).toEqual(Object.keys(want).sort());
    for (const [name, t] of Object.entries(want)) expectClose(name, out[name]!, t);
    expect(new Uint8Array(await compileWasm(program)).slice(0, 4)).toEqual(new Uint8Array([0, 0x61, 0x73, 0x6d]));
  });

  test("no static import reaches 'binaryen' except the wrapper, which loads it dynamically", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
    for (const file of [...files('src'), ...files('runtime')]) {
      const text = readFileSync(file, 'utf8');
      const statics = [...text.matchAll(/^import\s+(?!type\b)[^;]*from\s+'binaryen'/gm)];
      expect(
        statics.map((m) => m[0]),
        file,
      ).toEqual([]);
      if (file !== join('src', 'backends', 'wasm', 'binaryen.ts')) expect(text, file).not.toMatch(/['"]binaryen['"]/);
    }
  });

  test('a fresh process imports kiln and compiles for js without loading binaryen', () => {
    requireBuilt('dist/src/backends/wasm/binaryen.js');
    // A resolve hook refuses 'binaryen': js must still work, and wasm must hit the refusal (the hook is live).
    const hook =
      'data:text/javascript,' +
      encodeURIComponent('export async function resolve(s, c, next) { if (s === "binaryen") throw new Error("binaryen was loaded"); return next(s, c); }');
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
