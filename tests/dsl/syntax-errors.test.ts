// The .kiln parser on malformed programs: the exact place and message of each syntax error,
// several errors from one run thanks to recovery, and no throw on arbitrary input.

import { describe, expect, it } from 'vitest';
import { parseProgram } from '../../src/frontend/dsl/parser.js';

/** Every diagnostic as `line:col: message`, checking that each names the file. */
function errors(source: string): string[] {
  const { diagnostics } = parseProgram(source, 'bad.kiln');
  for (const d of diagnostics) expect(d.span.file).toBe('bad.kiln');
  return diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`);
}

const cases: [string, string, string[]][] = [
  // missing tokens
  ["':' after an input name", 'model m {\n  input x f32[2]\n}', ["2:11: expected ':' after the input name, got 'f32'"]],
  ["'=' for ':' after an input name", 'model m {\n  input x = f32[2]\n}', ["2:11: expected ':' after the input name, got '='"]],
  ["':' after a param name", 'model m { param w f32[2] }', ["1:19: expected ':' after the parameter name, got 'f32'"]],
  ["'=' in a let", 'model m { let x 1 }', ["1:17: expected '=' after the name in 'let', got '1'"]],
  ["'==' for '=' in a let", 'model m { let x == 1 }', ["1:17: expected '=' after the name in 'let', got '=='"]],
  ["'=' in a train setting", 'train { epochs 10 }', ["1:16: expected '=' after the setting's name, got '10'"]],
  ['a model name', 'model { }', ["1:7: expected a name after 'model', got '{'"]],
  ['an import path', 'import layers', ["1:8: expected a path string after 'import', got 'layers'"]],
  ['an import path at the end', 'import', ["1:7: expected a path string after 'import', got the end of the file"]],
  ["'(' after a def name", 'def f x) { return x }', ["1:7: expected '(' after the def's name, got 'x'"]],
  ["',' between def parameters", 'def f(x y) { return x }', ["1:9: expected ',' or ')' after a parameter, got 'y'"]],
  ['a parameter after a comma', 'def f(x,) { return x }', ["1:9: expected a parameter name after ',', got ')'"]],
  ['a number as a parameter', 'def f(1) { return 1 }', ["1:7: expected a parameter name or ')', got '1'"]],
  ['an initializer', 'model m { param w: f32[2] = }', ["1:29: expected an initializer (zeros, he_normal(seed=1), ...), got '}'"]],
  ['a positional initializer argument', 'model m { param w: f32[2] = he_normal(1) }', ["1:39: expected a keyword argument (name=value) or ')', got '1'"]],
  // missing expressions
  ['an operand in parentheses', 'model m { let y = (x + ) }', ["1:24: expected an expression, got ')'"]],
  ['an operand after an operator', 'model m { let y = x +* 2 }', ["1:22: expected an expression, got '*'"]],
  ['an operand at the end of the file', 'model m { let x = 1 +', ['1:22: expected an expression, got the end of the file']],
  ['a loss value', 'model m { loss = x }', ["1:16: expected an expression, got '='"]],
  ["'**' with no base", 'model m { let x = ** 2 }', ["1:19: expected an expression, got '**'"]],
  ['a list item after a comma', 'model m { let x = [1, 2,] }', ["1:25: expected an expression, got ']'"]],
  // missing braces, parentheses, brackets
  ["'}' at the end of the file", 'model m {\n  let x = 1\n', ["2:12: expected a statement or '}', got the end of the file"]],
  ["'{' after a model name", 'model m input x: f32[2] }', ["1:9: expected '{' after the model's name, got the keyword 'input'"]],
  ["')' of a call", 'model m {\n  let y = f(x, 2\n}', ["3:1: expected ',' or ')' after an argument, got '}'"]],
  ["',' between call arguments", 'model m { let x = f(a b) }', ["1:23: expected ',' or ')' after an argument, got 'b'"]],
  ["')' of a parenthesis", 'model m { let y = (1 + 2 }', ["1:26: expected ')' to close '(', got '}'"]],
  ["']' of a list", 'model m { let y = [1, 2 }', ["1:25: expected ',' or ']' after a list item, got '}'"]],
  // types
  ['an empty type at the end of the file', 'model m { input x: f32[', ["1:24: expected a dimension or ']', got the end of the file"]],
  ["an unclosed type before '}'", 'model m { input x: f32[ }', ["1:25: expected a dimension or ']', got '}'"]],
  ["',' between dims", 'model m { input x: f32[2 3] }', ["1:26: expected ',' or ']' after a dimension, got '3'"]],
  ['a fractional dim', 'model m { input x: f32[2.5] }', ["1:24: expected a dimension or ']', got '2.5'"]],
  ['an unknown dtype', 'model m { input x: f64[2] }', ["1:20: expected a dtype (f32, i32 or bool), got 'f64'"]],
  ['a type on an output', 'model m { output y: f32[2] }', ["1:19: expected a statement or '}', got ':'"]],
  // unexpected tokens
  ['two expressions in a row', 'model m { let x = 1 2 }', ["1:21: expected a statement or '}', got '2'"]],
  ['an extra semicolon in train', 'train { epochs = 10 ; ; }', ["1:23: expected a setting (name = value) or '}', got ';'"]],
  ['a stray closing brace', 'def f(x) { return x }}\nmodel m { }', ["1:22: expected a declaration (import, def, model or train), got '}'"]],
  ['a statement outside any block', 'let x = 1\nmodel m { }', ["1:1: expected a declaration (import, def, model or train), got the keyword 'let'"]],
  ['a keyword as an input name', 'model m { input loss: f32[2] }', ["1:17: expected a name after 'input', got the keyword 'loss'"]],
  ['a keyword as a let name', 'model m { let model = 1 }', ["1:15: expected a name after 'let', got the keyword 'model'"]],
  ['a keyword as an output name', 'model m { output loss = x }', ["1:18: expected a name after 'output', got the keyword 'loss'"]],
  ['a keyword as a def parameter', 'def f(x, input) { return x }', ["1:10: expected a parameter name after ',', got the keyword 'input'"]],
  ['a number as an input name', 'model m { input 1: f32[2] }', ["1:17: expected a name after 'input', got '1'"]],
  ['a string as a let name', 'model m { let "x" = 1 }', ['1:15: expected a name after \'let\', got the string "x"']],
  // the grammar's own restrictions
  ['a chained comparison', 'model m { let x = a < b < c }', ["1:25: expected the end of the comparison, got '<' (comparisons do not chain)"]],
  ['a chain of equalities', 'model m { let x = a == b != c }', ["1:26: expected the end of the comparison, got '!=' (comparisons do not chain)"]],
  [
    'a keyword argument before a positional one',
    'model m { output y = sum(axis=1, x) }',
    ["1:34: expected a keyword argument after 'axis=', got a positional argument (keyword arguments must follow positional ones)"],
  ],
  // characters and strings
  ['a bad character', 'model m { let x = a $ b }', ["1:21: unexpected character '$'", "1:23: expected a statement or '}', got 'b'"]],
  ['a run of bad characters', 'model m { let x = 1 } $%^', ["1:23: unexpected characters '$%^'"]],
  ["a lone '!'", 'model m { let x = a ! b }', ["1:21: unexpected character '!'", "1:23: expected a statement or '}', got 'b'"]],
  ['a second decimal point', 'model m { let x = 1.5.2 }', ["1:22: unexpected character '.'", "1:23: expected a statement or '}', got '2'"]],
  ['an unterminated import path', 'import "layers.kiln\nmodel m { }', ["1:8: unterminated string: expected a closing '\"' before the end of the line"]],
  [
    'an unterminated string swallowing a brace',
    'model m { let s = "abc }\nmodel n { }',
    ["1:19: unterminated string: expected a closing '\"' before the end of the line", "2:1: expected a statement or '}', got the keyword 'model'"],
  ],
  ['an unknown escape', 'model m { let s = "a\\nb" }', ["1:21: expected '\"' or '\\' after '\\' in a string, got 'n'"]],
];

describe('syntax errors: place and message', () => {
  it('has a case for at least 20 kinds of mistake', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases)('%s', (_title, source, expected) => {
    expect(errors(source)).toEqual(expected);
  });

  it('leaves the file out of a place when the source has no name', () => {
    expect(parseProgram('model { }').diagnostics.map((d) => d.span)).toEqual([{ line: 1, col: 7 }]);
  });
});

describe('recovery', () => {
  const source = [
    'model m {',
    '  input x f32[B, 4]', // ':' missing
    '  let y = (x + )', // operand missing
    '  output z = y +* 2', // operand missing
    '  let w = a < b < c', // chained comparison
    '  param p: f64[2] = zeros', // unknown dtype
    '  let ok = relu(x)',
    '}',
    '',
    'train { epochs 10; batch = 32 }', // '=' missing
  ].join('\n');

  it('reports every error of a file in one run, in source order', () => {
    expect(errors(source)).toEqual([
      "2:11: expected ':' after the input name, got 'f32'",
      "3:16: expected an expression, got ')'",
      "4:17: expected an expression, got '*'",
      "5:17: expected the end of the comparison, got '<' (comparisons do not chain)",
      "6:12: expected a dtype (f32, i32 or bool), got 'f64'",
      "10:16: expected '=' after the setting's name, got '10'",
    ]);
  });

  it('still builds what it can around the errors', () => {
    const { program } = parseProgram(source);
    expect(program.decls.map((d) => d.kind)).toEqual(['model', 'train']);
    const m = program.decls[0]!;
    if (m.kind !== 'model') throw new Error('not a model');
    expect(m.body.map((s) => `${s.kind} ${'name' in s ? s.name : ''}`)).toContain('let ok');
    expect(m.body.map((s) => s.kind)).toContain('input');
  });
});

describe('never throws', () => {
  /** mulberry32: a small seeded generator, so a failure reproduces. */
  function random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const pieces = [
    'model',
    'def',
    'train',
    'import',
    'input',
    'param',
    'let',
    'output',
    'loss',
    'return',
    'true',
    'false',
    'x',
    'f32',
    'B',
    '1',
    '2.5e-3',
    '"s"',
    '"',
    '"a\\',
    '\\',
    '{',
    '}',
    '(',
    ')',
    '[',
    ']',
    ',',
    ':',
    ';',
    '=',
    '==',
    '!=',
    '<',
    '<=',
    '>',
    '-',
    '+',
    '**',
    '*',
    '/',
    '@',
    '#c\n',
    '\n',
    '\r\n',
    ' ',
    '\t',
    '$',
    '!',
    '.',
    'é',
    '\u0000',
  ];

  /** Every object with a `line` in the result must be a real place: numbers, 1-based. */
  function checkPlaces(value: unknown): void {
    if (Array.isArray(value)) return value.forEach(checkPlaces);
    if (value === null || typeof value !== 'object') return;
    const o = value as Record<string, unknown>;
    if ('line' in o) {
      expect(Number.isInteger(o['line']) && (o['line'] as number) >= 1).toBe(true);
      expect(Number.isInteger(o['col']) && (o['col'] as number) >= 1).toBe(true);
      if ('offset' in o) expect(Number.isInteger(o['offset']) && (o['offset'] as number) >= 0).toBe(true);
    }
    Object.values(o).forEach(checkPlaces);
  }

  function check(source: string): void {
    const result = parseProgram(source, 'fuzz.kiln');
    checkPlaces(result);
    const places = result.diagnostics.map((d) => d.span.line * 1e6 + d.span.col);
    expect(places).toEqual([...places].sort((a, b) => a - b));
    expect(new Set(places).size).toBe(places.length);
  }

  it('on 400 random strings of tokens and odd characters', () => {
    const next = random(20240611);
    for (let i = 0; i < 400; i++) {
      const n = Math.floor(next() * 60);
      let s = '';
      for (let j = 0; j < n; j++) {
        s += next() < 0.9 ? pieces[Math.floor(next() * pieces.length)]! + (next() < 0.5 ? ' ' : '') : String.fromCharCode(Math.floor(next() * 0x3000));
      }
      expect(() => check(s), JSON.stringify(s)).not.toThrow();
    }
  });

  it('on every prefix of a valid program', () => {
    const valid = [
      'import "layers.kiln"',
      'def block(x, n) { param w: f32[n, 4] = he_normal(seed=1); return relu(x @ w) }',
      'model m { input x: f32[B, 4]; let h = block(x, 4) ** 2; output y = -h + mean([1, 2]); loss sum(y, axis=1) }',
      'train { optimizer = adam(lr=1e-3); epochs = 3 }',
    ].join('\n');
    expect(parseProgram(valid).diagnostics).toEqual([]);
    for (let i = 0; i <= valid.length; i++) {
      const prefix = valid.slice(0, i);
      expect(() => check(prefix), JSON.stringify(prefix)).not.toThrow();
    }
  });
});
