// The shape of an op definition. Every op is defined once (see ops/): its operands, its
// attributes (typed from the op's schema in ops/schemas.ts), its dtype/shape rule, and either a
// reference implementation with a VJP (primitives) or a decomposition into other ops
// (composites), plus what passes ask of it: commutativity, and fusion's kind and cost. The
// verifier, the text and JSON forms, the reference backend, the builder, the passes and
// lowering read these definitions; the op name type keeps them all in step.

import { fail, KilnError } from './errors.js';
import type { SourceSpan } from './errors.js';
import { OP_SCHEMAS } from './ops/schemas.js';
import type { AttrSchema } from './attrs.js';
import type { AttrArgs, CompositeName, OpAttrs, OpName, OpSchema, PrimitiveName } from './ops/schemas.js';
import type { DType, Tensor, TensorData, TensorType } from './types.js';

export { attr, attrHasKind, checkAttrName, checkAttrs } from './attrs.js';
export type { AttrKind, AttrSchema, AttrSpec, AttrValue, Attrs, AttrsOf } from './attrs.js';
export type { AttrArgs, CompositeName, OpAttrs, OpName, PlainOpName, PrimitiveName } from './ops/schemas.js';

// ---- op definitions ---------------------------------------------------------------------

export type OpCategory = 'constant' | 'elementwise' | 'reduce' | 'movement' | 'matmul' | 'index' | 'random' | 'composite';

/** A tensor type whose shape is concrete, as the reference implementations see them. */
export interface ConcreteType {
  dtype: DType;
  shape: number[];
}

/** What a reference implementation may ask of the interpreter that runs it. */
export interface EvalContext {
  /** Storage for `n` elements of `dtype`; f32 may be stored in a Float64Array when the interpreter runs in double precision. */
  alloc: (dtype: DType, n: number) => TensorData;
}

/** What a decomposition emits into: the graph under construction. */
export interface Emitter {
  emit<N extends OpName>(op: N, inputs: readonly string[], attrs?: AttrArgs<N>): string;
  typeOf(value: string): TensorType;
}

interface OpDefBase<N extends OpName> {
  name: N;
  /** One line that says what the op computes. */
  doc: string;
  category: OpCategory;
  /** Operand names, used in messages; a variadic op lists one name and repeats it. */
  operands: readonly string[];
  variadic?: { min: number; max?: number };
  /** The op's attributes, from ops/schemas.ts. */
  attrs: OpSchema<N>;
  /**
   * Operands may be swapped without changing any result (nan, ±0 and i32 wrapping included).
   * cse sorts such operands and simplify matches its patterns in both orders.
   */
  commutative?: boolean;
}

/** What a VJP rule sees: the node's operands and result, and the cotangent `g` of the result. */
export interface VjpArgs<N extends OpName> {
  inputs: readonly string[];
  output: string;
  g: string;
  attrs: OpAttrs<N>;
}

/**
 * Reverse-mode rule: emits, as IR, the cotangent of each operand (undefined where none flows,
 * e.g. an integer index). Cotangents have their operand's shape: broadcasting is undone here.
 */
export type VjpRule<N extends OpName> = (e: Emitter, a: VjpArgs<N>) => readonly (string | undefined)[];

/**
 * How fusion treats a primitive's result: 'pointwise' is computed per element from operand
 * elements and may be inlined into its readers; 'view' is a pure index map of its operand (a
 * matmul may read through it); 'fold' folds over reduction axes and is computed once, in a
 * kernel of its own or as its accumulator.
 */
export type FusionKind = 'pointwise' | 'view' | 'fold';

export interface PrimitiveDef<N extends PrimitiveName = PrimitiveName> extends OpDefBase<N> {
  kind: 'primitive';
  /** The result type, or a KilnError ('shape', 'dtype', 'attr') naming the op and the operands. */
  infer(inputs: readonly TensorType[], attrs: OpAttrs<N>): TensorType;
  /** Reference semantics over concrete tensors; `out` is the inferred result type. */
  evaluate(inputs: readonly Tensor[], attrs: OpAttrs<N>, out: ConcreteType, ctx: EvalContext): Tensor;
  /**
   * The op's gradient, or 'none' where no gradient flows through it: integer and bool
   * results, piecewise-constant functions (sign, step), random draws and constants.
   */
  vjp: VjpRule<N> | 'none';
  fusion: FusionKind;
  /** Work per element of the result in units of one add, what fusion weighs before recomputing. */
  cost: number;
}

export interface CompositeDef<N extends CompositeName = CompositeName> extends OpDefBase<N> {
  kind: 'composite';
  /**
   * Emits the op's meaning in terms of other ops; returns the result value. A composite's
   * result type is whatever its decomposition yields, so it has no shape rule of its own.
   */
  decompose(e: Emitter, inputs: readonly string[], attrs: OpAttrs<N>): string;
}

/** The definition of op N: a primitive or a composite, as its name says. */
export type OpDefOf<N extends OpName> = N extends PrimitiveName ? PrimitiveDef<N> : N extends CompositeName ? CompositeDef<N> : never;
/** The definition of any op. */
export type OpDef = { [N in OpName]: OpDefOf<N> }[OpName];
/** The definition of any primitive, and of any composite. */
export type AnyPrimitiveDef = { [N in PrimitiveName]: PrimitiveDef<N> }[PrimitiveName];
export type AnyCompositeDef = { [N in CompositeName]: CompositeDef<N> }[CompositeName];

/** An op's attribute schema, seen as a table keyed by attribute name. */
export function schemaOf(def: OpDef): AttrSchema {
  return def.attrs;
}

type PrimitiveArgs<N extends PrimitiveName> = Omit<PrimitiveDef<N>, 'kind' | 'attrs' | 'fusion' | 'cost'> & { fusion?: FusionKind; cost?: number };

/** A primitive; its attributes come from the schema table. Unless given, it is pointwise and costs one add per element. */
export function primitive<N extends PrimitiveName>(def: PrimitiveArgs<N>): PrimitiveDef<N> {
  return { kind: 'primitive', fusion: 'pointwise', cost: 1, ...def, attrs: OP_SCHEMAS[def.name] };
}

export function composite<N extends CompositeName>(def: Omit<CompositeDef<N>, 'kind' | 'category' | 'attrs'>): CompositeDef<N> {
  return { kind: 'composite', category: 'composite', ...def, attrs: OP_SCHEMAS[def.name] };
}

/** Checks the operand count of an op application. */
export function checkArity(def: OpDef, count: number, span?: SourceSpan): void {
  if (def.variadic) {
    const { min, max } = def.variadic;
    if (count < min || (max !== undefined && count > max)) {
      const range = max === undefined ? `at least ${min}` : `${min} to ${max}`;
      fail('arity', `${def.name} takes ${range} operand(s), got ${count}`, span);
    }
  } else if (count !== def.operands.length) {
    const names = def.operands.length ? ` (${def.operands.join(', ')})` : '';
    fail('arity', `${def.name} takes ${def.operands.length} operand(s)${names}, got ${count}`, span);
  }
}

/** Re-throws a KilnError from a shape rule with a span attached, leaving other errors alone. */
export function withSpan<T>(span: SourceSpan | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KilnError && span && !e.span) throw new KilnError(e.code, e.detail, span);
    throw e;
  }
}
