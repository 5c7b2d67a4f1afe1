// The tokens of the .kiln language, in the one order the lexer tries them, and the lexer itself.

import { Lexer, createToken } from 'chevrotain';
import type { ILexingResult, IToken, TokenType } from 'chevrotain';
import type { Diagnostic } from './diagnostics.js';

// ---- names and keywords -------------------------------------------------------------------

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });

/** Any reserved word: lets the parser say "got the keyword 'loss'" where a name belongs. */
export const Keyword = createToken({ name: 'Keyword', pattern: Lexer.NA, label: 'a keyword' });

/** Reserved words; `longer_alt` lets `models` or `import_path` lex as plain names. */
function keyword(word: string): TokenType {
  const name = word[0]!.toUpperCase() + word.slice(1);
  return createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, categories: [Keyword], label: `'${word}'` });
}

export const Import = keyword('import');
export const Def = keyword('def');
export const Model = keyword('model');
export const Train = keyword('train');
export const Input = keyword('input');
export const Param = keyword('param');
export const Let = keyword('let');
export const Output = keyword('output');
export const Loss = keyword('loss');
export const Return = keyword('return');
export const True = keyword('true');
export const False = keyword('false');

export const keywords: readonly TokenType[] = [Import, Def, Model, Train, Input, Param, Let, Output, Loss, Return, True, False];

// ---- literals -----------------------------------------------------------------------------

/** Any number; `Int` alone is what a dimension accepts. */
export const NumberLiteral = createToken({ name: 'NumberLiteral', pattern: Lexer.NA, label: 'a number' });
export const Float = createToken({
  name: 'Float',
  pattern: /\d+(?:\.\d+(?:[eE][+-]?\d+)?|[eE][+-]?\d+)/,
  categories: [NumberLiteral],
  label: 'a number',
});
export const Int = createToken({ name: 'Int', pattern: /\d+/, categories: [NumberLiteral], label: 'an integer' });

/** A string; an unterminated one still parses as a string so that only the lexer reports it. */
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: Lexer.NA, label: 'a string' });
export const ClosedString = createToken({
  name: 'ClosedString',
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/,
  categories: [StringLiteral],
  label: 'a string',
});
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*/,
  categories: [StringLiteral],
  label: 'a string',
});

// ---- operators and punctuation (longer spellings before their prefixes) --------------------

export const CompareOp = createToken({ name: 'CompareOp', pattern: Lexer.NA, label: 'a comparison' });
export const AdditiveOp = createToken({ name: 'AdditiveOp', pattern: Lexer.NA, label: "'+' or '-'" });
export const MultiplicativeOp = createToken({ name: 'MultiplicativeOp', pattern: Lexer.NA, label: "'*', '/' or '@'" });

function punct(name: string, text: string, categories?: TokenType[]): TokenType {
  const pattern = new RegExp(text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return createToken({ name, pattern, label: `'${text}'`, ...(categories ? { categories } : {}) });
}

export const EqualEqual = punct('EqualEqual', '==', [CompareOp]);
export const NotEqual = punct('NotEqual', '!=', [CompareOp]);
export const LessEqual = punct('LessEqual', '<=', [CompareOp]);
export const Less = punct('Less', '<', [CompareOp]);
export const GreaterEqual = punct('GreaterEqual', '>=', [CompareOp]);
export const Greater = punct('Greater', '>', [CompareOp]);
export const Equals = punct('Equals', '=');
export const Plus = punct('Plus', '+', [AdditiveOp]);
export const Minus = punct('Minus', '-', [AdditiveOp]);
export const StarStar = punct('StarStar', '**');
export const Star = punct('Star', '*', [MultiplicativeOp]);
export const Slash = punct('Slash', '/', [MultiplicativeOp]);
export const At = punct('At', '@', [MultiplicativeOp]);
export const LParen = punct('LParen', '(');
export const RParen = punct('RParen', ')');
export const LBracket = punct('LBracket', '[');
export const RBracket = punct('RBracket', ']');
export const LBrace = punct('LBrace', '{');
export const RBrace = punct('RBrace', '}');
export const Comma = punct('Comma', ',');
export const Colon = punct('Colon', ':');
export const Semicolon = punct('Semicolon', ';');

// ---- trivia -------------------------------------------------------------------------------

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true });
/** Kept in their own group: the parser never sees them, the formatter puts them back. */
export const Comment = createToken({ name: 'Comment', pattern: /#[^\r\n]*/, group: 'comments' });

/** Every token, in the order the lexer tries them. */
export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  Comment,
  Keyword,
  ...keywords,
  Identifier,
  NumberLiteral,
  Float,
  Int,
  StringLiteral,
  ClosedString,
  UnterminatedString,
  CompareOp,
  AdditiveOp,
  MultiplicativeOp,
  EqualEqual,
  NotEqual,
  LessEqual,
  Less,
  GreaterEqual,
  Greater,
  Equals,
  Plus,
  Minus,
  StarStar,
  Star,
  Slash,
  At,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Semicolon,
];

// Starts only: no token spans a line break, so its end is its start plus its length.
export const kilnLexer = new Lexer(allTokens as TokenType[], { positionTracking: 'onlyStart', ensureOptimizations: true });

export interface LexResult {
  tokens: IToken[];
  comments: IToken[];
  diagnostics: Diagnostic[];
}

/** Lexes a whole file; bad characters and unterminated strings become diagnostics, not stops. */
export function lex(source: string, file?: string): LexResult {
  const result: ILexingResult = kilnLexer.tokenize(source);
  const diagnostics: Diagnostic[] = [];
  for (const e of result.errors) {
    const text = source.slice(e.offset, e.offset + e.length);
    const what = [...text].length === 1 ? 'character' : 'characters';
    diagnostics.push({ message: `unexpected ${what} '${text}'`, span: place(e.line ?? 1, e.column ?? 1, file) });
  }
  for (const t of result.tokens) {
    if (t.tokenType === UnterminatedString) {
      diagnostics.push({
        message: `unterminated string: expected a closing '"' before the end of the line`,
        span: place(t.startLine ?? 1, t.startColumn ?? 1, file),
      });
    }
  }
  // Lexing errors come in source order already; unterminated strings are merged into it.
  diagnostics.sort((a, b) => a.span.line - b.span.line || a.span.col - b.span.col);
  return { tokens: result.tokens, comments: result.groups['comments'] ?? [], diagnostics };
}

function place(line: number, col: number, file: string | undefined): Diagnostic['span'] {
  return file === undefined ? { line, col } : { file, line, col };
}
