// Artifacts: write -> load -> run gives the same outputs (target 'js', and 'wasm' against JIT compile), the manifest and hash, every refusal with its message (truncation, flipped bytes, version, format, missing files, malformed programs, modules that do not compile), and atomic writes.

import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { artifactFromObject, artifactHash, loadArtifact, type ArtifactManifest } from '../../runtime/artifact.js';
import { parseProgram } from '../../runtime/program-validator.js';
import { KernelExecutable, loadExecutable } from '../../runtime/executable.js';
import { WasmExecutable } from '../../runtime/wasm.js';
import type { BufferSpec, IndexExpr, KernelProgram, ValueExpr } from '../../runtime/kernel-ir.js';
import type { Tensor } from '../../runtime/tensor.js';
import { compileWasm } from '../../src/backends/wasm/index.js';
import { compile, kernelProgram } from '../../src/compile.js';
import type { Graph } from '../../src/ir/graph.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { encodeArtifact, writeArtifact } from '../../src/kernels/artifact.js';
import { updateInPlace } from '../../src/kernels/in-place-updates.js';
import { planMemory } from '../../src/kernels/memory.js';
import { jsonCopy, list, obj, type JsonObject } from '../support/json.js';
import { readSafetensors, writeSafetensors } from '../support/safetensors.js';
import { refusal, refusalSync } from './artifact-refusal.js';

const v = (axis: number): IndexExpr => ({ k: 'var', axis });
const lin = (...terms: [number, number][]): IndexExpr =>
  terms.reduce<IndexExpr>((e, [axis, by]) => ({ k: 'add', a: e, b: { k: 'mul', a: v(axis), by } }), { k: 'const', value: 0 });
const ld = (buffer: string, index: IndexExpr): ValueExpr => ({ k: 'load', buffer, index, dtype: 'f32' });
const bin = (fn: 'add' | 'mul', a: ValueExpr, b: ValueExpr): ValueExpr => ({ k: 'binary', fn, a, b, dtype: 'f32' });

/**
 * y = Σ_j relu(x @ w + b)[i, j], with b <- b + 0.5 after each run, and a constant holding the
 * numbers JSON cannot (nan, ±inf, -0) copied to an output.
 */
function mlp(): KernelProgram {
  const buffers: BufferSpec[] = [
    { name: 'x', dtype: 'f32', shape: [2, 3], role: 'input' },
    { name: 'w', dtype: 'f32', shape: [3, 4], role: 'param' },
    { name: 'b', dtype: 'f32', shape: [4], role: 'param' },
    { name: 'odd', dtype: 'f32', shape: [4], role: 'const', data: [NaN, -0, Infinity, -Infinity] },
    { name: 'h', dtype: 'f32', shape: [2, 4], role: 'temp' },
    { name: 'b2', dtype: 'f32', shape: [4], role: 'temp' },
    { name: 'y', dtype: 'f32', shape: [2], role: 'output' },
    { name: 'odd_out', dtype: 'f32', shape: [4], role: 'output' },
  ];
  const relu = (a: ValueExpr): ValueExpr => ({ k: 'unary', fn: 'relu', a, dtype: 'f32' });
  return {
    name: 'mlp',
    buffers,
    kernels: [
      {
        name: 'dense',
        pattern: 'matmul',
        shape: [2, 4],
        reduce: { op: 'sum', shape: [3], value: bin('mul', ld('x', lin([0, 3], [2, 1])), ld('w', lin([2, 4], [1, 1]))) },
        stores: [{ buffer: 'h', value: relu(bin('add', { k: 'acc', dtype: 'f32' }, ld('b', v(1)))) }],
        schedule: { upcast: 4, reduceUpcast: 1, reduceGroup: 1, tile: { m: 4, n: 8 } },
      },
      {
        name: 'rowsum',
        pattern: 'reduce',
        shape: [2],
        reduce: { op: 'sum', shape: [4], value: ld('h', lin([0, 4], [1, 1])) },
        stores: [{ buffer: 'y', value: { k: 'acc', dtype: 'f32' } }],
      },
      {
        name: 'bias_step',
        pattern: 'elementwise',
        shape: [4],
        stores: [
          { buffer: 'b2', value: bin('add', ld('b', v(0)), { k: 'const', value: 0.5, dtype: 'f32' }) },
          { buffer: 'odd_out', value: ld('odd', v(0)) },
        ],
      },
    ],
    inputs: [{ name: 'x', buffer: 'x' }],
    outputs: [
      { name: 'y', buffer: 'y' },
      { name: 'odd', buffer: 'odd_out' },
    ],
    params: [
      { name: 'w', buffer: 'w', init: { fn: 'glorot_uniform', args: { seed: 3 } } },
      { name: 'b', buffer: 'b', init: { fn: 'zeros', args: {} } },
    ],
    updates: [{ param: 'b', buffer: 'b2' }],
    arenaBytes: 0,
  };
}

const W: Tensor = { dtype: 'f32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => (i - 6) / 4) };
const X = new Float32Array([1, -2, 0.5, 3, 0.25, -1]);

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kiln-artifact-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function written(withWeights = true): Promise<string> {
  const dir = join(root, 'mlp');
  await writeArtifact(dir, planMemory(updateInPlace(mlp())), { target: 'js', ...(withWeights ? { weights: { w: W } } : {}) });
  return dir;
}

describe('write, load, run', () => {
  it('gives the same outputs and parameters as the program run in memory, and as the reference graph', async () => {
    const dir = await written();
    const loaded = await loadExecutable(dir);
    const direct = new KernelExecutable({ program: planMemory(updateInPlace(mlp())) }, { params: { w: W } });
    for (let step = 0; step < 3; step++) {
      const [a, b] = [await loaded.run({ x: X }), await direct.run({ x: X })];
      expect(a).toEqual(b);
    }
    expect(loaded.params()).toEqual(direct.params());
    expect(Array.from(loaded.params()['b']!.data)).toEqual([1.5, 1.5, 1.5, 1.5]);

    const g = new GraphBuilder('mlp');
    const x = g.input('x', { dtype: 'f32', shape: [2, 3] });
    const w = g.param('w', { dtype: 'f32', shape: [3, 4] }, { fn: 'zeros', args: {} });
    const bias = g.param('b', { dtype: 'f32', shape: [4] }, { fn: 'zeros', args: {} });
    g.output('y', g.emit('reduce_sum', [g.emit('relu', [g.emit('add', [g.emit('matmul', [x, w]), bias])])], { axes: [1] }));
    const ref = await compile(g.build());
    ref.setParams({ w: W });
    const y = (await ref.run({ x: X }))['y']!;
    const fresh = await (await loadExecutable(dir)).run({ x: X });
    Array.from(fresh['y']!.data).forEach((value, i) => expect(value).toBeCloseTo(y.data[i]!, 5));
  });

  it('keeps nan, infinities and -0 through JSON', async () => {
    const out = await (await loadExecutable(await written())).run({ x: X });
    const odd = Array.from(out['odd']!.data);
    expect(odd.slice(0, 1)).toEqual([NaN]);
    expect(Object.is(odd[1], -0)).toBe(true);
    expect(odd.slice(2)).toEqual([Infinity, -Infinity]);
  });

  it('without weights: parameters start from their initializers, and weights.safetensors is not written', async () => {
    const dir = await written(false);
    expect((await readdir(dir)).sort()).toEqual(['manifest.json']);
    const exe = await loadExecutable(dir);
    const init = new KernelExecutable({ program: planMemory(updateInPlace(mlp())) });
    expect(exe.params()).toEqual(init.params());
    expect(exe.params()['w']!.data).not.toEqual(new Float32Array(12));
  });

  it('writes a documented manifest whose hash covers the program and the weights; the same input gives the same bytes', async () => {
    const dir = await written();
    const text = await readFile(join(dir, 'manifest.json'), 'utf8');
    const manifest = JSON.parse(text) as ArtifactManifest;
    expect(manifest.format).toBe('kiln-artifact');
    expect(manifest.version).toBe(3);
    expect(manifest.initialized).toEqual(['b']);
    expect(manifest.target).toBe('js');
    const bytes = await readFile(join(dir, 'weights.safetensors'));
    expect(manifest.weights).toEqual({ file: 'weights.safetensors', byteLength: bytes.length });
    expect(manifest.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(artifactHash(manifest as never, bytes)).toBe(manifest.hash);
    // A safetensors file, as an independent reader sees it.
    const file = readSafetensors(bytes);
    expect(Object.keys(file.tensors)).toEqual(['w']);
    expect(file.tensors.w).toMatchObject({ dtype: 'F32', shape: [3, 4], values: Array.from(W.data) });
    await writeArtifact(join(root, 'again'), planMemory(updateInPlace(mlp())), { target: 'js', weights: { w: W } });
    expect(await readFile(join(root, 'again', 'manifest.json'), 'utf8')).toBe(text);
    expect(await readFile(join(root, 'again', 'weights.safetensors'))).toEqual(bytes);
  });

  it('in memory: encodeArtifact and artifactFromObject, no files', async () => {
    const { manifest, weights } = encodeArtifact(planMemory(updateInPlace(mlp())), { target: 'js', weights: { w: W } });
    const artifact = artifactFromObject(JSON.parse(JSON.stringify(manifest)), weights);
    expect(artifact.weights['w']!.data).toEqual(W.data);
    expect(await new KernelExecutable(artifact).run({ x: X })).toEqual(await (await loadExecutable(await written())).run({ x: X }));
  });

  it('refuses to write weights that are not parameters, or of the wrong shape, before touching the disk', async () => {
    const dir = join(root, 'bad');
    expect(await refusal(writeArtifact(dir, mlp(), { target: 'js', weights: { nope: W } }))).toBe(
      `${dir}: weight 'nope' is not a parameter of program 'mlp' (its parameters: w, b)`,
    );
    await expect(writeArtifact(dir, mlp(), { target: 'js', weights: { b: W } })).rejects.toThrow("weight 'b': expected shape [4], got [3, 4]");
    expect(await readdir(root)).toEqual([]);
  });
});

describe('refusals name the file and the fault', () => {
  const manifestOf = (dir: string) => join(dir, 'manifest.json');
  const weightsOf = (dir: string) => join(dir, 'weights.safetensors');

  async function editManifest(dir: string, edit: (m: Record<string, unknown>) => void, resign = false): Promise<void> {
    const m = JSON.parse(await readFile(manifestOf(dir), 'utf8')) as Record<string, unknown>;
    edit(m);
    if (resign) m.hash = artifactHash(m, await readFile(weightsOf(dir)).catch(() => undefined));
    await writeFile(manifestOf(dir), JSON.stringify(m));
  }

  it('a missing directory or manifest', async () => {
    const missing = join(root, 'nothing');
    expect(await refusal(loadArtifact(missing))).toBe(`${manifestOf(missing)}: cannot read the manifest (no such file or directory)`);
    const dir = await written();
    await unlink(manifestOf(dir));
    expect(await refusal(loadArtifact(dir))).toBe(`${manifestOf(dir)}: cannot read the manifest (no such file or directory)`);
  });

  it('a missing weights file', async () => {
    const dir = await written();
    await unlink(weightsOf(dir));
    expect(await refusal(loadArtifact(dir))).toBe(`${weightsOf(dir)}: cannot read the weights (no such file or directory)`);
    const { manifest } = encodeArtifact(mlp(), { target: 'js', weights: { w: W } });
    expect(refusalSync(() => artifactFromObject(manifest))).toBe(`weights.safetensors: missing (the manifest lists a weights file of ${manifest.weights!.byteLength} bytes)`);
  });

  it('a manifest that is not JSON, or not an object', async () => {
    const dir = await written();
    await writeFile(manifestOf(dir), '{"format": "kiln-artifact",');
    expect(await refusal(loadArtifact(dir))).toMatch(new RegExp(`^${manifestOf(dir).replace(/[.\\]/g, '\\$&')}: not JSON \\(.+\\)$`));
    await writeFile(manifestOf(dir), '[1, 2]');
    expect(await refusal(loadArtifact(dir))).toBe(`${manifestOf(dir)}: not a JSON object`);
  });

  it('a wrong format tag, a version this runtime does not read, an unknown target', async () => {
    const dir = await written();
    await editManifest(dir, (m) => (m.format = 'kiln-checkpoint'));
    expect(await refusal(loadArtifact(dir))).toBe(`${manifestOf(dir)}: not a Kiln artifact (format is "kiln-checkpoint", expected "kiln-artifact")`);
    await editManifest(dir, (m) => ((m.format = 'kiln-artifact'), (m.version = 4)));
    expect(await refusal(loadArtifact(dir))).toBe(`${manifestOf(dir)}: unsupported artifact version 4 (this runtime reads 3)`);
    await editManifest(dir, (m) => (m.version = 2));
    expect(await refusal(loadArtifact(dir))).toBe(
      `${manifestOf(dir)}: artifact version 2 keeps its weights in weights.bin, not in a safetensors file; recompile it with 'kiln compile'`,
    );
    await editManifest(dir, (m) => ((m.version = 3), (m.target = 'cuda')));
    expect(await refusal(loadArtifact(dir))).toBe(`${manifestOf(dir)}: unknown target "cuda" (this runtime runs: js, wasm, webgpu)`);
  });

  it('weights.safetensors truncated at several lengths, or with bytes added', async () => {
    const dir = await written();
    const bytes = await readFile(weightsOf(dir));
    for (const length of [0, 1, 4, 24, bytes.length - 1]) {
      await writeFile(weightsOf(dir), bytes.subarray(0, length));
      expect(await refusal(loadArtifact(dir))).toBe(`${weightsOf(dir)}: truncated (expected ${bytes.length} bytes, got ${length})`);
    }
    await writeFile(weightsOf(dir), Buffer.concat([bytes, Buffer.from([0, 0, 0, 0])]));
    expect(await refusal(loadArtifact(dir))).toBe(`${weightsOf(dir)}: 4 unexpected bytes after the tensor data (expected ${bytes.length} bytes)`);
  });

  it('a flipped byte in weights.safetensors or in the manifest: hash mismatch', async () => {
    const dir = await written();
    const bytes = await readFile(weightsOf(dir));
    const mismatch = `${manifestOf(dir)}: hash mismatch: the manifest or weights.safetensors changed after the artifact was written`;
    for (const at of [0, 17, bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[at] = flipped[at]! ^ 0x10;
      await writeFile(weightsOf(dir), flipped);
      expect(await refusal(loadArtifact(dir))).toBe(mismatch);
    }
    await writeFile(weightsOf(dir), bytes);
    // A digit of the constant 0.5 in the program: still valid JSON, a different program.
    const text = await readFile(manifestOf(dir), 'utf8');
    expect(text).toContain('"value":0.5');
    await writeFile(manifestOf(dir), text.replace('"value":0.5', '"value":0.7'));
    expect(await refusal(loadArtifact(dir))).toBe(mismatch);
  });

  it('any single flipped byte of the manifest is refused, never run', async () => {
    const dir = await written();
    const text = Buffer.from(await readFile(manifestOf(dir)));
    for (let at = 0; at < text.length; at += 5) {
      const flipped = Buffer.from(text);
      flipped[at] = flipped[at]! ^ 0x01;
      await writeFile(manifestOf(dir), flipped);
      await refusal(loadArtifact(dir));
    }
  });

  it('a malformed hash, or a weights file outside the artifact', async () => {
    const dir = await written();
    await editManifest(dir, (m) => (m.hash = 'abc'));
    expect(await refusal(loadArtifact(dir))).toBe(`${manifestOf(dir)}: hash must be 64 lowercase hex digits, got "abc"`);
    await editManifest(dir, (m) => ((m.weights as { file: string }).file = '../elsewhere.bin'));
    expect(await refusal(loadArtifact(dir))).toBe(`${manifestOf(dir)}: weights.file must be a plain file name, got "../elsewhere.bin"`);
  });

  /** The manifest with its program edited and the hash recomputed, so the structural checks are reached. */
  function withProgram(edit: (p: JsonObject) => void): () => unknown {
    const { manifest, weights } = encodeArtifact(planMemory(updateInPlace(mlp())), { target: 'js', weights: { w: W } });
    const m = obj(jsonCopy(manifest));
    edit(obj(m, 'program'));
    m.hash = artifactHash(m, weights);
    return () => artifactFromObject(m, weights);
  }

  it.each([
    ['a load of an unknown buffer', (p: JsonObject) => (obj(p, 'kernels', 1, 'reduce', 'value').buffer = 'ghost'), 'kernel \'rowsum\' reduction: load of unknown buffer "ghost"'],
    ['a store of the wrong shape', (p: JsonObject) => (obj(p, 'kernels', 1).shape = [3]), "kernel 'rowsum' store 0: buffer 'y' [2] does not hold the kernel's shape [3]"],
    ['an unknown role', (p: JsonObject) => (obj(p, 'buffers', 4).role = 'scratch'), 'buffer \'h\' has unknown role "scratch" (expected input, param, output, temp, const)'],
    ['a read before any write', (p: JsonObject) => list(p, 'kernels').reverse(), "kernel 'rowsum' reads temp 'h' before any kernel writes it"],
    ['an unknown fn', (p: JsonObject) => (obj(p, 'kernels', 0, 'stores', 0, 'value').fn = 'gelu'), 'kernel \'dense\' store 0: unknown unary fn "gelu"'],
    [
      'a dtype that disagrees with its buffer',
      (p: JsonObject) => (obj(p, 'kernels', 0, 'reduce', 'value', 'a').dtype = 'i32'),
      "kernel 'dense' reduction: load of 'x' (f32) says dtype \"i32\"",
    ],
    [
      'acc outside a reduction',
      (p: JsonObject) => (obj(p, 'kernels', 2, 'stores', 0).value = { k: 'acc', dtype: 'f32' }),
      "kernel 'bias_step' store 0: acc outside the stores of a reducing kernel",
    ],
    [
      'a var beyond the loop',
      (p: JsonObject) => (obj(p, 'kernels', 2, 'stores', 1, 'value').index = { k: 'var', axis: 1 }),
      "kernel 'bias_step' store 1: var axis 1 is not a loop variable (the kernel has 1)",
    ],
    ['a temp past the arena', (p: JsonObject) => (p.arenaBytes = 8), "temp 'h' [0, 32) runs past the arena's 8 bytes"],
    ['an update of an unknown param', (p: JsonObject) => (obj(p, 'updates', 0).param = 'z'), 'update of unknown param "z"'],
    ['const data of the wrong length', (p: JsonObject) => list(p, 'buffers', 3, 'data').pop(), "buffer 'odd' carries 3 values for shape [4] (4 elements)"],
    [
      'a kernel writing a parameter',
      (p: JsonObject) => (obj(p, 'kernels', 1, 'stores', 0).buffer = 'w'),
      "kernel 'rowsum' store 0 writes param buffer 'w' (kernels write temps and outputs; parameters change through updates)",
    ],
    // planMemory has bias_step write b in place (update b = b): nothing may read b after it, and something must write it.
    [
      'a read of a parameter after its in-place update',
      (p: JsonObject) => list(p, 'kernels').unshift(list(p, 'kernels').pop()!),
      "kernel 'dense' reads parameter 'b' after a kernel updated it in place",
    ],
    [
      'an in-place update that no kernel makes',
      (p: JsonObject) => list(p, 'kernels').pop(),
      "the update of parameter buffer 'b' from itself needs a kernel that writes it in place",
    ],
    ['an unknown initializer', (p: JsonObject) => (obj(p, 'params', 0, 'init').fn = 'orthogonal'), "param 'w': unknown initializer 'orthogonal'"],
  ])('a program with %s', (_what, edit, message) => {
    expect(refusalSync(withProgram(edit))).toContain(`manifest.json: program: ${message}`);
  });

  it('weights that are not parameters of the program, or disagree with them, or a weights file that is not Kiln safetensors', () => {
    const { manifest, weights } = encodeArtifact(planMemory(updateInPlace(mlp())), { target: 'js', weights: { w: W } });
    /** The artifact with its weights file rewritten and both hashes recomputed, so the checks past them are reached. */
    const withWeights = (edit: (header: Record<string, unknown>) => void) => {
      const { header, data } = readSafetensors(weights!);
      const edited = structuredClone(header);
      edit(edited);
      const bytes = writeSafetensors(edited, data);
      const m = obj(jsonCopy(manifest));
      obj(m, 'weights').byteLength = bytes.length;
      m.hash = artifactHash(m, bytes);
      return () => artifactFromObject(m, bytes);
    };
    expect(refusalSync(withWeights((h) => ((h.v = h.w), delete h.w)))).toBe("weights.safetensors: tensor 'v' is not a parameter of the program");
    expect(refusalSync(withWeights((h) => ((h.w as { shape: number[] }).shape = [4, 3])))).toBe("weights.safetensors: tensor 'w' is f32[4, 3], but the parameter is f32[3, 4]");
    expect(refusalSync(withWeights((h) => ((h.w as { dtype: string }).dtype = 'F64')))).toBe(
      `weights.safetensors: tensor 'w' has dtype "F64", which Kiln does not read (it reads F32, I32 and BOOL)`,
    );
    expect(refusalSync(withWeights((h) => (h.__metadata__ = {})))).toBe("weights.safetensors: not a Kiln file (__metadata__ has no 'kiln.version')");
  });

  it('parseProgram is the same check for programs from anywhere', () => {
    expect(refusalSync(() => parseProgram({ ...mlp(), inputs: [] }))).toBe("program: buffer 'x' has role input, but no program input names it");
  });
});

describe('atomic writes', () => {
  it('leave only the artifact directory: no temporary files', async () => {
    await written();
    expect(await readdir(root)).toEqual(['mlp']);
    expect((await readdir(join(root, 'mlp'))).sort()).toEqual(['manifest.json', 'weights.safetensors']);
  });

  it('replace an existing artifact whole, leaving nothing behind', async () => {
    const dir = await written();
    await writeArtifact(dir, planMemory(updateInPlace(mlp())), { target: 'js' });
    expect(await readdir(root)).toEqual(['mlp']);
    expect((await readdir(dir)).sort()).toEqual(['manifest.json']);
    expect((await loadArtifact(dir)).weights).toEqual({});
  });

  it('refuse to replace a directory holding other files, and leave it as it was', async () => {
    const dir = join(root, 'build');
    await writeArtifact(dir, mlp(), { target: 'js' });
    await writeFile(join(dir, 'notes.txt'), 'mine');
    expect(await refusal(writeArtifact(dir, mlp(), { target: 'js' }))).toBe(`${dir}: refusing to replace a directory that holds more than an artifact (notes.txt)`);
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'notes.txt']);
    expect(await readdir(root)).toEqual(['build']);
  });

  it('leave nothing when the write fails', async () => {
    await writeFile(join(root, 'file'), 'not a directory');
    const dir = join(root, 'file', 'mlp');
    expect(await refusal(writeArtifact(dir, mlp(), { target: 'js' }))).toMatch(/cannot write the artifact \(a part of the path is not a directory\)$/);
    expect(await readdir(root)).toEqual(['file']);
    // An invalid program fails before any file is touched.
    await expect(writeArtifact(join(root, 'bad'), { ...mlp(), arenaBytes: -1 }, { target: 'js' })).rejects.toThrow('arenaBytes must be a non-negative integer, got -1');
    expect(await readdir(root)).toEqual(['file']);
  });
});

describe("target 'wasm': the module beside the manifest", () => {
  const manifestOf = (dir: string) => join(dir, 'manifest.json');
  const moduleOf = (dir: string) => join(dir, 'module.wasm');
  const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  /** relu(x @ w + b) summed per row: the graph of mlp() without its update and constants. */
  function mlpGraph(): Graph {
    const g = new GraphBuilder('mlp');
    const x = g.input('x', { dtype: 'f32', shape: [2, 3] });
    const w = g.param('w', { dtype: 'f32', shape: [3, 4] }, { fn: 'glorot_uniform', args: { seed: 3 } });
    const bias = g.param('b', { dtype: 'f32', shape: [4] }, { fn: 'zeros', args: {} });
    g.output('y', g.emit('reduce_sum', [g.emit('relu', [g.emit('add', [g.emit('matmul', [x, w]), bias])])], { axes: [1] }));
    return g.build();
  }

  async function writtenWasm(program: KernelProgram = planMemory(updateInPlace(mlp())), withWeights = true): Promise<string> {
    const dir = join(root, 'mlp-wasm');
    await writeArtifact(dir, program, { target: 'wasm', wasm: await compileWasm(program), ...(withWeights ? { weights: { w: W } } : {}) });
    return dir;
  }

  it('write, load, run gives the outputs and parameters of JIT compile on the wasm backend', async () => {
    const g = mlpGraph();
    const dir = await writtenWasm(kernelProgram(g, {}));
    const loaded = await loadExecutable(dir);
    expect(loaded).toBeInstanceOf(WasmExecutable);
    const jit = await compile(g, { backend: 'wasm' });
    jit.setParams({ w: W });
    const xs = [X, X.map((v) => -v), new Float32Array(6)];
    for (const x of xs) expect(await loaded.run({ x })).toEqual(await jit.run({ x }));
    expect(loaded.params()).toEqual(jit.params());
    // Without stored weights, both start from the same initializers.
    const bare = await loadExecutable(await writtenWasm(kernelProgram(g, {}), false));
    expect(bare.params()).toEqual((await compile(g, { backend: 'wasm' })).params());
  });

  it('keeps updates across runs, and nan, infinities and -0, as the module run in memory does', async () => {
    const program = planMemory(updateInPlace(mlp()));
    const loaded = await loadExecutable(await writtenWasm(program));
    const direct = new WasmExecutable({ program, wasm: await compileWasm(program) }, { params: { w: W } });
    for (let step = 0; step < 3; step++) expect(await loaded.run({ x: X })).toEqual(await direct.run({ x: X }));
    expect(Array.from(loaded.params()['b']!.data)).toEqual([1.5, 1.5, 1.5, 1.5]);
    const odd = Array.from((await loaded.run({ x: X }))['odd']!.data);
    expect(odd[0]).toBeNaN();
    expect(Object.is(odd[1], -0)).toBe(true);
    expect(odd.slice(2)).toEqual([Infinity, -Infinity]);
  });

  it('lists module.wasm in the manifest, and the hash covers it after the weights', async () => {
    const dir = await writtenWasm();
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'module.wasm', 'weights.safetensors']);
    const manifest = JSON.parse(await readFile(manifestOf(dir), 'utf8')) as ArtifactManifest;
    const code = await readFile(moduleOf(dir));
    expect(manifest.target).toBe('wasm');
    expect(manifest.code).toEqual({ file: 'module.wasm', byteLength: code.length });
    expect(artifactHash(manifest as never, await readFile(join(dir, 'weights.safetensors')), code)).toBe(manifest.hash);
    // The js manifest of the same program has no code field.
    const { manifest: js } = encodeArtifact(planMemory(updateInPlace(mlp())), { target: 'js' });
    expect('code' in js).toBe(false);
  });

  it('in memory: encodeArtifact and artifactFromObject with the module bytes', async () => {
    const program = planMemory(updateInPlace(mlp()));
    const { manifest, weights, code } = encodeArtifact(program, { target: 'wasm', wasm: await compileWasm(program), weights: { w: W } });
    const artifact = artifactFromObject(JSON.parse(JSON.stringify(manifest)), { weights, code });
    expect(artifact.target).toBe('wasm');
    if (artifact.target !== 'wasm') return;
    expect(artifact.wasm).toEqual(code);
    expect(await new WasmExecutable(artifact).run({ x: X })).toEqual(await (await loadExecutable(await writtenWasm())).run({ x: X }));
    expect(refusalSync(() => artifactFromObject(manifest, weights))).toBe(`module.wasm: missing (the manifest lists a module of ${code!.length} bytes)`);
  });

  it('refuses to write a module that does not compile, or a module for target js, before touching the disk', async () => {
    const dir = join(root, 'bad');
    expect(await refusal(writeArtifact(dir, mlp(), { target: 'wasm', wasm: new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9, 9, 9]) }))).toMatch(
      new RegExp(`^${literally(dir)}: the module does not compile \\(.+\\)$`),
    );
    expect(await refusal(writeArtifact(dir, mlp(), { target: 'wasm', wasm: new Uint8Array(0) }))).toBe(`${dir}: target 'wasm' needs the module's bytes (options.wasm)`);
    expect(await refusal(writeArtifact(dir, mlp(), { target: 'js', wasm: new Uint8Array(8) } as never))).toBe(`${dir}: target 'js' takes no module`);
    expect(await readdir(root)).toEqual([]);
  });

  it('a missing module.wasm', async () => {
    const dir = await writtenWasm();
    await unlink(moduleOf(dir));
    expect(await refusal(loadArtifact(dir))).toBe(`${moduleOf(dir)}: cannot read the module (no such file or directory)`);
  });

  it('module.wasm truncated at several lengths, or with bytes added', async () => {
    const dir = await writtenWasm();
    const code = await readFile(moduleOf(dir));
    for (const length of [0, 4, 8, code.length >> 1, code.length - 1]) {
      await writeFile(moduleOf(dir), code.subarray(0, length));
      expect(await refusal(loadArtifact(dir))).toBe(`${moduleOf(dir)}: truncated (expected ${code.length} bytes, got ${length})`);
    }
    await writeFile(moduleOf(dir), Buffer.concat([code, Buffer.from([0])]));
    expect(await refusal(loadArtifact(dir))).toBe(`${moduleOf(dir)}: 1 unexpected bytes after the module (expected ${code.length} bytes)`);
  });

  it('a flipped byte anywhere in module.wasm: hash mismatch', async () => {
    const dir = await writtenWasm();
    const code = await readFile(moduleOf(dir));
    for (const at of [0, 5, code.length >> 1, code.length - 1]) {
      const flipped = Buffer.from(code);
      flipped[at] = flipped[at]! ^ 0x01;
      await writeFile(moduleOf(dir), flipped);
      expect(await refusal(loadArtifact(dir))).toBe(`${manifestOf(dir)}: hash mismatch: the manifest or weights.safetensors or module.wasm changed after the artifact was written`);
    }
  });

  it('a corrupt module with the hash recomputed over it: the engine refuses to compile it', async () => {
    const dir = await writtenWasm();
    const code = Buffer.from(await readFile(moduleOf(dir)));
    code[3] = 0x78; // "\0asm" -> "\0asx": no longer the magic number
    await writeFile(moduleOf(dir), code);
    const m = JSON.parse(await readFile(manifestOf(dir), 'utf8')) as Record<string, unknown>;
    m.hash = artifactHash(m, await readFile(join(dir, 'weights.safetensors')), code);
    await writeFile(manifestOf(dir), JSON.stringify(m));
    expect(await refusal(loadArtifact(dir))).toMatch(new RegExp(`^${literally(moduleOf(dir))}: not a WebAssembly module this runtime can compile \\(.*magic.*\\)$`, 'i'));
  });

  it('a code entry the target does not allow, or that points outside the artifact', () => {
    const js = encodeArtifact(planMemory(updateInPlace(mlp())), { target: 'js' }).manifest as unknown as Record<string, unknown>;
    expect(refusalSync(() => artifactFromObject({ ...js, code: { file: 'module.wasm', byteLength: 8 } }))).toBe(
      'manifest.json: a js artifact carries no code file, but the manifest lists {"file":"module.wasm","byteLength":8}',
    );
    expect(refusalSync(() => artifactFromObject({ ...js, target: 'wasm' }))).toBe('manifest.json: a wasm artifact needs code: { file, byteLength }, got undefined');
    expect(refusalSync(() => artifactFromObject({ ...js, target: 'wasm', code: { file: '../m.wasm', byteLength: 8 } }))).toBe(
      'manifest.json: code.file must be a plain file name, got "../m.wasm"',
    );
    expect(refusalSync(() => artifactFromObject({ ...js, target: 'wasm', code: { file: 'module.wasm', byteLength: 0 } }))).toBe(
      'manifest.json: code.byteLength must be a positive integer, got 0',
    );
  });

  it('a js artifact written over a wasm one replaces it whole', async () => {
    const dir = await writtenWasm();
    await writeArtifact(dir, planMemory(updateInPlace(mlp())), { target: 'js' });
    expect((await readdir(dir)).sort()).toEqual(['manifest.json']);
    expect(await loadExecutable(dir)).toBeInstanceOf(KernelExecutable);
  });
});
