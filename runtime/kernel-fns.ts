// The kernel-level scalar functions: each is defined once here, with the operand dtypes it
// accepts, the dtype of its result and its cost. Lowering, fusion's cost model and the program
// validator read these entries; every executor and renderer implements the functions as a table
// of the types below (UnaryTable, ArithTable, CompareTable: one entry per function defined on a
// dtype), so adding an entry here makes the type checker list each place that must learn it.
//
// The semantics of each function are those of the graph op of the same name (src/ir/ops); i32
// arithmetic wraps like Wasm and WGSL.

import type { KernelDType } from './kernel-ir.js';

export interface KernelFnDef {
  /** Operand dtypes the function is defined on (its operands share one dtype). */
  dtypes: readonly KernelDType[];
  /** 'operand': the result has the operands' dtype; 'bool': a comparison. */
  result: 'operand' | 'bool';
  /** Work per element in units of one add: what fusion weighs when it decides to recompute. */
  cost: number;
  /** Operands may be swapped without changing any result, nan, ±0 and i32 wrapping included. */
  commutative?: boolean;
}

/** exp, log, sqrt, pow, tanh, ...: about eight adds each on a CPU. */
const TRANSCENDENTAL = 8;
const FLOAT = ['f32'] as const;
const NUMERIC = ['f32', 'i32'] as const;
const ANY = ['f32', 'i32', 'bool'] as const;

// Generic in the dtype list and the result kind, so that UnaryFnOn, BinaryFnOn and CompareFn see each entry's own.
const arith = <const D extends readonly KernelDType[]>(dtypes: D, cost = 1, commutative = false): KernelFnDef & { dtypes: D; result: 'operand' } => ({
  dtypes,
  result: 'operand',
  cost,
  ...(commutative ? { commutative } : {}),
});
const compare = <const D extends readonly KernelDType[]>(dtypes: D, commutative = false): KernelFnDef & { dtypes: D; result: 'bool' } => ({
  dtypes,
  result: 'bool',
  cost: 1,
  ...(commutative ? { commutative } : {}),
});

export const UNARY_FNS = {
  neg: arith(NUMERIC),
  abs: arith(NUMERIC),
  exp: arith(FLOAT, TRANSCENDENTAL),
  log: arith(FLOAT, TRANSCENDENTAL),
  sqrt: arith(FLOAT, TRANSCENDENTAL),
  rsqrt: arith(FLOAT, TRANSCENDENTAL),
  tanh: arith(FLOAT, TRANSCENDENTAL),
  sigmoid: arith(FLOAT, TRANSCENDENTAL),
  relu: arith(NUMERIC),
  sign: arith(NUMERIC),
  step: arith(NUMERIC),
  sin: arith(FLOAT, TRANSCENDENTAL),
  cos: arith(FLOAT, TRANSCENDENTAL),
} as const satisfies Record<string, KernelFnDef>;

export const BINARY_FNS = {
  add: arith(NUMERIC, 1, true),
  sub: arith(NUMERIC),
  mul: arith(NUMERIC, 1, true),
  div: arith(NUMERIC),
  pow: arith(FLOAT, TRANSCENDENTAL),
  // Math.max(+0, -0) is +0 in either order and nan wins either way: exactly commutative.
  max: arith(NUMERIC, 1, true),
  min: arith(NUMERIC, 1, true),
  eq: compare(ANY, true),
  ne: compare(ANY, true),
  lt: compare(NUMERIC),
  le: compare(NUMERIC),
  gt: compare(NUMERIC),
  ge: compare(NUMERIC),
} as const satisfies Record<string, KernelFnDef>;

export type UnaryFn = keyof typeof UNARY_FNS;
export type BinaryFn = keyof typeof BINARY_FNS;

/** The unary functions defined on dtype D: `Record<UnaryFnOn<'i32'>, …>` is an exhaustive i32 table. */
export type UnaryFnOn<D extends KernelDType> = { [F in UnaryFn]: D extends (typeof UNARY_FNS)[F]['dtypes'][number] ? F : never }[UnaryFn];
/** The binary functions defined on dtype D. */
export type BinaryFnOn<D extends KernelDType> = { [F in BinaryFn]: D extends (typeof BINARY_FNS)[F]['dtypes'][number] ? F : never }[BinaryFn];
/** The comparisons (bool results) and the arithmetic (results of the operands' dtype). */
export type CompareFn = { [F in BinaryFn]: (typeof BINARY_FNS)[F]['result'] extends 'bool' ? F : never }[BinaryFn];
export type ArithFn = Exclude<BinaryFn, CompareFn>;

const UNARY_NAMES = new Set<string>(Object.keys(UNARY_FNS));
const BINARY_NAMES = new Set<string>(Object.keys(BINARY_FNS));

export const isUnaryFn = (name: string): name is UnaryFn => UNARY_NAMES.has(name);
export const isBinaryFn = (name: string): name is BinaryFn => BINARY_NAMES.has(name);
export const isCompareFn = (fn: BinaryFn): fn is CompareFn => BINARY_FNS[fn].result === 'bool';

/** The result dtype of `fn` on operands of `dtype`, or undefined where it is not defined on them. */
export function unaryResult(fn: UnaryFn, dtype: KernelDType): KernelDType | undefined {
  const def: KernelFnDef = UNARY_FNS[fn];
  return def.dtypes.includes(dtype) ? dtype : undefined;
}

export function binaryResult(fn: BinaryFn, dtype: KernelDType): KernelDType | undefined {
  const def: KernelFnDef = BINARY_FNS[fn];
  if (!def.dtypes.includes(dtype)) return undefined;
  return def.result === 'bool' ? 'bool' : dtype;
}

// ---- implementation tables -----------------------------------------------------------------

/** An implementation of the unary functions defined on D: one entry for each, so a new UNARY_FNS entry fails to type-check until it has one. */
export type UnaryTable<D extends KernelDType, V> = Record<UnaryFnOn<D>, V>;
/** An implementation of the arithmetic binary functions defined on D. */
export type ArithTable<D extends KernelDType, V> = Record<ArithFn & BinaryFnOn<D>, V>;
/** An implementation of the comparisons. */
export type CompareTable<V> = Record<CompareFn, V>;

/** The entry of `fn` in a table of the functions on one dtype, or undefined where `fn` is not among them. */
export function entryOf<K extends string, V>(table: Readonly<Record<K, V>>, fn: string): V | undefined {
  return Object.hasOwn(table, fn) ? table[fn as K] : undefined;
}
