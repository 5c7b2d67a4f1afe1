// The meaning of the parser's matches: typed AST nodes with spans, built from tokens and the
// nodes of sub-rules, plus the checks the grammar leaves open (chained comparisons, argument
// order, dtype names, string escapes). Recovery can leave any piece missing: builders then
// return what they can, or undefined, and never throw.

import type { IToken } from 'chevrotain';
import type {
  BinaryOp,
  BoolLit,
  CallExpr,
  Comment,
  DefDecl,
  DimExpr,
  Expr,
  ImportDecl,
  InitExpr,
  KeywordArg,
  ListExpr,
  ModelDecl,
  NameRef,
  NumberLit,
  ParenExpr,
  Span,
  Stmt,
  StringLit,
  TrainDecl,
  TypeExpr,
} from './ast.js';
import type { Diagnostic } from './diagnostics.js';
import { ClosedString, True } from './lexer.js';

const DTYPES = new Set(['f32', 'i32', 'bool']);

/** One argument of a call as parsed: keyword or positional, in source order. */
export type Arg = { keyword: KeywordArg | undefined } | { positional: Expr | undefined };

/** A token the parser really read, not one it invented while recovering. */
export function isReal(t: IToken | undefined): t is IToken {
  return t !== undefined && t.isInsertedInRecovery !== true && !Number.isNaN(t.startOffset);
}

function present<T>(items: readonly (T | undefined)[]): T[] {
  return items.filter((x): x is T => x !== undefined);
}

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly file: string | undefined) {}

  // ---- places ----

  start(t: IToken): Span {
    const s: Span = { line: t.startLine!, col: t.startColumn!, offset: t.startOffset };
    return this.file === undefined ? s : { file: this.file, ...s };
  }

  /** Just past the token: no token spans a line break, so its end is its start plus its length. */
  end(t: IToken): Span {
    const n = t.image.length;
    const s: Span = { line: t.startLine!, col: t.startColumn! + n, offset: t.startOffset + n };
    return this.file === undefined ? s : { file: this.file, ...s };
  }

  /** The end of a closing token, or `fallback` where recovery went on without it. */
  closeEnd(close: IToken | undefined, fallback: Span): Span {
    return isReal(close) ? this.end(close) : fallback;
  }

  report(message: string, at: Span): void {
    const { line, col } = at;
    this.diagnostics.push({ message, span: this.file === undefined ? { line, col } : { file: this.file, line, col } });
  }

  /** A reserved word where a name belongs; the parser goes on as if it were the name. */
  keywordAsName(t: IToken, expected: string): void {
    if (isReal(t)) this.report(`expected ${expected}, got the keyword '${t.image}'`, this.start(t));
  }

  comment(t: IToken): Comment {
    return { text: t.image.slice(1), span: this.start(t) };
  }

  // ---- literals and names ----

  number(t: IToken): NumberLit | undefined {
    if (!isReal(t)) return undefined;
    return { kind: 'number', value: Number(t.image), text: t.image, span: this.start(t), end: this.end(t) };
  }

  bool(t: IToken): BoolLit | undefined {
    if (!isReal(t)) return undefined;
    return { kind: 'bool', value: t.tokenType === True, span: this.start(t), end: this.end(t) };
  }

  name(t: IToken): NameRef | undefined {
    if (!isReal(t)) return undefined;
    return { kind: 'name', name: t.image, span: this.start(t), end: this.end(t) };
  }

  string(t: IToken): StringLit | undefined {
    if (!isReal(t)) return undefined;
    return { kind: 'string', value: this.unescape(t), span: this.start(t), end: this.end(t) };
  }

  /** The text between the quotes with `\"` and `\\` undone; any other escape is reported. */
  unescape(t: IToken): string {
    const body = t.tokenType === ClosedString ? t.image.slice(1, -1) : t.image.slice(1);
    if (!body.includes('\\')) return body;
    let value = '';
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const next = body[++i] ?? '';
      if (next !== '"' && next !== '\\') {
        const at = this.start(t);
        // Point at the backslash: body index i - 1, one column after the opening quote.
        const place = { ...at, col: at.col + i, offset: at.offset + i };
        this.report(`expected '"' or '\\' after '\\' in a string, got '${next}'`, place);
      }
      value += next;
    }
    return value;
  }

  // ---- expressions ----

  list(open: IToken, items: readonly (Expr | undefined)[], close: IToken | undefined): ListExpr | undefined {
    if (!isReal(open)) return undefined;
    const kept = present(items);
    const last = kept[kept.length - 1]?.end ?? this.end(open);
    return { kind: 'list', items: kept, span: this.start(open), end: this.closeEnd(close, last) };
  }

  paren(open: IToken, inner: Expr | undefined, close: IToken | undefined): ParenExpr | undefined {
    if (!isReal(open) || !inner) return undefined;
    return { kind: 'paren', inner, span: this.start(open), end: this.closeEnd(close, inner.end) };
  }

  call(callee: IToken, args: readonly (Arg | undefined)[], close: IToken | undefined): CallExpr | undefined {
    if (!isReal(callee)) return undefined;
    const positional: Expr[] = [];
    const keywords: KeywordArg[] = [];
    let lastEnd = this.end(callee);
    for (const a of args) {
      if (!a) continue;
      if ('keyword' in a) {
        if (!a.keyword) continue;
        keywords.push(a.keyword);
        lastEnd = a.keyword.end;
        continue;
      }
      if (!a.positional) continue;
      const before = keywords[keywords.length - 1];
      if (before) {
        this.report(`expected a keyword argument after '${before.name}=', got a positional argument (keyword arguments must follow positional ones)`, a.positional.span);
      }
      positional.push(a.positional);
      lastEnd = a.positional.end;
    }
    const span = this.start(callee);
    const end = this.closeEnd(close, lastEnd);
    return { kind: 'call', callee: callee.image, calleeSpan: span, args: positional, kwargs: keywords, span, end };
  }

  /** `left op right`; without a right operand (recovery) the left one stands alone. */
  binary(op: IToken, left: Expr | undefined, right: Expr | undefined): Expr | undefined {
    if (!left || !right) return left;
    return this.binaryNode(op.image as BinaryOp, left, right);
  }

  binaryNode(op: BinaryOp, left: Expr, right: Expr): Expr {
    return { kind: 'binary', op, left, right, span: left.span, end: right.end };
  }

  /** `a < b`; the grammar lets `a < b < c` through so that the second operator can be named. */
  comparison(first: Expr | undefined, rest: readonly [IToken, Expr | undefined][]): Expr | undefined {
    let result = first;
    rest.forEach(([op, right], i) => {
      if (i > 0 && isReal(op)) {
        this.report(`expected the end of the comparison, got '${op.image}' (comparisons do not chain)`, this.start(op));
      }
      result = this.binary(op, result, right);
    });
    return result;
  }

  /** `- - base ** exponent`: the power first, then each minus around it, the first outermost. */
  unary(minuses: readonly IToken[], base: Expr | undefined, exponent: Expr | undefined): Expr | undefined {
    let value = base && exponent ? this.binaryNode('**', base, exponent) : base;
    for (let i = minuses.length - 1; i >= 0 && value; i--) {
      const minus = minuses[i]!;
      if (!isReal(minus)) continue;
      value = { kind: 'unary', op: '-', operand: value, span: this.start(minus), end: value.end };
    }
    return value;
  }

  kwarg(name: IToken, value: Expr | undefined): KeywordArg | undefined {
    if (!isReal(name) || !value) return undefined;
    return { name: name.image, value, span: this.start(name), end: value.end };
  }

  // ---- types and initializers ----

  type(dtype: IToken, dims: readonly (DimExpr | undefined)[], close: IToken | undefined): TypeExpr | undefined {
    if (!isReal(dtype)) return undefined;
    if (!DTYPES.has(dtype.image)) this.report(`expected a dtype (f32, i32 or bool), got '${dtype.image}'`, this.start(dtype));
    const kept = present(dims);
    const last = kept[kept.length - 1]?.end ?? this.end(dtype);
    return { dtype: dtype.image, dims: kept, span: this.start(dtype), end: this.closeEnd(close, last) };
  }

  init(name: IToken, kwargs: readonly (KeywordArg | undefined)[], close: IToken | undefined): InitExpr | undefined {
    if (!isReal(name)) return undefined;
    const kept = present(kwargs);
    const last = kept[kept.length - 1]?.end ?? this.end(name);
    return { name: name.image, kwargs: kept, span: this.start(name), end: this.closeEnd(close, last) };
  }

  // ---- statements: each spans its keyword to its last part (a trailing ';' is not part of it) ----

  input(kw: IToken, name: IToken, type: TypeExpr | undefined): Stmt | undefined {
    if (!isReal(kw) || !isReal(name) || !type) return undefined;
    return { kind: 'input', name: name.image, nameSpan: this.start(name), type, span: this.start(kw), end: type.end };
  }

  param(kw: IToken, name: IToken, type: TypeExpr | undefined, init: InitExpr | undefined): Stmt | undefined {
    if (!isReal(kw) || !isReal(name) || !type) return undefined;
    const end = init?.end ?? type.end;
    const stmt: Stmt = { kind: 'param', name: name.image, nameSpan: this.start(name), type, span: this.start(kw), end };
    if (init) stmt.init = init;
    return stmt;
  }

  let(kw: IToken, name: IToken, value: Expr | undefined): Stmt | undefined {
    if (!isReal(kw) || !isReal(name) || !value) return undefined;
    return { kind: 'let', name: name.image, nameSpan: this.start(name), value, span: this.start(kw), end: value.end };
  }

  output(kw: IToken, name: IToken, value: Expr | undefined): Stmt | undefined {
    if (!isReal(kw) || !isReal(name)) return undefined;
    const end = value?.end ?? this.end(name);
    const stmt: Stmt = { kind: 'output', name: name.image, nameSpan: this.start(name), span: this.start(kw), end };
    if (value) stmt.value = value;
    return stmt;
  }

  valueStmt(kind: 'loss' | 'return', kw: IToken, value: Expr | undefined): Stmt | undefined {
    if (!isReal(kw) || !value) return undefined;
    return { kind, value, span: this.start(kw), end: value.end };
  }

  // ---- declarations ----

  importDecl(kw: IToken, path: IToken): ImportDecl | undefined {
    if (!isReal(kw) || !isReal(path)) return undefined;
    return { kind: 'import', path: this.unescape(path), span: this.start(kw), end: this.end(path) };
  }

  defDecl(kw: IToken, name: IToken, params: readonly IToken[], body: readonly (Stmt | undefined)[], close: IToken | undefined): DefDecl | undefined {
    if (!isReal(kw) || !isReal(name)) return undefined;
    const stmts = present(body);
    const last = stmts[stmts.length - 1]?.end ?? this.end(name);
    return {
      kind: 'def',
      name: name.image,
      nameSpan: this.start(name),
      params: params.filter(isReal).map((p) => ({ name: p.image, span: this.start(p) })),
      body: stmts,
      span: this.start(kw),
      end: this.closeEnd(close, last),
    };
  }

  modelDecl(kw: IToken, name: IToken, body: readonly (Stmt | undefined)[], close: IToken | undefined): ModelDecl | undefined {
    if (!isReal(kw) || !isReal(name)) return undefined;
    const stmts = present(body);
    const last = stmts[stmts.length - 1]?.end ?? this.end(name);
    const end = this.closeEnd(close, last);
    return { kind: 'model', name: name.image, nameSpan: this.start(name), body: stmts, span: this.start(kw), end };
  }

  trainDecl(kw: IToken, settings: readonly (KeywordArg | undefined)[], close: IToken | undefined): TrainDecl | undefined {
    if (!isReal(kw)) return undefined;
    const kept = present(settings);
    const last = kept[kept.length - 1]?.end ?? this.end(kw);
    return { kind: 'train', settings: kept, span: this.start(kw), end: this.closeEnd(close, last) };
  }
}
