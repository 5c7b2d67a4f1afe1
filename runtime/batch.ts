// A variable batch at run time (ArtifactBatch in artifact.ts): a run with n rows, n up to the
// compiled size, has its batched inputs padded with zero rows to the compiled size and its batched
// outputs cut back to n rows. The compiler proved every output row depends on its own input row
// alone, so the padding never reaches the rows returned: they are the rows the full batch gives.

import type { ArtifactBatch } from './artifact.js';
import type { RunOptions } from './program-executable.js';
import { KilnRuntimeError, numelOf, toTensor, type IOSpec, type Tensor, type TensorLike } from './tensor.js';

interface Runnable {
  readonly inputs: IOSpec[];
  run(inputs: Readonly<Record<string, TensorLike>>, options?: RunOptions): Promise<Record<string, Tensor>>;
}

const isRecord = (v: unknown): v is Record<string, TensorLike> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The rows (axis 0) of a value given for `spec`, or undefined when that is not clear (then the shape check at the door reports it). */
function rowsOf(value: TensorLike, spec: IOSpec): number | undefined {
  const rowSize = numelOf(spec.shape.slice(1));
  if (typeof value === 'object' && 'shape' in value && Array.isArray(value.shape)) return value.shape[0];
  const flat = ArrayBuffer.isView(value) || (Array.isArray(value) && spec.shape.length > 1 && value.every((x) => typeof x === 'number'));
  if (flat) return rowSize > 0 && (value as ArrayLike<number>).length % rowSize === 0 ? (value as ArrayLike<number>).length / rowSize : undefined;
  return Array.isArray(value) ? value.length : undefined;
}

function zeros(dtype: IOSpec['dtype'], n: number): Float32Array | Int32Array | Uint8Array {
  return dtype === 'f32' ? new Float32Array(n) : dtype === 'i32' ? new Int32Array(n) : new Uint8Array(n);
}

/** The number of rows of this call, checked to be the same for every batched input and within the limit; undefined when the inputs are not usable (run's own checks name why). */
function rowCount(given: Record<string, TensorLike>, specs: ReadonlyMap<string, IOSpec>, batch: ArtifactBatch): number | undefined {
  let first: { name: string; rows: number } | undefined;
  for (const name of batch.inputs) {
    const value = given[name];
    const rows = value === undefined ? undefined : rowsOf(value, specs.get(name)!);
    if (rows === undefined) return undefined;
    if (first && rows !== first.rows)
      throw new KilnRuntimeError('input', `inputs '${first.name}' and '${name}' have ${first.rows} and ${rows} rows; the batch (${batch.dim}) is the same for every input`);
    first ??= { name, rows };
  }
  const { name, rows } = first!;
  if (rows > batch.max)
    throw new KilnRuntimeError('input', `input '${name}' has ${rows} rows, but this artifact runs at most ${batch.max} (${batch.dim} was compiled as ${batch.max})`);
  if (rows === 0) throw new KilnRuntimeError('input', `input '${name}' has no rows; a batch has 1 to ${batch.max}`);
  return rows;
}

/** Makes `exe.run` take any batch from 1 to `batch.max` rows; its other methods are unchanged. */
export function withVariableBatch<E extends Runnable>(exe: E, batch: ArtifactBatch): E {
  const run = exe.run.bind(exe);
  const specs = new Map(exe.inputs.map((s) => [s.name, s]));
  exe.run = async (given, options) => {
    const rows = isRecord(given) ? rowCount(given, specs, batch) : undefined;
    if (rows === undefined || rows === batch.max) return run(given, options);
    const padded: Record<string, TensorLike> = { ...given };
    for (const name of batch.inputs) {
      const spec = specs.get(name)!;
      const t = toTensor(given[name]!, { ...spec, shape: [rows, ...spec.shape.slice(1)] }, `input '${name}'`);
      const data = zeros(spec.dtype, numelOf(spec.shape));
      data.set(t.data);
      padded[name] = { dtype: spec.dtype, shape: [...spec.shape], data };
    }
    const out = await run(padded, options);
    for (const name of batch.outputs) {
      const t = out[name];
      if (t) out[name] = { dtype: t.dtype, shape: [rows, ...t.shape.slice(1)], data: t.data.slice(0, rows * numelOf(t.shape.slice(1))) };
    }
    return out;
  };
  return exe;
}
