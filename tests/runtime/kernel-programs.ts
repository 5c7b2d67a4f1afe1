// Builders of hand-made kernel programs and the runners the interpreter suites share: index and value expressions, buffers, kernels, programs, and the same computation on the reference backend.

import { expect } from 'vitest';
import { KernelExecutable } from '../../runtime/executable.js';
import type { BinaryFn, BufferSpec, IndexExpr, Kernel, KernelDType, KernelProgram, UnaryFn, ValueExpr } from '../../runtime/kernel-ir.js';
import { type Tensor } from '../../runtime/tensor.js';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { planMemory } from '../../src/kernels/memory.js';

export const v = (axis: number): IndexExpr => ({ k: 'var', axis });
export const ic = (value: number): IndexExpr => ({ k: 'const', value });
export const iadd = (a: IndexExpr, b: IndexExpr): IndexExpr => ({ k: 'add', a, b });
export const imul = (a: IndexExpr, by: number): IndexExpr => ({ k: 'mul', a, by });
export const idiv = (a: IndexExpr, by: number): IndexExpr => ({ k: 'div', a, by });
export const imod = (a: IndexExpr, by: number): IndexExpr => ({ k: 'mod', a, by });
/** Σ var(first + i) · stride_i: the row-major offset of the point of `shape` held in those variables. */
export function at(shape: readonly number[], first = 0): IndexExpr {
  let e: IndexExpr = ic(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    e = iadd(e, imul(v(first + i), stride));
    stride *= shape[i]!;
  }
  return e;
}

export const ld = (buffer: string, index: IndexExpr, dtype: KernelDType = 'f32'): ValueExpr => ({ k: 'load', buffer, index, dtype });
export const cst = (value: number, dtype: KernelDType = 'f32'): ValueExpr => ({ k: 'const', value, dtype });
export const un = (fn: UnaryFn, a: ValueExpr): ValueExpr => ({ k: 'unary', fn, a, dtype: a.dtype });
export const COMPARES = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
export const bin = (fn: BinaryFn, a: ValueExpr, b: ValueExpr): ValueExpr => ({ k: 'binary', fn, a, b, dtype: COMPARES.includes(fn) ? 'bool' : a.dtype });
export const where = (cond: ValueExpr, a: ValueExpr, b: ValueExpr): ValueExpr => ({ k: 'where', cond, a, b, dtype: a.dtype });
export const cast = (a: ValueExpr, dtype: KernelDType): ValueExpr => ({ k: 'cast', a, dtype });
export const acc = (dtype: KernelDType = 'f32'): ValueExpr => ({ k: 'acc', dtype });
export const buf = (name: string, dtype: KernelDType, shape: number[], role: BufferSpec['role'], extra: Partial<BufferSpec> = {}): BufferSpec => ({
  name,
  dtype,
  shape,
  role,
  ...extra,
});
export const kernel = (name: string, shape: number[], stores: [string, ValueExpr][], extra: Partial<Kernel> = {}): Kernel => ({
  name,
  pattern: extra.reduce ? 'reduce' : 'elementwise',
  shape,
  stores: stores.map(([buffer, value]) => ({ buffer, value })),
  ...extra,
});

/** A program whose inputs, outputs and params are its buffers of those roles (params start at zero). */
export function program(buffers: BufferSpec[], kernels: Kernel[], extra: Partial<KernelProgram> = {}): KernelProgram {
  const named = (role: string) => buffers.filter((b) => b.role === role).map((b) => ({ name: b.name, buffer: b.name }));
  return {
    name: 'hand',
    buffers,
    kernels,
    inputs: named('input'),
    outputs: named('output'),
    params: named('param').map((p) => ({ ...p, init: { fn: 'zeros', args: {} } })),
    updates: [],
    arenaBytes: 0,
    ...extra,
  };
}

export type Feed = Record<string, Float32Array | Int32Array | Uint8Array>;

export async function runProgram(p: KernelProgram, feed: Feed = {}): Promise<Record<string, Tensor>> {
  return new KernelExecutable({ program: planMemory(p) }).run(feed);
}

/** Runs a graph built by `build` on the reference backend. */
export async function reference(build: (b: GraphBuilder) => void, feed: Feed = {}): Promise<Record<string, Tensor>> {
  const b = new GraphBuilder('ref');
  build(b);
  return (await compile(b.build(), { backend: 'reference' })).run(feed);
}

export const dataOf = (t: Tensor | undefined): number[] => Array.from(t!.data);

export const F32_VALUES = [0, -0, 1, -1, 0.5, -2.75, 3.1415927, 20, -20, 88.5, -104, 1e-30, 3e38, NaN, Infinity, -Infinity];
export const I32_VALUES = [0, 1, -1, 7, -7, 3, 2147483647, -2147483648, 123456789, -65536];

/** Every ordered pair of `values`, as two flat arrays. */
export function pairs(values: number[]): [number[], number[]] {
  return [values.flatMap((a) => values.map(() => a)), values.flatMap(() => values)];
}

/** y = f(x0, x1, …) elementwise over [n], each operand read at the point. */
export function pointwise(operands: KernelDType[], out: KernelDType, n: number, f: (...xs: ValueExpr[]) => ValueExpr): KernelProgram {
  const xs = operands.map((d, i) => buf(`x${i}`, d, [n], 'input'));
  return program([...xs, buf('y', out, [n], 'output')], [kernel('k', [n], [['y', f(...operands.map((d, i) => ld(`x${i}`, v(0), d)))]])]);
}

export function typed(dtype: KernelDType, values: number[]): Float32Array | Int32Array | Uint8Array {
  return dtype === 'f32' ? new Float32Array(values) : dtype === 'i32' ? new Int32Array(values) : new Uint8Array(values);
}

/** One graph op and the same fn as a kernel over the same operands: the results must be identical. */
export async function expectSameAsOp(op: string, operands: [KernelDType, number[]][], f: (...xs: ValueExpr[]) => ValueExpr, attrs: Record<string, unknown> = {}): Promise<void> {
  const n = operands[0]![1].length;
  const feed: Feed = {};
  operands.forEach(([d, values], i) => (feed[`x${i}`] = typed(d, values)));
  const ref = await reference((b) => {
    const names = operands.map(([d], i) => b.input(`x${i}`, { dtype: d, shape: [n] }));
    b.output('y', b.emitDynamic(op, names, attrs));
  }, feed);
  const p = pointwise(
    operands.map(([d]) => d),
    ref['y']!.dtype,
    n,
    f,
  );
  const got = await runProgram(p, feed);
  expect(got['y']!.data.constructor).toBe(ref['y']!.data.constructor);
  expect(dataOf(got['y'])).toEqual(dataOf(ref['y']));
}

// ---- every fn ------------------------------------------------------------------------------
