// The count a guarded program's update stores keep (src/kernels/guard-updates.ts): after storing
// a value, one that is NaN or ±Infinity adds 1 to its update's count. x - x is 0 for every finite
// x and NaN otherwise, so the test is one subtraction and one comparison; the add sits on the
// branch that a healthy step never takes, atomic where threads share the memory.

import type { Kernel, KernelStore } from '../../../runtime/kernel-ir.js';
import type { WasmLayout } from '../../../runtime/wasm.js';
import type { Expr, ModuleBuilder } from './binaryen.js';

type Counted = Required<Pick<KernelStore, 'countNonFinite'>>['countNonFinite'];

/** The kernel's stores that count, by position (only f32 stores do: the guard pass and the program validator see to it). */
export function countedStores(k: Kernel): { j: number; c: Counted }[] {
  return k.stores.flatMap((s, j) => (s.countNonFinite ? [{ j, c: s.countNonFinite }] : []));
}

function addToCount(m: ModuleBuilder, layout: WasmLayout, c: Counted, n: Expr, atomic: boolean): Expr {
  const address = layout.offsets.get(c.buffer)! + 4 * c.index;
  if (atomic) return m.drop(m.atomicAdd(address, m.i32Const(0), n));
  return m.store('i32', 4, address, m.i32Const(0), m.i32('add', m.load('i32', 4, address, m.i32Const(0)), n));
}

/** Counts the f32 value `x` (read twice, a local) when it is not finite. */
export function countScalar(m: ModuleBuilder, layout: WasmLayout, c: Counted, x: () => Expr, atomic: boolean): Expr {
  return m.if(m.float('f32', 'ne', m.float('f32', 'sub', x(), x()), m.f32Const(0)), addToCount(m, layout, c, m.i32Const(1), atomic));
}

/** Counts the lanes of the f32x4 value `x` (read twice, a local) that are not finite; `mask` is a scratch v128 local. */
export function countVector(m: ModuleBuilder, layout: WasmLayout, c: Counted, x: () => Expr, mask: number, atomic: boolean): Expr {
  const bad = m.f32x4('ne', m.f32x4('sub', x(), x()), m.f32x4Const(0));
  return m.block([m.set(mask, bad), m.if(m.anyTrue(m.get(mask, 'v128')), addToCount(m, layout, c, m.i32Unary('popcnt', m.i32x4Bitmask(m.get(mask, 'v128'))), atomic))]);
}
