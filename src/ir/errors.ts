// Kiln's one error type: every failure a user can cause carries a code, a message and, where
// the failure has a place in a source (a model file, a builder call site), that place.

/** A place in a source: 1-based line and column. `file` is absent for anonymous sources. */
export interface SourceSpan {
  file?: string;
  line: number;
  col: number;
}

export type ErrorCode =
  | 'shape' // incompatible shapes (broadcasting, matmul, reshape, ...)
  | 'dtype' // an op got a dtype it does not accept
  | 'attr' // a missing, unknown or ill-typed attribute
  | 'arity' // wrong number of operands
  | 'unknown-op'
  | 'verify' // a malformed graph
  | 'parse' // IR text that does not parse
  | 'json' // IR JSON that does not deserialize
  | 'input' // a missing, unknown or mistyped input at run time
  | 'bind' // an unbound or badly bound symbolic dimension
  | 'runtime' // a failure while executing (out-of-range gather index, ...)
  | 'data' // a data set that cannot be read (a bad CSV cell, a missing package)
  | 'usage'; // a public API or CLI used wrongly

export function formatSpan(span: SourceSpan): string {
  return `${span.file ?? '<input>'}:${span.line}:${span.col}`;
}

export class KilnError extends Error {
  readonly code: ErrorCode;
  readonly span: SourceSpan | undefined;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(code: ErrorCode, detail: string, span?: SourceSpan) {
    super(span ? `${formatSpan(span)}: ${detail}` : detail);
    this.name = 'KilnError';
    this.code = code;
    this.detail = detail;
    this.span = span;
  }
}

/** Throws a KilnError; for conditions that user input can violate. */
export function fail(code: ErrorCode, detail: string, span?: SourceSpan): never {
  throw new KilnError(code, detail, span);
}
