// The one typed wrapper around binaryen's JS API: the only file that touches binaryen, which it loads lazily (a 0.3 s import) the first time a module is built.

import type binaryenNs from 'binaryen';

type Binaryen = typeof binaryenNs;

/** An expression under construction (binaryen's ExpressionRef). */
export type Expr = number & { readonly __expr: unique symbol };
export type ValType = 'i32' | 'f32' | 'f64' | 'v128';

export type I32Unary = 'eqz' | 'popcnt';
export type I32Binary =
  'add' | 'sub' | 'mul' | 'div_s' | 'div_u' | 'rem_s' | 'and' | 'or' | 'xor' | 'shl' | 'shr_u' | 'eq' | 'ne' | 'lt_s' | 'le_s' | 'gt_s' | 'ge_s' | 'lt_u' | 'ge_u';
export type FloatUnary = 'neg' | 'abs' | 'sqrt';
export type FloatBinary = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type F32x4Unary = 'neg' | 'abs' | 'sqrt' | 'floor' | 'ceil' | 'trunc' | 'nearest';
export type F32x4Binary = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'pmin' | 'pmax' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type I32x4Binary = 'add' | 'sub' | 'mul' | 'eq' | 'ne' | 'lt_s' | 'le_s' | 'gt_s' | 'ge_s' | 'min_s' | 'max_s';
export type I32x4Shift = 'shl' | 'shr_s' | 'shr_u';
export type V128Bitwise = 'and' | 'or' | 'xor' | 'andnot';
/** Lane-wise conversions by name: result_from_operand. */
export type V128Convert = 'f32x4_from_i32x4' | 'i32x4_from_f32x4_sat';
/** Conversions by name: result_from_operand. */
export type Convert = 'f32_from_i32' | 'i32_from_f32_sat' | 'f64_from_f32' | 'f32_from_f64' | 'f64_from_u32';

let loaded: Promise<Binaryen> | undefined;

async function binaryen(): Promise<Binaryen> {
  loaded ??= import('binaryen').then((m) => m.default);
  return loaded;
}

/** A Wasm module being built: expressions, functions, imports, one memory; `finish` validates, optimizes and emits it. */
export class ModuleBuilder {
  private constructor(
    private readonly b: Binaryen,
    private readonly m: binaryenNs.Module,
  ) {}

  static async create(): Promise<ModuleBuilder> {
    const b = await binaryen();
    const m = new b.Module();
    m.setFeatures(
      b.Features.MVP | b.Features.NontrappingFPToInt | b.Features.BulkMemory | b.Features.SignExt | b.Features.MutableGlobals | b.Features.SIMD128 | b.Features.Atomics,
    );
    return new ModuleBuilder(b, m);
  }

  private type(t: ValType | 'none'): number {
    return t === 'none' ? this.b.none : this.b[t];
  }

  private e(x: number): Expr {
    return x as Expr;
  }

  // ---- constants and operators -------------------------------------------------------------

  i32Const(v: number): Expr {
    return this.e(this.m.i32.const(v | 0));
  }

  f32Const(v: number): Expr {
    return this.e(this.m.f32.const(v));
  }

  f64Const(v: number): Expr {
    return this.e(this.m.f64.const(v));
  }

  i32Unary(op: I32Unary, a: Expr): Expr {
    return this.e(this.m.i32[op](a));
  }

  i32(op: I32Binary, a: Expr, b: Expr): Expr {
    return this.e(this.m.i32[op](a, b));
  }

  floatUnary(t: 'f32' | 'f64', op: FloatUnary, a: Expr): Expr {
    return this.e(this.m[t][op](a));
  }

  float(t: 'f32' | 'f64', op: FloatBinary, a: Expr, b: Expr): Expr {
    return this.e(this.m[t][op](a, b));
  }

  convert(op: Convert, a: Expr): Expr {
    const m = this.m;
    switch (op) {
      case 'f32_from_i32':
        return this.e(m.f32.convert_s.i32(a));
      case 'i32_from_f32_sat':
        return this.e(m.i32.trunc_s_sat.f32(a));
      case 'f64_from_f32':
        return this.e(m.f64.promote(a));
      case 'f32_from_f64':
        return this.e(m.f32.demote(a));
      case 'f64_from_u32':
        return this.e(m.f64.convert_u.i32(a));
    }
  }

  /** Picks `ifTrue` when `cond` (i32) is nonzero; both operands are evaluated. */
  select(cond: Expr, ifTrue: Expr, ifFalse: Expr): Expr {
    return this.e(this.m.select(cond, ifTrue, ifFalse));
  }

  // ---- memory ------------------------------------------------------------------------------

  /** Loads an element at byte address `ptr + offset`: 4-byte f32/i32, or an unsigned byte as i32. */
  load(t: 'i32' | 'f32', bytes: 1 | 4, offset: number, ptr: Expr): Expr {
    if (bytes === 1) return this.e(this.m.i32.load8_u(offset, 1, ptr));
    return this.e(this.m[t].load(offset, 4, ptr));
  }

  store(t: 'i32' | 'f32', bytes: 1 | 4, offset: number, ptr: Expr, value: Expr): Expr {
    if (bytes === 1) return this.e(this.m.i32.store8(offset, 1, ptr, value));
    return this.e(this.m[t].store(offset, 4, ptr, value));
  }

  // ---- SIMD128 (loads need only 4-byte alignment) -------------------------------------------

  /** One f32 at `ptr + offset` in all four lanes. */
  load32Splat(offset: number, ptr: Expr): Expr {
    return this.e(this.m.v128.load32_splat(offset, 4, ptr));
  }

  f64x2Splat(v: Expr): Expr {
    return this.e(this.m.f64x2.splat(v));
  }

  f64x2Add(a: Expr, b: Expr): Expr {
    return this.e(this.m.f64x2.add(a, b));
  }

  /** The two low f32 lanes as f64 (exact). */
  f64x2PromoteLow(v: Expr): Expr {
    return this.e(this.m.f64x2.promote_low_f32x4(v));
  }

  /** The two high f32 lanes as f64 (exact). */
  f64x2PromoteHigh(v: Expr): Expr {
    const high = this.m.i8x16.shuffle(v, this.f32x4Const(0), [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]);
    return this.e(this.m.f64x2.promote_low_f32x4(high));
  }

  /** Two f64x2 rounded to f32 as one f32x4: lanes lo0, lo1, hi0, hi1. */
  f32x4FromF64x2Pair(lo: Expr, hi: Expr): Expr {
    const [a, b] = [this.m.f32x4.demote_f64x2_zero(lo), this.m.f32x4.demote_f64x2_zero(hi)];
    return this.e(this.m.i8x16.shuffle(a, b, [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]));
  }

  /** Lane `lane` (a constant 0 or 1) as f64. */
  f64x2Lane(v: Expr, lane: number): Expr {
    // binaryen takes the lane as a plain number, though its typings say ExpressionRef.
    return this.e(this.m.f64x2.extract_lane(v, lane as unknown as number));
  }

  // ---- SIMD128: lane-wise f32x4 and i32x4, bitwise v128 --------------------------------------

  /** 16 bytes at `ptr + offset` (4-byte aligned at least). */
  v128Load(offset: number, ptr: Expr): Expr {
    return this.e(this.m.v128.load(offset, 4, ptr));
  }

  v128Store(offset: number, ptr: Expr, value: Expr): Expr {
    return this.e(this.m.v128.store(offset, 4, ptr, value));
  }

  f32x4Splat(v: Expr): Expr {
    return this.e(this.m.f32x4.splat(v));
  }

  f32x4Const(v: number): Expr {
    return this.e(this.m.v128.const(new Uint8Array(new Float32Array([v, v, v, v]).buffer)));
  }

  /** Lane `lane` (0..3) as i32. */
  i32x4Lane(v: Expr, lane: number): Expr {
    return this.e(this.m.i32x4.extract_lane(v, lane as unknown as number));
  }

  i32x4Splat(v: Expr): Expr {
    return this.e(this.m.i32x4.splat(v));
  }

  /** Four i32 lanes, lane 0 first. */
  i32x4Lanes(lanes: readonly [number, number, number, number]): Expr {
    return this.e(this.m.v128.const(new Uint8Array(new Int32Array(lanes).buffer)));
  }

  i32x4Const(v: number): Expr {
    return this.e(this.m.v128.const(new Uint8Array(new Int32Array([v, v, v, v]).buffer)));
  }

  /** Lane `lane` (0..3) as f32. */
  f32x4Lane(v: Expr, lane: number): Expr {
    return this.e(this.m.f32x4.extract_lane(v, lane as unknown as number));
  }

  f32x4Unary(op: F32x4Unary, a: Expr): Expr {
    return this.e(this.m.f32x4[op](a));
  }

  /** Lane-wise; comparisons give all-ones or zero lanes. */
  f32x4(op: F32x4Binary, a: Expr, b: Expr): Expr {
    return this.e(this.m.f32x4[op](a, b));
  }

  i32x4(op: I32x4Binary, a: Expr, b: Expr): Expr {
    return this.e(this.m.i32x4[op](a, b));
  }

  /** Every lane shifted by the i32 `by` (taken mod 32). */
  i32x4Shift(op: I32x4Shift, a: Expr, by: Expr): Expr {
    return this.e(this.m.i32x4[op](a, by));
  }

  v128Bitwise(op: V128Bitwise, a: Expr, b: Expr): Expr {
    return this.e(this.m.v128[op](a, b));
  }

  /** Bits of `ifTrue` where `mask` is 1, of `ifFalse` elsewhere. */
  bitselect(ifTrue: Expr, ifFalse: Expr, mask: Expr): Expr {
    return this.e(this.m.v128.bitselect(ifTrue, ifFalse, mask));
  }

  /** 1 when any bit of `v` is set. */
  anyTrue(v: Expr): Expr {
    return this.e(this.m.v128.any_true(v));
  }

  /** The high bit of each i32 lane of `v`, as bits 0..3 of an i32. */
  i32x4Bitmask(v: Expr): Expr {
    return this.e(this.m.i32x4.bitmask(v));
  }

  v128Convert(op: V128Convert, a: Expr): Expr {
    return this.e(op === 'f32x4_from_i32x4' ? this.m.f32x4.convert_i32x4_s(a) : this.m.i32x4.trunc_sat_f32x4_s(a));
  }

  // ---- atomics (sequentially consistent i32 at `ptr + offset`) ------------------------------

  atomicLoad(offset: number, ptr: Expr): Expr {
    return this.e(this.m.i32.atomic.load(offset, ptr));
  }

  atomicStore(offset: number, ptr: Expr, value: Expr): Expr {
    return this.e(this.m.i32.atomic.store(offset, ptr, value));
  }

  /** Blocks while the i32 at `ptr` equals `expected` (until a notify); yields 0 woken, 1 not equal. */
  atomicWait(ptr: Expr, expected: Expr): Expr {
    return this.e(this.m.memory.atomic.wait32(ptr, expected, this.m.i64.const(-1n), 'memory'));
  }

  /** Wakes every thread waiting on the i32 at `ptr`. */
  atomicNotifyAll(ptr: Expr): Expr {
    return this.drop(this.e(this.m.memory.atomic.notify(ptr, this.m.i32.const(-1), 'memory')));
  }

  /** Adds `value` and yields the old contents. */
  atomicAdd(offset: number, ptr: Expr, value: Expr): Expr {
    return this.e(this.m.i32.atomic.rmw.add(offset, ptr, value));
  }

  // ---- locals and control flow -------------------------------------------------------------

  get(index: number, t: ValType): Expr {
    return this.e(this.m.local.get(index, this.type(t)));
  }

  set(index: number, value: Expr): Expr {
    return this.e(this.m.local.set(index, value));
  }

  /** A sequence; typed by its last expression when `t` is given. */
  block(children: readonly Expr[], t: ValType | 'none' = 'none', label: string | null = null): Expr {
    return this.e(this.m.block(label, children, this.type(t)));
  }

  loop(label: string, body: Expr): Expr {
    return this.e(this.m.loop(label, body));
  }

  br(label: string, cond?: Expr): Expr {
    return this.e(this.m.br(label, cond));
  }

  if(cond: Expr, then: Expr, otherwise?: Expr): Expr {
    return this.e(this.m.if(cond, then, otherwise));
  }

  /** Evaluates `e` and discards its value. */
  drop(e: Expr): Expr {
    return this.e(this.m.drop(e));
  }

  return(value?: Expr): Expr {
    return this.e(this.m.return(value));
  }

  call(name: string, args: readonly Expr[], result: ValType | 'none'): Expr {
    return this.e(this.m.call(name, args, this.type(result)));
  }

  // ---- module items ------------------------------------------------------------------------

  addFunction(name: string, params: readonly ValType[], result: ValType | 'none', locals: readonly ValType[], body: Expr): void {
    this.m.addFunction(
      name,
      this.b.createType(params.map((p) => this.type(p))),
      this.type(result),
      locals.map((l) => this.type(l)),
      body,
    );
  }

  importFunction(name: string, module: string, base: string, params: readonly ValType[], result: ValType | 'none'): void {
    this.m.addFunctionImport(name, module, base, this.b.createType(params.map((p) => this.type(p))), this.type(result));
  }

  exportFunction(name: string, as: string): void {
    this.m.addFunctionExport(name, as);
  }

  /** One memory of a fixed number of 64 KiB pages, exported as `exportName`. */
  setMemory(pages: number, exportName: string): void {
    this.m.setMemory(pages, pages, exportName);
  }

  /** One shared memory of a fixed number of pages, imported as `module`.`base` (threads share it). */
  importSharedMemory(pages: number, module: string, base: string): void {
    this.m.setMemory(pages, pages, null, [], true, false, 'memory');
    this.m.addMemoryImport('memory', module, base, true);
  }

  customSection(name: string, contents: Uint8Array): void {
    this.m.addCustomSection(name, contents);
  }

  /** Validates, optimizes and emits the module's bytes; the builder is unusable afterwards. */
  finish(optimize = true): Uint8Array {
    try {
      if (!this.m.validate()) throw new Error('binaryen: the generated module does not validate');
      if (optimize) {
        // -O1: V8's own tiers do the rest; -O2 took twice as long (the MLP training step: 235 ms
        // against 100 ms) for no step-time difference that could be measured here.
        this.b.setOptimizeLevel(1);
        this.b.setShrinkLevel(0);
        this.m.optimize();
      }
      return this.m.emitBinary();
    } finally {
      this.m.dispose();
    }
  }

  /** The module as text, for debugging and golden tests. */
  text(): string {
    return this.m.emitText();
  }
}
