// Artifacts as the runtime reads them: manifest.json (format, version, target, the kernel program, the weights table, for 'wasm' the module file, a sha256 hash), weights.bin and module.wasm; loading validates every part and refuses with an error naming the file. The program itself is checked by program-validator.ts.

import type { KernelDType, KernelProgram } from './kernel-ir.js';
import { ALIGN, DTYPES, alignUp, fail, isCount, isObject, namedList, parseProgram, shapeOf, show } from './program-validator.js';
import { fsReason } from './fs.js';
import { Sha256 } from './sha256.js';
import { numelOf, type Tensor } from './tensor.js';

/** Arena and weight offsets are multiples of ALIGN bytes; the program validator lays temps out with the same rule. */
export { ALIGN, alignUp };

export const ARTIFACT_FORMAT = 'kiln-artifact';
/** 2: the manifest lists the parameters stored without a value (`initialized`), and a module carries its program's digest. */
export const ARTIFACT_VERSION = 2;
/**
 * Targets this runtime executes. For 'js' the kernel program itself is the code; for 'wasm' the
 * code is a WebAssembly module, and the program stays in the manifest for its buffer layout and IO.
 */
export const ARTIFACT_TARGETS = ['js', 'wasm'] as const;
export type ArtifactTarget = (typeof ARTIFACT_TARGETS)[number];
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';
export const MODULE_FILE = 'module.wasm';
/** The custom section of a module that holds the digest (programDigest, as hex text) of the program it was compiled from. */
export const PROGRAM_SECTION = 'kiln.program';

export interface WeightEntry {
  name: string;
  dtype: KernelDType;
  shape: number[];
  /** Byte offset in the weights file. */
  offset: number;
  byteLength: number;
}

/** manifest.json. `program` is the KernelProgram with non-finite numbers and -0 spelled as strings ("NaN", "Infinity", "-Infinity", "-0"), which JSON cannot hold. */
export interface ArtifactManifest {
  format: typeof ARTIFACT_FORMAT;
  version: number;
  target: ArtifactTarget;
  program: unknown;
  /** The stored parameter values; null when none is stored. */
  weights: { file: string; tensors: WeightEntry[] } | null;
  /** The parameters written without a stored value, which start from their initializers: with the weights table, every parameter exactly once. */
  initialized: string[];
  /** The code file: present for 'wasm' (the module), absent for 'js'. */
  code?: { file: string; byteLength: number };
  /** Present when the artifact runs any batch up to its compiled size (see ArtifactBatch); absent when its shapes are fixed. */
  batch?: ArtifactBatch;
  /** sha256 (hex) of the canonical JSON of every other manifest field, followed by the weights bytes, then the code bytes. */
  hash: string;
}

/**
 * A variable batch: the compiler proved that every row of the listed outputs depends only on the
 * same row of the listed inputs, so a run may pass from 1 to `max` rows; the runtime pads the
 * inputs to `max` rows and returns the first rows of the outputs. The batch is axis 0 of each.
 */
export interface ArtifactBatch {
  /** The symbolic dim of the model that is the batch (for messages). */
  dim: string;
  /** The compiled size: axis 0 of every listed input and output. */
  max: number;
  inputs: string[];
  outputs: string[];
}

interface ArtifactBase {
  program: KernelProgram;
  /** Absent: every input has its compiled shape. */
  batch?: ArtifactBatch;
  /** Stored parameter values (possibly none): these take precedence over the program's initializers. */
  weights: Record<string, Tensor>;
  hash: string;
}

/** A loaded, validated artifact; a 'wasm' one carries its module's bytes, checked to compile. */
export type Artifact = ArtifactBase & ({ target: 'js' } | { target: 'wasm'; wasm: Uint8Array });

/** The bytes of the files beside a manifest, as artifactFromObject takes them. */
export interface ArtifactFiles {
  weights?: Uint8Array;
  code?: Uint8Array;
}

/** The part of the WebAssembly JS API used here (the project's lib settings declare none). */
declare const WebAssembly: {
  validate: (bytes: Uint8Array) => boolean;
  Module: new (bytes: Uint8Array) => object;
};

const ELEMENT_BYTES: Record<KernelDType, number> = { f32: 4, i32: 4, bool: 1 };

// ---- numbers, canonical JSON and the hash --------------------------------------------------

/** A deep copy with every number JSON cannot hold exactly (nan, ±inf, -0) spelled as a string. */
export function encodeNumbers(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Infinity) return 'Infinity';
    if (value === -Infinity) return '-Infinity';
    return Object.is(value, -0) ? '-0' : value;
  }
  if (Array.isArray(value)) return value.map(encodeNumbers);
  if (isObject(value))
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, encodeNumbers(v)]),
    );
  return value;
}

/** JSON with object keys sorted at every level and no whitespace: one text per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The hash a manifest carries: sha256 over the canonical JSON of its other fields, then the
 * weights bytes, then the code bytes. The manifest records both lengths, so the concatenation is unambiguous.
 */
export function artifactHash(manifest: Readonly<Record<string, unknown>>, weights: Uint8Array | undefined, code?: Uint8Array): string {
  const { hash: _omitted, ...rest } = manifest;
  const h = new Sha256().update(canonicalJson(rest));
  if (weights) h.update(weights);
  if (code) h.update(code);
  return h.hex();
}

/** sha256 (hex) of the canonical JSON of a validated program, numbers encoded as in the manifest: what a module records as the program it was compiled from. */
export function programDigest(program: KernelProgram): string {
  return new Sha256().update(canonicalJson(encodeNumbers(program))).hex();
}

/** An unsigned LEB128 number at `at` of `bytes`, and where it ends; undefined past the end. */
function leb128(bytes: Uint8Array, at: number): { value: number; end: number } | undefined {
  let value = 0;
  for (let shift = 0; at < bytes.length && shift < 35; shift += 7) {
    const byte = bytes[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return { value, end: at };
  }
  return undefined;
}

/** The contents of the first custom section named `name` of a (validated) module, read from its bytes without compiling it. */
export function customSection(bytes: Uint8Array, name: string): Uint8Array | undefined {
  const want = new TextEncoder().encode(name);
  for (let at = 8; at < bytes.length;) {
    const id = bytes[at]!;
    const size = leb128(bytes, at + 1);
    if (!size) return undefined;
    const end = size.end + size.value;
    if (id === 0) {
      const n = leb128(bytes, size.end);
      const found = n && n.value === want.length && want.every((b, i) => bytes[n.end + i] === b);
      if (found) return bytes.subarray(n.end + n.value, end);
    }
    at = end;
  }
  return undefined;
}

/**
 * Why `bytes` is not a WebAssembly module this engine compiles, or undefined when it is. validate
 * decodes and type-checks without generating code (WasmExecutable compiles once, later); only a
 * failure pays for a compile, to get the engine's message.
 */
export function wasmModuleProblem(bytes: Uint8Array): string | undefined {
  if (WebAssembly.validate(bytes)) return undefined;
  try {
    new WebAssembly.Module(bytes);
  } catch (e) {
    return (e as Error).message;
  }
  return 'WebAssembly.validate refused it';
}

/** Where each tensor goes in weights.bin: in the given order, each at an offset aligned to ALIGN. */
export function weightsLayout(tensors: ReadonlyArray<{ name: string; dtype: KernelDType; shape: readonly number[] }>): { entries: WeightEntry[]; byteLength: number } {
  let end = 0;
  const entries = tensors.map((t) => {
    const offset = alignUp(end);
    const byteLength = numelOf(t.shape) * ELEMENT_BYTES[t.dtype];
    end = offset + byteLength;
    return { name: t.name, dtype: t.dtype, shape: [...t.shape], offset, byteLength };
  });
  return { entries, byteLength: end };
}

/** Writes one tensor's values little-endian at `entry.offset` of `out`. */
export function writeWeight(out: Uint8Array, entry: WeightEntry, data: ArrayLike<number>): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < data.length; i++) {
    const at = entry.offset + i * ELEMENT_BYTES[entry.dtype];
    if (entry.dtype === 'f32') view.setFloat32(at, data[i]!, true);
    else if (entry.dtype === 'i32') view.setInt32(at, data[i]!, true);
    else view.setUint8(at, data[i]!);
  }
}

function readWeight(bytes: Uint8Array, e: WeightEntry, source: string): Tensor {
  const n = numelOf(e.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = e.dtype === 'f32' ? new Float32Array(n) : e.dtype === 'i32' ? new Int32Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const at = e.offset + i * ELEMENT_BYTES[e.dtype];
    data[i] = e.dtype === 'f32' ? view.getFloat32(at, true) : e.dtype === 'i32' ? view.getInt32(at, true) : view.getUint8(at);
    if (e.dtype === 'bool' && data[i]! > 1) fail(source, `tensor '${e.name}' (bool) holds ${data[i]} at element ${i}; bools are 0 or 1`);
  }
  return { dtype: e.dtype, shape: [...e.shape], data };
}

// ---- manifests -----------------------------------------------------------------------------

interface Sources {
  manifest: string;
  /** How a file beside the manifest is named in messages. */
  file: (name: string) => string;
}

/** The checks that come before anything else is read: format, version, target. */
function checkHeader(raw: unknown, src: Sources): asserts raw is Record<string, unknown> {
  const at = src.manifest;
  if (!isObject(raw)) fail(at, 'not a JSON object');
  if (raw.format !== ARTIFACT_FORMAT) fail(at, `not a Kiln artifact (format is ${show(raw.format)}, expected "${ARTIFACT_FORMAT}")`);
  if (raw.version === 1) {
    fail(
      at,
      "artifact version 1 states neither which parameters start from their initializers nor the program a module was compiled for, which this runtime checks; recompile it with 'kiln compile'",
    );
  }
  if (raw.version !== ARTIFACT_VERSION) fail(at, `unsupported artifact version ${show(raw.version)} (this runtime reads ${ARTIFACT_VERSION})`);
  if (!ARTIFACT_TARGETS.includes(raw.target as ArtifactTarget)) fail(at, `unknown target ${show(raw.target)} (this runtime runs: ${ARTIFACT_TARGETS.join(', ')})`);
}

/** A bare file name: an artifact may not point outside its own directory. */
function plainFileName(raw: unknown, what: string, at: string): string {
  if (typeof raw !== 'string' || raw === '' || /[/\\]/.test(raw) || raw === '.' || raw === '..') fail(at, `${what} must be a plain file name, got ${show(raw)}`);
  return raw;
}

function parseWeightsTable(raw: unknown, at: string): { file: string; entries: WeightEntry[]; byteLength: number } | null {
  if (raw === null) return null;
  if (!isObject(raw)) fail(at, `weights must be null or an object, got ${show(raw)}`);
  const file = plainFileName(raw.file, 'weights.file', at);
  const err: (m: string) => never = (m) => fail(at, `weights: ${m}`);
  const entries = namedList(raw.tensors, 'tensors', err, (r, i): WeightEntry => {
    if (typeof r.name !== 'string' || r.name === '') err(`tensor #${i} has no name`);
    const what = `tensor '${r.name}'`;
    if (!DTYPES.includes(r.dtype as KernelDType)) err(`${what} has unknown dtype ${show(r.dtype)}`);
    const shape = shapeOf(r.shape, what, err);
    if (!isCount(r.offset) || r.offset % ALIGN !== 0) err(`${what} has a bad offset ${show(r.offset)} (expected a non-negative multiple of ${ALIGN})`);
    const need = numelOf(shape) * ELEMENT_BYTES[r.dtype as KernelDType];
    if (r.byteLength !== need) err(`${what} has byteLength ${show(r.byteLength)}, but ${String(r.dtype)}[${shape.join(', ')}] takes ${need} bytes`);
    return { name: r.name, dtype: r.dtype as KernelDType, shape, offset: r.offset, byteLength: need };
  });
  const names = new Set<string>();
  for (const e of entries) {
    if (names.has(e.name)) err(`duplicate tensor '${e.name}'`);
    names.add(e.name);
  }
  const sorted = entries.filter((e) => e.byteLength > 0).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (b.offset < a.offset + a.byteLength) err(`tensors '${a.name}' and '${b.name}' overlap`);
  }
  const byteLength = sorted.reduce((end, e) => Math.max(end, e.offset + e.byteLength), 0);
  return { file, entries, byteLength };
}

/** The code entry a target requires: a module file for 'wasm', none for 'js' (its program is the code). */
function parseCodeEntry(raw: Record<string, unknown>, at: string): { file: string; byteLength: number } | null {
  if (raw.target === 'js') {
    if (raw.code !== undefined) fail(at, `a js artifact carries no code file, but the manifest lists ${show(raw.code)}`);
    return null;
  }
  if (!isObject(raw.code)) fail(at, `a ${String(raw.target)} artifact needs code: { file, byteLength }, got ${show(raw.code)}`);
  const file = plainFileName(raw.code.file, 'code.file', at);
  if (!isCount(raw.code.byteLength) || raw.code.byteLength === 0) fail(at, `code.byteLength must be a positive integer, got ${show(raw.code.byteLength)}`);
  return { file, byteLength: raw.code.byteLength };
}

/** Checks a file's bytes against the length the manifest gives. */
function checkLength(bytes: Uint8Array | undefined, expected: number, where: string, holds: { listed: string; contents: string }): void {
  if (!bytes) fail(where, `missing (the manifest lists ${holds.listed})`);
  if (bytes.length < expected) fail(where, `truncated (expected ${expected} bytes, got ${bytes.length})`);
  if (bytes.length > expected) fail(where, `${bytes.length - expected} unexpected bytes after the ${holds.contents} (expected ${expected} bytes)`);
}

/** A module must carry the digest of the manifest's program: one compiled for another program (another batch size) would run on the wrong layout. */
function checkDigest(module: Uint8Array, program: KernelProgram, file: string, manifest: string): void {
  const section = customSection(module, PROGRAM_SECTION);
  if (!section) fail(file, `the module records no program digest (section '${PROGRAM_SECTION}'), so it cannot be matched to the manifest's program; recompile the artifact`);
  const recorded = new TextDecoder().decode(section);
  const expected = programDigest(program);
  if (recorded !== expected) {
    fail(
      file,
      `the module was compiled for the program with digest ${show(recorded)}, but ${manifest} holds program '${program.name}' with digest "${expected}"; recompile the artifact`,
    );
  }
}

/**
 * The stored parameter values, read by `read`: every parameter is either in the weights table
 * (with its dtype and shape) or listed in `initialized`, never both, so no lost table entry makes
 * a parameter silently start from its initializer.
 */
function storedWeights(
  program: KernelProgram,
  table: { entries: WeightEntry[] } | null,
  initialized: unknown,
  at: string,
  read: (e: WeightEntry) => Tensor,
): Record<string, Tensor> {
  if (!Array.isArray(initialized) || !initialized.every((n) => typeof n === 'string'))
    fail(at, `initialized must be a list of parameter names (those without stored values), got ${show(initialized)}`);
  const fresh = new Set<string>();
  for (const name of initialized) {
    if (!program.params.some((p) => p.name === name)) fail(at, `initialized: '${name}' is not a parameter of the program`);
    if (fresh.has(name)) fail(at, `initialized: parameter '${name}' is listed twice`);
    fresh.add(name);
  }
  const weights: Record<string, Tensor> = {};
  for (const e of table?.entries ?? []) {
    const p = program.params.find((x) => x.name === e.name);
    const b = p && program.buffers.find((x) => x.name === p.buffer)!;
    if (!b) fail(at, `weights: tensor '${e.name}' is not a parameter of the program`);
    if (fresh.has(e.name)) fail(at, `weights: parameter '${e.name}' has a stored value, but initialized lists it too`);
    if (b.dtype !== e.dtype || b.shape.join() !== e.shape.join()) {
      fail(at, `weights: tensor '${e.name}' is ${e.dtype}[${e.shape.join(', ')}], but the parameter is ${b.dtype}[${b.shape.join(', ')}]`);
    }
    Object.defineProperty(weights, e.name, { value: read(e), enumerable: true, writable: true, configurable: true });
  }
  for (const p of program.params) {
    if (!fresh.has(p.name) && !Object.hasOwn(weights, p.name))
      fail(at, `weights: parameter '${p.name}' has no stored value${table ? ' in the weights table' : ' (weights is null)'}, and initialized does not list it`);
  }
  return weights;
}

/** Names of `list` (inputs or outputs of the program), each once, at least one. */
function batchNames(raw: unknown, list: ReadonlyArray<{ name: string; buffer: string }>, what: string, err: (m: string) => never): { name: string; buffer: string }[] {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((n) => typeof n === 'string')) err(`${what} must be a non-empty list of names, got ${show(raw)}`);
  return raw.map((name: string, i) => {
    const entry = list.find((x) => x.name === name);
    if (!entry) err(`${what}: '${name}' is not one of the program's ${what} (${list.map((x) => x.name).join(', ') || 'none'})`);
    if (raw.indexOf(name) !== i) err(`${what}: '${name}' is listed twice`);
    return entry;
  });
}

/** The manifest's batch field against its program: every listed input and output has `max` rows on axis 0. */
export function parseBatch(raw: unknown, program: KernelProgram, at: string): ArtifactBatch | undefined {
  if (raw === undefined) return undefined;
  const err: (m: string) => never = (m) => fail(at, `batch: ${m}`);
  if (!isObject(raw)) err(`expected { dim, max, inputs, outputs }, got ${show(raw)}`);
  const extra = Object.keys(raw).filter((k) => !['dim', 'max', 'inputs', 'outputs'].includes(k));
  if (extra.length) err(`unknown field ${show(extra[0])}`);
  if (typeof raw.dim !== 'string' || raw.dim === '') err(`dim must be a name, got ${show(raw.dim)}`);
  const listed = [...batchNames(raw.inputs, program.inputs, 'inputs', err), ...batchNames(raw.outputs, program.outputs, 'outputs', err)];
  if (!isCount(raw.max) || raw.max === 0) err(`max must be a positive integer, got ${show(raw.max)}`);
  for (const x of listed) {
    const rows = program.buffers.find((b) => b.name === x.buffer)!.shape[0];
    if (rows !== raw.max) err(`'${x.name}' has ${rows === undefined ? 'no axis 0' : `${rows} rows`}, but max is ${raw.max}`);
  }
  return { dim: raw.dim, max: raw.max, inputs: [...(raw.inputs as string[])], outputs: [...(raw.outputs as string[])] };
}

function checkBody(raw: Record<string, unknown>, files: ArtifactFiles, src: Sources): Artifact {
  const at = src.manifest;
  const table = parseWeightsTable(raw.weights, at);
  const code = parseCodeEntry(raw, at);
  const hash = raw.hash;
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) fail(at, `hash must be 64 lowercase hex digits, got ${show(hash)}`);
  if (table) checkLength(files.weights, table.byteLength, src.file(table.file), { listed: `${table.entries.length} tensors in it`, contents: 'tensor data' });
  if (code) checkLength(files.code, code.byteLength, src.file(code.file), { listed: `a module of ${code.byteLength} bytes`, contents: 'module' });
  const bytes = table ? files.weights : undefined;
  const module = code ? files.code : undefined;
  if (artifactHash(raw, bytes, module) !== hash) {
    const changed = [table?.file, code?.file].filter((f) => f !== undefined);
    fail(at, `hash mismatch: the manifest${changed.length ? ` or ${changed.join(' or ')}` : ''} changed after the artifact was written`);
  }
  // After the hash: a module that fails here was written broken, not damaged on disk.
  const problem = module && wasmModuleProblem(module);
  if (problem) fail(src.file(code!.file), `not a WebAssembly module this runtime can compile (${problem})`);
  const program = parseProgram(raw.program, `${at}: program`);
  if (module) checkDigest(module, program, src.file(code!.file), at);
  const weights = storedWeights(program, table, raw.initialized, at, (e) => readWeight(bytes!, e, src.file(table!.file)));
  const batch = parseBatch(raw.batch, program, at);
  const base = { program, weights, hash, ...(batch ? { batch } : {}) };
  return module ? { ...base, target: 'wasm', wasm: module } : { ...base, target: 'js' };
}

/**
 * Validates an in-memory artifact: a manifest object (as parsed from manifest.json) and the bytes
 * of the files beside it (a bare Uint8Array is the weights file, as before 'wasm' existed).
 * `dir`, when given, prefixes the file names in error messages.
 */
export function artifactFromObject(manifest: unknown, files?: Uint8Array | ArtifactFiles, dir?: string): Artifact {
  const src = sourcesFor(dir);
  checkHeader(manifest, src);
  return checkBody(manifest, files instanceof Uint8Array ? { weights: files } : (files ?? {}), src);
}

function sourcesFor(dir: string | undefined, join = (a: string, b: string): string => `${a.replace(/[\\/]+$/, '')}/${b}`): Sources {
  return dir === undefined ? { manifest: MANIFEST_FILE, file: (f) => f } : { manifest: join(dir, MANIFEST_FILE), file: (f) => join(dir, f) };
}

/** Reads and validates the artifact in directory `dir` (Node); every refusal names the file at fault. */
export async function loadArtifact(dir: string): Promise<Artifact> {
  // Node's modules load only here, so the rest of runtime/ runs where there is no file system.
  const [{ readFile }, nodePath] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const src = sourcesFor(dir, (a, b) => nodePath.join(a, b));
  let text: string;
  try {
    text = await readFile(src.manifest, 'utf8');
  } catch (e) {
    fail(src.manifest, `cannot read the manifest (${fsReason(e)})`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (e) {
    fail(src.manifest, `not JSON (${(e as Error).message})`);
  }
  checkHeader(manifest, src);
  const read = async (file: string, what: string): Promise<Uint8Array> => {
    try {
      return await readFile(src.file(file));
    } catch (e) {
      return fail(src.file(file), `cannot read the ${what} (${fsReason(e)})`);
    }
  };
  const table = parseWeightsTable(manifest.weights, src.manifest);
  const code = parseCodeEntry(manifest, src.manifest);
  const files: ArtifactFiles = {};
  if (table) files.weights = await read(table.file, 'weights');
  if (code) files.code = await read(code.file, 'module');
  return checkBody(manifest, files, src);
}
