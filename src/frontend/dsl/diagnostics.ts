// Diagnostics of the model language: `file:line:col: message`, followed by the offending line
// and a caret under the column, as compilers print them.

import { KilnError, formatSpan } from '../../ir/errors.js';
import type { ErrorCode, SourceSpan } from '../../ir/errors.js';

export interface Diagnostic {
  message: string;
  span: SourceSpan;
}

/** The text of the file a span lies in (`undefined`: a source given without a file name). */
export type SourceOf = (file: string | undefined) => string | undefined;

/** Excerpts longer than this show the part around the caret. */
const EXCERPT_WIDTH = 120;

/**
 * `file:line:col: message` plus the source line and a caret, when the source is at hand. A
 * string is the text of every span; a function gives the text of the span's own file, so an
 * error inside an imported file is shown under a line of that file.
 */
export function formatDiagnostic(d: Diagnostic, source?: string | SourceOf): string {
  const head = `${formatSpan(d.span)}: ${d.message}`;
  const text = typeof source === 'function' ? source(d.span.file) : source;
  const full = text?.split(/\r\n|\r|\n/)[d.span.line - 1];
  if (full === undefined) return head;
  let line = full.replace(/\t/g, ' ');
  let col = Math.max(0, d.span.col - 1);
  if (line.length > EXCERPT_WIDTH) {
    // A very long line: the part around the column, elided on either side.
    const from = Math.max(0, Math.min(col - EXCERPT_WIDTH / 2, line.length - EXCERPT_WIDTH));
    const before = from > 0 ? '...' : '';
    const after = from + EXCERPT_WIDTH < line.length ? '...' : '';
    line = `${before}${line.slice(from, from + EXCERPT_WIDTH)}${after}`;
    col = col - from + before.length;
  }
  const gutter = `${d.span.line} | `;
  const caret = ' '.repeat(gutter.length + col) + '^';
  return `${head}\n${gutter}${line}\n${caret}`;
}

/** The text of `file` for its own spans, of the files read for the rest (imports). */
export function sourcesOf(source: string, file: string | undefined, read: ReadonlyMap<string, string>): SourceOf {
  return (f) => (f === file ? source : f !== undefined ? read.get(f) : undefined);
}

/** Several diagnostics as one KilnError, the first one's place as its span. */
export class DiagnosticsError extends KilnError {
  readonly diagnostics: readonly Diagnostic[];
  readonly source: string | SourceOf | undefined;
  constructor(diagnostics: readonly Diagnostic[], source?: string | SourceOf, code: ErrorCode = 'parse') {
    const first = diagnostics[0]!;
    const rest = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : '';
    super(code, `${first.message}${rest}`, first.span);
    this.diagnostics = diagnostics;
    this.source = source;
  }

  /** Every diagnostic with its excerpt, one after another. */
  report(): string {
    return this.diagnostics.map((d) => formatDiagnostic(d, this.source)).join('\n');
  }
}
