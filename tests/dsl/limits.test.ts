// Inputs that used to overflow the stack or take seconds: deep nesting of every kind, long flat
// operator chains, very long unknown names. Each ends in diagnostics with a place, quickly.

import { describe, expect, test } from 'vitest';
import { checkModel, formatDiagnostic, formatModel, DiagnosticsError } from '../../src/frontend/dsl/index.js';
import { MAX_NESTING, MAX_OPERATORS } from '../../src/frontend/dsl/limits.js';

const model = (e: string) => `model m {\n  input x: f32[2]\n  output y = ${e}\n}\n`;

/** Each way to nest, `n` levels deep; each is one level deeper per repetition. */
const NESTINGS: Record<string, (n: number) => string> = {
  parentheses: (n) => model(`${'('.repeat(n)}x${')'.repeat(n)}`),
  'unclosed parentheses': (n) => model(`${'('.repeat(n)}x`),
  calls: (n) => model(`${'relu('.repeat(n)}x${')'.repeat(n)}`),
  'unclosed calls': (n) => model(`${'relu('.repeat(n)}x`),
  brackets: (n) => model(`sum(x, axes=${'['.repeat(n - 1)}0${']'.repeat(n - 1)})`), // the call is a level
  'keyword arguments': (n) => model(`${'sum(x, axes='.repeat(n)}0${')'.repeat(n)}`),
  'unclosed keyword arguments': (n) => model(`${'sum(x, axes='.repeat(n)}0`),
  powers: (n) => model(`x${' ** x'.repeat(n)}`),
  minuses: (n) => model(`${'-'.repeat(n)}x`),
  'powers and minuses in a call': (n) => model(`relu(${'-x ** '.repeat((n - 1) >> 1)}${(n - 1) % 2 ? '-' : ''}x)`),
  'mixed, in a def': (n) => {
    const opens = Array.from({ length: n }, (_, i) => (i % 2 ? '(' : '['));
    const closes = opens.map((o) => (o === '(' ? ')' : ']')).reverse();
    return `def f(x) {\n  return ${opens.join('')}x${closes.join('')}\n}\n`;
  },
};

/** Each way to chain operators, `n` of them. */
const CHAINS: Record<string, (n: number) => string> = {
  additions: (n) => model(`x${' + x'.repeat(n)}`),
  products: (n) => model(`x${' * x'.repeat(n)}`),
  'minuses between operands': (n) => model(`x${' - -x'.repeat(n / 2)}`),
  comparisons: (n) => model(`x${' < x'.repeat(n)}`),
  'operands that are keywords': (n) => model(`true${' + false'.repeat(n)}`),
  'a chain inside the deepest nesting': (n) => model(`${'relu('.repeat(MAX_NESTING - 2)}x${' * x ** -x'.repeat(n / 3)}${')'.repeat(MAX_NESTING - 2)}`),
  'a chain inside unclosed nesting': (n) => model(`${'('.repeat(MAX_NESTING - 2)}x${' * -x ** x'.repeat(n / 3)}`),
};

/** Checks and formats `source`: diagnostics with a place in it, or none; never a throw other than a DiagnosticsError. */
function outcome(source: string): string[] {
  const lines = source.split('\n').length;
  const { diagnostics, sourceOf } = checkModel(source, 'deep.kiln', { library: true });
  for (const d of diagnostics) {
    expect(d.span.file).toBe('deep.kiln');
    expect(d.span.line).toBeGreaterThanOrEqual(1);
    expect(d.span.line).toBeLessThanOrEqual(lines);
    expect(formatDiagnostic(d, sourceOf).length).toBeLessThan(1000);
  }
  try {
    formatModel(source, 'deep.kiln');
  } catch (e) {
    if (!(e instanceof DiagnosticsError)) throw e;
  }
  return diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`);
}

describe('nesting', () => {
  for (const [what, make] of Object.entries(NESTINGS)) {
    test(`${what}: up to the limit is accepted, past it refused with the place`, () => {
      expect(outcome(make(MAX_NESTING)).join('\n')).not.toMatch(/nesting/);
      for (const n of [MAX_NESTING + 1, 200, 300, 430, 512, 5000, 100_000]) {
        const found = outcome(make(n));
        expect(found, `${n} levels`).toHaveLength(1);
        expect(found[0]).toMatch(new RegExp(`^(2|3):\\d+: nesting deeper than ${MAX_NESTING} levels of parentheses, brackets, calls, '\\*\\*' or unary '-'$`));
      }
    });
  }

  test('the place is the first bracket past the limit', () => {
    expect(outcome(model(`${'('.repeat(200)}x`))).toEqual([`3:${14 + MAX_NESTING}: nesting deeper than ${MAX_NESTING} levels of parentheses, brackets, calls, '**' or unary '-'`]);
  });
});

describe('operator chains', () => {
  for (const [what, make] of Object.entries(CHAINS)) {
    test(`${what}: up to the limit is checked, past it refused with the place`, () => {
      expect(outcome(make(MAX_OPERATORS)).join('\n')).not.toMatch(/operators in one expression/);
      for (const n of [MAX_OPERATORS + 2, 50_000]) {
        const found = outcome(make(n));
        expect(found, `${n} operators`).toHaveLength(1);
        expect(found[0]).toMatch(new RegExp(`^3:\\d+: more than ${MAX_OPERATORS} operators in one expression; split it with 'let'$`));
      }
    });
  }

  test('a 1 MB line of additions is refused in well under a second, its excerpt cut around the caret', () => {
    const source = model(`x${' + x'.repeat(250_000)}`);
    const start = performance.now();
    const { diagnostics, sourceOf } = checkModel(source, 'long.kiln');
    expect(performance.now() - start).toBeLessThan(3000);
    expect(diagnostics).toHaveLength(1);
    const text = formatDiagnostic(diagnostics[0]!, sourceOf);
    expect(text).toMatch(/^long\.kiln:3:4016: more than 1000 operators/);
    const [, excerpt, caret] = text.split('\n');
    expect(excerpt).toMatch(/^3 \| \.\.\..*\.\.\.$/);
    expect(excerpt!.length).toBeLessThan(200);
    expect(excerpt![caret!.length - 1]).toBe('+');
  });

  test('after an unclosed parenthesis, each statement counts its operators again', () => {
    const lets = Array.from({ length: 600 }, (_, i) => `  let h${i} = x + x * x`).join('\n');
    const found = outcome(`model m {\n  input x: f32[2]\n  let a = relu(x\n${lets}\n  output y = a\n}\n`);
    expect(found[0]).toBe("4:3: expected ',' or ')' after an argument, got the keyword 'let'");
    expect(found.join('\n')).not.toMatch(/operators in one expression/);
  });

  test('operators are counted per statement, not per model', () => {
    const lets = Array.from({ length: 5 }, (_, i) => `  let h${i} = x${' + x'.repeat(MAX_OPERATORS / 2)}`).join('\n');
    expect(outcome(`model m {\n  input x: f32[2]\n${lets}\n  output y = h4\n}\n`)).toEqual([]);
  });
});

describe('long names', () => {
  for (const n of [40_000, 100_000]) {
    test(`an unknown op, def or name of ${n} characters is reported in milliseconds`, () => {
      const name = 'a'.repeat(n);
      for (const source of [model(`${name}(x)`), model(name), `${model('x')}model n {\n  input x: f32[2]\n  output y = x\n}\n`.replace('model n', `model ${name}`)]) {
        const start = performance.now();
        const found = outcome(source);
        expect(performance.now() - start, found[0]).toBeLessThan(500);
        expect(found.length).toBeGreaterThan(0);
      }
    });
  }

  test('a near name of ordinary length still gets its suggestion', () => {
    expect(outcome(model('rleu(x)'))).toEqual(["3:14: unknown op or def 'rleu' (did you mean 'relu'?)"]);
  });
});
