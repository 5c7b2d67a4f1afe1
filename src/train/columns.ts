// Data as fit, predict and evaluate take it: a Dataset, or plain columns (nested arrays, flat or
// typed arrays, Tensors whose first dim is the examples) made into one by fromArrays with the
// dtypes and example shapes the model declares, and checked against those declarations.

import type { Tensor } from '../../runtime/tensor.js';
import { describeData, fromArrays } from '../data/dataset.js';
import type { Column, ColumnData, ColumnInput, Dataset, NestedNumbers } from '../data/dataset.js';
import { fail } from '../ir/errors.js';
import type { InputDecl } from '../ir/graph.js';
import { formatType } from '../ir/types.js';

/** One column of plain data: nested arrays, flat values, or a Tensor of shape [examples, ...]. */
export type ArrayColumn = NestedNumbers | ColumnData | Tensor;
/** Plain data: named columns with the examples along their first level. */
export type ArrayColumns = Readonly<Record<string, ArrayColumn>>;
export type DataLike = Dataset | ArrayColumns;

export function isDataset(d: unknown): d is Dataset {
  return typeof d === 'object' && d !== null && 'columns' in d && 'size' in d;
}

const isTensor = (v: unknown): v is Tensor => typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && 'dtype' in v && 'shape' in v && 'data' in v;

/** The inputs whose first dim is symbolic: the ones that take a batch of examples. */
export function batchedInputs(inputs: readonly InputDecl[]): InputDecl[] {
  return inputs.filter((i) => typeof i.type.shape[0] === 'string');
}

/** The example shape an input declares, when every dim of it is a number. */
function concreteExample(input: InputDecl | undefined): number[] | undefined {
  const example = input?.type.shape.slice(1);
  return example?.every((d) => typeof d === 'number') ? (example as number[]) : undefined;
}

const isColumnDtype = (d: string): d is Column['dtype'] => d === 'f32' || d === 'i32' || d === 'bool';

/** One plain column as fromArrays takes it: numbers stored in the input's dtype, flat values cut into its example shape. */
function columnInput(what: string, name: string, v: unknown, input: InputDecl | undefined): ColumnInput {
  const dtype = input && isColumnDtype(input.type.dtype) ? { dtype: input.type.dtype } : {};
  if (isTensor(v)) {
    if (!Array.isArray(v.shape) || v.shape.length === 0) fail('data', `${what}: column '${name}' is a scalar Tensor; a column's first dim counts the examples`);
    return { data: v.data as ColumnData, dtype: v.dtype, shape: v.shape.slice(1) };
  }
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
    fail('data', `${what}: column '${name}' must be nested arrays, a typed array or a Tensor [examples, ...], got ${describeData(v)}`);
  }
  const flat = ArrayBuffer.isView(v) || !(v as unknown[]).some(Array.isArray);
  const shape = flat ? concreteExample(input) : undefined;
  return { data: v as ColumnData | NestedNumbers, ...(shape ? { shape } : {}), ...(Array.isArray(v) ? dtype : {}) };
}

/** Whether two shapes hold the same values in the same order: equal once their size-1 dims are dropped. */
const sameUpToUnitDims = (a: readonly number[], b: readonly number[]): boolean => {
  const [x, y] = [a.filter((d) => d !== 1), b.filter((d) => d !== 1)];
  return x.length === y.length && x.every((d, i) => d === y[i]);
};

/**
 * `data` as a Dataset whose columns fit the model's batched inputs: the dtype and example shape
 * each declares (a symbolic dim fits any size, the same one throughout). A column that differs
 * only by size-1 dims (a scalar label for y: f32[B, 1]) takes the declared shape. Columns the
 * model does not take are kept; `what` starts the errors.
 */
export function toDataset(data: DataLike, inputs: readonly InputDecl[], what: string): Dataset {
  const declared = new Map(batchedInputs(inputs).map((i) => [i.name, i]));
  let ds: Dataset;
  if (isDataset(data)) ds = data;
  else {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) fail('usage', `${what}: expected a Dataset or an object of named columns, got ${describeData(data)}`);
    const columns = Object.entries(data).map(([name, v]) => [name, columnInput(what, name, v, declared.get(name))] as const);
    try {
      ds = fromArrays(Object.fromEntries(columns));
    } catch (e) {
      if (e instanceof Error) e.message = `${what}: ${e.message}`;
      throw e;
    }
  }
  const columns: Record<string, Column> = { ...ds.columns };
  const bound = new Map<string, number>();
  for (const [name, input] of declared) {
    const col = columns[name];
    if (!col) continue;
    const want = input.type.shape.slice(1);
    const expects = `the model's ${name} is ${formatType(input.type)}`;
    if (col.dtype !== input.type.dtype) fail('data', `${what}: column '${name}' holds ${col.dtype} values, but ${expects}`);
    const concrete = concreteExample(input);
    if (concrete && numelOf(concrete) === numelOf(col.shape) && sameUpToUnitDims(concrete, col.shape)) columns[name] = { ...col, shape: concrete };
    const shape = columns[name]!.shape;
    const fits = shape.length === want.length && want.every((d, i) => typeof d === 'string' || d === shape[i]);
    if (!fits) fail('data', `${what}: column '${name}' holds examples of shape [${col.shape.join(', ')}], but ${expects} (examples of shape [${want.join(', ')}])`);
    want.forEach((d, i) => {
      if (typeof d !== 'string') return;
      const seen = bound.get(d);
      if (seen !== undefined && seen !== shape[i]) fail('data', `${what}: dim ${d} is ${seen} in one column and ${shape[i]} in column '${name}'`);
      bound.set(d, shape[i]!);
    });
  }
  return { size: ds.size, columns: Object.freeze(columns) };
}

const numelOf = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);
