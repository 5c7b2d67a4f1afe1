// gradCheck: compares the gradients grad() builds with central finite differences, in float64.

import { expect } from 'vitest';
import { compile } from '../../src/compile.js';
import type { Executable } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { uniform01 } from '../../src/ir/random.js';
import type { DType, Dim } from '../../src/ir/types.js';
import { grad, gradOutputName } from '../../src/passes/autodiff.js';

/** Makes `n` values from a seed: how a test keeps inputs away from kinks, ties and poles. */
export type Gen = (seed: number, n: number) => number[];

/** Uniform in [lo, hi). */
export const uniform =
  (lo = -1, hi = 1): Gen =>
  (seed, n) =>
    Array.from({ length: n }, (_, i) => lo + (hi - lo) * uniform01(seed, i));

/** Magnitude in [lo, hi) with a random sign: never near 0, where abs, relu and sign kink. */
export const awayFromZero =
  (lo = 0.2, hi = 1.5): Gen =>
  (seed, n) =>
    uniform(lo, hi)(seed, n).map((m, i) => (uniform01(seed + 1, i) < 0.5 ? -m : m));

/** Positive values, for log, sqrt, rsqrt and a pow base. */
export const positive = (lo = 0.5, hi = 2): Gen => uniform(lo, hi);

/**
 * The grid `offset + spacing * (k - floor(n/2))` for k < n, shuffled: no two values closer than
 * `spacing`, so a max, min or reduce_max never sees a tie that a step of h could flip. Two
 * operands on grids offset by spacing/2 never tie with each other either.
 */
export const distinct =
  (spacing = 0.1, offset = 0): Gen =>
  (seed, n) => {
    const keys = Array.from({ length: n }, (_, k) => ({ k, key: uniform01(seed, k) }));
    keys.sort((a, b) => a.key - b.key);
    return keys.map(({ k }) => offset + spacing * (k - Math.floor(n / 2)));
  };

/** One input of the graph under test. */
export interface InputSpec {
  /** May name symbolic dims, bound by the `shapes` option. */
  shape: readonly Dim[];
  /** f32 unless given; only f32 inputs are differentiated. */
  dtype?: DType;
  /** Explicit values (required for i32 and bool inputs without `gen`). */
  values?: readonly number[];
  /** How to draw values when `values` is absent (default uniform in [-1, 1)). */
  gen?: Gen;
  /** Whether to check this f32 input's gradient (default true). */
  diff?: boolean;
}

export interface GradCheckOptions {
  /** Seed of every generated value (default 1). */
  seed?: number;
  /** Pass when |analytic - numeric| <= atol + rtol * |numeric| (defaults 1e-5 and 1e-5). */
  rtol?: number;
  atol?: number;
  /** Values for the graph's parameters (others keep their initializers' values). */
  params?: Record<string, readonly number[]>;
  /** The values to differentiate: default every f32 input with diff !== false, then every f32 param. */
  wrt?: readonly string[];
  /** Sizes of the symbolic dims in input shapes: grad() sees the symbols, compile() binds them. */
  shapes?: Record<string, number>;
  /** Let every gradient be zero (otherwise that fails: a check of zeros proves little). */
  allowZero?: boolean;
}

/** Plain numbers for exact comparisons, with -0 as 0 (a zero cotangent times a negative is -0). */
export function plain(a: ArrayLike<number>): number[] {
  return Array.from(a, (v) => v + 0);
}

/** Name of the input holding the fixed weights R in loss = reduce_sum(y * R). */
export const WEIGHTS = 'loss_weights';

/** Storage for an input in the f64 interpreter. */
function feedOf(dtype: DType, values: readonly number[]): Float64Array | Int32Array | Uint8Array {
  if (dtype === 'f32') return Float64Array.from(values);
  if (dtype === 'i32') return Int32Array.from(values);
  return Uint8Array.from(values);
}

type Feed = Record<string, Float64Array | Int32Array | Uint8Array>;

/** What grad() computes, before any comparison. */
export interface Analytic {
  /** The forward graph, with output `loss`. */
  forward: Graph;
  /** The forward graph after grad(). */
  backward: Graph;
  /** The inputs fed, including the weights R under WEIGHTS where y is not a scalar. */
  feed: Feed;
  /** The parameters' values in both programs. */
  params: Record<string, Float64Array>;
  wrt: readonly string[];
  loss: number;
  analytic: Record<string, Float64Array>;
  /** The forward program, compiled in double precision. */
  forwardExe: Executable;
}

export interface GradCheckResult extends Analytic {
  numeric: Record<string, Float64Array>;
}

/**
 * Builds the graph (inputs declared by name, `build` adds the rest and returns y), makes the
 * scalar loss from y, applies grad() and runs it in double precision.
 */
export async function analyticGrad(build: (b: GraphBuilder) => string, inputs: Readonly<Record<string, InputSpec>>, options: GradCheckOptions = {}): Promise<Analytic> {
  const seed = options.seed ?? 1;
  const sizes = (shape: readonly Dim[]): number[] =>
    shape.map((d) => {
      const n = typeof d === 'number' ? d : options.shapes?.[d];
      if (n === undefined) throw new Error(`gradCheck: no size for the symbolic dim ${d} (pass it in options.shapes)`);
      return n;
    });
  const numel = (shape: readonly Dim[]) => sizes(shape).reduce((p, d) => p * d, 1);
  const b = new GraphBuilder('check');
  const feed: Feed = {};
  Object.entries(inputs).forEach(([name, s], k) => {
    const dtype = s.dtype ?? 'f32';
    b.input(name, { dtype, shape: s.shape });
    const n = numel(s.shape);
    const values = s.values ?? (s.gen ?? (dtype === 'f32' ? uniform() : undefined))?.(seed * 1009 + k, n);
    if (!values) throw new Error(`gradCheck: input ${name} (${dtype}) needs values or gen`);
    if (values.length !== n) throw new Error(`gradCheck: input ${name} has ${values.length} values for ${n} elements`);
    feed[name] = feedOf(dtype, values);
  });
  const y = build(b);
  const yType = b.typeOf(y);
  let loss = y;
  if (yType.shape.length > 0) {
    // Weights away from 0 so that every element of y moves the loss.
    const shape = [...yType.shape];
    b.input(WEIGHTS, { dtype: 'f32', shape });
    feed[WEIGHTS] = Float64Array.from(awayFromZero(0.25, 1)(seed * 7919, numel(shape)));
    loss = b.emit('reduce_sum', [b.emit('mul', [y, WEIGHTS])], { axes: shape.map((_, i) => i) });
  }
  b.output('loss', loss);
  const forward = b.build();

  const wrt = options.wrt ?? [
    ...Object.entries(inputs)
      .filter(([, s]) => (s.dtype ?? 'f32') === 'f32' && s.diff !== false)
      .map(([name]) => name),
    ...forward.params.filter((p) => p.type.dtype === 'f32').map((p) => p.name),
  ];
  const backward = grad(forward, { loss: 'loss', wrt });
  const compileOptions = { backend: 'reference', precision: 'f64', ...(options.shapes ? { shapes: options.shapes } : {}) } as const;
  const forwardExe = await compile(forward, compileOptions);
  const backwardExe = await compile(backward, compileOptions);

  const params: Record<string, Float64Array> = {};
  for (const [name, t] of Object.entries(forwardExe.params())) {
    const given = options.params?.[name];
    params[name] = given ? Float64Array.from(given) : Float64Array.from(t.data);
  }
  if (Object.keys(params).length) {
    forwardExe.setParams(params);
    backwardExe.setParams(params);
  }

  const out = await backwardExe.run(feed);
  const analytic: Record<string, Float64Array> = {};
  for (const w of wrt) analytic[w] = Float64Array.from(out[gradOutputName(w)]!.data);
  return { forward, backward, feed, params, wrt, loss: out['loss']!.data[0]!, analytic, forwardExe };
}

/**
 * analyticGrad, then a comparison of every gradient element with central differences of the
 * forward program.
 */
export async function gradCheck(build: (b: GraphBuilder) => string, inputs: Readonly<Record<string, InputSpec>>, options: GradCheckOptions = {}): Promise<GradCheckResult> {
  const r = await analyticGrad(build, inputs, options);
  const { wrt, analytic, forwardExe, feed, params } = r;
  const numeric: Record<string, Float64Array> = {};
  for (const w of wrt) numeric[w] = await centralDifferences(forwardExe, feed, params, w);

  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-5;
  const mismatches: string[] = [];
  for (const w of wrt) {
    const a = analytic[w]!;
    const n = numeric[w]!;
    expect(a.length, `length of grad_${w}`).toBe(n.length);
    n.forEach((v, i) => {
      if (!(Math.abs(a[i]! - v) <= atol + rtol * Math.abs(v))) mismatches.push(`${w}[${i}]: analytic ${a[i]} vs numeric ${v}`);
    });
  }
  // One line per wrong element, so a failure shows which and by how much.
  expect(mismatches.join('\n'), `gradients of ${wrt.join(', ')}`).toBe('');
  const forwardLoss = (await forwardExe.run(feed))['loss']!.data[0]!;
  expect(r.loss, 'the loss is the same with the backward graph appended').toBeCloseTo(forwardLoss, 12);
  if (!options.allowZero) {
    const largest = Math.max(0, ...wrt.flatMap((w) => Array.from(numeric[w]!, Math.abs)));
    expect(largest, 'some gradient is non-zero').toBeGreaterThan(1e-3);
  }
  return { ...r, numeric };
}

/** d loss / d w by (L(w + h) - L(w - h)) / 2h, one element at a time, h = 1e-6 max(1, |w|). */
async function centralDifferences(exe: Executable, feed: Readonly<Feed>, params: Readonly<Record<string, Float64Array>>, w: string): Promise<Float64Array> {
  const isParam = Object.hasOwn(params, w);
  const base = isParam ? params[w]! : feed[w];
  if (!(base instanceof Float64Array)) throw new Error(`gradCheck: differences need ${w} to be an f32 input or parameter`);
  const lossAt = async (moved: Float64Array): Promise<number> => {
    if (isParam) {
      exe.setParams({ [w]: moved });
      return (await exe.run(feed))['loss']!.data[0]!;
    }
    return (await exe.run({ ...feed, [w]: moved }))['loss']!.data[0]!;
  };
  const out = new Float64Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const h = 1e-6 * Math.max(1, Math.abs(base[i]!));
    const moved = base.slice();
    moved[i] = base[i]! + h;
    const up = await lossAt(moved);
    moved[i] = base[i]! - h;
    const down = await lossAt(moved);
    out[i] = (up - down) / (2 * h);
  }
  if (isParam) exe.setParams({ [w]: base });
  return out;
}
