// Tensors as the runtime sees them, and the checks at the door: user inputs are converted to
// typed arrays and checked against the program's declared inputs before anything runs.
// The runtime imports nothing from the compiler; these types mirror the IR's.

export type RuntimeDType = 'f32' | 'i32' | 'bool';
export type TensorData = Float32Array | Int32Array | Uint8Array | Float64Array;

export interface Tensor {
  dtype: RuntimeDType;
  shape: number[];
  data: TensorData;
}

/** What a caller may pass for an input: a Tensor, a typed array, or (nested) number arrays. */
export type TensorLike = Tensor | TensorData | number | boolean | readonly NestedNumbers[];
type NestedNumbers = number | boolean | readonly NestedNumbers[];

/** A named input or output of a compiled program, with a concrete shape. */
export interface IOSpec {
  name: string;
  dtype: RuntimeDType;
  shape: number[];
  /** An input the program never reads (dropout's step key in evaluation mode) may be left out. */
  optional?: boolean;
}

export type RuntimeErrorCode = 'input' | 'runtime' | 'artifact' | 'checkpoint' | 'nonfinite';

/** An error caused by how a compiled program is called or what it is given. */
export class KilnRuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  constructor(code: RuntimeErrorCode, message: string) {
    super(message);
    this.name = 'KilnRuntimeError';
    this.code = code;
  }
}

function describe(spec: IOSpec): string {
  return `${spec.dtype}[${spec.shape.join(', ')}]`;
}

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === 'object' && v !== null && 'data' in v && 'shape' in v && 'dtype' in v;
}

function dtypeOfArray(data: TensorData): RuntimeDType | 'f64' {
  if (data instanceof Float32Array) return 'f32';
  if (data instanceof Int32Array) return 'i32';
  if (data instanceof Uint8Array) return 'bool';
  return 'f64';
}

/** Shape and flat values of nested arrays, or an error naming where they are ragged. */
function flattenNested(v: NestedNumbers, what: string): { shape: number[]; values: number[] } {
  const shape: number[] = [];
  for (let cur: NestedNumbers = v; Array.isArray(cur); cur = (cur as readonly NestedNumbers[])[0]!) {
    shape.push(cur.length);
    if (cur.length === 0) break;
  }
  const values: number[] = [];
  const walk = (x: NestedNumbers, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof x === 'number') values.push(x);
      else if (typeof x === 'boolean') values.push(+x);
      else throw new KilnRuntimeError('input', `${what}: expected a number at ${path || 'top level'}, got ${Array.isArray(x) ? 'an array' : typeof x}`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) {
      throw new KilnRuntimeError('input', `${what}: ragged nested array at ${path || 'top level'} (expected ${shape[depth]} entries)`);
    }
    (x as readonly NestedNumbers[]).forEach((y, i) => walk(y, depth + 1, `${path}[${i}]`));
  };
  walk(v, 0, '');
  return { shape, values };
}

/**
 * Converts one user value to a Tensor of exactly `spec`'s dtype and shape. A bare typed array
 * takes the declared shape if its length matches; f64 storage is accepted for f32 when
 * `allowF64` (the double-precision reference interpreter).
 */
export function toTensor(value: TensorLike, spec: IOSpec, what: string, allowF64 = false): Tensor {
  const want = describe(spec);
  const n = numelOf(spec.shape);
  let shape: number[];
  let data: TensorData;
  if (isTensor(value)) {
    shape = [...value.shape];
    data = value.data;
    if (value.dtype !== spec.dtype) throw new KilnRuntimeError('input', `${what}: expected ${want}, got dtype ${value.dtype}`);
  } else if (ArrayBuffer.isView(value)) {
    shape = [...spec.shape];
    data = value as TensorData;
  } else {
    const flat = flattenNested(value as NestedNumbers, what);
    shape = flat.shape;
    data = spec.dtype === 'f32' ? new Float32Array(flat.values) : spec.dtype === 'i32' ? new Int32Array(flat.values) : new Uint8Array(flat.values);
    // Typed arrays would wrap or truncate values that do not fit; refuse them instead.
    const misfit = flat.values.find((x) => (spec.dtype === 'i32' ? !Number.isInteger(x) || x < -2147483648 || x > 2147483647 : spec.dtype === 'bool' ? x !== 0 && x !== 1 : false));
    if (misfit !== undefined) throw new KilnRuntimeError('input', `${what}: value ${misfit} does not fit ${want}`);
    // A flat list may stand for any shape with the same element count.
    if (shape.length === 1 && spec.shape.length !== 1 && shape[0] === n) shape = [...spec.shape];
  }
  const kind = dtypeOfArray(data);
  const dtypeOk = kind === spec.dtype || (kind === 'f64' && spec.dtype === 'f32' && allowF64);
  if (!dtypeOk) {
    const expected = { f32: 'Float32Array', i32: 'Int32Array', bool: 'Uint8Array' }[spec.dtype];
    throw new KilnRuntimeError('input', `${what}: expected ${want} as ${expected}, got ${data.constructor.name}`);
  }
  if (shape.length !== spec.shape.length || shape.some((d, i) => d !== spec.shape[i])) {
    throw new KilnRuntimeError('input', `${what}: expected shape [${spec.shape.join(', ')}], got [${shape.join(', ')}]`);
  }
  if (data.length !== n) {
    throw new KilnRuntimeError('input', `${what}: expected ${n} elements for ${want}, got ${data.length}`);
  }
  return { dtype: spec.dtype, shape, data };
}

/** Checks a call's inputs against the program's: every one present, none unknown, each well-typed. */
export function prepareInputs(specs: readonly IOSpec[], given: unknown, allowF64 = false): Map<string, Tensor> {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new KilnRuntimeError('input', `run: expected an object of named inputs (${specs.map((s) => s.name).join(', ')})`);
  }
  const record = given as Record<string, TensorLike>;
  const known = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(record)) {
    if (!known.has(name)) {
      throw new KilnRuntimeError('input', `unknown input '${name}' (the program's inputs are ${[...known].join(', ') || 'none'})`);
    }
  }
  const out = new Map<string, Tensor>();
  for (const spec of specs) {
    const v = record[spec.name];
    if (v === undefined) {
      if (spec.optional) continue;
      throw new KilnRuntimeError('input', `missing input '${spec.name}' (expected ${describe(spec)})`);
    }
    out.set(spec.name, toTensor(v, spec, `input '${spec.name}'`, allowF64));
  }
  return out;
}
