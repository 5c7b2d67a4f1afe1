// Elementwise primitives: unary math, binary arithmetic with numpy broadcasting, comparisons,
// `where` and `cast`. Each op is one entry: its dtype rule and its scalar function.

import { fail } from '../errors.js';
import { primitive } from '../op.js';
import type { PrimitiveDef, PrimitiveName } from '../op.js';
import { BINARY_FNS, UNARY_FNS } from '../../../runtime/kernel-fns.js';
import type { BinaryFn, KernelFnDef, UnaryFn } from '../../../runtime/kernel-fns.js';
import { numel } from '../types.js';
import type { DType, Tensor } from '../types.js';
import { Grad } from './grad.js';
import { ANY, FLOAT, NUMERIC, broadcastIndexer, broadcastOrFail, requireDType, requireSameDType } from './util.js';

// ---- unary ------------------------------------------------------------------------------

/** The cotangent of x from x, the result y and the result's cotangent g. */
type UnaryVjp = (d: Grad, x: string, y: string, g: string) => string;

function unary<N extends PrimitiveName & UnaryFn>(name: N, doc: string, dtypes: readonly DType[], f: (x: number) => number, vjp: UnaryVjp | 'none'): PrimitiveDef<N> {
  return primitive<N>({
    name,
    cost: UNARY_FNS[name].cost,
    doc,
    category: 'elementwise',
    operands: ['x'],
    infer([x]) {
      requireDType(name, 'x', x!, dtypes);
      return { dtype: x!.dtype, shape: [...x!.shape] };
    },
    evaluate([x], _attrs, out, ctx) {
      const data = ctx.alloc(out.dtype, numel(out.shape));
      const src = x!.data;
      for (let i = 0; i < data.length; i++) data[i] = f(src[i]!);
      return { dtype: out.dtype, shape: out.shape, data };
    },
    vjp: vjp === 'none' ? 'none' : (e, { inputs: [x], output, g }) => [vjp(new Grad(e), x!, output, g)],
  });
}

const stableSigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

// Each VJP is one line of calculus: d/dx of the op, times g.
export const neg = unary(
  'neg',
  'negation, -x',
  NUMERIC,
  (x) => -x,
  (d, _x, _y, g) => d.neg(g),
);
export const abs = unary('abs', 'absolute value |x|', NUMERIC, Math.abs, (d, x, _y, g) => d.mul(g, d.un('sign', x)));
export const exp = unary('exp', 'e to the power x', FLOAT, Math.exp, (d, _x, y, g) => d.mul(g, y));
export const log = unary('log', 'natural logarithm (-inf at 0, nan below)', FLOAT, Math.log, (d, x, _y, g) => d.div(g, x));
// d sqrt(x) = 1 / (2 sqrt(x))
export const sqrt = unary('sqrt', 'square root', FLOAT, Math.sqrt, (d, _x, y, g) => d.div(g, d.mul(d.const(2), y)));
// d x^(-1/2) = -1/2 x^(-3/2) = -1/2 y / x
export const rsqrt = unary(
  'rsqrt',
  'reciprocal square root, 1 / sqrt(x)',
  FLOAT,
  (x) => 1 / Math.sqrt(x),
  (d, x, y, g) => d.mul(g, d.mul(d.const(-0.5), d.div(y, x))),
);
// d tanh = 1 - tanh^2
export const tanh = unary('tanh', 'hyperbolic tangent', FLOAT, Math.tanh, (d, _x, y, g) => d.mul(g, d.sub(d.const(1), d.mul(y, y))));
// d sigmoid = sigmoid (1 - sigmoid)
export const sigmoid = unary('sigmoid', 'logistic function 1 / (1 + exp(-x)), stable for large |x|', FLOAT, stableSigmoid, (d, _x, y, g) =>
  d.mul(g, d.mul(y, d.sub(d.const(1), y))),
);
// The subgradient 0 at x = 0, as every framework takes it.
export const relu = unary(
  'relu',
  'max(x, 0)',
  NUMERIC,
  (x) => (x > 0 ? x : 0),
  (d, x, _y, g) => d.mul(g, d.un('step', x)),
);
export const sign = unary('sign', '-1, 0 or 1 by the sign of x (nan stays nan)', NUMERIC, (x) => (x > 0 ? 1 : x < 0 ? -1 : x), 'none');
export const step = unary('step', 'Heaviside step: 1 where x > 0, else 0', NUMERIC, (x) => (x > 0 ? 1 : 0), 'none');
export const sin = unary('sin', 'sine', FLOAT, Math.sin, (d, x, _y, g) => d.mul(g, d.un('cos', x)));
export const cos = unary('cos', 'cosine', FLOAT, Math.cos, (d, x, _y, g) => d.neg(d.mul(g, d.un('sin', x))));

// ---- binary -----------------------------------------------------------------------------

/** Applies `f` elementwise over broadcast operands, writing a result of `out`'s type. */
function broadcastApply(inputs: readonly Tensor[], out: { dtype: DType; shape: number[] }, alloc: (d: DType, n: number) => Tensor['data'], f: (args: number[]) => number): Tensor {
  const data = alloc(out.dtype, numel(out.shape));
  const index = inputs.map((t) => broadcastIndexer(t.shape, out.shape));
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < data.length; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k]!.data[index[k]!(i)]!;
    data[i] = f(args);
  }
  return { dtype: out.dtype, shape: out.shape, data };
}

/**
 * A binary op over operands of one dtype from `dtypes`; `result` is the result dtype (the
 * operand dtype when omitted). `fi` overrides `f` for i32 operands.
 */
/** Cotangents of a and b at the broadcast result shape; `binary` sums them back to each operand. */
type BinaryVjp = (d: Grad, a: string, b: string, y: string, g: string) => [string, string];

function binary<N extends PrimitiveName & BinaryFn>(
  name: N,
  doc: string,
  dtypes: readonly DType[],
  f: (a: number, b: number) => number,
  options: { result?: DType; fi?: (a: number, b: number) => number; vjp?: BinaryVjp } = {},
): PrimitiveDef<N> {
  const rule = options.vjp;
  const fn: KernelFnDef = BINARY_FNS[name];
  return primitive<N>({
    name,
    cost: fn.cost,
    ...(fn.commutative ? { commutative: true } : {}),
    doc,
    category: 'elementwise',
    operands: ['a', 'b'],
    infer([a, b]) {
      requireDType(name, 'a', a!, dtypes);
      requireDType(name, 'b', b!, dtypes);
      const dtype = requireSameDType(name, [a!, b!]);
      return { dtype: options.result ?? dtype, shape: broadcastOrFail(name, [a!, b!]) };
    },
    evaluate(inputs, _attrs, out, ctx) {
      const g = inputs[0]!.dtype === 'i32' && options.fi ? options.fi : f;
      return broadcastApply(inputs, out, ctx.alloc, ([a, b]) => g(a!, b!));
    },
    vjp: !rule
      ? 'none'
      : (e, { inputs: [a, b], output, g }) => {
          const d = new Grad(e);
          const [ga, gb] = rule(d, a!, b!, output, g);
          return [d.sumToShape(ga, d.shape(a!)), d.sumToShape(gb, d.shape(b!))];
        },
  });
}

// i32 arithmetic wraps around like Wasm and WGSL integer ops.
export const add = binary('add', 'a + b', NUMERIC, (a, b) => a + b, { fi: (a, b) => (a + b) | 0, vjp: (_d, _a, _b, _y, g) => [g, g] });
export const sub = binary('sub', 'a - b', NUMERIC, (a, b) => a - b, { fi: (a, b) => (a - b) | 0, vjp: (d, _a, _b, _y, g) => [g, d.neg(g)] });
export const mul = binary('mul', 'a * b', NUMERIC, (a, b) => a * b, {
  fi: (a, b) => Math.imul(a, b),
  vjp: (d, a, b, _y, g) => [d.mul(g, b), d.mul(g, a)],
});
// Integer division truncates toward zero; dividing by zero gives 0 instead of trapping.
// d(a/b) = 1/b da - a/b^2 db = (da - y db) / b
export const div = binary('div', 'a / b (i32: truncated toward zero, x / 0 = 0)', NUMERIC, (a, b) => a / b, {
  fi: (a, b) => (b === 0 ? 0 : (a / b) | 0),
  vjp: (d, _a, b, y, g) => [d.div(g, b), d.neg(d.div(d.mul(g, y), b))],
});
// d a^b = b a^(b-1) da + a^b log(a) db; the db term is taken as 0 where a <= 0 (log undefined).
export const pow = binary('pow', 'a to the power b', FLOAT, Math.pow, {
  vjp: (d, a, b, y, g) => [d.mul(g, d.mul(b, d.bin('pow', a, d.sub(b, d.const(1))))), d.select(d.bin('gt', a, d.const(0)), d.mul(g, d.mul(y, d.un('log', a))))],
});
// The cotangent goes to the operand that won; ties go to a.
export const max = binary('max', 'elementwise maximum (nan if either is nan)', NUMERIC, Math.max, {
  vjp: (d, a, b, _y, g) => d.route(d.bin('ge', a, b), g),
});
export const min = binary('min', 'elementwise minimum (nan if either is nan)', NUMERIC, Math.min, {
  vjp: (d, a, b, _y, g) => d.route(d.bin('le', a, b), g),
});

// Comparisons: equality on any dtype, ordering on numbers; the result is bool.
export const eq = binary('eq', 'a == b', ANY, (a, b) => +(a === b), { result: 'bool' });
export const ne = binary('ne', 'a != b', ANY, (a, b) => +(a !== b), { result: 'bool' });
export const lt = binary('lt', 'a < b', NUMERIC, (a, b) => +(a < b), { result: 'bool' });
export const le = binary('le', 'a <= b', NUMERIC, (a, b) => +(a <= b), { result: 'bool' });
export const gt = binary('gt', 'a > b', NUMERIC, (a, b) => +(a > b), { result: 'bool' });
export const ge = binary('ge', 'a >= b', NUMERIC, (a, b) => +(a >= b), { result: 'bool' });

// ---- where, cast ------------------------------------------------------------------------

export const where = primitive({
  name: 'where',
  doc: 'a where cond is true, else b (all three broadcast)',
  category: 'elementwise',
  operands: ['cond', 'a', 'b'],
  infer([cond, a, b]) {
    requireDType('where', 'cond', cond!, ['bool']);
    const dtype = requireSameDType('where', [a!, b!]);
    return { dtype, shape: broadcastOrFail('where', [cond!, a!, b!]) };
  },
  evaluate(inputs, _attrs, out, ctx) {
    return broadcastApply(inputs, out, ctx.alloc, ([c, a, b]) => (c ? a! : b!));
  },
  vjp(e, { inputs: [cond, a, b], g }) {
    const d = new Grad(e);
    const [ga, gb] = d.route(cond!, g);
    return [undefined, d.sumToShape(ga, d.shape(a!)), d.sumToShape(gb, d.shape(b!))];
  },
});

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

/** f32 to i32: truncate toward zero, saturate at the i32 range, nan becomes 0. */
function toI32(x: number): number {
  if (Number.isNaN(x)) return 0;
  return Math.trunc(Math.min(Math.max(x, I32_MIN), I32_MAX));
}

export const cast = primitive({
  name: 'cast',
  doc: 'converts to dtype `to` (f32 to i32 truncates and saturates; to bool is x != 0)',
  category: 'elementwise',
  operands: ['x'],
  infer([x], { to }) {
    return { dtype: to, shape: [...x!.shape] };
  },
  evaluate([x], { to }, out, ctx) {
    const data = ctx.alloc(to, numel(out.shape));
    const src = x!.data;
    const f = to === 'bool' ? (v: number) => +(v !== 0) : to === 'i32' && x!.dtype === 'f32' ? toI32 : (v: number) => v;
    for (let i = 0; i < data.length; i++) data[i] = f(src[i]!);
    return { dtype: to, shape: out.shape, data };
  },
  // Only an f32 -> f32 cast carries a gradient; the others pass through integers or bools.
  vjp: (e, { inputs: [x], g, attrs }) => [e.typeOf(x!).dtype === 'f32' && attrs.to === 'f32' ? g : undefined],
});

/** Fails unless a constant's values fit its dtype. */
export function checkValuesFit(op: string, dtype: DType, values: readonly number[]): void {
  const bad = values.find((v) => (dtype === 'bool' ? v !== 0 && v !== 1 : dtype === 'i32' ? !Number.isInteger(v) || v < I32_MIN || v > I32_MAX : false));
  if (bad !== undefined) fail('attr', `${op}: value ${bad} does not fit ${dtype}`);
}
