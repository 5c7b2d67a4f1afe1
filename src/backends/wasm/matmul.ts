// SIMD128 register-tiled path for 'matmul' kernels: 4×4 output tiles of f32x4 products summed in eight f64x2 accumulators over k (bit-equal to the scalar path), the kernel's stores per element, edges on the scalar path.

import { linearize, type LinearIndex } from '../../../runtime/interpreter.js';
import type { IndexExpr, Kernel, KernelProgram, ValueExpr } from '../../../runtime/kernel-ir.js';
import type { WasmLayout } from '../../../runtime/wasm.js';
import type { Expr, ModuleBuilder, ValType } from './binaryen.js';

/**
 * Rows and columns of one register tile. Products are f32 (as the scalar path rounds a*b) and
 * sums f64 (as the scalar path and the reference accumulate), so each f32x4 product feeds
 * f64x2 lanes: a 4×8 tile would need sixteen f64x2 accumulators, more than x64 has registers.
 */
const MR = 4;
const NR = 4;

/** What the tiled path borrows from the scalar kernel generator. */
export interface TileHost {
  readonly m: ModuleBuilder;
  local(t: ValType): number;
  label(what: string): string;
  varLocal(axis: number): number;
  /** The local holding the current point's row-major offset in the outputs. */
  readonly point: number;
  linear(l: LinearIndex): Expr;
  /** The scalar path's reduction and stores at the current variables and point. */
  scalarPoint(): Expr;
  /** The kernel's stores at the current variables and point, reading the reduction result from f32 local `acc`. */
  storesWithAcc(acc: number): Expr;
}

interface Operand {
  offset: number;
  index: LinearIndex;
  /** Element strides along m, n and k. */
  m: number;
  n: number;
  k: number;
}

export interface MatmulPlan {
  kernel: Kernel;
  a: Operand;
  b: Operand;
}

const coeff = (l: LinearIndex, axis: number): number => l.terms.find((t) => t.axis === axis)?.coeff ?? 0;

function dataFree(e: IndexExpr): boolean {
  if (e.k === 'value') return false;
  if (e.k === 'add') return dataFree(e.a) && dataFree(e.b);
  if (e.k === 'mul' || e.k === 'div' || e.k === 'mod') return dataFree(e.a);
  return true;
}

/** The tiled plan for a kernel, or undefined when the scalar path must render it. */
export function matmulPlan(p: KernelProgram, layout: WasmLayout, k: Kernel): MatmulPlan | undefined {
  const r = k.reduce;
  const rank = k.shape.length;
  if (k.pattern !== 'matmul' || !r || r.op !== 'sum' || r.shape.length !== 1 || rank < 2) return undefined;
  const [M, N, K] = [k.shape[rank - 2]!, k.shape[rank - 1]!, r.shape[0]!];
  if (M < MR || N < NR || K < 1) return undefined;
  const v = r.value;
  if (v.k !== 'binary' || v.fn !== 'mul' || v.dtype !== 'f32' || v.a.k !== 'load' || v.b.k !== 'load') return undefined;
  const sizes = [...k.shape, K];
  const operand = (e: Extract<ValueExpr, { k: 'load' }>): Operand | undefined => {
    const spec = p.buffers.find((b) => b.name === e.buffer);
    if (!spec || spec.dtype !== 'f32' || layout.elementBytes.get(spec.name) !== 4 || !dataFree(e.index)) return undefined;
    const index = linearize(e.index, sizes);
    if (!index) return undefined;
    return { offset: layout.offsets.get(spec.name)!, index, m: coeff(index, rank - 2), n: coeff(index, rank - 1), k: coeff(index, rank) };
  };
  const [x, y] = [operand(v.a), operand(v.b)];
  if (!x || !y) return undefined;
  // B runs contiguously along n and not along m; A does not move along n. Either load may be which.
  const isB = (o: Operand): boolean => o.n === 1 && o.m === 0 && o.k >= 0;
  const isA = (o: Operand): boolean => o.n === 0 && o.m >= 0 && o.k >= 0;
  const [a, b] = isA(x) && isB(y) ? [x, y] : isA(y) && isB(x) ? [y, x] : [undefined, undefined];
  if (!a || !b) return undefined;
  return { kernel: k, a, b };
}

/** The kernel's body: batch loops around tiled rows and columns, then the scalar edges. */
export function tiledMatmul(h: TileHost, plan: MatmulPlan): Expr {
  const m = h.m;
  const k = plan.kernel;
  const rank = k.shape.length;
  const [M, N, K] = [k.shape[rank - 2]!, k.shape[rank - 1]!, k.reduce!.shape[0]!];
  const [Mt, Nt] = [M - (M % MR), N - (N % NR)]; // rows and columns the tiles cover
  const [mv, nv, kv] = [h.varLocal(rank - 2), h.varLocal(rank - 1), h.varLocal(rank)];
  const i32 = (l: number): Expr => m.get(l, 'i32');
  // Expr is a number at run time, so constants get their own setter.
  const setI = (l: number, v: Expr): Expr => m.set(l, v);
  const setC = (l: number, v: number): Expr => m.set(l, m.i32Const(v));
  const addI = (l: number, by: number): Expr => setI(l, m.i32('add', i32(l), m.i32Const(by)));

  /** for (v = from; v < to; v += step) body — from < to known statically. */
  const range = (v: number, from: number, to: number, step: number, body: Expr[]): Expr => {
    if (from >= to) return m.block([]);
    const label = h.label('tile');
    return m.block([setC(v, from), m.loop(label, m.block([...body, addI(v, step), m.br(label, m.i32('lt_s', i32(v), m.i32Const(to)))]))]);
  };

  // Offset of the batch's first output element: batch variables with row-major strides.
  const base = h.local('i32');
  const batchTerms: LinearIndex['terms'] = [];
  for (let j = rank - 3, stride = M * N; j >= 0; stride *= k.shape[j]!, j--) if (k.shape[j]! > 1) batchTerms.push({ axis: j, coeff: stride });
  const pointOf = (row: Expr, col: Expr): Expr => m.i32('add', i32(base), m.i32('add', m.i32('mul', row, m.i32Const(N)), col));

  // ---- one MR×NR tile at rows mi.., columns ni.. -----------------------------------------
  const [mi, ni, tile, aPtr, bPtr, left] = [h.local('i32'), h.local('i32'), h.local('i32'), h.local('i32'), h.local('i32'), h.local('i32')];
  const halves = NR / 2;
  const accs = Array.from({ length: MR * halves }, () => h.local('v128'));
  const av = h.local('v128');
  const bs = Array.from({ length: halves }, () => h.local('v128'));
  const { a, b } = plan;
  const acc = (i: number, q: number): number => accs[i * halves + q]!;
  const v = (l: number): Expr => m.get(l, 'v128');
  // Columns in pairs: two f32 of B in the low lanes, their f32 products promoted to f64x2.
  const step: Expr[] = bs.map((l, q) => m.set(l, m.load64Zero(b.offset + 8 * q, i32(bPtr))));
  for (let i = 0; i < MR; i++) {
    step.push(m.set(av, m.load32Splat(a.offset + 4 * i * a.m, i32(aPtr))));
    bs.forEach((bl, q) => step.push(m.set(acc(i, q), m.f64x2Add(v(acc(i, q)), m.f64x2PromoteLow(m.f32x4Mul(v(av), v(bl)))))));
  }
  step.push(addI(aPtr, 4 * a.k), addI(bPtr, 4 * b.k), addI(left, -1));
  const kLoop = h.label('k');
  const tileBody: Expr[] = [
    setI(mv, i32(mi)),
    setI(nv, i32(ni)),
    setC(kv, 0),
    setI(aPtr, m.i32('shl', h.linear(a.index), m.i32Const(2))),
    setI(bPtr, m.i32('shl', h.linear(b.index), m.i32Const(2))),
    setI(tile, pointOf(i32(mi), i32(ni))),
    ...accs.map((l) => m.set(l, m.f64x2Splat(m.f64Const(0)))),
    setC(left, K),
    m.loop(kLoop, m.block([...step, m.br(kLoop, i32(left))])),
  ];
  // The kernel's own stores (bias, activation, …) per element, each sum rounded to f32 once.
  const sum = h.local('f32');
  for (let i = 0; i < MR; i++) {
    for (let j = 0; j < NR; j++) {
      tileBody.push(
        setI(mv, m.i32('add', i32(mi), m.i32Const(i))),
        setI(nv, m.i32('add', i32(ni), m.i32Const(j))),
        setI(h.point, m.i32('add', i32(tile), m.i32Const(i * N + j))),
        m.set(sum, m.convert('f32_from_f64', m.f64x2Lane(v(acc(i, j >> 1)), j & 1))),
        h.storesWithAcc(sum),
      );
    }
  }

  // ---- scalar edges: columns past Nt of the tiled rows, then the rows past Mt --------------
  const scalarAt = (): Expr[] => [setI(h.point, pointOf(i32(mv), i32(nv))), h.scalarPoint()];
  const edges = [
    range(mv, 0, Mt, 1, [range(nv, Nt, N, 1, scalarAt())]),
    range(mv, Mt, M, 1, [range(nv, 0, N, 1, scalarAt())]),
  ];

  const perBatch = m.block([
    setI(base, batchTerms.length ? h.linear({ constant: 0, terms: batchTerms }) : m.i32Const(0)),
    range(mi, 0, Mt, MR, [range(ni, 0, Nt, NR, tileBody)]),
    ...edges,
  ]);
  // Batch axes as plain outer loops (size-1 axes stay 0).
  let body = perBatch;
  for (let j = rank - 3; j >= 0; j--) if (k.shape[j]! > 1) body = range(h.varLocal(j), 0, k.shape[j]!, 1, [body]);
  return body;
}
