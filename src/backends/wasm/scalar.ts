// Scalar index and value expressions of one kernel, rendered as Wasm expressions with the
// interpreter's semantics: f32 ops are Wasm's (correctly rounded, so equal to Math.fround of each
// double op); exp, log, tanh and sigmoid the module's own functions (transcendental.ts); sin, cos
// and pow host imports in f64 rounded to f32; random streams mix32 in i32 ops, bit-identical to
// runtime/random.ts. Each kernel function is rendered from an exhaustive table keyed by the
// kernel-fns.ts types, so a new function fails to type-check until it is rendered here.

import { dependsOnData, isPointIndex, linearize, type LinearIndex } from '../../../runtime/kernel-analysis.js';
import { entryOf, isCompareFn, type ArithTable, type CompareTable, type UnaryTable } from '../../../runtime/kernel-fns.js';
import type { IndexExpr, KernelDType, ValueExpr } from '../../../runtime/kernel-ir.js';
import { f32Below, mix32 } from '../../../runtime/random.js';
import { numelOf } from '../../../runtime/tensor.js';
import type { HostMathFn } from '../../../runtime/wasm.js';
import type { Expr, F32x4Binary, FloatBinary, I32Binary, I32x4Binary, ModuleBuilder } from './binaryen.js';
import type { KernelFn } from './kernel-fn.js';
import { wasmType, type Typed } from './kernel-host.js';
import { scalarFn } from './transcendental.js';

const GOLDEN = 0x9e3779b9;
const COUNTER_STEP = 0x85ebca6b;
const TWO_TO_MINUS_24 = 2 ** -24;

/** Renders a function of one operand, already of the table's type. */
type Unary = (f: KernelFn, a: Expr) => Expr;
/** Renders a function of two operands, already of the table's type. */
type Binary = (f: KernelFn, a: Expr, b: Expr) => Expr;

/** f64 host function of f32 operands, rounded back to f32. */
function host(m: ModuleBuilder, fn: HostMathFn, args: Expr[]): Expr {
  return m.convert(
    'f32_from_f64',
    m.call(
      fn,
      args.map((a) => m.convert('f64_from_f32', a)),
      'f64',
    ),
  );
}

const transcendental =
  (fn: 'exp' | 'log' | 'tanh' | 'sigmoid'): Unary =>
  (f, a) =>
    f.m.call(scalarFn(fn), [a], 'f32');

export const UNARY_F32: UnaryTable<'f32', Unary> = {
  neg: (f, a) => f.m.floatUnary('f32', 'neg', a),
  abs: (f, a) => f.m.floatUnary('f32', 'abs', a),
  sqrt: (f, a) => f.m.floatUnary('f32', 'sqrt', a),
  // 1 / sqrt in double, rounded once, as the interpreter computes it
  rsqrt: ({ m }, a) => m.convert('f32_from_f64', m.float('f64', 'div', m.f64Const(1), m.floatUnary('f64', 'sqrt', m.convert('f64_from_f32', a)))),
  relu: (f, a) => f.let('f32', a, (x) => f.m.select(f.m.float('f32', 'gt', x(), f.m.f32Const(0)), x(), f.m.f32Const(0))),
  // nan and ±0 stay as they are
  sign: (f, a) => {
    const m = f.m;
    return f.let('f32', a, (x) => m.select(m.float('f32', 'gt', x(), m.f32Const(0)), m.f32Const(1), m.select(m.float('f32', 'lt', x(), m.f32Const(0)), m.f32Const(-1), x())));
  },
  step: ({ m }, a) => m.select(m.float('f32', 'gt', a, m.f32Const(0)), m.f32Const(1), m.f32Const(0)),
  exp: transcendental('exp'),
  log: transcendental('log'),
  tanh: transcendental('tanh'),
  sigmoid: transcendental('sigmoid'),
  sin: ({ m }, a) => host(m, 'sin', [a]),
  cos: ({ m }, a) => host(m, 'cos', [a]),
};

export const UNARY_I32: UnaryTable<'i32', Unary> = {
  neg: ({ m }, a) => m.i32('sub', m.i32Const(0), a),
  // wraps: |-2^31| is -2^31
  abs: (f, a) => f.let('i32', a, (x) => f.m.select(f.m.i32('lt_s', x(), f.m.i32Const(0)), f.m.i32('sub', f.m.i32Const(0), x()), x())),
  relu: (f, a) => f.let('i32', a, (x) => f.m.select(f.m.i32('gt_s', x(), f.m.i32Const(0)), x(), f.m.i32Const(0))),
  sign: (f, a) => {
    const m = f.m;
    return f.let('i32', a, (x) => m.select(m.i32('gt_s', x(), m.i32Const(0)), m.i32Const(1), m.select(m.i32('lt_s', x(), m.i32Const(0)), m.i32Const(-1), m.i32Const(0))));
  },
  step: ({ m }, a) => m.i32('gt_s', a, m.i32Const(0)),
};

/** Comparisons: the f32 op and the signed i32 op, whose names the scalar and the f32x4/i32x4 forms share (simd.ts renders from this table too). */
export const COMPARE: CompareTable<[FloatBinary & F32x4Binary, I32Binary & I32x4Binary]> = {
  eq: ['eq', 'eq'],
  ne: ['ne', 'ne'],
  lt: ['lt', 'lt_s'],
  le: ['le', 'le_s'],
  gt: ['gt', 'gt_s'],
  ge: ['ge', 'ge_s'],
};

const f32Op =
  (op: FloatBinary): Binary =>
  ({ m }, a, b) =>
    m.float('f32', op, a, b);

export const BINARY_F32: ArithTable<'f32', Binary> = {
  add: f32Op('add'),
  sub: f32Op('sub'),
  mul: f32Op('mul'),
  div: f32Op('div'),
  // nan propagates, and max(-0, 0) is 0, as Math.max
  max: f32Op('max'),
  min: f32Op('min'),
  pow: ({ m }, a, b) => m.convert('f32_from_f64', m.call('pow', [m.convert('f64_from_f32', a), m.convert('f64_from_f32', b)], 'f64')),
};

/** max or min of two i32 by a signed comparison. */
const pickI32 =
  (op: 'gt_s' | 'lt_s'): Binary =>
  (f, a, b) => {
    const m = f.m;
    const [x, y] = [f.local('i32'), f.local('i32')];
    const [gx, gy] = [() => m.get(x, 'i32'), () => m.get(y, 'i32')];
    return m.block([m.set(x, a), m.set(y, b), m.select(m.i32(op, gx(), gy()), gx(), gy())], 'i32');
  };

export const BINARY_I32: ArithTable<'i32', Binary> = {
  add: ({ m }, a, b) => m.i32('add', a, b),
  sub: ({ m }, a, b) => m.i32('sub', a, b),
  mul: ({ m }, a, b) => m.i32('mul', a, b),
  // Truncates; x / 0 is 0 and -2^31 / -1 wraps to -2^31 instead of trapping.
  div: (f, a, b) => {
    const m = f.m;
    const [x, y] = [f.local('i32'), f.local('i32')];
    const [gx, gy] = [() => m.get(x, 'i32'), () => m.get(y, 'i32')];
    const body = m.if(m.i32Unary('eqz', gy()), m.i32Const(0), m.if(m.i32('eq', gy(), m.i32Const(-1)), m.i32('sub', m.i32Const(0), gx()), m.i32('div_s', gx(), gy())));
    return m.block([m.set(x, a), m.set(y, b), body], 'i32');
  },
  max: pickI32('gt_s'),
  min: pickI32('lt_s'),
};

/** The scalar renderer of one kernel's index and value expressions. */
export class ScalarGen {
  private readonly m: ModuleBuilder;

  constructor(private readonly f: KernelFn) {
    this.m = f.m;
  }

  linear(l: LinearIndex): Expr {
    const m = this.m;
    let e: Expr | undefined;
    for (const { axis, coeff } of l.terms) {
      const v = m.get(this.f.vars[axis]!, 'i32');
      const term = coeff === 1 ? v : m.i32('mul', v, m.i32Const(coeff));
      e = e === undefined ? term : m.i32('add', e, term);
    }
    if (e === undefined) return m.i32Const(l.constant);
    return l.constant === 0 ? e : m.i32('add', e, m.i32Const(l.constant));
  }

  index(e: IndexExpr): Expr {
    const l = linearize(e, this.f.sizes);
    if (l) return this.linear(l);
    const [m, f] = [this.m, this.f];
    switch (e.k) {
      case 'add':
        return m.i32('add', this.index(e.a), this.index(e.b));
      case 'mul':
        return m.i32('mul', this.index(e.a), m.i32Const(e.by));
      case 'div': // floor division: the truncated quotient, one less when the remainder is negative
        return f.let('i32', this.index(e.a), (a) => m.i32('sub', m.i32('div_s', a(), m.i32Const(e.by)), m.i32('lt_s', m.i32('rem_s', a(), m.i32Const(e.by)), m.i32Const(0))));
      case 'mod':
        return f.let('i32', m.i32('rem_s', this.index(e.a), m.i32Const(e.by)), (r) => m.select(m.i32('lt_s', r(), m.i32Const(0)), m.i32('add', r(), m.i32Const(e.by)), r()));
      case 'value': {
        const v = this.coerce(this.value(e.v), 'i32');
        return f.let('i32', v, (i) => m.block([m.if(m.i32('ge_u', i(), m.i32Const(e.size)), m.call('gather_range', [i(), m.i32Const(e.size)], 'none')), i()], 'i32'));
      }
      case 'var':
      case 'const':
        return m.i32Const(0); // always linear
    }
  }

  coerce(v: Typed, t: 'i32' | 'f32'): Expr {
    if (v.t === t) return v.e;
    return t === 'f32' ? this.m.convert('f32_from_i32', v.e) : this.m.convert('i32_from_f32_sat', v.e);
  }

  private load(e: Extract<ValueExpr, { k: 'load' }>): Typed {
    const [m, f] = [this.m, this.f];
    const spec = f.p.buffers.find((b) => b.name === e.buffer) ?? f.error(`loads unknown buffer '${e.buffer}'`);
    const bytes = f.layout.elementBytes.get(spec.name)!;
    const offset = f.layout.offsets.get(spec.name)!;
    const t = wasmType(spec.dtype);
    const at = (i: Expr): Expr => m.load(t, bytes, offset, bytes === 4 ? m.i32('shl', i, m.i32Const(2)) : i);
    if (isPointIndex(e.index, f.k.shape, f.sizes)) return { e: at(m.get(f.point, 'i32')), t };
    const index = this.index(e.index);
    if (!dependsOnData(e.index)) return { e: at(index), t };
    // An index read from data is checked against the whole buffer, as the interpreter does.
    const n = numelOf(spec.shape);
    const which = f.p.buffers.indexOf(spec);
    const checked = f.let(
      'i32',
      index,
      (i) => m.block([m.if(m.i32('ge_u', i(), m.i32Const(n)), m.call('load_range', [m.i32Const(f.kernelIndex), m.i32Const(which), i()], 'none')), at(i())], t),
      t,
    );
    return { e: checked, t };
  }

  value(e: ValueExpr): Typed {
    const [m, f] = [this.m, this.f];
    switch (e.k) {
      case 'load':
        return this.load(e);
      case 'const':
        if (e.dtype === 'f32') return { e: m.f32Const(Math.fround(e.value)), t: 'f32' };
        return { e: m.i32Const(e.dtype === 'i32' ? e.value | 0 : e.value !== 0 ? 1 : 0), t: 'i32' };
      case 'unary': {
        const t = e.dtype === 'f32' ? 'f32' : 'i32';
        const a = this.coerce(this.value(e.a), t);
        const render = entryOf<string, Unary>(t === 'f32' ? UNARY_F32 : UNARY_I32, e.fn) ?? f.error(`${e.fn} is not defined on i32`);
        return { e: render(f, a), t };
      }
      case 'binary':
        return this.binary(e);
      case 'where': {
        // Only the chosen branch runs: a guarded load (pad, a masked gather) may be out of range.
        const c = this.value(e.cond);
        const cond = c.t === 'f32' ? m.float('f32', 'ne', c.e, m.f32Const(0)) : c.e;
        const t = wasmType(e.dtype);
        return { e: m.if(cond, this.coerce(this.value(e.a), t), this.coerce(this.value(e.b), t)), t };
      }
      case 'cast':
        return this.cast(this.value(e.a), e.a.dtype, e.dtype);
      case 'index':
        return { e: this.index(e.index), t: 'i32' };
      case 'random':
        return { e: this.random(e), t: 'f32' };
      case 'acc': {
        const acc = f.acc ?? f.error('reads the reduction result but has no reduction');
        return { e: this.coerce({ e: m.get(acc.local, acc.t), t: acc.t }, wasmType(e.dtype)), t: wasmType(e.dtype) };
      }
    }
  }

  private binary(e: Extract<ValueExpr, { k: 'binary' }>): Typed {
    const m = this.m;
    const t = wasmType(e.a.dtype);
    const [a, b] = [this.coerce(this.value(e.a), t), this.coerce(this.value(e.b), t)];
    if (isCompareFn(e.fn)) {
      const [fop, iop] = COMPARE[e.fn];
      return { e: t === 'f32' ? m.float('f32', fop, a, b) : m.i32(iop, a, b), t: 'i32' };
    }
    const render = entryOf<string, Binary>(t === 'f32' ? BINARY_F32 : BINARY_I32, e.fn) ?? this.f.error(`${e.fn} is not defined on ${e.a.dtype}`);
    return { e: render(this.f, a, b), t };
  }

  private cast(v: Typed, from: KernelDType, to: KernelDType): Typed {
    const m = this.m;
    if (to === 'bool') {
      if (from === 'bool') return v;
      return { e: v.t === 'f32' ? m.float('f32', 'ne', v.e, m.f32Const(0)) : m.i32('ne', v.e, m.i32Const(0)), t: 'i32' }; // nan counts as true
    }
    // f32 → i32 truncates and saturates with nan → 0: exactly trunc_sat.
    return { e: this.coerce(v, wasmType(to)), t: wasmType(to) };
  }

  // ---- random streams --------------------------------------------------------------------

  /** The 24-bit fraction of randomBits(stream, counter), as f64 in [0, 1) plus `plusOne` ulps of 2^-24. */
  private fraction(base: Expr, counter: Expr, plusOne: boolean): Expr {
    const m = this.m;
    const bits = m.call('mix32', [m.i32('add', base, m.i32('mul', counter, m.i32Const(COUNTER_STEP)))], 'i32');
    let top = m.i32('shr_u', bits, m.i32Const(8));
    if (plusOne) top = m.i32('add', top, m.i32Const(1));
    return m.float('f64', 'mul', m.convert('f64_from_u32', top), m.f64Const(TWO_TO_MINUS_24));
  }

  private random(e: Extract<ValueExpr, { k: 'random' }>): Expr {
    const m = this.m;
    // The stream's base mix32(stream ^ GOLDEN): a constant unless a key selects the stream.
    const base = e.key
      ? m.call(
          'mix32',
          [m.i32('xor', m.call('mix32', [m.i32('xor', m.i32Const(e.seed), m.call('mix32', [this.coerce(this.value(e.key), 'i32')], 'i32'))], 'i32'), m.i32Const(GOLDEN))],
          'i32',
        )
      : m.i32Const(mix32(e.seed ^ GOLDEN));
    const counter = this.index(e.counter);
    const { a, b } = e;
    if (e.dist === 'uniform') {
      return this.f.let(
        'i32',
        base,
        (bs) => {
          const v = m.convert('f32_from_f64', m.float('f64', 'add', m.f64Const(a), m.float('f64', 'mul', m.f64Const(b - a), this.fraction(bs(), counter, false))));
          if (!(a < b)) return v;
          // f32 rounding must not land on the upper bound.
          return this.f.let('f32', v, (x) => m.select(m.float('f64', 'ge', m.convert('f64_from_f32', x()), m.f64Const(b)), m.f32Const(f32Below(b)), x()));
        },
        'f32',
      );
    }
    // Box–Muller over fractions 2c (shifted into (0, 1]) and 2c + 1.
    const [bl, cl] = [this.f.local('i32'), this.f.local('i32')];
    const [bs, c2] = [() => m.get(bl, 'i32'), () => m.i32('mul', m.get(cl, 'i32'), m.i32Const(2))];
    const radius = this.fraction(bs(), c2(), true);
    const angle = this.fraction(bs(), m.i32('add', c2(), m.i32Const(1)), false);
    const normal = m.float(
      'f64',
      'mul',
      m.floatUnary('f64', 'sqrt', m.float('f64', 'mul', m.f64Const(-2), m.call('log', [radius], 'f64'))),
      m.call('cos', [m.float('f64', 'mul', m.f64Const(2 * Math.PI), angle)], 'f64'),
    );
    const v = m.convert('f32_from_f64', m.float('f64', 'add', m.f64Const(a), m.float('f64', 'mul', m.f64Const(b), normal)));
    return m.block([m.set(bl, base), m.set(cl, counter), v], 'f32');
  }
}
