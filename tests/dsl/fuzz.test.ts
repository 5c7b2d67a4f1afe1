// Fuzzing the model language: thousands of mutated programs (tokens deleted, duplicated,
// swapped, random bytes; deep nesting, long operator chains and long names put in) never crash
// the parser, the lowering or the formatter; each ends in diagnostics with a place inside the
// file, or in a graph that verifies.

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { DiagnosticsError, checkModel, formatModel } from '../../src/frontend/dsl/index.js';
import { KilnError } from '../../src/ir/errors.js';
import { uniform01 } from '../../src/ir/random.js';
import { verify } from '../../src/ir/verify.js';
import { generateProgram } from './generate.js';

const TOKEN = /\s+|[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\\n]|\\.)*"|\*\*|==|!=|<=|>=|#[^\n]*|./gs;

/** A seeded stream of integers below `n`. */
function rng(seed: number): (n: number) => number {
  let i = 0;
  return (n) => Math.floor(uniform01(seed, i++) * n);
}

const BYTES = ['{', '}', '(', ')', '[', ']', ',', '=', ':', ';', '@', '**', '-', '"', '#', '\n', '\u0000', 'é', '$', '1e', 'let', 'def', 'model', 'x', '999999999999'];

function mutate(source: string, seed: number): string {
  const next = rng(seed);
  const tokens = source.match(TOKEN) ?? [];
  const edits = 1 + next(3);
  for (let e = 0; e < edits && tokens.length > 0; e++) {
    const at = next(tokens.length);
    switch (next(5)) {
      case 0: // delete
        tokens.splice(at, 1 + next(3));
        break;
      case 1: // duplicate
        tokens.splice(at, 0, tokens[at]!);
        break;
      case 2: {
        // swap
        const other = next(tokens.length);
        [tokens[at], tokens[other]] = [tokens[other]!, tokens[at]!];
        break;
      }
      case 3: // insert random bytes
        tokens.splice(at, 0, BYTES[next(BYTES.length)]!);
        break;
      default: {
        // replace one character inside a token
        const t = tokens[at]!;
        const c = next(Math.max(1, t.length));
        tokens[at] = t.slice(0, c) + String.fromCharCode(32 + next(95)) + t.slice(c + 1);
      }
    }
  }
  return tokens.join('');
}

/** Text that nests, chains or names past what any model needs, `n` deep or long. */
const HOSTILE: ((n: number) => string)[] = [
  (n) => '('.repeat(n),
  (n) => `${'('.repeat(n)}x${')'.repeat(n)}`,
  (n) => `${'relu('.repeat(n)}x${')'.repeat(n)}`,
  (n) => `${'relu('.repeat(n)}x`,
  (n) => '['.repeat(n),
  (n) => `${'['.repeat(n)}1${']'.repeat(n)}`,
  (n) => `${'sum(x, axes='.repeat(n)}0`,
  (n) => ` + x`.repeat(n * 8),
  (n) => ` ** -x`.repeat(n * 4),
  (n) => '-'.repeat(n * 8),
  (n) => 'z'.repeat(n * 200),
  (n) => `${'q'.repeat(n * 200)}(x)`,
];

/** `source` with hostile text put between two of its tokens, then mutated as above. */
function mutateHostile(source: string, seed: number): string {
  const next = rng(seed);
  const tokens = source.match(TOKEN) ?? [];
  const hostile = HOSTILE[next(HOSTILE.length)]!(1 + next(600));
  tokens.splice(next(tokens.length + 1), 0, hostile);
  return next(2) ? mutate(tokens.join(''), seed) : tokens.join('');
}

const EXAMPLES = ['perceptron', 'logistic-regression', 'linear-regression', 'xor', 'sin', 'mnist-mlp', 'layers'].map((n) => readFileSync(`examples/${n}.kiln`, 'utf8'));

const LAYERS = readFileSync('examples/layers.kiln', 'utf8');
const SEEDS = [
  ...['perceptron', 'logistic-regression', 'xor', 'sin', 'mnist-mlp'].map((n) => readFileSync(`examples/${n}.kiln`, 'utf8')),
  ...Array.from({ length: 10 }, (_, i) => generateProgram(i)),
];

describe('fuzzing', () => {
  test('3,000 mutated programs end in diagnostics inside the file or in a verified graph', () => {
    let withGraph = 0;
    let withDiagnostics = 0;
    for (let k = 0; k < 3000; k++) {
      const source = mutate(SEEDS[k % SEEDS.length]!, k);
      const lines = source.split(/\r\n|\r|\n/).length;
      let result;
      try {
        result = checkModel(source, 'fuzz.kiln', { readFile: (p) => (p.endsWith('layers.kiln') ? LAYERS : readFileSync(p, 'utf8')) });
      } catch (e) {
        throw new Error(`mutation ${k} crashed: ${(e as Error).stack}\n--- source ---\n${source}`, { cause: e });
      }
      if (result.diagnostics.length > 0) {
        withDiagnostics++;
        for (const d of result.diagnostics) {
          expect(d.message.length, `mutation ${k}`).toBeGreaterThan(0);
          // Imported files carry their own names; places in this file lie within it.
          if (d.span.file === 'fuzz.kiln') {
            expect(d.span.line, `mutation ${k}: ${d.message}`).toBeGreaterThanOrEqual(1);
            expect(d.span.line, `mutation ${k}: ${d.message}`).toBeLessThanOrEqual(lines + 1);
            expect(d.span.col, `mutation ${k}: ${d.message}`).toBeGreaterThanOrEqual(1);
          }
        }
        expect(result.graph, `mutation ${k} has diagnostics and a graph`).toBeUndefined();
      } else {
        withGraph++;
        expect(result.graph, `mutation ${k} has neither diagnostics nor a graph`).toBeDefined();
        verify(result.graph!);
      }
    }
    // Both outcomes occur: the mutations are neither all fatal nor all harmless.
    expect(withDiagnostics).toBeGreaterThan(1500);
    expect(withGraph).toBeGreaterThan(20);
  }, 120_000);

  test('hostile mutations (deep nesting, long chains, long names) end in a diagnostic with a place or a graph, within seconds', () => {
    const start = performance.now();
    let tried = 0;
    let limited = 0;
    for (let k = 0; k < 600 && performance.now() - start < 8000; k++, tried++) {
      const source = mutateHostile(EXAMPLES[k % EXAMPLES.length]!, 10_000 + k);
      const lines = source.split(/\r\n|\r|\n/).length;
      let result;
      try {
        result = checkModel(source, 'fuzz.kiln', { library: true, readFile: (p) => (p.endsWith('layers.kiln') ? LAYERS : readFileSync(p, 'utf8')) });
        formatModel(source, 'fuzz.kiln');
      } catch (e) {
        if (!(e instanceof DiagnosticsError)) throw new Error(`hostile mutation ${k} crashed: ${(e as Error).stack}\n--- source ---\n${source.slice(0, 2000)}`, { cause: e });
        expect(e).toBeInstanceOf(KilnError);
        expect(e.span?.line, `hostile mutation ${k}`).toBeGreaterThanOrEqual(1);
      }
      if (!result) continue;
      for (const d of result.diagnostics) {
        expect(d.message.length, `hostile mutation ${k}: ${d.message.slice(0, 200)}`).toBeLessThan(600);
        if (d.span.file !== 'fuzz.kiln') continue;
        expect(d.span.line, `hostile mutation ${k}: ${d.message}`).toBeGreaterThanOrEqual(1);
        expect(d.span.line, `hostile mutation ${k}: ${d.message}`).toBeLessThanOrEqual(lines + 1);
        expect(d.span.col, `hostile mutation ${k}: ${d.message}`).toBeGreaterThanOrEqual(1);
      }
      if (result.graph) verify(result.graph);
      if (result.diagnostics.some((d) => /^(nesting deeper|more than \d+ operators)/.test(d.message))) limited++;
    }
    expect(tried).toBeGreaterThan(100);
    // The limits are met often, not only by a few programs.
    expect(limited).toBeGreaterThan(tried / 5);
  }, 30_000);
});
