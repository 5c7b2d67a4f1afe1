// The one container Kiln keeps tensors in (checkpoints, model files, artifact weights): the
// safetensors layout, so other tools read Kiln's weights, with Kiln's version and sha256 in its metadata.

import { Sha256 } from './sha256.js';
import { KilnRuntimeError, numelOf, type RuntimeDType, type Tensor } from './tensor.js';

/**
 * Layout (safetensors): an unsigned 64-bit little-endian header length N; N bytes of UTF-8 JSON,
 * padded with spaces to a multiple of 8; then the data section. The header maps each tensor name
 * to { dtype: "F32" | "I32" | "BOOL", shape, data_offsets: [begin, end] } (bytes of the data
 * section; tensors in name order, packed without gaps, little-endian) and "__metadata__" to a map
 * of strings. Kiln's metadata holds VERSION_KEY and HASH_KEY: sha256 (hex) of digestText (the
 * header's contents without the hash) followed by the data section.
 */
export const VERSION_KEY = 'kiln.version';
export const HASH_KEY = 'kiln.sha256';
/** 2: the safetensors container (1 was Kiln's own checkpoint layout). */
export const WEIGHTS_VERSION = 2;

const DTYPE_NAMES: Record<RuntimeDType, string> = { f32: 'F32', i32: 'I32', bool: 'BOOL' };
const ELEMENT_BYTES: Record<RuntimeDType, number> = { f32: 4, i32: 4, bool: 1 };
// On little-endian hosts (all common ones) tensor data is copied through typed-array views.
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** A header above this size is refused before it is decoded (safetensors' own readers use the same bound). */
const MAX_HEADER = 100_000_000;

/** One tensor's place in the data section. */
interface Entry {
  name: string;
  dtype: RuntimeDType;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsContents {
  /** Kiln's own keys (version, hash) are checked and left out. */
  metadata: Record<string, string>;
  tensors: Record<string, Tensor>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** What the hash covers besides the data: every metadata entry but the hash and every tensor entry, in sorted order. */
function digestText(metadata: Readonly<Record<string, string>>, entries: readonly Entry[]): string {
  const meta = Object.keys(metadata)
    .filter((k) => k !== HASH_KEY)
    .sort()
    .map((k) => [k, metadata[k]]);
  const tensors = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((e) => [e.name, DTYPE_NAMES[e.dtype], e.shape, e.begin, e.end]);
  return JSON.stringify([meta, tensors]);
}

function digest(metadata: Readonly<Record<string, string>>, entries: readonly Entry[], data: Uint8Array): string {
  return new Sha256().update(digestText(metadata, entries)).update(data).hex();
}

/** Little-endian bytes of one tensor into `out` at `at`; f32 held in f64 is rounded to f32. */
function writeData(out: Uint8Array, at: number, t: Tensor): void {
  if (t.dtype === 'bool') return out.set(t.data, at);
  const n = t.data.length;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < n; i++) {
    if (t.dtype === 'f32') view.setFloat32(at + 4 * i, t.data[i]!, true);
    else view.setInt32(at + 4 * i, t.data[i]!, true);
  }
}

/** A fresh copy of one tensor's data (never Buffer#slice, which shares memory), decoded from little-endian bytes. */
function readData(data: Uint8Array, e: Entry, fail: (m: string) => never): Tensor['data'] {
  const copy = new Uint8Array(data.subarray(e.begin, e.end));
  if (e.dtype === 'bool') {
    const bad = copy.findIndex((b) => b > 1);
    if (bad >= 0) fail(`tensor '${e.name}' (bool) holds ${copy[bad]} at element ${bad}; bools are 0 or 1`);
    return copy;
  }
  const n = copy.length / 4;
  if (LITTLE_ENDIAN_HOST) return e.dtype === 'f32' ? new Float32Array(copy.buffer, 0, n) : new Int32Array(copy.buffer, 0, n);
  const view = new DataView(copy.buffer);
  const out = e.dtype === 'f32' ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = e.dtype === 'f32' ? view.getFloat32(4 * i, true) : view.getInt32(4 * i, true);
  return out;
}

/**
 * Encodes checked tensors (data of the dtype's array type, or f64 for f32, with as many values as
 * the shape has) and metadata; the bytes depend only on the contents, not on insertion order.
 */
export function encodeSafetensors(tensors: Readonly<Record<string, Tensor>>, metadata: Readonly<Record<string, string>>): Uint8Array {
  const entries: Entry[] = [];
  let end = 0;
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name]!;
    const begin = end;
    end += t.data.length * ELEMENT_BYTES[t.dtype];
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], begin, end });
  }
  const data = new Uint8Array(end);
  for (const e of entries) writeData(data, e.begin, tensors[e.name]!);
  const meta: Record<string, string> = { ...metadata, [VERSION_KEY]: String(WEIGHTS_VERSION) };
  meta[HASH_KEY] = digest(meta, entries, data);
  const sortedMeta = Object.fromEntries(
    Object.keys(meta)
      .sort()
      .map((k) => [k, meta[k]]),
  );
  const header: Record<string, unknown> = { __metadata__: sortedMeta };
  for (const e of entries) header[e.name] = { dtype: DTYPE_NAMES[e.dtype], shape: e.shape, data_offsets: [e.begin, e.end] };
  const text = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(text.length / 8) * 8; // spaces pad it, so the data section starts 8-aligned
  const out = new Uint8Array(8 + headerLength + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.fill(0x20, 8, 8 + headerLength);
  out.set(text, 8);
  out.set(data, 8 + headerLength);
  return out;
}

function checkEntry(name: string, raw: unknown, fail: (m: string) => never): Entry {
  const what = `tensor '${name}'`;
  if (!isObject(raw)) fail(`${what} is not an object in the header`);
  const dtype = (Object.keys(DTYPE_NAMES) as RuntimeDType[]).find((d) => DTYPE_NAMES[d] === raw.dtype);
  if (!dtype) fail(`${what} has dtype ${show(raw.dtype)}, which Kiln does not read (it reads F32, I32 and BOOL)`);
  const shape = raw.shape;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`${what} has a bad shape ${show(shape)} (expected a list of non-negative integers)`);
  const offsets = raw.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(`${what} has bad data_offsets ${show(offsets)} (expected [begin, end] with 0 <= begin <= end)`);
  }
  const [begin, end] = offsets as [number, number];
  const needed = numelOf(shape as number[]) * ELEMENT_BYTES[dtype];
  if (end - begin !== needed) fail(`${what} spans ${end - begin} bytes, but ${dtype}[${shape.join(', ')}] takes ${needed}`);
  return { name, dtype, shape: shape as number[], begin, end };
}

/** The header as JSON: its length, text and tensor entries, all checked against the file's size. */
function readHeader(bytes: Uint8Array, fail: (m: string) => never): { metadata: Record<string, string>; entries: Entry[]; dataStart: number } {
  if (bytes.length < 8) fail(`truncated (expected at least 8 bytes, got ${bytes.length})`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER)) fail(`not a safetensors file (its header length field says ${length} bytes)`);
  const dataStart = 8 + Number(length);
  if (bytes.length < dataStart) fail(`truncated (expected at least ${dataStart} bytes, got ${bytes.length})`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) fail('header is not a JSON object');
  const metadata = header.__metadata__;
  if (!isObject(metadata)) fail('header has no __metadata__ map, so it is not a Kiln file');
  for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') fail(`__metadata__ '${k}' is ${show(v)}, not a string`);
  if (metadata[VERSION_KEY] !== String(WEIGHTS_VERSION)) {
    fail(
      metadata[VERSION_KEY] === undefined
        ? `not a Kiln file (__metadata__ has no '${VERSION_KEY}')`
        : `unsupported Kiln file version ${show(metadata[VERSION_KEY])} (this Kiln reads ${WEIGHTS_VERSION})`,
    );
  }
  if (!/^[0-9a-f]{64}$/.test(String(metadata[HASH_KEY]))) fail(`__metadata__ '${HASH_KEY}' must be 64 lowercase hex digits, got ${show(metadata[HASH_KEY])}`);
  const entries = Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, raw]) => checkEntry(name, raw, fail));
  return { metadata: metadata as Record<string, string>, entries, dataStart };
}

/**
 * Decodes and fully validates Kiln's safetensors bytes; every message starts with `source` (the
 * file). Checks run in order: header length, header, data layout (packed from 0, no gaps or
 * overlaps), file length, sha256, then the values.
 */
export function decodeSafetensors(bytes: Uint8Array, source: string, code: 'checkpoint' | 'artifact' = 'checkpoint'): SafetensorsContents {
  const fail = (m: string): never => {
    throw new KilnRuntimeError(code, `${source}: ${m}`);
  };
  const { metadata, entries, dataStart } = readHeader(bytes, fail);
  const placed = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let end = 0;
  for (const e of placed) {
    if (e.begin !== end) fail(`tensor '${e.name}' data starts at byte ${e.begin}, but the tensor before it ends at ${end} (tensors must be packed without gaps or overlaps)`);
    end = e.end;
  }
  const held = bytes.length - dataStart;
  if (held < end) fail(`truncated (expected ${dataStart + end} bytes, got ${bytes.length})`);
  if (held > end) fail(`${held - end} unexpected bytes after the tensor data`);
  const data = bytes.subarray(dataStart);
  if (digest(metadata, entries, data) !== metadata[HASH_KEY]) fail(`sha256 mismatch (the file is corrupt or was tampered with)`);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    // defineProperty, so a tensor named '__proto__' is stored as data, not as a prototype.
    const tensor: Tensor = { dtype: e.dtype, shape: [...e.shape], data: readData(data, e, fail) };
    Object.defineProperty(tensors, e.name, { value: tensor, enumerable: true, writable: true, configurable: true });
  }
  const own = Object.fromEntries(Object.entries(metadata).filter(([k]) => k !== VERSION_KEY && k !== HASH_KEY));
  return { metadata: own, tensors };
}
