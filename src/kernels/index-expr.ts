// Index expressions: constructors, the movement ops' index maps, and a range-aware simplifier that keeps composed maps small.

import { dependsOnData } from '../../runtime/kernel-analysis.js';
import type { IndexExpr, ValueExpr } from '../../runtime/kernel-ir.js';
import { stridesOf } from '../ir/types.js';

// ---- constructors ----------------------------------------------------------------------------

export const ivar = (axis: number): IndexExpr => ({ k: 'var', axis });
export const iconst = (value: number): IndexExpr => ({ k: 'const', value });
export const iadd = (a: IndexExpr, b: IndexExpr): IndexExpr => ({ k: 'add', a, b });
export const imul = (a: IndexExpr, by: number): IndexExpr => ({ k: 'mul', a, by });
export const idiv = (a: IndexExpr, by: number): IndexExpr => ({ k: 'div', a, by });
export const imod = (a: IndexExpr, by: number): IndexExpr => ({ k: 'mod', a, by });
export const ivalue = (v: ValueExpr, size: number): IndexExpr => ({ k: 'value', v, size });

/** The loop variables first .. first+count-1. */
export function vars(count: number, first = 0): IndexExpr[] {
  return Array.from({ length: count }, (_, i) => ivar(first + i));
}

// ---- movement maps: each maps a point of an op's result to the operand point it reads ------------

/**
 * The row-major offset of a point of `shape`. An axis of size 1 adds nothing, unless its index
 * reads data: that index is range-checked when evaluated, so it stays (in range, it is 0).
 */
export function flatIndex(idx: readonly IndexExpr[], shape: readonly number[]): IndexExpr {
  const strides = stridesOf(shape);
  let e: IndexExpr = iconst(0);
  idx.forEach((x, i) => {
    if (shape[i] !== 1 || dependsOnData(x)) e = iadd(e, strides[i] === 1 ? x : imul(x, strides[i]!));
  });
  return e;
}

/** The point of `shape` at a row-major offset. */
export function unflatIndex(flat: IndexExpr, shape: readonly number[]): IndexExpr[] {
  if (shape.some((d) => d === 0)) return shape.map(() => iconst(0)); // no points to address
  const strides = stridesOf(shape);
  return shape.map((d, i) => (d === 1 ? iconst(0) : imod(strides[i] === 1 ? flat : idiv(flat, strides[i]!), d)));
}

/** reshape: the same row-major offset read in the operand's shape. */
export function reshapeMap(idx: readonly IndexExpr[], from: readonly number[], to: readonly number[]): IndexExpr[] {
  return unflatIndex(flatIndex(idx, to), from);
}

/** numpy broadcasting: leading axes drop, size-1 axes read element 0. */
export function broadcastMap(idx: readonly IndexExpr[], from: readonly number[], to: readonly number[]): IndexExpr[] {
  const offset = to.length - from.length;
  return from.map((d, i) => (d === 1 ? iconst(0) : idx[offset + i]!));
}

/** transpose: result axis i is operand axis perm[i]. */
export function transposeMap(idx: readonly IndexExpr[], perm: readonly number[]): IndexExpr[] {
  const out = new Array<IndexExpr>(perm.length);
  perm.forEach((p, i) => (out[p] = idx[i]!));
  return out;
}

/** slice: element k of an axis is operand element start + k·stride. */
export function sliceMap(idx: readonly IndexExpr[], starts: readonly number[], strides: readonly number[]): IndexExpr[] {
  return idx.map((x, i) => {
    const scaled = strides[i] === 1 ? x : imul(x, strides[i]!);
    return starts[i] === 0 ? scaled : iadd(scaled, iconst(starts[i]!));
  });
}

/** pad (inside the operand's range): element k of an axis is operand element k - before. */
export function padMap(idx: readonly IndexExpr[], before: readonly number[]): IndexExpr[] {
  return idx.map((x, i) => (before[i] === 0 ? x : iadd(x, iconst(-before[i]!))));
}

// ---- the linear form ---------------------------------------------------------------------------

/** constant + Σ coef · atom, where an atom is a variable, a div, a mod or a data-dependent value. */
interface Linear {
  terms: Map<string, { atom: IndexExpr; coef: number }>;
  c: number;
}

const constant = (c: number): Linear => ({ terms: new Map(), c });

function single(atom: IndexExpr): Linear {
  return { terms: new Map([[keyOf(atom), { atom, coef: 1 }]]), c: 0 };
}

function sum(a: Linear, b: Linear, scale = 1): Linear {
  const terms = new Map(a.terms);
  for (const [k, t] of b.terms) {
    const coef = (terms.get(k)?.coef ?? 0) + scale * t.coef;
    if (coef === 0) terms.delete(k);
    else terms.set(k, { atom: t.atom, coef });
  }
  return { terms, c: a.c + scale * b.c };
}

const scaled = (a: Linear, by: number): Linear => (by === 0 ? constant(0) : sum(constant(0), a, by));

/** l / g where g divides every coefficient and the constant (exact, unlike scaling by 1/g). */
function divided(l: Linear, g: number): Linear {
  const terms = new Map([...l.terms].map(([k, t]) => [k, { atom: t.atom, coef: t.coef / g }] as const));
  return { terms, c: l.c / g };
}

/** A canonical text of an expression: equal keys, equal expressions. */
export function keyOf(e: IndexExpr): string {
  switch (e.k) {
    case 'var':
      return `v${e.axis}`;
    case 'const':
      return String(e.value);
    case 'add':
      return `(${keyOf(e.a)}+${keyOf(e.b)})`;
    case 'mul':
      return `${keyOf(e.a)}*${e.by}`;
    case 'div':
      return `(${keyOf(e.a)}//${e.by})`;
    case 'mod':
      return `(${keyOf(e.a)}%${e.by})`;
    case 'value':
      return `{${JSON.stringify(e.v)}}`;
  }
}

/** [lo, hi] of an expression over variables of the given extents (a data value is unbounded). */
export function rangeOf(e: IndexExpr, sizes: readonly number[]): [number, number] {
  return linearRange(linear(e, sizes), sizes);
}

function linearRange(l: Linear, sizes: readonly number[]): [number, number] {
  let lo = l.c;
  let hi = l.c;
  for (const { atom, coef } of l.terms.values()) {
    if (coef === 0) continue; // a kept range check adds nothing
    const [a, b] = atomRange(atom, sizes);
    lo += coef > 0 ? coef * a : coef * b;
    hi += coef > 0 ? coef * b : coef * a;
  }
  return [lo, hi];
}

function atomRange(e: IndexExpr, sizes: readonly number[]): [number, number] {
  switch (e.k) {
    case 'var':
      return [0, Math.max(0, (sizes[e.axis] ?? 1) - 1)];
    case 'div': {
      const [lo, hi] = rangeOf(e.a, sizes);
      return [Math.floor(lo / e.by), Math.floor(hi / e.by)];
    }
    case 'mod': {
      const [lo, hi] = rangeOf(e.a, sizes);
      return lo >= 0 && hi < e.by ? [lo, hi] : [0, e.by - 1];
    }
    default:
      return [-Infinity, Infinity];
  }
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The gcd of n and every coefficient and the constant of l. */
function commonFactor(l: Linear, n: number): number {
  let g = gcd(n, l.c);
  for (const t of l.terms.values()) g = gcd(g, t.coef);
  return g;
}

/** floor(l / n), n > 0. */
function divLinear(l: Linear, n: number, sizes: readonly number[]): Linear {
  if (n === 1) return l;
  // (n·q + r) div n = q + r div n: move the multiples of n out.
  const cq = Math.floor(l.c / n);
  let q = constant(cq);
  let r = constant(l.c - cq * n);
  for (const [k, t] of l.terms) {
    if (t.coef % n === 0) q = sum(q, { terms: new Map([[k, { atom: t.atom, coef: t.coef / n }]]), c: 0 });
    else r.terms.set(k, t);
  }
  const g = commonFactor(r, n);
  if (g > 1) {
    r = divided(r, g);
    n /= g;
  }
  const [lo, hi] = linearRange(r, sizes);
  if (Number.isFinite(lo) && Number.isFinite(hi) && Math.floor(lo / n) === Math.floor(hi / n)) return sum(q, constant(Math.floor(lo / n)));
  // (g·s + t) div (g·m) = s div m when 0 <= t < g
  const split = splitSmall(r, n, sizes);
  if (split) return sum(q, divLinear(split.big, n / split.g, sizes));
  // (x div m) div n = x div (m·n)
  const only = onlyAtom(r);
  if (only?.k === 'div') return sum(q, divLinear(linear(only.a, sizes), only.by * n, sizes));
  return sum(q, single(idiv(toExpr(r), n)));
}

/**
 * Splits l into g·big + small with g > 1 dividing n and 0 <= small < g, when some term's
 * coefficient shares a factor g with n and the terms without it stay below g: the small part
 * then never carries into a multiple of g. Returns big (already divided by g) and g.
 */
function splitSmall(l: Linear, n: number, sizes: readonly number[]): { big: Linear; small: Linear; g: number } | undefined {
  const candidates = new Set([...l.terms.values()].map((t) => gcd(n, t.coef)).filter((g) => g > 1));
  for (const g of [...candidates].sort((a, b) => b - a)) {
    const big = constant(0);
    const small = constant(l.c);
    for (const [k, t] of l.terms) (t.coef % g === 0 ? big : small).terms.set(k, t);
    const [lo, hi] = linearRange(small, sizes);
    if (lo >= 0 && hi < g) return { big: divided(big, g), small, g };
  }
  return undefined;
}

/** l mod n (non-negative), n > 0. */
function modLinear(l: Linear, n: number, sizes: readonly number[]): Linear {
  if (n === 1) return constant(0);
  // (n·q + r) mod n = r mod n: drop the multiples of n.
  const r = constant(((l.c % n) + n) % n);
  for (const [k, t] of l.terms) if (t.coef % n !== 0) r.terms.set(k, t);
  // (g·r) mod (g·n) = g · (r mod n)
  const g = commonFactor(r, n);
  if (g > 1) return scaled(modLinear(divided(r, g), n / g, sizes), g);
  const [lo, hi] = linearRange(r, sizes);
  if (lo >= 0 && hi < n) return r;
  // (g·s + t) mod (g·m) = g·(s mod m) + t when 0 <= t < g
  const split = splitSmall(r, n, sizes);
  if (split) return sum(scaled(modLinear(split.big, n / split.g, sizes), split.g), split.small);
  // (x mod m) mod n = x mod n when n divides m
  const only = onlyAtom(r);
  if (only?.k === 'mod' && only.by % n === 0) return modLinear(linear(only.a, sizes), n, sizes);
  return single(imod(toExpr(r), n));
}

/** The atom when l is exactly one atom with coefficient 1 and no constant. */
function onlyAtom(l: Linear): IndexExpr | undefined {
  if (l.c !== 0 || l.terms.size !== 1) return undefined;
  const [t] = l.terms.values();
  return t!.coef === 1 ? t!.atom : undefined;
}

/**
 * Undoes unflattening: c·n·(x div n) + c·(x mod n) = c·x. Reshapes that round-trip through a
 * flat offset leave exactly this pair behind.
 */
function recombine(l: Linear, sizes: readonly number[]): Linear {
  for (const [k, t] of l.terms) {
    if (t.atom.k !== 'mod') continue;
    const { a: x, by: n } = t.atom;
    const quotient = onlyAtom(divLinear(linear(x, sizes), n, sizes));
    const partner = quotient && l.terms.get(keyOf(quotient));
    if (!partner || partner.coef !== t.coef * n) continue;
    const rest = { terms: new Map(l.terms), c: l.c };
    rest.terms.delete(k);
    rest.terms.delete(keyOf(quotient!));
    return recombine(sum(rest, linear(x, sizes), t.coef), sizes);
  }
  return l;
}

function linear(e: IndexExpr, sizes: readonly number[]): Linear {
  switch (e.k) {
    case 'var':
      return sizes[e.axis] === 1 ? constant(0) : single(e);
    case 'const':
      return constant(e.value);
    case 'add':
      return recombine(sum(linear(e.a, sizes), linear(e.b, sizes)), sizes);
    case 'mul':
      return scaled(linear(e.a, sizes), e.by);
    case 'div':
      return divLinear(linear(e.a, sizes), e.by, sizes);
    case 'mod':
      return modLinear(linear(e.a, sizes), e.by, sizes);
    case 'value':
      return single(e);
  }
}

/** Variables by axis first, then divs, mods and values by their text: a stable, readable order. */
function termOrder(a: IndexExpr, b: IndexExpr): number {
  if (a.k === 'var' && b.k === 'var') return a.axis - b.axis;
  if (a.k === 'var') return -1;
  if (b.k === 'var') return 1;
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function toExpr(l: Linear): IndexExpr {
  const terms = [...l.terms.values()].sort((x, y) => termOrder(x.atom, y.atom));
  let e: IndexExpr | undefined;
  for (const { atom, coef } of terms) {
    const t = coef === 1 ? atom : imul(atom, coef); // coefficient 0: a range check that must still run
    e = e ? iadd(e, t) : t;
  }
  if (!e) return iconst(l.c);
  return l.c === 0 ? e : iadd(e, iconst(l.c));
}

/**
 * The simplest equivalent expression over variables of extents `sizes` (a variable of extent 1
 * is 0): a sum of terms with the multiples moved out of every div and mod, nested divs and
 * mods merged, and div/mod pairs that unflatten and reflatten an offset recombined. Every
 * data-dependent index of `e` is still evaluated by the result, so its range check runs even
 * where the rules cancel its value (an axis of extent 1, a multiple of a mod): as `index·0`.
 */
export function simplifyIndex(e: IndexExpr, sizes: readonly number[]): IndexExpr {
  return toExpr(keepChecks(linear(e, sizes), e));
}

/** The outermost data-dependent indices of an expression, by key. */
function dataIndices(e: IndexExpr, found = new Map<string, IndexExpr>()): Map<string, IndexExpr> {
  switch (e.k) {
    case 'value':
      found.set(keyOf(e), e);
      break;
    case 'add':
      dataIndices(e.a, found);
      dataIndices(e.b, found);
      break;
    case 'mul':
    case 'div':
    case 'mod':
      dataIndices(e.a, found);
      break;
    default:
      break;
  }
  return found;
}

/** l with a 0-coefficient term for each data-dependent index of `e` that no term of l evaluates. */
function keepChecks(l: Linear, e: IndexExpr): Linear {
  if (!dependsOnData(e)) return l;
  const kept = new Map<string, IndexExpr>();
  for (const t of l.terms.values()) dataIndices(t.atom, kept);
  const missing = [...dataIndices(e)].filter(([k]) => !kept.has(k));
  if (missing.length === 0) return l;
  const terms = new Map(l.terms);
  for (const [k, atom] of missing) terms.set(k, { atom, coef: 0 });
  return { terms, c: l.c };
}

/** Whether two expressions are equal at every point of the given extents, as far as the simplifier can tell. */
export function sameIndex(a: IndexExpr, b: IndexExpr, sizes: readonly number[]): boolean {
  return keyOf(simplifyIndex(a, sizes)) === keyOf(simplifyIndex(b, sizes));
}

/** Evaluates an expression at a point; `value` evaluates data-dependent leaves. */
export function evalIndex(e: IndexExpr, point: readonly number[], value?: (v: ValueExpr) => number): number {
  switch (e.k) {
    case 'var':
      return point[e.axis]!;
    case 'const':
      return e.value;
    case 'add':
      return evalIndex(e.a, point, value) + evalIndex(e.b, point, value);
    case 'mul':
      return evalIndex(e.a, point, value) * e.by;
    case 'div':
      return Math.floor(evalIndex(e.a, point, value) / e.by);
    case 'mod': {
      const r = evalIndex(e.a, point, value) % e.by;
      return r < 0 ? r + e.by : r;
    }
    case 'value':
      if (!value) throw new Error('evalIndex: a data-dependent index needs a value evaluator');
      return value(e.v);
  }
}

/**
 * The data-dependent indices every evaluation of `v` evaluates (so their range checks run), by
 * key: those under a where's branches are left out, only the chosen branch runs.
 */
export function checkedIndices(v: ValueExpr, found = new Map<string, IndexExpr>()): Map<string, IndexExpr> {
  switch (v.k) {
    case 'load':
    case 'index':
      return dataIndices(v.index, found);
    case 'random':
      if (v.key) checkedIndices(v.key, found);
      return dataIndices(v.counter, found);
    case 'unary':
    case 'cast':
      return checkedIndices(v.a, found);
    case 'binary':
      checkedIndices(v.a, found);
      return checkedIndices(v.b, found);
    case 'where':
      return checkedIndices(v.cond, found);
    default:
      return found;
  }
}

/** Whether every evaluation of `v` evaluates the data-dependent index `check`, so its range check runs. */
export function evaluatesIndex(v: ValueExpr, check: IndexExpr): boolean {
  return checkedIndices(v).has(keyOf(check));
}
