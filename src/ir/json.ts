// The IR's versioned JSON form: { format: 'kiln-ir', version: 1, graph }. The reader checks the
// structure field by field, naming the JSON path of the first problem, then verifies the graph.

import { KilnError } from './errors.js';
import type { SourceSpan } from './errors.js';
import { checkedNode } from './graph.js';
import type { Graph, Initializer, InputDecl, Node, OutputDecl, ParamDecl, UpdateDecl } from './graph.js';
import { INITIALIZERS } from './init.js';
import { checkAttrs } from './op.js';
import type { AttrKind, AttrSchema, AttrValue, Attrs } from './op.js';
import { OPS, getOp } from './ops/index.js';
import { DIM_RULE, DTYPES, isDType, isValidDim } from './types.js';
import type { Dim, TensorType } from './types.js';
import { verify } from './verify.js';

export const IR_JSON_VERSION = 1;
const FORMAT = 'kiln-ir';

/** `rec[key]` for own keys only: a key like 'constructor' must not find Object.prototype's. */
function own<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

// ---- writing ----------------------------------------------------------------------------

/** JSON has no inf or nan, and JSON.stringify writes -0 as 0: these become strings. */
const SPECIAL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['inf', Infinity],
  ['-inf', -Infinity],
  ['nan', NaN],
  ['-0', -0],
]);

function encodeNumber(n: number): number | string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return Object.is(n, -0) ? '-0' : n;
}

/** Numeric attribute kinds, the only ones whose strings can stand for numbers. */
const NUMERIC_KINDS: readonly (AttrKind | undefined)[] = ['int', 'float', 'ints', 'floats', undefined];

function encodeValue(v: unknown, kind: AttrKind | undefined): unknown {
  if (Array.isArray(v)) return v.map((x) => encodeValue(x, kind));
  return typeof v === 'number' && NUMERIC_KINDS.includes(kind) ? encodeNumber(v) : v;
}

/** Values in schema order, then any keys the schema lacks (only in malformed graphs). */
function encodeValues(values: Readonly<Record<string, unknown>>, schema: AttrSchema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(schema ?? {})) if (values[k] !== undefined) out[k] = encodeValue(values[k], schema![k]!.kind);
  for (const k of Object.keys(values)) if (!(k in out) && values[k] !== undefined) out[k] = encodeValue(values[k], undefined);
  return out;
}

function typeJSON(t: TensorType): object {
  return { dtype: t.dtype, shape: [...t.shape] };
}

function withSpan<T extends object>(o: T, span: SourceSpan | undefined): T {
  if (!span) return o;
  const s = span.file !== undefined ? { file: span.file, line: span.line, col: span.col } : { line: span.line, col: span.col };
  return { ...o, span: s };
}

/** The JSON form of a graph: plain data, ready for JSON.stringify. */
export function graphToJSON(g: Graph): object {
  return {
    format: FORMAT,
    version: IR_JSON_VERSION,
    graph: {
      name: g.name,
      inputs: g.inputs.map((i) => withSpan({ name: i.name, type: typeJSON(i.type) }, i.span)),
      params: g.params.map((p) => {
        const init = { fn: p.init.fn, args: encodeValues(p.init.args, own(INITIALIZERS, p.init.fn)?.args) };
        return withSpan({ name: p.name, type: typeJSON(p.type), init }, p.span);
      }),
      nodes: g.nodes.map((n) => {
        const attrs = encodeValues(n.attrs, OPS.get(n.op)?.attrs);
        return withSpan({ name: n.name, op: n.op, inputs: [...n.inputs], attrs, type: typeJSON(n.type) }, n.span);
      }),
      outputs: g.outputs.map((o) => withSpan({ name: o.name, value: o.value }, o.span)),
      updates: g.updates.map((u) => withSpan({ param: u.param, value: u.value }, u.span)),
    },
  };
}

// ---- reading ----------------------------------------------------------------------------

function bad(path: string, detail: string): never {
  throw new KilnError('json', path ? `${path}: ${detail}` : detail);
}

/** How a JSON value reads in a message. */
function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}

function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const part = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${part}` : part;
}

type JSONObject = Record<string, unknown>;

/** An object with exactly the given keys (optional ones may be absent). */
function object(v: unknown, path: string, required: readonly string[], optional: readonly string[] = []): JSONObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, `expected an object, got ${shown(v)}`);
  const o = v as JSONObject;
  for (const k of required) if (!(k in o)) bad(child(path, k), 'missing');
  const known = [...required, ...optional];
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) bad(path, `unknown key '${k}' (expected ${known.join(', ')})`);
  }
  return o;
}

function list(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) bad(path, `expected a list, got ${shown(v)}`);
  return v;
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string') bad(path, `expected a string, got ${shown(v)}`);
  return v;
}

function number(v: unknown, path: string): number {
  if (typeof v !== 'number') bad(path, `expected a number, got ${shown(v)}`);
  return v;
}

function readType(v: unknown, path: string): TensorType {
  const o = object(v, path, ['dtype', 'shape']);
  if (!isDType(o.dtype)) bad(child(path, 'dtype'), `invalid dtype ${shown(o.dtype)} (expected ${DTYPES.join(', ')})`);
  const shapePath = child(path, 'shape');
  const shape = list(o.shape, shapePath).map((d, i): Dim => {
    if (!isValidDim(d)) bad(child(shapePath, i), `invalid dim ${shown(d)} (${DIM_RULE})`);
    return d;
  });
  return { dtype: o.dtype, shape };
}

function readSpan(o: JSONObject, path: string): { span?: SourceSpan } {
  if (!('span' in o)) return {};
  const sp = child(path, 'span');
  const s = object(o.span, sp, ['line', 'col'], ['file']);
  const line = number(s.line, child(sp, 'line'));
  const col = number(s.col, child(sp, 'col'));
  if (!('file' in s)) return { span: { line, col } };
  return { span: { file: string(s.file, child(sp, 'file')), line, col } };
}

/** Turns the strings that stand for inf, -inf, nan and -0 back into numbers where numbers belong. */
function decodeValue(v: unknown, kind: AttrKind | undefined): unknown {
  if (Array.isArray(v)) return v.map((x) => decodeValue(x, kind));
  if (typeof v === 'string' && kind !== undefined && NUMERIC_KINDS.includes(kind) && SPECIAL_NUMBERS.has(v)) return SPECIAL_NUMBERS.get(v);
  return v;
}

/**
 * Decodes attribute-like values against a schema and checks them with checkAttrs (which words
 * unknown, missing and ill-typed keys); returns the decoded values and the defaults-filled ones.
 */
function readValues(v: unknown, path: string, schema: { name: string; attrs: AttrSchema }): { raw: Attrs; filled: Attrs } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, `expected an object, got ${shown(v)}`);
  const o = v as JSONObject;
  const raw: Attrs = {};
  for (const [k, x] of Object.entries(o)) raw[k] = decodeValue(x, own(schema.attrs, k)?.kind) as AttrValue;
  try {
    return { raw, filled: checkAttrs(schema, raw) };
  } catch (e) {
    if (e instanceof KilnError) bad(path, e.detail);
    throw e;
  }
}

function readInput(v: unknown, path: string): InputDecl {
  const o = object(v, path, ['name', 'type'], ['span']);
  return { name: string(o.name, child(path, 'name')), type: readType(o.type, child(path, 'type')), ...readSpan(o, path) };
}

function readParam(v: unknown, path: string): ParamDecl {
  const o = object(v, path, ['name', 'type', 'init'], ['span']);
  const name = string(o.name, child(path, 'name'));
  const type = readType(o.type, child(path, 'type'));
  const ip = child(path, 'init');
  const io = object(o.init, ip, ['fn', 'args']);
  const fn = string(io.fn, child(ip, 'fn'));
  const def = own(INITIALIZERS, fn);
  if (!def) bad(child(ip, 'fn'), `unknown initializer '${fn}' (expected one of: ${Object.keys(INITIALIZERS).join(', ')})`);
  // Arguments stay as written, defaults unfilled, as the builder and the text form keep them.
  const { raw } = readValues(io.args, child(ip, 'args'), { name: `initializer ${fn}`, attrs: def.args });
  const init: Initializer = { fn, args: raw };
  return { name, type, init, ...readSpan(o, path) };
}

function readNode(v: unknown, path: string): Node {
  const o = object(v, path, ['name', 'op', 'inputs', 'attrs', 'type'], ['span']);
  const name = string(o.name, child(path, 'name'));
  const op = string(o.op, child(path, 'op'));
  const def = OPS.get(op) ?? bad(child(path, 'op'), unknownOp(op));
  const ip = child(path, 'inputs');
  const inputs = list(o.inputs, ip).map((x, i) => string(x, child(ip, i)));
  const { filled } = readValues(o.attrs, child(path, 'attrs'), def);
  const type = readType(o.type, child(path, 'type'));
  return checkedNode({ name, op: def.name, inputs, attrs: filled, type, ...readSpan(o, path) });
}

/** getOp's wording, with its suggestions, without its error code. */
function unknownOp(op: string): string {
  try {
    getOp(op);
  } catch (e) {
    if (e instanceof KilnError) return e.detail;
  }
  return `unknown op '${op}'`;
}

function readOutput(v: unknown, path: string): OutputDecl {
  const o = object(v, path, ['name', 'value'], ['span']);
  return { name: string(o.name, child(path, 'name')), value: string(o.value, child(path, 'value')), ...readSpan(o, path) };
}

function readUpdate(v: unknown, path: string): UpdateDecl {
  const o = object(v, path, ['param', 'value'], ['span']);
  return { param: string(o.param, child(path, 'param')), value: string(o.value, child(path, 'value')), ...readSpan(o, path) };
}

/** A graph from its JSON form (already parsed), checked structurally and then verified. */
export function graphFromJSON(data: unknown): Graph {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) bad('', `expected a ${FORMAT} JSON object, got ${shown(data)}`);
  const top = data as JSONObject;
  // The tag and the version first: a newer file may hold keys this reader does not know.
  if (top.format !== FORMAT) bad('format', `expected '${FORMAT}', got ${shown(top.format)}`);
  if (typeof top.version !== 'number') bad('version', `expected a version number, got ${shown(top.version)}`);
  if (top.version !== IR_JSON_VERSION) bad('version', `unsupported version ${top.version} (this Kiln reads version ${IR_JSON_VERSION})`);
  object(top, '', ['format', 'version', 'graph']);
  // `updates` arrived after version 1 was first written; a file without it has none.
  const go = object(top.graph, 'graph', ['name', 'inputs', 'params', 'nodes', 'outputs'], ['updates']);
  const items = <T>(key: string, read: (v: unknown, path: string) => T): T[] => list(go[key], `graph.${key}`).map((x, i) => read(x, `graph.${key}[${i}]`));
  const g: Graph = {
    name: string(go.name, 'graph.name'),
    inputs: items('inputs', readInput),
    params: items('params', readParam),
    nodes: items('nodes', readNode),
    outputs: items('outputs', readOutput),
    updates: go.updates === undefined ? [] : items('updates', readUpdate),
  };
  verify(g);
  return g;
}

/** Where a JSON.parse error happened, when the engine says ("... at position 12"). */
function positionSpan(message: string, text: string, file: string | undefined): SourceSpan | undefined {
  const m = /at position (\d+)/.exec(message);
  const pos = m ? Number(m[1]) : /Unexpected end of JSON input/.test(message) ? text.length : undefined;
  if (pos === undefined) return undefined;
  const before = text.slice(0, pos).split('\n');
  const at = { line: before.length, col: before[before.length - 1]!.length + 1 };
  return file !== undefined ? { file, ...at } : at;
}

/** A graph from JSON text; syntax and structure errors are KilnError('json'). */
export function parseGraphJSON(text: string, file?: string): Graph {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const span = positionSpan(message, text, file);
    throw new KilnError('json', `invalid JSON: ${message}` + (span || file === undefined ? '' : ` in ${file}`), span);
  }
  try {
    return graphFromJSON(data);
  } catch (e) {
    // Structure errors have a JSON path but no line: name the file in the message.
    if (e instanceof KilnError && e.code === 'json' && file !== undefined) throw new KilnError('json', `${file}: ${e.detail}`);
    throw e;
  }
}
