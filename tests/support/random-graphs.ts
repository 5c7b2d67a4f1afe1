// A seeded generator of valid random graphs (concrete shapes, several outputs) and their inputs,
// for tests that compare a transformed graph with the original on the reference backend
// (`compareOnReference`).
//
// Every value carries a bound on its magnitude (and, where known, a positive lower bound), so
// the generator can keep ops away from overflow and domain errors by construction: log, sqrt,
// rsqrt and division only see values bounded away from 0, exp only small arguments, and a value
// that grew large is tamed (tanh, or a division by a constant) before it is used again. The
// bounds assume the inputs `randomInputs` makes: f32 in [-2, 2], i32 in [-3, 3].
//
// Besides ordinary layers the generator plants what the optimizer looks for: ops of constants,
// duplicate subexpressions, x * 1, neg(neg(x)), transposes that cancel, reshape chains, whole
// slices, where(c, x, x), i32 x * 0 and x - x, and so on.

import { compile } from '../../src/compile.js';
import { graphSymbols } from '../../src/ir/bind.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { SLICE_END } from '../../src/ir/ops/movement.js';
import { mix32 } from '../../src/ir/random.js';
import { broadcastShapes, isConcrete, numel } from '../../src/ir/types.js';
import type { DType, Tensor } from '../../src/ir/types.js';
import type { TensorLike } from '../../runtime/tensor.js';
import { closeEnough } from '../conformance/tolerance.js';

export interface RandomGraphOptions {
  /** About how many ops to emit (default 24). */
  ops?: number;
  /** How many outputs (default 2 to 4, drawn). */
  outputs?: number;
  /** Whether i32 inputs and integer arithmetic may appear (default true). */
  integers?: boolean;
  /** Whether composites (softmax, mean, dense) may appear (default true). */
  composites?: boolean;
  /** The largest dim (default 5). */
  maxDim?: number;
}

/** A deterministic stream of numbers in [0, 1), from one seed. */
class Rng {
  private i = 0;
  constructor(private readonly seed: number) {}
  next(): number {
    return mix32((mix32(this.seed ^ 0x5bd1e995) + Math.imul(this.i++, 0x9e3779b9)) | 0) / 2 ** 32;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** A value of the graph being built: its name, concrete type and what is known of its range. */
interface Value {
  name: string;
  dtype: DType;
  shape: number[];
  /** |v| <= mag for every element. */
  mag: number;
  /** v >= lo > 0 for every element, when known. */
  lo?: number;
}

/** Magnitudes above this are tamed before further arithmetic. */
const LARGE = 1e3;

class Generator {
  readonly b: GraphBuilder;
  private readonly pool: Value[] = [];
  /** Values some node reads: picking the others first keeps most of the graph live. */
  private readonly read = new Set<string>();
  private readonly maxDim: number;
  private params = 0;
  private inputs = 0;

  constructor(
    private readonly rng: Rng,
    options: RandomGraphOptions,
    name: string,
  ) {
    this.b = new GraphBuilder(name);
    this.maxDim = options.maxDim ?? 5;
  }

  // ---- values -----------------------------------------------------------------------------

  private add(v: Value): Value {
    this.pool.push(v);
    return v;
  }

  private emit(op: string, inputs: readonly Value[], attrs: Record<string, unknown>, range: { mag: number; lo?: number }): Value {
    const name = this.b.emitDynamic(
      op,
      inputs.map((v) => v.name),
      attrs,
    );
    for (const v of inputs) this.read.add(v.name);
    const t = this.b.typeOf(name);
    if (!isConcrete(t.shape)) throw new Error(`random graph: ${op} made a symbolic shape`);
    const v: Value = { name, dtype: t.dtype, shape: [...t.shape], mag: Math.min(range.mag, 2 ** 31) };
    if (range.lo !== undefined && range.lo > 0) v.lo = range.lo;
    return this.add(v);
  }

  shape(rank = this.rng.int(0, 3)): number[] {
    return Array.from({ length: rank }, () => this.rng.int(1, this.maxDim));
  }

  input(dtype: DType, shape: number[]): Value {
    const name = this.b.input(`x${this.inputs++}`, { dtype, shape });
    return this.add({ name, dtype, shape, mag: dtype === 'f32' ? 2 : 3 });
  }

  param(shape: number[]): Value {
    const name = this.b.param(`p${this.params++}`, { dtype: 'f32', shape }, { fn: 'glorot_uniform', args: { seed: this.rng.int(1, 1000) } });
    return { name, dtype: 'f32', shape, mag: 2 };
  }

  constant(dtype: DType, shape: number[], splat = this.rng.chance(0.6)): Value {
    const n = numel(shape);
    const draw = () => (dtype === 'f32' ? this.rng.pick([0, 1, -1, 0.5, 2, 3, -0.25, 1.5]) : this.rng.int(-3, 3));
    const value = splat || n > 24 ? [draw()] : Array.from({ length: n }, draw);
    const v = this.emit('constant', [], { dtype, shape, value }, { mag: Math.max(...value.map(Math.abs)) });
    const min = Math.min(...value);
    if (min > 0) v.lo = min;
    return v;
  }

  /** A recent value of the dtype, biased towards the newest and towards those nothing reads yet. */
  pick(dtype: DType = 'f32'): Value | undefined {
    const all = this.pool.filter((v) => v.dtype === dtype);
    const unread = all.filter((v) => !this.read.has(v.name));
    const of = unread.length && this.rng.chance(0.6) ? unread : all;
    if (of.length === 0) return undefined;
    return of[of.length - 1 - Math.floor(this.rng.next() ** 2 * of.length)]!;
  }

  /** `v` with a magnitude small enough for more arithmetic. */
  tame(v: Value): Value {
    if (v.dtype !== 'f32' || v.mag <= LARGE) return v;
    if (this.rng.chance(0.5)) return this.emit('tanh', [v], {}, { mag: 1 });
    // A power of two exercises div-pow2; 3 stays a division.
    const c = this.rng.chance(0.5) ? 2 ** Math.ceil(Math.log2(v.mag)) : 3 * v.mag;
    const k = this.emit('constant', [], { dtype: 'f32', shape: [], value: [c] }, { mag: c, lo: c });
    return this.emit('div', [v, k], {}, { mag: v.mag / c });
  }

  /** `v` mapped to values >= some positive bound: safe under log, sqrt and as a divisor. */
  positive(v: Value): Value {
    if (v.lo !== undefined && v.lo >= 0.1) return v;
    v = this.tame(v);
    if (this.rng.chance(0.5)) {
      const t = this.emit('tanh', [v], {}, { mag: 1 });
      return this.emit('exp', [t], {}, { mag: Math.E, lo: 1 / Math.E });
    }
    const a = this.emit('abs', [v], {}, { mag: v.mag });
    const c = this.rng.pick([0.5, 1]);
    const k = this.emit('constant', [], { dtype: 'f32', shape: [], value: [c] }, { mag: c, lo: c });
    return this.emit('add', [a, k], {}, { mag: v.mag + c, lo: c });
  }

  /** A shape that broadcasts with `shape`: a suffix, some dims set to 1, or a larger shape. */
  partnerShape(shape: readonly number[]): number[] {
    switch (this.rng.int(0, 4)) {
      case 0:
        return [...shape];
      case 1:
        return shape.slice(this.rng.int(0, shape.length));
      case 2:
        return shape.map((d) => (this.rng.chance(0.4) ? 1 : d));
      case 3:
        return shape.length < 4 ? [this.rng.int(1, this.maxDim), ...shape] : [...shape];
      default:
        return shape.map((d) => (d === 1 ? this.rng.int(1, this.maxDim) : d));
    }
  }

  /** An operand for a binary op with `a`: a compatible value from the pool, a constant or a new input. */
  partner(a: Value): Value {
    const compatible = this.pool.filter((v) => v.dtype === a.dtype && v !== a && broadcastShapes([v.shape, a.shape]) !== undefined && numel(v.shape) > 0);
    const r = this.rng.next();
    if (r < 0.45 && compatible.length) return this.tame(this.rng.pick(compatible));
    if (r < 0.75) return this.constant(a.dtype, this.partnerShape(a.shape));
    if (r < 0.85) return this.input(a.dtype, this.partnerShape(a.shape));
    return a;
  }

  // ---- ops ----------------------------------------------------------------------------------

  unary(): Value | undefined {
    const x = this.tame(this.pick()!);
    const op = this.rng.pick(['neg', 'abs', 'relu', 'tanh', 'sigmoid', 'sin', 'cos', 'sign', 'step', 'exp', 'log', 'sqrt', 'rsqrt', 'square']);
    switch (op) {
      case 'exp': {
        const small = x.mag <= 8 ? x : this.emit('tanh', [x], {}, { mag: 1 });
        return this.emit('exp', [small], {}, { mag: Math.exp(small.mag), lo: Math.exp(-small.mag) });
      }
      case 'log': {
        const p = this.positive(x);
        return this.emit('log', [p], {}, { mag: Math.max(Math.abs(Math.log(p.lo!)), Math.log(p.mag)) });
      }
      case 'sqrt': {
        const p = this.positive(x);
        return this.emit('sqrt', [p], {}, { mag: Math.sqrt(p.mag), lo: Math.sqrt(p.lo!) });
      }
      case 'rsqrt': {
        const p = this.positive(x);
        return this.emit('rsqrt', [p], {}, { mag: 1 / Math.sqrt(p.lo!), lo: 1 / Math.sqrt(p.mag) });
      }
      case 'square':
        return this.emit('square', [x], {}, { mag: x.mag * x.mag });
      case 'neg':
      case 'abs':
      case 'relu':
        return this.emit(op, [x], {}, { mag: x.mag });
      default:
        return this.emit(op, [x], {}, { mag: 1 });
    }
  }

  binary(): Value | undefined {
    const a = this.tame(this.pick()!);
    const op = this.rng.pick(['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'add', 'mul']);
    if (op === 'div') {
      const d = this.rng.chance(0.3)
        ? this.constant(
            'f32',
            this.partnerShape(a.shape).map(() => 1),
            true,
          )
        : this.positive(this.partner(a));
      if (!(d.lo! > 0)) return undefined; // a constant divisor that is not positive
      return this.emit('div', [a, d], {}, { mag: a.mag / d.lo! });
    }
    if (op === 'pow') {
      const e = this.rng.pick([1, 2, 3, 0.5]);
      const base = e === 0.5 ? this.positive(a) : a;
      const k = this.emit('constant', [], { dtype: 'f32', shape: [], value: [e] }, { mag: e });
      return this.emit('pow', [base, k], {}, { mag: Math.max(1, base.mag) ** Math.max(1, e) });
    }
    const b = this.partner(a);
    const [x, y] = this.rng.chance(0.5) ? [a, b] : [b, a];
    const mag = op === 'mul' ? a.mag * b.mag : op === 'max' || op === 'min' ? Math.max(a.mag, b.mag) : a.mag + b.mag;
    return this.emit(op, [x, y], {}, { mag });
  }

  /** A comparison, used by where or cast. */
  compare(): Value {
    const a = this.tame(this.pick()!);
    const b = this.rng.chance(0.5) ? this.constant('f32', [], true) : this.partner(a);
    return this.emit(this.rng.pick(['gt', 'lt', 'ge', 'le', 'eq', 'ne']), [a, b], {}, { mag: 1 });
  }

  where(): Value | undefined {
    const c = this.compare();
    const a = this.tame(this.pick()!);
    const b = this.rng.chance(0.2) ? a : this.partner(a);
    const out = broadcastShapes([c.shape, a.shape, b.shape]);
    if (!out) return this.emit('cast', [c], { to: 'f32' }, { mag: 1 });
    return this.emit('where', [c, a, b], {}, { mag: Math.max(a.mag, b.mag) });
  }

  cast(): Value | undefined {
    const x = this.pick()!;
    switch (this.rng.int(0, 2)) {
      case 0:
        return this.emit('cast', [x], { to: 'f32' }, { mag: x.mag }); // to its own dtype
      case 1: {
        const t = this.tame(x);
        const i = this.emit('cast', [t], { to: 'i32' }, { mag: t.mag });
        return this.emit('cast', [i], { to: 'f32' }, { mag: t.mag });
      }
      default:
        return this.emit('cast', [this.compare()], { to: 'f32' }, { mag: 1 });
    }
  }

  reduce(): Value | undefined {
    const x = this.tame(this.pick()!);
    const rank = x.shape.length;
    if (this.rng.chance(0.2) && rank > 0) {
      const axis = this.rng.int(-rank, rank - 1);
      const i = this.emit('argmax', [x], { axis, keepdims: this.rng.chance(0.3) }, { mag: this.maxDim });
      return this.emit('cast', [i], { to: 'f32' }, { mag: this.maxDim });
    }
    const axes = this.rng
      .shuffle([...Array(rank).keys()])
      .slice(0, this.rng.int(0, rank))
      .map((a) => (this.rng.chance(0.3) ? a - rank : a));
    const keepdims = this.rng.chance(0.5);
    const count = axes.reduce((n, a) => n * x.shape[a < 0 ? a + rank : a]!, 1);
    const op = this.rng.pick(['reduce_sum', 'reduce_max', 'reduce_sum']);
    return this.emit(op, [x], { axes, keepdims }, { mag: op === 'reduce_sum' ? x.mag * count : x.mag });
  }

  /** A new shape with the same number of elements, of rank 0 to 3. */
  refactor(shape: readonly number[]): number[] {
    let n = numel(shape);
    const factors: number[] = [];
    for (let p = 2; n > 1; p++) {
      while (n % p === 0) {
        factors.push(p);
        n /= p;
      }
    }
    const rank = factors.length === 0 ? this.rng.int(0, 2) : this.rng.int(1, 3);
    const dims = new Array<number>(rank).fill(1);
    for (const f of factors) dims[this.rng.int(0, rank - 1)]! *= f;
    return dims;
  }

  movement(): Value | undefined {
    const x = this.pick(this.rng.chance(0.85) ? 'f32' : 'i32') ?? this.pick()!;
    const rank = x.shape.length;
    const kind = this.rng.pick(['reshape', 'reshape2', 'transpose', 'transpose2', 'slice', 'pad', 'concat', 'broadcast', 'broadcast2']);
    switch (kind) {
      case 'reshape':
        return this.emit('reshape', [x], { shape: this.rng.chance(0.15) ? x.shape : this.refactor(x.shape) }, x);
      case 'reshape2': {
        const r = this.emit('reshape', [x], { shape: this.refactor(x.shape) }, x);
        return this.emit('reshape', [r], { shape: this.refactor(x.shape) }, x);
      }
      case 'transpose':
      case 'transpose2': {
        if (rank < 2) return undefined;
        const perm = this.rng.chance(0.15) ? [...Array(rank).keys()] : this.rng.shuffle([...Array(rank).keys()]);
        const t = this.emit('transpose', [x], { perm }, x);
        if (kind === 'transpose') return t;
        // Often the inverse, so the pair cancels.
        const back = this.rng.chance(0.5) ? perm.map((_, i) => perm.indexOf(i)) : this.rng.shuffle([...Array(rank).keys()]);
        return this.emit('transpose', [t], { perm: back }, x);
      }
      case 'slice': {
        const whole = this.rng.chance(0.2);
        const begin: number[] = [];
        const end: number[] = [];
        const stride: number[] = [];
        for (const d of x.shape) {
          const b0 = whole ? 0 : this.rng.int(0, d - 1);
          const e0 = whole ? d : this.rng.int(b0 + 1, d);
          begin.push(this.rng.chance(0.3) ? b0 - d : b0);
          end.push(e0 === d && this.rng.chance(0.5) ? SLICE_END : e0);
          stride.push(whole ? 1 : this.rng.pick([1, 1, 2]));
        }
        return this.emit('slice', [x], { begin, end, stride }, x);
      }
      case 'pad': {
        const none = this.rng.chance(0.2);
        const pads = () => x.shape.map(() => (none ? 0 : this.rng.int(0, 2)));
        const value = x.dtype === 'f32' ? this.rng.pick([0, 1, -1.5]) : this.rng.int(-2, 2);
        return this.emit('pad', [x], { before: pads(), after: pads(), value }, { mag: Math.max(x.mag, Math.abs(value)) });
      }
      case 'concat': {
        if (rank === 0) return undefined;
        const axis = this.rng.int(-rank, rank - 1);
        const a = axis < 0 ? axis + rank : axis;
        const parts = [x];
        for (let k = this.rng.int(0, 2); k > 0; k--) {
          const shape = x.shape.map((d, i) => (i === a ? this.rng.int(1, this.maxDim) : d));
          const same = this.pool.filter((v) => v.dtype === x.dtype && v.shape.length === rank && v.shape.every((d, i) => i === a || d === shape[i]));
          parts.push(this.rng.chance(0.5) && same.length ? this.tame(this.rng.pick(same)) : this.constant(x.dtype, shape));
        }
        return this.emit('concat', parts, { axis }, { mag: Math.max(...parts.map((p) => p.mag)) });
      }
      case 'broadcast2': {
        // reshape to [1, ...shape], then broadcast twice: each step adds a leading axis.
        if (rank > 2) return undefined;
        const r = this.emit('reshape', [x], { shape: [1, ...x.shape] }, x);
        const b = this.emit('broadcast_to', [r], { shape: [this.rng.int(1, this.maxDim), ...x.shape] }, x);
        return this.rng.chance(0.5) ? b : this.emit('broadcast_to', [b], { shape: [this.rng.int(1, 3), ...b.shape] }, x);
      }
      default: {
        const source = this.rng.chance(0.2) ? this.constant(x.dtype, this.shape(this.rng.int(0, 2)), true) : x;
        const target = this.rng.chance(0.2)
          ? [...source.shape]
          : this.partnerShape(source.shape).map((d, i, s) => {
              const k = i - (s.length - source.shape.length);
              return k >= 0 && source.shape[k] !== 1 ? source.shape[k]! : d;
            });
        if (target.length < source.shape.length) return undefined;
        return this.emit('broadcast_to', [source], { shape: target }, source);
      }
    }
  }

  matmul(): Value | undefined {
    let a = this.tame(this.pick()!);
    if (a.shape.length === 0) return undefined;
    if (a.shape.length === 1) a = this.emit('reshape', [a], { shape: [1, a.shape[0]!] }, a);
    const k = a.shape[a.shape.length - 1]!;
    const n = this.rng.int(1, this.maxDim);
    const r = this.rng.next();
    const w = r < 0.5 ? this.param([k, n]) : r < 0.75 ? this.constant('f32', [k, n], false) : this.input('f32', [k, n]);
    const [x, y] = this.rng.chance(0.2) ? [this.emit('transpose', [w], { perm: [1, 0] }, w), a] : [a, w];
    if (x === a) return this.emit('matmul', [a, w], {}, { mag: k * a.mag * w.mag });
    // w^T [n, k] times a^T [.., k, m]: transpose a's last two axes.
    const rank = a.shape.length;
    const perm = [...Array(rank).keys()];
    [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
    const at = this.emit('transpose', [y], { perm }, y);
    return this.emit('matmul', [x, at], {}, { mag: k * a.mag * w.mag });
  }

  composite(): Value | undefined {
    const x = this.tame(this.pick()!);
    const rank = x.shape.length;
    const kind = this.rng.pick(['softmax', 'mean', 'dense', 'log_softmax']);
    if (kind === 'mean') {
      const axes = this.rng.shuffle([...Array(rank).keys()]).slice(0, this.rng.int(0, rank));
      return this.emit('mean', [x], { axes, keepdims: this.rng.chance(0.5) }, x);
    }
    if (rank === 0 || (kind === 'dense' && rank < 2)) return undefined;
    if (kind === 'dense') {
      const k = x.shape[rank - 1]!;
      const n = this.rng.int(1, this.maxDim);
      const w = this.param([k, n]);
      const bias = this.param([n]);
      const y = this.emit('dense', [x, w, bias], {}, { mag: k * x.mag * 2 + 2 });
      return this.rng.chance(0.5) ? this.emit('relu', [y], {}, y) : y;
    }
    const axis = this.rng.int(-rank, rank - 1);
    if (kind === 'softmax') return this.emit('softmax', [x], { axis }, { mag: 1 });
    return this.emit('log_softmax', [x], { axis }, { mag: 2 * x.mag + Math.log(numel(x.shape)) + 1 });
  }

  /** Ops of constants only: constant folding turns them into one constant. */
  constants(): Value | undefined {
    const x = this.pick()!;
    const c1 = this.constant('f32', this.partnerShape(x.dtype === 'f32' ? x.shape : []));
    const c2 = this.rng.chance(0.5)
      ? this.emit(this.rng.pick(['neg', 'exp', 'abs', 'tanh']), [c1], {}, { mag: Math.exp(c1.mag) })
      : this.emit('mul', [c1, this.constant('f32', [], true)], {}, { mag: c1.mag * 3 });
    if (x.dtype !== 'f32') return c2;
    return this.emit(this.rng.pick(['add', 'mul']), [this.tame(x), this.tame(c2)], {}, { mag: (x.mag + 1) * (Math.min(c2.mag, LARGE) + 1) });
  }

  /** An identity the simplifier knows, applied to a recent value. */
  identity(): Value | undefined {
    const x = this.tame(this.pick()!);
    const one = (v: number) => this.emit('constant', [], { dtype: 'f32', shape: [], value: [v] }, { mag: Math.abs(v) });
    switch (this.rng.int(0, 7)) {
      case 0:
        return this.emit('mul', [x, one(1)], {}, x);
      case 1:
        return this.emit('add', [one(0), x], {}, x);
      case 2: {
        const n = this.emit('neg', [x], {}, x);
        return this.emit('neg', [n], {}, x);
      }
      case 3: {
        const y = this.partner(x);
        return this.emit('sub', [x, this.emit('neg', [y], {}, y)], {}, { mag: x.mag + y.mag });
      }
      case 4: {
        const y = this.partner(x);
        return this.emit('add', [this.emit('neg', [y], {}, y), x], {}, { mag: x.mag + y.mag });
      }
      case 5: {
        const t = this.emit('tanh', [x], {}, { mag: 1 });
        return this.emit('log', [this.emit('exp', [t], {}, { mag: Math.E, lo: 1 / Math.E })], {}, { mag: 1 });
      }
      case 6:
        return this.emit('sub', [x, one(0)], {}, x);
      default:
        return this.emit('div', [x, one(1)], {}, x);
    }
  }

  /** The same op on the same operands again: CSE merges it with the first. */
  duplicate(): Value | undefined {
    const nodes = this.b.build().nodes.filter((n) => n.op !== 'constant');
    if (nodes.length === 0) return undefined;
    const n = this.rng.pick(nodes);
    const first = this.pool.find((v) => v.name === n.name);
    if (!first) return undefined;
    return this.emit(
      n.op,
      n.inputs.map((i) => this.pool.find((v) => v.name === i) ?? { name: i, dtype: 'f32', shape: [], mag: 2 }),
      n.attrs,
      first,
    );
  }

  integer(): Value | undefined {
    const x = this.pick('i32');
    if (!x || x.mag > LARGE) return undefined;
    switch (this.rng.int(0, 5)) {
      case 0: {
        const y = this.pick('i32')!;
        const op = this.rng.pick(['add', 'sub', 'mul', 'max', 'min', 'div']);
        if (!broadcastShapes([x.shape, y.shape])) return undefined;
        return this.emit(op, [x, y], {}, { mag: op === 'mul' ? x.mag * y.mag : x.mag + y.mag });
      }
      case 1:
        return this.emit('mul', [x, this.constant('i32', [], true)], {}, { mag: 3 * x.mag });
      case 2: {
        const zero = this.emit('constant', [], { dtype: 'i32', shape: [], value: [0] }, { mag: 0 });
        return this.emit('mul', [zero, x], {}, { mag: 0 }); // i32 x * 0 = 0
      }
      case 3:
        return this.emit('sub', [x, x], {}, { mag: 0 }); // i32 x - x = 0
      case 4:
        return this.emit('cast', [x], { to: 'f32' }, x);
      default:
        return this.emit(this.rng.pick(['neg', 'abs']), [x], {}, x);
    }
  }

  random(): Value | undefined {
    const x = this.pick()!;
    const seed = this.rng.int(1, 2); // repeated seeds: equal draws that CSE merges
    const r = this.rng.chance(0.5) ? this.emit('random_uniform', [], { shape: x.shape, seed }, { mag: 1 }) : this.emit('random_normal', [], { shape: x.shape, seed }, { mag: 6 });
    return x.dtype === 'f32' ? this.emit('add', [this.tame(x), r], {}, { mag: x.mag + r.mag }) : r;
  }
}

/**
 * A valid graph of concrete shapes built from `seed`: the same seed, the same graph. Inputs are
 * named x0, x1, ..., parameters p0, p1, ... (glorot_uniform), outputs y0, y1, ...
 */
export function randomGraph(seed: number, options: RandomGraphOptions = {}): Graph {
  const rng = new Rng(seed);
  const gen = new Generator(rng, options, `random_${seed >>> 0}`);
  const integers = options.integers ?? true;
  for (let k = rng.int(1, 3); k > 0; k--) gen.input('f32', gen.shape(rng.int(1, 3)));
  if (integers && rng.chance(0.35)) gen.input('i32', gen.shape(rng.int(0, 2)));

  const kinds: [number, () => unknown][] = [
    [6, () => gen.unary()],
    [8, () => gen.binary()],
    [2, () => gen.where()],
    [2, () => gen.cast()],
    [3, () => gen.reduce()],
    [6, () => gen.movement()],
    [3, () => gen.matmul()],
    [options.composites === false ? 0 : 2, () => gen.composite()],
    [2, () => gen.constants()],
    [3, () => gen.identity()],
    [2, () => gen.duplicate()],
    [integers ? 2 : 0, () => gen.integer()],
    [1, () => gen.random()],
  ];
  const total = kinds.reduce((s, [w]) => s + w, 0);
  const ops = options.ops ?? 24;
  for (let made = 0, tries = 0; made < ops && tries < ops * 4; tries++) {
    let r = rng.next() * total;
    const kind = kinds.find(([w]) => (r -= w) < 0)!;
    if (kind[1]() !== undefined) made++;
  }

  // Outputs: the newest node, then values nothing reads (so most of the graph is live), then any.
  const g = gen.b.build();
  const read = new Set(g.nodes.flatMap((n) => n.inputs));
  const candidates = g.nodes.filter((n) => n.op !== 'constant').map((n) => n.name);
  if (candidates.length === 0) candidates.push(gen.b.emit('neg', [g.inputs[0]!.name]));
  const sinks = candidates.filter((v) => !read.has(v));
  const count = Math.min(options.outputs ?? rng.int(2, 4), candidates.length);
  const chosen = new Set<string>([candidates[candidates.length - 1]!]);
  for (const v of rng.shuffle(sinks)) if (chosen.size < count) chosen.add(v);
  while (chosen.size < count) chosen.add(rng.pick(candidates));
  [...chosen].forEach((v, i) => gen.b.output(`y${i}`, v));
  return gen.b.build();
}

/** Inputs for a graph from `randomGraph`: f32 uniform in [-2, 2], i32 integers in [-3, 3]. */
export function randomInputs(graph: Graph, seed: number): Record<string, Float32Array | Int32Array> {
  const rng = new Rng(seed ^ 0x2545f491);
  const out: Record<string, Float32Array | Int32Array> = {};
  for (const input of graph.inputs) {
    if (!isConcrete(input.type.shape)) throw new Error(`randomInputs: input ${input.name} has a symbolic shape`);
    const n = numel(input.type.shape);
    if (input.type.dtype === 'f32') out[input.name] = Float32Array.from({ length: n }, () => rng.next() * 4 - 2);
    else if (input.type.dtype === 'i32') out[input.name] = Int32Array.from({ length: n }, () => rng.int(-3, 3));
    else throw new Error(`randomInputs: input ${input.name} is ${input.type.dtype}; random graphs take f32 and i32 inputs`);
  }
  return out;
}

/**
 * Runs `expected` and `actual` once each on the reference backend with the same inputs (and
 * the same initial parameters, from their initializers) and compares every output and every
 * parameter after the run: f32 within 1e-5 relative plus 1e-6 absolute, nan and infinities
 * exactly, i32 and bool exactly. Returns the first difference, or undefined.
 */
export async function compareOnReference(
  expected: Graph,
  actual: Graph,
  inputs: Readonly<Record<string, TensorLike>>,
  options: { shapes?: Readonly<Record<string, number>> } = {},
): Promise<string | undefined> {
  const run = async (g: Graph) => {
    // Each graph gets the bindings of the symbols it has (an optimized graph may have none left).
    const symbols = graphSymbols(g);
    const shapes = Object.fromEntries(Object.entries(options.shapes ?? {}).filter(([name]) => symbols.has(name)));
    const exe = await compile(g, { shapes });
    const outputs = await exe.run(inputs);
    return { outputs, params: exe.params() };
  };
  const want = await run(expected);
  const got = await run(actual);
  const differ = (what: string, a: Tensor | undefined, e: Tensor): string | undefined => {
    if (!a) return `${what} is missing`;
    if (a.dtype !== e.dtype || a.shape.join() !== e.shape.join()) return `${what} is ${a.dtype}[${a.shape.join()}], expected ${e.dtype}[${e.shape.join()}]`;
    for (let i = 0; i < e.data.length; i++) {
      const ok = e.dtype === 'f32' ? closeEnough(a.data[i]!, e.data[i]!) : a.data[i] === e.data[i];
      if (!ok) return `${what}[${i}] is ${a.data[i]}, expected ${e.data[i]}`;
    }
    return undefined;
  };
  for (const [name, t] of Object.entries(want.outputs)) {
    const d = differ(`output ${name}`, got.outputs[name], t);
    if (d) return d;
  }
  for (const [name, t] of Object.entries(want.params)) {
    const d = differ(`parameter ${name}`, got.params[name], t);
    if (d) return d;
  }
  return undefined;
}
