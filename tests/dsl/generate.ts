// A seeded generator of random, valid .kiln files: they parse and lower without diagnostics,
// and their layout (spacing, newlines, semicolons, comments, extra parentheses) varies.
//
// Every expression is generated for a target shape, so shapes always agree: a value of shape
// [B, n] is a leaf of that shape, an elementwise op of two such (or one broadcast against it),
// a matmul through a new parameter, a reduction of something wider, and so on.

import { uniform01 } from '../../src/ir/random.js';

export interface GenerateOptions {
  /** Vary spacing, line breaks, semicolons and add redundant parentheses (default true). */
  messy?: boolean;
  /** Sprinkle comments in every position (default true). */
  comments?: boolean;
  /** Add a `train` section (default: decided by the seed). */
  train?: boolean;
  /** How many random `let`s the model has besides the def calls (default: 3 to 8). */
  lets?: number;
}

/** A random valid model file; the same seed and options give the same text. */
export function generateProgram(seed: number, options: GenerateOptions = {}): string {
  return new Generator(seed, options).file();
}

// ---- randomness -------------------------------------------------------------------------

class Rand {
  private i = 0;
  constructor(private readonly seed: number) {}
  float(): number {
    return uniform01(this.seed, this.i++);
  }
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

// ---- expressions and how they print -------------------------------------------------------

type Dim = number | string;
type Shape = Dim[];

type GExpr =
  | { k: 'atom'; text: string }
  | { k: 'neg'; e: GExpr }
  | { k: 'bin'; op: string; l: GExpr; r: GExpr }
  | { k: 'call'; f: string; args: GExpr[]; kw: [string, GExpr][] }
  | { k: 'list'; items: GExpr[] }
  | { k: 'paren'; e: GExpr };

const atom = (text: string | number): GExpr => ({ k: 'atom', text: String(text) });
const call = (f: string, args: GExpr[], kw: [string, GExpr][] = []): GExpr => ({ k: 'call', f, args, kw });
const bin = (op: string, l: GExpr, r: GExpr): GExpr => ({ k: 'bin', op, l, r });
const ints = (xs: number[]): GExpr => ({ k: 'list', items: xs.map((x) => int(x)) });
/** An integer that may be negative: `-1` is unary minus on `1`. */
const int = (x: number): GExpr => (x < 0 ? { k: 'neg', e: atom(-x) } : atom(x));

/** Binding strength, as in the grammar: compare 1, sum 2, product 3, unary 4, power 5, primary 6. */
function level(e: GExpr): number {
  if (e.k === 'neg') return 4;
  if (e.k !== 'bin') return 6;
  if (e.op === '**') return 5;
  if (e.op === '+' || e.op === '-') return 2;
  if (e.op === '*' || e.op === '/' || e.op === '@') return 3;
  return 1;
}

/** The tokens of `e`, parenthesized where the grammar needs it to keep this tree. */
function tokens(e: GExpr, min = 1): string[] {
  if (level(e) < min) return ['(', ...tokens(e, 1), ')'];
  switch (e.k) {
    case 'atom':
      return [e.text];
    case 'neg':
      return [NEG, ...tokens(e.e, 4)];
    case 'paren':
      return ['(', ...tokens(e.e, 1), ')'];
    case 'list':
      return ['[', ...joinComma(e.items.map((x) => tokens(x))), ']'];
    case 'call':
      return [e.f, '(', ...joinComma([...e.args.map((x) => tokens(x)), ...e.kw.map(([k, v]) => [k, KW, ...tokens(v)])]), ')'];
    case 'bin': {
      const l = level(e);
      // Left-associative levels take their own level on the left; ** needs a primary there.
      const [lmin, rmin] = e.op === '**' ? [6, 4] : l === 1 ? [2, 2] : [l, l + 1];
      return [...tokens(e.l, lmin), e.op, ...tokens(e.r, rmin)];
    }
  }
}

// Unary minus and a keyword's `=` are spelled `-` and `=` but laid out tight in the clean layout.
const NEG = 'neg-';
const KW = 'kw=';
const spell = (t: string): string => (t === NEG ? '-' : t === KW ? '=' : t);

function joinComma(parts: string[][]): string[] {
  return parts.flatMap((p, i) => (i === 0 ? p : [',', ...p]));
}

// ---- the generator ------------------------------------------------------------------------

interface Value {
  name: string;
  shape: Shape;
}

const UNARY = ['relu', 'tanh', 'sigmoid', 'abs', 'square', 'exp'];
const COMPARE = ['>', '<', '>=', '<=', '==', '!='];
const FLOATS = ['0.5', '2', '1e-2', '3.0', '0.25', '10', '1.5e0', '2.5E-1'];
const INITS = ['zeros', 'ones', 'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal'];
const WORDS = ['why this is so', 'TODO: tune', 'shape [B, n]', 'see "layers.kiln"', 'a # inside', 'x @ w + b', 'note', ''];
const PREFIXES = ['h', 'a', 't', 'feat', 'gate', 'mix', 'z', 'hidden'];

class Generator {
  private readonly r: Rand;
  private readonly messy: boolean;
  private readonly comments: boolean;
  private readonly batch: string;
  private readonly dims: number[];
  private readonly values: Value[] = [];
  /** Names bound by `let`, the ones `output name` may list. */
  private readonly bound: string[] = [];
  /** Parameters an expression needs, declared just before the statement that uses them. */
  private pending: string[][] = [];
  private names = 0;

  constructor(
    seed: number,
    private readonly options: GenerateOptions,
  ) {
    this.r = new Rand(seed);
    this.messy = options.messy ?? true;
    this.comments = options.comments ?? true;
    this.batch = this.r.pick(['B', 'N', 'batch']);
    const pool = [2, 3, 4, 5, 6, 8];
    this.dims = [];
    while (this.dims.length < 3) {
      const d = this.r.pick(pool);
      if (!this.dims.includes(d)) this.dims.push(d);
    }
  }

  file(): string {
    const decls: string[] = [];
    const lead = this.comment(0.6);
    decls.push(this.block(['def', 'layer', '(', 'v', ',', 'n_in', ',', 'n_out', ')'], this.layerBody()));
    decls.push(this.block(['def', 'gate', '(', 'v', ')'], this.gateBody()));
    decls.push(this.block(['model', this.r.pick(['net', 'mlp', 'm', 'toy_model'])], this.modelBody()));
    if (this.options.train ?? this.r.chance(0.6)) decls.push(this.block(['train'], this.trainBody()));
    const between = (prev: string) => (this.messy ? this.r.pick(['\n', '\n\n', '\n\n\n', ' ']) : prev.endsWith('\n') ? '\n' : '\n\n') + this.comment(0.4);
    const tail = this.comment(0.3);
    return lead + decls.map((d, i) => (i === 0 ? d : between(decls[i - 1]!) + d)).join('') + '\n' + tail;
  }

  // ---- declarations -----------------------------------------------------------------------

  /** A dense layer: `v @ w + b` through a random activation; called twice by the model. */
  private layerBody(): string[][] {
    const stmts: string[][] = [];
    stmts.push(['param', 'w', ':', 'f32', '[', 'n_in', ',', 'n_out', ']', ...this.init(true)]);
    stmts.push(['param', 'b', ':', 'f32', '[', 'n_out', ']', ...this.init(false)]);
    const act = this.r.pick(UNARY.slice(0, 3));
    if (this.r.chance(0.5)) {
      stmts.push(['let', 'z', '=', ...tokens(bin('@', atom('v'), atom('w')))]);
      stmts.push(['return', ...tokens(call(act, [bin('+', atom('z'), atom('b'))]))]);
    } else {
      stmts.push(['return', ...tokens(call(act, [bin('+', bin('@', atom('v'), atom('w')), atom('b'))]))]);
    }
    return stmts;
  }

  /** An elementwise def of any shape: a gated copy of its argument. */
  private gateBody(): string[][] {
    const v = atom('v');
    const body = this.r.pick([bin('*', v, call('sigmoid', [v])), bin('+', bin('*', call('tanh', [v]), atom('0.5')), v), bin('-', v, { k: 'paren', e: bin('**', v, atom(2)) })]);
    return [['return', ...tokens(body)]];
  }

  private modelBody(): string[][] {
    const [d0, d1, d2] = this.dims as [number, number, number];
    const B = this.batch;
    const stmts: string[][] = [];
    const x: Value = { name: 'x', shape: [B, d0] };
    const inputs = [x];
    stmts.push(['input', 'x', ':', 'f32', '[', B, ',', String(d0), ']']);
    if (this.r.chance(0.5)) {
      inputs.push({ name: 'u', shape: [B, d1] });
      stmts.push(['input', 'u', ':', 'f32', '[', B, ',', String(d1), ']']);
    }
    const classify = this.r.chance(0.5);
    if (classify) stmts.push(['input', 'y', ':', 'i32', '[', B, ']']);
    this.values.push(...inputs);

    // The layer def, called twice; the gate def, called twice on different shapes.
    const h1 = this.bind([B, d1]);
    stmts.push(['let', h1.name, '=', ...tokens(call('layer', [atom('x'), atom(d0), atom(d1)]))]);
    this.values.push(h1);
    const lets = this.options.lets ?? 3 + this.r.int(6);
    const calls = new Set([this.r.int(lets), this.r.int(lets)]);
    for (let i = 0; i < lets; i++) {
      stmts.push(...this.randomLet(i === 0 && inputs.length > 1 ? inputs[1]! : undefined));
      if (calls.has(i)) stmts.push(...this.gateCall());
    }
    const src = this.r.pick(this.values.filter((v) => v.shape.length === 2 && v.shape[0] === B));
    const h2 = this.bind([B, d2]);
    stmts.push(['let', h2.name, '=', ...tokens(call('layer', [atom(src.name), atom(src.shape[1]!), atom(d2)]))]);
    this.values.push(h2);
    stmts.push(...this.gateCall());

    // Outputs: a bound value, and a new expression; then the loss.
    stmts.push(['output', this.r.pick(this.bound)]);
    stmts.push(...this.withParams(() => ['output', 'out0', '=', ...tokens(this.gen([B, d2], 2))]));
    if (classify) {
      stmts.push(...this.withParams(() => ['loss', ...tokens(call('softmax_cross_entropy', [this.gen([B, d2], 2), atom('y')]))]));
    } else {
      // A reduction of something computed from the inputs, perhaps plus more scalar terms.
      const loss = () => {
        const main = this.r.chance(0.3)
          ? call('mse', [this.gen([B, d2], 2), this.gen([B, d2], 1)])
          : call(this.r.pick(['mean', 'sum']), [this.gen([B, this.r.pick(this.dims)], 2)]);
        return this.r.chance(0.5) ? main : bin(this.r.pick(['+', '-', '*']), main, this.gen([], 2));
      };
      stmts.push(...this.withParams(() => ['loss', ...tokens(loss())]));
    }
    return stmts;
  }

  private trainBody(): string[][] {
    const lr = atom(this.r.pick(['1e-3', '0.01', '2e-3', '0.1', '5E-4']));
    const optimizer = this.r.pick([
      call(
        'sgd',
        [],
        [
          ['lr', lr],
          ['momentum', atom('0.9')],
          ['nesterov', atom(this.r.pick(['true', 'false']))],
        ],
      ),
      call('adam', [], [['lr', lr]]),
      call(
        'adam',
        [],
        [
          ['lr', lr],
          ['beta1', atom('0.9')],
          ['beta2', atom('0.999')],
          ['eps', atom('1e-8')],
        ],
      ),
      call(
        'adamw',
        [],
        [
          ['lr', lr],
          ['weight_decay', atom('0.01')],
        ],
      ),
    ]);
    const settings: [string, GExpr][] = [
      ['optimizer', optimizer],
      ['epochs', atom(1 + this.r.int(20))],
      ['batch', atom(this.r.pick([16, 32, 128]))],
      ['seed', atom(this.r.int(100))],
      ['patience', atom(1 + this.r.int(5))],
      ['l2', atom('1e-4')],
      ['split', ints([8, 1, 1])],
    ];
    return settings.filter((_, i) => i === 0 || this.r.chance(0.6)).map(([k, v]) => [k, '=', ...tokens(v)]);
  }

  // ---- statements -------------------------------------------------------------------------

  private bind(shape: Shape): Value {
    const name = `${this.r.pick(PREFIXES)}${++this.names}`;
    this.bound.push(name);
    return { name, shape };
  }

  /** A `let` of a random shape, built on `use` when given; the params it needs come first. */
  private randomLet(use?: Value): string[][] {
    const [d0, d1, d2] = this.dims as [number, number, number];
    const B = this.batch;
    const shape = use?.shape ?? this.r.pick<Shape>([[B, d0], [B, d1], [B, d2], [B, d1], [d2], [B, 1], [B], [d0, d1], [d1, B]]);
    const v = this.bind(shape);
    const stmts = this.withParams(() => {
      let e = this.gen(shape, 1 + this.r.int(3));
      if (use) e = bin(this.r.pick(['+', '*', '-']), e, atom(use.name));
      return ['let', v.name, '=', ...tokens(e)];
    });
    this.values.push(v);
    return stmts;
  }

  /** `let g = gate(h)` on some bound value. */
  private gateCall(): string[][] {
    const src = this.r.pick(this.values);
    const v = this.bind(src.shape);
    this.values.push(v);
    return [['let', v.name, '=', ...tokens(call('gate', [atom(src.name)]))]];
  }

  /** The statement `make` builds, preceded by the parameters its expression asked for. */
  private withParams(make: () => string[]): string[][] {
    const stmt = make();
    const params = this.pending;
    this.pending = [];
    return [...params, stmt];
  }

  private newParam(shape: number[]): GExpr {
    const name = `w${++this.names}`;
    this.pending.push(['param', name, ':', 'f32', '[', ...joinComma(shape.map((d) => [String(d)])), ']', ...this.init(shape.length >= 2)]);
    this.values.push({ name, shape });
    return atom(name);
  }

  /** `= zeros`, `= he_normal(seed=3)`, `= uniform(low=-0.1, high=0.1)`, ... or the default. */
  private init(matrix: boolean): string[] {
    if (this.r.chance(0.25)) return [];
    const seed: [string, GExpr][] = this.r.chance(0.5) ? [['seed', atom(this.r.int(50))]] : [];
    const choice = this.r.int(5);
    let e: GExpr;
    if (choice === 0) e = atom(this.r.pick(INITS.slice(0, 2)));
    else if (choice === 1) e = call('constant', [], [['value', this.r.chance(0.5) ? atom('0.1') : int(-2)]]);
    else if (choice === 2) e = call('uniform', [], [['low', { k: 'neg', e: atom('0.1') }], ['high', atom('0.1')], ...seed]);
    else if (choice === 3) e = call('normal', [], [['mean', atom(0)], ['std', atom('0.02')], ...seed]);
    else {
      const name = this.r.pick(matrix ? INITS.slice(2) : INITS.slice(0, 2));
      e = seed.length > 0 && matrix ? call(name, [], seed) : atom(name);
    }
    return ['=', ...tokens(e)];
  }

  // ---- expressions of a given shape -------------------------------------------------------

  /** An f32 expression of exactly `shape`, about `depth` operators deep. */
  private gen(shape: Shape, depth: number): GExpr {
    const e = this.genInner(shape, depth);
    // Redundant parentheses: the formatter must keep them.
    return this.messy && depth > 0 && this.r.chance(0.12) ? { k: 'paren', e } : e;
  }

  private genInner(shape: Shape, depth: number): GExpr {
    if (depth <= 0) return this.leaf(shape);
    const d = depth - 1;
    const rank = shape.length;
    const choices: (() => GExpr)[] = [
      () => this.leaf(shape),
      () => call(this.r.pick(UNARY), [this.gen(shape, d)]),
      () => ({ k: 'neg', e: this.gen(shape, d) }),
      () => this.arith(shape, d),
      () => this.arith(shape, d),
      () => bin('**', this.gen(shape, d), this.r.pick([atom(2), atom('0.5'), atom(3)])),
      () => call(this.r.pick(['max', 'min']), [this.gen(shape, d), this.gen(shape, d)]),
      () =>
        call(
          'clip',
          [this.gen(shape, d)],
          [
            ['min', int(-1)],
            ['max', atom('1.0')],
          ],
        ),
      () => call('where', [bin(this.r.pick(COMPARE), this.gen(shape, d), this.operand(shape, d)), this.gen(shape, d), this.gen(shape, d)]),
    ];
    if (rank >= 1) choices.push(() => call(this.r.pick(['softmax', 'log_softmax']), [this.gen(shape, d)], this.r.chance(0.5) ? [['axis', int(-1)]] : []));
    if (rank === 2) {
      choices.push(() => this.matmul(shape, d));
      choices.push(() => call('transpose', [this.gen([shape[1]!, shape[0]!], d)], [['perm', ints([1, 0])]]));
    }
    return this.r.pick(choices)();
  }

  /** `a op b` where b is the same shape, a broadcastable suffix, a keepdims column or a number. */
  private arith(shape: Shape, d: number): GExpr {
    const op = this.r.pick(['+', '-', '*', '/', '+', '*']);
    const a = this.gen(shape, d);
    const b = this.operand(shape, d);
    return this.r.chance(0.3) ? bin(op, b, a) : bin(op, a, b);
  }

  /** Something that broadcasts against `shape` without changing it. */
  private operand(shape: Shape, d: number): GExpr {
    const options: (() => GExpr)[] = [() => this.gen(shape, d), () => atom(this.r.pick(FLOATS)), () => ({ k: 'neg', e: atom(this.r.pick(FLOATS)) })];
    if (shape.length === 2) {
      options.push(() => this.gen(shape.slice(1), d));
      if (shape[0] === this.batch) options.push(() => this.gen([this.batch, 1], d));
    }
    return this.r.pick(options)();
  }

  /** [m, n] as [m, k] @ [k, n], the right side a new parameter or any [k, n] expression. */
  private matmul(shape: Shape, d: number): GExpr {
    const k = this.r.pick(this.dims);
    const [m, n] = shape as [Dim, Dim];
    const right = typeof n === 'number' && this.r.chance(0.6) ? this.newParam([k, n]) : this.gen([k, n], d);
    return bin('@', this.gen([m, k], d), right);
  }

  /** A bound value of `shape`, or the shortest way to make one from values that exist. */
  private leaf(shape: Shape): GExpr {
    const same = this.values.filter((v) => sameShape(v.shape, shape));
    if (same.length > 0 && this.r.chance(0.85)) return atom(this.r.pick(same).name);
    const B = this.batch;
    if (shape.every((x): x is number => typeof x === 'number')) return this.newParam(shape);
    const wide = () => this.leaf([B, this.r.pick(this.dims)]);
    if (shape.length === 0) {
      return this.r.chance(0.5) ? call('sum', [this.leaf(this.r.pick(this.values).shape)]) : call('mean', [wide()], [['axes', ints([0, 1])]]);
    }
    if (shape.length === 1) return call(this.r.pick(['sum', 'mean', 'max']), [wide()], [['axis', this.r.pick([atom(1), int(-1)])]]);
    if (shape[1] === 1)
      return call(
        this.r.pick(['sum', 'mean', 'max']),
        [wide()],
        [
          ['axis', atom(1)],
          ['keepdims', atom('true')],
        ],
      );
    if (shape[0] !== B) return call('transpose', [this.leaf([shape[1]!, shape[0]!])], [['perm', ints([1, 0])]]);
    // [B, n]: an existing [B, k] through a new [k, n] parameter.
    const src = this.r.pick(this.values.filter((v) => v.shape.length === 2 && v.shape[0] === B && typeof v.shape[1] === 'number'));
    return bin('@', atom(src.name), this.newParam([src.shape[1] as number, shape[1] as number]));
  }

  // ---- layout ------------------------------------------------------------------------------

  /** `head { stmt... }` with the statements laid out and commented at random. */
  private block(head: string[], stmts: string[][]): string {
    const parts: string[] = [this.join(head), this.sep(' ', [' ', '', '\n']), '{'];
    parts.push(this.trailing(0.3) || this.sep('\n', ['\n', ' ', '\n\n']));
    stmts.forEach((s, i) => {
      const pad = this.sep('  ', ['', ' ', '  ', '  ', '    ']);
      parts.push(this.comment(0.15, pad), pad, this.join(s));
      if (this.messy && this.r.chance(0.3)) parts.push(this.r.pick([';', ' ;']));
      const last = i === stmts.length - 1;
      // Statements may share a line: newlines separate nothing in the language.
      parts.push(this.trailing(0.2) || (last ? '\n' : this.sep('\n', ['\n', ' ', '\n\n', '  ', '\n\n\n'])));
    });
    parts.push(this.comment(0.2, '  '), '}', this.trailing(0.2));
    return parts.join('');
  }

  /** Tokens with a space, nothing, a line break or a comment between them. */
  private join(ts: string[]): string {
    let out = spell(ts[0] ?? '');
    for (let i = 1; i < ts.length; i++) {
      const a = spell(ts[i - 1]!);
      const b = spell(ts[i]!);
      const tight = (isPunct(a) || isPunct(b)) && !(a === '-' && b === '-');
      let sep = this.canonicalSep(ts[i - 1]!, ts[i]!);
      if (this.messy) {
        const roll = this.r.float();
        if (roll < 0.04) sep = '\n' + ' '.repeat(this.r.int(6));
        else if (roll < 0.06 && this.comments) sep = this.trailing(1) + '    ';
        else if (roll < 0.3) sep = tight ? '' : ' ';
        else if (roll < 0.4) sep = '  ';
      }
      out += sep + b;
    }
    return out;
  }

  /** The spacing the formatter would use, near enough: the generator's clean layout. */
  private canonicalSep(a: string, b: string): string {
    if (a === NEG && b !== NEG) return '';
    return [',', ')', ']', ':', '(', '[', KW].includes(b) || ['(', '[', KW].includes(a) ? '' : ' ';
  }

  /** `clean` in the clean layout, else one of `messy`. */
  private sep(clean: string, messy: string[]): string {
    return this.messy ? this.r.pick(messy) : clean;
  }

  /** `  # text` plus the line break, with probability p (when comments are on). */
  private trailing(p: number): string {
    return this.comments && this.r.chance(p) ? `${this.r.pick(['  ', ' ', ''])}#${this.words()}\n` : '';
  }

  /** A comment on its own line, at `indent`, with probability p. */
  private comment(p: number, indent = ''): string {
    if (!this.comments || !this.r.chance(p)) return '';
    const lines = 1 + this.r.int(2);
    let out = '';
    for (let i = 0; i < lines; i++) out += `${indent}#${this.words()}\n${i === 0 && this.r.chance(0.2) ? '\n' : ''}`;
    return out;
  }

  private words(): string {
    return (this.r.chance(0.8) ? ' ' : '') + this.r.pick(WORDS) + (this.r.chance(0.1) ? '   ' : '');
  }
}

const PUNCT = new Set(['(', ')', '[', ']', '{', '}', ',', '=', ':', ';', '@', '+', '-', '*', '/', '**', '==', '!=', '<', '<=', '>', '>=']);

function isPunct(t: string): boolean {
  return PUNCT.has(t);
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
