// The model language's entry points: source text or a file in, a verified graph (and the
// `train` settings) out, or every diagnostic with its place.

import { readFileSync } from 'node:fs';
import type { Graph } from '../../ir/graph.js';
import { DiagnosticsError, sourcesOf } from './diagnostics.js';
import type { Diagnostic, SourceOf } from './diagnostics.js';
import { formatProgram } from './format.js';
import { lowerProgram } from './lower.js';
import type { TrainConfig } from './lower.js';
import { parseProgram } from './parser.js';

export { DiagnosticsError, formatDiagnostic } from './diagnostics.js';
export type { Diagnostic, SourceOf } from './diagnostics.js';
export type { TrainConfig } from './lower.js';
export { formatProgram } from './format.js';
export { parseProgram } from './parser.js';

export interface ModelOptions {
  /** Reads imported files (default: the file system). */
  readFile?: (path: string) => string;
  /** Which model of the file, when it holds several. */
  model?: string;
  /** Accept a file of defs alone (checked, but with no graph). */
  library?: boolean;
}

export interface CheckResult {
  graph?: Graph;
  train?: TrainConfig;
  diagnostics: Diagnostic[];
  /** The text of each file the diagnostics lie in: the source, and the imports read. */
  sourceOf: SourceOf;
}

const readFromDisk = (path: string) => readFileSync(path, 'utf8');

/** Parses and lowers `source`; reports every syntax error, or else every semantic one. */
export function checkModel(source: string, file?: string, options: ModelOptions = {}): CheckResult {
  const read = new Map<string, string>();
  const sourceOf = sourcesOf(source, file, read);
  const parsed = parseProgram(source, file);
  if (parsed.diagnostics.length > 0) return { diagnostics: parsed.diagnostics, sourceOf };
  const readFile = options.readFile ?? readFromDisk;
  const lowered = lowerProgram(parsed.program, {
    source,
    ...(file !== undefined ? { file } : {}),
    readFile: (path) => {
      const text = readFile(path);
      read.set(path, text);
      return text;
    },
    parse: parseProgram,
    ...(options.model !== undefined ? { model: options.model } : {}),
    ...(options.library ? { library: true } : {}),
  });
  return { ...lowered, sourceOf };
}

/** The graph and train settings of `source`, or a DiagnosticsError holding every problem. */
export function parseModel(source: string, file?: string, options: ModelOptions = {}): { graph: Graph; train?: TrainConfig } {
  const r = checkModel(source, file, options);
  if (!r.graph || r.diagnostics.length > 0) throw new DiagnosticsError(r.diagnostics, r.sourceOf);
  return r.train ? { graph: r.graph, train: r.train } : { graph: r.graph };
}

/** The canonical formatting of `source`, or a DiagnosticsError when it does not parse. */
export function formatModel(source: string, file?: string): string {
  const parsed = parseProgram(source, file);
  if (parsed.diagnostics.length > 0) throw new DiagnosticsError(parsed.diagnostics, source);
  return formatProgram(parsed.program);
}
