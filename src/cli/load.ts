// Model files for the CLI, chosen by extension: the model language (.kiln), IR JSON (.json) or
// IR text (.kir).

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fsReason } from '../../runtime/fs.js';
import { parseModel } from '../frontend/dsl/index.js';
import type { TrainConfig } from '../frontend/dsl/index.js';
import { KilnError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { parseGraphJSON } from '../ir/json.js';
import { parseGraph } from '../ir/text.js';

export const MODEL_FILE_TYPES = '.kiln (model language), .json (IR JSON) or .kir (IR text)';

/** The text of a file, or a one-line error naming it and the reason. */
export function readSource(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new KilnError('usage', `${path}: cannot read file (${fsReason(e)})`);
  }
}

/** A model and, from a .kiln file, its `train` section. */
export function loadModelFile(path: string): { graph: Graph; train?: TrainConfig } {
  const ext = extname(path);
  if (ext === '.safetensors') {
    throw new KilnError(
      'usage',
      `${path}: a model file (weights and graph); kiln run and kiln compile take it as the model, kiln train takes it with --resume (here: expected ${MODEL_FILE_TYPES})`,
    );
  }
  if (ext !== '.json' && ext !== '.kir' && ext !== '.kiln') {
    throw new KilnError('usage', `${path}: unsupported file type '${ext || '(none)'}' (expected ${MODEL_FILE_TYPES})`);
  }
  const text = readSource(path);
  if (ext === '.kiln') return parseModel(text, path);
  return { graph: ext === '.json' ? parseGraphJSON(text, path) : parseGraph(text, path) };
}

/** Reads a graph from any model file. */
export function loadGraphFile(path: string): Graph {
  return loadModelFile(path).graph;
}
