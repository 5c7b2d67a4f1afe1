// Artifacts edited on purpose, their hash recomputed so that it no longer tells: the loader refuses what it can prove wrong, naming it. A module compiled for another program (another batch size), an index or reduction extent that reads past a buffer, a parameter whose stored value went missing.

import { describe, expect, it } from 'vitest';
import { PROGRAM_SECTION, artifactFromObject, artifactHash, customSection, programDigest } from '../../runtime/artifact.js';
import type { KernelProgram } from '../../runtime/kernel-ir.js';
import { parseProgram } from '../../runtime/program-validator.js';
import { KernelExecutable } from '../../runtime/kernel-executable.js';
import type { Tensor } from '../../runtime/tensor.js';
import { compileWasm } from '../../src/backends/wasm/index.js';
import { kernelProgram } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { encodeArtifact } from '../../src/kernels/artifact.js';
import { jsonCopy, list, obj, type Json, type JsonObject } from '../support/json.js';
import { refusalSync } from './artifact-refusal.js';

const PIXELS = 784;
const HIDDEN = 8;

/** relu(x @ w + b) for a batch of `batch` images: one matmul kernel reducing over 784 pixels. */
function dense(batch: number): KernelProgram {
  const g = new GraphBuilder('dense');
  const x = g.input('x', { dtype: 'f32', shape: [batch, PIXELS] });
  const w = g.param('w', { dtype: 'f32', shape: [PIXELS, HIDDEN] }, { fn: 'glorot_uniform', args: { seed: 1 } });
  const b = g.param('b', { dtype: 'f32', shape: [HIDDEN] }, { fn: 'zeros', args: {} });
  g.output('y', g.emit('relu', [g.emit('add', [g.emit('matmul', [x, w]), b])]));
  return kernelProgram(g.build(), {});
}

const WEIGHTS: Record<string, Tensor> = {
  w: { dtype: 'f32', shape: [PIXELS, HIDDEN], data: Float32Array.from({ length: PIXELS * HIDDEN }, (_, i) => ((i % 13) - 6) / 64) },
  b: { dtype: 'f32', shape: [HIDDEN], data: Float32Array.from({ length: HIDDEN }, (_, i) => i / 8) },
};

/** A js artifact of dense(2) with every weight stored, its manifest edited by `edit` and its hash recomputed. */
function tampered(edit: (m: JsonObject) => void, weights: Record<string, Tensor> = WEIGHTS): () => unknown {
  const encoded = encodeArtifact(dense(2), { target: 'js', weights });
  const m = obj(jsonCopy(encoded.manifest));
  edit(m);
  const bytes = m.weights === null ? undefined : encoded.weights;
  m.hash = artifactHash(m, bytes);
  return () => artifactFromObject(m, bytes);
}

/** The kernel of a manifest's program that reduces over the pixels. */
function pixelKernel(m: JsonObject): JsonObject {
  const k = list(m, 'program', 'kernels').find((x) => JSON.stringify(obj(x).reduce ?? null).includes(`[${PIXELS}]`));
  return obj(k ?? null);
}

/** The first node of `root` (depth first) that `pick` accepts. */
function find(root: Json, pick: (o: JsonObject) => boolean): JsonObject | undefined {
  if (typeof root !== 'object' || root === null) return undefined;
  if (!Array.isArray(root) && pick(root)) return root;
  for (const child of Object.values(root)) {
    const hit = find(child, pick);
    if (hit) return hit;
  }
  return undefined;
}

const OUTSIDE = /^manifest\.json: program: kernel '[^']+' reduction: load of '(x|w)' at indices \[\d+, \d+\] over the iteration space, outside the buffer's (\d+) elements$/;

describe('an artifact edited on purpose, with its hash recomputed', () => {
  it('still loads and runs untouched', () => {
    const artifact = tampered(() => undefined)();
    expect(Object.keys((artifact as { weights: object }).weights).sort()).toEqual(['b', 'w']);
  });

  it('a module compiled for another batch size: the digests disagree, and both are named', async () => {
    const [two, four] = [dense(2), dense(4)];
    const { manifest, weights } = encodeArtifact(four, { target: 'wasm', wasm: await compileWasm(four), weights: WEIGHTS });
    const other = await compileWasm(two);
    const m = obj(jsonCopy(manifest));
    obj(m, 'code').byteLength = other.length;
    m.hash = artifactHash(m, weights, other);
    const message = refusalSync(() => artifactFromObject(m, { weights, code: other }));
    expect(message).toBe(
      `module.wasm: the module was compiled for the program with digest "${programDigest(parseProgram(two))}", but manifest.json holds program 'dense' with digest "${programDigest(parseProgram(four))}"; recompile the artifact`,
    );
    // The writer refuses the pair before anything is written.
    expect(refusalSync(() => encodeArtifact(four, { target: 'wasm', wasm: other }))).toBe(
      `artifact: the module was not compiled from program 'dense' (it records program digest ${programDigest(parseProgram(two))})`,
    );
  });

  it('a module without a program digest is refused, asking for a recompile', async () => {
    const p = dense(2);
    const { manifest, weights, code } = encodeArtifact(p, { target: 'wasm', wasm: await compileWasm(p), weights: WEIGHTS });
    const renamed = Uint8Array.from(code!);
    const name = new TextEncoder().encode(PROGRAM_SECTION);
    const at = renamed.findIndex((_, i) => name.every((c, j) => renamed[i + j] === c));
    renamed[at] = 'K'.charCodeAt(0);
    expect(customSection(renamed, PROGRAM_SECTION)).toBeUndefined();
    const m = obj(jsonCopy(manifest));
    m.hash = artifactHash(m, weights, renamed);
    expect(refusalSync(() => artifactFromObject(m, { weights, code: renamed }))).toBe(
      `module.wasm: the module records no program digest (section '${PROGRAM_SECTION}'), so it cannot be matched to the manifest's program; recompile the artifact`,
    );
  });

  it('an index constant multiplied by 100000: the load leaves its buffer', () => {
    const message = refusalSync(
      tampered((m) => {
        const mul = find(obj(pixelKernel(m), 'reduce'), (o) => o.k === 'mul' && typeof o.by === 'number' && o.by > 1)!;
        mul.by = (mul.by as number) * 100000;
      }),
    );
    expect(message).toMatch(OUTSIDE);
  });

  it('a reduction extent changed from 784 to 785: the loads run one past the end', () => {
    const message = refusalSync(tampered((m) => (obj(pixelKernel(m), 'reduce').shape = [PIXELS + 1])));
    const [, buffer, length] = OUTSIDE.exec(message) ?? [];
    expect(message).toMatch(OUTSIDE);
    expect(Number(length)).toBe(buffer === 'x' ? 2 * PIXELS : PIXELS * HIDDEN);
  });

  it('a tensor missing from the weights file: the parameter is named', () => {
    const message = refusalSync(tampered((m) => (m.initialized = []), { w: WEIGHTS.w! }));
    expect(message).toBe("manifest.json: weights: parameter 'b' has no stored value in weights.safetensors, and initialized does not list it");
  });

  it('weights: null without listing the parameters as initialized', () => {
    expect(refusalSync(tampered((m) => (m.weights = null)))).toBe("manifest.json: weights: parameter 'w' has no stored value (weights is null), and initialized does not list it");
    // Listing them is what the writer does for an artifact compiled without weights.
    const loaded = tampered((m) => ((m.weights = null), (m.initialized = ['b', 'w'])))() as { weights: object };
    expect(loaded.weights).toEqual({});
  });

  it('initialized must list parameters, each once, none with a stored value', () => {
    expect(refusalSync(tampered((m) => (m.initialized = ['w'])))).toBe("manifest.json: weights: parameter 'w' has a stored value, but initialized lists it too");
    expect(refusalSync(tampered((m) => (m.initialized = ['v'])))).toBe("manifest.json: initialized: 'v' is not a parameter of the program");
    expect(refusalSync(tampered((m) => (m.initialized = ['b', 'b']), { w: WEIGHTS.w! }))).toBe("manifest.json: initialized: parameter 'b' is listed twice");
    expect(refusalSync(tampered((m) => delete m.initialized))).toBe('manifest.json: initialized must be a list of parameter names (those without stored values), got undefined');
  });

  it('the writer lists the parameters it stores no value for, and they start from their initializers', () => {
    const { manifest, weights } = encodeArtifact(dense(2), { target: 'js', weights: { w: WEIGHTS.w! } });
    expect(manifest.initialized).toEqual(['b']);
    const exe = new KernelExecutable(artifactFromObject(jsonCopy(manifest), weights));
    expect(exe.params()['b']!.data).toEqual(new Float32Array(HIDDEN));
    expect(encodeArtifact(dense(2), { target: 'js' }).manifest).toMatchObject({ weights: null, initialized: ['b', 'w'] });
  });

  it('an artifact of version 1 is refused, asking for a recompile', () => {
    expect(refusalSync(tampered((m) => (m.version = 1)))).toBe(
      "manifest.json: artifact version 1 states neither which parameters start from their initializers nor the program a module was compiled for, which this runtime checks; recompile it with 'kiln compile'",
    );
  });
});
