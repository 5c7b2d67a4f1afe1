// Helpers for VJP rules: a terse way to emit the IR of a gradient, and undoing broadcasting.

import type { Emitter, PrimitiveName } from '../op.js';
import type { BinaryFn, UnaryFn } from '../../../runtime/kernel-fns.js';

/** The elementwise ops of one and of two operands (those with a kernel function). */
type UnaryOpName = PrimitiveName & UnaryFn;
type BinaryOpName = PrimitiveName & BinaryFn;
import type { Dim, DType, Shape } from '../types.js';

/** Emits ops into a graph under construction with one short call each. */
export class Grad {
  constructor(readonly e: Emitter) {}

  shape(v: string): Shape {
    return this.e.typeOf(v).shape;
  }
  const(value: number, dtype: DType = 'f32'): string {
    return this.e.emit('constant', [], { dtype, shape: [], value: [value] });
  }
  zerosLike(v: string): string {
    const t = this.e.typeOf(v);
    return this.e.emit('constant', [], { dtype: t.dtype, shape: [...t.shape], value: [0] });
  }
  un(op: UnaryOpName, x: string): string {
    return this.e.emit(op, [x]);
  }
  bin(op: BinaryOpName, a: string, b: string): string {
    return this.e.emit(op, [a, b]);
  }
  add(a: string, b: string): string {
    return this.bin('add', a, b);
  }
  sub(a: string, b: string): string {
    return this.bin('sub', a, b);
  }
  mul(a: string, b: string): string {
    return this.bin('mul', a, b);
  }
  div(a: string, b: string): string {
    return this.bin('div', a, b);
  }
  neg(a: string): string {
    return this.un('neg', a);
  }
  /** `g` where `cond`, else 0 (for routing a cotangent through a mask). */
  select(cond: string, g: string): string {
    return this.e.emit('where', [cond, g, this.const(0)]);
  }
  /** `g` split by a mask: [where cond, where not cond]. */
  route(cond: string, g: string): [string, string] {
    const zero = this.const(0);
    return [this.e.emit('where', [cond, g, zero]), this.e.emit('where', [cond, zero, g])];
  }
  reshape(x: string, shape: Shape): string {
    return this.e.emit('reshape', [x], { shape: [...shape] });
  }

  /**
   * Sums a cotangent of a broadcast result back to the operand's `shape`: over the leading
   * axes broadcasting added and over the axes where the operand had size 1.
   */
  sumToShape(g: string, shape: Shape): string {
    const out = this.shape(g);
    const lead = out.length - shape.length;
    const axes: number[] = [];
    out.forEach((d, i) => {
      if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
    });
    if (axes.length === 0) return g;
    const summed = this.e.emit('reduce_sum', [g], { axes, keepdims: true });
    return this.reshape(summed, shape);
  }

  /** Inverse of a permutation. */
  static invert(perm: readonly number[]): number[] {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return inv;
  }

  /** A shape with axis `a` removed (keepdims=false reductions) restored as size 1. */
  static keepAxes(shape: Shape, axes: readonly number[]): Dim[] {
    return shape.map((d, i) => (axes.includes(i) ? 1 : d));
  }
}
