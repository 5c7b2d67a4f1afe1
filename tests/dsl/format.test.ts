// Tests of the formatter: golden outputs for messy inputs (every construct, comments in every
// position), idempotence, and that formatting changes neither the tree nor the lowered graph.

import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Program } from '../../src/frontend/dsl/ast.js';
import { formatProgram } from '../../src/frontend/dsl/format.js';
import { lowerProgram } from '../../src/frontend/dsl/lower.js';
import { parseProgram } from '../../src/frontend/dsl/parser.js';
import { printGraph } from '../../src/ir/text.js';
import { generateProgram } from './generate.js';

function parse(source: string): Program {
  const r = parseProgram(source, 'test.kiln');
  expect(r.diagnostics, source).toEqual([]);
  return r.program;
}

const format = (source: string): string => formatProgram(parse(source));

// Places differ after formatting; nothing else may.
const PLACES = new Set(['span', 'end', 'nameSpan', 'calleeSpan']);

/** The declarations without places, as plain data. */
function tree(p: Program): unknown {
  return JSON.parse(JSON.stringify(p.decls, (k, v: unknown) => (PLACES.has(k) ? undefined : v)));
}

/** The comments' texts in order; the formatter trims trailing blanks. */
function commentTexts(p: Program): string[] {
  return p.comments.map((c) => c.text.trimEnd());
}

const lines = (...ls: string[]) => ls.join('\n') + '\n';

// ---- golden outputs ---------------------------------------------------------------------

const EVERYTHING = `# File header comment.

# About the imports.
import "layers.kiln"   # trailing on an import



import   "a \\"quoted\\" \\\\ path.kiln"
# A def with a comment in its parameters.
def block(x,   # the input
    n) {  # opening
  # leading the param
  param w: f32[n, n] = he_normal(seed=1); param b: f32[n] = zeros()
  let h = x @ w +
      b   # trailing after a multi-line statement



  return relu(h)  # trailing the return
  # at the end of the def
}   # after the closing brace
model m{input x: f32[B,4];input y: i32[B]  # labels
param w: f32[4, 4]

let a = -x ** 2 + (-x) ** 2 - - x
let b = 2 ** -a * (a + 1e-3) / 2.5E+4 @ w
let c = sum(a, axis=1, keepdims=true) >= (1)
let d = softmax(block(a, 4), axis=-1)
let e = where(c, a, [1, 2.0, 3]) # comment
let f = f(x, # inside a call
  n=3)
output d
output e = transpose(d, perm=[1,0])
loss mean(d)   ;
}
train { optimizer = adam(lr=1e-3, beta1=0.9); epochs = 10
  dataset = "csv:data.csv"; flag = true
  # settings end
}
model empty {}
def nothing() {
}
# end of file
`;

const EVERYTHING_FORMATTED = lines(
  '# File header comment.',
  '',
  '# About the imports.',
  'import "layers.kiln"  # trailing on an import',
  'import "a \\"quoted\\" \\\\ path.kiln"',
  '',
  '# A def with a comment in its parameters.',
  '# the input',
  'def block(x, n) {  # opening',
  '  # leading the param',
  '  param w: f32[n, n] = he_normal(seed=1)',
  '  param b: f32[n] = zeros',
  '  let h = x @ w + b  # trailing after a multi-line statement',
  '',
  '  return relu(h)  # trailing the return',
  '  # at the end of the def',
  '}  # after the closing brace',
  '',
  'model m {',
  '  input x: f32[B, 4]',
  '  input y: i32[B]  # labels',
  '  param w: f32[4, 4]',
  '',
  '  let a = -x ** 2 + (-x) ** 2 - -x',
  '  let b = 2 ** -a * (a + 1e-3) / 2.5E+4 @ w',
  '  let c = sum(a, axis=1, keepdims=true) >= (1)',
  '  let d = softmax(block(a, 4), axis=-1)',
  '  let e = where(c, a, [1, 2.0, 3])  # comment',
  '  # inside a call',
  '  let f = f(x, n=3)',
  '  output d',
  '  output e = transpose(d, perm=[1, 0])',
  '  loss mean(d)',
  '}',
  '',
  'train {',
  '  optimizer = adam(lr=1e-3, beta1=0.9)',
  '  epochs = 10',
  '  dataset = "csv:data.csv"',
  '  flag = true',
  '  # settings end',
  '}',
  '',
  'model empty {}',
  '',
  'def nothing() {}',
  '# end of file',
);

const COMMENTS = `# header, then a blank line


# about the model
model m  # opening, on the header line
{
  # leading the first statement

  input x: f32[B, 2]   # trailing
  let h = relu(   # inside a call: moves above
    x)
  # before the output



  output h  # trailing the last statement
  # at the end of the block

}  # after the brace
# before train
train {  # opening
  epochs = 3  # trailing a setting
  # at the end of train
}


# at the end of the file
`;

const COMMENTS_FORMATTED = lines(
  '# header, then a blank line',
  '',
  '# about the model',
  'model m {  # opening, on the header line',
  '  # leading the first statement',
  '',
  '  input x: f32[B, 2]  # trailing',
  '  # inside a call: moves above',
  '  let h = relu(x)',
  '  # before the output',
  '',
  '  output h  # trailing the last statement',
  '  # at the end of the block',
  '}  # after the brace',
  '',
  '# before train',
  'train {  # opening',
  '  epochs = 3  # trailing a setting',
  '  # at the end of train',
  '}',
  '',
  '# at the end of the file',
);

const EXPRESSIONS = `model m{let a=((x))+-y*(z-1)**-2;let b=- -x;let c=-x**2
let d=1.50+2.5E+4-1e-3*007  let e=x==y let f=[ ] let g=[1,[2, 3]] let h=f( ) let i=g(x,axis=- 1,keepdims=true,name="a\\"b\\\\c")
param w:f32[]=zeros() param v:bool[B,2] param u:i32[2,B]=uniform(low=-1,high=1.0)
output o=a@b@(c@d) output p=(a+b)*c/(d-e) loss a<=b}
`;

const EXPRESSIONS_FORMATTED = lines(
  'model m {',
  '  let a = ((x)) + -y * (z - 1) ** -2',
  '  let b = - -x',
  '  let c = -x ** 2',
  '  let d = 1.50 + 2.5E+4 - 1e-3 * 007',
  '  let e = x == y',
  '  let f = []',
  '  let g = [1, [2, 3]]',
  '  let h = f()',
  '  let i = g(x, axis=-1, keepdims=true, name="a\\"b\\\\c")',
  '  param w: f32[] = zeros',
  '  param v: bool[B, 2]',
  '  param u: i32[2, B] = uniform(low=-1, high=1.0)',
  '  output o = a @ b @ (c @ d)',
  '  output p = (a + b) * c / (d - e)',
  '  loss a <= b',
  '}',
);

const GOLDEN: [string, string, string][] = [
  ['every construct, messily laid out', EVERYTHING, EVERYTHING_FORMATTED],
  ['comments in every position', COMMENTS, COMMENTS_FORMATTED],
  ['expressions: spacing, parentheses, numbers and strings as written', EXPRESSIONS, EXPRESSIONS_FORMATTED],
];

const EXAMPLES = readdirSync('examples')
  .filter((f) => f.endsWith('.kiln'))
  .map((f) => [f, readFileSync(`examples/${f}`, 'utf8')] as const);

describe('formatProgram: golden outputs', () => {
  it.each(GOLDEN)('%s', (_name, input, expected) => {
    expect(format(input)).toBe(expected);
  });

  it('keeps the examples, already canonical, unchanged', () => {
    expect(EXAMPLES.length).toBeGreaterThan(3);
    for (const [name, source] of EXAMPLES) expect(format(source), name).toBe(source);
  });

  it('formats an empty file as nothing and a file of comments as its comments', () => {
    expect(format('')).toBe('');
    expect(format('  \n\n')).toBe('');
    expect(format('#a   \n\n\n   # b\n#c')).toBe(lines('#a', '', '# b', '#c'));
  });

  it('keeps imports together and puts one blank line between other declarations', () => {
    const input = 'import "a.kiln" import "b.kiln"\n\n\n\nimport "c.kiln" model m {} train {} def f(x) { return x }';
    expect(format(input)).toBe(lines('import "a.kiln"', 'import "b.kiln"', 'import "c.kiln"', '', 'model m {}', '', 'train {}', '', 'def f(x) {', '  return x', '}'));
  });

  it('drops blank lines after `{` and before `}`, and keeps at most one between statements', () => {
    const input = 'model m {\n\n\n  input x: f32[2]\n\n\n\n  output x\n\n\n}\n';
    expect(format(input)).toBe(lines('model m {', '  input x: f32[2]', '', '  output x', '}'));
  });

  it('reads CRLF line ends and writes LF', () => {
    const input = 'model m {\r\n  input x: f32[B, 2]  # crlf\r\n\r\n\r\n  output x\r\n}\r\n';
    expect(format(input)).toBe(lines('model m {', '  input x: f32[B, 2]  # crlf', '', '  output x', '}'));
  });

  it('moves comments from inside a def header above the def, the last one after the `{`', () => {
    const input = 'def f(a,  # first\n  b,  # second\n  c) {  # third\n  return a\n}\n';
    expect(format(input)).toBe(lines('# first', '# second', 'def f(a, b, c) {  # third', '  return a', '}'));
  });

  it('puts every statement of a line on its own line, a trailing comment on the last', () => {
    const input = 'model m { input x: f32[2]; let y = x; output y  # all three\n}';
    expect(format(input)).toBe(lines('model m {', '  input x: f32[2]', '  let y = x', '  output y  # all three', '}'));
  });
});

// ---- properties over samples and generated programs --------------------------------------

const GENERATED = Array.from({ length: 300 }, (_, seed) => generateProgram(seed));
const SAMPLES: [string, string][] = [
  ...GOLDEN.map(([name, input]) => [name, input] as [string, string]),
  ...EXAMPLES.map(([name, source]) => [name, source] as [string, string]),
  ...GENERATED.map((source, seed) => [`generated #${seed}`, source] as [string, string]),
];

describe('formatProgram: properties', () => {
  it('is idempotent', () => {
    for (const [name, source] of SAMPLES) {
      const once = format(source);
      expect(format(once), name).toBe(once);
    }
  });

  it('keeps the tree (places aside) and every comment, in order', () => {
    for (const [name, source] of SAMPLES) {
      const before = parse(source);
      const after = parse(formatProgram(before));
      expect(tree(after), name).toEqual(tree(before));
      expect(commentTexts(after), name).toEqual(commentTexts(before));
    }
  });

  it('writes no line with trailing blanks, tabs or semicolons outside comments and strings', () => {
    for (const [name, source] of SAMPLES) {
      for (const line of format(source).split('\n')) {
        expect(line, name).not.toMatch(/\s$/);
        expect(line.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/#.*/, ''), name).not.toMatch(/[;\t]/);
      }
    }
  });
});

describe('generateProgram', () => {
  it('is deterministic per seed and varies across seeds', () => {
    expect(generateProgram(7)).toBe(generateProgram(7));
    expect(new Set(GENERATED).size).toBe(GENERATED.length);
  });

  it('writes programs that parse without diagnostics, with comments and messy layout', () => {
    let commented = 0;
    let semicolons = 0;
    for (const source of GENERATED) {
      const p = parse(source);
      if (p.comments.length > 0) commented++;
      if (source.includes(';')) semicolons++;
      expect(p.decls.some((d) => d.kind === 'model')).toBe(true);
    }
    expect(commented).toBeGreaterThan(250);
    expect(semicolons).toBeGreaterThan(200);
  });

  it('honours its options', () => {
    const plain = generateProgram(3, { messy: false, comments: false, train: true, lets: 2 });
    const p = parse(plain);
    expect(p.comments).toEqual([]);
    expect(plain).not.toContain(';');
    expect(p.decls.map((d) => d.kind)).toEqual(['def', 'def', 'model', 'train']);
    expect(parse(generateProgram(3, { train: false })).decls.some((d) => d.kind === 'train')).toBe(false);
  });
});

// ---- lowering: formatting changes no graph ----------------------------------------------

/** The IR text and train settings of `source` lowered, without places, which formatting moves. */
function lowered(source: string): string {
  const program = parse(source);
  const r = lowerProgram(program, { source, file: 'gen.kiln', parse: parseProgram });
  expect(
    r.diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`),
    source,
  ).toEqual([]);
  expect(r.graph, source).toBeDefined();
  const train = JSON.stringify(r.train ?? null, (k, v: unknown) => (PLACES.has(k) ? undefined : v));
  return printGraph(r.graph!).replace(/ loc\([^)]*\)/g, '') + train;
}

describe('generated programs lower to the same graph before and after formatting', () => {
  it('for 200 seeds', () => {
    const ops = new Set<string>();
    for (let seed = 1000; seed < 1200; seed++) {
      const source = generateProgram(seed);
      const ir = lowered(source);
      expect(lowered(format(source)), `seed ${seed}`).toBe(ir);
      for (const m of ir.matchAll(/= (\w+)\(/g)) ops.add(m[1]!);
    }
    // The generator reaches the constructs it promises: operators, reductions, movement, defs.
    const promised = ['matmul', 'add', 'sub', 'mul', 'div', 'pow', 'neg', 'reduce_sum', 'reduce_max', 'mean', 'softmax'];
    for (const op of [...promised, 'log_softmax', 'transpose', 'where', 'max', 'min', 'clip', 'relu', 'softmax_cross_entropy', 'mse']) {
      expect([...ops], op).toContain(op);
    }
  });
});
