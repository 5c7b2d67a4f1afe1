// The 'matmul' kernels (a sum over k of A[.., m, k] · B[.., k, n], and an epilogue) as register
// tiles: each invocation computes a 4 × 4 block of outputs, stepping k by 4 where it can, so
// per step it loads 16 values of A and of B for 64 multiply-adds. An operand contiguous along an
// axis of the block, and aligned, is read as vec4s (four loads instead of sixteen); otherwise
// element by element, its indices clamped into range at the edges. Every output of the block
// then runs the kernel's epilogue (bias, activation, an optimizer's update) and its stores, as
// the elementwise renderer does for one point. Each output sums its k in order, as the serial
// path does, so both give the same results.

import { dependsOnData, linearize, type LinearIndex } from '../../../runtime/kernel-analysis.js';
import type { Kernel, KernelDType, ValueExpr } from '../../../runtime/kernel-ir.js';
import { numelOf } from '../../../runtime/tensor.js';
import type { WebGpuLayout, WgslKernel } from '../../../runtime/webgpu-layout.js';
import { ExprEmitter } from './expr.js';
import { groupsFor, shader, storePoint, workgroupSize } from './shader.js';

/** k steps per pass of the loop, and the vector width. */
const T = 4;

export interface Operand {
  /** Word offset of element (m or n, k) = 0 of batch 0, with the batch terms rendered separately. */
  base: number;
  batch: { axis: number; coeff: number }[];
  /** Strides along the tile's own axis (m for A, n for B) and along k. */
  own: number;
  k: number;
}

/** How an operand is read: vec4s along k, along its own axis, or element by element. */
type Mode = 'k4' | 'own4' | 'scalar';

const coeff = (l: LinearIndex, axis: number): number => l.terms.find((t) => t.axis === axis)?.coeff ?? 0;

/** A and B of a matmul kernel, or undefined when the elementwise renderer must take it. */
function operands(k: Kernel, layout: WebGpuLayout): { a: Operand; b: Operand; M: number; N: number; K: number } | undefined {
  const r = k.reduce;
  const rank = k.shape.length;
  if (k.pattern !== 'matmul' || !r || r.op !== 'sum' || r.shape.length !== 1 || rank < 2) return undefined;
  const v = r.value;
  if (v.k !== 'binary' || v.fn !== 'mul' || v.dtype !== 'f32' || v.a.k !== 'load' || v.b.k !== 'load') return undefined;
  const [M, N, K] = [k.shape[rank - 2]!, k.shape[rank - 1]!, r.shape[0]!];
  const sizes = [...k.shape, K];
  const read = (e: Extract<ValueExpr, { k: 'load' }>) => {
    if (e.dtype !== 'f32' || dependsOnData(e.index)) return undefined;
    const l = linearize(e.index, sizes);
    if (!l) return undefined;
    const batch = l.terms.filter((t) => t.axis < rank - 2);
    return { l, batch, m: coeff(l, rank - 2), n: coeff(l, rank - 1), k: coeff(l, rank), base: layout.words.get(e.buffer)! + l.constant };
  };
  const [x, y] = [read(v.a), read(v.b)];
  if (!x || !y) return undefined;
  const isA = (o: NonNullable<typeof x>) => o.n === 0 && o.m >= 0 && o.k >= 0;
  const isB = (o: NonNullable<typeof x>) => o.m === 0 && o.n >= 0 && o.k >= 0;
  const [a, b] = isA(x) && isB(y) ? [x, y] : isA(y) && isB(x) ? [y, x] : [undefined, undefined];
  if (!a || !b) return undefined;
  return { a: { base: a.base, batch: a.batch, own: a.m, k: a.k }, b: { base: b.base, batch: b.batch, own: b.n, k: b.k }, M, N, K };
}

/** The widest way to read `o`: vec4s need a unit stride along the axis, and every other stride and the base a multiple of 4. */
function modeOf(o: Operand, ownExtent: number, kStep: number, count: number): Mode {
  const aligned = (n: number) => n % 4 === 0;
  const batchAligned = aligned(o.base) && o.batch.every((t) => aligned(t.coeff));
  if (kStep === T && o.k === 1 && aligned(o.own) && batchAligned) return 'k4';
  if (o.own === 1 && aligned(o.k) && ownExtent % count === 0 && aligned(count) && batchAligned) return 'own4';
  return 'scalar';
}

const vec = (word: string) => `bitcast<vec4<f32>>(mem[(${word}) >> 2u])`;
const scalar = (word: string) => `bitcast<f32>(ld(${word}))`;

/**
 * The loads of one k step as lets, and for each kk an expression of operand row/column `t` at that
 * step: A gives scalars A(r, kk); B gives the vec4 of its four columns.
 */
function loadStep(e: ExprEmitter, name: string, o: Operand, mode: Mode, kStep: number, last: number, count: number): (t: number, kk: number) => string {
  const start = (t: number) => `${name}_base + ${mode === 'scalar' ? `min(${name}i + ${t}u, ${last}u)` : `(${name}i + ${t}u)`} * ${o.own}u`;
  if (mode === 'k4') {
    for (let t = 0; t < count; t++) e.line(`let ${name}${t} = ${vec(`${start(t)} + k`)};`);
    return (t, kk) => `${name}${t}[${kk}]`;
  }
  if (mode === 'own4') {
    for (let kk = 0; kk < kStep; kk++) {
      for (let v = 0; v < count / T; v++) e.line(`let ${name}k${kk}_${v} = ${vec(`${name}_base + ${name}i * ${o.own}u + ${v * T}u + (k + ${kk}u) * ${o.k}u`)};`);
    }
    return (t, kk) => `${name}k${kk}_${Math.floor(t / T)}[${t % T}]`;
  }
  for (let t = 0; t < count; t++) for (let kk = 0; kk < kStep; kk++) e.line(`let ${name}${t}_${kk} = ${scalar(`${start(t)} + (k + ${kk}u) * ${o.k}u`)};`);
  return (t, kk) => `${name}${t}_${kk}`;
}

/** Lets for batch `bt`'s coordinates v0 .. v(rank-3), row-major over the leading axes, and the operands' base words `a_base`, `b_base`. */
export function batchBases(e: ExprEmitter, k: Kernel, a: Operand, b: Operand): void {
  let stride = 1;
  for (let ax = k.shape.length - 3; ax >= 0; ax--) {
    e.line(`let v${ax} = (bt / ${stride}) % ${k.shape[ax]!};`);
    stride *= k.shape[ax]!;
  }
  const base = (o: Operand) => [`${o.base}u`, ...o.batch.map((t) => `u32(v${t.axis}) * ${t.coeff}u`)].join(' + ');
  e.line(`let a_base = ${base(a)};`);
  e.line(`let b_base = ${base(b)};`);
}

/**
 * The epilogue of a tile of rows × cols outputs at (ai, bi): each one inside the M × N matrix
 * (and where `guard` holds) binds its coordinates and point, takes `acc(r, c)` as its sum and
 * runs the kernel's stores.
 */
export function tileEpilogue(
  e: ExprEmitter,
  k: Kernel,
  layout: WebGpuLayout,
  dtypeOf: (buffer: string) => KernelDType,
  shape: { M: number; N: number; rows: number; cols: number },
  acc: (r: number, c: number) => string,
  guard = '',
): void {
  const { M, N, rows, cols } = shape;
  const rank = k.shape.length;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      e.block(`if (${guard}ai + ${r}u < ${M}u && bi + ${c}u < ${N}u)`, () => {
        e.line(`let v${rank - 2} = i32(ai + ${r}u);`);
        e.line(`let v${rank - 1} = i32(bi + ${c}u);`);
        e.line(`let pt = u32(bt) * ${M * N}u + (ai + ${r}u) * ${N}u + bi + ${c}u;`);
        e.line(`let acc = ${acc(r, c)};`);
        storePoint(e, k, layout, dtypeOf, 'pt');
      });
    }
  }
}

/** A and B of a kernel the schedule tiles (tile.m 1-8 rows by tile.n 4 or 8 columns), or undefined when it is no plain matmul or asks for another tile. */
export function tiledOperands(k: Kernel, layout: WebGpuLayout) {
  const ops = operands(k, layout);
  const tile = k.schedule?.tile;
  if (!ops || !tile || tile.m < 1 || tile.m > 8 || (tile.n !== 4 && tile.n !== 8)) return undefined;
  return { ...ops, tile };
}

/** The kernel as register tiles, or undefined when it is not a plain matmul. */
export function renderMatmul(k: Kernel, index: number, layout: WebGpuLayout, dtypeOf: (buffer: string) => KernelDType): WgslKernel | undefined {
  const ops = tiledOperands(k, layout);
  if (!ops) return undefined;
  const { a, b, M, N, K, tile } = ops;
  const [TM, TN] = [tile.m, tile.n];
  const rank = k.shape.length;
  const [MT, NT] = [Math.ceil(M / TM), Math.ceil(N / TN)];
  const batches = numelOf(k.shape.slice(0, rank - 2));
  const kStep = K % T === 0 ? T : 1;
  const [modeA, modeB] = [modeOf(a, M, kStep, TM), modeOf(b, N, kStep, TN)];
  const e = new ExprEmitter({ offset: (buf) => layout.words.get(buf)!, sizes: [...k.shape, K], shape: k.shape, kernel: index, acc: 'acc' });
  e.line(`let tj = pu % ${NT}u;`);
  e.line(`let ti = (pu / ${NT}u) % ${MT}u;`);
  e.line(`let bt = i32(pu / ${NT * MT}u);`);
  batchBases(e, k, a, b);
  e.line(`let ai = ti * ${TM}u;`);
  e.line(`let bi = tj * ${TN}u;`);
  const vecs = TN / T;
  for (let r = 0; r < TM; r++) for (let v = 0; v < vecs; v++) e.line(`var c${r}_${v} = vec4<f32>(0.0);`);
  e.block(`for (var k = 0u; k < ${K}u; k = k + ${kStep}u)`, () => {
    const A = loadStep(e, 'a', a, modeA, kStep, M - 1, TM);
    const B = loadStep(e, 'b', b, modeB, kStep, N - 1, TN);
    for (let kk = 0; kk < kStep; kk++) {
      for (let v = 0; v < vecs; v++) {
        const column = modeB === 'own4' ? `bk${kk}_${v}` : `vec4<f32>(${[0, 1, 2, 3].map((c) => B(v * T + c, kk)).join(', ')})`;
        for (let r = 0; r < TM; r++) e.line(`c${r}_${v} = c${r}_${v} + ${A(r, kk)} * ${column};`);
      }
    }
  });
  tileEpilogue(e, k, layout, dtypeOf, { M, N, rows: TM, cols: TN }, (r, c) => `c${r}_${Math.floor(c / T)}[${c % T}]`);
  const tiles = batches * MT * NT;
  const size = workgroupSize(k);
  return { name: k.name, code: shader(e.helpers, tiles, e.lines, size), workgroups: tiles === 0 ? [0, 1, 1] : groupsFor(tiles, size) };
}
