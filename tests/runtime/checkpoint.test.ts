// Checkpoints: safetensors files read by an independent reader, round trips, deterministic bytes, each refusal with its message, atomic save and load, compatibility checks.

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCompatible, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointMeta } from '../../runtime/checkpoint.js';
import { KilnRuntimeError, type Tensor } from '../../runtime/tensor.js';
import { kilnHash, readSafetensors, writeSafetensors, type RawTensor } from '../support/safetensors.js';
import { rejectionOf } from '../catch-kiln.js';

const meta: CheckpointMeta = { graph: 'mlp', step: 42, optimizer: 'adam', lr: '0.001' };

/** One tensor of each kind, with a scalar, empty tensors, a 5-byte bool (so padding is needed) and f32 held in f64. */
function sample(): Record<string, Tensor> {
  return {
    w: { dtype: 'f32', shape: [2, 3], data: new Float32Array([1, -2.5, 3e-8, Infinity, NaN, -0]) },
    bias: { dtype: 'f32', shape: [3], data: new Float64Array([0.1, 1 / 3, -1e-3]) },
    count: { dtype: 'i32', shape: [], data: new Int32Array([-7]) },
    mask: { dtype: 'bool', shape: [5], data: new Uint8Array([1, 0, 1, 1, 0]) },
    idx: { dtype: 'i32', shape: [2, 2], data: new Int32Array([2147483647, -2147483648, 0, 1]) },
    none: { dtype: 'f32', shape: [0, 4], data: new Float32Array(0) },
    zz_last_empty: { dtype: 'bool', shape: [0], data: new Uint8Array(0) },
  };
}

function refusal(fn: () => unknown): KilnRuntimeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KilnRuntimeError);
    expect((e as KilnRuntimeError).code).toBe('checkpoint');
    return e as KilnRuntimeError;
  }
  throw new Error('expected a checkpoint refusal, but nothing was thrown');
}

async function refusalOf(promise: Promise<unknown>): Promise<KilnRuntimeError> {
  const e = await rejectionOf(promise);
  if (e === undefined) throw new Error('expected a checkpoint refusal, but the promise resolved');
  expect(e).toBeInstanceOf(KilnRuntimeError);
  expect((e as KilnRuntimeError).code).toBe('checkpoint');
  return e as KilnRuntimeError;
}

/** The parsed header and data section of Kiln's bytes, by the independent reader. */
function parts(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const { header, data } = readSafetensors(bytes);
  return { header: structuredClone(header), data: data.slice() };
}

/** The header's entry of tensor `name` (mutable: edits change the header). */
const entry = (header: Record<string, unknown>, name: string) => header[name] as RawTensor & Record<string, unknown>;

/** The sample checkpoint with an edited header, re-hashed, to reach the checks past the edit. */
function withHeader(edit: (header: Record<string, unknown>) => unknown, extraData = new Uint8Array(0), rehash = true): Uint8Array {
  const { header, data } = parts(encodeCheckpoint(sample(), meta));
  const edited = edit(header) as Record<string, unknown> | string;
  const all = new Uint8Array(data.length + extraData.length);
  all.set(data);
  all.set(extraData, data.length);
  return writeSafetensors(edited, all, rehash);
}

describe('checkpoint format', () => {
  it('round-trips f32, i32 and bool tensors, scalars, empty tensors and f64-held f32', () => {
    const params = sample();
    const bytes = encodeCheckpoint(params, meta);
    const decoded = decodeCheckpoint(bytes);
    expect(decoded.meta).toEqual(meta);
    expect(Object.keys(decoded.params)).toEqual(Object.keys(params).sort());
    for (const [name, t] of Object.entries(params)) {
      const got = decoded.params[name]!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      const want = { f32: Float32Array, i32: Int32Array, bool: Uint8Array }[t.dtype];
      expect(got.data).toBeInstanceOf(want);
      expect(got.data).toEqual(want.from(t.data)); // f64 values rounded to f32
    }
    expect(Object.is(decoded.params.w!.data[5], -0)).toBe(true);
    expect(Number.isNaN(decoded.params.w!.data[4])).toBe(true);
  });

  it('is a safetensors file: an independent reader gets the same tensors and the metadata as strings', () => {
    const bytes = encodeCheckpoint(sample(), meta);
    const file = readSafetensors(bytes);
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0); // the data section starts 8-aligned
    expect(file.metadata).toEqual({ graph: 'mlp', step: '42', optimizer: 'adam', lr: '0.001', 'kiln.version': '2', 'kiln.sha256': kilnHash(file.header, file.data) });
    expect(Object.keys(file.tensors).sort()).toEqual(['bias', 'count', 'idx', 'mask', 'none', 'w', 'zz_last_empty']);
    expect(file.tensors.w).toMatchObject({ dtype: 'F32', shape: [2, 3] });
    expect(file.tensors.w!.values).toEqual([1, -2.5, Math.fround(3e-8), Infinity, NaN, -0]);
    expect(file.tensors.bias!.values).toEqual([0.1, 1 / 3, -1e-3].map(Math.fround));
    expect(file.tensors.idx).toMatchObject({ dtype: 'I32', shape: [2, 2], values: [2147483647, -2147483648, 0, 1] });
    expect(file.tensors.count).toMatchObject({ dtype: 'I32', shape: [], values: [-7] });
    expect(file.tensors.mask).toMatchObject({ dtype: 'BOOL', shape: [5], values: [1, 0, 1, 1, 0] });
    expect(file.tensors.none).toMatchObject({ dtype: 'F32', shape: [0, 4], values: [] });
  });

  it('decodes into tensors that own their data', () => {
    const bytes = encodeCheckpoint(sample(), meta);
    const { params } = decodeCheckpoint(bytes);
    for (const t of Object.values(params)) expect(t.data.buffer).not.toBe(bytes.buffer);
    bytes.fill(0);
    expect(params.idx!.data).toEqual(new Int32Array([2147483647, -2147483648, 0, 1]));
  });

  it('decodes from an unaligned view, as Node file buffers may be', () => {
    const bytes = encodeCheckpoint(sample(), meta);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeCheckpoint(shifted.subarray(3))).toEqual(decodeCheckpoint(bytes));
  });

  it('reads a file written by another safetensors writer (key order, no padding) when its Kiln hash matches', () => {
    const { header, data } = parts(encodeCheckpoint(sample(), meta));
    const reordered = Object.fromEntries(Object.entries(header).reverse());
    expect(decodeCheckpoint(writeSafetensors(reordered, data))).toEqual(decodeCheckpoint(encodeCheckpoint(sample(), meta)));
  });

  it('round-trips a checkpoint with no tensors', () => {
    const decoded = decodeCheckpoint(encodeCheckpoint({}, { graph: 'g', step: 0 }));
    expect(decoded).toEqual({ meta: { graph: 'g', step: 0 }, params: {} });
  });

  it('writes the same bytes for the same contents, whatever the insertion order', () => {
    const a = encodeCheckpoint(sample(), meta);
    expect(encodeCheckpoint(sample(), meta)).toEqual(a);
    const reversed = Object.fromEntries(Object.entries(sample()).reverse());
    expect(encodeCheckpoint(reversed, meta)).toEqual(a);
  });

  it('refuses parameters and meta it cannot encode', () => {
    const cases: [Record<string, Tensor>, CheckpointMeta, RegExp][] = [
      [{ w: { dtype: 'f32', shape: [2, 3], data: new Float32Array(5) } }, meta, /parameter 'w' holds 5 values, but f32\[2, 3\] has 6/],
      [{ w: { dtype: 'i32', shape: [2], data: new Float32Array(2) } }, meta, /parameter 'w' \(i32\) must hold its data in a Int32Array, got Float32Array/],
      [{ m: { dtype: 'bool', shape: [2], data: new Uint8Array([1, 2]) } }, meta, /parameter 'm' \(bool\) holds 2 at element 1/],
      [{ w: { dtype: 'f16' as never, shape: [1], data: new Float32Array(1) } }, meta, /unknown dtype "f16"/],
      [{ w: { dtype: 'f32', shape: [-1], data: new Float32Array(1) } }, meta, /bad shape \[-1\]/],
      [{ __metadata__: { dtype: 'f32', shape: [], data: new Float32Array(1) } }, meta, /may not be named '__metadata__'/],
      [{}, { graph: 'g', step: -1 }, /meta\.step must be a non-negative integer, got -1/],
      [{}, { graph: 'g', step: 1, lr: 0.1 }, /meta\.lr must be a string \(safetensors metadata holds strings\), got 0\.1/],
    ];
    for (const [params, m, message] of cases) expect(refusal(() => encodeCheckpoint(params, m)).message).toMatch(message);
  });
});

describe('checkpoint refusals', () => {
  const good = encodeCheckpoint(sample(), meta);
  const headerEnd = 8 + Number(new DataView(good.buffer).getBigUint64(0, true));

  it('refuses every truncated prefix as truncated, never crashing', () => {
    for (let n = 0; n < good.length; n++) {
      const e = refusal(() => decodeCheckpoint(good.subarray(0, n), 'w.ckpt'));
      expect(e.message).toMatch(new RegExp(`^w\\.ckpt: truncated \\(expected (at least )?\\d+ bytes, got ${n}\\)$`));
    }
    // Once the header is whole, the expected size is exact.
    const cut = good.length - 9;
    expect(refusal(() => decodeCheckpoint(good.subarray(0, cut))).message).toBe(`checkpoint: truncated (expected ${good.length} bytes, got ${cut})`);
  });

  it('refuses a flipped byte anywhere', () => {
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i] ^= 0xff;
      const { message } = refusal(() => decodeCheckpoint(bad));
      if (i >= headerEnd) expect(message).toBe('checkpoint: sha256 mismatch (the file is corrupt or was tampered with)');
      else expect(message).toMatch(/^checkpoint: (truncated|not a safetensors file|header is not valid UTF-8 JSON|sha256 mismatch|.*kiln\.sha256|unsupported Kiln file version)/);
    }
  });

  it('refuses a file that is not a Kiln safetensors file', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    expect(refusal(() => decodeCheckpoint(png, 'img.png')).message).toBe('img.png: not a safetensors file (its header length field says 727905341920923785 bytes)');
    const foreign = writeSafetensors({ w: { dtype: 'F32', shape: [], data_offsets: [0, 4] } }, new Uint8Array(4), false);
    expect(refusal(() => decodeCheckpoint(foreign, 'hf.safetensors')).message).toBe('hf.safetensors: header has no __metadata__ map, so it is not a Kiln file');
    const unsigned = writeSafetensors({ __metadata__: { graph: 'g', step: '0' } }, new Uint8Array(0), false);
    expect(refusal(() => decodeCheckpoint(unsigned)).message).toBe("checkpoint: not a Kiln file (__metadata__ has no 'kiln.version')");
  });

  it('refuses another version', () => {
    const future = withHeader((h) => ({ ...h, __metadata__: { ...(h.__metadata__ as object), 'kiln.version': '3' } }));
    expect(refusal(() => decodeCheckpoint(future)).message).toBe('checkpoint: unsupported Kiln file version "3" (this Kiln reads 2)');
  });

  it('accepts a re-assembled file, so the cases below fail only for their edit', () => {
    expect(decodeCheckpoint(withHeader((h) => h))).toEqual(decodeCheckpoint(good));
  });

  const setMeta = (key: string, value: unknown) => (h: Record<string, unknown>) => ({ ...h, __metadata__: { ...(h.__metadata__ as object), [key]: value } });
  const cases: [string, (h: Record<string, unknown>) => unknown, RegExp][] = [
    ['a header that is not JSON', (h) => JSON.stringify(h).replace('"w"', 'w'), /header is not valid UTF-8 JSON \(/],
    ['a header that is not an object', () => '[1, 2]', /header is not a JSON object/],
    ['a metadata value that is not a string', setMeta('step', 3), /__metadata__ 'step' is 3, not a string/],
    ['a hash that is not hex', setMeta('kiln.sha256', 'x'), /__metadata__ 'kiln\.sha256' must be 64 lowercase hex digits, got "x"/],
    ['a changed step (tampered metadata)', setMeta('step', '43'), /sha256 mismatch/],
    ['no graph', (h) => (delete (h.__metadata__ as Record<string, string>).graph, h), /__metadata__ has no 'graph'/],
    ['a step that is not a count', setMeta('step', '-1'), /__metadata__ 'step' must be a non-negative integer, got "-1"/],
    ['a tensor entry that is not an object', (h) => ({ ...h, x: 3 }), /tensor 'x' is not an object in the header/],
    ['an unknown dtype', (h) => ((entry(h, 'w').dtype = 'F16'), h), /tensor 'w' has dtype "F16", which Kiln does not read \(it reads F32, I32 and BOOL\)/],
    ['a bad shape', (h) => ((entry(h, 'w').shape = [2, 1.5]), h), /tensor 'w' has a bad shape \[2,1\.5\]/],
    ['bad data_offsets', (h) => ((entry(h, 'w').data_offsets = [8, 4] as never), h), /tensor 'w' has bad data_offsets \[8,4\]/],
    ['offsets not matching shape and dtype', (h) => ((entry(h, 'w').shape = [2, 2]), h), /tensor 'w' spans 24 bytes, but f32\[2, 2\] takes 16/],
    [
      'a gap between tensors',
      (h) => ((entry(h, 'zz_last_empty').data_offsets = [200, 200]), h),
      /tensor 'zz_last_empty' data starts at byte 200, but the tensor before it ends at 61/,
    ],
    ['overlapping tensors', (h) => ((entry(h, 'w').data_offsets = [33, 57]), h), /tensor 'w' data starts at byte 33, but the tensor before it ends at 37/],
    ['a renamed tensor', (h) => ((h.v = h.w), delete h.w, h), /^$/],
    ['bool bytes other than 0 and 1', (h) => h, /tensor 'mask' \(bool\) holds 7 at element 0/],
  ];
  it.each(cases)('refuses %s', (what, edit, message) => {
    // An edit of the hash or a tampering keeps the old hash; the others are re-hashed to reach the check they are for.
    let bytes = withHeader(edit, undefined, !/hash|tampered/.test(what));
    if (what.startsWith('bool')) {
      const { header, data } = parts(bytes);
      data[entry(header, 'mask').data_offsets[0]] = 7;
      bytes = writeSafetensors(header, data);
    }
    if (what === 'a renamed tensor') {
      // Re-hashed, a renamed tensor is a valid file; checkCompatible refuses it against a model.
      expect(Object.keys(decodeCheckpoint(bytes).params)).toContain('v');
      const tampered = good.slice();
      tampered.set(new TextEncoder().encode('"v"'), new TextDecoder().decode(good.subarray(0, headerEnd)).indexOf('"w"'));
      expect(refusal(() => decodeCheckpoint(tampered)).message).toBe('checkpoint: sha256 mismatch (the file is corrupt or was tampered with)');
      return;
    }
    expect(refusal(() => decodeCheckpoint(bytes, 'x.ckpt')).message).toMatch(new RegExp(`^x\\.ckpt: ${message.source}`));
  });

  it('refuses bytes after the tensor data', () => {
    expect(refusal(() => decodeCheckpoint(withHeader((h) => h, new Uint8Array(8)))).message).toBe('checkpoint: 8 unexpected bytes after the tensor data');
  });
});

describe('saving and loading checkpoint files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-ckpt-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves and loads a checkpoint, leaving only the file', async () => {
    const path = join(dir, 'model.ckpt');
    await saveCheckpoint(path, sample(), meta);
    expect(await readdir(dir)).toEqual(['model.ckpt']);
    expect(new Uint8Array(await readFile(path))).toEqual(encodeCheckpoint(sample(), meta));
    expect(await loadCheckpoint(path)).toEqual(decodeCheckpoint(encodeCheckpoint(sample(), meta)));
  });

  it('replaces an existing checkpoint', async () => {
    const path = join(dir, 'model.ckpt');
    await saveCheckpoint(path, sample(), meta);
    await saveCheckpoint(path, {}, { graph: 'mlp', step: 43 });
    expect((await loadCheckpoint(path)).meta).toEqual({ graph: 'mlp', step: 43 });
    expect(await readdir(dir)).toEqual(['model.ckpt']);
  });

  it('leaves the previous checkpoint byte-identical when a parameter cannot be encoded', async () => {
    const path = join(dir, 'model.ckpt');
    await saveCheckpoint(path, sample(), meta);
    const before = await readFile(path);
    const bad = { ...sample(), w: { dtype: 'f32', shape: [2, 3], data: new Int32Array(6) } as Tensor };
    const e = await refusalOf(saveCheckpoint(path, bad, { ...meta, step: 43 }));
    expect(e.message).toBe(`cannot save checkpoint ${path}: parameter 'w' (f32) must hold its data in a Float32Array or Float64Array, got Int32Array`);
    expect(await readFile(path)).toEqual(before);
    expect(await readdir(dir)).toEqual(['model.ckpt']);
  });

  it('refuses a destination directory that does not exist', async () => {
    const path = join(dir, 'missing', 'model.ckpt');
    const e = await refusalOf(saveCheckpoint(path, sample(), meta));
    expect(e.message).toBe(`${path}: cannot save checkpoint (no such file or directory)`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes its temporary file when the final rename fails, leaving the old contents', async () => {
    // The destination is a non-empty directory, so the temp file is written and synced but cannot replace it.
    const path = join(dir, 'model.ckpt');
    await mkdir(path);
    await writeFile(join(path, 'keep'), 'old');
    const e = await refusalOf(saveCheckpoint(path, sample(), meta));
    expect(e.message).toMatch(
      new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot save checkpoint \\((is a directory|is a directory that is not empty|already exists|operation not permitted)\\)$`,
      ),
    );
    expect(await readdir(dir)).toEqual(['model.ckpt']);
    expect(await readFile(join(path, 'keep'), 'utf8')).toBe('old');
  });

  it('names the path and the reason in words when a file cannot be read', async () => {
    const path = join(dir, 'nope.ckpt');
    expect((await refusalOf(loadCheckpoint(path))).message).toBe(`${path}: cannot read checkpoint (no such file or directory)`);
    expect((await refusalOf(loadCheckpoint(dir))).message).toMatch(/cannot read checkpoint \(is a directory\)$/);
  });

  it('names the path when a file is corrupt', async () => {
    const path = join(dir, 'model.ckpt');
    const bytes = encodeCheckpoint(sample(), meta);
    bytes[bytes.length - 10] ^= 1;
    await writeFile(path, bytes);
    expect((await refusalOf(loadCheckpoint(path))).message).toBe(`${path}: sha256 mismatch (the file is corrupt or was tampered with)`);
  });
});

describe('temporary files of saves killed midway', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-ckpt-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // A name with regex metacharacters, so the temp-file pattern must escape it.
  const name = 'm+1 (v2).ckpt';
  /** The pid of a process that has exited. */
  const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

  /** Fake leftovers: stale ones (this process, no save running; a process that has exited) and ones to keep. */
  async function leaveTemps(): Promise<{ stale: string[]; kept: string[] }> {
    const stale = [`.${name}.${process.pid}.0123456789ab.tmp`, `.${name}.${deadPid()}.aaaaaaaaaaaa.tmp`];
    const kept = [
      `.${name}.${process.ppid}.bbbbbbbbbbbb.tmp`, // a running process may be saving right now
      `.other.ckpt.${process.pid}.0123456789ab.tmp`, // another checkpoint's
      `.${name}.tmp`, // not the pattern of a save
      `${name}.bak`,
    ];
    for (const f of [...stale, ...kept]) await writeFile(join(dir, f), new Uint8Array(1024));
    return { stale, kept };
  }

  it('the next load removes them, and only them', async () => {
    const path = join(dir, name);
    await saveCheckpoint(path, sample(), meta);
    const { kept } = await leaveTemps();
    expect((await loadCheckpoint(path)).meta).toEqual(meta);
    expect((await readdir(dir)).sort()).toEqual([name, ...kept].sort());
  });

  it('the next save removes them, and only them', async () => {
    const path = join(dir, name);
    const { kept } = await leaveTemps();
    await saveCheckpoint(path, sample(), meta);
    expect((await readdir(dir)).sort()).toEqual([name, ...kept].sort());
  });

  it('a load of a checkpoint that is missing still removes them', async () => {
    const path = join(dir, name);
    const { kept } = await leaveTemps();
    await refusalOf(loadCheckpoint(path));
    expect((await readdir(dir)).sort()).toEqual([...kept].sort());
  });

  it('a load while a save of this process is writing leaves its temporary file alone', async () => {
    const path = join(dir, name);
    const big = { w: { dtype: 'f32', shape: [1 << 23], data: new Float32Array(1 << 23).fill(1.5) } as Tensor };
    const saving = saveCheckpoint(path, big, meta);
    let seen: string[] = [];
    while (seen.length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      seen = (await readdir(dir)).filter((f) => f.endsWith('.tmp'));
    }
    // Whether the load finds the new checkpoint depends on timing; the save must succeed either way.
    await loadCheckpoint(path).catch(() => undefined);
    await saving;
    expect(await readdir(dir)).toEqual([name]);
    expect((await loadCheckpoint(path)).params.w!.data[123]).toBe(1.5);
  });

  it('saves and loads running at once in this process leave each other alone', async () => {
    const path = join(dir, name);
    await saveCheckpoint(path, sample(), meta);
    const steps = Array.from({ length: 12 }, (_, i) => i);
    const runs = steps.map((step) => (step % 3 === 0 ? loadCheckpoint(path) : saveCheckpoint(path, sample(), { ...meta, step })));
    await Promise.all(runs);
    expect(await readdir(dir)).toEqual([name]);
  });
});

describe('checkCompatible', () => {
  const expected = {
    w: { dtype: 'f32' as const, shape: [2, 3] },
    b: { dtype: 'f32' as const, shape: [3] },
    steps: { dtype: 'i32' as const, shape: [] },
    gone: { dtype: 'f32' as const, shape: [4] },
  };
  const t = (dtype: Tensor['dtype'], shape: number[]): Tensor => ({ dtype, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

  it('accepts parameters that match exactly', () => {
    const loaded = { w: t('f32', [2, 3]), b: t('f32', [3]), steps: t('i32', []), gone: t('f32', [4]) };
    expect(() => checkCompatible(expected, loaded, 'm.ckpt')).not.toThrow();
  });

  it('lists every missing, unexpected and mismatched parameter in one message', () => {
    const loaded = { w: t('f32', [3, 2]), b: t('f32', [3]), steps: t('f32', []), extra: t('bool', [1]) };
    expect(refusal(() => checkCompatible(expected, loaded, 'm.ckpt')).message).toBe(
      [
        'm.ckpt: checkpoint does not match the model (4 differences):',
        "  unexpected parameter 'extra' (bool[1]), which the model does not have",
        "  missing parameter 'gone' (the model expects f32[4])",
        "  parameter 'steps': the model expects i32[], the checkpoint has f32[]",
        "  parameter 'w': the model expects f32[2, 3], the checkpoint has f32[3, 2]",
      ].join('\n'),
    );
  });

  it('does not mistake inherited object keys for parameters', () => {
    const e = refusal(() => checkCompatible({}, { toString: t('f32', [1]) }, 'm.ckpt'));
    expect(e.message).toMatch(/1 difference\):\n {2}unexpected parameter 'toString'/);
  });
});
