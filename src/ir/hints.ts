// Errors whose message tells the user what to pass, worded for where the call came from: the
// API names its options (`shapes: { B: <size> }`), the command line its flags (`--shapes B=<size>`).

import { KilnError, formatSpan } from './errors.js';
import type { ErrorCode, SourceSpan } from './errors.js';

/** Which interface a hint is worded for. */
export type HintStyle = 'api' | 'cli';

/** A KilnError worded for the API; `cliMessage` says the same in command-line syntax. */
export class HintedError extends KilnError {
  readonly cliMessage: string;

  constructor(code: ErrorCode, detail: (style: HintStyle) => string, span?: SourceSpan) {
    super(code, detail('api'), span);
    const cli = detail('cli');
    this.cliMessage = span ? `${formatSpan(span)}: ${cli}` : cli;
  }
}

/** Throws a HintedError: `detail` words the message for either interface. */
export function failHinted(code: ErrorCode, detail: (style: HintStyle) => string, span?: SourceSpan): never {
  throw new HintedError(code, detail, span);
}

/** The message of `e` as the command line prints it. */
export function cliMessage(e: KilnError): string {
  return e instanceof HintedError ? e.cliMessage : e.message;
}
