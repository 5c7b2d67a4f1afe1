// Guarded updates (src/kernels/guard-updates.ts): the stores of a step's updates count their
// non-finite values and keep backups in the kernels that already run, the executors commit only
// when every count is 0 (scalar, SIMD and threaded Wasm alike), and a program edited to drop a
// count or a backup is refused at load.

import { describe, expect, test } from 'vitest';
import { parseProgram } from '../../runtime/program-validator.js';
import type { KernelProgram } from '../../runtime/kernel-ir.js';
import type { Tensor } from '../../runtime/tensor.js';
import { WasmExecutable } from '../../runtime/wasm.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { generateWasm } from '../../src/backends/wasm/codegen.js';
import { compile } from '../../src/compile.js';
import type { BackendName } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { runToKernels } from '../../src/passes/pipeline.js';
import { adam } from '../../src/train/optimizers.js';
import { Trainer } from '../../src/train/trainer.js';

/** p: f32[n] takes p + x (or x itself); the output is the sum of x. */
function stepGraph(n: number, from: 'sum' | 'input'): Graph {
  const b = new GraphBuilder('g');
  const x = b.input('x', { dtype: 'f32', shape: [n] });
  const p = b.param('p', { dtype: 'f32', shape: [n] }, { fn: 'zeros', args: {} });
  b.output('s', b.emit('reduce_sum', [x], { axes: [0] }));
  b.update(p, from === 'sum' ? b.emit('add', [p, x]) : x);
  return b.build();
}

const guarded = (g: Graph): KernelProgram => runToKernels(g, { guardUpdates: true });
const xs = (n: number, bad: readonly number[]) => Float32Array.from({ length: n }, (_, i) => (bad.includes(i) ? [Number.NaN, Infinity, -Infinity][i % 3]! : i + 1));

interface Runner {
  run(inputs: Record<string, Float32Array>): Promise<Record<string, Tensor>>;
  params(): Record<string, Tensor>;
}

async function runners(g: Graph): Promise<[string, Runner][]> {
  const backends: BackendName[] = ['reference', 'js', 'wasm'];
  const list: [string, Runner][] = await Promise.all(backends.map(async (b) => [b, await compile(g, { backend: b, guardUpdates: true })] as [string, Runner]));
  const program = guarded(g);
  // Every kernel shared by two threads, so the counts are added from both.
  list.push(['wasm, 2 threads', new WasmExecutable({ program, wasm: await generateWasm(program, { threads: 2, minSplitWork: 1 }) })]);
  return list;
}

describe('commit only when every new value is finite', () => {
  // 10 points: two four-lane vectors and a scalar tail; 16: four vectors.
  test.each([
    [10, 'sum', [1, 6, 9]],
    [16, 'sum', [0, 5, 10, 15]],
    [16, 'sum', [3]],
    [10, 'input', [2, 7]],
  ] as const)('p[%i] = %s with non-finite values at %j', async (n, from, bad) => {
    for (const [name, exe] of await runners(stepGraph(n, from))) {
      const clean = await exe.run({ x: xs(n, []) });
      expect(Array.from(clean['nonfinite']!.data), name).toEqual([0]);
      const committed = Array.from(exe.params()['p']!.data);
      expect(committed, name).toEqual(Array.from(xs(n, [])));
      const refused = await exe.run({ x: xs(n, bad) });
      expect(Array.from(refused['nonfinite']!.data), name).toEqual([bad.length]);
      expect(Array.from(exe.params()['p']!.data), name).toEqual(committed);
    }
  });

  test('the vector path counts lanes (bitmask and popcnt); a count is added atomically with threads', async () => {
    const program = guarded(stepGraph(16, 'sum'));
    let one = '';
    let two = '';
    await generateWasm(program, { text: (t) => (one = t) });
    await generateWasm(program, { threads: 2, minSplitWork: 1, text: (t) => (two = t) });
    expect(one).toMatch(/i32x4\.bitmask/);
    expect(one).toMatch(/i32\.popcnt/);
    expect(one).not.toMatch(/atomic/);
    expect(two).toMatch(/i32\.atomic\.rmw\.add/);
  });
});

describe('the MNIST MLP step with Adam (B = 128)', () => {
  const step = new Trainer(mnistMlpGraph(), { optimizer: adam({ lr: 1e-3 }) }).trainGraph;
  const plain = runToKernels(step, { shapes: { B: 128 } });
  const p = runToKernels(step, { shapes: { B: 128 }, guardUpdates: true });

  test('the guard adds no kernel: the counts and backups ride on the kernels that store the updates', () => {
    expect(p.kernels.length).toBe(plain.kernels.length);
    expect(p.updates.length).toBe(19); // 6 parameters, their m and v, the step count
    p.updates.forEach((u, i) => {
      const k = p.kernels.find((kk) => kk.stores.some((s) => s.buffer === u.buffer))!;
      expect(k.stores.find((s) => s.buffer === u.buffer)!.countNonFinite).toEqual({ buffer: p.guard!.counts, index: i });
      const backup = p.guard!.backups.find((b) => b.param === u.param)!;
      expect(k.stores.some((s) => s.buffer === backup.buffer)).toBe(true);
    });
    expect(p.outputs.map((o) => o.name)).toEqual([...plain.outputs.map((o) => o.name), 'nonfinite']);
  });

  describe('a program edited on disk is refused', () => {
    const edit = (change: (q: KernelProgram) => void): (() => KernelProgram) => {
      const q = JSON.parse(JSON.stringify(p)) as KernelProgram;
      change(q);
      return () => parseProgram(JSON.parse(JSON.stringify(q)), 'module');
    };
    const storeOf = (q: KernelProgram, buffer: string) => q.kernels.flatMap((k) => k.stores).find((s) => s.buffer === buffer)!;

    test('as compiled it loads, guard and all', () => {
      expect(parseProgram(JSON.parse(JSON.stringify(p))).guard).toEqual(p.guard);
    });
    test.each([
      ['a count dropped', (q: KernelProgram) => delete storeOf(q, 'w1').countNonFinite, /the update of 'w1' is guarded, but kernel '\w+' stores it without counting/],
      [
        'a count moved to another update',
        (q: KernelProgram) => (storeOf(q, 'w1').countNonFinite!.index = 0),
        /counts the non-finite values of 'w1' into \w+\[0\], which is not that update's count/,
      ],
      [
        'a backup dropped',
        (q: KernelProgram) => (q.guard!.backups = q.guard!.backups.filter((b) => b.param !== 'b2')),
        /the update of 'b2' is stored in place, but the guard has no backup/,
      ],
      [
        'a backup of other values',
        (q: KernelProgram) => (storeOf(q, 'b1.backup').value = { k: 'const', value: 0, dtype: 'f32' }),
        /guard backup 'b1\.backup' must be stored by kernel '\w+'/,
      ],
      ['the guard removed, the counts kept', (q: KernelProgram) => delete q.guard, /counts non-finite values, but the program has no guard/],
    ])('%s', (_, change, message) => {
      expect(edit(change)).toThrow(message);
    });
  });
});
