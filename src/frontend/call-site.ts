// Call sites: the user's source location of a builder call, read from a V8 stack trace, so that
// every node the TypeScript front end makes points at the line that made it. Plain string
// handling, no node: modules, so the builder also runs in a browser.

import type { SourceSpan } from '../ir/errors.js';

/** A stack location as a comparable path: file URLs become paths, backslashes slashes. */
function toPath(loc: string): string {
  if (!loc.startsWith('file://')) return loc.replace(/\\/g, '/');
  const path = decodeURIComponent(new URL(loc).pathname);
  return /^\/[A-Za-z]:/.test(path) ? path.slice(1) : path; // file:///C:/x is C:/x on Windows
}

// Folders whose frames are Kiln's, not the user's: taken from this module's own location rather
// than matched by name, so a user's project with its own src/frontend/ is not skipped.
const KILN_DIRS = [toPath(new URL('.', import.meta.url).href), toPath(new URL('../ir/', import.meta.url).href)];

/** The location of one V8 stack line, or undefined for native and internal frames. */
function parseFrame(line: string): { file: string; line: number; col: number } | undefined {
  const text = line.trim();
  if (!text.startsWith('at ')) return undefined;
  // `at fn (loc)` or `at loc`; the location is the last parenthesized part when there is one.
  const open = text.lastIndexOf('(');
  const loc = text.endsWith(')') && open >= 0 ? text.slice(open + 1, -1) : text.slice(3).replace(/^async /, '');
  const m = /^(.*):(\d+):(\d+)$/.exec(loc);
  if (!m || m[1]!.startsWith('node:') || m[1]!.includes('<anonymous>')) return undefined;
  return { file: toPath(m[1]!), line: Number(m[2]), col: Number(m[3]) };
}

/** A path relative to the working directory when it lies under it. */
function displayPath(file: string): string {
  const cwd = typeof process !== 'undefined' && typeof process.cwd === 'function' ? toPath(process.cwd()) : '';
  const base = cwd.endsWith('/') ? cwd : `${cwd}/`;
  return cwd && file.startsWith(base) ? file.slice(base.length) : file;
}

/** The span of the innermost caller outside Kiln's frontend and IR, if the stack shows one. */
export function callSite(): SourceSpan | undefined {
  const limit = Error.stackTraceLimit;
  // Layers and fluent handles add frames; look deep enough to get past them.
  Error.stackTraceLimit = Math.max(limit, 64);
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frames = stack.split('\n').flatMap((line) => parseFrame(line) ?? []);
  // The first frame is this function's own, as the stack names it (source-mapped or not).
  const own = frames[0]?.file.replace(/[^/]*$/, '') ?? '';
  const dirs = own ? [...KILN_DIRS, own, own.replace(/[^/]*\/$/, 'ir/')] : KILN_DIRS;
  const frame = frames.find((f) => !dirs.some((dir) => f.file.startsWith(dir)));
  return frame && { file: displayPath(frame.file), line: frame.line, col: frame.col };
}
