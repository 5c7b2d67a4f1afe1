// Limits on how deep an expression may nest, checked on the tokens before parsing: the parser,
// its error recovery, the lowering and the formatter all recurse once per level, and a file
// past these limits is refused with a place rather than overflowing the stack.

import type { IToken, TokenType } from 'chevrotain';
import type { Diagnostic } from './diagnostics.js';
import {
  allTokens,
  AdditiveOp,
  CompareOp,
  Comma,
  Def,
  Equals,
  False,
  Identifier,
  Import,
  Input,
  LBrace,
  LBracket,
  Let,
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

/**
 * Levels of nesting: parentheses, brackets and calls inside one another, and within one of
 * them the operands of chained `**` and of unary minus (`x ** x ** x` is `x ** (x ** x)`).
 * With Node's default stack, 300 closed '(' overflowed it while parsing, 200 unclosed ones in
 * error recovery, and 60 unclosed keyword arguments (`sum(x, axes=sum(x, axes=...`) there too;
 * half that leaves a margin, and no model needs more than a handful.
 */
export const MAX_NESTING = 32;

/**
 * Operators in one statement or setting. A chain `x + x + ...` parses flat but is a tree one
 * level deeper per operator, walked recursively; tens of thousands overflowed the stack.
 */
export const MAX_OPERATORS = 1000;

const NESTING = `nesting deeper than ${MAX_NESTING} levels of parentheses, brackets, calls, '**' or unary '-'`;

/** What a token does to the nesting; the lexer's token types are classified once. */
type Role = 'open' | 'close' | 'comma' | 'power' | 'minus' | 'operator' | 'statement' | 'end' | 'operand' | 'other';

const ROLES: [Role, TokenType[]][] = [
  ['open', [LParen, LBracket]],
  ['close', [RParen, RBracket]],
  ['comma', [Comma]],
  ['power', [StarStar]],
  ['minus', [Minus]],
  ['operator', [AdditiveOp, MultiplicativeOp, CompareOp]],
  // Words that begin a declaration or a statement: an expression before them has ended.
  ['statement', [Import, Def, Model, Train, Input, Param, Let, Output, Loss, Return]],
  ['end', [Equals, Semicolon, LBrace, RBrace]],
  // After an operand a '-' subtracts; after anything else it negates.
  ['operand', [Identifier, NumberLiteral, StringLiteral, True, False]],
];

/** The role of each token type by its index, the first role that matches it. */
const roleOf: Role[] = [];
for (const type of allTokens) {
  const found = ROLES.find(([, types]) => types.some((c) => type === c || (type.CATEGORIES ?? []).includes(c)));
  roleOf[type.tokenTypeIdx!] = found?.[0] ?? 'other';
}

/** The first place where `tokens` nest deeper, or chain more operators, than the limits allow. */
export function nestingProblem(tokens: readonly IToken[], file: string | undefined): Diagnostic | undefined {
  let depth = 0;
  /** The depth outside each open bracket. */
  const outside: number[] = [];
  /** The depth of an operand at the current bracket: '**' and '-' nest within one operand only. */
  const operand = (): number => (outside.length > 0 ? outside[outside.length - 1]! + 1 : 0);
  let operators = 0;
  let previous = 'other' as Role;
  for (const t of tokens) {
    let role = roleOf[t.tokenType.tokenTypeIdx!] ?? 'other';
    if (role === 'minus') role = previous === 'operand' || previous === 'close' ? 'operator' : 'power';
    previous = role;
    if (role === 'operator' || role === 'power') {
      if (++operators > MAX_OPERATORS) return at(t, file, `more than ${MAX_OPERATORS} operators in one expression; split it with 'let'`);
    }
    if (role === 'open' || role === 'power') {
      if (role === 'open') outside.push(depth);
      if (++depth > MAX_NESTING) return at(t, file, NESTING);
    } else if (role === 'close') {
      depth = outside.pop() ?? 0;
    } else if (role === 'operator' || role === 'comma') {
      depth = operand();
    } else if (role === 'statement' || (role === 'end' && outside.length === 0)) {
      // After an unclosed bracket its levels stay: recovery may not have left them.
      depth = operand();
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
