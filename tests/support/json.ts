// Typed access to parsed JSON, for tests that read a document and then corrupt it in place:
// JSON.parse returns `any`; these narrow each step and fail with the path when the shape is not what the test expects.

/** Any value JSON can hold. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}
/** Object keys and list indices, from the outside in. */
export type JsonPath = (string | number)[];

/** Parses JSON text (throwing on a syntax error, as JSON.parse does). */
export function parseJson(text: string): Json {
  return JSON.parse(text) as Json;
}

/** A deep, mutable copy of a value as JSON sees it: JSON.stringify, then JSON.parse. */
export function jsonCopy(value: unknown): Json {
  return parseJson(JSON.stringify(value));
}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function kindOf(v: Json | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return isObject(v) ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function pathText(path: JsonPath): string {
  return path.length === 0 ? '(the root)' : path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
}

/** The value at `path` inside `value`; throws when a step is missing or is not a list/object to index. */
export function at(value: Json, ...path: JsonPath): Json {
  let v: Json = value;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    let next: Json | undefined;
    if (typeof key === 'number') {
      if (!Array.isArray(v)) throw new Error(`JSON ${pathText(path.slice(0, i))}: expected a list to index with [${key}], got ${kindOf(v)}`);
      next = key >= 0 && key < v.length ? v[key] : undefined;
    } else {
      if (!isObject(v)) throw new Error(`JSON ${pathText(path.slice(0, i))}: expected an object to look up '${key}', got ${kindOf(v)}`);
      next = Object.hasOwn(v, key) ? v[key] : undefined;
    }
    if (next === undefined) throw new Error(`JSON ${pathText(path.slice(0, i + 1))}: missing`);
    v = next;
  }
  return v;
}

/** The object at `path` (mutable: edits change the document). */
export function obj(value: Json, ...path: JsonPath): JsonObject {
  const v = at(value, ...path);
  if (!isObject(v)) throw new Error(`JSON ${pathText(path)}: expected an object, got ${kindOf(v)}`);
  return v;
}

/** The list at `path` (mutable: edits change the document). */
export function list(value: Json, ...path: JsonPath): Json[] {
  const v = at(value, ...path);
  if (!Array.isArray(v)) throw new Error(`JSON ${pathText(path)}: expected a list, got ${kindOf(v)}`);
  return v;
}

/** The number at `path`. */
export function num(value: Json, ...path: JsonPath): number {
  const v = at(value, ...path);
  if (typeof v !== 'number') throw new Error(`JSON ${pathText(path)}: expected a number, got ${kindOf(v)}`);
  return v;
}
