// The loops of a kernel's function: nests over output or reduction axes (the last fastest), the
// thread's share of the first axis longer than 1, and rows run LANES points at a time by the
// vector path with the scalar path finishing each row.

import { numelOf } from '../../../runtime/tensor.js';
import type { Expr } from './binaryen.js';
import type { KernelFn } from './kernel-fn.js';
import type { Share } from './kernel-host.js';
import { LANES } from './simd.js';

/** Loops over `extents` (all ≥ 1) with the given variable locals, last fastest, around `body`; the first axis longer than 1 runs over `share` when given. */
export function nest(f: KernelFn, axes: number[], extents: number[], body: Expr[], breakLabel?: string, share?: Share): Expr {
  const m = f.m;
  const first = extents.findIndex((n) => n > 1);
  let inner = m.block(body);
  for (let j = axes.length - 1; j >= 0; j--) {
    const n = extents[j]!;
    if (n === 1) continue; // the variable stays 0
    const v = f.vars[axes[j]!]!;
    const label = f.label('axis');
    const next = m.set(v, m.i32('add', m.get(v, 'i32'), m.i32Const(1)));
    const [lo, hi] = share && j === first ? [share.lo(), share.hi] : [m.i32Const(0), () => m.i32Const(n)];
    const loop = m.loop(label, m.block([inner, next, m.br(label, m.i32('lt_s', m.get(v, 'i32'), hi()))]));
    inner = m.block([m.set(v, lo), share && j === first ? m.if(m.i32('lt_s', m.get(v, 'i32'), hi()), loop) : loop]);
  }
  return breakLabel ? m.block([inner], 'none', breakLabel) : inner;
}

/** The thread's share of the schedule's parallel axis (the first output axis longer than 1), and the point offset where it starts. */
export function outerShare(f: KernelFn): { share?: Share; start: Expr } {
  const axis = f.k.schedule?.parallel?.axis ?? -1;
  const share = axis >= 0 ? f.share(f.k.shape[axis]!) : undefined;
  const stride = numelOf(f.k.shape.slice(axis + 1));
  return { share, start: share ? f.m.i32('mul', share.lo(), f.m.i32Const(stride)) : f.m.i32Const(0) };
}

/** Rows along the last axis, LANES points at a time by `work` (the vector path), the rest by `pointWork` (the scalar one). */
export function vectorRows(f: KernelFn, work: Expr[], pointWork: () => Expr[]): Expr {
  const m = f.m;
  const rank = f.k.shape.length;
  const n = f.k.shape[rank - 1]!;
  const j = f.vars[rank - 1]!;
  const get = (): Expr => m.get(j, 'i32');
  const bump = (l: number, by: number): Expr => m.set(l, m.i32('add', m.get(l, 'i32'), m.i32Const(by)));
  const [lanes, rest] = [f.label('lanes'), f.label('rest')];
  const outer = f.k.shape.slice(0, -1);
  // Threads share the outer rows, or when there are none, the row itself in whole vectors.
  const rowShare = outer.some((x) => x > 1) ? undefined : f.share(n, LANES);
  const [from, to] = rowShare ? [rowShare.lo, rowShare.hi] : [() => m.i32Const(0), () => m.i32Const(n)];
  const row: Expr[] = [
    m.set(j, from()),
    m.if(
      m.i32('le_s', get(), m.i32('sub', to(), m.i32Const(LANES))),
      m.loop(lanes, m.block([...work, bump(f.point, LANES), bump(j, LANES), m.br(lanes, m.i32('le_s', get(), m.i32('sub', to(), m.i32Const(LANES))))])),
    ),
  ];
  if (n % LANES || rowShare)
    row.push(m.if(m.i32('lt_s', get(), to()), m.loop(rest, m.block([...pointWork(), bump(f.point, 1), bump(j, 1), m.br(rest, m.i32('lt_s', get(), to()))]))));
  if (rowShare) return m.block([m.set(f.point, rowShare.lo()), ...row]);
  const { share, start } = outerShare(f);
  return m.block([
    m.set(f.point, start),
    nest(
      f,
      outer.map((_, a) => a),
      outer,
      row,
      undefined,
      share,
    ),
  ]);
}
