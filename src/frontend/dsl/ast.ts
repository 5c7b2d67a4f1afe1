// The typed syntax tree of a .kiln file: what the parser produces, what lowering, the formatter
// and the checker consume. Every node carries the span where it starts, and `end` where it
// stops, so diagnostics can point into the file.

import type { SourceSpan } from '../../ir/errors.js';

/** A place in a .kiln file; `offset` is the 0-based character offset of `line:col`. */
export interface Span extends SourceSpan {
  offset: number;
}

export interface Node {
  span: Span;
  /** The place just past the construct's last character. */
  end: Span;
}

// ---- expressions --------------------------------------------------------------------------

export type BinaryOp = '+' | '-' | '*' | '/' | '@' | '**' | '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface NumberLit extends Node {
  kind: 'number';
  value: number;
  /** As written (`1e-3`), so the formatter keeps the user's spelling. */
  text: string;
}
export interface BoolLit extends Node {
  kind: 'bool';
  value: boolean;
}
export interface StringLit extends Node {
  kind: 'string';
  value: string;
}
export interface NameRef extends Node {
  kind: 'name';
  name: string;
}
export interface ListExpr extends Node {
  kind: 'list';
  items: Expr[];
}
export interface UnaryExpr extends Node {
  kind: 'unary';
  op: '-';
  operand: Expr;
}
export interface BinaryExpr extends Node {
  kind: 'binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
}
export interface KeywordArg extends Node {
  name: string;
  value: Expr;
}
export interface CallExpr extends Node {
  kind: 'call';
  callee: string;
  calleeSpan: Span;
  args: Expr[];
  kwargs: KeywordArg[];
}
/** A parenthesized expression, kept so the formatter can keep the user's grouping. */
export interface ParenExpr extends Node {
  kind: 'paren';
  inner: Expr;
}

export type Expr = NumberLit | BoolLit | StringLit | NameRef | ListExpr | UnaryExpr | BinaryExpr | CallExpr | ParenExpr;

// ---- types --------------------------------------------------------------------------------

/** A dimension as written: a number, or a name (a symbol like B, or a def parameter). */
export type DimExpr = NumberLit | NameRef;

export interface TypeExpr extends Node {
  dtype: string;
  dims: DimExpr[];
}

// ---- statements ---------------------------------------------------------------------------

export interface InputStmt extends Node {
  kind: 'input';
  name: string;
  nameSpan: Span;
  type: TypeExpr;
}
/** `param w: f32[2, 3] = he_normal(seed=1)`; without `= ...` the default initializer. */
export interface ParamStmt extends Node {
  kind: 'param';
  name: string;
  nameSpan: Span;
  type: TypeExpr;
  init?: InitExpr;
}
export interface InitExpr extends Node {
  name: string;
  kwargs: KeywordArg[];
}
export interface LetStmt extends Node {
  kind: 'let';
  name: string;
  nameSpan: Span;
  value: Expr;
}
/** `output logits = expr`, or `output h` for a value already bound by `let h`. */
export interface OutputStmt extends Node {
  kind: 'output';
  name: string;
  nameSpan: Span;
  value?: Expr;
}
/** `loss expr`: the scalar training minimizes, also the output `loss`. */
export interface LossStmt extends Node {
  kind: 'loss';
  value: Expr;
}
/** `return expr`, the result of a def. */
export interface ReturnStmt extends Node {
  kind: 'return';
  value: Expr;
}

export type Stmt = InputStmt | ParamStmt | LetStmt | OutputStmt | LossStmt | ReturnStmt;

// ---- declarations -------------------------------------------------------------------------

export interface ImportDecl extends Node {
  kind: 'import';
  path: string;
}
/** `def block(x, n) { ... return y }`: parameters scoped per use. */
export interface DefDecl extends Node {
  kind: 'def';
  name: string;
  nameSpan: Span;
  params: { name: string; span: Span }[];
  body: Stmt[];
}
export interface ModelDecl extends Node {
  kind: 'model';
  name: string;
  nameSpan: Span;
  body: Stmt[];
}
/** `train { optimizer = adam(lr=1e-3); epochs = 10; batch = 128 }` */
export interface TrainDecl extends Node {
  kind: 'train';
  settings: KeywordArg[];
}

export type Decl = ImportDecl | DefDecl | ModelDecl | TrainDecl;

export interface Comment {
  /** The text after `#`, without the line break. */
  text: string;
  span: Span;
}

export interface Program {
  file?: string;
  decls: Decl[];
  /** Every comment, in order, for the formatter to put back. */
  comments: Comment[];
}
