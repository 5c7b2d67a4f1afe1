// Checkpoints of trained weights: a checksummed binary format, its validating decoder, atomic save and load, and compatibility checks.

import { KilnRuntimeError, numelOf, type RuntimeDType, type Tensor } from './tensor.js';
import { fsReason, syncDirectory } from './fs.js';

/** What a checkpoint says about itself; extra keys (optimizer name, lr, …) must be JSON-serializable. */
export interface CheckpointMeta {
  graph: string;
  step: number;
  [extra: string]: unknown;
}

/** One tensor's entry in the header; `offset` is relative to the start of the data section. */
interface Entry {
  name: string;
  dtype: RuntimeDType;
  shape: number[];
  offset: number;
  byteLength: number;
}

/** A header that passed every check that does not need the data section. */
interface Layout {
  meta: CheckpointMeta;
  entries: Entry[];
  dataStart: number;
  dataLength: number;
}

const MAGIC = new TextEncoder().encode('KILNCKPT');
const VERSION = 1;
const PREFIX = 16; // magic, version, header length
const MIN_BYTES = PREFIX + 4; // the smallest file that can carry its checksum
const DTYPES: readonly RuntimeDType[] = ['f32', 'i32', 'bool'];
const ELEMENT_BYTES: Record<RuntimeDType, number> = { f32: 4, i32: 4, bool: 1 };
const ARRAY_TYPES: Record<RuntimeDType, string> = { f32: 'Float32Array or Float64Array', i32: 'Int32Array', bool: 'Uint8Array' };
// On little-endian hosts (all common ones) tensor data is copied through typed-array views.
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const align8 = (n: number): number => Math.ceil(n / 8) * 8;
const describe = (t: { dtype: string; shape: readonly number[] }): string => `${t.dtype}[${t.shape.join(', ')}]`;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function fail(source: string, message: string): never {
  throw new KilnRuntimeError('checkpoint', `${source}: ${message}`);
}

function truncated(source: string, expected: number, got: number): never {
  fail(source, `truncated (expected at least ${expected} bytes, got ${got})`);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zlib and PNG compute it. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  const table = crcTable;
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checkMeta(meta: unknown, source: string, what: string): CheckpointMeta {
  if (!isObject(meta)) fail(source, `${what} is not an object`);
  if (typeof meta.graph !== 'string') fail(source, `${what}.graph must be a string, got ${JSON.stringify(meta.graph) ?? 'nothing'}`);
  if (!isCount(meta.step)) fail(source, `${what}.step must be a non-negative integer, got ${JSON.stringify(meta.step) ?? 'nothing'}`);
  return meta as CheckpointMeta;
}

/** Checks one parameter before encoding, so a bad one fails the save before any file is touched. */
function checkParam(source: string, name: string, t: unknown): Tensor {
  const what = `parameter '${name}'`;
  if (name === '') fail(source, 'a parameter has an empty name');
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

/** Little-endian bytes of one tensor into `out` at an 8-aligned position; f32 held in f64 is rounded to f32. */
function writeData(out: Uint8Array, at: number, t: Tensor): void {
  if (t.dtype === 'bool') return out.set(t.data, at);
  const n = t.data.length;
  if (LITTLE_ENDIAN_HOST) {
    (t.dtype === 'f32' ? new Float32Array(out.buffer, at, n) : new Int32Array(out.buffer, at, n)).set(t.data);
    return;
  }
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    if (t.dtype === 'f32') view.setFloat32(at + 4 * i, t.data[i]!, true);
    else view.setInt32(at + 4 * i, t.data[i]!, true);
  }
}

/** A fresh copy of one tensor's data, decoded from little-endian bytes. */
function readData(bytes: Uint8Array, at: number, e: Entry, source: string): Tensor['data'] {
  // A fresh buffer (never Buffer#slice, which shares memory) so the tensor owns it and views are aligned.
  const copy = new Uint8Array(bytes.subarray(at, at + e.byteLength));
  if (e.dtype === 'bool') {
    const bad = copy.findIndex((b) => b > 1);
    if (bad >= 0) fail(source, `tensor '${e.name}' (bool) holds ${copy[bad]} at element ${bad}; bools are 0 or 1`);
    return copy;
  }
  const n = e.byteLength / 4;
  if (LITTLE_ENDIAN_HOST) return e.dtype === 'f32' ? new Float32Array(copy.buffer, 0, n) : new Int32Array(copy.buffer, 0, n);
  const view = new DataView(copy.buffer);
  const out = e.dtype === 'f32' ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = e.dtype === 'f32' ? view.getFloat32(4 * i, true) : view.getInt32(4 * i, true);
  return out;
}

function encode(params: Record<string, Tensor>, meta: CheckpointMeta, source: string): Uint8Array {
  checkMeta(meta, source, 'meta');
  const entries: Entry[] = [];
  const tensors: Tensor[] = [];
  let cursor = 0;
  // Sorted names make the bytes depend only on the contents, not on insertion order.
  for (const name of Object.keys(params).sort()) {
    const tensor = checkParam(source, name, params[name]);
    const offset = align8(cursor);
    const byteLength = tensor.data.length * ELEMENT_BYTES[tensor.dtype];
    entries.push({ name, dtype: tensor.dtype, shape: [...tensor.shape], offset, byteLength });
    tensors.push(tensor);
    cursor = offset + byteLength;
  }
  let headerText: string;
  try {
    headerText = JSON.stringify({ meta, tensors: entries });
  } catch (e) {
    fail(source, `meta is not JSON-serializable (${(e as Error).message})`);
  }
  const header = new TextEncoder().encode(headerText);
  const dataStart = align8(PREFIX + header.length);
  const total = dataStart + align8(cursor) + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, PREFIX);
  entries.forEach((e, i) => writeData(out, dataStart + e.offset, tensors[i]!));
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}

/**
 * Encodes parameters and metadata as a checkpoint. Layout, all integers little-endian:
 *
 *   0   8 bytes   magic "KILNCKPT"
 *   8   u32       format version (1)
 *   12  u32       header length H
 *   16  H bytes   UTF-8 JSON { meta, tensors: [{ name, dtype, shape, offset, byteLength }] }
 *       zeros     up to the next multiple of 8: the data section starts there
 *       data      each tensor at data start + offset (offsets are multiples of 8, tensors in name
 *                 order, zero padding between); f32 as float32, i32 as int32, bool as one byte;
 *                 the section is padded with zeros to a multiple of 8
 *   end-4  u32    CRC-32 of every byte before it
 */
export function encodeCheckpoint(params: Record<string, Tensor>, meta: CheckpointMeta): Uint8Array {
  return encode(params, meta, 'encodeCheckpoint');
}

/** Where the header ends and the data section starts, as the header length field says. */
function headerBounds(bytes: Uint8Array): { headerLength: number; dataStart: number } {
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  return { headerLength, dataStart: align8(PREFIX + headerLength) };
}

/** Reads and checks the header: entries well-formed, names unique, no two tensors sharing bytes. */
function readLayout(bytes: Uint8Array, source: string): Layout {
  const { headerLength, dataStart } = headerBounds(bytes);
  if (bytes.length < dataStart + 4) truncated(source, dataStart + 4, bytes.length);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + headerLength));
  } catch {
    fail(source, 'header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(source, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) fail(source, 'header is not a JSON object');
  const meta = checkMeta(header.meta, source, 'header meta');
  if (!Array.isArray(header.tensors)) fail(source, 'header has no tensors list');
  const entries = header.tensors.map((raw: unknown, i: number) => checkEntry(raw, i, source));
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) fail(source, `duplicate tensor name '${e.name}'`);
    seen.add(e.name);
  }
  // Empty tensors own no bytes, so they cannot overlap anything.
  const placed = entries.filter((e) => e.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < placed.length; i++) {
    const [a, b] = [placed[i - 1]!, placed[i]!];
    if (b.offset < a.offset + a.byteLength) {
      fail(source, `tensors '${a.name}' [${a.offset}, ${a.offset + a.byteLength}) and '${b.name}' [${b.offset}, ${b.offset + b.byteLength}) overlap`);
    }
  }
  const dataLength = align8(entries.reduce((end, e) => Math.max(end, e.offset + e.byteLength), 0));
  return { meta, entries, dataStart, dataLength };
}

function checkEntry(raw: unknown, index: number, source: string): Entry {
  if (!isObject(raw)) fail(source, `tensor entry #${index} is not an object`);
  const { name, dtype, shape, offset, byteLength } = raw;
  if (typeof name !== 'string' || name === '') fail(source, `tensor entry #${index} has no name`);
  const what = `tensor '${name}'`;
  if (!DTYPES.includes(dtype as RuntimeDType)) fail(source, `${what} has unknown dtype ${JSON.stringify(dtype)} (expected f32, i32 or bool)`);
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(source, `${what} has a bad shape ${JSON.stringify(shape)} (expected a list of non-negative integers)`);
  if (!isCount(offset) || offset % 8 !== 0) fail(source, `${what} has a bad offset ${JSON.stringify(offset)} (expected a non-negative multiple of 8)`);
  if (!isCount(byteLength)) fail(source, `${what} has a bad byteLength ${JSON.stringify(byteLength)}`);
  const entry: Entry = { name, dtype: dtype as RuntimeDType, shape: shape as number[], offset, byteLength };
  const needed = numelOf(entry.shape) * ELEMENT_BYTES[entry.dtype];
  if (!Number.isSafeInteger(needed)) fail(source, `${what} has a shape too large to hold: ${describe(entry)}`);
  if (byteLength !== needed) fail(source, `${what} has byteLength ${byteLength}, but ${describe(entry)} takes ${needed} bytes`);
  return entry;
}

/** The file size a failed checksum would have had to match, when the header can tell; else undefined. */
function expectedLength(bytes: Uint8Array, source: string): number | undefined {
  // A header that runs past the end of the file is itself a sign of truncation.
  const { dataStart } = headerBounds(bytes);
  if (bytes.length < dataStart + 4) return dataStart + 4;
  try {
    const layout = readLayout(bytes, source);
    return layout.dataStart + layout.dataLength + 4;
  } catch {
    return undefined;
  }
}

/**
 * Decodes and fully validates a checkpoint; `source` (a path, usually) starts every error message.
 * Checks run in order: magic, version, length, checksum, header, then the data section.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): { meta: CheckpointMeta; params: Record<string, Tensor> } {
  const head = bytes.subarray(0, MAGIC.length);
  if (head.some((b, i) => b !== MAGIC[i])) {
    const found = [...head].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(source, `not a Kiln checkpoint (bad magic: expected "KILNCKPT", found bytes ${found})`);
  }
  if (bytes.length < 12) truncated(source, MIN_BYTES, bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) fail(source, `unsupported checkpoint version ${version} (this Kiln reads version ${VERSION})`);
  if (bytes.length < MIN_BYTES) truncated(source, MIN_BYTES, bytes.length);
  // The checksum comes before the header is trusted; on failure, the header (if readable) tells truncation from corruption.
  if (crc32(bytes.subarray(0, bytes.length - 4)) !== view.getUint32(bytes.length - 4, true)) {
    const expected = expectedLength(bytes, source);
    if (expected !== undefined && expected > bytes.length) truncated(source, expected, bytes.length);
    fail(source, 'checksum mismatch (the file is corrupt or was tampered with)');
  }
  const { meta, entries, dataStart, dataLength } = readLayout(bytes, source);
  const actual = bytes.length - 4 - dataStart;
  for (const e of entries) {
    if (e.offset + e.byteLength > actual) {
      fail(source, `tensor '${e.name}' data [${e.offset}, ${e.offset + e.byteLength}) is out of bounds (the data section holds ${actual} bytes)`);
    }
  }
  if (actual > dataLength) fail(source, `${actual - dataLength} unexpected bytes after the tensor data`);
  if (actual < dataLength) fail(source, `data section holds ${actual} bytes, but with its padding to a multiple of 8 it must hold ${dataLength}`);
  const params: Record<string, Tensor> = {};
  for (const e of entries) {
    // defineProperty, so a tensor named '__proto__' is stored as data, not as a prototype.
    const tensor: Tensor = { dtype: e.dtype, shape: [...e.shape], data: readData(bytes, dataStart + e.offset, e, source) };
    Object.defineProperty(params, e.name, { value: tensor, enumerable: true, writable: true, configurable: true });
  }
  return { meta, params };
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
