// The TypeScript front end: `graph(name, b => ...)` builds a Graph from typed method calls on
// value handles, checking every node as it is made and tagging it with the user's call site.

import { KilnError, fail } from '../ir/errors.js';
import type { SourceSpan } from '../ir/errors.js';
import { GraphBuilder } from '../ir/emit.js';
import type { Graph, Initializer } from '../ir/graph.js';
import { INITIALIZERS, checkInitializer, namedSeed } from '../ir/init.js';
import type { AttrArgs, AttrValue, CompositeName, OpName, PlainOpName } from '../ir/op.js';
import { getOp } from '../ir/ops/index.js';
import { SLICE_END } from '../ir/ops/movement.js';
import { DIM_RULE, formatShape, formatType, isDType, isValidDim, sizeMonomial } from '../ir/types.js';
import type { DType, Dim, TensorType } from '../ir/types.js';
import { callSite } from './call-site.js';
import { conv2dLayer, denseLayer } from './layers.js';
import type { Conv2dOptions, DenseOptions } from './layers.js';
import { Sym } from './sym.js';

export { Sym } from './sym.js';
export { callSite } from './call-site.js';

/** The input that keys dropout masks; trainers feed it their step count. */
const STEP_KEY = 'step';

/** A number, a boolean, or nested arrays of them: the value of a constant. */
export type NestedValues = number | boolean | readonly NestedValues[];

/** An operand of an elementwise op: a value, or a JS number that becomes a scalar constant. */
export type Operand = Sym | number;

export type Axes = number | readonly number[];

export interface GraphOptions {
  /** Base of the seeds derived for parameters and random ops that are given none (default 0). */
  seed?: number;
}

export interface RandomUniformOptions {
  low?: number;
  high?: number;
  seed?: number;
  /** An i32 scalar mixed into the stream, so one compiled program can draw fresh numbers. */
  key?: Sym;
}

export interface RandomNormalOptions {
  mean?: number;
  std?: number;
  seed?: number;
  key?: Sym;
}

/** Parameter initializers: each returns the `{fn, args}` a ParamDecl stores. */
export const init = {
  zeros: (): Initializer => ({ fn: 'zeros', args: {} }),
  ones: (): Initializer => ({ fn: 'ones', args: {} }),
  constant: (value: number): Initializer => ({ fn: 'constant', args: { value } }),
  uniform: (o: { low?: number; high?: number; seed?: number } = {}): Initializer => initializer('uniform', o),
  normal: (o: { mean?: number; std?: number; seed?: number } = {}): Initializer => initializer('normal', o),
  glorotUniform: (o: { seed?: number } = {}): Initializer => initializer('glorot_uniform', o),
  glorotNormal: (o: { seed?: number } = {}): Initializer => initializer('glorot_normal', o),
  heUniform: (o: { seed?: number } = {}): Initializer => initializer('he_uniform', o),
  heNormal: (o: { seed?: number } = {}): Initializer => initializer('he_normal', o),
};

// Omitted options stay omitted: defaults come from the initializer table, seeds from the builder.
function initializer(fn: string, options: Readonly<Record<string, number | undefined>>): Initializer {
  const args: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) args[k] = v;
  return { fn, args };
}

/**
 * Builds one graph. Every op method checks its operands, emits one node (plus scalar constants
 * for number operands) tagged with the caller's source span, and returns the result's handle.
 */
export class Builder {
  private readonly gb: GraphBuilder;
  private readonly seedBase: number;
  private readonly usedSeeds = new Set<number>();
  private randomCount = 0;
  private spanOverride: SourceSpan | undefined;
  private finished = false;
  /** Where the graph was created. */
  private readonly span: SourceSpan | undefined;

  constructor(
    readonly name: string,
    options: GraphOptions = {},
  ) {
    const span = (this.span = callSite());
    this.gb = spanned(span, () => new GraphBuilder(name));
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed)) fail('usage', `graph ${name}: seed must be an integer, got ${seed}`, span);
    this.seedBase = seed;
  }

  // ---- declarations ---------------------------------------------------------------------

  /** A graph input; dims are integers or symbols such as 'B' bound at compile time. */
  input(name: string, dtype: DType, shape: readonly Dim[]): Sym {
    const span = this.site();
    const type = this.checkType(`input ${name}`, dtype, shape, span);
    return this.handle(spanned(span, () => this.gb.input(name, type, span)));
  }

  /**
   * A trained parameter. Without `init`, rank >= 2 f32 weights get glorot_uniform and the rest
   * zeros; a seeded initializer without a seed gets one derived from the graph seed and the name.
   */
  param(name: string, dtype: DType, shape: readonly Dim[], initializer?: Initializer): Sym {
    const span = this.site();
    const type = this.checkType(`param ${name}`, dtype, shape, span);
    let chosen = initializer ?? (shape.length >= 2 && dtype === 'f32' ? init.glorotUniform() : init.zeros());
    const def = INITIALIZERS[chosen.fn];
    if (def && 'seed' in def.args) {
      const given = chosen.args['seed'];
      if (given === undefined) chosen = { fn: chosen.fn, args: { ...chosen.args, seed: this.deriveSeed(`param:${name}`) } };
      else if (typeof given === 'number') this.usedSeeds.add(given);
    }
    const checked = spanned(span, () => checkInitializer(chosen, type, `param ${name}`));
    return this.handle(spanned(span, () => this.gb.param(name, type, checked, span)));
  }

  /** Names `value` as a graph output. */
  output(name: string, value: Sym): void {
    const span = this.site();
    const v = this.use('output', name, value, span);
    spanned(span, () => this.gb.output(name, v, span));
  }

  /** A constant from a number or nested arrays (rectangular), of the given dtype. */
  constant(value: NestedValues, dtype: DType = 'f32'): Sym {
    const span = this.site();
    if (!isDType(dtype)) fail('usage', `constant: unknown dtype '${String(dtype)}'`, span);
    const shape: number[] = [];
    const flat: number[] = [];
    flattenInto(value, 0, shape, flat, span);
    return this.emit('constant', [], { dtype, shape, value: flat }, span);
  }

  /** Runs `fn` with every node it emits tagged `span` instead of the JS call site (for the DSL). */
  at<T>(span: SourceSpan, fn: () => T): T {
    const saved = this.spanOverride;
    this.spanOverride = span;
    try {
      return fn();
    } finally {
      this.spanOverride = saved;
    }
  }

  /** Applies any registered op: the escape hatch for ops without a method. */
  op(name: string, inputs: readonly Sym[], attrs: Readonly<Record<string, unknown>> = {}): Sym {
    const span = this.site();
    const vs = inputs.map((x, i) => this.use(name, `#${i}`, x, span));
    return this.guarded(name, vs, span, () => this.gb.emitDynamic(getOp(name, span).name, vs, attrs, span));
  }

  // ---- elementwise ----------------------------------------------------------------------

  neg = (x: Sym): Sym => this.unary('neg', x);
  abs = (x: Sym): Sym => this.unary('abs', x);
  exp = (x: Sym): Sym => this.unary('exp', x);
  log = (x: Sym): Sym => this.unary('log', x);
  sqrt = (x: Sym): Sym => this.unary('sqrt', x);
  rsqrt = (x: Sym): Sym => this.unary('rsqrt', x);
  tanh = (x: Sym): Sym => this.unary('tanh', x);
  sigmoid = (x: Sym): Sym => this.unary('sigmoid', x);
  relu = (x: Sym): Sym => this.unary('relu', x);
  sign = (x: Sym): Sym => this.unary('sign', x);
  step = (x: Sym): Sym => this.unary('step', x);
  sin = (x: Sym): Sym => this.unary('sin', x);
  cos = (x: Sym): Sym => this.unary('cos', x);
  identity = (x: Sym): Sym => this.unary('identity', x);
  square = (x: Sym): Sym => this.unary('square', x);

  add = (a: Operand, b: Operand): Sym => this.binary('add', a, b);
  sub = (a: Operand, b: Operand): Sym => this.binary('sub', a, b);
  mul = (a: Operand, b: Operand): Sym => this.binary('mul', a, b);
  div = (a: Operand, b: Operand): Sym => this.binary('div', a, b);
  pow = (a: Operand, b: Operand): Sym => this.binary('pow', a, b);
  max = (a: Operand, b: Operand): Sym => this.binary('max', a, b);
  min = (a: Operand, b: Operand): Sym => this.binary('min', a, b);
  eq = (a: Operand, b: Operand): Sym => this.binary('eq', a, b);
  ne = (a: Operand, b: Operand): Sym => this.binary('ne', a, b);
  lt = (a: Operand, b: Operand): Sym => this.binary('lt', a, b);
  le = (a: Operand, b: Operand): Sym => this.binary('le', a, b);
  gt = (a: Operand, b: Operand): Sym => this.binary('gt', a, b);
  ge = (a: Operand, b: Operand): Sym => this.binary('ge', a, b);

  /** `a` where `cond` is true, else `b`; a number branch takes the other branch's dtype. */
  where(cond: Sym, a: Operand, b: Operand): Sym {
    const span = this.site();
    const c = this.use('where', 'cond', cond, span);
    const [x, y] = this.operands('where', a, b, span);
    return this.emit('where', [c, x, y], {}, span);
  }

  cast(x: Sym, dtype: DType): Sym {
    const span = this.site();
    return this.emit('cast', [this.use('cast', 'x', x, span)], { to: dtype }, span);
  }

  clip(x: Sym, min: number, max: number): Sym {
    const span = this.site();
    return this.emit('clip', [this.use('clip', 'x', x, span)], { min, max }, span);
  }

  // ---- reductions -----------------------------------------------------------------------

  /** Sum over `axes` (all axes when omitted). */
  sum(x: Sym, axes?: Axes, keepdims = false): Sym {
    return this.reduce('reduce_sum', x, axes, keepdims);
  }

  /** Maximum over `axes` (all axes when omitted); `max` is the elementwise maximum. */
  maxOver(x: Sym, axes?: Axes, keepdims = false): Sym {
    return this.reduce('reduce_max', x, axes, keepdims);
  }

  /** Mean over `axes` (all axes when omitted). */
  mean(x: Sym, axes?: Axes, keepdims = false): Sym {
    return this.reduce('mean', x, axes, keepdims);
  }

  argmax(x: Sym, axis = -1, keepdims = false): Sym {
    const span = this.site();
    return this.emit('argmax', [this.use('argmax', 'x', x, span)], { axis, keepdims }, span);
  }

  softmax(x: Sym, axis = -1): Sym {
    const span = this.site();
    return this.emit('softmax', [this.use('softmax', 'x', x, span)], { axis }, span);
  }

  logSoftmax(x: Sym, axis = -1): Sym {
    const span = this.site();
    return this.emit('log_softmax', [this.use('log_softmax', 'x', x, span)], { axis }, span);
  }

  // ---- movement -------------------------------------------------------------------------

  /** Reshape; one entry may be -1, solved from the element count at build time. */
  reshape(x: Sym, shape: readonly Dim[]): Sym {
    const span = this.site();
    const v = this.use('reshape', 'x', x, span);
    return this.emit('reshape', [v], { shape: resolveReshape(x.type, shape, span) }, span);
  }

  broadcastTo(x: Sym, shape: readonly Dim[]): Sym {
    const span = this.site();
    return this.emit('broadcast_to', [this.use('broadcast_to', 'x', x, span)], { shape: [...shape] }, span);
  }

  /** Permutes axes; without `perm`, reverses them. */
  transpose(x: Sym, perm?: readonly number[]): Sym {
    const span = this.site();
    const v = this.use('transpose', 'x', x, span);
    const p = perm ? [...perm] : x.shape.map((_, i) => x.rank - 1 - i);
    return this.emit('transpose', [v], { perm: p }, span);
  }

  /** x[begin:end:stride] per axis (Python semantics); axes left off the end are taken whole. */
  slice(x: Sym, begin: readonly number[], end: readonly number[], stride: readonly number[] = []): Sym {
    const span = this.site();
    const v = this.use('slice', 'x', x, span);
    const longest = Math.max(begin.length, end.length, stride.length);
    if (longest > x.rank) {
      fail('attr', `slice: ${longest} bounds given for ${x.rank} axes of ${formatType(x.type)}`, span);
    }
    const fill = (xs: readonly number[], d: number) => [...xs, ...new Array<number>(x.rank - xs.length).fill(d)];
    const attrs = { begin: fill(begin, 0), end: fill(end, SLICE_END), stride: fill(stride, 1) };
    return this.emit('slice', [v], attrs, span);
  }

  pad(x: Sym, before: readonly number[], after: readonly number[], value = 0): Sym {
    const span = this.site();
    const v = this.use('pad', 'x', x, span);
    return this.emit('pad', [v], { before: [...before], after: [...after], value }, span);
  }

  concat(xs: readonly Sym[], axis = 0): Sym {
    const span = this.site();
    const vs = xs.map((x, i) => this.use('concat', `#${i}`, x, span));
    return this.emit('concat', vs, { axis }, span);
  }

  // ---- linear algebra, indexing, random ---------------------------------------------------

  matmul(a: Sym, b: Sym): Sym {
    const span = this.site();
    return this.emit('matmul', [this.use('matmul', 'a', a, span), this.use('matmul', 'b', b, span)], {}, span);
  }

  /**
   * Two forms, told apart by the second argument: given weights, the `dense` op x @ w + b (no
   * activation); given a number of units, a layer that makes and names its own weights (layers.ts).
   */
  dense(x: Sym, w: Sym, b: Sym): Sym;
  dense(x: Sym, units: number, options?: DenseOptions): Sym;
  dense(x: Sym, w: Sym | number, b?: Sym | DenseOptions): Sym {
    if (typeof w === 'number') return denseLayer(this, x, w, b instanceof Sym ? {} : (b ?? {}));
    const span = this.site();
    const vs = [this.use('dense', 'x', x, span), this.use('dense', 'w', w, span), this.use('dense', 'b', b, span)];
    return this.emit('dense', vs, {}, span);
  }

  /** A convolution layer of `filters` channels over NHWC images, making `<name>.w` (HWIO) and `<name>.b` (layers.ts). */
  conv2d(x: Sym, filters: number, options?: Conv2dOptions): Sym {
    return conv2dLayer(this, x, filters, options);
  }

  gather(x: Sym, indices: Sym, axis = 0): Sym {
    const span = this.site();
    const vs = [this.use('gather', 'x', x, span), this.use('gather', 'indices', indices, span)];
    return this.emit('gather', vs, { axis }, span);
  }

  oneHot(indices: Sym, depth: number, dtype: DType = 'f32'): Sym {
    const span = this.site();
    return this.emit('one_hot', [this.use('one_hot', 'indices', indices, span)], { depth, dtype }, span);
  }

  randomUniform(shape: readonly Dim[], o: RandomUniformOptions = {}): Sym {
    const span = this.site();
    const attrs = { shape: [...shape], low: o.low ?? 0, high: o.high ?? 1, seed: this.randomSeed(o.seed) };
    return this.emit('random_uniform', o.key ? [this.use('random_uniform', 'key', o.key, span)] : [], attrs, span);
  }

  randomNormal(shape: readonly Dim[], o: RandomNormalOptions = {}): Sym {
    const span = this.site();
    const attrs = { shape: [...shape], mean: o.mean ?? 0, std: o.std ?? 1, seed: this.randomSeed(o.seed) };
    return this.emit('random_normal', o.key ? [this.use('random_normal', 'key', o.key, span)] : [], attrs, span);
  }

  // ---- losses, metrics, dropout ---------------------------------------------------------

  /** Applies a two-operand op (a loss or a metric) at the call site. */
  private pair<N extends CompositeName>(op: N, names: [string, string], a: Sym, b: Sym, attrs?: AttrArgs<N>): Sym {
    const span = this.site();
    const vs = [this.use(op, names[0], a, span), this.use(op, names[1], b, span)];
    return this.guarded(op, vs, span, () => this.gb.emit(op, vs, attrs, span));
  }

  mae(pred: Sym, target: Sym): Sym {
    return this.pair('mae', ['pred', 'target'], pred, target);
  }
  mse(pred: Sym, target: Sym): Sym {
    return this.pair('mse', ['pred', 'target'], pred, target);
  }
  binaryCrossEntropy(prob: Sym, target: Sym, eps = 1e-7): Sym {
    return this.pair('binary_cross_entropy', ['prob', 'target'], prob, target, { eps });
  }
  sigmoidCrossEntropy(logits: Sym, target: Sym): Sym {
    return this.pair('sigmoid_cross_entropy', ['logits', 'target'], logits, target);
  }
  /** Cross-entropy of logits [..., C] against i32 class labels [...]. */
  softmaxCrossEntropy(logits: Sym, labels: Sym): Sym {
    return this.pair('softmax_cross_entropy', ['logits', 'labels'], logits, labels);
  }
  softmaxCrossEntropyOneHot(logits: Sym, target: Sym): Sym {
    return this.pair('softmax_cross_entropy_onehot', ['logits', 'target'], logits, target);
  }
  accuracy(logits: Sym, labels: Sym): Sym {
    return this.pair('accuracy', ['logits', 'labels'], logits, labels);
  }
  binaryAccuracy(score: Sym, target: Sym, threshold = 0.5): Sym {
    return this.pair('binary_accuracy', ['score', 'target'], score, target, { threshold });
  }
  l1Penalty(w: Sym): Sym {
    return this.unary('l1_penalty', w);
  }
  l2Penalty(w: Sym): Sym {
    return this.unary('l2_penalty', w);
  }

  /**
   * Inverted dropout at `rate`. Its mask is keyed by the graph input `step` (an i32 scalar,
   * declared on first use), which a trainer feeds with its step count: a new mask every step.
   */
  dropout(x: Sym, rate: number, o: { seed?: number } = {}): Sym {
    const span = this.site();
    const key = this.gb.has(STEP_KEY) ? STEP_KEY : this.gb.input(STEP_KEY, { dtype: 'i32', shape: [] }, span);
    return this.emit('dropout', [this.use('dropout', 'x', x, span), key], { rate, seed: this.randomSeed(o.seed) }, span);
  }

  /** Keeps names that will be declared later from being given to intermediate values. */
  reserve(names: Iterable<string>): void {
    for (const n of names) this.gb.reserve(n);
  }

  // ---- finishing ------------------------------------------------------------------------

  /** The graph, verified as a whole; the builder accepts no more calls afterwards. */
  build(): Graph {
    this.finished = true;
    const g = this.gb.build();
    // GraphBuilder checked every declaration and node as it was added (the verifier's rules,
    // one at a time); what remains is the one rule about the whole graph.
    if (g.outputs.length === 0) fail('verify', `graph ${g.name} has no outputs`, this.span);
    return g;
  }

  /** @internal The span that a call made now is tagged with (for layers' own errors). */
  here(): SourceSpan | undefined {
    return this.site();
  }

  // ---- internals ------------------------------------------------------------------------

  private site(): SourceSpan | undefined {
    if (this.finished) fail('usage', `graph ${this.name} is already built; its builder takes no more calls`, callSite());
    return this.spanOverride ?? callSite();
  }

  private handle(name: string): Sym {
    return new Sym(this, name, this.gb.typeOf(name));
  }

  /** The value name of an operand, after checking it is a handle of this builder. */
  private use(op: string, operand: string, x: unknown, span: SourceSpan | undefined): string {
    if (!(x instanceof Sym)) fail('usage', `${op}: operand '${operand}' must be a value of this graph, got ${describe(x)}`, span);
    if (x.builder !== this) {
      fail('usage', `${op}: operand '${operand}' (${x.toString()}) belongs to graph ${x.builder.name}, not to graph ${this.name}`, span);
    }
    return x.name;
  }

  /** Two elementwise operands; a number becomes a scalar constant of the other side's dtype. */
  private operands(op: string, a: Operand, b: Operand, span: SourceSpan | undefined): [string, string] {
    if (typeof a === 'number' && typeof b === 'number') {
      fail('usage', `${op}: both operands are numbers (${a}, ${b}); make one a constant to give it a dtype`, span);
    }
    const scalar = (n: number, other: Sym): string => {
      const dtype = other.dtype;
      const fits = dtype === 'f32' || (dtype === 'i32' ? Number.isInteger(n) && (n | 0) === n : n === 0 || n === 1);
      if (!fits) fail('dtype', `${op}: the number ${n} does not fit the dtype of the other operand ${formatType(other.type)}`, span);
      return this.gb.emit('constant', [], { dtype, shape: [], value: [n] }, span);
    };
    // Check handles before making constants, so a foreign handle adds no node.
    const x = typeof a === 'number' ? undefined : this.use(op, 'a', a, span);
    const y = typeof b === 'number' ? undefined : this.use(op, 'b', b, span);
    return [x ?? scalar(a as number, b as Sym), y ?? scalar(b as number, a as Sym)];
  }

  private unary(op: PlainOpName, x: Sym): Sym {
    const span = this.site();
    return this.emit(op, [this.use(op, 'x', x, span)], {}, span);
  }

  private binary(op: PlainOpName, a: Operand, b: Operand): Sym {
    const span = this.site();
    return this.emit(op, this.operands(op, a, b, span), {}, span);
  }

  private reduce(op: 'reduce_sum' | 'reduce_max' | 'mean', x: Sym, axes: Axes | undefined, keepdims: boolean): Sym {
    const span = this.site();
    const v = this.use(op, 'x', x, span);
    const list = axes === undefined ? x.shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : [...axes];
    return this.emit(op, [v], { axes: list, keepdims }, span);
  }

  /** Emits one node; its errors name the op and the operand types, at the call site. */
  private emit<N extends OpName>(op: N, inputs: readonly string[], attrs: AttrArgs<N>, span: SourceSpan | undefined): Sym {
    return this.guarded(op, inputs, span, () => this.gb.emit(op, inputs, attrs, span));
  }

  /** Runs `make`, which emits a node of `op`; its errors name the op and the operand types. */
  private guarded(op: string, inputs: readonly string[], span: SourceSpan | undefined, make: () => string): Sym {
    try {
      return this.handle(make());
    } catch (e) {
      if (!(e instanceof KilnError)) throw e;
      throw explain(
        e,
        op,
        inputs.map((v) => this.gb.typeOf(v)),
        span,
      );
    }
  }

  private checkType(what: string, dtype: DType, shape: readonly Dim[], span: SourceSpan | undefined): TensorType {
    if (!isDType(dtype)) fail('usage', `${what}: unknown dtype '${String(dtype)}' (expected f32, i32 or bool)`, span);
    if (!Array.isArray(shape) || !shape.every(isValidDim)) {
      fail('shape', `${what}: invalid shape ${JSON.stringify(shape)} (${DIM_RULE})`, span);
    }
    return { dtype, shape: [...shape] };
  }

  /**
   * A seed from the graph seed and a label, distinct from every seed used so far. Keyed by name
   * rather than position so that adding a parameter does not change the others' initial values.
   */
  private deriveSeed(label: string): number {
    let seed = namedSeed(this.seedBase, label);
    while (this.usedSeeds.has(seed)) seed = (seed + 1) & 0x7fffffff;
    this.usedSeeds.add(seed);
    return seed;
  }

  private randomSeed(given: number | undefined): number {
    const label = `random:${this.randomCount++}`;
    if (given === undefined) return this.deriveSeed(label);
    this.usedSeeds.add(given);
    return given;
  }
}

/**
 * Builds the graph `name` by running `body` on a fresh builder. `body` may return a record of
 * outputs instead of (or besides) calling `b.output`.
 */
export function graph(name: string, body: (b: Builder) => void | Readonly<Record<string, Sym>>, options: GraphOptions = {}): Graph {
  const b = new Builder(name, options);
  const outputs = body(b);
  if (outputs) for (const [k, v] of Object.entries(outputs)) b.output(k, v);
  return b.build();
}

// ---- helpers ----------------------------------------------------------------------------

/** Runs `fn`, giving any span-less KilnError it throws the span `span`. */
function spanned<T>(span: SourceSpan | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KilnError && !e.span && span) throw new KilnError(e.code, e.detail, span);
    throw e;
  }
}

/** An op's error, made to name the op and every operand type, placed at the call site. */
function explain(e: KilnError, op: string, types: readonly TensorType[], span: SourceSpan | undefined): KilnError {
  if (!['shape', 'dtype', 'attr', 'arity'].includes(e.code)) return e.span || !span ? e : new KilnError(e.code, e.detail, span);
  let detail = e.detail.startsWith(`${op}:`) ? e.detail : `${op}: ${e.detail}`;
  if (types.length && !types.every((t) => detail.includes(formatType(t)))) {
    detail += ` (operands: ${types.map(formatType).join(', ')})`;
  }
  return new KilnError(e.code, detail, e.span ?? span);
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === 'object') return x.constructor?.name ?? 'an object';
  return `${typeof x} ${String(x as string | number | bigint | boolean | symbol | ((...args: never[]) => unknown))}`;
}

/** Appends the values of a (rectangular) nested array to `flat`, recording its shape. */
function flattenInto(v: NestedValues, depth: number, shape: number[], flat: number[], span: SourceSpan | undefined): void {
  if (!Array.isArray(v)) {
    if (depth < shape.length) fail('shape', `constant: ragged array (a number where a list of ${shape[depth]} was expected)`, span);
    if (typeof v !== 'number' && typeof v !== 'boolean') fail('usage', `constant: ${describe(v)} is not a number`, span);
    flat.push(Number(v));
    return;
  }
  if (depth === shape.length) {
    // The first list seen at this depth fixes its length; a list below a number is ragged.
    if (flat.length > 0) fail('shape', `constant: ragged array (a list where a number was expected)`, span);
    shape.push(v.length);
  } else if (shape[depth] !== v.length) {
    fail('shape', `constant: ragged array (a list of ${v.length} where ${shape[depth]} was expected)`, span);
  }
  for (const item of v as readonly NestedValues[]) flattenInto(item, depth + 1, shape, flat, span);
}

/**
 * A reshape target with its -1 solved. x's element count is factor * product(symbols); the -1
 * must be a whole number (no symbols left over) or exactly one leftover symbol (no factor left).
 */
function resolveReshape(x: TensorType, shape: readonly Dim[], span: SourceSpan | undefined): Dim[] {
  const holes = shape.filter((d) => d === -1).length;
  const at = (detail: string): never => fail('shape', `reshape: ${detail}`, span);
  if (holes > 1) at(`only one -1 is allowed in ${formatShape(shape)}`);
  const bad = shape.find((d) => d !== -1 && !isValidDim(d));
  if (bad !== undefined) at(`invalid dimension ${JSON.stringify(bad)} in ${formatShape(shape)}`);
  if (holes === 0) return [...shape];
  const have = sizeMonomial(x.shape);
  const want = sizeMonomial(shape.filter((d) => d !== -1));
  const left = [...have.symbols];
  for (const s of want.symbols) {
    const i = left.indexOf(s);
    if (i < 0) at(`cannot reshape ${formatType(x)} to ${formatShape(shape)}: symbol ${s} is not a factor of its size`);
    left.splice(i, 1);
  }
  const cannot = `cannot solve -1 in reshaping ${formatType(x)} to ${formatShape(shape)}`;
  let hole: Dim;
  if (want.factor === 0) return at(`${cannot}: the other dimensions hold no elements`);
  if (left.length === 0) {
    if (have.factor % want.factor !== 0) at(`${cannot}: ${have.factor} elements do not divide by ${want.factor}`);
    hole = have.factor / want.factor;
  } else if (left.length === 1 && have.factor === want.factor) {
    hole = left[0]!;
  } else {
    const ratio = have.factor % want.factor === 0 ? `${have.factor / want.factor}` : `${have.factor}/${want.factor}`;
    const rest = [...(ratio === '1' ? [] : [ratio]), ...left].join(' * ');
    return at(`${cannot}: it would be ${rest}, which is not a single dimension`);
  }
  return shape.map((d) => (d === -1 ? hole : d));
}
