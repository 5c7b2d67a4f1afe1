// exp, log, tanh and sigmoid as Wasm functions of f32x4 SIMD arithmetic (no host calls, no branches), so
// kernels can evaluate them four lanes at a time in their loops; each also has an f32 → f32 form that is
// one lane of the vector one, bit for bit.
//
// Methods: exp reduces x = k·ln2 + r (Cody–Waite split ln2, |r| ≤ ~ln2/2), takes e^r from a degree-6
// polynomial and scales by 2^k in two steps so that results round gradually into the denormals. log
// splits x (denormals pre-scaled by 2^23) into 2^e·m with m in [√½, √2), and takes log(m) = log1p(f)
// through s = f/(2+f) with a small correction term, so only that term carries the division's error.
// tanh is an odd polynomial below 0.55 (no cancellation near 0) and 1 − 2/(e^{2|x|}+1) above; sigmoid
// is exp(−|x|) over 1 + exp(−|x|), with numerator 1 or exp(−|x|) by the sign of x, so it keeps its
// relative accuracy for very negative x. Coefficients are minimax fits (relative error), rounded to f32.
//
// Measured over every f32 input, in ulps from the correctly rounded result: exp ≤ 1, log ≤ 1, tanh ≤ 1,
// sigmoid ≤ 2 (from the exact value: 0.78, 0.84, 1.49, 2.40), denormal results in denormal ulps: no
// flush to zero. Special values as in C's libm: exp(−inf) = 0, exp(+inf) = +inf, exp(±0) = 1,
// log(±0) = −inf, log(x < 0) = NaN, log(1) = +0, log(+inf) = +inf, tanh(±0) = ±0, tanh(±inf) = ±1,
// sigmoid(+inf) = 1, sigmoid(−inf) = 0; NaN gives NaN throughout.

import type { Expr, ModuleBuilder, ValType } from './binaryen.js';

export const TRANSCENDENTALS = ['exp', 'log', 'tanh', 'sigmoid'] as const;
export type Transcendental = (typeof TRANSCENDENTALS)[number];

/** Whether `fn` is one of the module's own functions (on f32). */
export const isTranscendental = (fn: string): fn is Transcendental => (TRANSCENDENTALS as readonly string[]).includes(fn);

/** Name of the v128 → v128 (four f32 lanes) function for `fn`. */
export const vectorFn = (fn: Transcendental): string => `${fn}_f32x4`;
/** Name of the f32 → f32 function for `fn`. */
export const scalarFn = (fn: Transcendental): string => `${fn}_f32`;

// ---- constants (f32 values, written exactly) -----------------------------------------------

const LOG2E = 1.4426950216293335;
/** ln2 = LN2_CW_HI + LN2_CW_LO; k·LN2_CW_HI is exact for |k| < 2^15 (9 significant bits). */
const LN2_CW_HI = 0.693359375;
const LN2_CW_LO = -0.00021219444170128554;
/** ln2 = LN2_HI + LN2_LO; e·LN2_HI is exact for |e| < 2^9 (15 significant bits). */
const LN2_HI = 0.693145751953125;
const LN2_LO = 1.428606765330187e-6;

/** (e^r − 1 − r)/r² on |r| ≤ 0.35, by powers of r (relative error of e^r below 2^-28). */
const EXP_Q = [0.4999999403953552, 0.16666515171527863, 0.04166845604777336, 0.00836941134184599, 0.0013813161058351398];
/** (2·atanh(s) − 2s)/s³ as a polynomial in s² for |s| ≤ 0.1716 (relative error of log below 2^-29). */
const LOG_R = [0.6666677594184875, 0.3997744917869568, 0.29874423146247864];
/** Below this |x|, tanh is the polynomial; above, 1 − 2/(e^{2|x|}+1). */
const TANH_SMALL = 0.55;
/** (tanh(a) − a)/a³ as a polynomial in a² for a ≤ 0.55 (relative error of tanh below 2^-29). */
const TANH_P = [-0.33333316445350647, 0.13332585990428925, -0.05385230854153633, 0.021071676164865494, -0.006274235434830189];

/** 1.5·2^23: x + ROUNDER rounds x to an integer for |x| < 2^22, which its low bits then hold. */
const ROUNDER = 12582912;
const ROUNDER_BITS = 0x4b400000;
/** exp's input clamp: below, every result rounds to 0; above, every result overflows. */
const EXP_MIN_X = -105;
const EXP_MAX_X = 89;
/** Smallest normal f32, 2^-126. */
const F32_MIN_NORMAL = 1.1754943508222875e-38;
const SQRT_HALF_BITS = 0x3f3504f3;
const SIGN_BIT = -0x80000000;

/** A reader of a v128 local: each call is a fresh local.get. */
type V = () => Expr;

/** One computation under construction: statements that set v128 locals (from `newLocal`), then a result. */
class Body {
  private readonly stmts: Expr[] = [];

  constructor(
    readonly m: ModuleBuilder,
    private readonly newLocal: () => number,
  ) {}

  /** Evaluates `e` once into a new local. */
  let(e: Expr): V {
    const i = this.newLocal();
    this.stmts.push(this.m.set(i, e));
    return () => this.m.get(i, 'v128');
  }

  block(result: Expr): Expr {
    return this.m.block([...this.stmts, result], 'v128');
  }

  // Shorthands for the lane-wise ops used below.
  add = (a: Expr, b: Expr): Expr => this.m.f32x4('add', a, b);
  sub = (a: Expr, b: Expr): Expr => this.m.f32x4('sub', a, b);
  mul = (a: Expr, b: Expr): Expr => this.m.f32x4('mul', a, b);
  div = (a: Expr, b: Expr): Expr => this.m.f32x4('div', a, b);
  f = (v: number): Expr => this.m.f32x4Const(v);
  i = (v: number): Expr => this.m.i32x4Const(v);

  /** c[0] + t·(c[1] + t·(… + t·c[n−1])). */
  horner(t: V, c: readonly number[]): Expr {
    let acc = this.f(c[c.length - 1]!);
    for (let j = c.length - 2; j >= 0; j--) acc = this.add(this.f(c[j]!), this.mul(t(), acc));
    return acc;
  }
}

// ---- the algorithms, one definition each ---------------------------------------------------

/** e^x lane-wise. */
function expOf(b: Body, x0: V): V {
  const m = b.m;
  // pmin/pmax with x first keep NaN lanes NaN.
  const x = b.let(m.f32x4('pmax', m.f32x4('pmin', x0(), b.f(EXP_MAX_X)), b.f(EXP_MIN_X)));
  // k = round-to-even(x·log2 e): adding 1.5·2^23 rounds it into the low mantissa bits, where it is read as an integer too.
  const big = b.let(b.add(b.mul(x(), b.f(LOG2E)), b.f(ROUNDER)));
  const kf = b.let(b.sub(big(), b.f(ROUNDER)));
  // r = x − k·ln2: k·LN2_CW_HI and its difference from x are exact, so r rounds once; 1 + (r + r²·q)
  // then rounds about once more (measured over whole binades of x: still within 1 ulp).
  const t = b.let(b.sub(x(), b.mul(kf(), b.f(LN2_CW_HI))));
  const r = b.let(b.sub(t(), b.mul(kf(), b.f(LN2_CW_LO))));
  const q = b.let(b.horner(r, EXP_Q));
  const er = b.let(b.add(b.f(1), b.add(r(), b.mul(b.mul(r(), r()), q()))));
  // 2^k = 2^k1 · 2^k2 with k ∈ [−151, 128]: both factors are normal, and only the second product rounds.
  const k = b.let(m.i32x4('sub', big(), b.i(ROUNDER_BITS)));
  const k1 = b.let(m.i32x4Shift('shr_s', k(), m.i32Const(1)));
  const pow2 = (e: Expr): Expr => m.i32x4Shift('shl', m.i32x4('add', e, b.i(127)), m.i32Const(23));
  return b.let(b.mul(b.mul(er(), pow2(k1())), pow2(m.i32x4('sub', k(), k1()))));
}

/** ln x lane-wise. */
function logOf(b: Body, x: V): V {
  const m = b.m;
  // Denormals (and the special inputs, fixed up below) are scaled by 2^23 into the normals.
  const tiny = b.let(m.f32x4('lt', x(), b.f(F32_MIN_NORMAL)));
  const xs = m.bitselect(b.mul(x(), b.f(2 ** 23)), x(), tiny());
  // Adding 1 − √½ (in bits) carries into the exponent exactly when the mantissa is ≥ √2.
  const ix = b.let(m.i32x4('add', xs, b.i(0x3f800000 - SQRT_HALF_BITS)));
  const e = m.i32x4('add', m.i32x4('sub', m.i32x4Shift('shr_s', ix(), m.i32Const(23)), b.i(127)), m.v128Bitwise('and', tiny(), b.i(-23)));
  const ef = b.let(m.v128Convert('f32x4_from_i32x4', e));
  // m ∈ [√½, √2), f = m − 1 exactly.
  const f = b.let(b.sub(m.i32x4('add', m.v128Bitwise('and', ix(), b.i(0x7fffff)), b.i(SQRT_HALF_BITS)), b.f(1)));
  const s = b.let(b.div(f(), b.add(b.f(2), f())));
  const z = b.let(b.mul(s(), s()));
  const rz = b.let(b.mul(z(), b.horner(z, LOG_R)));
  const hfsq = b.let(b.mul(b.mul(b.f(0.5), f()), f()));
  // log1p(f) = f − f²/2 + s·(f²/2 + R), since 2s = f − s·f and s·f = f²/2 − s·f²/2.
  const small = b.add(b.mul(s(), b.add(hfsq(), rz())), b.mul(ef(), b.f(LN2_LO)));
  let y = b.add(b.mul(ef(), b.f(LN2_HI)), b.sub(f(), b.sub(hfsq(), small)));
  y = m.bitselect(y, x(), m.f32x4('lt', x(), b.f(Infinity))); // +inf and NaN pass through
  y = m.bitselect(b.f(NaN), y, m.f32x4('lt', x(), b.f(0)));
  return b.let(m.bitselect(b.f(-Infinity), y, m.f32x4('eq', x(), b.f(0))));
}

/** tanh x lane-wise. */
function tanhOf(b: Body, x: V): V {
  const m = b.m;
  const a = b.let(m.f32x4Unary('abs', x()));
  const z = b.let(b.mul(a(), a()));
  // a + a·z·P(z): the correction is below a tenth of a, so a's precision carries through near 0.
  const near0 = b.add(a(), b.mul(b.mul(a(), z()), b.horner(z, TANH_P)));
  // 1 − 2/(e^{2a}+1) ≥ 0.5: saturates to 1 once e^{2a} is large or infinite.
  const e2a = expOf(b, () => b.add(a(), a()));
  const far = b.sub(b.f(1), b.div(b.f(2), b.add(e2a(), b.f(1))));
  const t = m.bitselect(near0, far, m.f32x4('lt', a(), b.f(TANH_SMALL)));
  return b.let(m.v128Bitwise('or', t, m.v128Bitwise('and', x(), b.i(SIGN_BIT))));
}

/** 1/(1 + e^−x) lane-wise, as e^x/(1 + e^x) for x < 0. */
function sigmoidOf(b: Body, x: V): V {
  const m = b.m;
  const e = expOf(b, () => m.f32x4Unary('neg', m.f32x4Unary('abs', x())));
  const num = m.bitselect(e(), b.f(1), m.f32x4('lt', x(), b.f(0)));
  return b.let(b.div(num, b.add(b.f(1), e())));
}

const ALGORITHMS: Record<Transcendental, (b: Body, x: V) => V> = { exp: expOf, log: logOf, tanh: tanhOf, sigmoid: sigmoidOf };

/**
 * Adds `${fn}_f32x4` (v128 → v128) and `${fn}_f32` (f32 → f32: a splat through the former, lane 0 out) to
 * the module for each fn, once per module; none calls another, so any subset stands alone.
 */
export function addTranscendentals(m: ModuleBuilder, which: readonly Transcendental[] = TRANSCENDENTALS): void {
  for (const fn of new Set(which)) {
    const locals: ValType[] = [];
    const b = new Body(m, () => locals.push('v128')); // local 0 is the parameter
    const y = ALGORITHMS[fn](b, () => m.get(0, 'v128'));
    m.addFunction(vectorFn(fn), ['v128'], 'v128', locals, b.block(y()));
    m.addFunction(scalarFn(fn), ['f32'], 'f32', [], m.f32x4Lane(m.call(vectorFn(fn), [m.f32x4Splat(m.get(0, 'f32'))], 'v128'), 0));
  }
}

/**
 * `fn` of the f32x4 expression `x`, inline: the same computation as `${fn}_f32x4`, bit for bit, with
 * its v128 locals from `local`. Kernels' loops use it so that no call stands between iterations.
 */
export function inlineTranscendental(m: ModuleBuilder, fn: Transcendental, x: Expr, local: () => number): Expr {
  const b = new Body(m, local);
  const y = ALGORITHMS[fn](b, b.let(x));
  return b.block(y());
}
