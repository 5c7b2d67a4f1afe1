// Artifacts as the runtime reads them: manifest.json (format, version, target, the kernel program, the weights file, the code file of 'wasm' or 'webgpu', a sha256 hash), weights.safetensors and module.wasm or kernels.wgsl.json; loading validates every part and refuses with an error naming the file. The program itself is checked by program-validator.ts.

import type { KernelProgram } from './kernel-ir.js';
import { ALIGN, alignUp, fail, isCount, isObject, parseProgram, show } from './program-validator.js';
import { fsReason } from './fs.js';
import { Sha256 } from './sha256.js';
import { decodeSafetensors } from './safetensors.js';
import type { Tensor } from './tensor.js';
import { decodeWebGpuCode, WGSL_FILE } from './webgpu-artifact.js';
import type { WebGpuCode } from './webgpu-layout.js';

/** Arena offsets are multiples of ALIGN bytes; the program validator lays temps out with the same rule. */
export { ALIGN, alignUp, WGSL_FILE };

export const ARTIFACT_FORMAT = 'kiln-artifact';
/**
 * 2: the manifest lists the parameters stored without a value (`initialized`), and a module carries its program's digest.
 * 3: the weights are a safetensors file (runtime/safetensors.ts), as checkpoints are.
 */
export const ARTIFACT_VERSION = 3;
/**
 * Targets this runtime executes. For 'js' the kernel program itself is the code; for 'wasm' the
 * code is a WebAssembly module, and the program stays in the manifest for its buffer layout and IO;
 * for 'webgpu' the code is the program's WGSL shaders with their workgroup counts (kernels.wgsl.json,
 * webgpu-artifact.ts), which a WebGPU device runs over the same program.
 */
export const ARTIFACT_TARGETS = ['js', 'wasm', 'webgpu'] as const;
export type ArtifactTarget = (typeof ARTIFACT_TARGETS)[number];
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.safetensors';
export const MODULE_FILE = 'module.wasm';
/** The custom section of a module that holds the digest (programDigest, as hex text) of the program it was compiled from. */
export const PROGRAM_SECTION = 'kiln.program';

/** manifest.json. `program` is the KernelProgram with non-finite numbers and -0 spelled as strings ("NaN", "Infinity", "-Infinity", "-0"), which JSON cannot hold. */
export interface ArtifactManifest {
  format: typeof ARTIFACT_FORMAT;
  version: number;
  target: ArtifactTarget;
  program: unknown;
  /** The safetensors file of the stored parameter values; null when none is stored. */
  weights: { file: string; byteLength: number } | null;
  /** The parameters written without a stored value, which start from their initializers: with the weights table, every parameter exactly once. */
  initialized: string[];
  /** The code file: present for 'wasm' (the module) and 'webgpu' (the shaders), absent for 'js'. */
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

/** A loaded, validated artifact; a 'wasm' one carries its module's bytes, checked to compile, a 'webgpu' one its checked shaders. */
export type Artifact = ArtifactBase & ({ target: 'js' } | { target: 'wasm'; wasm: Uint8Array } | { target: 'webgpu'; wgsl: WebGpuCode });

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
  if (raw.version === 2) fail(at, "artifact version 2 keeps its weights in weights.bin, not in a safetensors file; recompile it with 'kiln compile'");
  if (raw.version !== ARTIFACT_VERSION) fail(at, `unsupported artifact version ${show(raw.version)} (this runtime reads ${ARTIFACT_VERSION})`);
  if (!ARTIFACT_TARGETS.includes(raw.target as ArtifactTarget)) fail(at, `unknown target ${show(raw.target)} (this runtime runs: ${ARTIFACT_TARGETS.join(', ')})`);
}

/** A bare file name: an artifact may not point outside its own directory. */
function plainFileName(raw: unknown, what: string, at: string): string {
  if (typeof raw !== 'string' || raw === '' || /[/\\]/.test(raw) || raw === '.' || raw === '..') fail(at, `${what} must be a plain file name, got ${show(raw)}`);
  return raw;
}

function parseWeightsEntry(raw: unknown, at: string): { file: string; byteLength: number } | null {
  if (raw === null) return null;
  if (!isObject(raw)) fail(at, `weights must be null or { file, byteLength }, got ${show(raw)}`);
  const file = plainFileName(raw.file, 'weights.file', at);
  if (!isCount(raw.byteLength) || raw.byteLength < 8) fail(at, `weights.byteLength must be an integer of at least 8, got ${show(raw.byteLength)}`);
  return { file, byteLength: raw.byteLength };
}

/** The code entry a target requires: a module file for 'wasm', a shaders file for 'webgpu', none for 'js' (its program is the code). */
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
 * The stored parameter values, checked: every parameter is either in the weights file `file`
 * (with its dtype and shape) or listed in `initialized`, never both, so no lost tensor makes a
 * parameter silently start from its initializer.
 */
function storedWeights(program: KernelProgram, tensors: Record<string, Tensor> | undefined, initialized: unknown, at: string, file: string | undefined): Record<string, Tensor> {
  if (!Array.isArray(initialized) || !initialized.every((n) => typeof n === 'string'))
    fail(at, `initialized must be a list of parameter names (those without stored values), got ${show(initialized)}`);
  const fresh = new Set<string>();
  for (const name of initialized) {
    if (!program.params.some((p) => p.name === name)) fail(at, `initialized: '${name}' is not a parameter of the program`);
    if (fresh.has(name)) fail(at, `initialized: parameter '${name}' is listed twice`);
    fresh.add(name);
  }
  const weights = tensors ?? {};
  for (const [name, t] of Object.entries(weights)) {
    const p = program.params.find((x) => x.name === name);
    const b = p && program.buffers.find((x) => x.name === p.buffer)!;
    if (!b) fail(file!, `tensor '${name}' is not a parameter of the program`);
    if (fresh.has(name)) fail(at, `weights: parameter '${name}' has a stored value, but initialized lists it too`);
    if (b.dtype !== t.dtype || b.shape.join() !== t.shape.join()) {
      fail(file!, `tensor '${name}' is ${t.dtype}[${t.shape.join(', ')}], but the parameter is ${b.dtype}[${b.shape.join(', ')}]`);
    }
  }
  for (const p of program.params) {
    if (!fresh.has(p.name) && !Object.hasOwn(weights, p.name))
      fail(at, `weights: parameter '${p.name}' has no stored value${file ? ` in ${file}` : ' (weights is null)'}, and initialized does not list it`);
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
  const table = parseWeightsEntry(raw.weights, at);
  const code = parseCodeEntry(raw, at);
  const hash = raw.hash;
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) fail(at, `hash must be 64 lowercase hex digits, got ${show(hash)}`);
  if (table) checkLength(files.weights, table.byteLength, src.file(table.file), { listed: `a weights file of ${table.byteLength} bytes`, contents: 'tensor data' });
  const what = codeWhat(raw.target);
  if (code) checkLength(files.code, code.byteLength, src.file(code.file), { listed: `${what.listed} of ${code.byteLength} bytes`, contents: what.contents });
  const bytes = table ? files.weights : undefined;
  const codeBytes = code ? files.code : undefined;
  if (artifactHash(raw, bytes, codeBytes) !== hash) {
    const changed = [table?.file, code?.file].filter((f) => f !== undefined);
    fail(at, `hash mismatch: the manifest${changed.length ? ` or ${changed.join(' or ')}` : ''} changed after the artifact was written`);
  }
  // After the hash: a module that fails here was written broken, not damaged on disk.
  const module = raw.target === 'wasm' ? codeBytes : undefined;
  const problem = module && wasmModuleProblem(module);
  if (problem) fail(src.file(code!.file), `not a WebAssembly module this runtime can compile (${problem})`);
  const program = parseProgram(raw.program, `${at}: program`);
  if (module) checkDigest(module, program, src.file(code!.file), at);
  const wgsl = raw.target === 'webgpu' ? decodeWebGpuCode(codeBytes!, program, programDigest(program), src.file(code!.file), at) : undefined;
  const weightsFile = table && src.file(table.file);
  const tensors = bytes && decodeSafetensors(bytes, weightsFile!, 'artifact').tensors;
  const weights = storedWeights(program, tensors, raw.initialized, at, weightsFile ?? undefined);
  const batch = parseBatch(raw.batch, program, at);
  const base = { program, weights, hash, ...(batch ? { batch } : {}) };
  if (module) return { ...base, target: 'wasm', wasm: module };
  return wgsl ? { ...base, target: 'webgpu', wgsl } : { ...base, target: 'js' };
}

/** How messages name a target's code file. */
function codeWhat(target: unknown): { listed: string; contents: string; read: string } {
  return target === 'webgpu' ? { listed: 'a shaders file', contents: 'shaders', read: 'shaders' } : { listed: 'a module', contents: 'module', read: 'module' };
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
  const table = parseWeightsEntry(manifest.weights, src.manifest);
  const code = parseCodeEntry(manifest, src.manifest);
  const files: ArtifactFiles = {};
  if (table) files.weights = await read(table.file, 'weights');
  if (code) files.code = await read(code.file, codeWhat(manifest.target).read);
  return checkBody(manifest, files, src);
}
