// The shape of an op definition. Every op is defined once (see ops/): its operands, its typed
// attributes, its dtype/shape rule, and either a reference implementation (primitives) or a
// decomposition into other ops (composites). Everything else — the verifier, the text and JSON
// forms, the reference backend, the builder — reads these definitions.

import { fail, KilnError } from './errors.js';
import type { SourceSpan } from './errors.js';
import { isDType, isValidDim } from './types.js';
import type { Dim, DType, Tensor, TensorData, TensorType } from './types.js';

// ---- attributes -------------------------------------------------------------------------

export type AttrKind = 'int' | 'float' | 'bool' | 'ints' | 'floats' | 'shape' | 'dtype' | 'string';
export type AttrValue = number | boolean | string | number[] | Dim[];

interface AttrValueOfKind {
  int: number;
  float: number;
  bool: boolean;
  ints: number[];
  floats: number[];
  shape: Dim[];
  dtype: DType;
  string: string;
}

export interface AttrSpec<K extends AttrKind = AttrKind> {
  kind: K;
  /** Filled in when the attribute is omitted; an attribute without a default is required. */
  default?: AttrValueOfKind[K];
}

export type AttrSchema = Record<string, AttrSpec>;
export type AttrsOf<S extends AttrSchema> = { [N in keyof S]: AttrValueOfKind[S[N]['kind']] };
export type Attrs = Record<string, AttrValue>;

/** Attribute spec constructors: `attr.ints()` is required, `attr.bool(false)` has a default. */
export const attr = {
  int: (d?: number): AttrSpec<'int'> => spec('int', d),
  float: (d?: number): AttrSpec<'float'> => spec('float', d),
  bool: (d?: boolean): AttrSpec<'bool'> => spec('bool', d),
  ints: (d?: number[]): AttrSpec<'ints'> => spec('ints', d),
  floats: (d?: number[]): AttrSpec<'floats'> => spec('floats', d),
  shape: (d?: Dim[]): AttrSpec<'shape'> => spec('shape', d),
  dtype: (d?: DType): AttrSpec<'dtype'> => spec('dtype', d),
  string: (d?: string): AttrSpec<'string'> => spec('string', d),
};

function spec<K extends AttrKind>(kind: K, d: AttrValueOfKind[K] | undefined): AttrSpec<K> {
  return d === undefined ? { kind } : { kind, default: d };
}

/** Whether a plain value has the given attribute kind. */
export function attrHasKind(v: unknown, kind: AttrKind): boolean {
  switch (kind) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v);
    case 'float':
      return typeof v === 'number';
    case 'bool':
      return typeof v === 'boolean';
    case 'ints':
      return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x));
    case 'floats':
      return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'shape':
      return Array.isArray(v) && v.every(isValidDim);
    case 'dtype':
      return isDType(v);
    case 'string':
      return typeof v === 'string';
  }
}

/** Fails unless `key` is an attribute of the schema (own keys only: 'constructor' is not one). */
export function checkAttrName(def: { name: string; attrs: AttrSchema }, key: string, span?: SourceSpan): void {
  if (Object.hasOwn(def.attrs, key)) return;
  const known = Object.keys(def.attrs);
  fail('attr', `${def.name}: unknown attribute '${key}'` + (known.length ? ` (expected one of: ${known.join(', ')})` : ' (it takes none)'), span);
}

/**
 * Validates raw attributes against an op's schema and fills in defaults. Unknown, missing and
 * ill-typed attributes are errors naming the op and the attribute.
 */
export function checkAttrs(def: { name: string; attrs: AttrSchema }, raw: Readonly<Record<string, unknown>>, span?: SourceSpan): Attrs {
  const out: Attrs = {};
  for (const key of Object.keys(raw)) checkAttrName(def, key, span);
  for (const [key, s] of Object.entries(def.attrs)) {
    const v = raw[key];
    if (v === undefined) {
      if (s.default === undefined) fail('attr', `${def.name}: missing attribute '${key}' (${s.kind})`, span);
      out[key] = Array.isArray(s.default) ? [...s.default] : s.default;
    } else if (!attrHasKind(v, s.kind)) {
      fail('attr', `${def.name}: attribute '${key}' must be ${describeKind(s.kind)}, got ${JSON.stringify(v)}`, span);
    } else {
      out[key] = Array.isArray(v) ? [...v] : (v as AttrValue);
    }
  }
  return out;
}

function describeKind(kind: AttrKind): string {
  const words: Record<AttrKind, string> = {
    int: 'an integer',
    float: 'a number',
    bool: 'true or false',
    ints: 'a list of integers',
    floats: 'a list of numbers',
    shape: 'a shape (integers >= 0 or symbols)',
    dtype: 'a dtype (f32, i32 or bool)',
    string: 'a string',
  };
  return words[kind];
}

// ---- op definitions ---------------------------------------------------------------------

export type OpCategory =
  | 'constant'
  | 'elementwise'
  | 'reduce'
  | 'movement'
  | 'matmul'
  | 'index'
  | 'random'
  | 'composite';

/** A tensor type whose shape is concrete, as the reference implementations see them. */
export interface ConcreteType {
  dtype: DType;
  shape: number[];
}

/** What a reference implementation may ask of the interpreter that runs it. */
export interface EvalContext {
  /** Storage for `n` elements of `dtype`; f32 may be stored in a Float64Array when the interpreter runs in double precision. */
  alloc(dtype: DType, n: number): TensorData;
}

/** What a decomposition emits into: the graph under construction. */
export interface Emitter {
  emit(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, unknown>>): string;
  typeOf(value: string): TensorType;
}

interface OpDefBase<S extends AttrSchema> {
  name: string;
  /** One line that says what the op computes. */
  doc: string;
  category: OpCategory;
  /** Operand names, used in messages; a variadic op lists one name and repeats it. */
  operands: readonly string[];
  variadic?: { min: number; max?: number };
  attrs: S;
}

/** What a VJP rule sees: the node's operands and result, and the cotangent `g` of the result. */
export interface VjpArgs<S extends AttrSchema> {
  inputs: readonly string[];
  output: string;
  g: string;
  attrs: AttrsOf<S>;
}

/**
 * Reverse-mode rule: emits, as IR, the cotangent of each operand (undefined where none flows,
 * e.g. an integer index). Cotangents have their operand's shape: broadcasting is undone here.
 */
export type VjpRule<S extends AttrSchema> = (e: Emitter, a: VjpArgs<S>) => readonly (string | undefined)[];

export interface PrimitiveDef<S extends AttrSchema = AttrSchema> extends OpDefBase<S> {
  kind: 'primitive';
  /** The result type, or a KilnError ('shape', 'dtype', 'attr') naming the op and the operands. */
  infer(inputs: readonly TensorType[], attrs: AttrsOf<S>): TensorType;
  /** Reference semantics over concrete tensors; `out` is the inferred result type. */
  evaluate(inputs: readonly Tensor[], attrs: AttrsOf<S>, out: ConcreteType, ctx: EvalContext): Tensor;
  /**
   * The op's gradient, or 'none' where no gradient flows through it: integer and bool
   * results, piecewise-constant functions (sign, step), random draws and constants.
   */
  vjp: VjpRule<S> | 'none';
}

export interface CompositeDef<S extends AttrSchema = AttrSchema> extends OpDefBase<S> {
  kind: 'composite';
  /**
   * Emits the op's meaning in terms of other ops; returns the result value. A composite's
   * result type is whatever its decomposition yields, so it has no shape rule of its own.
   */
  decompose(e: Emitter, inputs: readonly string[], attrs: AttrsOf<S>): string;
}

export type OpDef<S extends AttrSchema = AttrSchema> = PrimitiveDef<S> | CompositeDef<S>;

export function primitive<S extends AttrSchema>(def: Omit<PrimitiveDef<S>, 'kind'>): PrimitiveDef<S> {
  return { kind: 'primitive', ...def };
}

export function composite<S extends AttrSchema>(def: Omit<CompositeDef<S>, 'kind' | 'category'>): CompositeDef<S> {
  return { kind: 'composite', category: 'composite', ...def };
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
