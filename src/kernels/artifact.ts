// Writing artifacts (the compiler's side of runtime/artifact.ts): a kernel program, its weights and, for target 'wasm', its module (for 'webgpu', its shaders) become manifest.json, weights.safetensors and module.wasm (kernels.wgsl.json) in a directory, written atomically.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  ARTIFACT_FORMAT,
  ARTIFACT_VERSION,
  ARTIFACT_TARGETS,
  MANIFEST_FILE,
  MODULE_FILE,
  PROGRAM_SECTION,
  WEIGHTS_FILE,
  WGSL_FILE,
  artifactHash,
  customSection,
  programDigest,
  encodeNumbers,
  parseBatch,
  wasmModuleProblem,
  type ArtifactBatch,
  type ArtifactManifest,
} from '../../runtime/artifact.js';
import { encodeSafetensors } from '../../runtime/safetensors.js';
import type { KernelProgram } from '../../runtime/kernel-ir.js';
import { parseProgram } from '../../runtime/program-validator.js';
import { KilnRuntimeError, toTensor, type Tensor } from '../../runtime/tensor.js';
import { fsReason, syncDirectory } from '../../runtime/fs.js';
import { encodeWebGpuCode } from '../../runtime/webgpu-artifact.js';
import type { WebGpuCode } from '../../runtime/webgpu-layout.js';

interface CommonOptions {
  /** Parameter values to store (trained weights); parameters left out start from their initializers. */
  weights?: Readonly<Record<string, Tensor>>;
  /** A variable batch (src/passes/batch-independence.ts proves it): the inputs and outputs whose axis 0 is batch dim `dim`; its compiled size is the limit. */
  batch?: { dim: string; inputs: readonly string[]; outputs: readonly string[] };
}

/**
 * What to write: for 'wasm', the module compiled from this same program (src/backends/wasm's
 * compileWasm); for 'webgpu', the program rendered to WGSL (src/backends/webgpu's renderWgsl).
 */
export type ArtifactOptions = CommonOptions & ({ target: 'js' } | { target: 'wasm'; wasm: Uint8Array } | { target: 'webgpu'; wgsl: WebGpuCode });

/** An artifact's files, in memory. */
export interface EncodedArtifact {
  manifest: ArtifactManifest;
  weights: Uint8Array | undefined;
  /** The code file's bytes: module.wasm for 'wasm', kernels.wgsl.json for 'webgpu'. */
  code: Uint8Array | undefined;
}

function fail(source: string, message: string): never {
  throw new KilnRuntimeError('artifact', `${source}: ${message}`);
}

/**
 * The manifest, weights bytes and module bytes of an artifact, in memory (for runtime/artifact.ts's
 * artifactFromObject, or to write). The program is validated first, every weight must be a
 * parameter of it with the same dtype and shape, and a Wasm module must compile.
 */
export function encodeArtifact(program: KernelProgram, options: ArtifactOptions, source = 'artifact'): EncodedArtifact {
  if (!ARTIFACT_TARGETS.includes(options.target)) fail(source, `unknown target '${String(options.target)}' (available: ${ARTIFACT_TARGETS.join(', ')})`);
  const module = options.target === 'wasm' ? options.wasm : undefined;
  if (options.target === 'wasm') {
    if (!(module instanceof Uint8Array) || module.length === 0) fail(source, "target 'wasm' needs the module's bytes (options.wasm)");
    const problem = wasmModuleProblem(module);
    if (problem) fail(source, `the module does not compile (${problem})`);
  } else if ('wasm' in options) fail(source, `target '${options.target}' takes no module`);
  if (options.target !== 'webgpu' && 'wgsl' in options) fail(source, `target '${options.target}' takes no shaders`);
  const p = parseProgram(program, `${source}: program`);
  const code = options.target === 'webgpu' ? encodeWebGpuCode(options.wgsl, p, programDigest(p), `${source}: webgpu code`) : module;
  if (module) {
    const section = customSection(module, PROGRAM_SECTION);
    const recorded = section && new TextDecoder().decode(section);
    if (recorded !== programDigest(p))
      fail(source, `the module was not compiled from program '${p.name}' (it records ${recorded ? `program digest ${recorded}` : 'no program digest'})`);
  }
  const names = Object.keys(options.weights ?? {}).sort(); // sorted: the bytes depend only on the contents
  const tensors = names.map((name) => {
    const param = p.params.find((x) => x.name === name);
    if (!param) fail(source, `weight '${name}' is not a parameter of program '${p.name}' (its parameters: ${p.params.map((x) => x.name).join(', ') || 'none'})`);
    const b = p.buffers.find((x) => x.name === param.buffer)!;
    const t = toTensor(options.weights![name]!, { name, dtype: b.dtype, shape: b.shape }, `${source}: weight '${name}'`, true);
    return [name, t] as const;
  });
  const bytes = tensors.length > 0 ? encodeSafetensors(Object.fromEntries(tensors), {}) : undefined;
  const table: ArtifactManifest['weights'] = bytes ? { file: WEIGHTS_FILE, byteLength: bytes.length } : null;
  const batch = options.batch && batchOf(p, options.batch, source);
  // A 'js' manifest has no code field at all, so its bytes (and hash) are as before 'wasm' existed.
  const unsigned = {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    target: options.target,
    program: encodeNumbers(p),
    weights: table,
    initialized: p.params
      .map((x) => x.name)
      .filter((name) => !names.includes(name))
      .sort(),
    ...(code ? { code: { file: options.target === 'webgpu' ? WGSL_FILE : MODULE_FILE, byteLength: code.length } } : {}),
    ...(batch ? { batch } : {}),
  } as const;
  return { manifest: { ...unsigned, hash: artifactHash(unsigned, bytes, code) }, weights: bytes, code };
}

/** The manifest's batch field, checked as the loader checks it; its size is axis 0 of the first batched input. */
function batchOf(p: KernelProgram, batch: NonNullable<CommonOptions['batch']>, source: string): ArtifactBatch {
  const first = p.inputs.find((i) => i.name === batch.inputs[0]);
  const max = first && p.buffers.find((b) => b.name === first.buffer)!.shape[0];
  return parseBatch({ dim: batch.dim, max, inputs: [...batch.inputs], outputs: [...batch.outputs] }, p, source)!;
}

async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  const file = await open(path, 'wx');
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** The files in `dir`, or undefined when there is no such directory yet. */
async function entriesOf(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return fail(dir, `cannot write the artifact (${fsReason(e)})`);
  }
}

/**
 * Writes an artifact into directory `dir` atomically: the files are written and fsynced in a
 * temporary directory beside it, which is then renamed into place. An existing artifact there is
 * replaced; a directory holding anything else is refused. On failure nothing is left behind and
 * an existing artifact stays as it was.
 */
export async function writeArtifact(dir: string, program: KernelProgram, options: ArtifactOptions): Promise<ArtifactManifest> {
  const { manifest, weights, code } = encodeArtifact(program, options, dir); // fails before any file is touched
  const target = resolve(dir);
  const parent = dirname(target);
  const existing = await entriesOf(target);
  // weights.bin: the weights file of artifacts before version 3, which this one replaces.
  const foreign = existing?.filter((f) => ![MANIFEST_FILE, WEIGHTS_FILE, MODULE_FILE, WGSL_FILE, 'weights.bin'].includes(f));
  if (foreign && foreign.length > 0)
    fail(dir, `refusing to replace a directory that holds more than an artifact (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''})`);
  const tag = `${process.pid}.${randomBytes(6).toString('hex')}`;
  const temp = join(parent, `.${basename(target)}.${tag}.tmp`);
  const old = join(parent, `.${basename(target)}.${tag}.old`);
  let moved = false;
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(temp);
    await writeSynced(join(temp, MANIFEST_FILE), `${JSON.stringify(manifest)}\n`);
    if (weights) await writeSynced(join(temp, WEIGHTS_FILE), weights);
    if (code) await writeSynced(join(temp, manifest.code!.file), code);
    if (existing) {
      await rename(target, old);
      moved = true;
    }
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    if (moved) await rename(old, target).catch(() => undefined);
    fail(dir, `cannot write the artifact (${fsReason(e)})`);
  }
  if (moved) await rm(old, { recursive: true, force: true });
  const unsynced = await syncDirectory(parent);
  if (unsynced) fail(dir, `artifact written, but its folder could not be synced (${fsReason(unsynced)})`);
  return manifest;
}
