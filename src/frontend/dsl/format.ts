// The canonical form of a .kiln file: one statement per line, two-space blocks, fixed spacing,
// the user's parentheses and number spellings kept, and every comment put back near its code.
//
// Comments are placed from their spans alone (the program carries no source text):
//   - after code on the line where a statement or declaration ends: trailing   `let h = x  # why`
//   - on the line a block opens, before its first statement: after the `{`    `model m {  # why`
//   - anywhere else inside a statement (a multi-line call, say): on their own lines before it
//   - on their own line: before the construct that follows, or at the end of their block
// A blank line between two things in the input stays one blank line; none after `{` or before
// `}`. Top-level declarations are always one blank line apart, consecutive imports none.

import type { Comment, Decl, Expr, InitExpr, KeywordArg, Node, Program, Stmt, TypeExpr } from './ast.js';

const INDENT = '  ';

/** The canonical text of `program`, ending in one newline (empty for an empty program). */
export function formatProgram(program: Program): string {
  const comments = [...program.comments].sort((a, b) => a.span.offset - b.span.offset);
  const placed = place(program.decls, comments);
  const out: string[] = [];
  let prev: Line | undefined;
  program.decls.forEach((decl, i) => {
    const slot = placed.slots[i]!;
    const header = splitHeader(decl, slot.inside);
    const lead = [...slot.lead, ...header.before].map((c) => commentLine(c, slot.virtualLine(c)));
    const prevDecl = program.decls[i - 1];
    // Declarations are one blank line apart, but a run of imports stays together.
    if (prevDecl && !(prevDecl.kind === 'import' && decl.kind === 'import')) out.push('');
    const lines = [...lead, ...formatDecl(decl, header, slot.trail)];
    lines.forEach((line, j) => {
      // Up to the declaration's first line, the input's blank lines stay; its block has its own.
      if (j > 0 && j <= lead.length && line.first - prev!.last > 1) out.push('');
      out.push(line.text);
      prev = line;
    });
  });
  for (const c of placed.rest) {
    const line = commentLine(c, c.span.line);
    if (prev && line.first - prev.last > 1) out.push('');
    out.push(line.text);
    prev = line;
  }
  return out.length === 0 ? '' : out.join('\n') + '\n';
}

// ---- placing comments -----------------------------------------------------------------------

/** A formatted line with the source lines it came from, to tell where blank lines were. */
interface Line {
  text: string;
  first: number;
  last: number;
}

interface Slot {
  /** Own-line comments before the item, and comments from inside a one-line item, in order. */
  lead: Comment[];
  /** The comment after the item's code on the line where it ends. */
  trail?: Comment;
  /** Comments inside a declaration's block, placed again within that block. */
  inside: Comment[];
  /** The line a leading comment counts as for blank lines: a moved inner one sits on the item's. */
  virtualLine(c: Comment): number;
}

/** Assigns each comment among `items` (in source order) to an item, or leaves it for the end. */
function place(items: readonly Node[], comments: readonly Comment[]): { slots: Slot[]; rest: Comment[] } {
  const slots: Slot[] = items.map((item) => ({
    lead: [],
    inside: [],
    virtualLine: (c) => (c.span.offset >= item.span.offset ? item.span.line : c.span.line),
  }));
  const rest: Comment[] = [];
  for (const c of comments) {
    const at = c.span.offset;
    const within = items.findIndex((item) => item.span.offset <= at && at < item.end.offset);
    if (within >= 0) {
      const item = items[within]!;
      if (hasBlock(item)) slots[within]!.inside.push(c);
      else slots[within]!.lead.push(c);
      continue;
    }
    // The last item that ended before the comment: a trailing comment if on its last line.
    let before = -1;
    items.forEach((item, i) => {
      if (item.end.offset <= at) before = i;
    });
    if (before >= 0 && items[before]!.end.line === c.span.line && !slots[before]!.trail) {
      slots[before]!.trail = c;
      continue;
    }
    const next = items.findIndex((item) => item.span.offset > at);
    if (next >= 0) slots[next]!.lead.push(c);
    else rest.push(c);
  }
  return { slots, rest };
}

function hasBlock(n: Node): boolean {
  const kind = (n as { kind?: string }).kind;
  return kind === 'model' || kind === 'def' || kind === 'train';
}

function commentText(c: Comment): string {
  return `#${c.text.trimEnd()}`;
}

function commentLine(c: Comment, line: number): Line {
  return { text: commentText(c), first: line, last: line };
}

function withTrail(text: string, trail: Comment | undefined): string {
  return trail ? `${text}  ${commentText(trail)}` : text;
}

// ---- declarations and blocks --------------------------------------------------------------

/**
 * The comments of a block that sit on its header's lines, before any statement: the last one
 * follows the `{`, earlier ones (inside a def's parameter list, say) move above the declaration.
 */
interface Header {
  before: Comment[];
  opening?: Comment;
  inside: Comment[];
}

function splitHeader(decl: Decl, comments: Comment[]): Header {
  if (decl.kind === 'import') return { before: [], inside: comments };
  const items: readonly Node[] = decl.kind === 'train' ? decl.settings : decl.body;
  const lines = [decl.span.line, ...(decl.kind === 'train' ? [] : [decl.nameSpan.line]), ...(decl.kind === 'def' ? decl.params.map((p) => p.span.line) : [])];
  // The `{` is not in the tree: the header ends, as far as we know, on its last name's line.
  const headerEnd = Math.max(...lines);
  const firstItem = items[0]?.span.offset ?? decl.end.offset;
  const onHeader = comments.filter((c) => c.span.line <= headerEnd && c.span.offset < firstItem);
  const opening = onHeader.pop();
  const inside = comments.filter((c) => c !== opening && !onHeader.includes(c));
  return opening ? { before: onHeader, opening, inside } : { before: onHeader, inside };
}

function formatDecl(decl: Decl, header: Header, trail: Comment | undefined): Line[] {
  const here = (text: string): Line => ({ text, first: decl.span.line, last: decl.end.line });
  switch (decl.kind) {
    case 'import':
      return [here(withTrail(`import ${quote(decl.path)}`, trail))];
    case 'def':
      return block(decl, `def ${decl.name}(${decl.params.map((p) => p.name).join(', ')})`, decl.body, formatStmt, header, trail);
    case 'model':
      return block(decl, `model ${decl.name}`, decl.body, formatStmt, header, trail);
    case 'train':
      return block(decl, 'train', decl.settings, (s) => `${s.name} = ${formatExpr(s.value)}`, header, trail);
  }
}

/** `head {`, the items one per line with their comments, `}`; `head {}` when there is nothing. */
function block<T extends Node>(decl: Decl, head: string, items: readonly T[], format: (item: T) => string, { opening, inside }: Header, trail: Comment | undefined): Line[] {
  const placed = place(items, inside);
  const inner: Line[] = [];
  items.forEach((item, i) => {
    const slot = placed.slots[i]!;
    for (const c of slot.lead) inner.push(commentLine(c, slot.virtualLine(c)));
    inner.push({ text: withTrail(format(item), slot.trail), first: item.span.line, last: item.end.line });
  });
  for (const c of placed.rest) inner.push(commentLine(c, c.span.line));

  const first: Line = { text: withTrail(`${head} {`, opening), first: decl.span.line, last: decl.span.line };
  const last: Line = { text: withTrail('}', trail), first: decl.end.line, last: decl.end.line };
  if (inner.length === 0 && !opening) return [{ ...first, text: withTrail(`${head} {}`, trail), last: decl.end.line }];
  const lines: Line[] = [first];
  inner.forEach((line, i) => {
    if (i > 0 && line.first - inner[i - 1]!.last > 1) lines.push({ text: '', first: line.first, last: line.first });
    lines.push({ ...line, text: INDENT + line.text });
  });
  lines.push(last);
  return lines;
}

// ---- statements and expressions -----------------------------------------------------------

function formatStmt(s: Stmt): string {
  switch (s.kind) {
    case 'input':
      return `input ${s.name}: ${formatType(s.type)}`;
    case 'param':
      return `param ${s.name}: ${formatType(s.type)}` + (s.init ? ` = ${formatInit(s.init)}` : '');
    case 'let':
      return `let ${s.name} = ${formatExpr(s.value)}`;
    case 'output':
      return `output ${s.name}` + (s.value ? ` = ${formatExpr(s.value)}` : '');
    case 'loss':
      return `loss ${formatExpr(s.value)}`;
    case 'return':
      return `return ${formatExpr(s.value)}`;
  }
}

function formatType(t: TypeExpr): string {
  return `${t.dtype}[${t.dims.map((d) => (d.kind === 'number' ? d.text : d.name)).join(', ')}]`;
}

/** `he_normal` or `he_normal(seed=1)`: empty parentheses carry nothing, so they go. */
function formatInit(init: InitExpr): string {
  return init.kwargs.length === 0 ? init.name : `${init.name}(${init.kwargs.map(formatKwarg).join(', ')})`;
}

function formatKwarg(k: KeywordArg): string {
  return `${k.name}=${formatExpr(k.value)}`;
}

/** Precedence lives in the tree and parentheses in ParenExpr, so printing adds none. */
export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return e.text;
    case 'bool':
      return String(e.value);
    case 'string':
      return quote(e.value);
    case 'name':
      return e.name;
    case 'list':
      return `[${e.items.map(formatExpr).join(', ')}]`;
    case 'unary': {
      // `- -x`, not `--x`: two minus signs read as one token too easily.
      const operand = formatExpr(e.operand);
      return operand.startsWith('-') ? `- ${operand}` : `-${operand}`;
    }
    case 'binary':
      return `${formatExpr(e.left)} ${e.op} ${formatExpr(e.right)}`;
    case 'call':
      return `${e.callee}(${[...e.args.map(formatExpr), ...e.kwargs.map(formatKwarg)].join(', ')})`;
    case 'paren':
      return `(${formatExpr(e.inner)})`;
  }
}

/** A string literal that reads back as `value`: only `\` and `"` are escaped. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
