// The interval analysis behind the program validator's bounds check: exact on linear indices, floor division and remainders, narrowed under the guards pad and concat emit, data-dependent indices taken at their checked range.

import { describe, expect, it } from 'vitest';
import { IndexBounds, type LoadRange } from '../../runtime/index-bounds.js';
import type { IndexExpr, Kernel, ValueExpr } from '../../runtime/kernel-ir.js';
import { at, bin, cst, iadd, ic, idiv, imod, imul, kernel, ld, v, where } from './kernel-programs.js';

const LENGTHS = new Map([
  ['x', 12],
  ['i', 4],
]);

/** The loads of `k` that leave their buffers, as [where, buffer, lo, hi, length]. */
function outside(k: Kernel): [string, string, number, number, number][] {
  const found: [string, string, number, number, number][] = [];
  IndexBounds.check(k, LENGTHS, (w, { buffer, lo, hi }: LoadRange, length) => found.push([w, buffer, lo, hi, length]));
  return found;
}

const load = (index: IndexExpr): Kernel => kernel('k', [3, 4], [['y', ld('x', index)]]);
const index = (e: IndexExpr): ValueExpr => ({ k: 'index', index: e, dtype: 'i32' });
const guard = (op: 'lt' | 'ge', e: IndexExpr, c: number, a: ValueExpr, b: ValueExpr = cst(0)): ValueExpr => where(bin(op, index(e), cst(c, 'i32')), a, b);

describe('index bounds', () => {
  it('a row-major index over the whole space stays inside; one element more does not', () => {
    expect(outside(load(at([3, 4])))).toEqual([]);
    expect(outside(load(iadd(at([3, 4]), ic(1))))).toEqual([['store 0', 'x', 1, 12, 12]]);
    expect(outside(load(imul(at([3, 4]), 100000)))).toEqual([['store 0', 'x', 0, 1100000, 12]]);
  });

  it('floor division and remainder: exact when a reshape composes, bounded otherwise', () => {
    expect(outside(load(iadd(imul(idiv(at([3, 4]), 4), 4), imod(at([3, 4]), 4))))).toEqual([]);
    expect(outside(load(imod(imul(v(0), 7), 12)))).toEqual([]);
    expect(outside(load(idiv(imul(v(1), 100), 3)))).toEqual([['store 0', 'x', 0, 100, 12]]);
  });

  it('reduction axes count, and an empty reduction loads nothing', () => {
    const red = (n: number): Kernel => kernel('r', [3], [['y', { k: 'acc', dtype: 'f32' }]], { pattern: 'reduce', reduce: { op: 'sum', shape: [n], value: ld('x', at([3, 4])) } });
    expect(outside(red(4))).toEqual([]);
    expect(outside(red(5))).toEqual([['reduction', 'x', 0, 12, 12]]);
    expect(outside(red(0))).toEqual([]);
  });

  it('a padded load is checked in the branch where it runs', () => {
    // pad by one on each side of axis 1 of a [3, 2] view of the first 6 elements: x[i, j - 1] where 1 <= j < 3.
    const padded = guard('ge', v(1), 1, guard('lt', v(1), 3, ld('x', iadd(imul(v(0), 2), iadd(v(1), ic(-1))))));
    expect(outside(kernel('p', [3, 4], [['y', padded]]))).toEqual([]);
    const unguarded = kernel('p', [3, 4], [['y', ld('x', iadd(imul(v(0), 2), iadd(v(1), ic(-1))))]]);
    expect(outside(unguarded)).toEqual([['store 0', 'x', -1, 6, 12]]);
    // Guards on a multiple of a variable, or on its floor division, narrow that variable.
    expect(outside(kernel('p', [3, 4], [['y', guard('ge', iadd(imul(v(1), 3), ic(-3)), 0, ld('x', iadd(v(1), ic(-1))))]]))).toEqual([]);
    expect(outside(kernel('p', [24], [['y', guard('lt', idiv(v(0), 2), 6, ld('x', v(0)))]]))).toEqual([]);
    expect(outside(kernel('p', [24], [['y', guard('ge', idiv(v(0), 2), 6, ld('x', v(0)))]]))).toEqual([['store 0', 'x', 12, 23, 12]]);
  });

  it('an index read from data lies in its checked range; the loads inside it are checked too', () => {
    const gather = (size: number): IndexExpr => ({ k: 'value', v: ld('i', v(0), 'i32'), size });
    expect(outside(kernel('g', [4], [['y', ld('x', gather(12))]]))).toEqual([]);
    expect(outside(kernel('g', [4], [['y', ld('x', gather(13))]]))).toEqual([['store 0', 'x', 0, 12, 12]]);
    expect(outside(kernel('g', [5], [['y', ld('x', gather(12))]]))).toEqual([['store 0', 'i', 0, 4, 4]]);
  });
});
