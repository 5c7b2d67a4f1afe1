// Checkpoints: round trips, deterministic bytes, each refusal with its message, atomic save and load, compatibility checks.

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCompatible, crc32, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointMeta } from '../../runtime/checkpoint.js';
import { KilnRuntimeError, type Tensor } from '../../runtime/tensor.js';
import { list, num, obj, parseJson, type Json, type JsonObject } from '../support/json.js';

const meta: CheckpointMeta = { graph: 'mlp', step: 42, optimizer: 'adam', lr: 0.001, betas: [0.9, 0.999] };

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
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (e === undefined) throw new Error('expected a checkpoint refusal, but the promise resolved');
  expect(e).toBeInstanceOf(KilnRuntimeError);
  expect((e as KilnRuntimeError).code).toBe('checkpoint');
  return e as KilnRuntimeError;
}

const u32 = (bytes: Uint8Array, at: number): number => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, true);
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Assembles a file by the documented layout, with node:zlib's CRC-32 as an independent oracle. */
function assemble(headerText: string, data: Uint8Array, version = 1): Uint8Array {
  const header = new TextEncoder().encode(headerText);
  const start = align8(16 + header.length);
  const out = new Uint8Array(start + data.length + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('KILNCKPT'));
  view.setUint32(8, version, true);
  view.setUint32(12, header.length, true);
  out.set(header, 16);
  out.set(data, start);
  view.setUint32(out.length - 4, zlibCrc32(out.subarray(0, out.length - 4)), true);
  return out;
}

/** Splits a file into its parsed header and data section. */
function parts(bytes: Uint8Array): { header: JsonObject; data: Uint8Array } {
  const length = u32(bytes, 12);
  const header = obj(parseJson(new TextDecoder().decode(bytes.subarray(16, 16 + length))));
  return { header, data: bytes.slice(align8(16 + length), bytes.length - 4) };
}

/** Re-assembles a checkpoint with an edited header (or raw header text) and a valid checksum, to reach the checks past it. */
function withHeader(edit: (header: JsonObject) => unknown, extraData = new Uint8Array(0)): Uint8Array {
  const { header, data } = parts(encodeCheckpoint(sample(), meta));
  const edited = edit(header);
  const text = typeof edited === 'string' ? edited : JSON.stringify(edited);
  const all = new Uint8Array(data.length + extraData.length);
  all.set(data);
  all.set(extraData, data.length);
  return assemble(text, all);
}

/** The header's tensor entry named `name` (mutable: edits change the header). */
function entry(header: Json, name: string): JsonObject {
  const found = list(header, 'tensors').find((t) => obj(t).name === name);
  if (found === undefined) throw new Error(`the header has no tensor entry '${name}'`);
  return obj(found);
}

describe('checkpoint format', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const noise = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) & 0xff);
    expect(crc32(noise)).toBe(zlibCrc32(noise));
  });

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

  it('round-trips a checkpoint with no tensors', () => {
    const decoded = decodeCheckpoint(encodeCheckpoint({}, { graph: 'g', step: 0 }));
    expect(decoded).toEqual({ meta: { graph: 'g', step: 0 }, params: {} });
  });

  it('lays out magic, version, header, aligned data and checksum', () => {
    const bytes = encodeCheckpoint(sample(), meta);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('KILNCKPT');
    expect(u32(bytes, 8)).toBe(1);
    const { header, data } = parts(bytes);
    expect(header.meta).toEqual(meta);
    expect(list(header, 'tensors').map((t) => obj(t).name)).toEqual(['bias', 'count', 'idx', 'mask', 'none', 'w', 'zz_last_empty']);
    expect(entry(header, 'w')).toEqual({ name: 'w', dtype: 'f32', shape: [2, 3], offset: 48, byteLength: 24 });
    for (const t of list(header, 'tensors')) expect(num(t, 'offset') % 8).toBe(0);
    expect(align8(16 + u32(bytes, 12)) % 8).toBe(0);
    expect(data.length % 8).toBe(0);
    const idx = entry(header, 'idx');
    expect(new Int32Array(data.buffer, num(idx, 'offset'), 4)).toEqual(new Int32Array([2147483647, -2147483648, 0, 1]));
    expect(u32(bytes, bytes.length - 4)).toBe(zlibCrc32(bytes.subarray(0, bytes.length - 4)));
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
      [{}, { graph: 'g', step: -1 }, /meta\.step must be a non-negative integer, got -1/],
      [{}, { graph: 'g', step: 1, big: 1n }, /meta is not JSON-serializable/],
    ];
    for (const [params, m, message] of cases) expect(refusal(() => encodeCheckpoint(params, m)).message).toMatch(message);
  });
});

describe('checkpoint refusals', () => {
  const good = encodeCheckpoint(sample(), meta);

  it('refuses every truncated prefix as truncated, never crashing', () => {
    for (let n = 0; n < good.length; n++) {
      const e = refusal(() => decodeCheckpoint(good.subarray(0, n), 'w.ckpt'));
      expect(e.message).toMatch(new RegExp(`^w\\.ckpt: truncated \\(expected at least \\d+ bytes, got ${n}\\)$`));
    }
    // Once the header is whole, the expected size is exact.
    const cut = good.length - 9;
    expect(refusal(() => decodeCheckpoint(good.subarray(0, cut))).message).toBe(`checkpoint: truncated (expected at least ${good.length} bytes, got ${cut})`);
  });

  it('refuses a flipped byte anywhere', () => {
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i] ^= 0xff;
      const { message } = refusal(() => decodeCheckpoint(bad));
      if (i < 8) expect(message).toMatch(/not a Kiln checkpoint/);
      else if (i < 12) expect(message).toMatch(/unsupported checkpoint version/);
      // A header length past the end cannot be told apart from a file cut short.
      else if (i < 16) expect(message).toMatch(/checksum mismatch|truncated/);
      else expect(message).toBe('checkpoint: checksum mismatch (the file is corrupt or was tampered with)');
    }
  });

  it('refuses a file that is not a checkpoint', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    expect(refusal(() => decodeCheckpoint(png, 'img.png')).message).toBe('img.png: not a Kiln checkpoint (bad magic: expected "KILNCKPT", found bytes 89 50 4e 47 0d 0a 1a 0a)');
    expect(refusal(() => decodeCheckpoint(new TextEncoder().encode('{}'))).message).toMatch(/not a Kiln checkpoint/);
  });

  it('refuses a future version', () => {
    const { header, data } = parts(good);
    const future = assemble(JSON.stringify(header), data, 2);
    expect(refusal(() => decodeCheckpoint(future)).message).toBe('checkpoint: unsupported checkpoint version 2 (this Kiln reads version 1)');
  });

  it('accepts a re-assembled file, so the cases below fail only for their edit', () => {
    expect(withHeader((h) => h)).toEqual(good);
  });

  const cases: [string, (h: JsonObject) => unknown, RegExp][] = [
    ['a header that is not JSON', (h) => JSON.stringify(h).replace('"meta"', 'meta'), /header is not valid JSON \(/],
    ['a header that is not an object', () => '[1, 2]', /header is not a JSON object/],
    ['a header without meta.graph', (h) => ({ ...h, meta: { step: 1 } }), /header meta\.graph must be a string, got nothing/],
    ['a header without a tensors list', (h) => ({ meta: h.meta }), /header has no tensors list/],
    ['a tensor entry that is not an object', (h) => ({ ...h, tensors: [...list(h, 'tensors'), 3] }), /tensor entry #7 is not an object/],
    ['a tensor entry without a name', (h) => ((entry(h, 'w').name = ''), h), /tensor entry #5 has no name/],
    ['an unknown dtype', (h) => ((entry(h, 'w').dtype = 'f64'), h), /tensor 'w' has unknown dtype "f64" \(expected f32, i32 or bool\)/],
    ['a bad shape', (h) => ((entry(h, 'w').shape = [2, 1.5]), h), /tensor 'w' has a bad shape \[2,1\.5\]/],
    ['an unaligned offset', (h) => ((entry(h, 'w').offset = 44), h), /tensor 'w' has a bad offset 44 \(expected a non-negative multiple of 8\)/],
    ['a negative offset', (h) => ((entry(h, 'w').offset = -8), h), /tensor 'w' has a bad offset -8/],
    ['a bad byteLength', (h) => ((entry(h, 'w').byteLength = '24'), h), /tensor 'w' has a bad byteLength "24"/],
    ['a byteLength not matching shape and dtype', (h) => ((entry(h, 'w').byteLength = 20), h), /tensor 'w' has byteLength 20, but f32\[2, 3\] takes 24 bytes/],
    ['a huge shape', (h) => ((entry(h, 'w').shape = [2 ** 40, 2 ** 40]), h), /tensor 'w' has a shape too large to hold/],
    ['duplicate names', (h) => ((entry(h, 'w').name = 'bias'), h), /duplicate tensor name 'bias'/],
    ['overlapping tensors', (h) => ((entry(h, 'w').offset = 40), h), /tensors 'mask' \[40, 45\) and 'w' \[40, 64\) overlap/],
    ['out-of-bounds data', (h) => ((entry(h, 'w').offset = 72), h), /tensor 'w' data \[72, 96\) is out of bounds \(the data section holds 72 bytes\)/],
    ['bool bytes other than 0 and 1', (h) => h, /tensor 'mask' \(bool\) holds 7 at element 0/],
  ];
  it.each(cases)('refuses %s, with a valid checksum', (what, edit, message) => {
    let bytes = withHeader(edit);
    if (what.startsWith('bool')) {
      const { header, data } = parts(bytes);
      data[num(entry(header, 'mask'), 'offset')] = 7;
      bytes = assemble(JSON.stringify(header), data);
    }
    expect(refusal(() => decodeCheckpoint(bytes, 'x.ckpt')).message).toMatch(new RegExp(`^x\\.ckpt: ${message.source}`));
  });

  it('refuses bytes after the tensor data, and missing end padding', () => {
    expect(refusal(() => decodeCheckpoint(withHeader((h) => h, new Uint8Array(8)))).message).toBe('checkpoint: 8 unexpected bytes after the tensor data');
    // A lone 5-byte bool tensor is followed by 3 bytes of padding; drop them.
    const { header, data } = parts(encodeCheckpoint({ m: sample().mask! }, meta));
    const short = assemble(JSON.stringify(header), data.subarray(0, 5));
    expect(refusal(() => decodeCheckpoint(short)).message).toBe('checkpoint: data section holds 5 bytes, but with its padding to a multiple of 8 it must hold 8');
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
    expect((await refusalOf(loadCheckpoint(path))).message).toBe(`${path}: checksum mismatch (the file is corrupt or was tampered with)`);
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
