// Model files for the CLI: IR JSON (.json) or IR text (.kir), chosen by extension.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { KilnError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { parseGraphJSON } from '../ir/json.js';
import { parseGraph } from '../ir/text.js';

/** Reads a graph from IR JSON (`.json`) or IR text (`.kir`). */
export function loadGraphFile(path: string): Graph {
  const ext = extname(path);
  if (ext !== '.json' && ext !== '.kir') {
    throw new KilnError('usage', `${path}: unsupported file type '${ext || '(none)'}' (expected .json for IR JSON or .kir for IR text)`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new KilnError('usage', `${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return ext === '.json' ? parseGraphJSON(text, path) : parseGraph(text, path);
}
