// Argument checks at the public API: a function wrapped by `checked` refuses arguments of the
// wrong kind with a 'usage' KilnError naming the function, the parameter and what it expected,
// before anything inside it can fail with a TypeError of its own.
//
// The wrapper is a Proxy, so a wrapped function keeps its type, its generics and its name, and a
// wrapped class keeps `instanceof`, subclassing and its statics. It lives beside the IR so that
// the call sites the builder records skip its frames, as they skip the builder's own.

import { KilnError } from './errors.js';

/** What a parameter accepts: a description for messages and the test. */
export interface Expected {
  readonly what: string;
  test(v: unknown): boolean;
  /** For an options object: what each field accepts when it is given (absent fields are the callee's to judge). */
  readonly fields?: Readonly<Record<string, Expected>>;
}

/** One parameter: its name (ending in '?' when it may be left out or undefined) and what it accepts. */
export type Param = readonly [name: string, expected: Expected];

const expected = (what: string, test: (v: unknown) => boolean): Expected => ({ what, test });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTypedArray = (v: unknown): boolean => ArrayBuffer.isView(v) && !(v instanceof DataView);

/** The kinds of argument Kiln's public functions take. */
export const is = {
  string: expected('a string', (v) => typeof v === 'string'),
  number: expected('a number', (v) => typeof v === 'number'),
  boolean: expected('a boolean', (v) => typeof v === 'boolean'),
  function: expected('a function', (v) => typeof v === 'function'),
  object: expected('an object', isRecord),
  options: (fields: Readonly<Record<string, Expected>> = {}): Expected => ({ ...expected('an options object', isRecord), fields }),
  array: expected('an array', Array.isArray),
  arrayLike: expected('an array or typed array of numbers', (v) => Array.isArray(v) || isTypedArray(v)),
  span: expected('a source span { file?, line, col }', (v) => isRecord(v) && typeof v.line === 'number' && typeof v.col === 'number'),
  graph: expected('a Graph (from parse, graph, parseGraph or graphFromJSON)', (v) => {
    if (!isRecord(v) || typeof v.name !== 'string') return false;
    return [v.inputs, v.params, v.nodes, v.outputs, v.updates].every(Array.isArray);
  }),
  dataset: expected('a Dataset { size, columns } (from fromArrays, parseCSV, loadCSV or loadMnist)', (v) => isRecord(v) && typeof v.size === 'number' && isRecord(v.columns)),
  oneOf: (values: readonly string[]): Expected => expected(`one of ${values.map((s) => `'${s}'`).join(', ')}`, (v) => typeof v === 'string' && values.includes(v)),
} as const;

/** "an object", "the string 'abc'", "a Float32Array": what a caller passed, briefly. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (Array.isArray(v)) return 'an array';
  const proto: unknown = Object.getPrototypeOf(v);
  const ctor = isRecord(proto) && typeof proto.constructor === 'function' ? proto.constructor.name : '';
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}

/** The signature as messages show it: `parse(source, file?, options?)`. */
const signature = (name: string, params: readonly Param[]): string => `${name}(${params.map(([p]) => p).join(', ')})`;

/** Throws a 'usage' KilnError at the first argument (or field of an options argument) that `params` does not accept. */
export function checkArgs(name: string, params: readonly Param[], args: readonly unknown[]): void {
  const refuse = (what: string, want: Expected, got: string): never => {
    throw new KilnError('usage', `${signature(name, params)}: '${what}' must be ${want.what}${got}`);
  };
  params.forEach(([param, want], i) => {
    const optional = param.endsWith('?');
    const bare = optional ? param.slice(0, -1) : param;
    const v = args[i];
    if (optional && v === undefined) return;
    if (!want.test(v)) refuse(bare, want, v === undefined && i >= args.length ? ', but it is missing' : `, got ${describeValue(v)}`);
    for (const [key, field] of Object.entries(want.fields ?? {})) {
      const f = (v as Record<string, unknown>)[key];
      if (f !== undefined && !field.test(f)) refuse(`${bare}.${key}`, field, `, got ${describeValue(f)}`);
    }
  });
}

/**
 * `fn` with its arguments checked on every call (and on `new`, for a class). A function that
 * returns a promise gets the refusal as a rejected promise (`async: true`), like its other errors.
 */
export function checked<F extends object>(fn: F, name: string, params: readonly Param[], options: { async?: boolean } = {}): F {
  const check = (args: readonly unknown[], label: string): void => checkArgs(label, params, args);
  return new Proxy(fn, {
    apply(target, thisArg, args: unknown[]): unknown {
      if (!options.async) {
        check(args, name);
        return Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args);
      }
      try {
        check(args, name);
      } catch (e) {
        return Promise.reject(e as Error);
      }
      return Reflect.apply(target as (...a: unknown[]) => unknown, thisArg, args);
    },
    construct(target, args: unknown[], newTarget: object): object {
      check(args, `new ${name}`);
      return Reflect.construct(target as new (...a: unknown[]) => object, args, newTarget as new (...a: unknown[]) => object);
    },
  });
}
