// The IR verifier: checks that a Graph is well formed (names, one definition per value in SSA
// order, types, known ops with canonical attributes, shape rules, initializers, outputs) and
// throws a 'verify' KilnError naming the first offending declaration, with its span.

import { KilnError } from './errors.js';
import type { SourceSpan } from './errors.js';
import { describeNode, inferType } from './emit.js';
import { IDENT, VALUE_NAME } from './graph.js';
import type { Graph, Node } from './graph.js';
import { checkInitializer } from './init.js';
import { checkArity, checkAttrs } from './op.js';
import { getOp } from './ops/index.js';
import { DIM_RULE, DTYPES, formatType, isDType, isValidDim, sameType } from './types.js';
import type { TensorType } from './types.js';

/** A declaration of a graph, for callers that know where each one was written. */
export type GraphSite = { kind: 'graph' } | { kind: 'input' | 'param' | 'node' | 'output' | 'update'; index: number };

/**
 * Where a declaration came from when it carries no span of its own (the text parser passes the
 * place in the IR text, so errors in hand-written IR point at a line).
 */
export type SiteLocator = (site: GraphSite) => SourceSpan | undefined;

const nowhere: SiteLocator = () => undefined;

function bad(detail: string, span: SourceSpan | undefined): never {
  throw new KilnError('verify', detail, span);
}

/** What a message is about, built only when there is a message (verify runs on every graph). */
type Label = () => string;

/** Runs `fn`, turning a KilnError from an op rule into a 'verify' error about `what`. */
function rethrowAs<T>(what: Label | undefined, span: SourceSpan | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof KilnError) bad(what ? `${what()}: ${e.detail}` : e.detail, span);
    throw e;
  }
}

/** `%h = add(%x, %b) : f32[B, 3]`; the span is left out since the error carries it. */
function nodeLabel(n: Node): string {
  const typed = typeof n.type === 'object' && n.type !== null && Array.isArray(n.type.shape);
  if (typed && Array.isArray(n.inputs)) return `node ${describeNode(n)}`;
  return `node %${n.name} = ${n.op}(...)`;
}

function showDim(d: unknown): string {
  return typeof d === 'string' ? `'${d}'` : String(d);
}

function checkType(t: TensorType, what: Label, span: SourceSpan | undefined): void {
  if (typeof t !== 'object' || t === null) bad(`${what()}: missing type`, span);
  if (!isDType(t.dtype)) bad(`${what()}: invalid dtype '${String(t.dtype)}' (expected ${DTYPES.join(', ')})`, span);
  const shape: unknown = t.shape;
  if (!Array.isArray(shape)) bad(`${what()}: shape is not a list of dims`, span);
  shape.forEach((d: unknown, i) => {
    if (!isValidDim(d)) bad(`${what()}: invalid dim ${showDim(d)} at axis ${i} (${DIM_RULE})`, span);
  });
}

/** The values defined so far, in SSA order, and every name defined anywhere in the graph. */
class Scope {
  /** Every name defined anywhere, to tell a use before the definition from a dangling use. */
  readonly everywhere: ReadonlySet<string>;
  /** What first defined each name (for the SSA message). */
  private readonly definedBy = new Map<string, Label>();
  /** The types usable so far. */
  readonly types = new Map<string, TensorType>();

  constructor(g: Graph) {
    this.everywhere = new Set<string>([...g.inputs, ...g.params, ...g.nodes].map((d) => d.name));
  }

  define(name: string, what: Label, span: SourceSpan | undefined): void {
    if (typeof name !== 'string' || !VALUE_NAME.test(name)) {
      bad(`${what()}: invalid value name '${String(name)}' (letters, digits, '_' and '.', not starting with '.')`, span);
    }
    const first = this.definedBy.get(name);
    if (first !== undefined) {
      bad(`${what()}: value %${name} is defined twice (first by ${first()}); each value has exactly one definition (SSA)`, span);
    }
    this.definedBy.set(name, what);
  }
}

/** Throws KilnError('verify') at the first malformation of `g`; returns when `g` is well formed. */
export function verify(g: Graph, locate: SiteLocator = nowhere): void {
  const graphSpan = locate({ kind: 'graph' });
  if (typeof g.name !== 'string' || !IDENT.test(g.name)) {
    bad(`graph name '${String(g.name)}' is not an identifier`, graphSpan);
  }
  const scope = new Scope(g);
  checkDeclarations(g, scope, locate);
  g.nodes.forEach((n, index) => checkNode(n, scope, n.span ?? locate({ kind: 'node', index })));
  if (g.outputs.length === 0) bad(`graph ${g.name} has no outputs`, graphSpan);
  checkOutputs(g, scope, locate);
  checkUpdates(g, scope, locate);
}

/** The inputs and the params: names, types and initializers. */
function checkDeclarations(g: Graph, scope: Scope, locate: SiteLocator): void {
  g.inputs.forEach((input, index) => {
    const span = input.span ?? locate({ kind: 'input', index });
    const what = () => `input ${input.name}`;
    scope.define(input.name, what, span);
    checkType(input.type, what, span);
    scope.types.set(input.name, input.type);
  });

  g.params.forEach((p, index) => {
    const span = p.span ?? locate({ kind: 'param', index });
    const what = () => `param ${p.name}`;
    scope.define(p.name, what, span);
    checkType(p.type, what, span);
    const init: unknown = p.init;
    const ok = typeof init === 'object' && init !== null && typeof p.init.fn === 'string' && typeof p.init.args === 'object' && p.init.args !== null;
    if (!ok) bad(`${what()}: initializer must be { fn, args }`, span);
    // checkInitializer's messages already name the param.
    rethrowAs(undefined, span, () => checkInitializer(p.init, p.type, what()));
    scope.types.set(p.name, p.type);
  });
}

/** One node: its name, type, op, operands, canonical attributes and the op's shape rule. */
function checkNode(n: Node, scope: Scope, span: SourceSpan | undefined): void {
  const what = () => nodeLabel(n);
  scope.define(n.name, what, span);
  checkType(n.type, what, span);
  const def = rethrowAs(what, span, () => getOp(n.op));
  rethrowAs(what, span, () => checkArity(def, n.inputs.length));
  const filled = rethrowAs(what, span, () => checkAttrs(def, n.attrs));
  // The stored form is canonical: every attribute present, defaults included, so that one
  // graph has one printed form.
  const given: Readonly<Record<string, unknown>> = n.attrs;
  for (const [key, value] of Object.entries(filled)) {
    if (given[key] === undefined) {
      bad(`${what()}: attribute '${key}' is missing (a node holds every attribute, defaults filled; here ${JSON.stringify(value)})`, span);
    }
  }
  const operandTypes = n.inputs.map((v, k) => {
    const t = scope.types.get(v);
    if (t) return t;
    if (scope.everywhere.has(v)) bad(`${what()}: operand ${k} %${v} is used before its definition (values are defined before use, SSA order)`, span);
    bad(`${what()}: operand ${k} %${v} is not defined anywhere in the graph (dangling reference)`, span);
  });
  const inferred = rethrowAs(what, span, () => inferType(def, operandTypes, filled));
  if (!sameType(inferred, n.type)) {
    bad(`${what()}: recorded type ${formatType(n.type)} differs from the inferred type ${formatType(inferred)}`, span);
  }
  scope.types.set(n.name, n.type);
}

function checkOutputs(g: Graph, scope: Scope, locate: SiteLocator): void {
  const outputIndex = new Map<string, number>();
  g.outputs.forEach((o, index) => {
    const span = o.span ?? locate({ kind: 'output', index });
    if (typeof o.name !== 'string' || !IDENT.test(o.name)) {
      bad(`output '${String(o.name)}': invalid output name (outputs are named by identifiers)`, span);
    }
    const first = outputIndex.get(o.name);
    if (first !== undefined) bad(`output ${o.name} is declared twice (outputs #${first} and #${index})`, span);
    outputIndex.set(o.name, index);
    if (!scope.types.has(o.value)) bad(`output ${o.name} names %${o.value}, which is not defined`, span);
  });
}

function checkUpdates(g: Graph, scope: Scope, locate: SiteLocator): void {
  const params = new Map(g.params.map((p) => [p.name, p.type]));
  const updated = new Set<string>();
  g.updates.forEach((u, index) => {
    const span = u.span ?? locate({ kind: 'update', index });
    const pt = params.get(u.param);
    if (!pt) bad(`update ${u.param}: '${u.param}' is not a parameter`, span);
    if (updated.has(u.param)) bad(`update ${u.param}: the parameter is updated twice`, span);
    updated.add(u.param);
    const vt = scope.types.get(u.value);
    if (!vt) bad(`update ${u.param} names %${u.value}, which is not defined`, span);
    if (!sameType(vt, pt)) bad(`update ${u.param}: %${u.value} is ${formatType(vt)} but the parameter is ${formatType(pt)}`, span);
  });
}
