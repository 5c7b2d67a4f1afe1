// Proof that every load of a kernel stays inside its buffer over the whole iteration space: an
// interval for each index expression, computed in one pass over the kernel. Computed indices are
// not checked when a kernel runs, so an untrusted program whose index constant or extent was
// edited would otherwise read past its buffer. Indices read from data ('value') lie in
// [0, size - 1] because executors check them at run time; a load under `where(index(e) < c)` or
// `where(index(e) >= c)` (pad, concat) is checked with e narrowed to the branch it runs in.

import type { IndexExpr, Kernel, ValueExpr } from './kernel-ir.js';

/** constant + Σ coeff · var(axis), as long as no narrowing by a guard applies. */
interface Linear {
  constant: number;
  terms: Map<number, number>;
}

/** The values an index expression takes: [lo, hi], empty when no point reaches it; `id` names its structure. */
interface Bound {
  id: number;
  lo: number;
  hi: number;
  empty: boolean;
  lin?: Linear;
}

export interface LoadRange {
  buffer: string;
  lo: number;
  hi: number;
}

const scaled = (l: Linear, by: number): Linear => ({ constant: l.constant * by, terms: new Map([...l.terms].map(([a, c]) => [a, c * by])) });

function sum(a: Linear, b: Linear): Linear {
  const terms = new Map(a.terms);
  for (const [axis, c] of b.terms) terms.set(axis, (terms.get(axis) ?? 0) + c);
  return { constant: a.constant + b.constant, terms };
}

/** Checks the loads of one kernel; `report` gets each load whose range leaves its buffer. */
export class IndexBounds {
  /** Each loop variable's range, narrowed inside guarded branches. */
  private readonly vars: [number, number][];
  /** Ranges that guards impose on compound index expressions, by structure. */
  private readonly narrowed = new Map<number, [number, number]>();
  /** Structure ids: one per distinct (kind, operands) key, so equal subexpressions share one. */
  private readonly ids = new Map<string, number>();

  constructor(
    sizes: readonly number[],
    private readonly lengths: ReadonlyMap<string, number>,
    private readonly report: (where: string, load: LoadRange, length: number) => void,
  ) {
    this.vars = sizes.map((n) => [0, n - 1]);
  }

  /** Every load of `k` (reduction value and stores); a space with no point loads nothing. */
  static check(k: Kernel, lengths: ReadonlyMap<string, number>, report: (where: string, load: LoadRange, length: number) => void): void {
    const sizes = [...k.shape, ...(k.reduce?.shape ?? [])];
    const bounds = new IndexBounds(sizes, lengths, report);
    if (k.shape.some((n) => n === 0)) return;
    if (k.reduce && k.reduce.shape.every((n) => n > 0)) bounds.value(k.reduce.value, 'reduction');
    k.stores.forEach((s, j) => bounds.value(s.value, `store ${j}`));
  }

  private linearRange(l: Linear): [number, number] {
    let [lo, hi] = [l.constant, l.constant];
    for (const [axis, c] of l.terms) {
      const [a, b] = this.vars[axis] ?? [0, 0];
      lo += Math.min(c * a, c * b);
      hi += Math.max(c * a, c * b);
    }
    return [lo, hi];
  }

  private idOf(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = this.ids.size));
    return id;
  }

  private bound(key: string, lo: number, hi: number, empty: boolean, lin?: Linear): Bound {
    if (lin) {
      const [a, b] = this.linearRange(lin);
      [lo, hi] = [Math.max(lo, a), Math.min(hi, b)];
    }
    const id = this.idOf(key);
    const guard = this.narrowed.size > 0 ? this.narrowed.get(id) : undefined;
    if (guard && (guard[0] > lo || guard[1] < hi)) {
      [lo, hi] = [Math.max(lo, guard[0]), Math.min(hi, guard[1])];
      lin = undefined;
    }
    return { id, lo, hi, empty: empty || lo > hi, ...(lin ? { lin } : {}) };
  }

  index(e: IndexExpr, where: string): Bound {
    switch (e.k) {
      case 'var': {
        const [lo, hi] = this.vars[e.axis] ?? [0, 0];
        return this.bound(`v${e.axis}`, lo, hi, false, { constant: 0, terms: new Map([[e.axis, 1]]) });
      }
      case 'const':
        return this.bound(`c${e.value}`, e.value, e.value, false, { constant: e.value, terms: new Map() });
      case 'add': {
        const [a, b] = [this.index(e.a, where), this.index(e.b, where)];
        return this.bound(`(${a.id}+${b.id})`, a.lo + b.lo, a.hi + b.hi, a.empty || b.empty, a.lin && b.lin && sum(a.lin, b.lin));
      }
      case 'mul': {
        const a = this.index(e.a, where);
        const [x, y] = [a.lo * e.by, a.hi * e.by];
        return this.bound(`(${a.id}*${e.by})`, Math.min(x, y), Math.max(x, y), a.empty, a.lin && scaled(a.lin, e.by));
      }
      case 'div':
      case 'mod':
        return this.divMod(e.k, this.index(e.a, where), e.by);
      case 'value':
        this.value(e.v, where);
        return this.bound(`d${this.ids.size}`, 0, e.size - 1, false);
    }
  }

  /** Floor division or non-negative remainder by c > 0; exact on a linear form whose remainder terms stay in [0, c). */
  private divMod(k: 'div' | 'mod', a: Bound, c: number): Bound {
    const id = `(${a.id}${k === 'div' ? '/' : '%'}${c})`;
    if (a.lin) {
      const q = Math.floor(a.lin.constant / c);
      const quotient: Linear = { constant: q, terms: new Map() };
      const rest: Linear = { constant: a.lin.constant - q * c, terms: new Map() };
      for (const [axis, coeff] of a.lin.terms) (coeff % c === 0 ? quotient : rest).terms.set(axis, coeff % c === 0 ? coeff / c : coeff);
      const [lo, hi] = this.linearRange(rest);
      if (lo >= 0 && hi < c) return this.bound(id, -Infinity, Infinity, a.empty, k === 'div' ? quotient : rest);
    }
    if (k === 'div') return this.bound(id, Math.floor(a.lo / c), Math.floor(a.hi / c), a.empty);
    const sameQuotient = Math.floor(a.lo / c) === Math.floor(a.hi / c);
    const mod = (x: number): number => ((x % c) + c) % c;
    return sameQuotient ? this.bound(id, mod(a.lo), mod(a.hi), a.empty) : this.bound(id, 0, c - 1, a.empty);
  }

  value(v: ValueExpr, where: string): void {
    switch (v.k) {
      case 'load': {
        const b = this.index(v.index, where);
        const length = this.lengths.get(v.buffer) ?? 0;
        if (!b.empty && (b.lo < 0 || b.hi > length - 1)) this.report(where, { buffer: v.buffer, lo: b.lo, hi: b.hi }, length);
        return;
      }
      case 'unary':
      case 'cast':
        return this.value(v.a, where);
      case 'binary':
        this.value(v.a, where);
        return this.value(v.b, where);
      case 'where':
        this.value(v.cond, where);
        return this.branches(v, where);
      case 'random':
        if (v.key) this.value(v.key, where);
        this.index(v.counter, where);
        return;
      case 'index':
        this.index(v.index, where);
        return;
      default:
        return;
    }
  }

  /** Each branch of a where, with the guarded index narrowed to the values for which that branch runs. */
  private branches(v: Extract<ValueExpr, { k: 'where' }>, where: string): void {
    const c = v.cond;
    const guarded = c.k === 'binary' && (c.fn === 'lt' || c.fn === 'ge') && c.a.k === 'index' && c.b.k === 'const' ? { e: c.a.index, op: c.fn, at: c.b.value } : undefined;
    if (!guarded) {
      this.value(v.a, where);
      return this.value(v.b, where);
    }
    const below: [number, number] = [-Infinity, guarded.at - 1];
    const above: [number, number] = [guarded.at, Infinity];
    const [whenTrue, whenFalse] = guarded.op === 'lt' ? [below, above] : [above, below];
    const target = this.index(guarded.e, where);
    this.within(guarded.e, target, whenTrue, () => this.value(v.a, where));
    this.within(guarded.e, target, whenFalse, () => this.value(v.b, where));
  }

  /** The loop variable and its range that `e` ∈ `range` implies, when e is one variable under constant shifts, factors and floor divisions. */
  private static inverse(e: IndexExpr, range: [number, number]): { axis: number; range: [number, number] } | undefined {
    const [lo, hi] = range;
    switch (e.k) {
      case 'var':
        return { axis: e.axis, range };
      case 'add':
        if (e.b.k === 'const') return IndexBounds.inverse(e.a, [lo - e.b.value, hi - e.b.value]);
        if (e.a.k === 'const') return IndexBounds.inverse(e.b, [lo - e.a.value, hi - e.a.value]);
        return undefined;
      case 'mul': {
        if (e.by === 0) return undefined;
        const [a, b] = [lo / e.by, hi / e.by].sort((x, y) => x - y) as [number, number];
        return IndexBounds.inverse(e.a, [Math.ceil(a), Math.floor(b)]);
      }
      case 'div':
        return IndexBounds.inverse(e.a, [lo * e.by, hi * e.by + e.by - 1]);
      default:
        return undefined;
    }
  }

  /**
   * Runs `f` knowing that the expression bounded by `e` lies in `range`: a multiple of one loop
   * variable plus a constant narrows that variable; anything else narrows its structure.
   */
  private within(expr: IndexExpr, e: Bound, range: [number, number], f: () => void): void {
    const terms = e.lin ? [...e.lin.terms].filter(([, c]) => c !== 0) : undefined;
    let narrow = IndexBounds.inverse(expr, range);
    if (e.lin && terms?.length === 1) {
      const [[axis, c]] = terms as [[number, number]];
      const [lo, hi] = range.map((x) => (x - e.lin!.constant) / c).sort((a, b) => a - b) as [number, number];
      narrow = { axis, range: [Math.ceil(lo), Math.floor(hi)] };
    }
    if (narrow && this.vars[narrow.axis]) {
      const { axis } = narrow;
      const saved = this.vars[axis]!;
      this.vars[axis] = [Math.max(saved[0], narrow.range[0]), Math.min(saved[1], narrow.range[1])];
      if (this.vars[axis]![0] <= this.vars[axis]![1]) f();
      this.vars[axis] = saved;
      return;
    }
    const saved = this.narrowed.get(e.id);
    this.narrowed.set(e.id, saved ? [Math.max(saved[0], range[0]), Math.min(saved[1], range[1])] : range);
    f();
    if (saved) this.narrowed.set(e.id, saved);
    else this.narrowed.delete(e.id);
  }
}
