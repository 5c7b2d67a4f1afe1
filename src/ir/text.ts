// The IR's text form. printGraph writes one declaration per line in a stable order; parseGraph
// reads it back with a small hand-written lexer and recursive-descent parser, then verifies it.
//
//   graph mlp {
//     input x: f32[B, 784]
//     param w1: f32[784, 256] = glorot_uniform(seed=1)
//     %t0 = matmul(%x, %w1) : f32[B, 256]
//     %t1 = reduce_sum(%t0) {axes=[1], keepdims=false} : f32[B] loc("mlp.kiln":3:5)
//     output logits = %t1
//   }

import { fail } from './errors.js';
import type { SourceSpan } from './errors.js';
import { IDENT, checkedNode } from './graph.js';
import type { Graph, Initializer, InputDecl, Node, OutputDecl, ParamDecl, UpdateDecl } from './graph.js';
import { INITIALIZERS } from './init.js';
import { checkAttrName, checkAttrs } from './op.js';
import type { AttrKind, AttrSchema, AttrValue } from './op.js';
import { OPS, getOp } from './ops/index.js';
import { DIM_RULE, DTYPES, formatType, isDType, isValidDim } from './types.js';
import type { Dim, TensorType } from './types.js';
import { verify } from './verify.js';
import type { GraphSite } from './verify.js';

/** `rec[key]` for own keys only: a key like 'constructor' must not find Object.prototype's. */
function own<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

// ---- printing ---------------------------------------------------------------------------

/** A number that reads back as the same double: String(n) does, plus -0, inf, -inf and nan. */
function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

function formatValue(v: unknown, kind: AttrKind | undefined): string {
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, kind)).join(', ')}]`;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return String(v);
  // dtypes and shape symbols are bare words; every other string is quoted.
  if (typeof v === 'string' && (kind === 'dtype' || kind === 'shape') && IDENT.test(v)) return v;
  return JSON.stringify(v) ?? String(v);
}

/** `k=v` pairs in schema order, then any keys the schema lacks (only in malformed graphs). */
function formatArgs(values: Readonly<Record<string, unknown>>, schema: AttrSchema | undefined): string {
  const keys = Object.keys(schema ?? {}).filter((k) => values[k] !== undefined);
  for (const k of Object.keys(values)) if (!keys.includes(k) && values[k] !== undefined) keys.push(k);
  return keys.map((k) => `${k}=${formatValue(values[k], schema?.[k]?.kind)}`).join(', ');
}

function formatLoc(span: SourceSpan | undefined): string {
  if (!span) return '';
  const file = span.file !== undefined ? `${JSON.stringify(span.file)}:` : '';
  return ` loc(${file}${formatNumber(span.line)}:${formatNumber(span.col)})`;
}

function formatInit(init: Initializer): string {
  return `${init.fn}(${formatArgs(init.args, own(INITIALIZERS, init.fn)?.args)})`;
}

/** One node as it appears in the text form: `%t1 = add(%t0, %b) : f32[B, 3]`. */
export function printNode(n: Node): string {
  const args = formatArgs(n.attrs, OPS.get(n.op)?.attrs);
  const attrs = args ? ` {${args}}` : '';
  return `%${n.name} = ${n.op}(${n.inputs.map((v) => `%${v}`).join(', ')})${attrs} : ${formatType(n.type)}${formatLoc(n.span)}`;
}

/** The text form of a graph: two-space indentation, one declaration per line, a final newline. */
export function printGraph(g: Graph): string {
  const lines = [`graph ${g.name} {`];
  for (const i of g.inputs) lines.push(`  input ${i.name}: ${formatType(i.type)}${formatLoc(i.span)}`);
  for (const p of g.params) lines.push(`  param ${p.name}: ${formatType(p.type)} = ${formatInit(p.init)}${formatLoc(p.span)}`);
  for (const n of g.nodes) lines.push(`  ${printNode(n)}`);
  for (const o of g.outputs) lines.push(`  output ${o.name} = %${o.value}${formatLoc(o.span)}`);
  for (const u of g.updates) lines.push(`  update ${u.param} = %${u.value}${formatLoc(u.span)}`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

// ---- lexing -----------------------------------------------------------------------------

type TokenKind = 'word' | 'number' | 'string' | 'value' | 'punct' | 'bad' | 'eof';

interface Token {
  kind: TokenKind;
  /** The source text of the token. */
  text: string;
  /** Offset, line and column of its first character. */
  pos: number;
  line: number;
  col: number;
}

const PUNCT = '{}()[],:=-';
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const NAME_CHARS = /[A-Za-z0-9_.]+/y;

/** Tokens on demand, so the parser can ask for a value name where one must come. */
class Lexer {
  private pos = 0;
  private line = 1;
  private col = 1;

  constructor(
    private readonly src: string,
    private readonly file: string | undefined,
  ) {}

  spanAt(t: { line: number; col: number }): SourceSpan {
    return this.file !== undefined ? { file: this.file, line: t.line, col: t.col } : { line: t.line, col: t.col };
  }

  /** Moves back to the start of `t`, which was read but not used. */
  rewind(t: Token): void {
    this.pos = t.pos;
    this.line = t.line;
    this.col = t.col;
  }

  private advance(n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.src[this.pos++] === '\n') {
        this.line++;
        this.col = 1;
      } else {
        this.col++;
      }
    }
  }

  /** Skips blanks, newlines and `#` comments. */
  private skipTrivia(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.advance(1);
      else if (c === '#') while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.advance(1);
      else return;
    }
  }

  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    return re.exec(this.src)?.[0];
  }

  private make(kind: TokenKind, text: string): Token {
    const t = { kind, text, pos: this.pos, line: this.line, col: this.col };
    this.advance(text.length);
    return t;
  }

  next(): Token {
    this.skipTrivia();
    const c = this.src[this.pos];
    if (c === undefined) return { kind: 'eof', text: '', pos: this.pos, line: this.line, col: this.col };
    const num = this.match(NUMBER);
    if (num) return this.make('number', num);
    const word = this.match(WORD);
    if (word) return this.make('word', word);
    if (c === '%') {
      const name = this.match(/%[A-Za-z0-9_.]+/y);
      return this.make(name ? 'value' : 'bad', name ?? c);
    }
    if (c === '"') return this.make('string', this.stringText());
    if (PUNCT.includes(c)) return this.make('punct', c);
    return this.make('bad', String.fromCodePoint(this.src.codePointAt(this.pos)!));
  }

  /** The raw text of the string literal at the current position, quotes included. */
  private stringText(): string {
    let i = this.pos + 1;
    for (; i < this.src.length && this.src[i] !== '"' && this.src[i] !== '\n'; i++) {
      if (this.src[i] === '\\' && this.src[i + 1] !== '\n') i++;
    }
    if (this.src[i] !== '"') {
      // Strings end on their line, so the failure is on this line too.
      const end = i < this.src.length ? 'end of line' : 'end of input';
      fail('parse', `expected '"' to close the string, got ${end}`, this.spanAt({ line: this.line, col: this.col + (i - this.pos) }));
    }
    return this.src.slice(this.pos, i + 1);
  }

  /** A bare value name (`x`, `h.1`, `0`), as written after `input` and `param`. */
  valueName(): Token | undefined {
    this.skipTrivia();
    const name = this.match(NAME_CHARS);
    return name ? this.make('word', name) : undefined;
  }
}

function describeToken(t: Token): string {
  if (t.kind === 'eof') return 'end of input';
  if (t.kind === 'string') return t.text;
  return `'${t.text}'`;
}

// ---- parsing ----------------------------------------------------------------------------

/** An attribute or argument value as written, before its kind gives it meaning. */
type Literal = { t: 'number'; v: number } | { t: 'word'; v: string } | { t: 'string'; v: string } | { t: 'list'; v: Literal[] };

/** Words that stand for constants, except where a word is a dtype, a shape symbol or a string. */
const WORD_CONSTANTS: ReadonlyMap<string, boolean | number> = new Map<string, boolean | number>([
  ['true', true],
  ['false', false],
  ['inf', Infinity],
  ['nan', NaN],
]);

/** The value of a literal for an attribute of `kind` (undefined for a key the schema lacks). */
function literalValue(lit: Literal, kind: AttrKind | undefined): unknown {
  if (lit.t === 'list') return lit.v.map((x) => literalValue(x, kind));
  if (lit.t !== 'word' || kind === 'shape' || kind === 'dtype' || kind === 'string') return lit.v;
  // So a shape symbol named `inf` stays a symbol.
  return WORD_CONSTANTS.has(lit.v) ? WORD_CONSTANTS.get(lit.v) : lit.v;
}

const SECTIONS = ["'input'", "'param'", "a node '%name = op(...)'", "'output'", "'update'"];
const NOUNS = ['inputs', 'params', 'nodes', 'outputs', 'updates'];
/** The section a declaration keyword opens; nodes (section 2) start with `%name` instead. */
const KEYWORD_SECTIONS: ReadonlyMap<string, number> = new Map([
  ['input', 0],
  ['param', 1],
  ['output', 3],
  ['update', 4],
]);

class Parser {
  private peeked: Token | undefined;
  /** The place of each declaration, for errors the verifier finds in declarations without a loc. */
  private readonly sites = {
    graph: undefined as SourceSpan | undefined,
    input: [] as SourceSpan[],
    param: [] as SourceSpan[],
    node: [] as SourceSpan[],
    output: [] as SourceSpan[],
    update: [] as SourceSpan[],
  };

  constructor(private readonly lex: Lexer) {}

  private peek(): Token {
    return (this.peeked ??= this.lex.next());
  }

  private take(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  private error(expected: string, t: Token): never {
    fail('parse', `expected ${expected}, got ${describeToken(t)}`, this.lex.spanAt(t));
  }

  private isPunct(c: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === c;
  }

  private isWord(w: string): boolean {
    const t = this.peek();
    return t.kind === 'word' && t.text === w;
  }

  private expectPunct(c: string, what = `'${c}'`): Token {
    if (!this.isPunct(c)) this.error(what, this.peek());
    return this.take();
  }

  private expectKind(kind: TokenKind, what: string): Token {
    if (this.peek().kind !== kind) this.error(what, this.peek());
    return this.take();
  }

  private valueName(what: string): string {
    if (this.peeked) this.lex.rewind(this.peeked);
    this.peeked = undefined;
    const t = this.lex.valueName();
    if (!t) this.error(what, this.peek());
    return t.text;
  }

  graph(): { graph: Graph; locate: (site: GraphSite) => SourceSpan | undefined } {
    const start = this.peek();
    if (!this.isWord('graph')) this.error("'graph'", start);
    this.take();
    this.sites.graph = this.lex.spanAt(start);
    const name = this.expectKind('word', 'a graph name').text;
    this.expectPunct('{');
    const g: Graph = { name, inputs: [], params: [], nodes: [], outputs: [], updates: [] };
    // Declarations come in the order they are printed: inputs, params, nodes, outputs, updates.
    let section = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'punct' && t.text === '}') break;
      const at = this.lex.spanAt(t);
      const kind = t.kind === 'value' ? 2 : t.kind === 'word' ? (KEYWORD_SECTIONS.get(t.text) ?? -1) : -1;
      if (kind < section) {
        const allowed = [...SECTIONS.slice(section), "'}'"];
        const hint = kind >= 0 ? ` (${NOUNS[kind]} come before ${NOUNS[section]})` : '';
        this.error(`${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}${hint}`, t);
      }
      section = kind;
      if (kind === 0) this.push(g.inputs, this.sites.input, this.input(), at);
      else if (kind === 1) this.push(g.params, this.sites.param, this.param(), at);
      else if (kind === 2) this.push(g.nodes, this.sites.node, this.node(), at);
      else if (kind === 3) this.push(g.outputs, this.sites.output, this.output(), at);
      else this.push(g.updates, this.sites.update, this.update(), at);
    }
    this.take();
    this.expectKind('eof', 'end of input');
    const sites = this.sites;
    return { graph: g, locate: (s) => (s.kind === 'graph' ? sites.graph : sites[s.kind][s.index]) };
  }

  private push<T>(list: T[], sites: SourceSpan[], item: T, at: SourceSpan): void {
    list.push(item);
    sites.push(at);
  }

  /** `input NAME: TYPE loc?` */
  private input(): InputDecl {
    this.take();
    const name = this.valueName('an input name');
    this.expectPunct(':');
    const type = this.type();
    return this.withLoc<InputDecl>({ name, type });
  }

  /** `param NAME: TYPE = INIT(ARGS) loc?` */
  private param(): ParamDecl {
    this.take();
    const name = this.valueName('a param name');
    this.expectPunct(':');
    const type = this.type();
    this.expectPunct('=', "'=' and an initializer");
    const fnToken = this.expectKind('word', 'an initializer name');
    const def = own(INITIALIZERS, fnToken.text);
    if (!def) {
      const known = Object.keys(INITIALIZERS).join(', ');
      fail('attr', `param ${name}: unknown initializer '${fnToken.text}' (expected one of: ${known})`, this.lex.spanAt(fnToken));
    }
    // Arguments stay as written: defaults are filled when the parameter is materialized.
    const args = this.args('(', ')', { name: `param ${name}: initializer ${fnToken.text}`, attrs: def.args });
    return this.withLoc<ParamDecl>({ name, type, init: { fn: fnToken.text, args: args as Record<string, AttrValue> } });
  }

  /** `%NAME = OP(%A, ...) {ATTRS}? : TYPE loc?` */
  private node(): Node {
    const name = this.take().text.slice(1);
    this.expectPunct('=');
    const opToken = this.expectKind('word', 'an op name');
    const opSpan = this.lex.spanAt(opToken);
    const def = getOp(opToken.text, opSpan);
    this.expectPunct('(');
    const inputs: string[] = [];
    if (!this.isPunct(')')) {
      do inputs.push(this.expectKind('value', "an operand '%name'").text.slice(1));
      while (this.isPunct(',') && this.take());
    }
    this.expectPunct(')', "',' or ')'");
    const raw = this.isPunct('{') ? this.args('{', '}', def) : {};
    // Defaults are filled here, so hand-written IR may leave them out.
    const attrs = checkAttrs(def, raw, opSpan);
    const braces = Object.keys(def.attrs).length > 0 && Object.keys(raw).length === 0;
    this.expectPunct(':', braces ? "'{' with attributes or ':' and a type" : "':' and a type");
    const type = this.type();
    return this.withLoc(checkedNode({ name, op: def.name, inputs, attrs, type }));
  }

  /** `output NAME = %VALUE loc?` */
  private output(): OutputDecl {
    this.take();
    const name = this.expectKind('word', 'an output name').text;
    this.expectPunct('=');
    const value = this.expectKind('value', "a value '%name'").text.slice(1);
    return this.withLoc<OutputDecl>({ name, value });
  }

  /** `update PARAM = %VALUE loc?` */
  private update(): UpdateDecl {
    this.take();
    const param = this.valueName('a parameter name');
    this.expectPunct('=');
    const value = this.expectKind('value', "a value '%name'").text.slice(1);
    return this.withLoc<UpdateDecl>({ param, value });
  }

  /** `DTYPE[DIM, ...]`, kept as written: the verifier compares it with the inferred type. */
  private type(): TensorType {
    const dt = this.peek();
    if (dt.kind !== 'word' || !isDType(dt.text)) this.error(`a type (a dtype: ${DTYPES.join(', ')})`, dt);
    this.take();
    this.expectPunct('[', "'[' and a shape");
    const shape: Dim[] = [];
    if (!this.isPunct(']')) {
      do {
        const t = this.take();
        const d: unknown = t.kind === 'number' ? Number(t.text) : t.kind === 'word' ? t.text : undefined;
        if (!isValidDim(d)) this.error(`a dim (${DIM_RULE.replace('a dim is ', '')})`, t);
        shape.push(d);
      } while (this.isPunct(',') && this.take());
    }
    this.expectPunct(']', "',' or ']'");
    return { dtype: dt.text, shape };
  }

  /**
   * `open key=value, ... close`, each key checked against `schema` where it is written.
   * Returns the values as written, without defaults.
   */
  private args(open: string, close: string, schema: { name: string; attrs: AttrSchema }): Record<string, unknown> {
    this.expectPunct(open);
    const out: Record<string, unknown> = {};
    if (!this.isPunct(close)) {
      do {
        const key = this.expectKind('word', 'an attribute name');
        const keySpan = this.lex.spanAt(key);
        checkAttrName(schema, key.text, keySpan);
        const spec = schema.attrs[key.text]!;
        if (key.text in out) fail('attr', `${schema.name}: attribute '${key.text}' is given twice`, keySpan);
        this.expectPunct('=');
        const start = this.peek();
        const value = literalValue(this.literal(), spec.kind);
        // Check this one value's kind now, so the error points at it.
        checkAttrs({ name: schema.name, attrs: { [key.text]: { kind: spec.kind } } }, { [key.text]: value }, this.lex.spanAt(start));
        out[key.text] = value;
      } while (this.isPunct(',') && this.take());
    }
    this.expectPunct(close, `',' or '${close}'`);
    return out;
  }

  /** A number, `-inf`, a word, a string, or a list of these. */
  private literal(): Literal {
    const t = this.take();
    switch (t.kind) {
      case 'number':
        return { t: 'number', v: Number(t.text) };
      case 'word':
        return { t: 'word', v: t.text };
      case 'string':
        try {
          return { t: 'string', v: JSON.parse(t.text) as string };
        } catch {
          return this.error('a string with JSON escapes', t);
        }
      case 'punct':
        if (t.text === '-') {
          if (!this.isWord('inf')) this.error("'inf' after '-'", this.peek());
          this.take();
          return { t: 'number', v: -Infinity };
        }
        if (t.text === '[') {
          const items: Literal[] = [];
          if (!this.isPunct(']')) {
            do items.push(this.literal());
            while (this.isPunct(',') && this.take());
          }
          this.expectPunct(']', "',' or ']'");
          return { t: 'list', v: items };
        }
    }
    this.error('a value (a number, true, false, a name, a string or a list)', t);
  }

  /** An optional `loc("file":line:col)` or `loc(line:col)` after a declaration. */
  private withLoc<T extends { span?: SourceSpan }>(decl: T): T {
    if (!this.isWord('loc')) return decl;
    this.take();
    this.expectPunct('(');
    let file: string | undefined;
    if (this.peek().kind === 'string') {
      const lit = this.literal();
      file = lit.v as string;
      this.expectPunct(':');
    }
    const line = this.locNumber('a line number');
    this.expectPunct(':');
    const col = this.locNumber('a column number');
    this.expectPunct(')');
    decl.span = file !== undefined ? { file, line, col } : { line, col };
    return decl;
  }

  /** A loc() line or column: a number token (inf and nan read back too, so any span round-trips). */
  private locNumber(what: string): number {
    const t = this.peek();
    const startsNumber = t.kind === 'number' || t.kind === 'word' || (t.kind === 'punct' && t.text === '-');
    const v = startsNumber ? literalValue(this.literal(), 'float') : undefined;
    if (typeof v !== 'number') this.error(what, t);
    return v;
  }
}

/**
 * Reads the text form of a graph and verifies it. Syntax errors are KilnError('parse') at the
 * offending token; unknown ops and attributes carry the place they are written; the verifier's
 * errors point at the declaration's loc(), or at its line when it has none.
 */
export function parseGraph(text: string, file?: string): Graph {
  const { graph, locate } = new Parser(new Lexer(text, file)).graph();
  verify(graph, locate);
  return graph;
}
