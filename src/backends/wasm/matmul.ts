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
import type { Expr, ModuleBuilder } from './binaryen.js';
import type { Share, TileHost } from './kernel-host.js';

/** Rows of a register tile. */
export const MR = 4;
/** Columns of a register tile and of a packed panel: two f32x4. */
export const NR = 8;
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

/** The tiled plan of a kernel whose schedule asks for the one register tile this path renders (MR × NR). */
export function scheduledPlan(p: KernelProgram, layout: WasmLayout, k: Kernel): MatmulPlan | undefined {
  const tile = k.schedule?.tile;
  return tile && tile.m === MR && tile.n === NR ? matmulPlan(p, layout, k) : undefined;
}

/** The kernel's body; `scratch` is the byte address of plan.scratchBytes of this thread's memory; with `share`, the thread computes its share of the full row tiles (the last thread also the short one). */
export function tiledMatmul(h: TileHost, plan: MatmulPlan, scratch: () => Expr, share?: Share): Expr {
  return new TileGen(h, plan, scratch, share).body();
}

/** The locals and loops of one tiled matmul; locals are allocated in the order the body needs them. */
class TileGen {
  private readonly m: ModuleBuilder;
  private readonly a: Operand;
  private readonly b: Operand;
  private readonly M: number;
  private readonly N: number;
  private readonly K: number;
  /** Locals of the loop variables along m, n and k. */
  private readonly mv: number;
  private readonly nv: number;
  private readonly kv: number;
  /** Offset of the batch's first output element. */
  private readonly base: number;
  private readonly mi: number;
  private readonly col: number;
  private readonly aPtr: number;
  private readonly bPtr: number;
  private readonly left: number;
  private readonly chunk: number;
  private readonly src: number;
  private readonly dst: number;
  private readonly sum: number;

  constructor(
    private readonly h: TileHost,
    private readonly plan: MatmulPlan,
    private readonly scratch: () => Expr,
    private readonly share: Share | undefined,
  ) {
    this.m = h.m;
    ({ a: this.a, b: this.b } = plan);
    const k = plan.kernel;
    const rank = k.shape.length;
    [this.M, this.N, this.K] = [k.shape[rank - 2]!, k.shape[rank - 1]!, k.reduce!.shape[0]!];
    [this.mv, this.nv, this.kv] = [h.varLocal(rank - 2), h.varLocal(rank - 1), h.varLocal(rank)];
    this.base = h.local('i32');
    [this.mi, this.col, this.aPtr, this.bPtr, this.left, this.chunk, this.src, this.dst] = Array.from({ length: 8 }, () => h.local('i32'));
    this.sum = h.local('f32');
  }

  private i32 = (l: number): Expr => this.m.get(l, 'i32');
  private v128 = (l: number): Expr => this.m.get(l, 'v128');
  private c = (x: number): Expr => this.m.i32Const(x);
  private add = (x: Expr, y: Expr): Expr => this.m.i32('add', x, y);
  private mul = (x: Expr, y: number): Expr => (y === 1 ? x : this.m.i32('mul', x, this.c(y)));
  private bump = (l: number, by: number): Expr => this.m.set(l, this.add(this.i32(l), this.c(by)));

  /** for (v = from; v < to; v += step) body. */
  private range(v: number, from: Expr, to: () => Expr, step: number, body: Expr[]): Expr {
    const [m, i32] = [this.m, this.i32];
    const label = this.h.label('tile');
    const again = m.br(label, m.i32('lt_s', i32(v), to()));
    return m.block([m.set(v, from), m.if(m.i32('lt_s', i32(v), to()), m.loop(label, m.block([...body, this.bump(v, step), again])))]);
  }

  /** Byte address of an operand's element at the current variables. */
  private address(o: Operand): Expr {
    return this.add(this.m.i32('shl', this.h.linear(o.index), this.c(2)), this.c(o.offset));
  }

  /** Packs the panel of B at columns col.. (`cols` of them, zeros after) into 8-wide k-major rows at dst. */
  private packPanel(cols: number, to: Expr): Expr[] {
    const { m, b, i32, c, bump } = this;
    const { src, dst, left } = this;
    const loop = this.h.label('pack');
    const copy: Expr[] =
      b.n === 1 && cols === NR
        ? [m.v128Store(0, i32(dst), m.v128Load(0, i32(src))), m.v128Store(16, i32(dst), m.v128Load(16, i32(src)))]
        : Array.from({ length: NR }, (_, j) => m.store('f32', 4, 4 * j, i32(dst), j < cols ? m.load('f32', 4, 4 * j * b.n, i32(src)) : m.f32Const(0)));
    return [
      m.set(this.nv, i32(this.col)),
      m.set(this.kv, c(0)),
      m.set(src, this.address(b)),
      m.set(dst, to),
      m.set(left, c(this.K)),
      m.loop(loop, m.block([...copy, bump(src, 4 * b.k), bump(dst, 4 * NR), bump(left, -1), m.br(loop, i32(left))])),
    ];
  }

  /** One rows × 8 tile at rows mi.., columns col.. (the first `cols` stored), B panel from `panel` advancing `bStep` bytes per k. */
  private micro(rows: number, cols: number, panel: () => Expr, bStep: number): Expr[] {
    const { m, h, a, i32, v128, c, bump, K } = this;
    const { aPtr, bPtr, chunk, left } = this;
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
    const body: Expr[] = [m.set(this.mv, i32(this.mi)), m.set(this.nv, i32(this.col)), m.set(this.kv, c(0)), m.set(aPtr, this.address(a)), m.set(bPtr, panel())];
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
    return [...body, ...this.tileStores(rows, cols, accs, folded ? totals : undefined)];
  }

  /**
   * The kernel's own stores for a finished tile, each sum rounded to f32 once: four columns at a
   * time where they have a vector form, then per element. `totals`: the f64x2 sums of a folded tile.
   */
  private tileStores(rows: number, cols: number, accs: number[], totals: number[] | undefined): Expr[] {
    const { m, h, i32, v128, c, add, mul, N } = this;
    const body: Expr[] = [];
    const at = (i: number, j: number): Expr[] => [
      m.set(this.mv, add(i32(this.mi), c(i))),
      m.set(this.nv, add(i32(this.col), c(j))),
      m.set(h.point, add(i32(this.base), add(mul(i32(this.mv), N), i32(this.nv)))),
    ];
    const vectorCols = h.vectorStores ? cols - (cols % 4) : 0;
    for (let i = 0; i < rows; i++) {
      for (let q = 0; q < vectorCols / 4; q++) {
        const acc = totals ? m.f32x4FromF64x2Pair(v128(totals[4 * i + 2 * q]!), v128(totals[4 * i + 2 * q + 1]!)) : v128(accs[2 * i + q]!);
        body.push(...at(i, 4 * q), m.set(h.vectorAcc, acc), ...h.vectorStores!());
      }
      for (let j = vectorCols; j < cols; j++) {
        const lane = totals ? m.convert('f32_from_f64', m.f64x2Lane(v128(totals[4 * i + (j >> 1)]!), j & 1)) : m.f32x4Lane(v128(accs[2 * i + (j >> 2)]!), j & 3);
        body.push(...at(i, j), m.set(this.sum, lane), h.storesWithAcc(this.sum));
      }
    }
    return body;
  }

  /** Row tiles over every row (the last one short), each running `tile(rows)`. */
  private rowTiles(tile: (rows: number) => Expr[]): Expr[] {
    const { m, c, mul, M, share } = this;
    const Mt = M - (M % MR);
    const short = M % MR ? [m.set(this.mi, c(Mt)), ...tile(M % MR)] : [];
    if (!share) return [...(Mt > 0 ? [this.range(this.mi, c(0), () => c(Mt), MR, tile(MR))] : []), ...short];
    return [this.range(this.mi, mul(share.lo(), MR), () => mul(share.hi(), MR), MR, tile(MR)), ...(short.length ? [m.if(share.last(), m.block(short))] : [])];
  }

  /** Blocks of packed panels: pack them, then every row tile against each. */
  private packedPanels(full: number): Expr {
    const { m, h, i32, c, add, mul, K, plan } = this;
    const [first, count, p] = [h.local('i32'), h.local('i32'), h.local('i32')];
    const panelAt = (): Expr => add(this.scratch(), mul(i32(p), K * NR * 4));
    const setCol = (): Expr => m.set(this.col, m.i32('shl', add(i32(first), i32(p)), c(3)));
    const perPanel = (rows: number): Expr[] => [this.range(p, c(0), () => i32(count), 1, [setCol(), ...this.micro(rows, NR, panelAt, 4 * NR)])];
    const remaining = m.i32('sub', c(full), i32(first));
    return this.range(first, c(0), () => c(full), plan.panelsPerBlock, [
      m.set(count, m.select(m.i32('lt_s', remaining, c(plan.panelsPerBlock)), m.i32('sub', c(full), i32(first)), c(plan.panelsPerBlock))),
      this.range(p, c(0), () => i32(count), 1, [setCol(), ...this.packPanel(NR, panelAt())]),
      ...this.rowTiles(perPanel),
    ]);
  }

  body(): Expr {
    const { m, h, i32, c, N, b } = this;
    const k = this.plan.kernel;
    const rank = k.shape.length;
    // Offset of the batch's first output element: batch variables with row-major strides.
    const batchTerms: LinearIndex['terms'] = [];
    for (let j = rank - 3, stride = this.M * N; j >= 0; stride *= k.shape[j]!, j--) if (k.shape[j]! > 1) batchTerms.push({ axis: j, coeff: stride });
    const full = Math.floor(N / NR);
    const body: Expr[] = [m.set(this.base, batchTerms.length ? h.linear({ constant: 0, terms: batchTerms }) : c(0))];
    if (full > 0 && this.plan.pack) body.push(this.packedPanels(full));
    else if (full > 0) {
      // B read in place, 8 columns at a time.
      const p = h.local('i32');
      const perPanel = (rows: number): Expr[] => [
        this.range(p, c(0), () => c(full), 1, [m.set(this.col, m.i32('shl', i32(p), c(3))), ...this.micro(rows, NR, () => this.address(b), 4 * b.k)]),
      ];
      body.push(...this.rowTiles(perPanel));
    }
    if (N % NR) {
      // The last columns: one zero-padded panel, stores only where columns exist.
      body.push(m.set(this.col, c(full * NR)), ...this.packPanel(N % NR, this.scratch()), ...this.rowTiles((rows) => this.micro(rows, N % NR, this.scratch, 4 * NR)));
    }
    // Batch axes as plain outer loops (size-1 axes stay 0).
    let nest = m.block(body);
    for (let j = rank - 3; j >= 0; j--) if (k.shape[j]! > 1) nest = this.range(h.varLocal(j), c(0), () => c(k.shape[j]!), 1, [nest]);
    return nest;
  }
}
