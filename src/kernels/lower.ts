// Lowering: a graph of primitives with concrete shapes becomes a kernel program, movement ops becoming index maps on loads.

import { fail } from '../ir/errors.js';
import type { Graph, Initializer, Node, NodeOf } from '../ir/graph.js';
import type { CompositeName } from '../ir/op.js';
import { getOp } from '../ir/ops/index.js';
import { sliceRange } from '../ir/ops/movement.js';
import { isConcrete, normalizeAxes, normalizeAxis, numel, sameShape } from '../ir/types.js';
import type { DType } from '../ir/types.js';
import type { BufferRole, BufferSpec, IndexExpr, Kernel, KernelDType, KernelProgram, KernelStore, Reduction, ValueExpr } from '../../runtime/kernel-ir.js';
import { isBinaryFn, isCompareFn, isUnaryFn } from '../../runtime/kernel-fns.js';
import type { BinaryFn, UnaryFn } from '../../runtime/kernel-fns.js';
import { chooseMaterialized, groupUnits, isFold } from './fusion.js';
import type { FoldNode, GraphFacts, Group, Unit } from './fusion.js';
import {
  broadcastMap,
  checkedIndices,
  evaluatesIndex,
  flatIndex,
  iadd,
  iconst,
  imul,
  ivalue,
  ivar,
  keyOf,
  padMap,
  rangeOf,
  reshapeMap,
  sameIndex,
  simplifyIndex,
  sliceMap,
  transposeMap,
  unflatIndex,
  vars,
} from './index-expr.js';

export interface LowerOptions {
  /** The program's name (default: the graph's). */
  name?: string;
  /** false: every primitive is a kernel of its own (a baseline to count fusion against). */
  fuse?: boolean;
}

// An elementwise graph op of one or two operands lowers to the kernel function of its name
// (runtime/kernel-fns.ts), which has the op's dtypes and semantics (tests/kernels checks).
const isUnaryNode = (n: Node): n is Extract<Node, { op: UnaryFn }> => isUnaryFn(n.op);
const isBinaryNode = (n: Node): n is Extract<Node, { op: BinaryFn }> => isBinaryFn(n.op);

interface Type {
  dtype: DType;
  shape: number[];
}

const cnst = (value: number, dtype: KernelDType): ValueExpr => ({ k: 'const', value, dtype });
const index = (e: IndexExpr): ValueExpr => ({ k: 'index', index: e, dtype: 'i32' });
const bin = (fn: BinaryFn, a: ValueExpr, b: ValueExpr, dtype: KernelDType): ValueExpr => ({ k: 'binary', fn, a, b, dtype });
const select = (cond: ValueExpr, a: ValueExpr, b: ValueExpr): ValueExpr => ({ k: 'where', cond, a, b, dtype: a.dtype });

/** e, after the range checks of `checks` (data-dependent indices): a test that holds once they pass. */
function checking(e: ValueExpr, checks: readonly IndexExpr[]): ValueExpr {
  if (checks.length === 0) return e;
  const zero = checks.map((c) => imul(c, 0)).reduce((x, y) => iadd(x, y));
  return select(bin('eq', index(zero), cnst(0, 'i32'), 'bool'), e, cnst(0, e.dtype));
}

/**
 * How a value is reached while building one expression: a leaf (a load, `acc`), or undefined to
 * inline the op that defines it.
 */
type Leaf = (value: string, idx: IndexExpr[]) => ValueExpr | undefined;

/** What one expression is built against: the extents of its loop variables and how values are reached. */
interface Scope {
  sizes: readonly number[];
  leaf: Leaf;
  memo: Map<string, ValueExpr>;
  /**
   * Drop the branches of pad and concat tests that the index range decides. Off while finding
   * what a value reads, so every read a kernel might keep is known (a kernel's index ranges can
   * be looser than the value's own).
   */
  prune: boolean;
}

/** Builds scalar expressions for the values of one graph. */
class ExprBuilder {
  constructor(
    private readonly nodes: ReadonlyMap<string, Node>,
    private readonly types: ReadonlyMap<string, Type>,
    /** Synthetic values that copy a source (an output that is an input or a parameter). */
    private readonly copies: ReadonlyMap<string, string>,
  ) {}

  type(v: string): Type {
    return this.types.get(v)!;
  }

  /** `v` at point `idx` of its shape. */
  value(v: string, idx: IndexExpr[], s: Scope): ValueExpr {
    const key = `${v}@${idx.map(keyOf).join(',')}`;
    let e = s.memo.get(key);
    if (!e) {
      e = s.leaf(v, idx) ?? this.expand(v, idx, s);
      s.memo.set(key, e);
    }
    return e;
  }

  /** The row-major offset of point `idx` of v, plus `offset`, simplified. */
  offset(v: string, idx: IndexExpr[], offset: number, s: Scope): IndexExpr {
    return simplifyIndex(iadd(flatIndex(idx, this.type(v).shape), iconst(offset)), s.sizes);
  }

  private at(v: string, idx: IndexExpr[], s: Scope): ValueExpr {
    return this.value(
      v,
      idx.map((e) => simplifyIndex(e, s.sizes)),
      s,
    );
  }

  /** The expression of the op that defines v, its operands reached through the scope. */
  expand(v: string, idx: IndexExpr[], s: Scope): ValueExpr {
    const source = this.copies.get(v);
    if (source) return this.value(source, idx, s);
    const n = this.nodes.get(v);
    if (!n || isFold(n)) throw new Error(`lower: ${v} must be reached through a buffer`);
    const { dtype, shape } = this.type(v);
    const operand = (i: number, map: (idx: IndexExpr[], from: number[]) => IndexExpr[] = (x, from) => broadcastMap(x, from, shape)): ValueExpr => {
      const x = n.inputs[i]!;
      return this.at(x, map(idx, this.type(x).shape), s);
    };
    if (isUnaryNode(n)) return { k: 'unary', fn: n.op, a: operand(0), dtype };
    if (isBinaryNode(n)) return bin(n.op, operand(0), operand(1), isCompareFn(n.op) ? 'bool' : dtype);
    switch (n.op) {
      case 'where': {
        // Only the chosen branch runs: the index checks of both run first, as the reference
        // checks every gather.
        const [a, b] = [operand(1), operand(2)];
        return checking({ k: 'where', cond: operand(0), a, b, dtype }, [...checkedIndices(a).values(), ...checkedIndices(b).values()]);
      }
      case 'cast': {
        const x = operand(0);
        return x.dtype === dtype ? x : { k: 'cast', a: x, dtype };
      }
      case 'constant':
        return cnst(n.attrs.value[0]!, dtype); // a splat: others are const buffers
      case 'reshape':
        return operand(0, (x, from) => reshapeMap(x, from, shape));
      case 'broadcast_to':
        return operand(0);
      case 'transpose':
        return operand(0, (x) => transposeMap(x, n.attrs.perm));
      case 'slice': {
        const xs = this.type(n.inputs[0]!).shape;
        const { begin, end, stride } = n.attrs;
        const starts = xs.map((d, i) => sliceRange(begin[i]!, end[i]!, stride[i]!, d).start);
        return operand(0, (x) => sliceMap(x, starts, stride));
      }
      case 'pad':
        return this.pad(n, idx, s);
      case 'concat':
        return this.concat(n, idx, s);
      case 'gather':
        return this.gather(n, idx, s);
      case 'one_hot': {
        // one_hot(y)[..., j] = (j == y[...]): an index out of range matches no j.
        const hit = bin('eq', index(idx[idx.length - 1]!), this.at(n.inputs[0]!, idx.slice(0, -1), s), 'bool');
        return dtype === 'bool' ? hit : { k: 'cast', a: hit, dtype };
      }
      case 'random_uniform':
      case 'random_normal': {
        const key = n.inputs.length ? this.at(n.inputs[0]!, [], s) : undefined;
        const [dist, lo, hi] = n.op === 'random_uniform' ? (['uniform', n.attrs.low, n.attrs.high] as const) : (['normal', n.attrs.mean, n.attrs.std] as const);
        return { k: 'random', dist, seed: n.attrs.seed, ...(key ? { key } : {}), counter: simplifyIndex(flatIndex(idx, shape), s.sizes), a: lo, b: hi, dtype: 'f32' };
      }
      default:
        // Only composites are left: a primitive without a case here fails to type-check.
        return fail('usage', `lowerToKernels: no kernel lowering for op '${(n satisfies NodeOf<CompositeName>).op}'`, n.span);
    }
  }

  /** where(e < c) or where(e >= c): just one branch when the range of e decides the test. */
  private guard(op: 'lt' | 'ge', e: IndexExpr, c: number, a: () => ValueExpr, b: () => ValueExpr, s: Scope): ValueExpr {
    const [lo, hi] = s.prune ? rangeOf(e, s.sizes) : [-Infinity, Infinity];
    if (op === 'lt' ? hi < c : lo >= c) return a();
    if (op === 'lt' ? lo >= c : hi < c) return b();
    return select(bin(op, index(e), cnst(c, 'i32'), 'bool'), a(), b());
  }

  /** pad: the operand where every padded axis is inside its range, else the pad value. */
  private pad(n: NodeOf<'pad'>, idx: IndexExpr[], s: Scope): ValueExpr {
    const { before, after } = n.attrs;
    const xs = this.type(n.inputs[0]!).shape;
    const fill = () => cnst(n.attrs.value, this.type(n.name).dtype);
    // Innermost first: the load, then one test per padded side.
    let e = () => this.at(n.inputs[0]!, padMap(idx, before), s);
    xs.forEach((d, i) => {
      const inner = e;
      const upper = after[i]! > 0 ? () => this.guard('lt', idx[i]!, before[i]! + d, inner, fill, s) : inner;
      e = before[i]! > 0 ? () => this.guard('ge', idx[i]!, before[i]!, upper, fill, s) : upper;
    });
    return e();
  }

  /** concat: nested wheres on the axis index choose the operand whose stretch holds the point. */
  private concat(n: NodeOf<'concat'>, idx: IndexExpr[], s: Scope): ValueExpr {
    const shape = this.type(n.name).shape;
    const axis = normalizeAxis(n.attrs.axis, shape.length, 'concat');
    let offset = 0;
    const parts: { x: string; offset: number }[] = [];
    for (const x of n.inputs) {
      const size = this.type(x).shape[axis]!;
      if (size > 0) parts.push({ x, offset });
      offset += size;
    }
    if (parts.length === 0) return this.at(n.inputs[0]!, idx, s); // an empty result: never evaluated
    const part = (p: { x: string; offset: number }) => () =>
      this.at(
        p.x,
        idx.map((e, i) => (i === axis ? iadd(e, iconst(-p.offset)) : e)),
        s,
      );
    let e = part(parts[parts.length - 1]!);
    for (let k = parts.length - 2; k >= 0; k--) {
      const [here, later, bound] = [part(parts[k]!), e, parts[k + 1]!.offset];
      e = () => this.guard('lt', idx[axis]!, bound, here, later, s);
    }
    return e();
  }

  /** gather: a load whose index along `axis` is the loaded i32 index. */
  private gather(n: NodeOf<'gather'>, idx: IndexExpr[], s: Scope): ValueExpr {
    const [x, indices] = n.inputs as [string, string];
    const xs = this.type(x).shape;
    const axis = normalizeAxis(n.attrs.axis, xs.length, 'gather');
    const r = this.type(indices).shape.length;
    const k = this.at(indices, idx.slice(axis, axis + r), s);
    const check = ivalue(k, xs[axis] as number);
    const e = this.at(x, [...idx.slice(0, axis), check, ...idx.slice(axis + r)], s);
    // The map to x's buffer may drop the index (x broadcasts along the axis): its check stays.
    return evaluatesIndex(e, check) ? e : checking(e, [check]);
  }

  /** The fold of a reduction or matmul node at parallel point `p`, reduction variables `r`. */
  fold(n: FoldNode, p: IndexExpr[], r: IndexExpr[], s: Scope): Reduction {
    const x = n.inputs[0]!;
    const xs = this.type(x).shape;
    if (n.op === 'matmul') {
      const b = n.inputs[1]!;
      const bs = this.type(b).shape;
      const out = this.type(n.name).shape;
      const batch = out.slice(0, -2);
      const rank = out.length;
      const ai = [...broadcastMap(p.slice(0, -2), xs.slice(0, -2), batch), p[rank - 2]!, r[0]!];
      const bi = [...broadcastMap(p.slice(0, -2), bs.slice(0, -2), batch), r[0]!, p[rank - 1]!];
      const dtype = this.type(n.name).dtype;
      return { op: 'sum', shape: [xs[xs.length - 1]!], value: bin('mul', this.at(x, ai, s), this.at(b, bi, s), dtype) };
    }
    const keepdims = n.attrs.keepdims;
    const axes = n.op === 'argmax' ? [normalizeAxis(n.attrs.axis, xs.length, 'argmax')] : normalizeAxes(n.attrs.axes, xs.length, n.op);
    let kept = 0;
    const xi = xs.map((_, i) => {
      const at = axes.indexOf(i);
      if (at >= 0) return r[at]!;
      return p[keepdims ? i : kept++]!;
    });
    const op = n.op === 'reduce_sum' ? 'sum' : n.op === 'reduce_max' ? 'max' : 'argmax';
    return { op, shape: axes.map((a) => xs[a]!), value: this.at(x, xi, s) };
  }

  /** Sizes of a fold node's reduction axes. */
  foldShape(n: FoldNode): number[] {
    const xs = this.type(n.inputs[0]!).shape;
    if (n.op === 'matmul') return [xs[xs.length - 1]!];
    if (n.op === 'argmax') return [xs[normalizeAxis(n.attrs.axis, xs.length, 'argmax')]!];
    return normalizeAxes(n.attrs.axes, xs.length, n.op).map((a) => xs[a]!);
  }
}

/** Nodes that some output or update needs, in graph order. */
function liveNodes(g: Graph): Node[] {
  const live = new Set([...g.outputs.map((o) => o.value), ...g.updates.map((u) => u.value)]);
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k]!;
    if (live.has(n.name)) for (const i of n.inputs) live.add(i);
  }
  return g.nodes.filter((n) => live.has(n.name));
}

const isSplat = (n: Node): boolean => n.op === 'constant' && n.attrs.value.length === 1;
const acc = (dtype: KernelDType): ValueExpr => ({ k: 'acc', dtype });

/** One graph on its way to a program: its facts, then its units, groups, buffers and kernels. */
class Lowering {
  readonly types = new Map<string, Type>();
  readonly nodes: Node[];
  readonly byName: Map<string, Node>;
  readonly order: Map<string, number>;
  /** Non-splat constants: buffers with data. */
  readonly consts: NodeOf<'constant'>[];
  /** Values with buffers no kernel writes: inputs, params, consts. */
  readonly sources: Set<string>;
  /** Outputs and updates. */
  readonly external: Set<string>;
  /** Outputs that are sources, copied into buffers of their own: copy name -> source. */
  readonly copies = new Map<string, string>();
  /** Values with a buffer written by a kernel. */
  readonly stored: Set<string>;
  readonly builder: ExprBuilder;
  /** Where each value with a buffer lives: the buffer and the element offset in it (stacks). */
  readonly location = new Map<string, { buffer: string; offset: number }>();
  groupOf = new Map<string, Group>();

  constructor(
    readonly g: Graph,
    fuse: boolean,
  ) {
    for (const v of [...g.inputs, ...g.params, ...g.nodes]) {
      if (!isConcrete(v.type.shape)) fail('usage', `lowerToKernels: ${v.name} has shape [${v.type.shape.join(', ')}]; run the specialize pass first`, v.span);
      this.types.set(v.name, { dtype: v.type.dtype, shape: [...v.type.shape] as number[] });
    }
    for (const n of g.nodes) {
      if (getOp(n.op, n.span).kind !== 'primitive') fail('usage', `lowerToKernels: ${n.op} is a composite; run the decompose pass first`, n.span);
    }
    this.nodes = liveNodes(g);
    this.byName = new Map(this.nodes.map((n) => [n.name, n]));
    this.order = new Map(this.nodes.map((n, i) => [n.name, i]));
    this.consts = this.nodes.filter((n): n is NodeOf<'constant'> => n.op === 'constant' && !isSplat(n));
    this.sources = new Set([...g.inputs.map((i) => i.name), ...g.params.map((p) => p.name), ...this.consts.map((n) => n.name)]);
    this.external = new Set([...g.outputs.map((o) => o.value), ...g.updates.map((u) => u.value)]);
    for (const s of this.sources) this.location.set(s, { buffer: s, offset: 0 });
    for (const o of g.outputs) {
      if (!this.sources.has(o.value)) continue;
      const name = `output:${o.name}`;
      this.copies.set(name, o.value);
      this.types.set(name, this.types.get(o.value)!);
      this.order.set(name, this.nodes.length + this.copies.size);
    }
    const facts: GraphFacts = { nodes: this.nodes, external: this.external, sources: this.sources, shapeOf: (v) => this.types.get(v)!.shape };
    this.stored = new Set([...chooseMaterialized(facts, { fuse }).keys(), ...this.copies.keys()]);
    this.builder = new ExprBuilder(this.byName, this.types, this.copies);
  }

  private shape(v: string): number[] {
    return this.types.get(v)!.shape;
  }

  private foldNode(v: string): FoldNode | undefined {
    const n = this.byName.get(v);
    return n && isFold(n) ? n : undefined;
  }

  /** The fold node that defines v (an anchor or a member of a stack). */
  private foldOf(v: string): FoldNode {
    const n = this.foldNode(v);
    if (!n) throw new Error(`lower: ${v} is not a fold`);
    return n;
  }

  /** Each stored value as grouping sees it: its expression built once to find what it reads, and where. */
  units(): Unit[] {
    return [...this.stored].map((v) => {
      const n = this.foldNode(v);
      const shape = this.shape(v);
      const foldShape = n ? this.builder.foldShape(n) : [];
      const sizes = [...shape, ...foldShape];
      const point = flatIndex(vars(shape.length), shape);
      const reads = new Map<string, boolean>();
      const probe: Scope = {
        sizes,
        memo: new Map(),
        prune: false,
        leaf: (d, idx) => {
          if (!this.location.has(d) && !this.stored.has(d)) return undefined;
          if (this.stored.has(d)) {
            const ds = this.shape(d);
            const atPoint = !n && numel(ds) === numel(shape) && sameIndex(flatIndex(idx, ds), point, sizes);
            reads.set(d, (reads.get(d) ?? true) && atPoint);
          }
          return { k: 'load', buffer: d, index: iconst(0), dtype: this.types.get(d)!.dtype };
        },
      };
      if (n) this.builder.fold(n, vars(shape.length), vars(foldShape.length, shape.length), probe);
      else this.builder.expand(v, vars(shape.length), probe);
      const unit: Unit = { value: v, shape, order: this.order.get(v)!, external: this.external.has(v) || this.copies.has(v), reads };
      // Stacked folds share one expression and one accumulator: same op, dtypes and extents.
      if (n) unit.fold = { key: `${n.op}:${this.types.get(n.inputs[0]!)!.dtype}:${this.types.get(v)!.dtype}:${foldShape.join(',')}`, stackable: n.op !== 'matmul' };
      return unit;
    });
  }

  /**
   * The buffers: given ones first, then per kernel those of its values that leave it (outputs,
   * updates, values read by later kernels); a stack is one buffer holding all its reductions.
   */
  buffers(groups: readonly Group[], units: readonly Unit[]): BufferSpec[] {
    this.groupOf = new Map(groups.flatMap((grp) => grp.members.map((m) => [m, grp] as const)));
    const readOutside = new Set(
      units.filter((u) => this.groupOf.has(u.value)).flatMap((u) => [...u.reads.keys()].filter((d) => this.groupOf.get(d) !== this.groupOf.get(u.value))),
    );
    const given = (name: string, role: BufferRole, data?: number[]): BufferSpec => ({
      name,
      dtype: this.types.get(name)!.dtype,
      shape: this.shape(name),
      role,
      ...(data ? { data } : {}),
    });
    const buffers = [
      ...this.g.inputs.map((i) => given(i.name, 'input')),
      ...this.g.params.map((p) => given(p.name, 'param')),
      ...this.consts.map((n) => given(n.name, 'const', [...n.attrs.value])),
    ];
    for (const grp of groups) {
      if (grp.stacked) {
        const name = `stack(${grp.members.join(',')})`;
        grp.members.forEach((m, i) => this.location.set(m, { buffer: name, offset: i * numel(grp.shape) }));
        buffers.push({ name, dtype: this.types.get(grp.members[0]!)!.dtype, shape: [grp.members.length, ...grp.shape], role: 'temp' });
        continue;
      }
      for (const m of grp.members) {
        const handedBack = this.external.has(m) || this.copies.has(m);
        if (!handedBack && !readOutside.has(m)) continue;
        this.location.set(m, { buffer: m, offset: 0 });
        buffers.push({ ...given(m, handedBack ? 'output' : 'temp') });
      }
    }
    return buffers;
  }

  private load(v: string, idx: IndexExpr[], s: Scope): ValueExpr {
    const at = this.location.get(v)!;
    return { k: 'load', buffer: at.buffer, index: this.builder.offset(v, idx, at.offset, s), dtype: this.types.get(v)!.dtype };
  }

  /** The kernel of a group: its anchor's fold, a store per value with a buffer. */
  kernel(grp: Group, name: string): Kernel {
    if (grp.stacked) return this.stackedKernel(grp, name);
    const shape = [...grp.shape];
    const anchor = grp.anchor ? this.foldOf(grp.anchor) : undefined;
    const foldShape = anchor ? this.builder.foldShape(anchor) : [];
    const sizes = [...shape, ...foldShape];
    // Values of this kernel are read only at the point (grouping checked it when it merged
    // them), so the anchor is `acc` and the others are inlined.
    const s: Scope = {
      sizes,
      memo: new Map(),
      prune: true,
      leaf: (v, idx) => {
        if (this.groupOf.get(v) === grp) return v === grp.anchor ? acc(this.types.get(v)!.dtype) : undefined;
        return this.location.has(v) ? this.load(v, idx, s) : undefined;
      },
    };
    // Each store reads the point in its own shape (a reshape of the kernel's, same size).
    const point = flatIndex(vars(shape.length), shape);
    const pointIn = (v: string) => (sameShape(this.shape(v), shape) ? vars(shape.length) : unflatIndex(point, this.shape(v)).map((e) => simplifyIndex(e, sizes)));
    const stores: KernelStore[] = grp.members
      .filter((m) => this.location.get(m)?.buffer === m)
      .map((m) => ({ buffer: m, value: m === grp.anchor ? acc(this.types.get(m)!.dtype) : this.builder.expand(m, pointIn(m), s) }));
    const kernel: Kernel = { name, pattern: anchor ? (anchor.op === 'matmul' ? 'matmul' : 'reduce') : 'elementwise', shape, stores };
    if (anchor) kernel.reduce = this.builder.fold(anchor, vars(shape.length), vars(foldShape.length, shape.length), s);
    return kernel;
  }

  /** Independent reductions stacked on a new axis 0: its index picks the one folded. */
  private stackedKernel(grp: Group, name: string): Kernel {
    const first = this.foldOf(grp.members[0]!);
    const foldShape = this.builder.foldShape(first);
    const shape = [grp.members.length, ...grp.shape];
    const s: Scope = { sizes: [...shape, ...foldShape], memo: new Map(), prune: true, leaf: (v, idx) => (this.location.has(v) ? this.load(v, idx, s) : undefined) };
    const p = vars(grp.shape.length, 1);
    const r = vars(foldShape.length, shape.length);
    const folds = grp.members.map((m) => this.builder.fold(this.foldOf(m), p, r, s));
    let value = folds[folds.length - 1]!.value;
    for (let i = folds.length - 2; i >= 0; i--) value = select(bin('eq', index(ivar(0)), cnst(i, 'i32'), 'bool'), folds[i]!.value, value);
    const buffer = this.location.get(first.name)!.buffer;
    return { name, pattern: 'reduce', shape, reduce: { op: folds[0]!.op, shape: foldShape, value }, stores: [{ buffer, value: acc(this.types.get(first.name)!.dtype) }] };
  }

  program(name: string, buffers: BufferSpec[], kernels: Kernel[]): KernelProgram {
    const g = this.g;
    const bufferOf = (v: string): string => this.location.get(v)!.buffer;
    const scalarArgs = (args: Initializer['args']) => Object.fromEntries(Object.entries(args).filter((e): e is [string, number | string | boolean] => !Array.isArray(e[1])));
    return {
      name,
      buffers,
      kernels,
      inputs: g.inputs.map((i) => ({ name: i.name, buffer: i.name })),
      outputs: g.outputs.map((o) => ({ name: o.name, buffer: this.sources.has(o.value) ? `output:${o.name}` : bufferOf(o.value) })),
      params: g.params.map((p) => ({ name: p.name, buffer: p.name, init: { fn: p.init.fn, args: scalarArgs(p.init.args) } })),
      updates: g.updates.map((u) => ({ param: u.param, buffer: bufferOf(u.value) })),
      arenaBytes: 0,
    };
  }
}

/**
 * Lowers a graph of primitives with concrete shapes (run decompose and specialize first) to a
 * kernel program. Each stored value (fusion.ts decides which) is computed by a kernel whose
 * stores are scalar expressions; everything else is inlined into them, movement ops as index
 * maps on the loads beneath them. Temp buffers get no offsets and `arenaBytes` is 0: the memory
 * planner fills them in.
 *
 *   %t = transpose(%w) {perm=[1, 0]}        k0 matmul at [4, 3], sum over [5]: x[5*i0 + r0] * w[5*i1 + r0]
 *   %y = matmul(%x, %t)             -->       z = relu(acc)
 *   %z = relu(%y)      (output z)           (neither t nor y has a buffer)
 */
export function lowerToKernels(g: Graph, options: LowerOptions = {}): KernelProgram {
  const fuse = options.fuse ?? true;
  const l = new Lowering(g, fuse);
  const units = l.units();
  const groups = groupUnits(units, { fuse });
  const buffers = l.buffers(groups, units);
  const kernels = groups.map((grp, k) => l.kernel(grp, `k${k}`));
  return l.program(options.name ?? g.name, buffers, kernels);
}
