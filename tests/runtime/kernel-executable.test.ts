// KernelExecutable on hand-built programs: initializers, multi-store kernels, arena aliasing, and the Executable interface against the reference backend.

import { describe, expect, it } from 'vitest';
import { KernelExecutable } from '../../runtime/executable.js';
import type { KernelProgram } from '../../runtime/kernel-ir.js';
import { type Tensor } from '../../runtime/tensor.js';
import { ReferenceExecutable } from '../../src/backends/reference/index.js';
import { type Executable } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { planMemory } from '../../src/kernels/memory.js';
import { v, ic, iadd, imul, at, ld, cst, un, bin, cast, acc, buf, kernel, program, dataOf } from './kernel-programs.js';

describe('kernels and the arena', () => {
  it('a multi-store kernel computes every value of a point before writing, so one store may overwrite its input', async () => {
    // t = x * 2 (temp); then one kernel writes a = t + 1 over t itself and b = t * t elsewhere.
    const p = program(
      [
        buf('x', 'f32', [4], 'input'),
        buf('t', 'f32', [4], 'temp', { offset: 0 }),
        buf('a', 'f32', [4], 'temp', { offset: 0 }),
        buf('b', 'f32', [4], 'temp', { offset: 16 }),
        buf('y', 'f32', [4], 'output'),
        buf('z', 'f32', [4], 'output'),
      ],
      [
        kernel('double', [4], [['t', bin('mul', ld('x', v(0)), cst(2))]]),
        kernel(
          'siblings',
          [4],
          [
            ['a', bin('add', ld('t', v(0)), cst(1))],
            ['b', bin('mul', ld('t', v(0)), ld('t', v(0)))],
          ],
        ),
        kernel(
          'out',
          [4],
          [
            ['y', ld('a', v(0))],
            ['z', ld('b', v(0))],
          ],
        ),
      ],
      { arenaBytes: 32 },
    );
    const out = await new KernelExecutable({ program: p }).run({ x: new Float32Array([1, 2, 3, 4]) });
    expect(dataOf(out['y'])).toEqual([3, 5, 7, 9]);
    expect(dataOf(out['z'])).toEqual([4, 16, 36, 64]);
  });

  it('temps reuse arena bytes, f32 and i32 views over the same memory, bool as 0/1 in 4 bytes', async () => {
    // f (f32) and i (i32) and m (bool) all sit at offset 0, one after another's death.
    const p = program(
      [
        buf('x', 'f32', [4], 'input'),
        buf('f', 'f32', [4], 'temp', { offset: 0 }),
        buf('i', 'i32', [4], 'temp', { offset: 0 }),
        buf('m', 'bool', [4], 'temp', { offset: 0 }),
        buf('y', 'bool', [4], 'output'),
        buf('n', 'i32', [4], 'output'),
      ],
      [
        kernel('f', [4], [['f', bin('mul', ld('x', v(0)), cst(-3))]]),
        kernel('i', [4], [['i', cast(ld('f', v(0)), 'i32')]]),
        kernel('m', [4], [['m', bin('gt', ld('i', v(0), 'i32'), cst(-5, 'i32'))]]),
        kernel(
          'y',
          [4],
          [
            ['y', ld('m', v(0), 'bool')],
            ['n', cast(ld('m', v(0), 'bool'), 'i32')],
          ],
        ),
      ],
      { arenaBytes: 16 },
    );
    const out = await new KernelExecutable({ program: p }).run({ x: new Float32Array([0.5, 1.5, 2, -4]) });
    expect(out['y']!.data).toEqual(new Uint8Array([1, 1, 0, 1]));
    expect(dataOf(out['n'])).toEqual([1, 1, 0, 1]);
  });

  it('the planned arena gives the same results as every temp in its own place', async () => {
    // A diamond of elementwise and reducing kernels, planned and unplanned.
    const x = Float32Array.from({ length: 12 }, (_, i) => (i - 5) / 3);
    const p = program(
      [
        buf('x', 'f32', [3, 4], 'input'),
        buf('a', 'f32', [3, 4], 'temp'),
        buf('b', 'f32', [3, 4], 'temp'),
        buf('c', 'f32', [4, 3], 'temp'),
        buf('s', 'f32', [3], 'temp'),
        buf('y', 'f32', [3], 'output'),
      ],
      [
        kernel('a', [3, 4], [['a', un('exp', ld('x', at([3, 4])))]]),
        kernel('b', [3, 4], [['b', un('tanh', ld('a', at([3, 4])))]]),
        kernel('c', [4, 3], [['c', bin('add', ld('a', iadd(imul(v(1), 4), v(0))), ld('b', iadd(imul(v(1), 4), v(0))))]]),
        kernel('s', [3], [['s', acc()]], { reduce: { op: 'sum', shape: [4], value: ld('c', iadd(imul(v(1), 3), v(0))) } }),
        kernel('y', [3], [['y', un('sqrt', ld('s', v(0)))]]),
      ],
    );
    const planned = planMemory(p);
    expect(planned.arenaBytes).toBeLessThan(new KernelExecutable({ program: p }).arenaBytes);
    const a = await new KernelExecutable({ program: p }).run({ x });
    const b = await new KernelExecutable({ program: planned }).run({ x });
    expect(dataOf(b['y'])).toEqual(dataOf(a['y']));
  });

  it('refuses temps that share bytes while both live', () => {
    const p = program(
      [buf('x', 'f32', [2, 2], 'input'), buf('t', 'f32', [2, 2], 'temp', { offset: 0 }), buf('u', 'f32', [2, 2], 'temp', { offset: 0 }), buf('y', 'f32', [2, 2], 'output')],
      [
        kernel('t', [2, 2], [['t', ld('x', at([2, 2]))]]),
        // A transposed read is not at the point: writing u over t would clobber elements still to be read.
        kernel('u', [2, 2], [['u', ld('t', iadd(imul(v(1), 2), v(0)))]]),
        kernel('y', [2, 2], [['y', ld('u', at([2, 2]))]]),
      ],
      { arenaBytes: 16 },
    );
    expect(() => new KernelExecutable({ program: p })).toThrow("program: temps 't' [0, 16) and 'u' [0, 16) share arena bytes while both live (kernels 0..1 and 1..2)");
  });
});

// ---- the Executable interface ------------------------------------------------------------------

describe('KernelExecutable behaves like the reference Executable', () => {
  /** w (param [3]) is read and updated to w + x; c (an i32 counter) counts runs; y = w * x. */
  function stepper(): KernelProgram {
    return program(
      [
        buf('x', 'f32', [3], 'input'),
        buf('unused', 'i32', [], 'input'),
        buf('w', 'f32', [3], 'param'),
        buf('c', 'i32', [], 'param'),
        buf('w2', 'f32', [3], 'temp'),
        buf('c2', 'i32', [], 'temp'),
        buf('y', 'f32', [3], 'output'),
        buf('flag', 'bool', [3], 'output'),
      ],
      [
        kernel(
          'y',
          [3],
          [
            ['y', bin('mul', ld('w', v(0)), ld('x', v(0)))],
            ['w2', bin('add', ld('w', v(0)), ld('x', v(0)))],
            ['flag', bin('gt', ld('x', v(0)), cst(0))],
          ],
        ),
        kernel('count', [], [['c2', bin('add', ld('c', ic(0), 'i32'), cst(1, 'i32'))]]),
      ],
      {
        params: [
          { name: 'w', buffer: 'w', init: { fn: 'constant', args: { value: 2 } } },
          { name: 'c', buffer: 'c', init: { fn: 'zeros', args: {} } },
        ],
        updates: [
          { param: 'w', buffer: 'w2' },
          { param: 'c', buffer: 'c2' },
        ],
        outputs: [
          { name: 'y', buffer: 'y' },
          { name: 'flag', buffer: 'flag' },
          { name: 'w_before', buffer: 'w' },
        ],
      },
    );
  }

  it('specs, updates after the run, outputs read before them, bool outputs as bytes, optional unread inputs', async () => {
    const exe: Executable = new KernelExecutable({ program: planMemory(stepper()) }); // the same interface, checked by the compiler
    expect(exe.inputs).toEqual([
      { name: 'x', dtype: 'f32', shape: [3] },
      { name: 'unused', dtype: 'i32', shape: [], optional: true },
    ]);
    expect(exe.outputs.map((o) => o.name)).toEqual(['y', 'flag', 'w_before']);
    expect(exe.paramSpecs).toEqual([
      { name: 'w', dtype: 'f32', shape: [3] },
      { name: 'c', dtype: 'i32', shape: [] },
    ]);
    const first = await exe.run({ x: [1, -2, 3] });
    expect(dataOf(first['y'])).toEqual([2, -4, 6]);
    expect(dataOf(first['w_before'])).toEqual([2, 2, 2]);
    expect(first['flag']).toEqual({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
    const second = await exe.run({ x: [1, 1, 1] });
    expect(dataOf(second['w_before'])).toEqual([3, 0, 5]);
    expect(dataOf(exe.params()['c'])).toEqual([2]);
  });

  it('outputs and params() are copies', async () => {
    const exe = new KernelExecutable({ program: planMemory(stepper()) });
    const out = await exe.run({ x: [0, 0, 0] });
    (out['w_before']!.data as Float32Array)[0] = 99;
    exe.params()['w']!.data[0] = 99;
    expect(dataOf(exe.params()['w'])).toEqual([2, 2, 2]);
  });

  it('setParams checks every value before changing any', async () => {
    const exe = new KernelExecutable({ program: planMemory(stepper()) });
    expect(() => exe.setParams({ w: [5, 5, 5], c: new Float32Array([1]) })).toThrow("parameter 'c': expected i32[] as Int32Array, got Float32Array");
    expect(() => exe.setParams({ w: [5, 5, 5], nope: [1] })).toThrow("unknown parameter 'nope' (the parameters are w, c)");
    expect(dataOf(exe.params()['w'])).toEqual([2, 2, 2]);
    exe.setParams({ w: [5, 6, 7] });
    expect(dataOf((await exe.run({ x: [1, 1, 1] }))['y'])).toEqual([5, 6, 7]);
  });

  it('refuses bad inputs as the reference does', async () => {
    const exe = new KernelExecutable({ program: planMemory(stepper()) });
    await expect(exe.run({})).rejects.toThrow("missing input 'x' (expected f32[3])");
    await expect(exe.run({ x: [1, 2] })).rejects.toThrow("input 'x': expected shape [3], got [2]");
  });

  it('updates take effect together: two parameters can swap', async () => {
    const p = program(
      [buf('a', 'f32', [2], 'param'), buf('b', 'f32', [2], 'param'), buf('s', 'f32', [2], 'output')],
      [kernel('s', [2], [['s', bin('sub', ld('a', v(0)), ld('b', v(0)))]])],
      {
        params: [
          { name: 'a', buffer: 'a', init: { fn: 'ones', args: {} } },
          { name: 'b', buffer: 'b', init: { fn: 'zeros', args: {} } },
        ],
        updates: [
          { param: 'a', buffer: 'b' },
          { param: 'b', buffer: 'a' },
        ],
      },
    );
    const exe = new KernelExecutable({ program: p });
    expect(dataOf((await exe.run({}))['s'])).toEqual([1, 1]);
    expect(dataOf((await exe.run({}))['s'])).toEqual([-1, -1]);
  });

  it('a paramStore shares weights between programs, including with the reference backend', async () => {
    const store = new Map<string, Tensor>();
    const train = new KernelExecutable({ program: planMemory(stepper()) }, { paramStore: store });
    const again = new KernelExecutable({ program: planMemory(stepper()) }, { paramStore: store });
    await train.run({ x: [1, 1, 1] });
    expect(dataOf(again.params()['w'])).toEqual([3, 3, 3]);
    // The reference replaces store entries instead of writing into them; the kernel side follows.
    const g = new GraphBuilder('ref');
    const w = g.param('w', { dtype: 'f32', shape: [3] }, { fn: 'zeros', args: {} });
    g.update('w', g.emit('mul', [w, g.emit('constant', [], { value: [10] })]));
    g.output('w', w);
    const ref = new ReferenceExecutable(g.build(), { paramStore: store });
    expect(dataOf((await ref.run({}))['w'])).toEqual([3, 3, 3]);
    expect(dataOf((await again.run({ x: [0, 0, 0] }))['w_before'])).toEqual([30, 30, 30]);
    expect(dataOf(train.params()['w'])).toEqual([30, 30, 30]);
  });

  it("first values: given params, then the artifact weights, then the initializers; a caller's arrays are never written", async () => {
    const mine = new Float32Array([1, 2, 3]);
    const exe = new KernelExecutable({ program: planMemory(stepper()), weights: { c: { dtype: 'i32', shape: [], data: new Int32Array([40]) } } }, { params: { w: mine } });
    await exe.run({ x: [1, 1, 1] });
    expect(Array.from(mine)).toEqual([1, 2, 3]);
    expect(dataOf(exe.params()['w'])).toEqual([2, 3, 4]);
    expect(dataOf(exe.params()['c'])).toEqual([41]);
  });
});
