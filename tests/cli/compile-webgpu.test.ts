// `kiln compile --target webgpu`: the artifact folder holds the manifest, the weights and the
// shaders (kernels.wgsl.json: one WGSL module per kernel with its workgroup counts), the hash
// covers the shaders, and flags that do not apply are refused. Running it needs a WebGPU
// adapter: tests/runtime/webgpu-artifact.test.ts runs it.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { artifactFromObject, type ArtifactManifest } from '../../runtime/artifact.js';
import { kiln } from './run-kiln.js';

const tmp = mkdtempSync(join(tmpdir(), 'kiln-compile-webgpu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('kiln compile --target webgpu', () => {
  test('writes manifest.json and kernels.wgsl.json, which load and check without a GPU', async () => {
    const out = join(tmp, 'mlp');
    const run = await kiln('compile', 'examples/mnist-mlp.kiln', '--target', 'webgpu', '--shapes', 'B=8', '--outputs', 'logits', '-o', out);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const size = readFileSync(join(out, 'kernels.wgsl.json')).length;
    expect(run.out).toMatch(
      new RegExp(`^wrote .+ \\(target webgpu\\): (\\d+) kernels, arena \\d+ bytes, 6 parameters, inputs x, outputs logits, shaders ${size} bytes \\(kernels\\.wgsl\\.json\\)\\n$`),
    );
    // The model file holds no weights: every parameter starts from its initializer.
    expect(readdirSync(out).sort()).toEqual(['kernels.wgsl.json', 'manifest.json']);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ArtifactManifest;
    expect(manifest.target).toBe('webgpu');
    expect(manifest.code).toEqual({ file: 'kernels.wgsl.json', byteLength: size });
    const shaders = JSON.parse(readFileSync(join(out, 'kernels.wgsl.json'), 'utf8')) as { program: string; kernels: { name: string; code: string; workgroups: number[] }[] };
    const kernels = Number(/: (\d+) kernels/.exec(run.out)![1]);
    expect(shaders.kernels.length).toBe(kernels);
    for (const k of shaders.kernels) {
      expect(k.code).toContain('fn main(');
      expect(k.workgroups).toHaveLength(3);
    }
    // Validated as the runtime validates it, without a device: the program, the digest, the shaders.
    const artifact = artifactFromObject(manifest, { code: new Uint8Array(readFileSync(join(out, 'kernels.wgsl.json'))) });
    expect(artifact.target).toBe('webgpu');
  });

  test('--threads does not apply to webgpu', async () => {
    const run = await kiln('compile', 'examples/mnist-mlp.kiln', '--target', 'webgpu', '--shapes', 'B=8', '--threads', '2', '-o', join(tmp, 'threads'));
    expect(run.code).toBe(1);
    expect(run.err).toBe('kiln: --threads: only --target wasm runs on several threads\n');
  });

  test('the help lists webgpu among the targets', async () => {
    const run = await kiln('compile', '--help');
    // The help text wraps: compare it with its whitespace folded.
    expect(run.out.replace(/\s+/g, ' ')).toMatch(/--target <target> the code to generate: js \(.*\); wasm \(.*\); webgpu \(the kernel program as WGSL/);
  });
});
