// Diagnostics of the model language: `file:line:col: message`, followed by the offending line
// and a caret under the column, as compilers print them.

import { KilnError, formatSpan } from '../../ir/errors.js';
import type { ErrorCode, SourceSpan } from '../../ir/errors.js';

export interface Diagnostic {
  message: string;
  span: SourceSpan;
}

/** `file:line:col: message` plus the source line and a caret, when the source is at hand. */
export function formatDiagnostic(d: Diagnostic, source?: string): string {
  const head = `${formatSpan(d.span)}: ${d.message}`;
  const line = source?.split(/\r\n|\r|\n/)[d.span.line - 1];
  if (line === undefined) return head;
  const gutter = `${d.span.line} | `;
  const caret = ' '.repeat(gutter.length + Math.max(0, d.span.col - 1)) + '^';
  return `${head}\n${gutter}${line.replace(/\t/g, ' ')}\n${caret}`;
}

/** Several diagnostics as one KilnError, the first one's place as its span. */
export class DiagnosticsError extends KilnError {
  readonly diagnostics: readonly Diagnostic[];
  readonly source: string | undefined;
  constructor(diagnostics: readonly Diagnostic[], source?: string, code: ErrorCode = 'parse') {
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
