// Building graphs node by node. GraphBuilder checks every node as it is added (op, arity,
// attributes, shape rule) so errors surface where the node is made, with its span. It also
// infers composite types by decomposition and expands composites into primitives.

import { KilnError, fail } from './errors.js';
import type { SourceSpan } from './errors.js';
import { IDENT, VALUE_NAME, checkedNode } from './graph.js';
import { checkInitializer } from './init.js';
import type { Graph, Initializer, Node } from './graph.js';
import { checkArity, checkAttrs, withSpan } from './op.js';
import type { AttrArgs, Attrs, Emitter, OpDef, OpName } from './op.js';
import { getOp } from './ops/index.js';
import { DIM_RULE, formatType, isDType, isValidDim } from './types.js';
import type { TensorType } from './types.js';

/** The result type of applying `def` to operands of the given types (attrs already checked). */
export function inferType(def: OpDef, inputs: readonly TensorType[], attrs: Readonly<Attrs>): TensorType {
  if (def.kind === 'primitive') return def.infer(inputs, attrs as never);
  // A composite's type is its decomposition's: build it on placeholder operands.
  const scratch = new GraphBuilder('scratch');
  const args = inputs.map((t, i) => scratch.input(`a${i}`, t));
  try {
    return scratch.typeOf(def.decompose(scratch, args, attrs as never));
  } catch (e) {
    if (e instanceof KilnError && !e.detail.startsWith(`${def.name}:`)) {
      throw new KilnError(e.code, `${def.name}: ${e.detail}`);
    }
    throw e;
  }
}

function checkType(t: TensorType, what: string, span?: SourceSpan): void {
  if (!isDType(t.dtype)) fail('dtype', `${what}: unknown dtype '${String(t.dtype)}' (expected f32, i32 or bool)`, span);
  const dims: readonly unknown[] = t.shape;
  if (!dims.every(isValidDim)) fail('shape', `${what}: invalid shape [${dims.join(', ')}] (${DIM_RULE})`, span);
}

export class GraphBuilder implements Emitter {
  private readonly graph: Graph;
  private readonly types = new Map<string, TensorType>();
  private readonly outputNames = new Set<string>();
  private counter = 0;
  private readonly reserved = new Set<string>();
  /** Span given to nodes emitted without one (decompositions inherit their composite's). */
  defaultSpan: SourceSpan | undefined;

  constructor(name: string) {
    if (!IDENT.test(name)) fail('usage', `graph name '${name}' must be an identifier`);
    this.graph = { name, inputs: [], params: [], nodes: [], outputs: [], updates: [] };
  }

  private define(name: string, type: TensorType, span?: SourceSpan): void {
    if (!VALUE_NAME.test(name)) fail('usage', `'${name}' is not a valid value name`, span);
    if (this.types.has(name)) fail('usage', `value '${name}' is already defined`, span);
    this.types.set(name, type);
  }

  input(name: string, type: TensorType, span?: SourceSpan): string {
    checkType(type, `input ${name}`, span);
    this.define(name, type, span);
    this.graph.inputs.push(span ? { name, type, span } : { name, type });
    return name;
  }

  param(name: string, type: TensorType, init: Initializer, span?: SourceSpan): string {
    checkType(type, `param ${name}`, span);
    withSpan(span, () => checkInitializer(init, type, `param ${name}`));
    this.define(name, type, span);
    this.graph.params.push(span ? { name, type, init, span } : { name, type, init });
    return name;
  }

  /** A fresh value name `prefix<n>` not yet used. */
  fresh(prefix = 't'): string {
    let name: string;
    do name = `${prefix}${this.counter++}`;
    while (this.types.has(name) || this.reserved.has(name));
    return name;
  }

  /**
   * Appends `op(inputs) {attrs}` and returns the name of its value. Composite ops are kept as
   * nodes; `expandComposites` replaces them with their decompositions.
   */
  emit<N extends OpName>(op: N, inputs: readonly string[], attrs?: AttrArgs<N>, span?: SourceSpan, name?: string): string {
    return this.emitDynamic(op, inputs, attrs ?? {}, span, name);
  }

  /**
   * `emit` for an op and attributes known only at run time (read from a file, the DSL, a
   * node being copied, a test's table): the name is looked up in the registry (an unknown one
   * is an 'unknown-op' error) and the attributes are checked against the op's schema.
   */
  emitDynamic(op: string, inputs: readonly string[], rawAttrs: Readonly<Record<string, unknown>> = {}, span?: SourceSpan, name?: string): string {
    const at = span ?? this.defaultSpan;
    const def = getOp(op, at);
    checkArity(def, inputs.length, at);
    const attrs = checkAttrs(def, rawAttrs, at);
    const types = inputs.map((v) => this.typeOf(v, at));
    const type = withSpan(at, () => inferType(def, types, attrs));
    const value = name ?? this.fresh();
    this.define(value, type, at);
    const node = checkedNode({ name: value, op: def.name, inputs: [...inputs], attrs, type });
    if (at) node.span = at;
    this.graph.nodes.push(node);
    return value;
  }

  /**
   * Gives the last node the name `to` (a value not defined yet), so that a decomposition's
   * result keeps the name of the composite it replaces.
   */
  renameLast(from: string, to: string): void {
    const last = this.graph.nodes[this.graph.nodes.length - 1];
    if (!last || last.name !== from) fail('usage', `renameLast: %${from} is not the last node`);
    this.types.delete(from);
    this.define(to, last.type, last.span);
    this.graph.nodes[this.graph.nodes.length - 1] = { ...last, name: to };
  }

  get nodeCount(): number {
    return this.graph.nodes.length;
  }

  /** The name of the last node added, if any. */
  get lastNode(): string | undefined {
    return this.graph.nodes[this.graph.nodes.length - 1]?.name;
  }

  has(value: string): boolean {
    return this.types.has(value);
  }

  typeOf(value: string, span?: SourceSpan): TensorType {
    const t = this.types.get(value);
    if (!t) fail('verify', `unknown value '${value}'`, span);
    return t;
  }

  output(name: string, value: string, span?: SourceSpan): void {
    if (!IDENT.test(name)) fail('usage', `output name '${name}' must be an identifier`, span);
    if (this.outputNames.has(name)) fail('usage', `output '${name}' is already defined`, span);
    this.typeOf(value, span);
    this.outputNames.add(name);
    this.graph.outputs.push(span ? { name, value, span } : { name, value });
  }

  /** After a run, parameter `param` takes the value of `value`. */
  update(param: string, value: string, span?: SourceSpan): void {
    const p = this.graph.params.find((q) => q.name === param);
    if (!p) fail('usage', `update: '${param}' is not a parameter`, span);
    if (this.graph.updates.some((u) => u.param === param)) fail('usage', `update: parameter '${param}' is already updated`, span);
    const t = this.typeOf(value, span);
    if (formatType(t) !== formatType(p.type)) {
      fail('shape', `update: parameter '${param}' is ${formatType(p.type)} but %${value} is ${formatType(t)}`, span);
    }
    this.graph.updates.push(span ? { param, value, span } : { param, value });
  }

  /**
   * The graph built so far, as a snapshot: later additions do not change it. The lists are
   * copied; their entries are shared, which is safe because the builder never changes an
   * entry once added (renameLast replaces the node).
   */
  build(): Graph {
    const g = this.graph;
    return { name: g.name, inputs: [...g.inputs], params: [...g.params], nodes: [...g.nodes], outputs: [...g.outputs], updates: [...g.updates] };
  }

  /** Keeps `name` from being chosen by `fresh` (a name the caller will declare later). */
  reserve(name: string): void {
    this.reserved.add(name);
  }
}

/** A copy of `g` in which every composite node is replaced by its primitives, recursively. */
export function expandComposites(g: Graph): Graph {
  if (g.nodes.every((n) => getOp(n.op).kind === 'primitive')) return g;
  const b = new GraphBuilder(g.name);
  const rename = new Map<string, string>();
  const ref = (v: string) => rename.get(v) ?? v;
  for (const i of g.inputs) b.input(i.name, i.type, i.span);
  for (const p of g.params) b.param(p.name, p.type, p.init, p.span);
  // Reserve the original names so fresh names never collide with them.
  const taken = new Set(g.nodes.map((n) => n.name));
  const emitter: Emitter = {
    typeOf: (v) => b.typeOf(v),
    emit(op, inputs, attrs) {
      const def = getOp(op);
      if (def.kind === 'composite') return def.decompose(emitter, inputs, checkAttrs(def, attrs ?? {}) as never);
      let name = b.fresh(`${current}.`);
      while (taken.has(name)) name = b.fresh(`${current}.`);
      return b.emitDynamic(op, inputs, attrs ?? {}, undefined, name);
    },
  };
  let current = '';
  for (const n of g.nodes) {
    const def = getOp(n.op);
    b.defaultSpan = n.span;
    const inputs = n.inputs.map(ref);
    if (def.kind === 'primitive') {
      b.emitDynamic(n.op, inputs, n.attrs, n.span, n.name);
    } else {
      current = n.name;
      const before = b.nodeCount;
      const result = def.decompose(emitter, inputs, n.attrs as never);
      // The result keeps the composite's name when the decomposition made it; a composite
      // that returns an existing value (identity) is an alias instead.
      if (b.nodeCount > before && b.lastNode === result) b.renameLast(result, n.name);
      else rename.set(n.name, result);
    }
  }
  b.defaultSpan = undefined;
  for (const o of g.outputs) b.output(o.name, ref(o.value), o.span);
  for (const u of g.updates) b.update(u.param, ref(u.value), u.span);
  return b.build();
}

/** Describes a node for messages: `%h = add(%x, %b) : f32[2]` (the span goes with the error). */
export function describeNode(n: Node): string {
  return `%${n.name} = ${n.op}(${n.inputs.map((i) => `%${i}`).join(', ')}) : ${formatType(n.type)}`;
}
