// Analyses of kernel IR that the compiler (fusion, memory planning, in-place updates), the
// interpreter, the program validator and every backend share: the linear form of index
// expressions, which buffers a kernel reads and where, and when each temp is live.

import type { IndexExpr, Kernel, KernelProgram, ValueExpr } from './kernel-ir.js';

// ---- index expressions ---------------------------------------------------------------------

/** constant + Σ coeff · var(axis): the form most movement ops compose to. */
export interface LinearIndex {
  constant: number;
  terms: { axis: number; coeff: number }[];
}

function addLinear(a: LinearIndex, b: LinearIndex, scale = 1): LinearIndex {
  const coeffs = new Map<number, number>();
  for (const t of a.terms) coeffs.set(t.axis, t.coeff);
  for (const t of b.terms) coeffs.set(t.axis, (coeffs.get(t.axis) ?? 0) + scale * t.coeff);
  const terms = [...coeffs].filter(([, c]) => c !== 0).map(([axis, coeff]) => ({ axis, coeff }));
  return { constant: a.constant + scale * b.constant, terms: terms.sort((x, y) => x.axis - y.axis) };
}

function rangeOf(l: LinearIndex, sizes: readonly number[]): [number, number] {
  let lo = l.constant;
  let hi = l.constant;
  for (const { axis, coeff } of l.terms) {
    const span = coeff * Math.max(0, (sizes[axis] ?? 1) - 1);
    if (span < 0) lo += span;
    else hi += span;
  }
  return [lo, hi];
}

/**
 * The linear form of an index expression over variables of the given sizes, or undefined when
 * it has none. A floor division or remainder by c folds away when the terms not divisible by c
 * stay within [0, c): then `(c·q + r) div c = q` and `mod c = r`, as reshapes compose.
 */
export function linearize(e: IndexExpr, sizes: readonly number[]): LinearIndex | undefined {
  switch (e.k) {
    case 'var':
      return (sizes[e.axis] ?? 0) === 1 ? { constant: 0, terms: [] } : { constant: 0, terms: [{ axis: e.axis, coeff: 1 }] };
    case 'const':
      return { constant: e.value, terms: [] };
    case 'add': {
      const a = linearize(e.a, sizes);
      const b = a && linearize(e.b, sizes);
      return b && addLinear(a!, b);
    }
    case 'mul': {
      const a = linearize(e.a, sizes);
      return a && addLinear({ constant: 0, terms: [] }, a, e.by);
    }
    case 'div':
    case 'mod': {
      const a = linearize(e.a, sizes);
      if (!a) return undefined;
      const c = e.by;
      const q = Math.floor(a.constant / c);
      const quotient: LinearIndex = { constant: q, terms: [] };
      const rest: LinearIndex = { constant: a.constant - q * c, terms: [] };
      for (const t of a.terms) {
        if (t.coeff % c === 0) quotient.terms.push({ axis: t.axis, coeff: t.coeff / c });
        else rest.terms.push(t);
      }
      const [lo, hi] = rangeOf(rest, sizes);
      if (lo < 0 || hi >= c) return undefined;
      return e.k === 'div' ? quotient : rest;
    }
    case 'value':
      return undefined; // data-dependent
  }
}

/** Whether `e` is the row-major offset of the output point in a space of `shape` (+ reduction axes of `sizes`). */
export function isPointIndex(e: IndexExpr, shape: readonly number[], sizes: readonly number[] = shape): boolean {
  const l = linearize(e, sizes);
  if (!l || l.constant !== 0) return false;
  let stride = 1;
  const want = new Map<number, number>();
  for (let a = shape.length - 1; a >= 0; a--) {
    if (shape[a] !== 1) want.set(a, stride);
    stride *= shape[a]!;
  }
  return l.terms.length === want.size && l.terms.every((t) => want.get(t.axis) === t.coeff);
}

/** Calls `f` for every load in a kernel, including loads nested in data-dependent indices and random keys. */
export function forEachLoad(k: Kernel, f: (buffer: string, index: IndexExpr) => void): void {
  const visit = (v: ValueExpr): void => {
    switch (v.k) {
      case 'load':
        f(v.buffer, v.index);
        return visitIndex(v.index);
      case 'unary':
      case 'cast':
        return visit(v.a);
      case 'binary':
        visit(v.a);
        return visit(v.b);
      case 'where':
        visit(v.cond);
        visit(v.a);
        return visit(v.b);
      case 'random':
        if (v.key) visit(v.key);
        return visitIndex(v.counter);
      case 'index':
        return visitIndex(v.index);
      default:
        return;
    }
  };
  const visitIndex = (e: IndexExpr): void => {
    switch (e.k) {
      case 'add':
        visitIndex(e.a);
        return visitIndex(e.b);
      case 'mul':
      case 'div':
      case 'mod':
        return visitIndex(e.a);
      case 'value':
        return visit(e.v);
      default:
        return;
    }
  };
  if (k.reduce) visit(k.reduce.value);
  for (const s of k.stores) visit(s.value);
}

/** The buffers a kernel loads. */
export function kernelReads(k: Kernel): Set<string> {
  const found = new Set<string>();
  forEachLoad(k, (b) => found.add(b));
  return found;
}

/**
 * Whether a kernel may write its output over `buffer`: it reads `buffer` only at the point it
 * is computing, so by the time point p is stored no later point still needs element p. (The
 * interpreter evaluates every store of a point before writing any.)
 */
export function readsOnlyAtPoint(k: Kernel, buffer: string): boolean {
  const sizes = [...k.shape, ...(k.reduce?.shape ?? [])];
  let ok = true;
  forEachLoad(k, (b, e) => {
    if (b === buffer && !isPointIndex(e, k.shape, sizes)) ok = false;
  });
  return ok;
}

/** Whether an index reads data (a gather's index), so it cannot be folded into strides. */
export function dependsOnData(e: IndexExpr): boolean {
  switch (e.k) {
    case 'value':
      return true;
    case 'add':
      return dependsOnData(e.a) || dependsOnData(e.b);
    case 'mul':
    case 'div':
    case 'mod':
      return dependsOnData(e.a);
    default:
      return false;
  }
}

// ---- programs ------------------------------------------------------------------------------

/** When each temp is live: from the first kernel that writes it to the last that uses it (kernels.length when an output or update needs it after the run). */
export function liveIntervals(p: KernelProgram): Map<string, { first: number; last: number }> {
  const temps = new Set(p.buffers.filter((b) => b.role === 'temp').map((b) => b.name));
  const live = new Map<string, { first: number; last: number }>();
  const use = (name: string, at: number, writes: boolean): void => {
    if (!temps.has(name)) return;
    const cur = live.get(name);
    if (cur) cur.last = Math.max(cur.last, at);
    else if (writes) live.set(name, { first: at, last: at });
  };
  p.kernels.forEach((k, i) => {
    for (const b of kernelReads(k)) use(b, i, false);
    for (const s of k.stores) use(s.buffer, i, true);
  });
  // Backups are put back after the run when a guarded update is refused.
  for (const ref of [...p.outputs, ...p.updates, ...(p.guard?.backups ?? [])]) use(ref.buffer, p.kernels.length, false);
  return live;
}
