// Names of the model language: bindings, def-call scopes, "did you mean" hints, static checks of defs.

import type { SourceSpan } from '../../ir/errors.js';
import type { Sym } from '../builder.js';
import type { DefDecl, Expr, Span, Stmt } from './ast.js';

// ---- values and bindings ------------------------------------------------------------------

/** What an expression evaluates to: a tensor of the graph, or a number known while lowering. */
export type Val = { kind: 'tensor'; sym: Sym; span: Span } | { kind: 'number'; value: number; span: Span };

/** A name's binding; `value` is undefined when its definition failed (already reported). */
export interface Binding {
  value: Val | undefined;
  /** Where the name was defined. */
  at: Span;
}

/** The names of one model, or of one call of a def, and the naming of the def calls inside it. */
export class Scope {
  private readonly bindings = new Map<string, Binding>();
  private readonly calls = new Map<string, number>();
  private readonly instances = new Set<string>();

  /**
   * `prefix` goes before the names of parameters declared here ('' in a model, `h1.` in the
   * def call bound to h1); `reserved` holds the names its lets and outputs will bind, so an
   * unnamed call's `dense_2` never takes a name a later `let dense_2 = dense(...)` needs.
   */
  constructor(
    readonly prefix: string,
    private readonly reserved: ReadonlySet<string>,
  ) {}

  get(name: string): Binding | undefined {
    return this.bindings.get(name);
  }

  define(name: string, binding: Binding): void {
    this.bindings.set(name, binding);
  }

  names(): string[] {
    return [...this.bindings.keys()];
  }

  /** The name of the parameters' scope of a call of `def`: its binding, else `def_<n>`. */
  instanceName(def: string, binding: string | undefined): string {
    let n = (this.calls.get(def) ?? 0) + 1;
    this.calls.set(def, n);
    if (binding !== undefined && !this.instances.has(binding)) {
      this.instances.add(binding);
      return binding;
    }
    while (this.instances.has(`${def}_${n}`) || this.reserved.has(`${def}_${n}`)) n++;
    this.instances.add(`${def}_${n}`);
    return `${def}_${n}`;
  }
}

/** The names a body's lets and outputs bind: the names def calls may be bound to. */
export function boundNames(body: readonly Stmt[]): Set<string> {
  return new Set(body.flatMap((s) => (s.kind === 'let' || (s.kind === 'output' && s.value) ? [s.name] : [])));
}

// ---- places -------------------------------------------------------------------------------

/** The span as the graph and diagnostics keep it: file, line and column, no offset. */
export function place(span: SourceSpan): SourceSpan {
  return span.file !== undefined ? { file: span.file, line: span.line, col: span.col } : { line: span.line, col: span.col };
}

/** `3:7`, or `layers.kiln:3:7` when `span` lies in another file than `from`. */
export function where(span: SourceSpan, from?: SourceSpan): string {
  const file = span.file !== undefined && span.file !== from?.file ? `${span.file}:` : '';
  return `${file}${span.line}:${span.col}`;
}

// ---- messages -----------------------------------------------------------------------------

/** Optimal string alignment distance: edits, counting a swap of neighbours as one. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** Names longer than this get no "did you mean". */
export const MAX_SUGGESTED = 100;

/** The candidate nearest to `name`, when it is near enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length < 2) return undefined; // one letter is as near to every other as to none
  // The distance takes time in the product of the lengths: a name this long is no typo.
  if (name.length > MAX_SUGGESTED) return undefined;
  const limit = Math.max(1, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    // Lengths further apart than the limit are at least that many edits apart.
    if (c === name || Math.abs(c.length - name.length) > limit) continue;
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** Names in a message longer than this are shown by their start and their length. */
const LONGEST_SHOWN = 60;

/** `message` with each very long name in it cut short: `'aaaa...' (40000 characters)`. */
export function elideLongNames(message: string): string {
  const long = new RegExp(`[A-Za-z0-9_]{${LONGEST_SHOWN + 1},}`, 'g');
  return message.replace(long, (w) => `${w.slice(0, LONGEST_SHOWN / 2)}... (${w.length} characters)`);
}

/** ` (did you mean 'x'?)`, or nothing when no candidate is near. */
export function suggest(name: string, candidates: Iterable<string>): string {
  const near = closest(name, candidates);
  return near === undefined ? '' : ` (did you mean '${near}'?)`;
}

/** `unknown initializer 'he_norm' (did you mean 'he_normal'?)`, or the list of known ones. */
export function unknownAmong(what: string, name: string, names: readonly string[]): string {
  const near = closest(name, names);
  return `unknown ${what} '${name}' (${near !== undefined ? `did you mean '${near}'?` : `expected one of: ${names.join(', ')}`})`;
}

export function alreadyDefined(name: string, previous: SourceSpan, here: SourceSpan): string {
  return `'${name}' is already defined at ${where(previous, here)}`;
}

/** `unknown name 'h3' (did you mean 'h2'?)`; a callable's name is told to be called instead. */
export function unknownName(name: string, names: Iterable<string>, isCallable: (name: string) => boolean): string {
  if (isCallable(name)) return `'${name}' is an op or a def, not a value; call it: ${name}(...)`;
  return `unknown name '${name}'${suggest(name, names)}`;
}

/** A short description of an expression for `got ...` in messages. */
export function describeExpr(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return `the number ${e.text}`;
    case 'bool':
      return String(e.value);
    case 'string':
      return `the string ${JSON.stringify(e.value)}`;
    case 'name':
      return `'${e.name}'`;
    case 'list':
      return 'a list';
    case 'paren':
      return describeExpr(e.inner);
    default:
      return 'an expression';
  }
}

/** `s` after a count other than one: `1 operand`, `2 operands`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// ---- static checks of defs ----------------------------------------------------------------

/** What the static checks need to know of a def's surroundings. */
export interface DefChecker {
  /** The def a callee names, as seen from the def's own file. */
  defOf(callee: string): DefDecl | undefined;
  /** Whether an op or a convenience has this name. */
  isOp(callee: string): boolean;
  report(message: string, span: Span): void;
  /** Reports a callee that is neither a def nor an op. */
  unknownCallee(callee: string, span: Span, isValue: (name: string) => boolean): void;
}

/**
 * Checks what a def's text alone decides: statements a def may hold, one return at the end,
 * names used as operands, callees. Returns the defs it calls, with the place of each call.
 */
export function checkDef(def: DefDecl, c: DefChecker): { calls: { def: DefDecl; span: Span }[] } {
  const defined = new Map<string, Span>();
  const calls: { def: DefDecl; span: Span }[] = [];
  const declare = (name: string, span: Span): void => {
    const previous = defined.get(name);
    if (previous) c.report(alreadyDefined(name, previous, span), span);
    else defined.set(name, span);
  };
  const visit = (e: Expr): void => {
    switch (e.kind) {
      case 'name':
        if (!defined.has(e.name))
          c.report(
            unknownName(e.name, defined.keys(), (n) => c.defOf(n) !== undefined || c.isOp(n)),
            e.span,
          );
        return;
      case 'unary':
        return visit(e.operand);
      case 'binary':
        visit(e.left);
        return visit(e.right);
      case 'paren':
        return visit(e.inner);
      case 'call': {
        const callee = c.defOf(e.callee);
        e.args.forEach(visit);
        // An op's keywords may hold dtypes and shape symbols; a def's are its arguments.
        if (callee) {
          e.kwargs.forEach((k) => visit(k.value));
          calls.push({ def: callee, span: e.span });
        } else if (!c.isOp(e.callee)) {
          c.unknownCallee(e.callee, e.calleeSpan, (n) => defined.has(n));
        }
        return;
      }
      default:
        return; // literals and lists: checked when lowered, where their use is known
    }
  };
  for (const p of def.params) declare(p.name, p.span);
  let returned: Span | undefined;
  for (const s of def.body) {
    if (returned) c.report(`unreachable: def ${def.name} has already returned at ${where(returned, s.span)}`, s.span);
    switch (s.kind) {
      case 'input':
        c.report(`'input' is not allowed in a def; pass tensors to def ${def.name} as arguments`, s.span);
        break;
      case 'output':
        c.report(`'output' is not allowed in a def; def ${def.name} gives its result with 'return'`, s.span);
        break;
      case 'loss':
        c.report(`'loss' is not allowed in a def; declare the loss in the model`, s.span);
        break;
      case 'param':
        declare(s.name, s.nameSpan);
        break;
      case 'let':
        visit(s.value);
        declare(s.name, s.nameSpan);
        break;
      case 'return':
        visit(s.value);
        returned ??= s.span;
        break;
    }
  }
  if (!returned) c.report(`def ${def.name} has no return`, def.nameSpan);
  return { calls };
}
