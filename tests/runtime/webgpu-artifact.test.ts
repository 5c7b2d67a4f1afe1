// WebGPU artifacts: the mnist MLP's inference and its Adam training step, written for target
// 'webgpu' by exportArtifact (what `kiln compile` calls), run by the runtime alone (a child
// process importing only dist/runtime/ for inference) to the reference's outputs within 1e-5, a
// variable batch, and every tampering with the shaders refused with a message naming their file.

import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { artifactFromObject, artifactHash, type ArtifactManifest } from '../../runtime/artifact.js';
import { createExecutable, executableFromArtifact, loadExecutable } from '../../runtime/executable.js';
import type { Tensor } from '../../runtime/tensor.js';
import { WebGpuExecutable } from '../../runtime/webgpu.js';
import { renderWgsl } from '../../src/backends/webgpu/index.js';
import { compile, kernelProgram } from '../../src/compile.js';
import { exportArtifact } from '../../src/export.js';
import { encodeArtifact } from '../../src/kernels/artifact.js';
import { adam } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { expectClose, inputsFor } from '../backends/agreement.js';
import { requireBuilt } from '../support/built.js';
import { describeWebGpu } from '../support/webgpu.js';
import { refusal, refusalSync } from './artifact-refusal.js';

const SHAPES = { B: 4 };
const RUNTIME = join(process.cwd(), 'dist/runtime/index.js');

describe('writing webgpu artifacts (no device needed)', () => {
  const program = () => kernelProgram(mnistMlpGraph([16]), SHAPES, { target: 'webgpu' });

  it('the writer refuses shaders of another program, or shaders for another target', () => {
    const p = program();
    const other = renderWgsl(kernelProgram(mnistMlpGraph([16]), SHAPES, { target: 'webgpu' }));
    const fewer = { ...other, kernels: other.kernels.slice(1) };
    expect(refusalSync(() => encodeArtifact(p, { target: 'webgpu', wgsl: fewer }))).toBe(
      `artifact: webgpu code: has ${p.kernels.length - 1} kernels for a program of ${p.kernels.length}`,
    );
    expect(refusalSync(() => encodeArtifact(p, { target: 'js', wgsl: other } as never))).toBe("artifact: target 'js' takes no shaders");
    const { manifest, code } = encodeArtifact(p, { target: 'webgpu', wgsl: other });
    expect(manifest.code).toEqual({ file: 'kernels.wgsl.json', byteLength: code!.length });
  });
});

describeWebGpu('webgpu artifacts', () => {
  let root = '';
  let infer = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kiln-webgpu-artifact-'));
    infer = join(root, 'infer');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  const g = mnistMlpGraph([16]);
  const inputs = inputsFor(g, SHAPES, 3);

  it('inference: kiln compile writes manifest, weights and shaders; a process with only runtime/ runs them to the reference within 1e-5', async () => {
    const ref = await compile(g, { shapes: SHAPES, backend: 'reference' });
    const { manifest } = await exportArtifact(g, infer, { target: 'webgpu', shapes: SHAPES, weights: ref.params() });
    expect((await readdir(infer)).sort()).toEqual(['kernels.wgsl.json', 'manifest.json', 'weights.safetensors']);
    expect(manifest.target).toBe('webgpu');
    expect(manifest.code).toEqual({ file: 'kernels.wgsl.json', byteLength: (await readFile(join(infer, 'kernels.wgsl.json'))).length });

    requireBuilt(RUNTIME);
    const script = join(root, 'run.mjs');
    await writeFile(
      script,
      [
        `const { loadExecutable } = await import(${JSON.stringify(pathToFileURL(RUNTIME).href)});`,
        `const exe = await loadExecutable(${JSON.stringify(infer)});`,
        `const outputs = await exe.run(${JSON.stringify(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, Array.from(v)])))});`,
        `const shown = Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data) }]));`,
        `process.stdout.write(JSON.stringify({ kind: exe.constructor.name, outputs: shown }));`,
        // Dawn keeps the event loop alive.
        `process.exit(0);`,
      ].join('\n'),
    );
    const child = JSON.parse(execFileSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as {
      kind: string;
      outputs: Record<string, Tensor>;
    };
    expect(child.kind).toBe('WebGpuExecutable');
    const want = await ref.run(inputs);
    expect(Object.keys(child.outputs).sort()).toEqual(Object.keys(want).sort());
    for (const [name, t] of Object.entries(want)) expectClose(name, child.outputs[name]!, t);
  }, 60_000);

  it('the Adam training step: outputs and updated parameters agree with the reference within 1e-5', async () => {
    const trainer = await compileTraining(g, { backend: 'reference', optimizer: adam({ lr: 1e-3 }), seed: 2 });
    const step = trainer.trainGraph;
    const ref = await compile(step, { shapes: SHAPES, backend: 'reference' });
    const dir = join(root, 'step');
    await exportArtifact(step, dir, { target: 'webgpu', shapes: SHAPES, weights: ref.params() });
    const exe = await loadExecutable(dir);
    expect(exe).toBeInstanceOf(WebGpuExecutable);
    const feed = { ...inputsFor(step, SHAPES, 5), lr: new Float32Array([1e-3]), ...(step.inputs.some((i) => i.name === 'step') ? { step: new Int32Array([1]) } : {}) };
    const [want, got] = [await ref.run(feed), await exe.run(feed)];
    for (const [name, t] of Object.entries(want)) expectClose(name, got[name]!, t);
    const [wantParams, gotParams] = [ref.params(), await exe.readParams()];
    expect(Object.keys(gotParams).sort()).toEqual(Object.keys(wantParams).sort());
    for (const [name, t] of Object.entries(wantParams)) expectClose(`after the step: ${name}`, gotParams[name]!, t);
  }, 60_000);

  /** The artifact's files in memory, a change made to them, and the hash made again when `rehash` (a forger's edit, which the hash cannot catch). */
  async function edited(change: (m: ArtifactManifest, code: Record<string, unknown>) => void, rehash: boolean) {
    const manifest = JSON.parse(await readFile(join(infer, 'manifest.json'), 'utf8')) as ArtifactManifest;
    const weights = new Uint8Array(await readFile(join(infer, 'weights.safetensors')));
    const codeObject = JSON.parse(await readFile(join(infer, 'kernels.wgsl.json'), 'utf8')) as Record<string, unknown>;
    change(manifest, codeObject);
    const code = new TextEncoder().encode(JSON.stringify(codeObject));
    manifest.code = { file: 'kernels.wgsl.json', byteLength: code.length };
    if (rehash) manifest.hash = artifactHash(manifest as unknown as Record<string, unknown>, weights, code);
    return { manifest, files: { weights, code } };
  }
  const kernelsOf = (code: Record<string, unknown>) => code['kernels'] as { name: string; code: string; workgroups: number[] }[];

  it('a variable batch: any batch up to the compiled one gives the rows of the full batch', async () => {
    const dir = join(root, 'batch');
    await exportArtifact(g, dir, { target: 'webgpu', shapes: SHAPES, outputs: ['logits'], batch: 'B' });
    const exe = await loadExecutable(dir);
    const x = inputs['x']!;
    const full = await exe.run({ x });
    const two = await exe.run({ x: x.slice(0, x.length / 2) });
    expect(two['logits']!.shape).toEqual([2, 10]);
    expect(Array.from(two['logits']!.data)).toEqual(Array.from(full['logits']!.data).slice(0, 20));
  });

  it('a missing shaders file is refused naming it', async () => {
    const dir = join(root, 'missing');
    await exportArtifact(g, dir, { target: 'webgpu', shapes: SHAPES });
    await unlink(join(dir, 'kernels.wgsl.json'));
    expect(await refusal(loadExecutable(dir))).toBe(`${join(dir, 'kernels.wgsl.json')}: cannot read the shaders (no such file or directory)`);
  });

  it('a changed byte in the shaders is a hash mismatch naming kernels.wgsl.json', async () => {
    const dir = join(root, 'tampered');
    await exportArtifact(g, dir, { target: 'webgpu', shapes: SHAPES });
    const file = join(dir, 'kernels.wgsl.json');
    const bytes = await readFile(file);
    const at = bytes.indexOf('0.0f');
    expect(at).toBeGreaterThan(0);
    bytes[at] = '1'.charCodeAt(0); // the accumulator starts at 1: same length, other numbers
    await writeFile(file, bytes);
    expect(await refusal(loadExecutable(dir))).toBe(`${join(dir, 'manifest.json')}: hash mismatch: the manifest or kernels.wgsl.json changed after the artifact was written`);
  });

  it("edited workgroups are refused: without a new hash as a mismatch, with one by the shaders' checks, naming the file", async () => {
    const { manifest, files } = await edited((_, c) => (kernelsOf(c)[0]!.workgroups = [1, 1, 1]), false);
    expect(refusalSync(() => artifactFromObject(manifest, files, 'art'))).toBe(
      'art/manifest.json: hash mismatch: the manifest or weights.safetensors or kernels.wgsl.json changed after the artifact was written',
    );
    const forged = await edited((_, c) => (kernelsOf(c)[1]!.workgroups = [70000, 1, 1]), true);
    expect(refusalSync(() => artifactFromObject(forged.manifest, forged.files, 'art'))).toBe(
      'art/kernels.wgsl.json: kernels[1].workgroups must be three counts up to 65535, not [70000,1,1]',
    );
    const fewer = await edited((_, c) => kernelsOf(c).pop(), true);
    expect(refusalSync(() => artifactFromObject(fewer.manifest, fewer.files, 'art'))).toMatch(/^art\/kernels\.wgsl\.json: has \d+ kernels for a program of \d+$/);
  });

  it('shaders rendered for another program, or not JSON, are refused naming the file', async () => {
    const other = await edited((_, c) => (c['program'] = '0'.repeat(64)), true);
    expect(refusalSync(() => artifactFromObject(other.manifest, other.files, 'art'))).toMatch(
      /^art\/kernels\.wgsl\.json: the shaders were rendered for the program with digest "0{64}", but art\/manifest\.json holds program '.+' with digest "[0-9a-f]{64}"; recompile the artifact$/,
    );
    const { manifest, files } = await edited(() => undefined, false);
    const code = new TextEncoder().encode('{"program": ');
    manifest.code = { file: 'kernels.wgsl.json', byteLength: code.length };
    manifest.hash = artifactHash(manifest as unknown as Record<string, unknown>, files.weights, code);
    expect(refusalSync(() => artifactFromObject(manifest, { ...files, code }, 'art'))).toMatch(/^art\/kernels\.wgsl\.json: not JSON text \(/);
  });

  it('in memory: createExecutable runs a webgpu artifact; executableFromArtifact, which returns at once, refuses it', async () => {
    const { manifest, files } = await edited(() => undefined, true);
    const artifact = artifactFromObject(manifest, files);
    expect(() => executableFromArtifact(artifact)).toThrow(
      'a webgpu artifact is made asynchronously (its pipelines compile on the device): use await createExecutable(artifact) or loadExecutable(dir)',
    );
    const exe = await createExecutable(artifact);
    expect(exe).toBeInstanceOf(WebGpuExecutable);
    const out = await exe.run(inputs);
    expect(out['logits']!.shape).toEqual([4, 10]);
  });
});
