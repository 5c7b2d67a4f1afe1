// The Wasm backend on several threads: every kernel is shared by output points, so a threaded
// program computes each element exactly as the one-thread program does: results must be equal
// bit for bit (forward, training steps, reductions). Range errors still surface, the threads
// recover for the next run, and bad thread counts are refused.

import { describe, expect, test } from 'vitest';
import { inputsFor } from './agreement.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { generateWasm } from '../../src/backends/wasm/codegen.js';
import { compile, kernelProgram } from '../../src/compile.js';
import { graph } from '../../src/frontend/builder.js';
import { adam } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { WasmExecutable } from '../../runtime/wasm.js';
import { randomGraph, randomInputs } from '../support/random-graphs.js';

/** The part of the WebAssembly JS API used here (the project's lib settings declare none). */
declare const WebAssembly: { Module: (new (bytes: Uint8Array) => object) & { customSections(module: object, name: string): ArrayBuffer[] } };

const bits = (a: ArrayLike<number | bigint>): number[] => Array.from(new Uint32Array(Float32Array.from(Array.from(a, Number)).buffer));

describe('wasm on several threads', () => {
  test('a matmul chain with bias, relu, reductions and a softmax equals the one-thread result bit for bit', async () => {
    const g = graph('mm', (b) => {
      const [x, w, c] = [b.input('x', 'f32', [67, 300]), b.input('w', 'f32', [300, 45]), b.input('c', 'f32', [45])];
      const h = x.matmul(w).add(c).relu();
      b.output('h', h);
      b.output('rows', b.op('reduce_sum', [h], { axes: [1] }));
      b.output('soft', b.op('softmax', [h]));
      b.output('wide', b.op('sigmoid', [b.input('v', 'f32', [70001])]));
    });
    const inputs = inputsFor(g, {}, 3);
    const [one, two] = await Promise.all([compile(g, { backend: 'wasm' }), compile(g, { backend: 'wasm', threads: 2 })]);
    expect((two as WasmExecutable).threads).toBe(2);
    const [want, got] = [await one.run(inputs), await two.run(inputs)];
    for (const [name, t] of Object.entries(want)) expect(bits(got[name]!.data), name).toEqual(bits(t.data));
  });

  test('40 random graphs with every kernel shared by 2 and 3 threads equal one thread bit for bit', async () => {
    for (let seed = 2000; seed < 2040; seed++) {
      const g = randomGraph(seed, { maxDim: 11 });
      const program = kernelProgram(g, {});
      const inputs = randomInputs(g, seed);
      const one = new WasmExecutable({ program, wasm: await generateWasm(program) });
      const want = await one.run(inputs);
      for (const threads of [2, 3]) {
        const many = new WasmExecutable({ program, wasm: await generateWasm(program, { threads, minSplitWork: 1 }) });
        many.setParams(one.params());
        const got = await many.run(inputs);
        for (const [name, t] of Object.entries(want)) expect(bits(got[name]!.data), `graph ${seed} on ${threads}: ${name}`).toEqual(bits(t.data));
        await many.dispose();
      }
    }
  }, 120_000);

  test("with a global Worker, as in a browser, the pool starts Web Workers and the results equal one thread's", async () => {
    // A Web Worker over Node's worker_threads: the worker gets `self` with postMessage and onmessage, its source from the Blob URL.
    const { Worker: NodeWorker } = await import('node:worker_threads');
    const sources = new Map<string, string>();
    class SourceBlob extends Blob {
      constructor(
        readonly parts: string[],
        options?: { type?: string },
      ) {
        super(parts, options);
      }
    }
    class ShimWorker {
      onmessage: ((e: { data: unknown }) => void) | null = null;
      onerror: ((e: unknown) => void) | null = null;
      private readonly w: InstanceType<typeof NodeWorker>;
      constructor(url: string) {
        const prelude =
          "const { parentPort } = require('node:worker_threads'); globalThis.self = globalThis; self.postMessage = (m) => parentPort.postMessage(m); parentPort.on('message', (data) => self.onmessage({ data }));\n";
        this.w = new NodeWorker(prelude + sources.get(url)!, { eval: true });
        this.w.on('message', (m) => this.onmessage?.({ data: m }));
        this.w.on('error', (e) => this.onerror?.(e));
        this.w.unref();
      }
      postMessage(m: unknown): void {
        this.w.postMessage(m);
      }
      terminate(): void {
        void this.w.terminate();
      }
    }
    const globals = globalThis as { Worker?: unknown; Blob: typeof Blob };
    const saved = { Worker: globals.Worker, Blob: globals.Blob, createObjectURL: Object.getOwnPropertyDescriptor(URL, 'createObjectURL')! };
    try {
      globals.Worker = ShimWorker;
      globals.Blob = SourceBlob;
      URL.createObjectURL = (b: Blob): string => {
        const url = `blob:shim/${sources.size}`;
        sources.set(url, (b as SourceBlob).parts.join(''));
        return url;
      };
      const g = mnistMlpGraph([64, 32]);
      const inputs = inputsFor(g, { B: 32 }, 8);
      const [one, two] = await Promise.all([compile(g, { backend: 'wasm', shapes: { B: 32 } }), compile(g, { backend: 'wasm', shapes: { B: 32 }, threads: 2 })]);
      two.setParams(one.params());
      const [want, got] = [await one.run(inputs), await two.run(inputs)];
      expect(sources.size).toBe(1); // the Web Worker path started the pool
      expect([...sources.values()][0]).toContain('self.onmessage');
      for (const [name, t] of Object.entries(want)) expect(bits(got[name]!.data), name).toEqual(bits(t.data));
      await (two as WasmExecutable).dispose();
    } finally {
      globals.Worker = saved.Worker;
      globals.Blob = saved.Blob;
      Object.defineProperty(URL, 'createObjectURL', saved.createObjectURL);
    }
  });

  test('mnist MLP Adam steps on 3 threads equal one thread: losses and weights', async () => {
    const g = mnistMlpGraph([64, 32]);
    const run = async (threads: number) => {
      const trainer = await compileTraining(g, { backend: 'wasm', optimizer: adam({ lr: 0.01 }), seed: 2, threads });
      const batch = inputsFor(g, { B: 32 }, 5);
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) losses.push((await trainer.step(batch)).loss!);
      return { losses, state: trainer.state() };
    };
    const [want, got] = [await run(1), await run(3)];
    expect(got.losses).toEqual(want.losses);
    for (const [name, t] of Object.entries(want.state)) expect(bits(got.state[name]!.data), name).toEqual(bits(t.data));
  });

  test('a range error on thread 0 reaches the caller, and the threads run the next call', async () => {
    const g = graph('take', (b) => {
      b.output('y', b.gather(b.input('x', 'f32', [2, 3]), b.input('i', 'i32', [2]), 1));
      b.output('z', b.input('big', 'f32', [40000]).relu());
    });
    const exe = await compile(g, { backend: 'wasm', threads: 2 });
    const big = Float32Array.from({ length: 40000 }, (_, i) => i - 20000);
    const x = new Float32Array([0, 1, 2, 3, 4, 5]);
    await expect(exe.run({ x, i: [3, 0], big })).rejects.toThrow('gather: index 3 is out of range for an axis of size 3');
    const out = await exe.run({ x, i: [2, 0], big });
    expect(Array.from(out.y!.data)).toEqual([2, 0, 5, 3]);
    expect(out.z!.data[19999]).toBe(0);
    expect(out.z!.data[39999]).toBe(19999);
  });

  test('a threaded module imports one shared memory, describes itself, and meets at barriers', async () => {
    let wat = '';
    const program = kernelProgram(
      graph('g', (b) =>
        b.output(
          'y',
          b
            .input('a', 'f32', [64, 64])
            .matmul(b.input('b', 'f32', [64, 64]))
            .relu(),
        ),
      ),
      {},
    );
    const bytes = await generateWasm(program, { threads: 2, text: (t) => (wat = t) });
    expect(wat).toMatch(/\(import "env" "memory" \(memory \$memory \d+ \d+ shared\)\)/);
    expect(wat).toContain('i32.atomic.rmw.add');
    expect(wat).toContain('(func $run (param $0 i32)');
    const section = WebAssembly.Module.customSections(new WebAssembly.Module(bytes), 'kiln.threads')[0]!;
    expect(JSON.parse(new TextDecoder().decode(section))).toMatchObject({ threads: 2 });
  });

  test('a program with no kernel worth sharing runs on one thread; barriers stand only around shared kernels', async () => {
    const small = graph('small', (b) => b.output('y', b.input('x', 'f32', [16, 16]).relu().mul(2)));
    expect(((await compile(small, { backend: 'wasm', threads: 2 })) as WasmExecutable).threads).toBe(1);
    // At batch 1 a matmul has one row: nothing to share by row tiles.
    expect(((await compile(mnistMlpGraph(), { backend: 'wasm', threads: 2, shapes: { B: 1 } })) as WasmExecutable).threads).toBe(1);
    expect(((await compile(mnistMlpGraph(), { backend: 'wasm', threads: 2, shapes: { B: 8 } })) as WasmExecutable).threads).toBe(2);
    // Three small kernels of thread 0 (two sums and a gather), then one shared: one barrier, before it.
    const mixed = graph('mixed', (b) => {
      const x = b.input('x', 'f32', [8, 8]);
      b.output('a', b.op('reduce_sum', [x], { axes: [1] }));
      b.output('b', b.op('reduce_max', [x], { axes: [0] }));
      b.output('c', b.gather(x, b.input('i', 'i32', [3]), 0));
      b.output('d', b.input('big', 'f32', [300, 300]).relu());
    });
    let wat = '';
    await generateWasm(kernelProgram(mixed, {}), { threads: 2, text: (t) => (wat = t) });
    expect(wat.match(/call \$barrier/g)?.length).toBe(1);
  });

  test('bad thread counts and backends other than wasm are refused', async () => {
    const g = graph('g', (b) => b.output('y', b.input('x', 'f32', [4]).relu()));
    await expect(compile(g, { backend: 'wasm', threads: 0 })).rejects.toThrow('threads must be an integer from 1 to 64, not 0');
    await expect(compile(g, { backend: 'wasm', threads: 1.5 })).rejects.toThrow('threads must be an integer from 1 to 64, not 1.5');
    await expect(compile(g, { backend: 'js', threads: 2 })).rejects.toThrow("only backend 'wasm' runs on several threads");
    await expect(compile(g, { backend: 'reference', threads: 2 })).rejects.toThrow("only backend 'wasm' runs on several threads");
  });
});
