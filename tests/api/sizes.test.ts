// Sizes beyond what a backend can hold are refused before anything is allocated, naming the
// value, its shape, its size and the limit; dims past 2^53-1 are not dims at all.

import { describe, expect, it } from 'vitest';

import { catchKiln, rejectionOf } from '../catch-kiln.js';
import { BACKENDS, KilnError, checkModel, compile, parse, specialize, verify } from '../../src/index.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { MAX_TENSOR_ELEMENTS } from '../../src/ir/types.js';

async function compileError(source: string, backend: (typeof BACKENDS)[number], shapes: Record<string, number> = {}): Promise<KilnError> {
  const e: unknown = await rejectionOf(compile(parse(source), { backend, shapes }));
  expect(e).toBeInstanceOf(KilnError);
  return e as KilnError;
}

describe('tensors too large to hold', () => {
  it('the limit is what a typed array indexed by a 32-bit integer holds', () => {
    expect(MAX_TENSOR_ELEMENTS).toBe(2 ** 31 - 1);
  });

  it('exactly at the limit is not refused by the size check', () => {
    // Compiling would allocate the tensor; the check alone is what runs here.
    const g = specialize(parse('model m {\n  input x: bool[B]\n  output y = x\n}'), { shapes: { B: MAX_TENSOR_ELEMENTS } });
    expect(g.inputs[0]!.type.shape).toEqual([MAX_TENSOR_ELEMENTS]);
    const over = catchKiln(() => specialize(parse('model m {\n  input x: bool[B]\n  output y = x\n}'), { shapes: { B: MAX_TENSOR_ELEMENTS + 1 } }));
    expect(over.message).toContain('input x: bool[2147483648] holds 2147483648 elements, 2.15 GB');
  });

  for (const backend of BACKENDS) {
    describe(`backend ${backend}`, () => {
      it('a param', async () => {
        const e = await compileError('model m {\n  param w: f32[3, 100000000000] = zeros()\n  input x: f32[3]\n  output y = x\n}', backend);
        expect(e.code).toBe('shape');
        expect(e.message).toContain('param w: f32[3, 100000000000] holds 300000000000 elements, 1.20 TB; a tensor holds at most 2147483647 elements');
        expect(e.span?.line).toBe(2);
      });

      it('an input once its symbol is bound', async () => {
        const e = await compileError('model m {\n  input x: f32[B, 70000, 70000]\n  output y = x\n}', backend, { B: 2 });
        expect(e.message).toContain('input x: f32[2, 70000, 70000] holds 9800000000 elements, 39.2 GB');
      });

      it('a value computed from small ones', async () => {
        const e = await compileError('model m {\n  input x: f32[B, 1]\n  input w: f32[1, 50000]\n  output y = matmul(x, w)\n}', backend, { B: 50000 });
        expect(e.message).toMatch(/matmul\(\.\.\.\): f32\[50000, 50000\] holds 2500000000 elements/);
      });
    });
  }
});

describe('dims that are not safe integers', () => {
  it('the model language refuses one, at its place', () => {
    const r = checkModel('model m {\n  input x: f32[B, 99999999999999999999]\n  output y = x\n}');
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics[0]!.span.line).toBe(2);
    expect(r.diagnostics[0]!.message).toContain('100000000000000000000');
  });

  it('the verifier refuses one, naming the axis', () => {
    const b = new GraphBuilder('g');
    b.input('x', { dtype: 'f32', shape: [2] });
    b.output('y', 'x');
    const g = b.build();
    const bad = { ...g, inputs: [{ ...g.inputs[0]!, type: { dtype: 'f32' as const, shape: [2, 2 ** 53] } }] };
    const e = catchKiln(() => verify(bad));
    expect(e.message).toContain('input x: invalid dim 9007199254740992 at axis 1 (a dim is an integer from 0 to 2^53-1 or a symbol)');
  });

  it('a symbol is not bound to one', () => {
    const g = parse('model m {\n  input x: f32[B]\n  output y = x\n}');
    expect(catchKiln(() => specialize(g, { shapes: { B: 2 ** 53 } })).message).toContain('B must be a non-negative integer (at most 2^53-1), got 9007199254740992');
  });
});
