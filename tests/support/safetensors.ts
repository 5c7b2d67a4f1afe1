// An independent safetensors reader and writer for tests, following the published layout (an
// 8-byte little-endian header length, the JSON header, then the data section), with node:crypto
// recomputing Kiln's sha256 as documented in runtime/safetensors.ts.

import { createHash } from 'node:crypto';

export interface RawTensor {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface RawFile {
  header: Record<string, unknown>;
  metadata: Record<string, string>;
  /** Each tensor's entry and its values, read with DataView. */
  tensors: Record<string, RawTensor & { values: number[] }>;
  data: Uint8Array;
}

/** Reads a file the way any safetensors reader does; throws on anything out of place. */
export function readSafetensors(bytes: Uint8Array): RawFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')) as Record<string, unknown>;
  const data = bytes.subarray(8 + n);
  const tensors: RawFile['tensors'] = {};
  let end = 0;
  const entries = Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, RawTensor][];
  for (const [name, t] of entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0])) {
    const [begin, stop] = t.data_offsets;
    if (begin !== end) throw new Error(`tensor ${name} does not follow the one before it`);
    end = stop;
    const size = t.dtype === 'BOOL' ? 1 : 4;
    const values: number[] = [];
    for (let at = begin; at < stop; at += size) {
      const p = data.byteOffset + at;
      const dv = new DataView(data.buffer);
      values.push(t.dtype === 'F32' ? dv.getFloat32(p, true) : t.dtype === 'I32' ? dv.getInt32(p, true) : dv.getUint8(p));
    }
    tensors[name] = { ...t, values };
  }
  if (end !== data.length) throw new Error(`the data section holds ${data.length} bytes, the tensors ${end}`);
  return { header, metadata: (header.__metadata__ ?? {}) as Record<string, string>, tensors, data };
}

/** Kiln's sha256 of a header and data section: the sorted metadata but the hash and the sorted tensor entries as JSON, then the data. */
export function kilnHash(header: Record<string, unknown>, data: Uint8Array): string {
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const meta = Object.keys(metadata)
    .filter((k) => k !== 'kiln.sha256')
    .sort()
    .map((k) => [k, metadata[k]]);
  const tensors = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, t]) => {
      const e = t as Partial<RawTensor> | undefined;
      return [name, e?.dtype, e?.shape, e?.data_offsets?.[0], e?.data_offsets?.[1]];
    });
  return createHash('sha256')
    .update(JSON.stringify([meta, tensors]))
    .update(data)
    .digest('hex');
}

/** Writes a file from a header (or raw header text) and a data section, the header unpadded; `rehash` sets kiln.sha256 to match. */
export function writeSafetensors(header: Record<string, unknown> | string, data: Uint8Array, rehash = true): Uint8Array {
  if (typeof header !== 'string' && rehash) {
    const metadata = { ...(header.__metadata__ as Record<string, string>) };
    metadata['kiln.sha256'] = kilnHash(header, data);
    header = { ...header, __metadata__: metadata };
  }
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}
