// The executor contract with asynchronous steps (as a GPU queue has them): a fake executor whose
// dispatch and readback resolve on later ticks reads back only the outputs asked for, applies
// parameter updates after them, and overlapping runs never see each other's buffers.

import { describe, expect, test } from 'vitest';
import { KernelExecutable } from '../../runtime/kernel-executable.js';
import type { Tensor } from '../../runtime/tensor.js';
import { compile, kernelProgram } from '../../src/compile.js';
import { parseGraph } from '../../src/ir/text.js';

const later = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/** The JS executor with its dispatch and readback deferred to later ticks; it records what was read back. */
class DeferredExecutable extends KernelExecutable {
  readonly readBack: string[][] = [];
  /** Runs between the dispatch and the readback of some run: more than one means two shared the buffers. */
  busy = 0;
  maxBusy = 0;

  protected override dispatch(): Promise<void> {
    this.busy++;
    this.maxBusy = Math.max(this.maxBusy, this.busy);
    return later().then(() => this.execute());
  }

  protected override readback(names: readonly string[]): Promise<Record<string, Tensor>> {
    this.readBack.push([...names]);
    // Captured now, as a queued copy would be; delivered on a later tick.
    const copies = super.readback(names) as Record<string, Tensor>;
    return later().then(() => {
      this.busy--;
      return copies;
    });
  }
}

/** y = 2x and s = sum(x), with a counter parameter c that each run increases by 1. */
const model = () =>
  parseGraph(`graph twice {
  input x: f32[4]
  param c: f32[] = zeros()
  %two = constant() {dtype=f32, shape=[4], value=[2]} : f32[4]
  %one = constant() {dtype=f32, shape=[], value=[1]} : f32[]
  %y = mul(%x, %two) : f32[4]
  %s = reduce_sum(%x) {axes=[0], keepdims=false} : f32[]
  %c1 = add(%c, %one) : f32[]
  output y = %y
  output s = %s
  output c = %c
  update c = %c1
}
`);

describe('an asynchronous executor', () => {
  test('reads back only the outputs asked for, in the program order', async () => {
    const exe = new DeferredExecutable({ program: kernelProgram(model(), {}) });
    const out = await exe.run({ x: [1, 2, 3, 4] }, { outputs: ['s'] });
    expect(Object.keys(out)).toEqual(['s']);
    expect(Array.from(out.s!.data)).toEqual([10]);
    expect(exe.readBack).toEqual([['s']]);
    await exe.run({ x: [1, 2, 3, 4] }, { outputs: ['y', 'c'] });
    await exe.run({ x: [1, 2, 3, 4] });
    expect(exe.readBack.slice(1)).toEqual([
      ['y', 'c'],
      ['y', 's', 'c'],
    ]);
    await expect(exe.run({ x: [1, 2, 3, 4] }, { outputs: ['z'] })).rejects.toThrow("unknown output 'z' (the program's outputs are y, s, c)");
  });

  test('overlapping runs stay separate, and each update follows its own readback', async () => {
    const exe = new DeferredExecutable({ program: kernelProgram(model(), {}) });
    const feeds = [1, -3, 5].map((v) => new Float32Array(4).fill(v));
    const outs = await Promise.all(feeds.map((x) => exe.run({ x })));
    expect(outs.map((o) => [o.y!.data[0], o.s!.data[0], o.c!.data[0]])).toEqual([
      [2, 4, 0],
      [-6, -12, 1],
      [10, 20, 2],
    ]);
    expect(exe.maxBusy).toBe(1);
    expect(Array.from(exe.params().c!.data)).toEqual([3]);
  });

  test('the synchronous executors and the reference honour the same option', async () => {
    for (const backend of ['reference', 'js', 'wasm'] as const) {
      const exe = await compile(model(), { backend });
      const out = await exe.run({ x: [1, 2, 3, 4] }, { outputs: ['c', 'y'] });
      expect(Object.keys(out).sort(), backend).toEqual(['c', 'y']);
      expect(Array.from(out.y!.data), backend).toEqual([2, 4, 6, 8]);
      await expect(exe.run({ x: [1, 2, 3, 4] }, { outputs: ['z'] }), backend).rejects.toThrow("unknown output 'z'");
    }
  });
});
