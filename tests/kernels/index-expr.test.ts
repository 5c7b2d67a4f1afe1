// Index expressions: the simplifier's div/mod rules and movement maps composed, checked against the reference movement ops.

import { describe, expect, it } from 'vitest';
import type { IndexExpr } from '../../runtime/kernel-ir.js';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { sliceRange } from '../../src/ir/ops/movement.js';
import { mix32 } from '../../src/ir/random.js';
import {
  broadcastMap,
  evaluatesIndex,
  evalIndex,
  flatIndex,
  iadd,
  iconst,
  idiv,
  imod,
  imul,
  ivalue,
  ivar,
  keyOf,
  rangeOf,
  reshapeMap,
  simplifyIndex,
  sliceMap,
  transposeMap,
  unflatIndex,
  vars,
} from '../../src/kernels/index-expr.js';
import { formatIndex } from '../../src/kernels/print.js';

const [i0, i1, i2] = [ivar(0), ivar(1), ivar(2)];
const show = (e: IndexExpr, sizes: number[]) => formatIndex(simplifyIndex(e, sizes));

/** Every point of a space of the given extents. */
function* points(sizes: readonly number[]): Generator<number[]> {
  const total = sizes.reduce((a, b) => a * b, 1);
  for (let f = 0; f < total; f++) {
    const p: number[] = [];
    let rest = f;
    for (let a = sizes.length - 1; a >= 0; a--) {
      p[a] = rest % sizes[a]!;
      rest = Math.floor(rest / sizes[a]!);
    }
    yield p;
  }
}

/** A deterministic stream of integers. */
function rng(seed: number) {
  let i = 0;
  return (lo: number, hi: number) => lo + (mix32(seed * 1000003 + i++) % (hi - lo + 1));
}

describe('simplifyIndex', () => {
  it('moves multiples out of a div or mod when the rest stays within the divisor', () => {
    const flat = iadd(imul(i0, 10), i1); // a [5, 10] point, flattened
    expect(show(idiv(flat, 10), [5, 10])).toBe('i0');
    expect(show(imod(flat, 10), [5, 10])).toBe('i1');
    // ((12 i0 + 4 i1 + i2) div 4) mod 3 = (3 i0 + i1) mod 3 = i1 when i1 < 3 and i2 < 4
    expect(show(imod(idiv(iadd(iadd(imul(i0, 12), imul(i1, 4)), i2), 4), 3), [2, 3, 4])).toBe('i1');
  });

  it('merges nested divs and mods', () => {
    expect(show(idiv(idiv(i0, 4), 8), [1000])).toBe('i0 // 32');
    expect(show(imod(imod(i0, 32), 8), [1000])).toBe('i0 % 8');
    expect(show(imod(i0, 10), [5])).toBe('i0');
  });

  it('splits off a small remainder: (2 i0 + i1) div 4 = i0 div 2 when i1 < 2', () => {
    const e = iadd(imul(i0, 2), i1);
    expect(show(idiv(e, 4), [4, 2])).toBe('i0 // 2');
    expect(show(imod(e, 4), [4, 2])).toBe('i1 + 2*(i0 % 2)');
  });

  it('recombines an unflattened offset: n (f div n) + f mod n = f', () => {
    expect(show(iadd(imul(idiv(i0, 10), 10), imod(i0, 10)), [100])).toBe('i0');
    // Three axes: flatten(unflatten(f, [2, 3, 4]), [2, 3, 4]) = f.
    expect(show(flatIndex(unflatIndex(i0, [2, 3, 4]), [2, 3, 4]), [24])).toBe('i0');
  });

  it('drops variables of extent 1, folds constants and common factors', () => {
    expect(show(iadd(imul(i0, 5), i1), [1, 5])).toBe('i1');
    expect(show(idiv(iadd(imul(i0, 4), iconst(2)), 2), [8])).toBe('2*i0 + 1');
    expect(show(imod(iadd(i0, iconst(-1)), 3), [3])).toBe('(i0 + 2) % 3');
  });

  it('keeps every random expression equal at every point, and is idempotent', () => {
    const next = rng(7);
    const random = (depth: number): IndexExpr => {
      const pick = depth === 0 ? next(0, 1) : next(0, 5);
      switch (pick) {
        case 0:
          return ivar(next(0, 2));
        case 1:
          return iconst(next(0, 12) - 4);
        case 2:
          return iadd(random(depth - 1), random(depth - 1));
        case 3:
          return imul(random(depth - 1), next(0, 7) - 3);
        case 4:
          return idiv(random(depth - 1), next(1, 6));
        default:
          return imod(random(depth - 1), next(1, 6));
      }
    };
    for (let k = 0; k < 400; k++) {
      const sizes = [next(1, 4), next(1, 5), next(1, 3)];
      const e = random(next(1, 4));
      const s = simplifyIndex(e, sizes);
      for (const p of points(sizes)) expect(evalIndex(s, p) + 0, `${formatIndex(e)} at [${p.join()}]`).toBe(evalIndex(e, p) + 0); // + 0: -0 is 0
      expect(keyOf(simplifyIndex(s, sizes))).toBe(keyOf(s));
      const [lo, hi] = rangeOf(e, sizes);
      for (const p of points(sizes)) expect(lo <= evalIndex(e, p) && evalIndex(e, p) <= hi).toBe(true);
    }
  });
});

describe('data-dependent indices', () => {
  const k = ivalue({ k: 'load', buffer: 'idx', index: ivar(0), dtype: 'i32' }, 1);
  const sizes = [4, 1];
  /** Whether the simplified form of `e` still evaluates k (and so still checks its range). */
  const checks = (e: IndexExpr) => keyOf(simplifyIndex(e, sizes)).includes(keyOf(k));

  it('keep their range check through every rule that cancels their value', () => {
    expect(checks(imod(k, 1))).toBe(true);
    expect(checks(imul(k, 0))).toBe(true);
    expect(checks(imod(iadd(imul(k, 3), i0), 3))).toBe(true);
    expect(checks(idiv(imod(k, 2), 2))).toBe(true);
    expect(checks(iadd(k, imul(k, -1)))).toBe(true);
    expect(checks(simplifyIndex(imod(k, 1), sizes))).toBe(true); // and stay idempotent
    expect(keyOf(simplifyIndex(imod(k, 1), sizes))).toBe(keyOf(simplifyIndex(simplifyIndex(imod(k, 1), sizes), sizes)));
  });

  it('cost nothing where they survive, and a kept check adds nothing to the range', () => {
    expect(keyOf(simplifyIndex(iadd(k, iconst(0)), sizes))).toBe(keyOf(k));
    expect(rangeOf(iadd(imul(k, 0), i0), sizes)).toEqual([0, 3]);
    expect(evalIndex(simplifyIndex(imod(k, 1), sizes), [2, 0], () => 0)).toBe(0);
  });

  it('stay in the offset of an axis of size 1', () => {
    expect(keyOf(flatIndex([i0, k], [4, 1]))).toContain(keyOf(k));
    expect(keyOf(flatIndex([i0, i1], [4, 1]))).not.toContain('v1');
  });

  it('are found in the value expressions that evaluate them', () => {
    const load = (index: IndexExpr) => ({ k: 'load' as const, buffer: 'x', index, dtype: 'f32' as const });
    expect(evaluatesIndex(load(k), k)).toBe(true);
    expect(evaluatesIndex(load(iconst(0)), k)).toBe(false);
    expect(evaluatesIndex({ k: 'unary', fn: 'neg', a: load(iadd(i0, imul(k, 0))), dtype: 'f32' }, k)).toBe(true);
  });
});

describe('movement maps', () => {
  it('compose transpose ∘ reshape ∘ broadcast into one small index', () => {
    // x: [3, 1] -> broadcast_to [2, 3, 4] -> reshape [6, 4] -> transpose [4, 6]: y[j, k] = x[k mod 3, 0]
    const out = vars(2);
    const r = transposeMap(out, [1, 0]);
    const b = reshapeMap(r, [2, 3, 4], [6, 4]);
    const x = broadcastMap(b, [3, 1], [2, 3, 4]);
    expect(formatIndex(simplifyIndex(flatIndex(x, [3, 1]), [4, 6]))).toBe('i1 % 3');
  });

  it('compose a reshape that splits an axis with a transpose into a strided read, no div or mod', () => {
    // [6, 4] -> reshape [2, 3, 4] -> transpose [2, 0, 1] = [4, 2, 3]: y[a, b, c] = x[3b + c, a]
    const x = reshapeMap(transposeMap(vars(3), [2, 0, 1]), [6, 4], [2, 3, 4]);
    expect(formatIndex(simplifyIndex(flatIndex(x, [6, 4]), [4, 2, 3]))).toBe('i0 + 12*i1 + 4*i2');
  });

  type Step = { op: 'reshape' | 'transpose' | 'broadcast_to' | 'slice'; attrs: Record<string, number[]> };

  /** A random chain of view ops from `shape`, with the shape after each. */
  function chain(seed: number): { x: number[]; steps: { step: Step; from: number[]; to: number[] }[] } {
    const next = rng(seed);
    let shape = Array.from({ length: next(1, 3) }, () => next(1, 4));
    const x = shape;
    const steps: { step: Step; from: number[]; to: number[] }[] = [];
    for (let k = next(2, 5); k > 0; k--) {
      const from = shape;
      let step: Step;
      switch (next(0, 3)) {
        case 0: {
          // Merge two neighbours, or split one axis off a factor, or add a 1.
          const to = [...shape];
          const a = next(0, to.length - 1);
          if (a + 1 < to.length && next(0, 1)) to.splice(a, 2, to[a]! * to[a + 1]!);
          else if (to[a]! % 2 === 0) to.splice(a, 1, 2, to[a]! / 2);
          else to.splice(a, 0, 1);
          step = { op: 'reshape', attrs: { shape: to } };
          shape = to;
          break;
        }
        case 1: {
          const perm = shape.map((_, i) => i);
          for (let i = perm.length - 1; i > 0; i--) {
            const j = next(0, i);
            [perm[i], perm[j]] = [perm[j]!, perm[i]!];
          }
          step = { op: 'transpose', attrs: { perm } };
          shape = perm.map((p) => shape[p]!);
          break;
        }
        case 2: {
          const to = [...(next(0, 1) ? [next(2, 3)] : []), ...shape.map((d) => (d === 1 ? next(1, 3) : d))];
          step = { op: 'broadcast_to', attrs: { shape: to } };
          shape = to;
          break;
        }
        default: {
          const begin = shape.map((d) => next(0, d - 1) - (next(0, 1) ? d : 0));
          const end = shape.map((d) => next(1, d + 1));
          const stride = shape.map(() => next(1, 2));
          const to = shape.map((d, i) => sliceRange(begin[i]!, end[i]!, stride[i]!, d).count);
          if (to.includes(0)) continue;
          step = { op: 'slice', attrs: { begin, end, stride } };
          shape = to;
        }
      }
      steps.push({ step, from, to: shape });
    }
    return { x, steps };
  }

  it('match the reference movement ops on random chains of reshape, transpose, broadcast and slice', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const { x, steps } = chain(seed);
      const b = new GraphBuilder('views');
      let v = b.input('x', { dtype: 'f32', shape: x });
      for (const { step } of steps) v = b.emitDynamic(step.op, [v], step.attrs);
      b.output('y', v);
      const n = x.reduce((a, d) => a * d, 1);
      const y = (await (await compile(b.build())).run({ x: Float32Array.from({ length: n }, (_, i) => i) }))['y']!;

      // Walk back from the output point to the input, one map per op.
      const out = steps.length ? steps[steps.length - 1]!.to : x;
      let idx = vars(out.length);
      for (const { step, from, to } of [...steps].reverse()) {
        if (step.op === 'reshape') idx = reshapeMap(idx, from, to);
        else if (step.op === 'transpose') idx = transposeMap(idx, step.attrs['perm']!);
        else if (step.op === 'broadcast_to') idx = broadcastMap(idx, from, to);
        else {
          const { begin, end, stride } = step.attrs as { begin: number[]; end: number[]; stride: number[] };
          idx = sliceMap(
            idx,
            from.map((d, i) => sliceRange(begin[i]!, end[i]!, stride[i]!, d).start),
            stride,
          );
        }
        idx = idx.map((e) => simplifyIndex(e, out));
      }
      const flat = simplifyIndex(flatIndex(idx, x), out);
      let f = 0;
      for (const p of points(out)) expect(evalIndex(flat, p), `seed ${seed}: ${formatIndex(flat)} at [${p.join()}]`).toBe(y.data[f++]);
    }
  });
});
