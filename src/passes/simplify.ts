// Algebraic simplification: a table of rewrite rules, each a pattern over a node and the nodes
// that produce its operands, and the value that replaces it; applied until no rule fires.
//
//   %one = constant() {dtype=f32, shape=[], value=[1]} : f32[]
//   %y = mul(%x, %one) : f32[3]                   -->   (gone: what read %y reads %x)
//   %n = neg(%b) : f32[3]                                %n = neg(%b) : f32[3]        (dead now)
//   %z = add(%y, %n) : f32[3]                            %z = sub(%x, %b) : f32[3]
//
// A rule fires only when its replacement has exactly the node's type: `x + 0` where the zero is
// larger than x is a broadcast, not x, and stays. A node a rule makes keeps the name and the
// span of the node it replaces; a node made on the way is named after it (`%z.0`). Replaced
// nodes are left for dce.
//
// Floating point: every rule is exact in IEEE f32 arithmetic except two documented choices,
// which ML compilers (XLA among them) make too: the sign of a zero is not kept (x + 0 and a sum
// over no axes give -0 for x = -0 where the graph gave +0), and log(exp(x)) is x. Rules that
// would change nan or inf results for f32 (x * 0 = 0, x - x = 0, exp(log(x)) = x) are not made;
// the first two hold for i32 and are applied there. A division by a constant becomes a
// multiplication only where the reciprocal is exact (powers of two).
//
// Operand order: a pattern over a commutative op (the op definition's `commutative` field, the
// same one cse reads: add, mul, max, min, eq, ne) matches its operands in either order, so
// `x * 1` covers `1 * x`. Swapping is exact for all of them, so matching both orders of max,
// min, eq or ne can never change a result.
//
// Order: each node's rules are tried in table order; the first that fires wins and its result
// is offered to the rules again. Producers are rewritten before their readers, so one pass in
// program order reaches the fixed point; the pass checks with a second one.

import { inferType } from '../ir/emit.js';
import type { Graph, Node, NodeOf } from '../ir/graph.js';
import { checkedNode, valueTypes } from '../ir/graph.js';
import { checkAttrs } from '../ir/op.js';
import type { AttrArgs, OpAttrs, OpName } from '../ir/op.js';
import { getOp } from '../ir/ops/index.js';
import { SLICE_END, sliceRange } from '../ir/ops/movement.js';
import { normalizeAxes, normalizeAxis, sameShape, sameType } from '../ir/types.js';
import type { Shape, TensorType } from '../ir/types.js';
import { splatValue } from './constant-fold.js';

// ---- patterns ---------------------------------------------------------------------------

/**
 * What a rule matches: any value (bound to a name; a name used twice must be the same value),
 * a constant whose elements all equal a number, any such splat constant (bound), or an op
 * applied to operands matching sub-patterns (bound too when named).
 */
export type Pattern = { kind: 'value'; name: string } | { kind: 'literal'; value: number } | { kind: 'splat'; name: string } | OpPattern;

export interface OpPattern<N extends OpName = OpName> {
  kind: 'op';
  op: N;
  args: readonly Pattern[];
  name?: string;
}

const val = (name: string): Pattern => ({ kind: 'value', name });
const lit = (value: number): Pattern => ({ kind: 'literal', value });
const splat = (name: string): Pattern => ({ kind: 'splat', name });
const op = <N extends OpName>(name: N, args: readonly Pattern[], bind?: string): OpPattern<N> =>
  bind ? { kind: 'op', op: name, args, name: bind } : { kind: 'op', op: name, args };

/** Value names bound by a match, by pattern name. */
export type Bindings = Readonly<Record<string, string>>;

/** What a rule's replacement may ask and make; N is the op of the rule's pattern. */
export interface Rewriter<N extends OpName = OpName> {
  /** The node being rewritten. */
  readonly node: NodeOf<N>;
  type(value: string): TensorType;
  /** The attributes of the node that defines `value`, a node of op M (a pattern matched it). */
  attrs<M extends OpName>(value: string, op: M): OpAttrs<M>;
  /** The one value of a splat constant. */
  splat(value: string): number | undefined;
  /** A new node, with the rewritten node's span; returns its value. */
  emit<M extends OpName>(op: M, inputs: readonly string[], attrs?: AttrArgs<M>): string;
  /** A splat constant of the node's type. */
  fill(value: number): string;
  /** `x` under `shape`: x itself when it has that shape already, else a reshape. */
  reshape(x: string, shape: Shape): string;
}

/** A rewrite rule; the engine offers it only nodes of its pattern's op N. */
export interface Rule<N extends OpName = OpName> {
  name: string;
  pattern: OpPattern<N>;
  /** The value that replaces the node, or undefined when a condition the pattern cannot say fails. */
  rewrite(b: Bindings, r: Rewriter<N>): string | undefined;
}

const rule = <N extends OpName>(name: string, pattern: OpPattern<N>, rewrite: Rule<N>['rewrite']): Rule => ({ name, pattern, rewrite });

// ---- the rules --------------------------------------------------------------------------

const isInt = (r: Rewriter) => r.node.type.dtype === 'i32';
const identityPerm = (perm: readonly number[]) => perm.every((p, i) => p === i);

/** Whether a reduction's axes all have size 1 (or there are none): each output element is one input element. */
function unitAxes(r: Rewriter<'reduce_sum' | 'reduce_max'>, x: string): boolean {
  const shape = r.type(x).shape;
  return normalizeAxes(r.node.attrs.axes, shape.length, r.node.op).every((a) => shape[a] === 1);
}

export const RULES: readonly Rule[] = [
  // x * 1 = x, exactly (nan, inf and -0 included); 1 * x matches too (commutative).
  rule('mul-one', op('mul', [val('x'), lit(1)]), ({ x }) => x),
  // x * -1 = -x, exactly (i32 too: both wrap at the smallest i32).
  rule('mul-neg-one', op('mul', [val('x'), lit(-1)]), ({ x }, r) => r.emit('neg', [x!])),
  // x * 0 = 0 for i32 only: for f32, nan * 0 and inf * 0 are nan, and x is not known finite.
  rule('mul-zero', op('mul', [val('x'), lit(0)]), (_, r) => (isInt(r) ? r.fill(0) : undefined)),
  // x + 0 = x (f32: -0 + 0 is +0, taken as -0; the sign of a zero is not kept).
  rule('add-zero', op('add', [val('x'), lit(0)]), ({ x }) => x),
  // x - 0 = x, exactly (-0 - 0 is -0).
  rule('sub-zero', op('sub', [val('x'), lit(0)]), ({ x }) => x),
  // x - x = 0 for i32 only: for f32, inf - inf and nan - nan are nan.
  rule('sub-self', op('sub', [val('x'), val('x')]), (_, r) => (isInt(r) ? r.fill(0) : undefined)),
  // x / 1 = x, exactly (an i32 quotient by 1 truncates nothing).
  rule('div-one', op('div', [val('x'), lit(1)]), ({ x }) => x),
  // x / c = x * (1/c) for f32 c = ±2^k: 1/c is exact, so both round the same real number. Other
  // c stay divisions, since x * fl(1/c) may differ from x / c in the last bit.
  rule('div-pow2', op('div', [val('x'), splat('c')]), ({ x, c }, r) => {
    const v = r.splat(c!)!;
    const k = Math.log2(Math.abs(v));
    if (r.node.type.dtype !== 'f32' || !Number.isInteger(k) || Math.abs(k) > 126) return undefined;
    const inverse = r.emit('constant', [], { dtype: 'f32', shape: [...r.type(c!).shape], value: [1 / v] });
    return r.emit('mul', [x!, inverse]);
  }),
  // x + (-y) = x - y, exactly (IEEE defines x - y as x + (-y)); (-y) + x matches too.
  rule('add-neg', op('add', [val('x'), op('neg', [val('y')])]), ({ x, y }, r) => r.emit('sub', [x!, y!])),
  // x - (-y) = x + y, exactly.
  rule('sub-neg', op('sub', [val('x'), op('neg', [val('y')])]), ({ x, y }, r) => r.emit('add', [x!, y!])),
  // -(-x) = x, exactly (i32 too).
  rule('neg-neg', op('neg', [op('neg', [val('x')])]), ({ x }) => x),
  // x ^ 1 = x, exactly.
  rule('pow-one', op('pow', [val('x'), lit(1)]), ({ x }) => x),
  // x ^ 2 = x * x: both are the correctly rounded square.
  rule('pow-two', op('pow', [val('x'), lit(2)]), ({ x }, r) => r.emit('mul', [x!, x!])),
  // log(exp(x)) = x: nearer the true value than the rounded pair, but x where exp overflowed
  // (x > 88.7 gave inf) or underflowed (x < -103.3 gave -inf). exp(log(x)) = x is no rule:
  // the left side is nan for x < 0.
  rule('log-exp', op('log', [op('exp', [val('x')])]), ({ x }) => x),
  // cast(x: T, to=T) = x: converting to the dtype x has changes nothing.
  rule('cast-same', op('cast', [val('x')]), ({ x }, r) => (r.type(x!).dtype === r.node.attrs.to ? x : undefined)),
  // where(c, x, x) = x, whatever c holds.
  rule('where-same', op('where', [val('c'), val('x'), val('x')]), ({ x }) => x),
  // transpose(x, [0, 1, ..., n-1]) = x
  rule('transpose-id', op('transpose', [val('x')]), ({ x }, r) => (identityPerm(r.node.attrs.perm) ? x : undefined)),
  // transpose(transpose(x, p), q) = transpose(x, p∘q) with (p∘q)[i] = p[q[i]]; an identity vanishes.
  rule('transpose-transpose', op('transpose', [op('transpose', [val('x')], 'inner')]), ({ x, inner }, r) => {
    const p = r.attrs(inner!, 'transpose').perm;
    const perm = r.node.attrs.perm.map((q) => p[q]!);
    return identityPerm(perm) ? x : r.emit('transpose', [x!], { perm });
  }),
  // reshape(x, shape(x)) = x
  rule('reshape-same', op('reshape', [val('x')]), ({ x }, r) => (sameShape(r.type(x!).shape, r.node.type.shape) ? x : undefined)),
  // reshape(reshape(x, s), t) = reshape(x, t): every reshape keeps the row-major order.
  rule('reshape-reshape', op('reshape', [op('reshape', [val('x')])]), ({ x }, r) => r.reshape(x!, r.node.type.shape)),
  // broadcast_to(x, shape(x)) = x
  rule('broadcast-same', op('broadcast_to', [val('x')]), ({ x }, r) => (sameShape(r.type(x!).shape, r.node.type.shape) ? x : undefined)),
  // broadcast_to(broadcast_to(x, s), t) = broadcast_to(x, t): numpy broadcasting composes.
  rule('broadcast-broadcast', op('broadcast_to', [op('broadcast_to', [val('x')])]), ({ x }, r) => r.emit('broadcast_to', [x!], { shape: [...r.node.type.shape] })),
  // broadcast_to(reshape(x, [1, ..., 1, ...shape(x)]), t) = broadcast_to(x, t): broadcasting
  // prepends the size-1 axes itself (autodiff's reshape-then-broadcast of a scalar).
  rule('broadcast-reshape', op('broadcast_to', [op('reshape', [val('x')], 'inner')]), ({ x, inner }, r) => {
    const s = r.type(inner!).shape;
    const xs = r.type(x!).shape;
    const k = s.length - xs.length;
    const leadingOnes = k >= 0 && s.slice(0, k).every((d) => d === 1) && sameShape(s.slice(k), xs);
    return leadingOnes ? r.emit('broadcast_to', [x!], { shape: [...r.node.type.shape] }) : undefined;
  }),
  // broadcast_to(c, s) = the constant c at shape s, for a splat c: one value needs no repeating.
  // (In the pipeline constant-fold gets there first; the rule serves simplify on its own.)
  rule('broadcast-splat', op('broadcast_to', [splat('c')]), ({ c }, r) => r.fill(r.splat(c!)!)),
  // sum(x) over no axes, or only axes of size 1, = reshape(x): each result is one element
  // (0 + x: for f32 the sign of a zero is not kept, as in add-zero).
  rule('sum-unit', op('reduce_sum', [val('x')]), ({ x }, r) => (unitAxes(r, x!) ? r.reshape(x!, r.node.type.shape) : undefined)),
  // max(x) over no axes, or only axes of size 1, = reshape(x), exactly.
  rule('max-unit', op('reduce_max', [val('x')]), ({ x }, r) => (unitAxes(r, x!) ? r.reshape(x!, r.node.type.shape) : undefined)),
  // argmax(x) along an axis of size 1 = 0
  rule('argmax-unit', op('argmax', [val('x')]), ({ x }, r) => {
    const shape = r.type(x!).shape;
    return shape[normalizeAxis(r.node.attrs.axis, shape.length, 'argmax')] === 1 ? r.fill(0) : undefined;
  }),
  // slice(x) that takes every element in order = x
  rule('slice-all', op('slice', [val('x')]), ({ x }, r) => {
    const { begin, end, stride } = r.node.attrs;
    const whole = r.type(x!).shape.every((d, i) => {
      if (typeof d !== 'number') return begin[i] === 0 && end[i]! >= SLICE_END && stride[i] === 1;
      const { start, count } = sliceRange(begin[i]!, end[i]!, stride[i]!, d);
      return start === 0 && count === d && (stride[i] === 1 || d <= 1);
    });
    return whole ? x : undefined;
  }),
  // pad(x) by nothing on every side = x
  rule('pad-none', op('pad', [val('x')]), ({ x }, r) => ([...r.node.attrs.before, ...r.node.attrs.after].every((p) => p === 0) ? x : undefined)),
  // concat(x) of one operand = x
  rule('concat-one', op('concat', [val('x')]), ({ x }) => x),
];

// ---- the rewrite engine -----------------------------------------------------------------

export interface SimplifyOptions {
  /** The rules to apply (default RULES). */
  rules?: readonly Rule[];
  /** Called each time a rule fires, with the node it rewrote. */
  onRewrite?: (rule: string, node: Node) => void;
}

/** Passes over the graph before giving up on a fixed point (one pass normally reaches it). */
const MAX_ROUNDS = 8;
/** Rewrites of one node in a row (each result is offered to the rules again). */
const MAX_STEPS = 32;

export function simplify(g: Graph, options: SimplifyOptions = {}): Graph {
  const byOp = new Map<string, Rule[]>();
  for (const r of options.rules ?? RULES) byOp.set(r.pattern.op, [...(byOp.get(r.pattern.op) ?? []), r]);
  let current = g;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const next = simplifyOnce(current, byOp, options.onRewrite);
    if (next === current) break;
    current = next;
  }
  return current;
}

/** One pass in program order: producers are final before their readers are looked at. */
function simplifyOnce(g: Graph, byOp: ReadonlyMap<string, readonly Rule[]>, onRewrite: SimplifyOptions['onRewrite']): Graph {
  const types = valueTypes(g);
  const taken = new Set(types.keys());
  const defs = new Map<string, Node>();
  const alias = new Map<string, string>();
  const ref = (v: string) => alias.get(v) ?? v;
  const nodes: Node[] = [];
  let changed = false;
  const checks: Checks = new Map();
  const commit = (n: Node) => {
    nodes.push(n);
    checks.set(n.name, checksOf(n, checks));
    defs.set(n.name, n);
    types.set(n.name, n.type);
    taken.add(n.name);
  };

  for (const original of g.nodes) {
    let n = original.inputs.some((v) => alias.has(v)) ? { ...original, inputs: original.inputs.map(ref) } : original;
    changed ||= n !== original;
    let replacement: string | undefined;
    for (let step = 0; step < MAX_STEPS && replacement === undefined; step++) {
      const fired = rewriteNode(n, byOp.get(n.op) ?? [], { defs, types, taken, checks });
      if (!fired) break;
      changed = true;
      onRewrite?.(fired.rule, n);
      const made = fired.nodes;
      const result = made[made.length - 1];
      if (result && result.name === fired.value) {
        // The new node takes the place and the name of the one it replaces, and is offered to the rules again.
        made.slice(0, -1).forEach(commit);
        n = { ...result, name: original.name };
      } else {
        made.forEach(commit);
        replacement = fired.value;
      }
    }
    if (replacement !== undefined) alias.set(original.name, replacement);
    else commit(n);
  }
  if (!changed) return g;
  return {
    ...g,
    nodes,
    outputs: g.outputs.map((o) => (alias.has(o.value) ? { ...o, value: ref(o.value) } : o)),
    updates: g.updates.map((u) => (alias.has(u.value) ? { ...u, value: ref(u.value) } : u)),
  };
}

interface Fired {
  rule: string;
  value: string;
  /** Nodes the rule made, in order; when the value is one of them, it is the last. */
  nodes: Node[];
}

/**
 * The gathers each value is computed from: each checks its indices at run time, so a rewrite
 * must not drop one (x·0 of a gathered x still refuses an index out of range).
 */
type Checks = Map<string, ReadonlySet<string>>;
const NO_CHECKS: ReadonlySet<string> = new Set();

function checksOf(n: Node, known: ReadonlyMap<string, ReadonlySet<string>>): ReadonlySet<string> {
  const found = new Set(n.op === 'gather' ? [n.name] : []);
  for (const v of n.inputs) for (const c of known.get(v) ?? NO_CHECKS) found.add(c);
  return found.size ? found : NO_CHECKS;
}

/** Whether `value` (one of `made` or a value already there) is computed from every gather `n` is. */
function keepsChecks(n: Node, value: string, made: readonly Node[], checks: Checks): boolean {
  const before = checksOf(n, checks);
  if (before.size === 0) return true;
  const known = new Map(checks);
  for (const m of made) known.set(m.name, checksOf(m, known));
  const after = known.get(value) ?? NO_CHECKS;
  return [...before].every((c) => after.has(c));
}

interface PassState {
  defs: ReadonlyMap<string, Node>;
  types: ReadonlyMap<string, TensorType>;
  taken: ReadonlySet<string>;
  checks: Checks;
}

/** The first rule that rewrites `n` into a value of its exact type and keeps every index check it is computed from. */
function rewriteNode(n: Node, rules: readonly Rule[], { defs, types, taken, checks }: PassState): Fired | undefined {
  const def = (v: string) => (v === n.name ? n : defs.get(v));
  for (const rule of rules) {
    const bindings = match(rule.pattern, n.name, {}, def);
    if (!bindings) continue;
    const made: Node[] = [];
    const typeOf = (v: string): TensorType => types.get(v) ?? made.find((m) => m.name === v)!.type;
    const fresh = () => {
      let k = 0;
      while (taken.has(`${n.name}.${k}`) || made.some((m) => m.name === `${n.name}.${k}`)) k++;
      return `${n.name}.${k}`;
    };
    const r: Rewriter = {
      node: n,
      type: typeOf,
      attrs<M extends OpName>(v: string, op: M): OpAttrs<M> {
        const d = def(v);
        if (d?.op !== op) throw new Error(`simplify: %${v} is not a ${op} node`);
        return d.attrs as OpAttrs<M>;
      },
      splat: (v) => {
        const d = def(v);
        return d?.op === 'constant' ? splatValue(d) : undefined;
      },
      emit(opName, inputs, raw) {
        const opDef = getOp(opName);
        const attrs = checkAttrs(opDef, raw ?? {});
        const node = checkedNode({ name: fresh(), op: opName, inputs: [...inputs], attrs, type: inferType(opDef, inputs.map(typeOf), attrs) });
        if (n.span) node.span = n.span;
        made.push(node);
        return node.name;
      },
      fill: (value) => r.emit('constant', [], { dtype: n.type.dtype, shape: [...n.type.shape], value: [value] }),
      reshape: (x, shape) => (sameShape(typeOf(x).shape, shape) ? x : r.emit('reshape', [x], { shape: [...shape] })),
    };
    const value = rule.rewrite(bindings, r);
    if (value === undefined || value === n.name || !sameType(typeOf(value), n.type) || !keepsChecks(n, value, made, checks)) continue;
    const isNew = made.findIndex((m) => m.name === value);
    if (isNew >= 0 && isNew !== made.length - 1) throw new Error(`simplify: rule ${rule.name} made nodes after its result`);
    return { rule: rule.name, value, nodes: made };
  }
  return undefined;
}

/** Bindings extended by matching `p` against `value`, or undefined when it does not match. */
function match(p: Pattern, value: string, b: Bindings, def: (v: string) => Node | undefined): Bindings | undefined {
  const bind = (name: string): Bindings | undefined => {
    const prior = b[name];
    if (prior !== undefined) return prior === value ? b : undefined;
    return { ...b, [name]: value };
  };
  switch (p.kind) {
    case 'value':
      return bind(p.name);
    case 'literal':
    case 'splat': {
      const d = def(value);
      const v = d?.op === 'constant' ? splatValue(d) : undefined;
      if (v === undefined) return undefined;
      // A literal 0 matches -0 too: both rules it appears in hold for either.
      return p.kind === 'literal' ? (v === p.value ? b : undefined) : bind(p.name);
    }
    case 'op': {
      const n = def(value);
      if (!n || n.op !== p.op || n.inputs.length !== p.args.length) return undefined;
      const bound = p.name === undefined ? b : { ...b, [p.name]: value };
      const orders = getOp(n.op).commutative ? [n.inputs, [...n.inputs].reverse()] : [n.inputs];
      for (const inputs of orders) {
        let acc: Bindings | undefined = bound;
        for (let i = 0; i < inputs.length && acc; i++) acc = match(p.args[i]!, inputs[i]!, acc, def);
        if (acc) return acc;
      }
      return undefined;
    }
  }
}
