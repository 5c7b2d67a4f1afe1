// Checkpoints of trained weights: safetensors files (runtime/safetensors.ts) with the graph and step in their metadata, atomic save and load, and compatibility checks.

import { KilnRuntimeError, numelOf, type RuntimeDType, type Tensor } from './tensor.js';
import { fsReason, syncDirectory } from './fs.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** What a checkpoint says about itself; extra keys (optimizer, model, …) must be strings. */
export interface CheckpointMeta {
  graph: string;
  step: number;
  [extra: string]: unknown;
}

const DTYPES: readonly RuntimeDType[] = ['f32', 'i32', 'bool'];
const ARRAY_TYPES: Record<RuntimeDType, string> = { f32: 'Float32Array or Float64Array', i32: 'Int32Array', bool: 'Uint8Array' };

const describe = (t: { dtype: string; shape: readonly number[] }): string => `${t.dtype}[${t.shape.join(', ')}]`;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function fail(source: string, message: string): never {
  throw new KilnRuntimeError('checkpoint', `${source}: ${message}`);
}

/** The metadata strings of a meta: graph, step in decimal, and every extra, which must be a string already. */
function metaStrings(meta: unknown, source: string): Record<string, string> {
  if (!isObject(meta)) fail(source, 'meta is not an object');
  if (typeof meta.graph !== 'string') fail(source, `meta.graph must be a string, got ${JSON.stringify(meta.graph) ?? 'nothing'}`);
  if (!isCount(meta.step)) fail(source, `meta.step must be a non-negative integer, got ${JSON.stringify(meta.step) ?? 'nothing'}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (k === 'step') continue;
    if (typeof v !== 'string') fail(source, `meta.${k} must be a string (safetensors metadata holds strings), got ${JSON.stringify(v) ?? typeof v}`);
    out[k] = v;
  }
  return { ...out, step: String(meta.step) };
}

/** A checkpoint's meta from its metadata strings: graph and step must be there. */
function metaFrom(metadata: Record<string, string>, source: string): CheckpointMeta {
  const { graph, step } = metadata;
  if (graph === undefined) fail(source, "__metadata__ has no 'graph'");
  if (step === undefined || !/^(0|[1-9]\d*)$/.test(step) || !Number.isSafeInteger(Number(step))) {
    fail(source, `__metadata__ 'step' must be a non-negative integer, got ${JSON.stringify(step) ?? 'nothing'}`);
  }
  return { ...metadata, graph, step: Number(step) };
}

/** Checks one parameter before encoding, so a bad one fails the save before any file is touched. */
function checkParam(source: string, name: string, t: unknown): Tensor {
  const what = `parameter '${name}'`;
  if (name === '') fail(source, 'a parameter has an empty name');
  if (name === '__metadata__') fail(source, `a parameter may not be named '__metadata__' (the file format reserves it)`);
  if (!isObject(t)) fail(source, `${what} is not a tensor`);
  if (!DTYPES.includes(t.dtype as RuntimeDType)) fail(source, `${what} has unknown dtype ${JSON.stringify(t.dtype)}`);
  const dtype = t.dtype as RuntimeDType;
  if (!Array.isArray(t.shape) || !t.shape.every(isCount)) fail(source, `${what} has a bad shape ${JSON.stringify(t.shape)}`);
  const shape = t.shape as number[];
  const data = t.data;
  const typeOk = dtype === 'f32' ? data instanceof Float32Array || data instanceof Float64Array : dtype === 'i32' ? data instanceof Int32Array : data instanceof Uint8Array;
  if (!typeOk) fail(source, `${what} (${dtype}) must hold its data in a ${ARRAY_TYPES[dtype]}, got ${describeValue(data)}`);
  const values = data as Tensor['data'];
  if (values.length !== numelOf(shape)) fail(source, `${what} holds ${values.length} values, but ${describe({ dtype, shape })} has ${numelOf(shape)}`);
  if (dtype === 'bool') {
    const bad = values.findIndex((b) => b > 1);
    if (bad >= 0) fail(source, `${what} (bool) holds ${values[bad]} at element ${bad}; bools are 0 or 1`);
  }
  return { dtype, shape, data: values };
}

function describeValue(v: unknown): string {
  return typeof v === 'object' && v !== null ? v.constructor.name : typeof v;
}

function encode(params: Record<string, Tensor>, meta: CheckpointMeta, source: string): Uint8Array {
  const metadata = metaStrings(meta, source);
  const tensors: Record<string, Tensor> = {};
  for (const name of Object.keys(params)) {
    Object.defineProperty(tensors, name, { value: checkParam(source, name, params[name]), enumerable: true });
  }
  return encodeSafetensors(tensors, metadata);
}

/**
 * Encodes parameters and metadata as a checkpoint: a safetensors file (runtime/safetensors.ts)
 * whose __metadata__ holds the graph, the step (decimal) and the extras, all strings.
 */
export function encodeCheckpoint(params: Record<string, Tensor>, meta: CheckpointMeta): Uint8Array {
  return encode(params, meta, 'encodeCheckpoint');
}

/** Decodes and fully validates a checkpoint; `source` (a path, usually) starts every error message. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): { meta: CheckpointMeta; params: Record<string, Tensor> } {
  const { metadata, tensors } = decodeSafetensors(bytes, source);
  return { meta: metaFrom(metadata, source), params: tensors };
}

/** Temporary files of saves running in this process, which a cleanup must leave alone. */
const SAVING = new Set<string>();

/** `.NAME.PID.HEX.tmp`: the temporary file a save of checkpoint NAME writes before renaming it. */
function tempPattern(base: string): RegExp {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${escaped}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);
}

/** Whether process `pid` is running (one that cannot be signalled for lack of permission is). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes what saves of `path` killed midway left behind: its temporary files written by this
 * process (when no save of this process still writes them) or by processes no longer running.
 * Best effort: a directory that cannot be listed, or a file already gone, is not an error.
 */
async function removeStaleTemps(path: string): Promise<void> {
  const [{ readdir, unlink }, nodePath] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const dir = nodePath.dirname(path);
  const pattern = tempPattern(nodePath.basename(path));
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const pid = pattern.exec(name)?.[1];
    if (pid === undefined) continue;
    const temp = nodePath.join(dir, name);
    const stale = Number(pid) === process.pid ? !SAVING.has(temp) : !isRunning(Number(pid));
    if (stale) await unlink(temp).catch(() => undefined);
  }
}

/**
 * Saves atomically: the bytes go to a uniquely named temporary file beside `path`, which is
 * fsynced and renamed over it, so a reader sees the old checkpoint or the new one, never half.
 * On failure the temporary file is removed and an existing checkpoint stays as it was; the
 * temporary files of earlier saves that were killed midway are removed first.
 */
export async function saveCheckpoint(path: string, params: Record<string, Tensor>, meta: CheckpointMeta): Promise<void> {
  const bytes = encode(params, meta, `cannot save checkpoint ${path}`); // fails before any file is touched
  // Node's modules load here, on use, so decoding checkpoints needs no file system.
  const [{ open, rename, unlink }, nodePath] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const dir = nodePath.dirname(path);
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  const temp = nodePath.join(dir, `.${nodePath.basename(path)}.${process.pid}.${suffix}.tmp`);
  SAVING.add(temp);
  let created = false;
  try {
    await removeStaleTemps(path);
    const file = await open(temp, 'wx');
    created = true;
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    created = false;
  } catch (e) {
    if (created) await unlink(temp).catch(() => undefined);
    fail(path, `cannot save checkpoint (${fsReason(e)})`);
  } finally {
    SAVING.delete(temp);
  }
  const unsynced = await syncDirectory(dir);
  if (unsynced) fail(path, `checkpoint written, but its directory could not be synced (${fsReason(unsynced)})`);
}

/** Reads and decodes a checkpoint file; every error names `path`. Stale temporary files of its saves are removed. */
export async function loadCheckpoint(path: string): Promise<{ meta: CheckpointMeta; params: Record<string, Tensor> }> {
  const { readFile } = await import('node:fs/promises');
  await removeStaleTemps(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    fail(path, `cannot read checkpoint (${fsReason(e)})`);
  }
  return decodeCheckpoint(bytes, path);
}

/**
 * Checks loaded parameters against the ones a model expects, listing every missing, unexpected
 * and mismatched parameter in one error, so a caller can refuse before replacing any weights.
 */
export function checkCompatible(expected: Record<string, { dtype: RuntimeDType; shape: readonly number[] }>, loaded: Record<string, Tensor>, source: string): void {
  const problems: string[] = [];
  const names = [...new Set([...Object.keys(expected), ...Object.keys(loaded)])].sort();
  for (const name of names) {
    const want = Object.hasOwn(expected, name) ? expected[name] : undefined;
    const got = Object.hasOwn(loaded, name) ? loaded[name] : undefined;
    if (!got) problems.push(`missing parameter '${name}' (the model expects ${describe(want!)})`);
    else if (!want) problems.push(`unexpected parameter '${name}' (${describe(got)}), which the model does not have`);
    else if (describe(want) !== describe(got)) problems.push(`parameter '${name}': the model expects ${describe(want)}, the checkpoint has ${describe(got)}`);
  }
  if (problems.length > 0) {
    const count = problems.length === 1 ? '1 difference' : `${problems.length} differences`;
    fail(source, `checkpoint does not match the model (${count}):\n  ${problems.join('\n  ')}`);
  }
}
