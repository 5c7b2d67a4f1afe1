// The graph IR: a named SSA program over tensors. Inputs and parameters are the values defined
// outside any node; each node defines exactly one value, after all the values it uses; outputs
// name the values the graph returns; updates give parameters their values for the next run.
// Graphs are plain data: they print, parse and serialize.

import type { SourceSpan } from './errors.js';
import type { AttrValue, Attrs } from './attrs.js';
import type { OpAttrs, OpName } from './ops/schemas.js';
import type { TensorType } from './types.js';

/** How a parameter gets its first value, e.g. `{ fn: 'glorot_uniform', args: { seed: 1 } }`. */
export interface Initializer {
  fn: string;
  args: Record<string, AttrValue>;
}

export interface InputDecl {
  name: string;
  type: TensorType;
  span?: SourceSpan;
}

export interface ParamDecl {
  name: string;
  type: TensorType;
  init: Initializer;
  span?: SourceSpan;
}

/** A node applying op N: its attributes have N's types (defaults filled in). */
export interface NodeOf<N extends OpName> {
  /** The value this node defines. */
  name: string;
  op: N;
  inputs: string[];
  attrs: OpAttrs<N>;
  type: TensorType;
  span?: SourceSpan;
}

/** A node of any op; testing `n.op` narrows it, and with it the type of `n.attrs`. */
export type Node = { [N in OpName]: NodeOf<N> }[OpName];

/**
 * A node from an op name and attributes checked against that op's schema (checkAttrs): the one
 * place where attributes known only at run time become the op's attribute type.
 */
/** A node's attributes as a plain table, for code that treats every op alike (printing, hashing, tests). */
export function attrsOf(n: Node): Readonly<Record<string, unknown>> {
  return n.attrs;
}

/** `n` with some attributes replaced. */
export function withAttrs<T extends Node>(n: T, attrs: Partial<T['attrs']>): T {
  return { ...n, attrs: { ...n.attrs, ...attrs } };
}

/** The nodes whose op has attribute K of type V (testing a node for it: `hasAttr`). */
export type NodeWithAttr<K extends string, V> = Extract<Node, { attrs: { [k in K]: V } }>;

export function checkedNode(n: { name: string; op: OpName; inputs: string[]; attrs: Attrs; type: TensorType; span?: SourceSpan }): Node {
  return n as Node;
}

export interface OutputDecl {
  name: string;
  value: string;
  span?: SourceSpan;
}

/**
 * A parameter's next value: after a run, `param` takes the value of `value` (an optimizer step,
 * a running statistic). All updates of a run take effect together, after every node has run.
 */
export interface UpdateDecl {
  param: string;
  value: string;
  span?: SourceSpan;
}

export interface Graph {
  name: string;
  inputs: InputDecl[];
  params: ParamDecl[];
  nodes: Node[];
  outputs: OutputDecl[];
  updates: UpdateDecl[];
}

/** Names of values: inputs, params and node results share one namespace. */
export const VALUE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.]*$/;
/** Names of graphs and outputs: identifiers. */
export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The type of every value in a graph, by name. */
export function valueTypes(g: Graph): Map<string, TensorType> {
  const m = new Map<string, TensorType>();
  for (const i of g.inputs) m.set(i.name, i.type);
  for (const p of g.params) m.set(p.name, p.type);
  for (const n of g.nodes) m.set(n.name, n.type);
  return m;
}
