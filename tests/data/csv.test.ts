// Tests of CSV loading: values, headers, labels, quoting and line endings, and every error at its
// exact file:line:col.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCSV, parseCSV, type CSVOptions } from '../../src/data/index.js';
import { catchKiln } from '../catch-kiln.js';

const IRIS = ['sepal_len,sepal_wid,petal_len,petal_wid,species', '5.1,3.5,1.4,0.2,0', '7.0,3.2,4.7,1.4,1', '6.3,3.3,6.0,2.5,2', ''].join('\n');

/** The span and message of the error that parsing `text` throws. */
function csvError(text: string, options: CSVOptions = {}): { at: string; detail: string; code: string } {
  const e = catchKiln(() => parseCSV(text, { file: 'iris.csv', ...options }));
  return { at: `${e.span?.file}:${e.span?.line}:${e.span?.col}`, detail: e.detail, code: e.code };
}

describe('parseCSV values', () => {
  it('reads features as x: f32[features] and a named class label as y: i32[]', () => {
    const ds = parseCSV(IRIS, { label: 'species' });
    expect(ds.size).toBe(3);
    expect(ds.columns.x).toEqual({
      dtype: 'f32',
      shape: [4],
      data: new Float32Array([5.1, 3.5, 1.4, 0.2, 7.0, 3.2, 4.7, 1.4, 6.3, 3.3, 6.0, 2.5]),
    });
    expect(ds.columns.y).toEqual({ dtype: 'i32', shape: [], data: new Int32Array([0, 1, 2]) });
  });

  it('takes the label by index (negative from the end) and anywhere in the row', () => {
    const byIndex = parseCSV(IRIS, { label: -1 });
    expect(byIndex.columns.y!.data).toEqual(new Int32Array([0, 1, 2]));
    const first = parseCSV('y,a,b\n1,2,3\n0,4,5\n', { label: 0 });
    expect(first.columns.x!.data).toEqual(new Float32Array([2, 3, 4, 5]));
    expect(first.columns.y!.data).toEqual(new Int32Array([1, 0]));
  });

  it('reads regression targets as f32 and keeps every column as a feature without a label', () => {
    const reg = parseCSV('a,t\n1,0.5\n2,-1.25e1\n', { label: 't', labelDtype: 'f32' });
    expect(reg.columns.y).toEqual({ dtype: 'f32', shape: [], data: new Float32Array([0.5, -12.5]) });
    const all = parseCSV(IRIS);
    expect(Object.keys(all.columns)).toEqual(['x']);
    expect(all.columns.x!.shape).toEqual([5]);
  });

  it('detects a header only when the first row has a cell that is not a number', () => {
    const none = parseCSV('1,2\n3,4\n');
    expect(none.size).toBe(2);
    expect(none.columns.x!.data).toEqual(new Float32Array([1, 2, 3, 4]));
    // header: true forces even a numeric first row to be names; header: false forces it to be data.
    expect(parseCSV('1,2\n3,4\n', { header: true }).size).toBe(1);
    expect(csvError('a,b\n1,2\n', { header: false }).detail).toBe("'a' is not a number (column 1)");
  });

  it('handles quoted cells, CRLF, a byte-order mark, spaces, other delimiters and blank lines', () => {
    const text = '\uFEFF"a","b ""quoted"" name"\r\n" 1.5",2\r\n\r\n"3"," -4 "\r\n\r\n\r\n';
    const ds = parseCSV(text, { label: 'b "quoted" name' });
    expect(ds.columns.x!.data).toEqual(new Float32Array([1.5, 3]));
    expect(ds.columns.y!.data).toEqual(new Int32Array([2, -4]));
    const semi = parseCSV('a;"b;c"\n1;2\n', { delimiter: ';', label: 'b;c' });
    expect(semi.columns.y!.data).toEqual(new Int32Array([2]));
    // A quoted header cell may even span lines; the next row is then counted from line 3.
    expect(csvError('"a\nb",c\n1,x\n').at).toBe('iris.csv:3:3');
  });
});

describe('parseCSV errors', () => {
  it('names a cell that is not a number at its line and column', () => {
    const text = IRIS.replace('6.3,3.3,6.0', '6.3,3.3,abc');
    expect(csvError(text, { label: 'species' })).toEqual({
      at: 'iris.csv:4:9',
      detail: "'abc' is not a number (column 'petal_len')",
      code: 'data',
    });
    expect(catchKiln(() => parseCSV(text, { file: 'iris.csv' })).message).toBe("iris.csv:4:9: 'abc' is not a number (column 'petal_len')");
    // Columns are those of the cell's first character: the opening quote of a quoted cell.
    expect(csvError('a,b\n1,  "x"\n').detail).toBe("'  \"x\"' is not a number (column 'b')");
    expect(csvError('a,b\n1,"x"\n').at).toBe('iris.csv:2:3');
    expect(csvError('a,b\r\n1,\r\n')).toEqual({ at: 'iris.csv:2:3', detail: "empty cell (column 'b')", code: 'data' });
    expect(csvError('a,b\n1,0x10\n').detail).toBe("'0x10' is not a number (column 'b')");
  });

  it('points at the first extra cell of a long row and the end of a short one', () => {
    expect(csvError('a,b,c\n1,2,3\n4,5,6,7\n')).toEqual({ at: 'iris.csv:3:7', detail: 'this row has 4 fields, expected 3', code: 'data' });
    expect(csvError('a,b,c\n1,2,3\n4,55\n')).toEqual({ at: 'iris.csv:3:5', detail: 'this row has 2 fields, expected 3', code: 'data' });
    expect(csvError('a,b,c\r\n1,2\r\n').at).toBe('iris.csv:2:4');
  });

  it('refuses a fractional class label for i32', () => {
    expect(csvError('a,label\n1,2\n3,1.5\n', { label: 'label' })).toEqual({
      at: 'iris.csv:3:3',
      detail: "class label '1.5' is not an integer (column 'label'); use labelDtype 'f32' for regression",
      code: 'data',
    });
    expect(parseCSV('a,label\n3,1.5\n', { label: 'label', labelDtype: 'f32' }).columns.y!.data).toEqual(new Float32Array([1.5]));
    expect(csvError('a,label\n1,3e10\n', { label: 1 }).detail).toBe("class label '3e10' does not fit i32 (column 'label')");
  });

  it('lists the header for an unknown label column', () => {
    expect(csvError(IRIS, { label: 'specie' })).toEqual({
      at: 'iris.csv:1:1',
      detail: "unknown label column 'specie' (the header has 'sepal_len', 'sepal_wid', 'petal_len', 'petal_wid', 'species')",
      code: 'data',
    });
    expect(csvError('1,2\n', { label: 'y' }).code).toBe('usage');
    expect(csvError('1,2\n', { label: 2 }).detail).toBe('parseCSV: label column index 2 is out of range for 2 columns');
  });

  it('reports bad quoting, empty input and a header with no rows', () => {
    expect(csvError('a,b\n1,"2\n3,4\n')).toEqual({ at: 'iris.csv:2:3', detail: 'unterminated quoted cell', code: 'data' });
    expect(csvError('a,b\n1,"2"x\n')).toEqual({
      at: 'iris.csv:2:6',
      detail: "unexpected 'x' after a closing quote (expected ',' or the end of the line)",
      code: 'data',
    });
    expect(csvError('\n\n').detail).toBe('the CSV has no rows');
    expect(csvError('a,b\n')).toEqual({ at: 'iris.csv:1:4', detail: 'the CSV has a header but no data rows', code: 'data' });
    expect(csvError('a,b\n1,2\n', { delimiter: '"' }).code).toBe('usage');
  });
});

describe('loadCSV', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', () => {
    const path = join(dir, 'iris.csv');
    writeFileSync(path, IRIS.replace('7.0', '7,0'));
    const e = catchKiln(() => loadCSV(path, { label: 'species' }));
    expect(e.message).toBe(`${path}:3:17: this row has 6 fields, expected 5`);
    writeFileSync(path, IRIS);
    expect(loadCSV(path, { label: 'species' }).columns.y!.data).toEqual(new Int32Array([0, 1, 2]));
  });

  it('names the path and the errno code when the file cannot be read', () => {
    const missing = join(dir, 'nope.csv');
    const e = catchKiln(() => loadCSV(missing));
    expect(e.code).toBe('data');
    expect(e.message).toBe(`cannot read CSV file '${missing}' (no such file or directory)`);
    expect(catchKiln(() => loadCSV(dir)).message).toBe(`cannot read CSV file '${dir}' (is a directory)`);
  });
});
