// The .kiln parser on valid programs: every construct, operator precedence and associativity
// (as S-expressions), exact spans, comments, and a 2,000-line file.

import { describe, expect, it } from 'vitest';
import type { CallExpr, Decl, DefDecl, Expr, ModelDecl, Program, Stmt, TrainDecl } from '../../src/frontend/dsl/ast.js';
import { parseProgram } from '../../src/frontend/dsl/parser.js';

/** Parses and insists on no diagnostics. */
function parse(source: string, file?: string): Program {
  const { program, diagnostics } = parseProgram(source, file);
  expect(diagnostics).toEqual([]);
  return program;
}

/** An expression as an S-expression: `(+ a (* b c))`, `(paren x)`, `(call f x axis=1)`, `[1 2]`. */
function sexpr(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return e.text;
    case 'bool':
      return String(e.value);
    case 'string':
      return JSON.stringify(e.value);
    case 'name':
      return e.name;
    case 'list':
      return `[${e.items.map(sexpr).join(' ')}]`;
    case 'unary':
      return `(- ${sexpr(e.operand)})`;
    case 'binary':
      return `(${e.op} ${sexpr(e.left)} ${sexpr(e.right)})`;
    case 'paren':
      return `(paren ${sexpr(e.inner)})`;
    case 'call':
      return `(call ${[e.callee, ...e.args.map(sexpr), ...e.kwargs.map((k) => `${k.name}=${sexpr(k.value)}`)].join(' ')})`;
  }
}

/** The expression of `let e = <source>` inside a model. */
function expr(source: string): Expr {
  const stmt = model(`model m { let e = ${source} }`).body[0]!;
  if (stmt.kind !== 'let') throw new Error('not a let');
  return stmt.value;
}

function model(source: string): ModelDecl {
  return only(parse(source).decls, 'model');
}

function only<K extends Decl['kind']>(decls: Decl[], kind: K): Extract<Decl, { kind: K }> {
  expect(decls.map((d) => d.kind)).toEqual([kind]);
  return decls[0] as Extract<Decl, { kind: K }>;
}

/** A statement without its spans, to compare shapes. */
function shape(node: unknown): unknown {
  return JSON.parse(JSON.stringify(node, (k, v: unknown) => (['span', 'end', 'nameSpan', 'calleeSpan'].includes(k) ? undefined : v))) as unknown;
}

describe('declarations', () => {
  it('reads an import, its path unescaped', () => {
    const d = only(parse('import "layers.kiln"').decls, 'import');
    expect(d.path).toBe('layers.kiln');
    expect(only(parse('import "a \\"b\\" \\\\ c"').decls, 'import').path).toBe('a "b" \\ c');
  });

  it('reads defs with no, one and several parameters', () => {
    const p = parse('def a() { return 1 }\ndef b(x) { return x }\ndef c(x, n_in, n_out) {\n  return x\n}');
    const defs = p.decls as DefDecl[];
    expect(defs.map((d) => [d.kind, d.name, d.params.map((q) => q.name)])).toEqual([
      ['def', 'a', []],
      ['def', 'b', ['x']],
      ['def', 'c', ['x', 'n_in', 'n_out']],
    ]);
    expect(defs[2]!.params[2]!.span).toEqual({ line: 3, col: 16, offset: 58 });
    expect(defs[2]!.body.map((s) => s.kind)).toEqual(['return']);
  });

  it('reads an empty model and several declarations in order', () => {
    const p = parse('model a {}\nimport "x.kiln"\nmodel b { }\ntrain {}');
    expect(p.decls.map((d) => d.kind)).toEqual(['model', 'import', 'model', 'train']);
    expect((p.decls[0] as ModelDecl).body).toEqual([]);
    expect((p.decls[3] as TrainDecl).settings).toEqual([]);
  });

  it('reads train settings with and without semicolons', () => {
    const withSemis = only(parse('train { optimizer = adam(lr=1e-3); epochs = 10; batch = 128; }').decls, 'train');
    const without = only(parse('train {\n  optimizer = adam(lr=1e-3)\n  epochs = 10 batch = 128\n}').decls, 'train');
    for (const t of [withSemis, without]) {
      expect(t.settings.map((s) => `${s.name}=${sexpr(s.value)}`)).toEqual(['optimizer=(call adam lr=1e-3)', 'epochs=10', 'batch=128']);
    }
    const more = only(parse('train { dataset = "csv:data.csv"; split = [8, 1, 1]; l2 = 1e-4 }').decls, 'train');
    expect(more.settings.map((s) => `${s.name}=${sexpr(s.value)}`)).toEqual(['dataset="csv:data.csv"', 'split=[8 1 1]', 'l2=1e-4']);
  });

  it('parses the example of docs/language.md', () => {
    const p = parse(
      [
        '# An MLP for the mnist digits.',
        'import "layers.kiln"',
        '',
        'model mnist_mlp {',
        '  input x: f32[B, 784]',
        '  input y: i32[B]',
        '  let h1 = dense_relu(x, 784, 256)',
        '  let h2 = dense_relu(h1, 256, 256)',
        '  param w3: f32[256, 10] = glorot_uniform(seed=3)',
        '  param b3: f32[10] = zeros',
        '  let logits = h2 @ w3 + b3',
        '  output logits',
        '  output accuracy = accuracy(logits, y)',
        '  loss softmax_cross_entropy(logits, y)',
        '}',
        '',
        'train {',
        '  optimizer = adam(lr=1e-3)',
        '  epochs = 10',
        '  batch = 128',
        '}',
      ].join('\n'),
    );
    expect(p.decls.map((d) => d.kind)).toEqual(['import', 'model', 'train']);
    expect((p.decls[1] as ModelDecl).body.map((s) => s.kind)).toEqual(['input', 'input', 'let', 'let', 'param', 'param', 'let', 'output', 'output', 'loss']);
    expect(p.comments.map((c) => c.text)).toEqual([' An MLP for the mnist digits.']);
  });
});

describe('statements', () => {
  it('reads every kind, with and without semicolons, across lines', () => {
    const m = model(
      [
        'model m {',
        '  input x: f32[B, 4];',
        '  param w: f32[4, 2] = he_normal(seed=1)',
        '  param b: f32[2];',
        '  let h = x @ w',
        '    + b',
        '  output h;',
        '  output y = relu(h)',
        '  loss sum(y); return y',
        '}',
      ].join('\n'),
    );
    expect(shape(m.body)).toEqual([
      {
        kind: 'input',
        name: 'x',
        type: {
          dtype: 'f32',
          dims: [
            { kind: 'name', name: 'B' },
            { kind: 'number', value: 4, text: '4' },
          ],
        },
      },
      {
        kind: 'param',
        name: 'w',
        type: {
          dtype: 'f32',
          dims: [
            { kind: 'number', value: 4, text: '4' },
            { kind: 'number', value: 2, text: '2' },
          ],
        },
        init: { name: 'he_normal', kwargs: [{ name: 'seed', value: { kind: 'number', value: 1, text: '1' } }] },
      },
      { kind: 'param', name: 'b', type: { dtype: 'f32', dims: [{ kind: 'number', value: 2, text: '2' }] } },
      {
        kind: 'let',
        name: 'h',
        value: {
          kind: 'binary',
          op: '+',
          left: { kind: 'binary', op: '@', left: { kind: 'name', name: 'x' }, right: { kind: 'name', name: 'w' } },
          right: { kind: 'name', name: 'b' },
        },
      },
      { kind: 'output', name: 'h' },
      { kind: 'output', name: 'y', value: { kind: 'call', callee: 'relu', args: [{ kind: 'name', name: 'h' }], kwargs: [] } },
      { kind: 'loss', value: { kind: 'call', callee: 'sum', args: [{ kind: 'name', name: 'y' }], kwargs: [] } },
      { kind: 'return', value: { kind: 'name', name: 'y' } },
    ]);
    const out = m.body[4] as Extract<Stmt, { kind: 'output' }>;
    expect('value' in out).toBe(false);
  });

  it('reads types with numeric, symbolic and no dims, in every dtype', () => {
    const m = model('model m { input a: f32[]; input b: i32[B]; input c: bool[2, N, 3]; param s: f32[] = zeros }');
    const types = m.body.map((s) => (s.kind === 'input' || s.kind === 'param' ? s.type : undefined));
    expect(types.map((t) => `${t!.dtype}[${t!.dims.map((d) => (d.kind === 'number' ? d.text : d.name)).join(',')}]`)).toEqual(['f32[]', 'i32[B]', 'bool[2,N,3]', 'f32[]']);
  });

  it('reads initializers bare, with empty parentheses and with keyword arguments', () => {
    const m = model('model m { param a: f32[2] = zeros; param b: f32[2] = ones(); param c: f32[2] = uniform(low=-1, high=1.5, seed=7); param d: f32[2] }');
    const inits = m.body.map((s) => (s.kind === 'param' ? s.init : undefined));
    expect(inits.map((i) => i && `${i.name}(${i.kwargs.map((k) => `${k.name}=${sexpr(k.value)}`).join(',')})`)).toEqual([
      'zeros()',
      'ones()',
      'uniform(low=(- 1),high=1.5,seed=7)',
      undefined,
    ]);
  });

  it('reads names that start with a keyword as names', () => {
    const m = model('model models { let letter = input_x + output2 + returned + trueish + false_ }');
    expect(m.name).toBe('models');
    expect(sexpr((m.body[0] as Extract<Stmt, { kind: 'let' }>).value)).toBe('(+ (+ (+ (+ input_x output2) returned) trueish) false_)');
  });
});

describe('expressions', () => {
  it('reads literals: numbers as written, bools, strings with escapes', () => {
    expect(sexpr(expr('[12, 0.5, 1e-3, 2.5E+4, 3e2, 007]'))).toBe('[12 0.5 1e-3 2.5E+4 3e2 007]');
    const numbers = expr('[12, 0.5, 1e-3, 2.5E+4]');
    expect(numbers.kind === 'list' && numbers.items.map((n) => (n.kind === 'number' ? n.value : NaN))).toEqual([12, 0.5, 0.001, 25000]);
    expect(expr('true')).toMatchObject({ kind: 'bool', value: true });
    expect(expr('false')).toMatchObject({ kind: 'bool', value: false });
    expect(expr('"say \\"hi\\" \\\\ # not a comment"')).toMatchObject({ kind: 'string', value: 'say "hi" \\ # not a comment' });
    expect(expr('""')).toMatchObject({ kind: 'string', value: '' });
  });

  it('reads lists, empty and nested', () => {
    expect(sexpr(expr('[]'))).toBe('[]');
    expect(sexpr(expr('[[1, 2], [], [x + 1]]'))).toBe('[[1 2] [] [(+ x 1)]]');
  });

  it('reads calls with positional, keyword and no arguments', () => {
    expect(sexpr(expr('f()'))).toBe('(call f)');
    expect(sexpr(expr('reduce_sum(x, axes=[1], keepdims=true)'))).toBe('(call reduce_sum x axes=[1] keepdims=true)');
    expect(sexpr(expr('max(a, b * 2)'))).toBe('(call max a (* b 2))');
    expect(sexpr(expr('f(g(x), y == 1, axis=h(z, k=-1))'))).toBe('(call f (call g x) (== y 1) axis=(call h z k=(- 1)))');
    const call = expr('sum(x, axis=1)') as CallExpr;
    expect(call.args.length).toBe(1);
    expect(call.kwargs.map((k) => k.name)).toEqual(['axis']);
  });

  it.each([
    // one level at a time, loosest first
    ['a == b', '(== a b)'],
    ['a != b', '(!= a b)'],
    ['a < b', '(< a b)'],
    ['a <= b', '(<= a b)'],
    ['a > b', '(> a b)'],
    ['a >= b', '(>= a b)'],
    ['a + b < c * d', '(< (+ a b) (* c d))'],
    ['a + b * c', '(+ a (* b c))'],
    ['a * b + c', '(+ (* a b) c)'],
    ['a - b - c', '(- (- a b) c)'],
    ['a + b - c + d', '(+ (- (+ a b) c) d)'],
    ['a / b / c', '(/ (/ a b) c)'],
    ['a @ b * c', '(* (@ a b) c)'],
    ['a * b @ c / d', '(/ (@ (* a b) c) d)'],
    ['-a * b', '(* (- a) b)'],
    ['a * -b', '(* a (- b))'],
    ['a - -b', '(- a (- b))'],
    ['- - a', '(- (- a))'],
    ['-x ** 2', '(- (** x 2))'],
    ['2 ** -x', '(** 2 (- x))'],
    ['2 ** 3 ** 2', '(** 2 (** 3 2))'],
    ['2 ** -3 ** 2', '(** 2 (- (** 3 2)))'],
    ['a ** 2 * b', '(* (** a 2) b)'],
    ['-a ** b ** c', '(- (** a (** b c)))'],
    ['f(x) ** 2', '(** (call f x) 2)'],
    // parentheses regroup and stay in the tree
    ['(a + b) * c', '(* (paren (+ a b)) c)'],
    ['a - (b - c)', '(- a (paren (- b c)))'],
    ['(-x) ** 2', '(** (paren (- x)) 2)'],
    ['(a < b) == (c < d)', '(== (paren (< a b)) (paren (< c d)))'],
    ['((a))', '(paren (paren a))'],
    ['x @ w + b', '(+ (@ x w) b)'],
    ['1 - 2 * 3 ** 4 ** 5 / -6 + 7 >= 8', '(>= (+ (- 1 (/ (* 2 (** 3 (** 4 5))) (- 6))) 7) 8)'],
  ])('%s  →  %s', (source, expected) => {
    expect(sexpr(expr(source))).toBe(expected);
  });
});

describe('spans', () => {
  const source = 'model m {\n  let h = relu(x @ w + b)  # hidden\n  output h\n}\n';
  const file = 'net.kiln';

  it('places declarations, statements and names, with end just past the construct', () => {
    const m = only(parse(source, file).decls, 'model');
    expect(m.span).toEqual({ file, line: 1, col: 1, offset: 0 });
    expect(m.end).toEqual({ file, line: 4, col: 2, offset: source.length - 1 });
    expect(m.nameSpan).toEqual({ file, line: 1, col: 7, offset: 6 });
    const let_ = m.body[0] as Extract<Stmt, { kind: 'let' }>;
    expect(let_.span).toEqual({ file, line: 2, col: 3, offset: 12 });
    expect(let_.nameSpan).toEqual({ file, line: 2, col: 7, offset: 16 });
    expect(let_.end).toEqual({ file, line: 2, col: 26, offset: 35 });
    const out = m.body[1]!;
    expect([out.span, out.end]).toEqual([
      { file, line: 3, col: 3, offset: 48 },
      { file, line: 3, col: 11, offset: 56 },
    ]);
  });

  it('places expressions: a call, its callee, its operands', () => {
    const m = only(parse(source, file).decls, 'model');
    const call = (m.body[0] as Extract<Stmt, { kind: 'let' }>).value as CallExpr;
    expect(call.span).toEqual({ file, line: 2, col: 11, offset: 20 });
    expect(call.calleeSpan).toEqual(call.span);
    expect(call.end).toEqual({ file, line: 2, col: 26, offset: 35 });
    const sum = call.args[0]!;
    expect(sexpr(sum)).toBe('(+ (@ x w) b)');
    expect([sum.span.col, sum.end.col]).toEqual([16, 25]);
    expect(source.slice(sum.span.offset, sum.end.offset)).toBe('x @ w + b');
  });

  it('covers exactly the source text of each node', () => {
    const text = 'model m { let e = -(a + 2.5e-3) ** [1, "s"] @ f(x, k=true) }';
    const e = (only(parse(text).decls, 'model').body[0] as Extract<Stmt, { kind: 'let' }>).value;
    const pieces: string[] = [];
    const walk = (x: Expr): void => {
      pieces.push(text.slice(x.span.offset, x.end.offset));
      if (x.kind === 'unary') walk(x.operand);
      if (x.kind === 'binary') {
        walk(x.left);
        walk(x.right);
      }
      if (x.kind === 'paren') walk(x.inner);
      if (x.kind === 'list') x.items.forEach(walk);
      if (x.kind === 'call') {
        x.args.forEach(walk);
        x.kwargs.forEach((k) => walk(k.value));
      }
    };
    walk(e);
    expect(pieces).toEqual([
      '-(a + 2.5e-3) ** [1, "s"] @ f(x, k=true)',
      '-(a + 2.5e-3) ** [1, "s"]',
      '(a + 2.5e-3) ** [1, "s"]',
      '(a + 2.5e-3)',
      'a + 2.5e-3',
      'a',
      '2.5e-3',
      '[1, "s"]',
      '1',
      '"s"',
      'f(x, k=true)',
      'x',
      'true',
    ]);
  });

  it('places types, initializers, keyword arguments and settings', () => {
    const text = 'model m { param w: f32[2, N] = normal(std=0.1) }\ntrain { epochs = 3; }';
    const p = parse(text);
    const param = (p.decls[0] as ModelDecl).body[0] as Extract<Stmt, { kind: 'param' }>;
    const slice = (n: { span: { offset: number }; end: { offset: number } }) => text.slice(n.span.offset, n.end.offset);
    expect(slice(param)).toBe('param w: f32[2, N] = normal(std=0.1)');
    expect(slice(param.type)).toBe('f32[2, N]');
    expect(slice(param.init!)).toBe('normal(std=0.1)');
    expect(slice(param.init!.kwargs[0]!)).toBe('std=0.1');
    const train = p.decls[1] as TrainDecl;
    expect(slice(train)).toBe('train { epochs = 3; }');
    expect(slice(train.settings[0]!)).toBe('epochs = 3');
    expect(train.span).toEqual({ line: 2, col: 1, offset: 49 });
  });

  it('counts lines the same for \\n, \\r\\n and \\r', () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const m = only(parse(`model m {${nl}${nl}  let x = 1${nl}}`).decls, 'model');
      expect([m.body[0]!.span.line, m.body[0]!.span.col]).toEqual([3, 3]);
    }
  });
});

describe('comments', () => {
  it('collects every comment in order with its span, and the program file', () => {
    const text = '# head\nmodel m { # after brace\n  let x = 1 # trailing: "not a string"\n}\n#last';
    const p = parse(text, 'c.kiln');
    expect(p.file).toBe('c.kiln');
    expect(p.comments).toEqual([
      { text: ' head', span: { file: 'c.kiln', line: 1, col: 1, offset: 0 } },
      { text: ' after brace', span: { file: 'c.kiln', line: 2, col: 11, offset: 17 } },
      { text: ' trailing: "not a string"', span: { file: 'c.kiln', line: 3, col: 13, offset: 43 } },
      { text: 'last', span: { file: 'c.kiln', line: 5, col: 1, offset: 72 } },
    ]);
    expect(p.decls.length).toBe(1);
  });

  it('parses a file of only comments and blank space to nothing', () => {
    const p = parse('\n  # one\n\t# two\n\n');
    expect(p.decls).toEqual([]);
    expect(p.comments.map((c) => c.text)).toEqual([' one', ' two']);
    expect(parse('').decls).toEqual([]);
    expect('file' in parse('')).toBe(false);
  });
});

describe('a large file', () => {
  /** 2,000 lines of defs, a model and settings, every construct at least once. */
  function generate(lines: number): string {
    const out: string[] = ['import "layers.kiln"'];
    for (let i = 0; out.length < lines - 12; i++) {
      out.push(
        `# block ${i}`,
        `def block${i}(x, n_in, n_out) {`,
        `  param w: f32[n_in, n_out] = he_normal(seed=${i});`,
        `  param b: f32[n_out] = zeros`,
        `  let h = relu(x @ w + b) * 0.5e-1 - -x ** 2 / (1 + mean(x, axis=[1], keepdims=true))`,
        `  return h >= 0`,
        `}`,
      );
    }
    out.push(
      'model big {',
      '  input x: f32[B, 64]',
      '  input y: i32[B]',
      '  let h = block0(x, 64, 64)',
      '  output logits = h',
      '  loss softmax_cross_entropy(h, y)',
      '}',
      'train {',
      '  optimizer = adam(lr=1e-3, beta1=0.9)',
      '  dataset = "csv:data/big.csv"; split = [8, 1, 1]',
      '}',
    );
    while (out.length < lines) out.push('# padding');
    return out.join('\n');
  }

  // Its speed is measured side by side in bench/dsl.ts (`npm run bench:dsl`), not timed here.
  it('parses 2,000 lines without diagnostics', () => {
    const source = generate(2000);
    expect(source.split('\n').length).toBe(2000);
    const first = parseProgram(source, 'big.kiln');
    expect(first.diagnostics).toEqual([]);
    expect(first.program.decls.length).toBe(source.match(/^def /gm)!.length + 3);
  });
});
