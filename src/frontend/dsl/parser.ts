// The .kiln grammar (docs/language.md) as a chevrotain parser with error recovery, and
// parseProgram: lex, parse, turn every error into a Diagnostic, return the typed AST.
//
// The rules are class properties, one per production; what a match means is built by
// ast-builder.ts. Actions are embedded rather than visiting a CST afterwards: on a 2,000-line
// file (56 KB) a CST plus a visitor took 3-4 times as long (about 18 ms against 5 ms) and
// allocated twice the memory, most of it garbage-collector time.

import { EmbeddedActionsParser, EOF, tokenMatcher } from 'chevrotain';
import type { IParserErrorMessageProvider, IRecognitionException, IToken, OrMethodOpts, TokenType } from 'chevrotain';
import type { Decl, DimExpr, Expr, InitExpr, KeywordArg, Program, Stmt, TypeExpr } from './ast.js';
import { AstBuilder } from './ast-builder.js';
import type { Arg } from './ast-builder.js';
import type { Diagnostic } from './diagnostics.js';
import { nestingProblem } from './limits.js';
import { elideLongNames } from './scope.js';
import {
  AdditiveOp,
  allTokens,
  Colon,
  Comma,
  CompareOp,
  Def,
  Equals,
  False,
  Identifier,
  Import,
  Input,
  Int,
  Keyword,
  LBrace,
  LBracket,
  Let,
  lex,
  Loss,
  LParen,
  Minus,
  Model,
  MultiplicativeOp,
  NumberLiteral,
  Output,
  Param,
  RBrace,
  RBracket,
  Return,
  RParen,
  Semicolon,
  StarStar,
  StringLiteral,
  Train,
  True,
} from './lexer.js';

// ---- messages: each is the "expected ..." half; parseProgram appends ", got <what was found>" ----

const A_DECLARATION = 'a declaration (import, def, model or train)';
const A_STATEMENT_OR_CLOSE = "expected a statement or '}'";
const A_SETTING_OR_CLOSE = "expected a setting (name = value) or '}'";
const AFTER_ARGUMENT = "expected ',' or ')' after an argument";

/**
 * Chevrotain builds a message itself where a repetition ends on a token that cannot follow it
 * (it names the token expected next, in the rule that holds the repetition): say it as the
 * ERR_MSG at that place would.
 */
const afterRepetition: Record<string, string> = {
  'program EOF': `expected ${A_DECLARATION}`,
  'defDecl RBrace': A_STATEMENT_OR_CLOSE,
  'modelDecl RBrace': A_STATEMENT_OR_CLOSE,
  'trainDecl RBrace': A_SETTING_OR_CLOSE,
  'defDecl RParen': "expected ',' or ')' after a parameter",
  'call RParen': AFTER_ARGUMENT,
  'init RParen': AFTER_ARGUMENT,
  'list RBracket': "expected ',' or ']' after a list item",
  'type RBracket': "expected ',' or ']' after a dimension",
};

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, ruleName }) => afterRepetition[`${ruleName} ${expected.name}`] ?? `expected ${labelOf(expected)}`,
  buildNotAllInputParsedMessage: () => `expected ${A_DECLARATION}`,
  buildNoViableAltMessage: ({ customUserDescription, expectedPathsPerAlt }) => {
    const firsts = expectedPathsPerAlt.flatMap((alt) => alt.map((path) => labelOf(path[0]!)));
    return `expected ${customUserDescription ?? firsts.join(' or ')}`;
  },
  buildEarlyExitMessage: ({ customUserDescription }) => `expected ${customUserDescription ?? 'more input'}`,
};

function labelOf(t: TokenType): string {
  return t === EOF ? 'the end of the file' : (t.LABEL ?? t.name);
}

// ---- the grammar ----------------------------------------------------------------------------

/**
 * One rule per production of docs/language.md. Every semantic step is inside ACTION (skipped
 * while chevrotain records the grammar); values can be undefined after recovery.
 */
class KilnParser extends EmbeddedActionsParser {
  /** Replaced for every parse: it holds that file's name and its diagnostics. */
  b = new AstBuilder(undefined);

  constructor() {
    super(allTokens as TokenType[], { recoveryEnabled: true, errorMessageProvider: messages, maxLookahead: 2 });
    this.performSelfAnalysis();
  }

  // file := decl*
  program = this.RULE('program', (): Decl[] => {
    const decls: (Decl | undefined)[] = [];
    this.MANY(() => decls.push(this.SUBRULE(this.decl)));
    return this.ACTION(() => decls.filter((d): d is Decl => d !== undefined));
  });

  decl = this.RULE('decl', (): Decl | undefined =>
    this.OR<Decl | undefined>({
      DEF: [
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.defDecl) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
        { ALT: () => this.SUBRULE(this.trainDecl) },
      ],
      ERR_MSG: A_DECLARATION,
    }),
  );

  // import := 'import' STRING
  importDecl = this.RULE('importDecl', () => {
    const kw = this.CONSUME(Import);
    const path = this.CONSUME(StringLiteral, { ERR_MSG: "expected a path string after 'import'" });
    return this.ACTION(() => this.b.importDecl(kw, path));
  });

  // def := 'def' IDENT '(' [IDENT (',' IDENT)*] ')' '{' stmt* '}'
  defDecl = this.RULE('defDecl', () => {
    const kw = this.CONSUME(Def);
    const name = this.SUBRULE(this.name, { ARGS: ["a name after 'def'"] });
    this.CONSUME(LParen, { ERR_MSG: "expected '(' after the def's name" });
    const params: IToken[] = [];
    this.OPTION(() => {
      params.push(this.SUBRULE2(this.name, { ARGS: ['a parameter name'] }));
      this.MANY(() => {
        this.CONSUME(Comma);
        params.push(this.SUBRULE3(this.name, { ARGS: ["a parameter name after ','"] }));
      });
    });
    this.CONSUME(RParen, {
      ERR_MSG: params.length > 0 ? "expected ',' or ')' after a parameter" : "expected a parameter name or ')'",
    });
    this.CONSUME(LBrace, { ERR_MSG: "expected '{' after the def's parameters" });
    const body: (Stmt | undefined)[] = [];
    this.MANY2(() => body.push(this.SUBRULE(this.stmt)));
    const close = this.CONSUME(RBrace, { ERR_MSG: A_STATEMENT_OR_CLOSE });
    return this.ACTION(() => this.b.defDecl(kw, name, params, body, close));
  });

  // model := 'model' IDENT '{' stmt* '}'
  modelDecl = this.RULE('modelDecl', () => {
    const kw = this.CONSUME(Model);
    const name = this.SUBRULE(this.name, { ARGS: ["a name after 'model'"] });
    this.CONSUME(LBrace, { ERR_MSG: "expected '{' after the model's name" });
    const body: (Stmt | undefined)[] = [];
    this.MANY(() => body.push(this.SUBRULE(this.stmt)));
    const close = this.CONSUME(RBrace, { ERR_MSG: A_STATEMENT_OR_CLOSE });
    return this.ACTION(() => this.b.modelDecl(kw, name, body, close));
  });

  // train := 'train' '{' (IDENT '=' expr [';'])* '}'
  trainDecl = this.RULE('trainDecl', () => {
    const kw = this.CONSUME(Train);
    this.CONSUME(LBrace, { ERR_MSG: "expected '{' after 'train'" });
    const settings: (KeywordArg | undefined)[] = [];
    this.MANY(() => settings.push(this.SUBRULE(this.setting)));
    const close = this.CONSUME(RBrace, { ERR_MSG: A_SETTING_OR_CLOSE });
    return this.ACTION(() => this.b.trainDecl(kw, settings, close));
  });

  setting = this.RULE('setting', () => {
    const name = this.CONSUME(Identifier);
    this.CONSUME(Equals, { ERR_MSG: "expected '=' after the setting's name" });
    const value = this.SUBRULE(this.expr);
    this.OPTION(() => this.CONSUME(Semicolon));
    return this.ACTION(() => this.b.kwarg(name, value));
  });

  /**
   * The name a declaration or statement introduces. A keyword there is reported and then read
   * as the name, so `output loss = e` is one error rather than a cascade from `loss = e`.
   */
  name = this.RULE('name', (expected: string = 'a name'): IToken =>
    this.OR({
      DEF: [
        { ALT: () => this.CONSUME(Identifier) },
        {
          ALT: () => {
            const kw = this.CONSUME(Keyword);
            this.ACTION(() => this.b.keywordAsName(kw, expected));
            return kw;
          },
        },
      ],
      ERR_MSG: expected,
    }),
  );

  // stmt := (input | param | let | output | loss | return) [';']
  stmt = this.RULE('stmt', (): Stmt | undefined => {
    const stmt = this.OR([
      { ALT: () => this.SUBRULE(this.inputStmt) },
      { ALT: () => this.SUBRULE(this.paramStmt) },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.outputStmt) },
      { ALT: () => this.SUBRULE(this.lossStmt) },
      { ALT: () => this.SUBRULE(this.returnStmt) },
    ]);
    this.OPTION(() => this.CONSUME(Semicolon));
    return stmt;
  });

  inputStmt = this.RULE('inputStmt', () => {
    const kw = this.CONSUME(Input);
    const name = this.SUBRULE(this.name, { ARGS: ["a name after 'input'"] });
    this.CONSUME(Colon, { ERR_MSG: "expected ':' after the input name" });
    const type = this.SUBRULE(this.type);
    return this.ACTION(() => this.b.input(kw, name, type));
  });

  paramStmt = this.RULE('paramStmt', () => {
    const kw = this.CONSUME(Param);
    const name = this.SUBRULE(this.name, { ARGS: ["a name after 'param'"] });
    this.CONSUME(Colon, { ERR_MSG: "expected ':' after the parameter name" });
    const type = this.SUBRULE(this.type);
    let init: InitExpr | undefined;
    this.OPTION(() => {
      this.CONSUME(Equals);
      init = this.SUBRULE(this.init);
    });
    return this.ACTION(() => this.b.param(kw, name, type, init));
  });

  letStmt = this.RULE('letStmt', () => {
    const kw = this.CONSUME(Let);
    const name = this.SUBRULE(this.name, { ARGS: ["a name after 'let'"] });
    this.CONSUME(Equals, { ERR_MSG: "expected '=' after the name in 'let'" });
    const value = this.SUBRULE(this.expr);
    return this.ACTION(() => this.b.let(kw, name, value));
  });

  outputStmt = this.RULE('outputStmt', () => {
    const kw = this.CONSUME(Output);
    const name = this.SUBRULE(this.name, { ARGS: ["a name after 'output'"] });
    let value: Expr | undefined;
    this.OPTION(() => {
      this.CONSUME(Equals);
      value = this.SUBRULE(this.expr);
    });
    return this.ACTION(() => this.b.output(kw, name, value));
  });

  lossStmt = this.RULE('lossStmt', () => {
    const kw = this.CONSUME(Loss);
    const value = this.SUBRULE(this.expr);
    return this.ACTION(() => this.b.valueStmt('loss', kw, value));
  });

  returnStmt = this.RULE('returnStmt', () => {
    const kw = this.CONSUME(Return);
    const value = this.SUBRULE(this.expr);
    return this.ACTION(() => this.b.valueStmt('return', kw, value));
  });

  // type := DTYPE '[' [dim (',' dim)*] ']'; DTYPE is a name here, checked by the builder
  type = this.RULE('type', (): TypeExpr | undefined => {
    const dtype = this.CONSUME(Identifier, { ERR_MSG: 'expected a dtype (f32, i32 or bool)' });
    this.CONSUME(LBracket, { ERR_MSG: "expected '[' after the dtype" });
    const dims: (DimExpr | undefined)[] = [];
    this.OPTION(() => {
      dims.push(this.SUBRULE(this.dim));
      this.MANY(() => {
        this.CONSUME(Comma);
        dims.push(this.SUBRULE2(this.dim));
      });
    });
    const close = this.CONSUME(RBracket, {
      ERR_MSG: dims.length > 0 ? "expected ',' or ']' after a dimension" : "expected a dimension or ']'",
    });
    return this.ACTION(() => this.b.type(dtype, dims, close));
  });

  // dim := INT | IDENT
  dim = this.RULE('dim', (): DimExpr | undefined =>
    this.OR<DimExpr | undefined>({
      DEF: [
        {
          ALT: () => {
            const t = this.CONSUME(Int);
            return this.ACTION(() => this.b.number(t));
          },
        },
        {
          ALT: () => {
            const t = this.CONSUME(Identifier);
            return this.ACTION(() => this.b.name(t));
          },
        },
      ],
      ERR_MSG: 'a dimension (an integer or a name)',
    }),
  );

  // init := IDENT ['(' [kwarg (',' kwarg)*] ')']
  init = this.RULE('init', (): InitExpr | undefined => {
    const name = this.CONSUME(Identifier, { ERR_MSG: 'expected an initializer (zeros, he_normal(seed=1), ...)' });
    const kwargs: (KeywordArg | undefined)[] = [];
    let close: IToken | undefined;
    this.OPTION(() => {
      this.CONSUME(LParen);
      this.OPTION2(() => {
        kwargs.push(this.SUBRULE(this.kwarg));
        this.MANY(() => {
          this.CONSUME(Comma);
          kwargs.push(this.SUBRULE2(this.kwarg));
        });
      });
      close = this.CONSUME(RParen, {
        ERR_MSG: kwargs.length > 0 ? AFTER_ARGUMENT : "expected a keyword argument (name=value) or ')'",
      });
    });
    return this.ACTION(() => this.b.init(name, kwargs, close));
  });

  // kwarg := IDENT '=' expr
  kwarg = this.RULE('kwarg', (): KeywordArg | undefined => {
    const name = this.CONSUME(Identifier, { ERR_MSG: 'expected a keyword argument (name=value)' });
    this.CONSUME(Equals, { ERR_MSG: "expected '=' after the argument name" });
    const value = this.SUBRULE(this.expr);
    return this.ACTION(() => this.b.kwarg(name, value));
  });

  // ---- expressions, loosest first ----

  /** expr := compare := sum [op sum]. A chain parses, so the builder can name its second operator. */
  expr = this.RULE('expr', (): Expr | undefined => {
    const first = this.SUBRULE(this.sum);
    const rest: [IToken, Expr | undefined][] = [];
    this.MANY(() => {
      const op = this.CONSUME(CompareOp);
      rest.push([op, this.SUBRULE2(this.sum)]);
    });
    return this.ACTION(() => this.b.comparison(first, rest));
  });

  // sum := product (('+' | '-') product)*, folded to the left
  sum = this.RULE('sum', (): Expr | undefined => {
    let left = this.SUBRULE(this.product);
    this.MANY(() => {
      const op = this.CONSUME(AdditiveOp);
      const right = this.SUBRULE2(this.product);
      left = this.ACTION(() => this.b.binary(op, left, right));
    });
    return left;
  });

  // product := unary (('*' | '/' | '@') unary)*, folded to the left
  product = this.RULE('product', (): Expr | undefined => {
    let left = this.SUBRULE(this.unary);
    this.MANY(() => {
      const op = this.CONSUME(MultiplicativeOp);
      const right = this.SUBRULE2(this.unary);
      left = this.ACTION(() => this.b.binary(op, left, right));
    });
    return left;
  });

  /**
   * unary := '-' unary | power and power := primary ['**' unary], folded into one rule (the same
   * language, one rule call less per operand): the minuses wrap the whole power, and `**`
   * recurses through unary, so it is right-associative and takes a signed exponent.
   */
  unary = this.RULE('unary', (): Expr | undefined => {
    const minuses: IToken[] = [];
    this.MANY(() => minuses.push(this.CONSUME(Minus)));
    const base = this.SUBRULE(this.primary);
    let exponent: Expr | undefined;
    this.OPTION(() => {
      this.CONSUME(StarStar);
      exponent = this.SUBRULE(this.unary);
    });
    return this.ACTION(() => this.b.unary(minuses, base, exponent));
  });

  /** Built once rather than on every call: primary runs for every operand. */
  private readonly primaryAlternatives: OrMethodOpts<Expr | undefined> = {
    DEF: [
      { ALT: () => this.leaf(NumberLiteral, (t) => this.b.number(t)) },
      { ALT: () => this.leaf(True, (t) => this.b.bool(t)) },
      { ALT: () => this.leaf(False, (t) => this.b.bool(t)) },
      { ALT: () => this.leaf(StringLiteral, (t) => this.b.string(t)) },
      { ALT: () => this.SUBRULE(this.call) },
      { ALT: () => this.leaf(Identifier, (t) => this.b.name(t)) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.paren) },
    ],
    ERR_MSG: 'an expression',
  };

  // primary := NUMBER | 'true' | 'false' | STRING | call | IDENT | list | '(' expr ')'
  primary = this.RULE('primary', (): Expr | undefined => this.OR(this.primaryAlternatives));

  /** Consumes one token of `type` and builds its node. */
  private leaf<T>(type: TokenType, build: (t: IToken) => T): T {
    const t = this.CONSUME(type);
    return this.ACTION(() => build(t));
  }

  // call := IDENT '(' [arg (',' arg)*] ')'
  call = this.RULE('call', (): Expr | undefined => {
    const callee = this.CONSUME(Identifier);
    this.CONSUME(LParen);
    const args: (Arg | undefined)[] = [];
    this.OPTION(() => {
      args.push(this.SUBRULE(this.arg));
      this.MANY(() => {
        this.CONSUME(Comma);
        args.push(this.SUBRULE2(this.arg));
      });
    });
    const close = this.CONSUME(RParen, { ERR_MSG: args.length > 0 ? AFTER_ARGUMENT : "expected an argument or ')'" });
    return this.ACTION(() => this.b.call(callee, args, close));
  });

  // arg := IDENT '=' expr | expr; in any order here, the builder checks that keywords come last
  arg = this.RULE('arg', (): Arg | undefined =>
    this.OR([{ ALT: (): Arg => ({ keyword: this.SUBRULE(this.kwarg) }) }, { ALT: (): Arg => ({ positional: this.SUBRULE(this.expr) }) }]),
  );

  // list := '[' [expr (',' expr)*] ']'
  list = this.RULE('list', (): Expr | undefined => {
    const open = this.CONSUME(LBracket);
    const items: (Expr | undefined)[] = [];
    this.OPTION(() => {
      items.push(this.SUBRULE(this.expr));
      this.MANY(() => {
        this.CONSUME(Comma);
        items.push(this.SUBRULE2(this.expr));
      });
    });
    const close = this.CONSUME(RBracket, {
      ERR_MSG: items.length > 0 ? "expected ',' or ']' after a list item" : "expected an expression or ']'",
    });
    return this.ACTION(() => this.b.list(open, items, close));
  });

  paren = this.RULE('paren', (): Expr | undefined => {
    const open = this.CONSUME(LParen);
    const inner = this.SUBRULE(this.expr);
    const close = this.CONSUME(RParen, { ERR_MSG: "expected ')' to close '('" });
    return this.ACTION(() => this.b.paren(open, inner, close));
  });
}

// ---- the entry point ------------------------------------------------------------------------

/** Built once per process: performSelfAnalysis is the slow part, parsing itself is fast. */
let instance: KilnParser | undefined;

/**
 * Parses a .kiln source. Never throws: every lexing and syntax error that recovery can find is
 * a Diagnostic, in source order, and `program` is whatever recovery could build.
 */
export function parseProgram(source: string, file?: string): { program: Program; diagnostics: Diagnostic[] } {
  const lexed = lex(source, file);
  const tooDeep = nestingProblem(lexed.tokens, file);
  if (tooDeep) {
    // Parsing this would overflow the stack: the limit is the one error reported.
    const program: Program = { decls: [], comments: [] };
    if (file !== undefined) program.file = file;
    return { program, diagnostics: inOrder([...lexed.diagnostics, tooDeep]) };
  }
  const parser = (instance ??= new KilnParser());
  const builder = new AstBuilder(file);
  parser.b = builder;
  parser.input = lexed.tokens;
  let decls: Decl[];
  try {
    decls = parser.program() ?? [];
  } finally {
    parser.b = new AstBuilder(undefined);
  }
  const syntax = parser.errors.map((e) => toDiagnostic(e, lexed.tokens, file));
  parser.input = [];
  const program: Program = { decls, comments: lexed.comments.map((t) => builder.comment(t)) };
  if (file !== undefined) program.file = file;
  const diagnostics = inOrder([...lexed.diagnostics, ...syntax, ...builder.diagnostics]);
  return { program, diagnostics: diagnostics.map((d) => ({ ...d, message: elideLongNames(d.message) })) };
}

/** What was found, as the "got ..." half of a message. */
function describeToken(t: IToken): string {
  if (t.tokenType === EOF) return 'the end of the file';
  const image = t.image.length > 24 ? `${t.image.slice(0, 21)}...` : t.image;
  if (tokenMatcher(t, Keyword)) return `the keyword '${image}'`;
  if (tokenMatcher(t, StringLiteral)) return `the string ${image}`;
  return `'${image}'`;
}

function toDiagnostic(e: IRecognitionException, tokens: IToken[], file: string | undefined): Diagnostic {
  const found = e.token;
  let line = found.startLine ?? 1;
  let col = found.startColumn ?? 1;
  if (found.tokenType === EOF || Number.isNaN(found.startOffset)) {
    // At the end of the file, point just past the last real token.
    const last = tokens[tokens.length - 1];
    line = last?.startLine ?? 1;
    col = last ? (last.startColumn ?? 1) + last.image.length : 1;
  }
  const message = `${e.message}, got ${describeToken(found)}`;
  return { message, span: file === undefined ? { line, col } : { file, line, col } };
}

/**
 * Source order, one diagnostic per place: recovery can report a place twice (a rule that
 * failed, then its caller), and the first report is the precise one.
 */
function inOrder(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const kept: Diagnostic[] = [];
  for (const d of diagnostics) {
    const key = `${d.span.line}:${d.span.col}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(d);
  }
  return kept.sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col);
}
