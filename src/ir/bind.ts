// Shape specialization: substitutes concrete sizes for symbolic dims (`B` -> 128) in every
// type and shape attribute, and re-checks every node under the bound shapes.

import { fail } from './errors.js';
import { GraphBuilder } from './emit.js';
import { failHinted } from './hints.js';
import type { HintStyle } from './hints.js';
import type { Graph } from './graph.js';
import { getOp } from './ops/index.js';
import { schemaOf } from './op.js';
import type { AttrValue, Attrs } from './op.js';
import { MAX_TENSOR_ELEMENTS, formatBytes, formatType, isValidDim, shapeSymbols } from './types.js';
import type { Dim, Shape, TensorType } from './types.js';

/** Every symbol in the graph with the first place it appears, for messages. */
export function graphSymbols(g: Graph): Map<string, string> {
  const seen = new Map<string, string>();
  const note = (shape: Shape, where: string) => {
    for (const s of shapeSymbols(shape)) if (!seen.has(s)) seen.set(s, where);
  };
  for (const i of g.inputs) note(i.type.shape, `input ${i.name}: ${formatType(i.type)}`);
  for (const p of g.params) note(p.type.shape, `param ${p.name}: ${formatType(p.type)}`);
  for (const n of g.nodes) note(n.type.shape, `%${n.name} = ${n.op}(...) : ${formatType(n.type)}`);
  return seen;
}

/** How each interface binds symbols: the API's option, the command line's flag. */
const SHAPES: Record<HintStyle, string> = { api: 'shapes', cli: '--shapes' };

/** The binding of one symbol as the user writes it: `shapes: { B: <size> }` or `--shapes B=<size>`. */
const bindingOf = (name: string, style: HintStyle): string => (style === 'api' ? `shapes: { ${name}: <size> }` : `--shapes ${name}=<size>`);

/**
 * `g` with its symbols replaced by `shapes`. Every symbol must be bound to a non-negative
 * integer; binding a name the graph does not use is an error too (it is usually a typo).
 */
export function bindShapes(g: Graph, shapes: Readonly<Record<string, number>> = {}): Graph {
  const symbols = graphSymbols(g);
  for (const [name, size] of Object.entries(shapes)) {
    if (!symbols.has(name)) {
      const known = symbols.size ? `its symbols are ${[...symbols.keys()].join(', ')}` : 'it has no symbolic dims';
      failHinted('bind', (s) => `${SHAPES[s]}: '${name}' is not a dimension of graph ${g.name} (${known})`);
    }
    if (typeof size !== 'number' || !isValidDim(size)) failHinted('bind', (s) => `${SHAPES[s]}: ${name} must be a non-negative integer (at most 2^53-1), got ${String(size)}`);
  }
  for (const [name, where] of symbols) {
    if (!(name in shapes)) failHinted('bind', (s) => `unbound symbolic dimension '${name}' (first in ${where}); pass ${bindingOf(name, s)}`);
  }
  if (symbols.size === 0) return checkSizes(g);
  const dim = (d: Dim): Dim => (typeof d === 'string' ? shapes[d]! : d);
  const type = (t: TensorType): TensorType => ({ dtype: t.dtype, shape: t.shape.map(dim) });
  const b = new GraphBuilder(g.name);
  for (const i of g.inputs) b.input(i.name, type(i.type), i.span);
  for (const p of g.params) b.param(p.name, type(p.type), p.init, p.span);
  for (const n of g.nodes) {
    const def = getOp(n.op);
    const attrs: Attrs = {};
    const schema = schemaOf(def);
    for (const [k, v] of Object.entries<AttrValue>(n.attrs)) attrs[k] = schema[k]?.kind === 'shape' && Array.isArray(v) ? v.map(dim) : v;
    b.emitDynamic(n.op, n.inputs, attrs, n.span, n.name);
  }
  for (const o of g.outputs) b.output(o.name, o.value, o.span);
  for (const u of g.updates) b.update(u.param, u.value, u.span);
  return checkSizes(b.build());
}

const ELEMENT_BYTES = { f32: 4, i32: 4, bool: 1 } as const;

/**
 * `g`, once every value's shape is concrete and small enough for a backend to hold; else a
 * 'shape' error naming the first value too large, with its type, size and the limit.
 */
export function checkSizes(g: Graph): Graph {
  const values = [
    ...g.inputs.map((v) => ({ what: `input ${v.name}`, ...v })),
    ...g.params.map((v) => ({ what: `param ${v.name}`, ...v })),
    ...g.nodes.map((v) => ({ what: `%${v.name} = ${v.op}(...)`, ...v })),
  ];
  for (const v of values) {
    let n = 1;
    for (const d of v.type.shape) n *= typeof d === 'number' ? d : 1;
    if (n > MAX_TENSOR_ELEMENTS) {
      const size = `${n} elements, ${formatBytes(n * ELEMENT_BYTES[v.type.dtype])}`;
      fail('shape', `${v.what}: ${formatType(v.type)} holds ${size}; a tensor holds at most ${MAX_TENSOR_ELEMENTS} elements (2^31-1)`, v.span);
    }
  }
  return g;
}
