// Bad input at compile and run time, each with its exact message: inputs, symbolic dims, setParams.

import { describe, expect, it } from 'vitest';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import { compile } from '../../src/compile.js';
import type { BackendName, Executable } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { expectKilnAsync } from './helpers.js';

/** y = x @ w + b with x: f32[2, 3], w: f32[3, 2], b: f32[2], plus an i32 and a bool input. */
function model(): Graph {
  const b = new GraphBuilder('model');
  const x = b.input('x', { dtype: 'f32', shape: [2, 3] });
  const k = b.input('k', { dtype: 'i32', shape: [2] });
  const m = b.input('m', { dtype: 'bool', shape: [2] });
  const w = b.param('w', { dtype: 'f32', shape: [3, 2] }, { fn: 'ones', args: {} });
  const bias = b.param('b', { dtype: 'f32', shape: [2] }, { fn: 'zeros', args: {} });
  b.output('y', b.emit('dense', [x, w, bias]));
  b.output('k2', b.emit('add', [k, k]));
  b.output('m2', b.emit('identity', [m]));
  return b.build();
}

const good = { x: new Float32Array(6), k: new Int32Array(2), m: new Uint8Array(2) };

/** Runs `exe` and returns the KilnRuntimeError it rejects with. */
async function runError(exe: Executable, inputs: Record<string, unknown>): Promise<KilnRuntimeError> {
  let caught: unknown;
  try {
    await exe.run(inputs as never);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(KilnRuntimeError);
  expect((caught as KilnRuntimeError).code).toBe('input');
  return caught as KilnRuntimeError;
}

describe('inputs at run time', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a missing input', { x: good.x, k: good.k }, "missing input 'm' (expected bool[2])"],
    ['an unknown input', { ...good, z: 1 }, "unknown input 'z' (the program's inputs are x, k, m)"],
    [
      'a nested array of the wrong shape',
      {
        ...good,
        x: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      },
      "input 'x': expected shape [2, 3], got [3, 2]",
    ],
    ['a typed array of the wrong length', { ...good, x: new Float32Array(5) }, "input 'x': expected 6 elements for f32[2, 3], got 5"],
    ['an Int32Array for f32', { ...good, x: new Int32Array(6) }, "input 'x': expected f32[2, 3] as Float32Array, got Int32Array"],
    ['a Float64Array for f32', { ...good, x: new Float64Array(6) }, "input 'x': expected f32[2, 3] as Float32Array, got Float64Array"],
    ['a Float32Array for i32', { ...good, k: new Float32Array(2) }, "input 'k': expected i32[2] as Int32Array, got Float32Array"],
    ['a Tensor of the wrong dtype', { ...good, x: { dtype: 'i32', shape: [2, 3], data: new Int32Array(6) } }, "input 'x': expected f32[2, 3], got dtype i32"],
    ['a Tensor of the wrong shape', { ...good, x: { dtype: 'f32', shape: [3, 2], data: new Float32Array(6) } }, "input 'x': expected shape [2, 3], got [3, 2]"],
    [
      'a ragged nested array',
      {
        ...good,
        x: [
          [1, 2, 3],
          [4, 5],
        ],
      },
      "input 'x': ragged nested array at [1] (expected 3 entries)",
    ],
    ['a number where a row should be', { ...good, x: [[1, 2, 3], 4] }, "input 'x': ragged nested array at [1] (expected 3 entries)"],
    [
      'a row where a number should be',
      {
        ...good,
        x: [
          [1, [2], 3],
          [4, 5, 6],
        ],
      },
      "input 'x': expected a number at [0][1], got an array",
    ],
    ['fractions for i32', { ...good, k: [1, 2.5] }, "input 'k': value 2.5 does not fit i32[2]"],
  ];
  it.each(cases)('%s', async (_name, inputs, message) => {
    const exe = await compile(model());
    const e = await runError(exe, inputs);
    expect(e.message).toBe(message);
  });

  it('rejects a call without an object of inputs', async () => {
    const exe = await compile(model());
    const e = await runError(exe, [good.x] as never);
    expect(e.message).toBe('run: expected an object of named inputs (x, k, m)');
  });

  it('accepts nested arrays, flat lists, booleans and Tensors of the right type', async () => {
    const exe = await compile(model());
    const out = await exe.run({ x: [1, 2, 3, 4, 5, 6], k: [3, -4], m: [true, false] });
    // w is all ones and b all zeros: each output is the row sum.
    expect(Array.from(out['y']!.data)).toEqual([6, 6, 15, 15]);
    expect(Array.from(out['k2']!.data)).toEqual([6, -8]);
    expect(Array.from(out['m2']!.data)).toEqual([1, 0]);
    const again = await exe.run({ x: { dtype: 'f32', shape: [2, 3], data: new Float32Array(6).fill(1) }, k: good.k, m: good.m });
    expect(Array.from(again['y']!.data)).toEqual([3, 3, 3, 3]);
  });

  it('rejects i32 values outside the i32 range instead of wrapping them', async () => {
    const exe = await compile(model());
    // 2^31 does not fit i32; storing it in an Int32Array silently turns it into -2^31.
    const e = await runError(exe, { ...good, k: [2147483648, 0] });
    expect(e.message).toBe("input 'k': value 2147483648 does not fit i32[2]");
  });

  it('rejects bool values other than 0, 1, true and false', async () => {
    const exe = await compile(model());
    // 256 stored in a Uint8Array becomes 0 (false); 2 would be an invalid bool.
    const e = await runError(exe, { ...good, m: [256, 2] });
    expect(e.message).toBe("input 'm': value 256 does not fit bool[2]");
  });
});

describe('symbolic dims at compile time', () => {
  function batched(): Graph {
    const b = new GraphBuilder('batched');
    const x = b.input('x', { dtype: 'f32', shape: ['B', 3] });
    b.output('y', b.emit('reduce_sum', [x], { axes: [1] }));
    return b.build();
  }

  it('an unbound dim names the symbol and where it first appears', async () => {
    await expectKilnAsync(compile(batched()), 'bind', "unbound symbolic dimension 'B' (first in input x: f32[B, 3]); pass shapes: { B: <size> }");
  });

  it('binding an unknown symbol is an error', async () => {
    await expectKilnAsync(compile(batched(), { shapes: { B: 2, N: 4 } }), 'bind', "shapes: 'N' is not a dimension of graph batched (its symbols are B)");
  });

  it('binding a symbol of a graph with none is an error', async () => {
    await expectKilnAsync(compile(model(), { shapes: { B: 2 } }), 'bind', "shapes: 'B' is not a dimension of graph model (it has no symbolic dims)");
  });

  it('binding a negative or fractional size is an error', async () => {
    await expectKilnAsync(compile(batched(), { shapes: { B: -1 } }), 'bind', 'shapes: B must be a non-negative integer (at most 2^53-1), got -1');
    await expectKilnAsync(compile(batched(), { shapes: { B: 1.5 } }), 'bind', 'shapes: B must be a non-negative integer (at most 2^53-1), got 1.5');
  });

  it('the bound shape is what run checks', async () => {
    const exe = await compile(batched(), { shapes: { B: 2 } });
    expect(exe.inputs).toEqual([{ name: 'x', dtype: 'f32', shape: [2, 3] }]);
    const e = await runError(exe, { x: new Float32Array(9) });
    expect(e.message).toBe("input 'x': expected 6 elements for f32[2, 3], got 9");
  });

  it('an unknown backend is a usage error', async () => {
    await expectKilnAsync(compile(model(), { backend: 'gpu' as BackendName }), 'usage', "unknown backend 'gpu' (available: reference, js, wasm, webgpu)");
  });
});

describe('setParams', () => {
  it('replaces parameters and copies what it is given', async () => {
    const exe = await compile(model());
    const w = new Float32Array([1, 0, 0, 1, 0, 0]);
    exe.setParams({ w, b: [10, 20] });
    w[0] = 99; // the executable holds its own copy
    const out = await exe.run({ ...good, x: [1, 2, 3, 4, 5, 6] });
    expect(Array.from(out['y']!.data)).toEqual([11, 22, 14, 25]);
  });

  it('a wrong shape throws and leaves every parameter untouched', async () => {
    const exe = await compile(model());
    const before = exe.params();
    let caught: unknown;
    try {
      exe.setParams({ w: new Float32Array(6).fill(5), b: [1, 2, 3] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KilnRuntimeError);
    expect((caught as KilnRuntimeError).message).toBe("parameter 'b': expected shape [2], got [3]");
    // w was valid but must not have been replaced either: the update is all or nothing.
    expect(Array.from(exe.params()['w']!.data)).toEqual(Array.from(before['w']!.data));
    expect(Array.from(exe.params()['b']!.data)).toEqual([0, 0]);
  });

  it('a wrong dtype or an unknown name throws', async () => {
    const exe = await compile(model());
    expect(() => exe.setParams({ w: new Int32Array(6) })).toThrow(new KilnRuntimeError('input', "parameter 'w': expected f32[3, 2] as Float32Array, got Int32Array"));
    expect(() => exe.setParams({ v: [1] })).toThrow("unknown parameter 'v' (the parameters are w, b)");
    expect(Array.from(exe.params()['w']!.data)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('params() returns copies', async () => {
    const exe = await compile(model());
    exe.params()['b']!.data[0] = 7;
    expect(Array.from(exe.params()['b']!.data)).toEqual([0, 0]);
  });
});

describe('outputs own their storage', () => {
  it('an output that passes an input through is a copy the caller may change', async () => {
    const exe = await compile(model());
    const m = new Uint8Array([1, 0]);
    const { m2 } = await exe.run({ ...good, m });
    expect(m2!.data).not.toBe(m);
    m2!.data[0] = 0;
    expect(Array.from(m)).toEqual([1, 0]);
  });

  it('an output that passes a parameter through does not alias the parameter', async () => {
    const b = new GraphBuilder('passthrough');
    b.input('x', { dtype: 'f32', shape: [1] });
    const w = b.param('w', { dtype: 'f32', shape: [2] }, { fn: 'ones', args: {} });
    b.output('w', b.emit('reshape', [w], { shape: [2, 1] }));
    const exe = await compile(b.build());
    const { w: out } = await exe.run({ x: [0] });
    out!.data[0] = 7;
    expect(Array.from(exe.params().w!.data)).toEqual([1, 1]);
  });
});
