// Value handles of the TypeScript front end: a Sym names a value of the graph under
// construction and carries the fluent methods (`x.matmul(w).add(b).relu()`), each of which
// forwards to the Builder that made it.

import { formatType } from '../ir/types.js';
import type { DType, Dim, Shape, TensorType } from '../ir/types.js';
import type { Axes, Builder, Operand } from './builder.js';
import type { DenseOptions } from './layers.js';

/**
 * A value of the graph under construction: its name and type, plus fluent methods so that
 * `x.matmul(w).add(b).relu()` reads like the math. A handle belongs to the builder that made it.
 */
export class Sym {
  /** @internal */
  constructor(
    readonly builder: Builder,
    readonly name: string,
    readonly type: TensorType,
  ) {}

  get dtype(): DType {
    return this.type.dtype;
  }
  get shape(): Shape {
    return this.type.shape;
  }
  get rank(): number {
    return this.type.shape.length;
  }
  toString(): string {
    return `%${this.name}: ${formatType(this.type)}`;
  }

  neg(): Sym {
    return this.builder.neg(this);
  }
  abs(): Sym {
    return this.builder.abs(this);
  }
  exp(): Sym {
    return this.builder.exp(this);
  }
  log(): Sym {
    return this.builder.log(this);
  }
  sqrt(): Sym {
    return this.builder.sqrt(this);
  }
  rsqrt(): Sym {
    return this.builder.rsqrt(this);
  }
  tanh(): Sym {
    return this.builder.tanh(this);
  }
  sigmoid(): Sym {
    return this.builder.sigmoid(this);
  }
  relu(): Sym {
    return this.builder.relu(this);
  }
  sign(): Sym {
    return this.builder.sign(this);
  }
  step(): Sym {
    return this.builder.step(this);
  }
  sin(): Sym {
    return this.builder.sin(this);
  }
  cos(): Sym {
    return this.builder.cos(this);
  }
  square(): Sym {
    return this.builder.square(this);
  }

  add(o: Operand): Sym {
    return this.builder.add(this, o);
  }
  sub(o: Operand): Sym {
    return this.builder.sub(this, o);
  }
  mul(o: Operand): Sym {
    return this.builder.mul(this, o);
  }
  div(o: Operand): Sym {
    return this.builder.div(this, o);
  }
  pow(o: Operand): Sym {
    return this.builder.pow(this, o);
  }
  max(o: Operand): Sym {
    return this.builder.max(this, o);
  }
  min(o: Operand): Sym {
    return this.builder.min(this, o);
  }
  eq(o: Operand): Sym {
    return this.builder.eq(this, o);
  }
  ne(o: Operand): Sym {
    return this.builder.ne(this, o);
  }
  lt(o: Operand): Sym {
    return this.builder.lt(this, o);
  }
  le(o: Operand): Sym {
    return this.builder.le(this, o);
  }
  gt(o: Operand): Sym {
    return this.builder.gt(this, o);
  }
  ge(o: Operand): Sym {
    return this.builder.ge(this, o);
  }

  cast(dtype: DType): Sym {
    return this.builder.cast(this, dtype);
  }
  sum(axes?: Axes, keepdims = false): Sym {
    return this.builder.sum(this, axes, keepdims);
  }
  maxOver(axes?: Axes, keepdims = false): Sym {
    return this.builder.maxOver(this, axes, keepdims);
  }
  mean(axes?: Axes, keepdims = false): Sym {
    return this.builder.mean(this, axes, keepdims);
  }
  argmax(axis = -1, keepdims = false): Sym {
    return this.builder.argmax(this, axis, keepdims);
  }
  reshape(shape: readonly Dim[]): Sym {
    return this.builder.reshape(this, shape);
  }
  broadcastTo(shape: readonly Dim[]): Sym {
    return this.builder.broadcastTo(this, shape);
  }
  transpose(perm?: readonly number[]): Sym {
    return this.builder.transpose(this, perm);
  }
  slice(begin: readonly number[], end: readonly number[], stride?: readonly number[]): Sym {
    return this.builder.slice(this, begin, end, stride);
  }
  pad(before: readonly number[], after: readonly number[], value = 0): Sym {
    return this.builder.pad(this, before, after, value);
  }
  matmul(o: Sym): Sym {
    return this.builder.matmul(this, o);
  }
  gather(indices: Sym, axis = 0): Sym {
    return this.builder.gather(this, indices, axis);
  }
  softmax(axis = -1): Sym {
    return this.builder.softmax(this, axis);
  }
  logSoftmax(axis = -1): Sym {
    return this.builder.logSoftmax(this, axis);
  }
  clip(min: number, max: number): Sym {
    return this.builder.clip(this, min, max);
  }
  /** x @ w + b with the given weights, or a layer of `units` that makes its own (Builder.dense). */
  dense(w: Sym, b: Sym): Sym;
  dense(units: number, options?: DenseOptions): Sym;
  dense(w: Sym | number, b?: Sym | DenseOptions): Sym {
    return typeof w === 'number' ? this.builder.dense(this, w, b instanceof Sym ? {} : b) : this.builder.dense(this, w, b as Sym);
  }
  dropout(rate: number, o: { seed?: number } = {}): Sym {
    return this.builder.dropout(this, rate, o);
  }
}
