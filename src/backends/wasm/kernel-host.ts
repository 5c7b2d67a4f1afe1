// The interfaces the parts of the Wasm code generator share: a thread's share of a loop, a typed
// scalar expression, and what the tiled matmul path (matmul.ts) and the vector path (simd.ts)
// borrow from the kernel's function under construction (kernel.ts). Neither path imports the
// generator itself.

import type { LinearIndex } from '../../../runtime/kernel-analysis.js';
import type { UnaryFn } from '../../../runtime/kernel-fns.js';
import type { KernelDType } from '../../../runtime/kernel-ir.js';
import type { Expr, ModuleBuilder, ValType } from './binaryen.js';

/** A thread's share of a loop: [lo, hi), and whether it is the last thread. */
export interface Share {
  lo: () => Expr;
  hi: () => Expr;
  last: () => Expr;
  tid: () => Expr;
}

/** A scalar expression and its Wasm type (bools are i32 0/1). */
export interface Typed {
  e: Expr;
  t: 'i32' | 'f32';
}

export const wasmType = (d: KernelDType): 'i32' | 'f32' => (d === 'f32' ? 'f32' : 'i32');

/** What the tiled matmul path borrows from the scalar kernel generator. */
export interface TileHost {
  readonly m: ModuleBuilder;
  local(t: ValType): number;
  label(what: string): string;
  varLocal(axis: number): number;
  /** The local holding the current point's row-major offset in the outputs. */
  readonly point: number;
  linear(l: LinearIndex): Expr;
  /** The kernel's stores at the current variables and point, reading the reduction result from f32 local `acc`. */
  storesWithAcc(acc: number): Expr;
  /** The same for four points along n, the results in v128 local `vectorAcc`; undefined when the stores have no vector form. */
  readonly vectorStores?: () => Expr[];
  readonly vectorAcc: number;
}

/** What the vector path borrows from the scalar kernel generator. */
export interface VectorHost {
  readonly m: ModuleBuilder;
  local(t: ValType): number;
  linear(l: LinearIndex): Expr;
  /** The local holding the first lane's row-major offset in the outputs. */
  readonly point: number;
  /** Whether threads share the memory, so a count is added atomically. */
  readonly atomic: boolean;
  /** `fn` of an f32x4 expression, where the module has a vector form of it. */
  vectorFn(fn: UnaryFn, x: Expr): Expr | undefined;
  /** The v128 local holding four reduction results (a matmul tile's, a vector reduction's), for 'acc'. */
  readonly acc?: number;
  /** The acc's lanes: f32, or i32 (an i32 reduction). */
  readonly accType?: 'f32' | 'i32';
}
