// The kernel-level scalar functions are defined once (runtime/kernel-fns.ts) and every executor
// and renderer implements them as an exhaustive table: the type checker refuses a table that
// misses a function (the @ts-expect-error lines below fail the type check if it ever accepts
// one), and at run time the program validator, the interpreter and the Wasm renderer (scalar and
// vector paths) accept exactly the dtypes UNARY_FNS and BINARY_FNS list.

import { describe, expect, test } from 'vitest';
import { generateWasm } from '../../src/backends/wasm/codegen.js';
import { BINARY_F32, BINARY_I32, COMPARE, UNARY_F32, UNARY_I32 } from '../../src/backends/wasm/scalar.js';
import { VECTOR_BINARY_F32, VECTOR_BINARY_I32, VECTOR_UNARY_F32, VECTOR_UNARY_I32, type Lanewise } from '../../src/backends/wasm/simd.js';
import { compileKernel, type Storage } from '../../runtime/interpreter.js';
import { BINARY_FNS, UNARY_FNS, binaryResult, type ArithTable, type BinaryFn, type CompareTable, type UnaryFn, type UnaryTable } from '../../runtime/kernel-fns.js';
import type { KernelDType, KernelProgram, ValueExpr } from '../../runtime/kernel-ir.js';
import { parseProgram } from '../../runtime/program-validator.js';

const DTYPES: KernelDType[] = ['f32', 'i32', 'bool'];
const UNARY = Object.keys(UNARY_FNS) as UnaryFn[];
const BINARY = Object.keys(BINARY_FNS) as BinaryFn[];
const unaryOn = (fn: UnaryFn, d: KernelDType): boolean => (UNARY_FNS[fn].dtypes as readonly KernelDType[]).includes(d);
const binaryOn = (fn: BinaryFn, d: KernelDType): boolean => (BINARY_FNS[fn].dtypes as readonly KernelDType[]).includes(d);
const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

describe('kernel function tables are exhaustive', () => {
  test('a table missing a function, or holding one its dtype lacks, does not type-check', () => {
    const f32: UnaryTable<'f32', number> = { neg: 0, abs: 0, exp: 0, log: 0, sqrt: 0, rsqrt: 0, tanh: 0, sigmoid: 0, relu: 0, sign: 0, step: 0, sin: 0, cos: 0 };
    // @ts-expect-error: cos is missing
    const noCos: UnaryTable<'f32', number> = { neg: 0, abs: 0, exp: 0, log: 0, sqrt: 0, rsqrt: 0, tanh: 0, sigmoid: 0, relu: 0, sign: 0, step: 0, sin: 0 };
    const i32: UnaryTable<'i32', number> = { neg: 0, abs: 0, relu: 0, sign: 0, step: 0 };
    // @ts-expect-error: sign is missing
    const noSign: UnaryTable<'i32', number> = { neg: 0, abs: 0, relu: 0, step: 0 };
    // @ts-expect-error: exp is not defined on i32
    const withExp: UnaryTable<'i32', number> = { neg: 0, abs: 0, relu: 0, sign: 0, step: 0, exp: 0 };
    const arith: ArithTable<'f32', number> = { add: 0, sub: 0, mul: 0, div: 0, pow: 0, max: 0, min: 0 };
    // @ts-expect-error: pow is missing
    const noPow: ArithTable<'f32', number> = { add: 0, sub: 0, mul: 0, div: 0, max: 0, min: 0 };
    const arithI32: ArithTable<'i32', number> = { add: 0, sub: 0, mul: 0, div: 0, max: 0, min: 0 };
    // @ts-expect-error: div is missing
    const noDiv: ArithTable<'i32', number> = { add: 0, sub: 0, mul: 0, max: 0, min: 0 };
    const compare: CompareTable<number> = { eq: 0, ne: 0, lt: 0, le: 0, gt: 0, ge: 0 };
    // @ts-expect-error: ge is missing
    const noGe: CompareTable<number> = { eq: 0, ne: 0, lt: 0, le: 0, gt: 0 };
    const vector: UnaryTable<'i32', Lanewise<number>> = { neg: 0, abs: 0, relu: 0, step: 0, sign: 'scalar' };
    // @ts-expect-error: a vector table names every function too, 'scalar' where it has no vector form
    const vectorNoSign: UnaryTable<'i32', Lanewise<number>> = { neg: 0, abs: 0, relu: 0, step: 0 };
    const tables = [f32, noCos, i32, noSign, withExp, arith, noPow, arithI32, noDiv, compare, noGe, vector, vectorNoSign];
    expect(tables).toHaveLength(13);
  });

  test("the Wasm renderer's tables hold exactly the functions on their dtype", () => {
    for (const [table, d] of [
      [UNARY_F32, 'f32'],
      [UNARY_I32, 'i32'],
      [VECTOR_UNARY_F32, 'f32'],
      [VECTOR_UNARY_I32, 'i32'],
    ] as const) {
      expect(sorted(Object.keys(table)), d).toEqual(sorted(UNARY.filter((fn) => unaryOn(fn, d))));
    }
    for (const [table, d] of [
      [BINARY_F32, 'f32'],
      [BINARY_I32, 'i32'],
      [VECTOR_BINARY_F32, 'f32'],
      [VECTOR_BINARY_I32, 'i32'],
    ] as const) {
      expect(sorted(Object.keys(table)), d).toEqual(sorted(BINARY.filter((fn) => binaryOn(fn, d) && BINARY_FNS[fn].result === 'operand')));
    }
    expect(sorted(Object.keys(COMPARE))).toEqual(sorted(BINARY.filter((fn) => BINARY_FNS[fn].result === 'bool')));
  });
});

/** y = value(x[, x]) over 8 points: long enough for the vector path. */
function program(operand: KernelDType, value: (x: ValueExpr) => ValueExpr): KernelProgram {
  const x: ValueExpr = { k: 'load', buffer: 'x', index: { k: 'var', axis: 0 }, dtype: operand };
  const y = value(x);
  return {
    name: 'fn',
    buffers: [
      { name: 'x', dtype: operand, shape: [8], role: 'input' },
      { name: 'y', dtype: y.dtype, shape: [8], role: 'output' },
    ],
    kernels: [{ name: 'k', pattern: 'elementwise', shape: [8], stores: [{ buffer: 'y', value: y }] }],
    inputs: [{ name: 'x', buffer: 'x' }],
    outputs: [{ name: 'y', buffer: 'y' }],
    params: [],
    updates: [],
    arenaBytes: 0,
  };
}

const unaryProgram = (fn: UnaryFn, d: KernelDType): KernelProgram => program(d, (a) => ({ k: 'unary', fn, a, dtype: d }));
const binaryProgram = (fn: BinaryFn, d: KernelDType): KernelProgram =>
  program(d, (a) => ({ k: 'binary', fn, a, b: a, dtype: binaryResult(fn, d) ?? (BINARY_FNS[fn].result === 'bool' ? 'bool' : d) }));

const CASES = [
  ...UNARY.flatMap((fn) =>
    DTYPES.map((d) => ({
      what: `${fn} on ${d}`,
      p: unaryProgram(fn, d),
      defined: unaryOn(fn, d),
      vector: d === 'f32' ? VECTOR_UNARY_F32[fn] : unaryOn(fn, 'i32') ? VECTOR_UNARY_I32[fn as keyof typeof VECTOR_UNARY_I32] : 'scalar',
    })),
  ),
  ...BINARY.flatMap((fn) => DTYPES.map((d) => ({ what: `${fn} on ${d}`, p: binaryProgram(fn, d), defined: binaryOn(fn, d), vector: vectorBinary(fn, d) }))),
];

function vectorBinary(fn: BinaryFn, d: KernelDType): unknown {
  if (BINARY_FNS[fn].result === 'bool') return COMPARE[fn as keyof typeof COMPARE];
  const table: Record<string, unknown> = d === 'f32' ? VECTOR_BINARY_F32 : VECTOR_BINARY_I32;
  return table[fn] ?? 'scalar';
}

/** Whether `run` completes; a refusal must say the function is not defined on the dtype. */
async function accepts(run: () => unknown, notDefined: RegExp): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (e) {
    expect((e as Error).message).toMatch(notDefined);
    return false;
  }
}

describe('validator, interpreter and Wasm renderer accept exactly the dtypes kernel-fns lists', () => {
  test('the program validator', async () => {
    for (const c of CASES) expect(await accepts(() => parseProgram(c.p), /is not defined on/), c.what).toBe(c.defined);
  });

  test('the interpreter, on f32 and i32 operands', async () => {
    for (const c of CASES.filter((x) => x.p.buffers[0]!.dtype !== 'bool')) {
      const arrays = new Map<string, Storage>(c.p.buffers.map((b) => [b.name, b.dtype === 'f32' ? new Float32Array(8) : new Int32Array(8)]));
      expect(await accepts(() => compileKernel(c.p.kernels[0]!, arrays), /is not defined on/), c.what).toBe(c.defined);
    }
  });

  test('the Wasm renderer, on f32 and i32 operands; the vector path takes what its tables render', async () => {
    for (const c of CASES.filter((x) => x.p.buffers[0]!.dtype !== 'bool')) {
      let wat = '';
      expect(await accepts(() => generateWasm(c.p, { optimize: false, text: (t) => (wat = t) }), /is not defined on/), c.what).toBe(c.defined);
      if (c.defined) expect(wat.includes('v128.store'), c.what).toBe(c.vector !== 'scalar');
    }
  });
});
