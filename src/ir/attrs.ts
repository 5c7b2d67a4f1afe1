// Op attributes: the kinds an attribute may have, the schema an op declares, and the checks
// that turn raw values (from a user, a file or a decomposition) into an op's typed attributes.
// A spec made without a default is required; the spec's type says which, so the attribute
// arguments of `emit` can leave out exactly the ones with defaults.

import { fail } from './errors.js';
import type { SourceSpan } from './errors.js';
import { isDType, isValidDim } from './types.js';
import type { Dim, DType } from './types.js';

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

/** A spec whose type says the attribute is required. */
export interface RequiredAttr<K extends AttrKind> extends AttrSpec<K> {
  default?: undefined;
}

/** A spec whose type says the attribute has a default, so callers may omit it. */
export interface DefaultedAttr<K extends AttrKind> extends AttrSpec<K> {
  default: AttrValueOfKind[K];
}

export type AttrSchema = Readonly<Record<string, AttrSpec>>;
export type AttrsOf<S extends AttrSchema> = { [N in keyof S]: AttrValueOfKind[S[N]['kind']] };
export type Attrs = Record<string, AttrValue>;

/** What a caller may pass for an attribute of kind K: lists may be read-only, they are copied. */
type ArgOfKind<K extends AttrKind> = AttrValueOfKind[K] extends (infer E)[] ? readonly E[] : AttrValueOfKind[K];
type DefaultedKeys<S extends AttrSchema> = { [N in keyof S]: S[N] extends { default: unknown } ? N : never }[keyof S];
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * The attribute arguments of an op with schema S: defaulted ones optional, the others required.
 * An op without attributes takes none: any key there is an error.
 */
export type AttrArgsOf<S extends AttrSchema> = [keyof S] extends [never]
  ? { readonly [key: string]: never }
  : Flat<
      { readonly [N in Exclude<keyof S, DefaultedKeys<S>>]: ArgOfKind<S[N]['kind']> } & {
        readonly [N in DefaultedKeys<S>]?: ArgOfKind<S[N]['kind']>;
      }
    >;

interface SpecMaker<K extends AttrKind> {
  (): RequiredAttr<K>;
  (d: AttrValueOfKind[K]): DefaultedAttr<K>;
}

function maker<K extends AttrKind>(kind: K): SpecMaker<K> {
  return ((d?: AttrValueOfKind[K]) => (d === undefined ? { kind } : { kind, default: d })) as SpecMaker<K>;
}

/** Attribute spec constructors: `attr.ints()` is required, `attr.bool(false)` has a default. */
export const attr = {
  int: maker('int'),
  float: maker('float'),
  bool: maker('bool'),
  ints: maker('ints'),
  floats: maker('floats'),
  shape: maker('shape'),
  dtype: maker('dtype'),
  string: maker('string'),
};

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
      out[key] = Array.isArray(v) ? [...(v as Dim[])] : (v as AttrValue);
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
    shape: 'a shape (integers from 0 to 2^53-1 or symbols)',
    dtype: 'a dtype (f32, i32 or bool)',
    string: 'a string',
  };
  return words[kind];
}
