// Limits on how deep an expression may nest, checked on the tokens before parsing: the parser,
// its error recovery, the lowering and the formatter all recurse once per level, and a file
// past these limits is refused with a place rather than overflowing the stack.

import { tokenMatcher } from 'chevrotain';
import type { IToken } from 'chevrotain';
import type { Diagnostic } from './diagnostics.js';
import {
  AdditiveOp,
  CompareOp,
  Def,
  Equals,
  Import,
  Input,
  LBrace,
  LBracket,
  Let,
  Loss,
  LParen,
  Model,
  MultiplicativeOp,
  Output,
  Param,
  RBrace,
  RBracket,
  Return,
  RParen,
  Semicolon,
  StarStar,
  Train,
} from './lexer.js';

/**
 * Parentheses, brackets and calls open inside one another. About 200 unclosed '(' overflowed
 * the stack in error recovery, and about 300 closed ones while parsing; no model needs more
 * than a handful.
 */
export const MAX_NESTING = 64;

/**
 * Operators in one statement or setting. A chain `x + x + ...` parses flat but is a tree one
 * level deeper per operator, walked recursively; tens of thousands overflowed the stack.
 */
export const MAX_OPERATORS = 1000;

const isOperator = (t: IToken): boolean => tokenMatcher(t, AdditiveOp) || tokenMatcher(t, MultiplicativeOp) || tokenMatcher(t, CompareOp) || tokenMatcher(t, StarStar);

/** Words that begin a declaration or a statement: an expression before them has ended. */
const STARTS = [Import, Def, Model, Train, Input, Param, Let, Output, Loss, Return];

/** Where the operator count starts again: at each statement, even after an unclosed '('. */
const startsAgain = (t: IToken, depth: number): boolean =>
  STARTS.some((k) => tokenMatcher(t, k)) || (depth === 0 && (tokenMatcher(t, Equals) || tokenMatcher(t, Semicolon) || tokenMatcher(t, LBrace) || tokenMatcher(t, RBrace)));

/** The first place where `tokens` nest deeper, or chain more operators, than the limits allow. */
export function nestingProblem(tokens: readonly IToken[], file: string | undefined): Diagnostic | undefined {
  let depth = 0;
  let operators = 0;
  for (const t of tokens) {
    if (tokenMatcher(t, LParen) || tokenMatcher(t, LBracket)) {
      if (++depth > MAX_NESTING) return at(t, file, `nesting deeper than ${MAX_NESTING} levels of parentheses, brackets and calls`);
    } else if (tokenMatcher(t, RParen) || tokenMatcher(t, RBracket)) {
      depth = Math.max(0, depth - 1);
    } else if (isOperator(t)) {
      if (++operators > MAX_OPERATORS) return at(t, file, `more than ${MAX_OPERATORS} operators in one expression; split it with 'let'`);
    } else if (startsAgain(t, depth)) {
      operators = 0;
    }
  }
  return undefined;
}

function at(t: IToken, file: string | undefined, message: string): Diagnostic {
  const line = t.startLine ?? 1;
  const col = t.startColumn ?? 1;
  return { message, span: file === undefined ? { line, col } : { file, line, col } };
}
