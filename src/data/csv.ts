// CSV files as datasets: numeric feature columns become `x` (f32[features]) and an optional label
// column becomes `y`; every bad cell is reported at its file:line:col.

import { readFileSync } from 'node:fs';
import { fsReason } from '../../runtime/fs.js';
import { fail } from '../ir/errors.js';
import { failHinted } from '../ir/hints.js';
import type { HintStyle } from '../ir/hints.js';
import type { Column, Dataset } from './dataset.js';

export interface CSVOptions {
  /** The name errors use for the text (loadCSV defaults it to the path). */
  file?: string;
  /** The label column: a header name, or a 0-based index (negative counts from the end: -1 is the last). */
  label?: string | number;
  /** 'i32' (default): integer class labels, y is i32[]; 'f32': regression targets, y is f32[]. */
  labelDtype?: 'i32' | 'f32';
  /** Whether the first row names the columns; by default it does when any of its cells is not a number. */
  header?: boolean;
  /** One character other than a quote or a line break; default ','. */
  delimiter?: string;
}

/** One cell and where its first character is (1-based). */
interface Cell {
  text: string;
  line: number;
  col: number;
}

/** One record, and where the character after its last cell is (where a missing cell would start). */
interface Row {
  cells: Cell[];
  endLine: number;
  endCol: number;
}

/**
 * Splits text into records of cells (RFC 4180: quoted cells may hold delimiters, line breaks and
 * "" for a quote; records end at \n, \r\n or \r). Rows with only empty space are skipped.
 */
function tokenize(text: string, delimiter: string, file: string | undefined): Row[] {
  const rows: Row[] = [];
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is not part of the first cell
  let line = 1;
  let lineStart = pos;
  let cells: Cell[] = [];
  const isBreak = (c: string | undefined): boolean => c === '\n' || c === '\r';
  const newline = (): void => {
    pos += text[pos] === '\r' && text[pos + 1] === '\n' ? 2 : 1;
    line++;
    lineStart = pos;
  };
  while (pos <= text.length) {
    const cell: Cell = { text: '', line, col: pos - lineStart + 1 };
    const isQuoted = text[pos] === '"';
    if (isQuoted) {
      pos++;
      let value = '';
      for (;;) {
        if (pos >= text.length) fail('data', 'unterminated quoted cell', { file, line: cell.line, col: cell.col });
        const c = text[pos]!;
        if (c === '"' && text[pos + 1] === '"') {
          value += '"';
          pos += 2;
        } else if (c === '"') {
          pos++;
          break;
        } else if (isBreak(c)) {
          value += c === '\r' && text[pos + 1] === '\n' ? '\r\n' : c;
          newline();
        } else {
          value += c;
          pos++;
        }
      }
      if (pos < text.length && text[pos] !== delimiter && !isBreak(text[pos])) {
        fail('data', `unexpected '${text[pos]}' after a closing quote (expected '${delimiter}' or the end of the line)`, {
          file,
          line,
          col: pos - lineStart + 1,
        });
      }
      cell.text = value;
    } else {
      const start = pos;
      while (pos < text.length && text[pos] !== delimiter && !isBreak(text[pos])) pos++;
      cell.text = text.slice(start, pos);
    }
    cells.push(cell);
    if (text[pos] === delimiter) {
      pos++;
      continue;
    }
    // End of a record: at a line break or at the end of the text.
    const blank = cells.length === 1 && !isQuoted && cell.text.trim() === '';
    if (!blank) rows.push({ cells, endLine: line, endCol: pos - lineStart + 1 });
    cells = [];
    if (pos >= text.length) break;
    newline();
  }
  return rows;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number (surrounding spaces allowed), or undefined; no hex, NaN or Infinity. */
function parseNumber(text: string): number | undefined {
  const t = text.trim();
  return DECIMAL.test(t) ? Number(t) : undefined;
}

const quoted = (s: string): string => `'${s.replace(/'/g, "\\'")}'`;

/** How each interface names the label option, for messages about it. */
const LABEL: Record<HintStyle, string> = { api: 'parseCSV: label', cli: '--label:' };

/** Parses CSV text into a dataset with `x` (f32[features]) and, when `label` is given, `y`. */
export function parseCSV(text: string, options: CSVOptions = {}): Dataset {
  const { file } = options;
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    fail('usage', `parseCSV: the delimiter must be one character other than a quote or a line break, got ${JSON.stringify(delimiter)}`);
  }
  const labelDtype = options.labelDtype ?? 'i32';
  if (labelDtype !== 'i32' && labelDtype !== 'f32') fail('usage', `parseCSV: labelDtype must be 'i32' or 'f32', got '${String(labelDtype)}'`);

  const rows = tokenize(text, delimiter, file);
  if (rows.length === 0) fail('data', 'the CSV has no rows', { file, line: 1, col: 1 });
  const first = rows[0]!;
  const hasHeader = options.header ?? first.cells.some((c) => parseNumber(c.text) === undefined);
  const names = hasHeader ? first.cells.map((c) => c.text.trim()) : undefined;
  const body = hasHeader ? rows.slice(1) : rows;
  const width = first.cells.length;
  const columnName = (k: number): string => (names ? `column ${quoted(names[k]!)}` : `column ${k + 1}`);

  // Resolve the label to a column index.
  let labelAt: number | undefined;
  const { label } = options;
  if (typeof label === 'string') {
    if (!names) {
      failHinted('usage', (s) => `${LABEL[s]} ${quoted(label)} names a column, but the CSV has no header row; give the label as a column index`);
    }
    labelAt = names.indexOf(label);
    if (labelAt < 0) {
      fail('data', `unknown label column ${quoted(label)} (the header has ${names.map(quoted).join(', ')})`, {
        file,
        line: first.cells[0]!.line,
        col: first.cells[0]!.col,
      });
    }
  } else if (typeof label === 'number') {
    if (!Number.isInteger(label) || label >= width || label < -width) {
      failHinted('usage', (s) => `${LABEL[s]} column index ${label} is out of range for ${width} columns`);
    }
    labelAt = label < 0 ? width + label : label;
  }

  if (body.length === 0) fail('data', 'the CSV has a header but no data rows', { file, line: first.endLine, col: first.endCol });
  const features = width - (labelAt === undefined ? 0 : 1);
  const x = new Float32Array(body.length * features);
  const y = labelAt === undefined ? undefined : labelDtype === 'i32' ? new Int32Array(body.length) : new Float32Array(body.length);

  body.forEach((row, r) => {
    if (row.cells.length > width) {
      const extra = row.cells[width]!;
      fail('data', `this row has ${row.cells.length} fields, expected ${width}`, { file, line: extra.line, col: extra.col });
    }
    if (row.cells.length < width) {
      fail('data', `this row has ${row.cells.length} fields, expected ${width}`, { file, line: row.endLine, col: row.endCol });
    }
    let f = r * features;
    row.cells.forEach((cell, k) => {
      const where = { file, line: cell.line, col: cell.col };
      const value = parseNumber(cell.text);
      if (value === undefined) {
        fail('data', cell.text.trim() === '' ? `empty cell (${columnName(k)})` : `${quoted(cell.text)} is not a number (${columnName(k)})`, where);
      }
      if (k !== labelAt) {
        x[f++] = value;
      } else if (labelDtype === 'i32') {
        if (!Number.isInteger(value)) {
          failHinted(
            'data',
            (s) => `class label ${quoted(cell.text.trim())} is not an integer (${columnName(k)}); use ${s === 'api' ? "labelDtype 'f32'" : '--label-dtype f32'} for regression`,
            where,
          );
        }
        if (value < -2147483648 || value > 2147483647) fail('data', `class label ${quoted(cell.text.trim())} does not fit i32 (${columnName(k)})`, where);
        y![r] = value;
      } else {
        y![r] = value;
      }
    });
  });

  const columns: Record<string, Column> = { x: { dtype: 'f32', shape: [features], data: x } };
  if (y) columns.y = { dtype: labelDtype, shape: [], data: y };
  return { size: body.length, columns: Object.freeze(columns) };
}

/** Reads and parses a CSV file; errors name the path (as `options.file`, unless that is given). */
export function loadCSV(path: string, options: CSVOptions = {}): Dataset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return fail('data', `cannot read CSV file '${path}' (${fsReason(e)})`);
  }
  return parseCSV(text, { ...options, file: options.file ?? path });
}
