// The Wasm backend's in-module exp, log, tanh and sigmoid (f32x4 polynomials) against f64 Math rounded to
// f32: ulp error over sweeps of the whole f32 range and, densely, of where each function is not constant;
// exact special values (zeros, infinities, NaN, denormals, overflow and underflow thresholds); and the
// f32 form equal to the f32x4 form lane for lane, bit for bit.

import { beforeAll, describe, expect, test } from 'vitest';
import { ModuleBuilder, type Expr } from '../../src/backends/wasm/binaryen.js';
import { addTranscendentals, scalarFn, TRANSCENDENTALS, vectorFn, type Transcendental } from '../../src/backends/wasm/transcendental.js';
import { ulps } from '../support/ulps.js';

/** The bound stated in transcendental.ts: largest distance, in ulps, from the correctly rounded f32 result. */
const MAX_ULP: Record<Transcendental, number> = { exp: 1, log: 1, tanh: 1, sigmoid: 2 };

/** f64 references; sigmoid takes e^x/(1+e^x) below 0 so that it stays accurate in relative terms. */
const TRUTH: Record<Transcendental, (x: number) => number> = {
  exp: Math.exp,
  log: Math.log,
  tanh: Math.tanh,
  sigmoid: (x) => {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  },
};

/** Floats per call into the module: an input and an output buffer of this many. */
const CHUNK = 1 << 20;

/** The part of the WebAssembly JS API used here (the project's lib settings declare none). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
};

let memory: { buffer: ArrayBuffer };
/** Exported loops by name, each (src, dst, bytes) → void. */
let loops: Record<string, (src: number, dst: number, bytes: number) => void>;

/** `vec_${fn}` and `scalar_${fn}` map the vector and scalar functions over `bytes` bytes from `src` to `dst`. */
async function buildModule(): Promise<Uint8Array> {
  const m = await ModuleBuilder.create();
  m.setMemory((2 * CHUNK * 4) / 65536, 'memory');
  addTranscendentals(m);
  const arg = (i: number): Expr => m.get(i, 'i32');
  const at = (base: number): Expr => m.i32('add', arg(base), arg(3));
  const loop = (step: number, apply: Expr): Expr =>
    m.block([m.set(3, m.i32Const(0)), m.loop('l', m.block([apply, m.set(3, m.i32('add', arg(3), m.i32Const(step))), m.br('l', m.i32('lt_u', arg(3), arg(2)))]))]);
  for (const fn of TRANSCENDENTALS) {
    m.addFunction(`vec_${fn}`, ['i32', 'i32', 'i32'], 'none', ['i32'], loop(16, m.v128Store(0, at(1), m.call(vectorFn(fn), [m.v128Load(0, at(0))], 'v128'))));
    m.addFunction(`scalar_${fn}`, ['i32', 'i32', 'i32'], 'none', ['i32'], loop(4, m.store('f32', 4, 0, at(1), m.call(scalarFn(fn), [m.load('f32', 4, 0, at(0))], 'f32'))));
    m.exportFunction(`vec_${fn}`, `vec_${fn}`);
    m.exportFunction(`scalar_${fn}`, `scalar_${fn}`);
  }
  return m.finish();
}

/** fn over `xs` through the module, four lanes at a time or one by one. */
function apply(fn: Transcendental, xs: Float32Array, scalar = false): Float32Array {
  const out = new Float32Array(xs.length);
  const heap = new Float32Array(memory.buffer);
  for (let start = 0; start < xs.length; start += CHUNK) {
    const n = Math.min(CHUNK, xs.length - start);
    const padded = (n + 3) & ~3;
    heap.set(xs.subarray(start, start + n));
    heap.fill(0, n, padded);
    loops[`${scalar ? 'scalar' : 'vec'}_${fn}`]!(0, CHUNK * 4, padded * 4);
    out.set(heap.subarray(CHUNK, CHUNK + n), start);
  }
  return out;
}

const f1 = new Float32Array(1);
const u1 = new Uint32Array(f1.buffer);
const bitsOf = (x: number): number => ((f1[0] = x), u1[0]!);
const fromBits = (b: number): number => ((u1[0] = b), f1[0]!);

/** Bit patterns lo, lo+stride, … up to hi (inclusive) as floats. */
function patterns(lo: number, hi: number, stride: number): Float32Array {
  const n = Math.floor((hi - lo) / stride) + 1;
  const u = new Uint32Array(n);
  for (let i = 0; i < n; i++) u[i] = lo + i * stride;
  return new Float32Array(u.buffer);
}

/** Positive and negative floats with magnitudes in [a, b], about `n` of each sign (odd strides reach every low mantissa bit). */
function band(a: number, b: number, n: number): Float32Array[] {
  const [lo, hi] = [bitsOf(a), bitsOf(b)];
  const stride = Math.max(1, Math.floor((hi - lo) / n)) | 1;
  return [patterns(lo, hi, stride), patterns(lo + 0x80000000, hi + 0x80000000, stride)];
}

/** Where each function is not constant in f32 (dense), and the whole range (sparse: every 4093rd bit pattern). */
const SWEEPS: Record<Transcendental, () => Float32Array[]> = {
  exp: () => band(2 ** -26, 104, 1 << 20),
  log: () => [patterns(0, 0x7f800000, 2039)],
  tanh: () => band(2 ** -13, 9.02, 1 << 20),
  sigmoid: () => band(2 ** -26, 104, 1 << 20),
};
const WHOLE_RANGE = patterns(0, 0xffffffff, 4093);

function worst(fn: Transcendental, xs: Float32Array): { ulp: number; at: number } {
  const ys = apply(fn, xs);
  let w = { ulp: 0, at: NaN };
  for (let i = 0; i < xs.length; i++) {
    const d = ulps(ys[i]!, Math.fround(TRUTH[fn](xs[i]!)));
    if (d > w.ulp) w = { ulp: d, at: xs[i]! };
  }
  return w;
}

beforeAll(async () => {
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(await buildModule()), {});
  memory = exports['memory'] as typeof memory;
  loops = exports as typeof loops;
});

describe('wasm transcendentals', () => {
  test.each(TRANSCENDENTALS)('%s is within its ulp bound over the f32 range', (fn) => {
    const found = [WHOLE_RANGE, ...SWEEPS[fn]()].map((xs) => worst(fn, xs)).reduce((a, b) => (b.ulp > a.ulp ? b : a));
    console.log(`${fn}_f32x4: worst error ${found.ulp} ulp (at ${found.at})`);
    expect(found.ulp, `${fn}(${found.at})`).toBeLessThanOrEqual(MAX_ULP[fn]);
  });

  test.each(TRANSCENDENTALS)('%s: the f32 function is the f32x4 one lane for lane, bit for bit', (fn) => {
    const [scalar, vector] = [apply(fn, WHOLE_RANGE, true), apply(fn, WHOLE_RANGE)].map((ys) => new Uint32Array(ys.buffer));
    const i = scalar!.findIndex((y, i) => y !== vector![i]);
    expect(i, `${fn}(${WHOLE_RANGE[i]})`).toBe(-1);
  });

  const MAX = fromBits(0x7f7fffff);
  const MIN_NORMAL = 2 ** -126;
  const MIN_DENORMAL = 2 ** -149;
  /** [input, expected], compared with Object.is (so -0 ≠ 0, NaN = NaN); with 'near', within the ulp bound instead. */
  const SPECIAL: Record<Transcendental, [number, number, 'near'?][]> = {
    exp: [
      [0, 1],
      [-0, 1],
      [Infinity, Infinity],
      [-Infinity, 0],
      [NaN, NaN],
      [MIN_DENORMAL, 1],
      [-MIN_DENORMAL, 1],
      [1e-30, 1],
      [-1e-30, 1],
      [fromBits(0x42b17217), TRUTH.exp(fromBits(0x42b17217))], // 88.72283: the largest finite result
      [fromBits(0x42b17218), Infinity], // 88.72284: the first overflow
      [100, Infinity],
      [MAX, Infinity],
      [-fromBits(0x42aeac4f), TRUTH.exp(-fromBits(0x42aeac4f))], // -87.33654: normal
      [-fromBits(0x42aeac50), TRUTH.exp(-fromBits(0x42aeac50))], // -87.33655: denormal
      [-fromBits(0x42cff1b4), MIN_DENORMAL], // -103.97207: the smallest nonzero result
      [-fromBits(0x42cff1b5), 0], // -103.97208: the first result that rounds to 0
      [-MAX, 0],
    ],
    log: [
      [1, 0],
      [0, -Infinity],
      [-0, -Infinity],
      [-MIN_DENORMAL, NaN],
      [-1, NaN],
      [-Infinity, NaN],
      [Infinity, Infinity],
      [NaN, NaN],
      [2, Math.fround(Math.LN2)],
      [0.5, -Math.fround(Math.LN2)],
      [MIN_DENORMAL, Math.fround(-149 * Math.LN2)],
      [3 * MIN_DENORMAL, Math.fround(Math.log(3 * MIN_DENORMAL))],
      [fromBits(0x007fffff), Math.fround(Math.log(fromBits(0x007fffff)))], // the largest denormal
      [MIN_NORMAL, Math.fround(-126 * Math.LN2)],
      [MAX, Math.fround(Math.log(MAX))],
      [fromBits(0x3f7fffff), Math.fround(Math.log(fromBits(0x3f7fffff)))], // 1 − 2^-24, relative accuracy near 1
      [fromBits(0x3f800001), Math.fround(Math.log(fromBits(0x3f800001)))], // 1 + 2^-23
    ],
    tanh: [
      [0, 0],
      [-0, -0],
      [Infinity, 1],
      [-Infinity, -1],
      [NaN, NaN],
      [MIN_DENORMAL, MIN_DENORMAL],
      [-MIN_DENORMAL, -MIN_DENORMAL],
      [1e-30, Math.fround(1e-30)],
      [-1e-20, Math.fround(-1e-20)],
      [fromBits(0x39b89ba2), fromBits(0x39b89ba2)], // 3.5211170e-4: the largest x where tanh rounds to x
      [fromBits(0x39b89ba3), TRUTH.tanh(fromBits(0x39b89ba3)), 'near'],
      [fromBits(0x41102cb3), fromBits(0x3f7fffff)], // 9.0109129: the last result below 1
      [fromBits(0x41102cb4), 1], // 9.0109138: saturated
      [-fromBits(0x41102cb4), -1],
      [20, 1],
      [MAX, 1],
      [-MAX, -1],
    ],
    sigmoid: [
      [0, 0.5],
      [-0, 0.5],
      [Infinity, 1],
      [-Infinity, 0],
      [NaN, NaN],
      [MIN_DENORMAL, 0.5],
      [-MIN_DENORMAL, 0.5],
      [fromBits(0x418aa122), fromBits(0x3f7fffff), 'near'], // 17.328678: the last result below 1
      [fromBits(0x418aa123), 1], // 17.32868: saturated
      [MAX, 1],
      [-80, Math.fround(TRUTH.sigmoid(-80))], // 1.8e-35, no cancellation
      [-100, Math.fround(TRUTH.sigmoid(-100))], // denormal
      [-fromBits(0x42cff1b4), MIN_DENORMAL],
      [-fromBits(0x42cff1b5), 0],
      [-MAX, 0],
    ],
  };

  test.each(TRANSCENDENTALS)('%s: special values', (fn) => {
    const cases = SPECIAL[fn];
    const got = apply(
      fn,
      Float32Array.from(cases, ([x]) => x),
    );
    cases.forEach(([x, want, near], i) => {
      if (near) expect(ulps(got[i]!, Math.fround(want)), `${fn}(${x})`).toBeLessThanOrEqual(MAX_ULP[fn]);
      else expect(got[i], `${fn}(${x})`).toBe(Math.fround(want));
    });
  });

  test('tanh is odd, bit for bit', () => {
    const pos = WHOLE_RANGE.filter((x) => x > 0);
    const [a, b] = [
      apply('tanh', pos),
      apply(
        'tanh',
        pos.map((x) => -x),
      ),
    ];
    const i = a.findIndex((y, i) => !Object.is(-y, b[i]));
    expect(i, `tanh(±${pos[i]})`).toBe(-1);
  });
});
