// SIMD128 register-tiled path for 'matmul' kernels. Output tiles of 4 rows × 8 columns live in
// eight f32x4 accumulators; each k step splats one A element per row and multiplies it by two
// f32x4 of B. B is packed into contiguous k-major panels 8 columns wide (any strides, the last
// panel zero-padded), a block of panels at a time so that they stay in cache while every row
// tile of A streams past; with few rows and a unit stride along n it is read in place. Products
// are summed in f32 for at most KC steps, then folded into f64 totals, so long reductions stay
// close to the reference's f64 sums. The kernel's own stores (bias, activation, optimizer
// update) run on each finished tile, four columns at a time where they have a vector form. With
// threads, each thread takes a share of the row tiles and packs its own panels.

import { dependsOnData, linearize, type LinearIndex } from '../../../runtime/kernel-analysis.js';
import type { Kernel, KernelProgram, ValueExpr } from '../../../runtime/kernel-ir.js';
import type { WasmLayout } from '../../../runtime/wasm.js';
import type { Expr } from './binaryen.js';
import type { Share, TileHost } from './kernel-host.js';

/** Rows of a register tile. */
const MR = 4;
/** Columns of a register tile and of a packed panel: two f32x4. */
const NR = 8;
/** f32 steps summed before folding into f64: bounds the f32 rounding error of one partial sum. */
const KC = 256;
/** Packed panels per block are chosen to fill about this many bytes (a share of L2). */
const BLOCK_BYTES = 256 * 1024;
/** Below this many rows packing B costs more than it saves, when B can be read in place. */
const PACK_MIN_ROWS = 16;

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
  /** Whether full panels of B are packed (otherwise read in place, which needs b.n === 1). */
  pack: boolean;
  /** Full panels packed per block. */
  panelsPerBlock: number;
  /** Scratch bytes the kernel needs for packed panels (per thread). */
  scratchBytes: number;
  /** Rows of a register tile. */
  rows: number;
}

const coeff = (l: LinearIndex, axis: number): number => l.terms.find((t) => t.axis === axis)?.coeff ?? 0;

/** The tiled plan for a kernel, or undefined when the scalar path must render it. */
export function matmulPlan(p: KernelProgram, layout: WasmLayout, k: Kernel): MatmulPlan | undefined {
  const r = k.reduce;
  const rank = k.shape.length;
  if (k.pattern !== 'matmul' || !r || r.op !== 'sum' || r.shape.length !== 1 || rank < 2) return undefined;
  const [M, N, K] = [k.shape[rank - 2]!, k.shape[rank - 1]!, r.shape[0]!];
  if (M < 1 || N < 1 || K < 1) return undefined;
  const v = r.value;
  if (v.k !== 'binary' || v.fn !== 'mul' || v.dtype !== 'f32' || v.a.k !== 'load' || v.b.k !== 'load') return undefined;
  const sizes = [...k.shape, K];
  const operand = (e: Extract<ValueExpr, { k: 'load' }>): Operand | undefined => {
    const spec = p.buffers.find((b) => b.name === e.buffer);
    if (!spec || spec.dtype !== 'f32' || layout.elementBytes.get(spec.name) !== 4 || dependsOnData(e.index)) return undefined;
    const index = linearize(e.index, sizes);
    if (!index) return undefined;
    return { offset: layout.offsets.get(spec.name)!, index, m: coeff(index, rank - 2), n: coeff(index, rank - 1), k: coeff(index, rank) };
  };
  const [x, y] = [operand(v.a), operand(v.b)];
  if (!x || !y) return undefined;
  // A does not move along n, B not along m; either load may be which. Strides may be negative only in neither.
  const isA = (o: Operand): boolean => o.n === 0 && o.m >= 0 && o.k >= 0;
  const isB = (o: Operand): boolean => o.m === 0 && o.n >= 0 && o.k >= 0;
  const [a, b] = isA(x) && isB(y) ? [x, y] : isA(y) && isB(x) ? [y, x] : [undefined, undefined];
  if (!a || !b) return undefined;
  const pack = b.n !== 1 || M >= PACK_MIN_ROWS;
  const panelBytes = K * NR * 4;
  const panelsPerBlock = Math.max(1, Math.min(Math.floor(N / NR), Math.floor(BLOCK_BYTES / panelBytes)));
  // The last, partial panel is always packed: reading it in place would run past B.
  const scratchBytes = pack ? panelsPerBlock * panelBytes : N % NR ? panelBytes : 0;
  return { kernel: k, a, b, pack, panelsPerBlock, scratchBytes, rows: MR };
}

/** The kernel's body; `scratch` is the byte address of plan.scratchBytes of this thread's memory; with `share`, the thread computes its share of the full row tiles (the last thread also the short one). */
export function tiledMatmul(h: TileHost, plan: MatmulPlan, scratch: () => Expr, share?: Share): Expr {
  const m = h.m;
  const k = plan.kernel;
  const { a, b } = plan;
  const rank = k.shape.length;
  const [M, N, K] = [k.shape[rank - 2]!, k.shape[rank - 1]!, k.reduce!.shape[0]!];
  const [mv, nv, kv] = [h.varLocal(rank - 2), h.varLocal(rank - 1), h.varLocal(rank)];
  const i32 = (l: number): Expr => m.get(l, 'i32');
  const v128 = (l: number): Expr => m.get(l, 'v128');
  const c = (x: number): Expr => m.i32Const(x);
  const add = (x: Expr, y: Expr): Expr => m.i32('add', x, y);
  const mul = (x: Expr, y: number): Expr => (y === 1 ? x : m.i32('mul', x, c(y)));
  const bump = (l: number, by: number): Expr => m.set(l, add(i32(l), c(by)));

  /** for (v = from; v < to; v += step) body. */
  const range = (v: number, from: Expr, to: () => Expr, step: number, body: Expr[]): Expr => {
    const label = h.label('tile');
    const again = m.br(label, m.i32('lt_s', i32(v), to()));
    return m.block([m.set(v, from), m.if(m.i32('lt_s', i32(v), to()), m.loop(label, m.block([...body, bump(v, step), again])))]);
  };

  // Offset of the batch's first output element: batch variables with row-major strides.
  const base = h.local('i32');
  const batchTerms: LinearIndex['terms'] = [];
  for (let j = rank - 3, stride = M * N; j >= 0; stride *= k.shape[j]!, j--) if (k.shape[j]! > 1) batchTerms.push({ axis: j, coeff: stride });

  const [mi, col, aPtr, bPtr, left, chunk, src, dst] = Array.from({ length: 8 }, () => h.local('i32'));
  const sum = h.local('f32');
  /** Byte address of an operand's element at the current variables. */
  const address = (o: Operand): Expr => add(m.i32('shl', h.linear(o.index), c(2)), c(o.offset));

  /** Packs the panel of B at columns col.. (`cols` of them, zeros after) into 8-wide k-major rows at dst. */
  const packPanel = (cols: number, to: Expr): Expr[] => {
    const loop = h.label('pack');
    const copy: Expr[] =
      b.n === 1 && cols === NR
        ? [m.v128Store(0, i32(dst), m.v128Load(0, i32(src))), m.v128Store(16, i32(dst), m.v128Load(16, i32(src)))]
        : Array.from({ length: NR }, (_, j) => m.store('f32', 4, 4 * j, i32(dst), j < cols ? m.load('f32', 4, 4 * j * b.n, i32(src)) : m.f32Const(0)));
    return [
      m.set(nv, i32(col)),
      m.set(kv, c(0)),
      m.set(src, address(b)),
      m.set(dst, to),
      m.set(left, c(K)),
      m.loop(loop, m.block([...copy, bump(src, 4 * b.k), bump(dst, 4 * NR), bump(left, -1), m.br(loop, i32(left))])),
    ];
  };

  /** One rows × 8 tile at rows mi.., columns col.. (the first `cols` stored), B panel from `panel` advancing `bStep` bytes per k. */
  const micro = (rows: number, cols: number, panel: () => Expr, bStep: number): Expr[] => {
    const accs = Array.from({ length: rows * 2 }, () => h.local('v128'));
    const folded = K > KC;
    const totals = folded ? Array.from({ length: rows * 4 }, () => h.local('v128')) : [];
    const [b0, b1, av] = [h.local('v128'), h.local('v128'), h.local('v128')];
    // One k step: two f32x4 of the B panel, each row's A element splatted (unrolling was measured slower).
    const step: Expr[] = [m.set(b0, m.v128Load(0, i32(bPtr))), m.set(b1, m.v128Load(16, i32(bPtr)))];
    for (let i = 0; i < rows; i++) {
      step.push(m.set(av, m.load32Splat(4 * i * a.m, i32(aPtr))));
      step.push(m.set(accs[2 * i]!, m.f32x4('add', v128(accs[2 * i]!), m.f32x4('mul', v128(av), v128(b0)))));
      step.push(m.set(accs[2 * i + 1]!, m.f32x4('add', v128(accs[2 * i + 1]!), m.f32x4('mul', v128(av), v128(b1)))));
    }
    step.push(bump(aPtr, 4 * a.k), bump(bPtr, bStep), bump(chunk, -1));
    const kLoop = h.label('k');
    const inner = [...accs.map((l) => m.set(l, m.f32x4Const(0))), m.loop(kLoop, m.block([...step, m.br(kLoop, i32(chunk))]))];
    const body: Expr[] = [m.set(mv, i32(mi)), m.set(nv, i32(col)), m.set(kv, c(0)), m.set(aPtr, address(a)), m.set(bPtr, panel())];
    if (!folded) body.push(m.set(chunk, c(K)), ...inner);
    else {
      // Chunks of KC products in f32, each folded exactly into f64x2 totals.
      const fold = accs.flatMap((l, q) => [
        m.set(totals[2 * q]!, m.f64x2Add(v128(totals[2 * q]!), m.f64x2PromoteLow(v128(l)))),
        m.set(totals[2 * q + 1]!, m.f64x2Add(v128(totals[2 * q + 1]!), m.f64x2PromoteHigh(v128(l)))),
      ]);
      const chunks = h.label('chunk');
      const take = m.select(m.i32('lt_s', i32(left), c(KC)), i32(left), c(KC));
      body.push(
        ...totals.map((l) => m.set(l, m.f64x2Splat(m.f64Const(0)))),
        m.set(left, c(K)),
        m.loop(chunks, m.block([m.set(chunk, take), m.set(left, m.i32('sub', i32(left), i32(chunk))), ...inner, ...fold, m.br(chunks, i32(left))])),
      );
    }
    // The kernel's own stores, each sum rounded to f32 once: four columns at a time where they
    // have a vector form, then per element.
    const vectorCols = h.vectorStores ? cols - (cols % 4) : 0;
    for (let i = 0; i < rows; i++) {
      for (let q = 0; q < vectorCols / 4; q++) {
        const acc = folded ? m.f32x4FromF64x2Pair(v128(totals[4 * i + 2 * q]!), v128(totals[4 * i + 2 * q + 1]!)) : v128(accs[2 * i + q]!);
        body.push(
          m.set(mv, add(i32(mi), c(i))),
          m.set(nv, add(i32(col), c(4 * q))),
          m.set(h.point, add(i32(base), add(mul(i32(mv), N), i32(nv)))),
          m.set(h.vectorAcc, acc),
          ...h.vectorStores!(),
        );
      }
      for (let j = vectorCols; j < cols; j++) {
        const lane = folded ? m.convert('f32_from_f64', m.f64x2Lane(v128(totals[4 * i + (j >> 1)]!), j & 1)) : m.f32x4Lane(v128(accs[2 * i + (j >> 2)]!), j & 3);
        body.push(
          m.set(mv, add(i32(mi), c(i))),
          m.set(nv, add(i32(col), c(j))),
          m.set(h.point, add(i32(base), add(mul(i32(mv), N), i32(nv)))),
          m.set(sum, lane),
          h.storesWithAcc(sum),
        );
      }
    }
    return body;
  };

  const Mt = M - (M % MR);
  /** Row tiles over every row (the last one short), each running `tile(rows)`. */
  const rowTiles = (tile: (rows: number) => Expr[]): Expr[] => {
    const short = M % MR ? [m.set(mi, c(Mt)), ...tile(M % MR)] : [];
    if (!share) return [...(Mt > 0 ? [range(mi, c(0), () => c(Mt), MR, tile(MR))] : []), ...short];
    return [range(mi, mul(share.lo(), MR), () => mul(share.hi(), MR), MR, tile(MR)), ...(short.length ? [m.if(share.last(), m.block(short))] : [])];
  };

  const full = Math.floor(N / NR);
  const body: Expr[] = [m.set(base, batchTerms.length ? h.linear({ constant: 0, terms: batchTerms }) : c(0))];
  if (full > 0 && plan.pack) {
    // Blocks of panels: pack them, then every row tile against each.
    const [first, count, p] = [h.local('i32'), h.local('i32'), h.local('i32')];
    const panelAt = (): Expr => add(scratch(), mul(i32(p), K * NR * 4));
    const setCol = (): Expr => m.set(col, m.i32('shl', add(i32(first), i32(p)), c(3)));
    const perPanel = (rows: number): Expr[] => [range(p, c(0), () => i32(count), 1, [setCol(), ...micro(rows, NR, panelAt, 4 * NR)])];
    const remaining = m.i32('sub', c(full), i32(first));
    body.push(
      range(first, c(0), () => c(full), plan.panelsPerBlock, [
        m.set(count, m.select(m.i32('lt_s', remaining, c(plan.panelsPerBlock)), m.i32('sub', c(full), i32(first)), c(plan.panelsPerBlock))),
        range(p, c(0), () => i32(count), 1, [setCol(), ...packPanel(NR, panelAt())]),
        ...rowTiles(perPanel),
      ]),
    );
  } else if (full > 0) {
    // B read in place, 8 columns at a time.
    const p = h.local('i32');
    const perPanel = (rows: number): Expr[] => [range(p, c(0), () => c(full), 1, [m.set(col, m.i32('shl', i32(p), c(3))), ...micro(rows, NR, () => address(b), 4 * b.k)])];
    body.push(...rowTiles(perPanel));
  }
  if (N % NR) {
    // The last columns: one zero-padded panel, stores only where columns exist.
    body.push(m.set(col, c(full * NR)), ...packPanel(N % NR, scratch()), ...rowTiles((rows) => micro(rows, N % NR, scratch, 4 * NR)));
  }

  // Batch axes as plain outer loops (size-1 axes stay 0).
  let nest = m.block(body);
  for (let j = rank - 3; j >= 0; j--) if (k.shape[j]! > 1) nest = range(h.varLocal(j), c(0), () => c(k.shape[j]!), 1, [nest]);
  return nest;
}
