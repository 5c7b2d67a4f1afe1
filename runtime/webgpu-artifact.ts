// The code file of a 'webgpu' artifact (kernels.wgsl.json): the WebGpuCode a program was rendered
// to (src/backends/webgpu's renderWgsl) as indented JSON, so each shader reads as a string, with
// the digest of that program. Reading it checks it as untrusted data (checkWebGpuCode) and against
// the manifest's program; every refusal names the file.

import type { KernelProgram } from './kernel-ir.js';
import { isObject, show } from './program-validator.js';
import { KilnRuntimeError } from './tensor.js';
import type { WebGpuCode } from './webgpu-layout.js';
import { checkWebGpuCode } from './webgpu-pipelines.js';

/** The code file of a 'webgpu' artifact. */
export const WGSL_FILE = 'kernels.wgsl.json';

/** What the file holds: the program's digest (programDigest in artifact.ts), then the code. */
export interface WebGpuCodeFile extends WebGpuCode {
  program: string;
}

function fail(file: string, message: string): never {
  throw new KilnRuntimeError('artifact', `${file}: ${message}`);
}

/** The file's bytes: `code` (checked against `program`) and the program's digest. */
export function encodeWebGpuCode(code: WebGpuCode, program: KernelProgram, digest: string, source = 'webgpu code'): Uint8Array {
  const checked = checkWebGpuCode(code, program, source);
  const file: WebGpuCodeFile = { program: digest, scratchWords: checked.scratchWords, kernels: checked.kernels, commit: checked.commit };
  return new TextEncoder().encode(`${JSON.stringify(file, null, 2)}\n`);
}

/**
 * The code in a file's bytes, checked: JSON, rendered for the program whose digest is `digest`
 * (the manifest's, named `manifest` in messages), one shader per kernel, workgroup counts in range.
 */
export function decodeWebGpuCode(bytes: Uint8Array, program: KernelProgram, digest: string, file: string, manifest: string): WebGpuCode {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    fail(file, `not JSON text (${(e as Error).message})`);
  }
  if (!isObject(raw)) fail(file, `expected an object { program, scratchWords, kernels, commit }, got ${show(raw)}`);
  const recorded = raw['program'];
  if (typeof recorded !== 'string')
    fail(file, 'the shaders record no program digest (field "program"), so they cannot be matched to the manifest\'s program; recompile the artifact');
  if (recorded !== digest) {
    fail(
      file,
      `the shaders were rendered for the program with digest ${show(recorded)}, but ${manifest} holds program '${program.name}' with digest "${digest}"; recompile the artifact`,
    );
  }
  return checkWebGpuCode(raw, program, file);
}
