// Writes the training examples' graphs as IR text to examples/models/*.kir (the files that
// `kiln train` reads), printed without source spans so they do not depend on where they were built.
// Usage: node dist/examples/export-models.js [outDir]   (default examples/models)

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printGraph } from '../src/index.js';
import type { Graph } from '../src/index.js';
import { linearRegressionGraph } from './linear-regression.js';
import { logisticRegressionGraph } from './logistic-regression.js';
import { mnistMlpGraph } from './mnist-mlp.js';
import { perceptronGraph } from './perceptron.js';
import { sinGraph } from './sin.js';
import { xorMlpGraph } from './xor-train.js';

/** Each exported model by file name (without .kir), built with its example's defaults. */
export const MODELS: Readonly<Record<string, () => Graph>> = {
  perceptron: perceptronGraph,
  'logistic-regression': logisticRegressionGraph,
  'xor-train': () => xorMlpGraph(),
  'linear-regression': linearRegressionGraph,
  sin: () => sinGraph(),
  'mnist-mlp': () => mnistMlpGraph(),
};

/** `g` without the `span` of any declaration or node: the builder records its callers' file:line:col. */
export function stripSpans(g: Graph): Graph {
  const strip = <T extends { span?: unknown }>(x: T): T => {
    const { span: _span, ...rest } = x;
    return rest as T;
  };
  return {
    ...g,
    inputs: g.inputs.map(strip),
    params: g.params.map(strip),
    nodes: g.nodes.map(strip),
    outputs: g.outputs.map(strip),
    updates: g.updates.map(strip),
  };
}

/** The IR text of the model `name`, as the .kir file holds it. */
export function modelText(name: string): string {
  const build = MODELS[name];
  if (!build) throw new Error(`no model '${name}' (models: ${Object.keys(MODELS).join(', ')})`);
  return printGraph(stripSpans(build()));
}

function main(): void {
  const outDir = process.argv[2] ?? join('examples', 'models');
  mkdirSync(outDir, { recursive: true });
  for (const name of Object.keys(MODELS)) {
    const path = join(outDir, `${name}.kir`);
    writeFileSync(path, modelText(name));
    console.log(`wrote ${path}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
