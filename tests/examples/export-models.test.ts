// The committed IR text files under examples/models/ match what the example builders make now,
// and parse back to the same graphs, so `kiln train` never trains a stale model.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { MODELS, modelText, stripSpans } from '../../examples/export-models.js';
import { perceptronGraph } from '../../examples/perceptron.js';
import { parseGraph, printGraph } from '../../src/index.js';

const dir = new URL('../../examples/models/', import.meta.url);
const regenerate = 'regenerate with: npm run build && node dist/examples/export-models.js';

describe('examples/models', () => {
  for (const name of Object.keys(MODELS)) {
    test(`${name}.kir equals the builder's current output`, () => {
      const file = new URL(`${name}.kir`, dir);
      expect(existsSync(file), `examples/models/${name}.kir is missing; ${regenerate}`).toBe(true);
      expect(readFileSync(file, 'utf8'), `examples/models/${name}.kir is stale; ${regenerate}`).toBe(modelText(name));
    });

    test(`${name}.kir parses back to the graph it was printed from`, () => {
      const text = readFileSync(new URL(`${name}.kir`, dir), 'utf8');
      const g = parseGraph(text);
      expect(printGraph(g)).toBe(text);
      expect(g.outputs.map((o) => o.name)).toContain('loss');
    });
  }

  test('every .kir file there has a model that produces it', () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.kir'))
      .map((f) => f.slice(0, -'.kir'.length));
    expect(files.sort()).toEqual(Object.keys(MODELS).sort());
  });

  test('stripping spans removes every loc() and nothing else', () => {
    const g = perceptronGraph();
    const withSpans = printGraph(g);
    expect(withSpans).toContain('loc("examples/perceptron.ts":');
    const without = printGraph(stripSpans(g));
    expect(without).not.toContain('loc(');
    expect(without).toBe(withSpans.replace(/ loc\([^)]*\)/g, ''));
  });
});
