// Fusion decisions: which values get a buffer (chooseMaterialized) and which stored values each kernel computes (groupUnits).
// What an op is to fusion (a fold, a view, its cost per element) is a field of its definition
// (src/ir/op.ts `fusion` and `cost`); elementwise ops take their cost from their kernel function.

import type { Node } from '../ir/graph.js';
import type { FusionKind } from '../ir/op.js';
import { OP_DEFS } from '../ir/ops/index.js';
import { numel } from '../ir/types.js';

/** Nodes whose result is a fold over reduction axes: computed once, in a kernel of their own or as its `acc`. */
export type FoldNode = Extract<Node, { op: 'reduce_sum' | 'reduce_max' | 'argmax' | 'matmul' }>;

function fusionOf(n: Node): FusionKind {
  const def = OP_DEFS[n.op];
  return def.kind === 'primitive' ? def.fusion : 'pointwise';
}

/** Whether a node is a fold (its op's definition says `fusion: 'fold'`). */
export const isFold = (n: Node): n is FoldNode => fusionOf(n) === 'fold';

/** Whether a node is a pure index map of its operand (no condition): a matmul may read through it. */
export const isView = (n: Node): boolean => fusionOf(n) === 'view';

/** The weights of the cost model, in units of one add. */
export const COST = {
  /** One kernel launch plus a temp buffer's trip through memory, in adds: what storing saves. */
  launch: 32768,
};

/** The cost of computing one element of a node's result from its operands: its op's `cost`. */
export function opWeight(n: Node): number {
  const def = OP_DEFS[n.op];
  return def.kind === 'primitive' ? def.cost : 1;
}

/**
 * "Cheap enough to recompute": a value evaluated `evals` times by its consumers when inlined
 * (more than its `size` when it is shared or broadcast) is stored instead when the redundant
 * work exceeds what storing costs, `weight · (evals - size) > size + COST.launch`. So a shared
 * add over a tensor is recomputed (twice the work of one add per element is about one store),
 * an exp shared by two kernels over a few thousand elements is recomputed, and a scalar
 * broadcast into a large update (Adam's bias corrections) is stored.
 */
export function costlyToRecompute(weight: number, evals: number, size: number): boolean {
  return weight * (evals - size) > size + COST.launch;
}

export type Reason = 'output' | 'fold' | 'matmul operand' | 'costly to recompute' | 'unfused';

export interface GraphFacts {
  /** Live nodes in graph order (every operand before its consumers). */
  nodes: readonly Node[];
  /** Values the program hands back: outputs and updates. */
  external: ReadonlySet<string>;
  /** Values with a buffer of their own that no kernel writes: inputs, params, non-splat constants. */
  sources: ReadonlySet<string>;
  shapeOf(value: string): readonly number[];
}

/** The elements folded per point of a fold node's result. */
function foldSize(n: Node, facts: GraphFacts): number {
  const x = facts.shapeOf(n.inputs[0]!);
  if (n.op === 'matmul') return x[x.length - 1]!;
  return numel(x) / Math.max(1, numel(facts.shapeOf(n.name)));
}

/**
 * The nodes that get a buffer, with why; sources are not listed (they have one already). Walking
 * the graph from its outputs back: outputs and updates, reductions and matmuls get a buffer, and
 * so does a computed matmul operand (a matmul folds a product of two plain loads, under index
 * maps only). Every other value is inlined into its consumers' expressions unless recomputing it
 * there costs more than storing it (`costlyToRecompute`); movement ops and splat constants cost
 * nothing, being index arithmetic, so they are stored only as outputs.
 *
 *   %h = matmul(%x, %w)        stored (a fold)         k0 matmul at [B, 256], sum over [784]: x[..] * w[..]
 *   %a = add(%h, %b)           inlined          -->      a2 = relu(acc + b[i1])
 *   %a2 = relu(%a)             stored (output)
 */
export function chooseMaterialized(facts: GraphFacts, options: { fuse: boolean }): Map<string, Reason> {
  const consumers = new Map<string, Node[]>();
  for (const n of facts.nodes) for (const i of n.inputs) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push(n);
  const byName = new Map(facts.nodes.map((n) => [n.name, n]));
  const forced = new Map<string, Reason>();
  for (const v of facts.external) if (byName.has(v)) forced.set(v, 'output');
  const chosen = new Map<string, Reason>();
  /** How often evaluating a node once per point evaluates each operand. */
  const perOperand = new Map<string, number>();

  for (let k = facts.nodes.length - 1; k >= 0; k--) {
    const n = facts.nodes[k]!;
    if (facts.sources.has(n.name)) continue;
    const size = numel(facts.shapeOf(n.name));
    let reason = forced.get(n.name) ?? (isFold(n) ? 'fold' : options.fuse ? undefined : 'unfused');
    if (n.op === 'matmul') {
      for (const operand of n.inputs) {
        let base = operand;
        while (byName.has(base) && isView(byName.get(base)!)) base = byName.get(base)!.inputs[0]!;
        const b = byName.get(base);
        if (b && !facts.sources.has(base) && !isFold(b) && !forced.has(base)) forced.set(base, 'matmul operand');
      }
    }
    // Times this node would be evaluated if inlined: once per evaluation of each consumer.
    const evals = (consumers.get(n.name) ?? []).reduce((s, c) => s + perOperand.get(c.name)!, 0);
    if (!reason && costlyToRecompute(opWeight(n), evals, size)) reason = 'costly to recompute';
    if (reason) {
      chosen.set(n.name, reason);
      perOperand.set(n.name, isFold(n) ? size * foldSize(n, facts) : size);
    } else {
      perOperand.set(n.name, evals);
    }
  }
  return chosen;
}

// ---- grouping ------------------------------------------------------------------------------

/** A stored value, as grouping sees it. */
export interface Unit {
  value: string;
  shape: readonly number[];
  /** Position in graph order: the schedule prefers the earlier. */
  order: number;
  /** An output or update (or an output's copy): it needs a buffer of its own, never a slot of a stack. */
  external: boolean;
  /** For a reduction or matmul: what folds (units stack only when their keys are equal). */
  fold?: { key: string; stackable: boolean };
  /**
   * Stored values it reads, each with whether every read is at the unit's own point (same
   * element count, same row-major offset). Reads inside a fold are never at the point.
   */
  reads: ReadonlyMap<string, boolean>;
}

/** One kernel: the values it computes. */
export interface Group {
  /** The reduction or matmul whose fold the kernel runs; other members are its epilogue. */
  anchor?: string;
  /** Values computed here, the anchor first, in graph order. */
  members: string[];
  /** Independent reductions folded along a new leading axis, one buffer holding them all. */
  stacked: boolean;
  /** The kernel's space (for a stack: one member's shape; the kernel prepends the stack axis). */
  shape: readonly number[];
  order: number;
}

function dropOnes(shape: readonly number[]): string {
  return shape.filter((d) => d !== 1).join(',');
}

class Grouping {
  readonly groupOf = new Map<string, Group>();
  private readonly units: Map<string, Unit>;
  private readonly readers = new Map<string, Unit[]>();

  constructor(units: readonly Unit[]) {
    this.units = new Map(units.map((u) => [u.value, u]));
    for (const u of units) {
      for (const d of u.reads.keys()) (this.readers.get(d) ?? this.readers.set(d, []).get(d)!).push(u);
      const g: Group = { members: [u.value], stacked: false, shape: u.shape, order: u.order, ...(u.fold ? { anchor: u.value } : {}) };
      this.groupOf.set(u.value, g);
    }
  }

  groups(): Group[] {
    return [...new Set(this.groupOf.values())].sort((a, b) => a.order - b.order);
  }

  unit(v: string): Unit {
    return this.units.get(v)!;
  }

  /** Kernels that read a value of g. */
  successors(g: Group): Set<Group> {
    const out = new Set<Group>();
    for (const v of g.members) for (const r of this.readers.get(v) ?? []) out.add(this.groupOf.get(r.value)!);
    out.delete(g);
    return out;
  }

  /** Whether a path of two or more steps leads from a to b. */
  private reachesIndirectly(a: Group, b: Group): boolean {
    const seen = new Set<Group>();
    const stack = [...this.successors(a)].filter((s) => s !== b);
    while (stack.length) {
      const g = stack.pop()!;
      if (g === b) return true;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...this.successors(g));
    }
    return false;
  }

  private readsFrom(reader: Group, source: Group): { any: boolean; allAtPoint: boolean; byFold: boolean } {
    let any = false;
    let allAtPoint = true;
    let byFold = false;
    for (const v of reader.members) {
      for (const [d, atPoint] of this.unit(v).reads) {
        if (this.groupOf.get(d) !== source) continue;
        any = true;
        allAtPoint &&= atPoint;
        if (v === reader.anchor || reader.stacked) byFold = true;
      }
    }
    return { any, allAtPoint, byFold };
  }

  /** Whether a and b can be one kernel (the rules are groupUnits'). */
  canMerge(a: Group, b: Group): boolean {
    if (a === b || a.stacked || b.stacked || (a.anchor && b.anchor)) return false;
    if (numel(a.shape) !== numel(b.shape)) return false;
    const ab = this.readsFrom(b, a);
    const ba = this.readsFrom(a, b);
    if (ab.any && ba.any) return false;
    for (const r of [ab, ba]) if (r.any && (!r.allAtPoint || r.byFold)) return false;
    return !this.reachesIndirectly(a, b) && !this.reachesIndirectly(b, a);
  }

  /** Whether no path at all joins a and b. */
  independent(a: Group, b: Group): boolean {
    return !this.successors(a).has(b) && !this.successors(b).has(a) && !this.reachesIndirectly(a, b) && !this.reachesIndirectly(b, a);
  }

  merge(a: Group, b: Group): Group {
    const anchor = a.anchor ?? b.anchor;
    const rest = [...a.members, ...b.members].filter((m) => m !== anchor).sort((x, y) => this.unit(x).order - this.unit(y).order);
    const g: Group = {
      members: anchor ? [anchor, ...rest] : rest,
      stacked: false,
      shape: anchor ? this.unit(anchor).shape : a.shape,
      order: Math.min(a.order, b.order),
      ...(anchor ? { anchor } : {}),
    };
    for (const m of g.members) this.groupOf.set(m, g);
    return g;
  }

  /** Folds `gs` (single reductions, pairwise independent) into one stacked kernel. */
  stack(gs: Group[]): void {
    const members = gs.flatMap((g) => g.members).sort((x, y) => this.unit(x).order - this.unit(y).order);
    const g: Group = { members, stacked: true, shape: gs[0]!.shape, order: Math.min(...gs.map((x) => x.order)) };
    for (const m of members) this.groupOf.set(m, g);
  }
}

/**
 * Groups stored values into kernels and returns them in a valid execution order. Starting from
 * one kernel per stored value:
 *  1. epilogues: an elementwise value that reads a reduction at its own point joins the
 *     reduction's kernel, where the reduction is `acc`: relu(x @ w + b), Adam's m', v', w';
 *  2. stacks: independent reductions of one kind and shape, with no epilogue, fold together along
 *     a new leading axis of the kernel whose index picks the reduction each point folds;
 *  3. siblings: kernels over one space (size-1 axes aside) merge into one with several stores.
 * Every merge keeps the schedule a DAG: two kernels merge only when no path of two or more steps
 * joins them, and when any direct read between them is at the reading point (then it is inlined,
 * or becomes `acc`). A fold never reads a value of its own kernel, so a value that a reduction
 * over another space needs is stored first, and a reduction used twice is stored once.
 */
export function groupUnits(units: readonly Unit[], options: { fuse: boolean }): Group[] {
  const G = new Grouping(liveUnits(units));
  if (options.fuse) {
    fuseEpilogues(G);
    stackReductions(G);
    fuseSiblings(G);
  }
  return schedule(G);
}

/** Units an output or update needs, directly or through what it reads (a zero-size concat operand is read by nothing). */
function liveUnits(units: readonly Unit[]): Unit[] {
  const byValue = new Map(units.map((u) => [u.value, u]));
  const live = new Set<string>();
  const stack = units.filter((u) => u.external).map((u) => u.value);
  while (stack.length) {
    const v = stack.pop()!;
    if (live.has(v)) continue;
    live.add(v);
    stack.push(...byValue.get(v)!.reads.keys());
  }
  return units.filter((u) => live.has(u.value));
}

function fuseEpilogues(G: Grouping): void {
  for (const e of G.groups()) {
    if (e.anchor || e.stacked) continue;
    // Candidates: reductions (with their epilogues so far) that e reads at its point, latest first.
    const candidates = new Set<Group>();
    for (const v of e.members) {
      for (const [d, atPoint] of G.unit(v).reads) {
        const g = G.groupOf.get(d)!;
        if (atPoint && g.anchor) candidates.add(g);
      }
    }
    const target = [...candidates].sort((a, b) => b.order - a.order).find((g) => G.canMerge(g, e));
    if (target) G.merge(target, e);
  }
}

function stackReductions(G: Grouping): void {
  const buckets = new Map<string, Group[]>();
  for (const g of G.groups()) {
    const u = g.anchor ? G.unit(g.anchor) : undefined;
    if (!u?.fold?.stackable || g.members.length !== 1 || u.external) continue;
    const key = `${u.fold.key}@${u.shape.join(',')}`;
    (buckets.get(key) ?? buckets.set(key, []).get(key)!).push(g);
  }
  for (let pending of buckets.values()) {
    while (pending.length > 1) {
      const chosen: Group[] = [];
      const left: Group[] = [];
      for (const g of pending) (chosen.every((c) => G.independent(c, g)) ? chosen : left).push(g);
      if (chosen.length > 1) G.stack(chosen);
      pending = left;
    }
  }
}

function fuseSiblings(G: Grouping): void {
  let groups = G.groups();
  for (let i = 0; i < groups.length; i++) {
    let a = groups[i]!;
    for (let j = i + 1; j < groups.length; j++) {
      const b = groups[j]!;
      if (dropOnes(a.shape) !== dropOnes(b.shape) || !G.canMerge(a, b)) continue;
      a = G.merge(a, b);
      groups = G.groups();
      i = groups.indexOf(a);
      j = i;
    }
  }
}

/** Kahn's algorithm, taking the ready kernel earliest in graph order. */
function schedule(G: Grouping): Group[] {
  const groups = G.groups();
  const waiting = new Map<Group, number>(groups.map((g) => [g, 0]));
  for (const g of groups) for (const s of G.successors(g)) waiting.set(s, waiting.get(s)! + 1);
  const ready = groups.filter((g) => waiting.get(g) === 0);
  const out: Group[] = [];
  while (ready.length) {
    ready.sort((a, b) => a.order - b.order);
    const g = ready.shift()!;
    out.push(g);
    for (const s of G.successors(g)) {
      const left = waiting.get(s)! - 1;
      waiting.set(s, left);
      if (left === 0) ready.push(s);
    }
  }
  if (out.length !== groups.length) throw new Error('fusion: the kernel graph has a cycle (a bug in the merge rules)');
  return out;
}
