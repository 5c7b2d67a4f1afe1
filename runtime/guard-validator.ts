// The checks of a guarded program's guard (kernel-ir.ts, Guard), for programs from anywhere: an
// artifact edited to drop a count or a backup would commit a non-finite update, or put back
// values that were never the parameter's, so each one the guard needs must be there and be
// what the compiler makes: a count of every f32 update's store, and for each update stored in
// place a backup of the parameter's value at the same point, by the same kernel.

import { isPointIndex } from './kernel-analysis.js';
import type { BufferSpec, Guard, Kernel, KernelProgram } from './kernel-ir.js';
import { isObject, show } from './program-validator.js';
import { numelOf } from './tensor.js';

interface Parts {
  buffers: ReadonlyMap<string, BufferSpec>;
  outputs: KernelProgram['outputs'];
  updates: KernelProgram['updates'];
  kernels: readonly Kernel[];
  inPlace: ReadonlySet<string>;
  paramBuffers: ReadonlyMap<string, BufferSpec>;
}

export function parseGuard(raw: unknown, p: Parts, err: (m: string) => never): Guard {
  if (!isObject(raw) || typeof raw.counts !== 'string' || !Array.isArray(raw.backups)) err('guard is malformed (expected counts and backups)');
  const counts = p.buffers.get(raw.counts);
  if (!counts || counts.role !== 'output' || counts.dtype !== 'i32' || numelOf(counts.shape) !== p.updates.length || !p.outputs.some((o) => o.buffer === counts.name)) {
    err(`guard counts ${show(raw.counts)} must be an i32 output buffer with one element per update (${p.updates.length})`);
  }
  const writer = (buffer: string): { kernel: Kernel; at: number } | undefined => {
    const kernel = p.kernels.find((k) => k.stores.some((s) => s.buffer === buffer));
    return kernel ? { kernel, at: kernel.stores.findIndex((s) => s.buffer === buffer) } : undefined;
  };
  for (const k of p.kernels) {
    for (const s of k.stores) {
      if (s.countNonFinite && (s.countNonFinite.buffer !== counts.name || p.updates[s.countNonFinite.index]?.buffer !== s.buffer)) {
        err(`kernel '${k.name}' counts the non-finite values of '${s.buffer}' into ${s.countNonFinite.buffer}[${s.countNonFinite.index}], which is not that update's count`);
      }
    }
  }
  p.updates.forEach((u, i) => {
    const w = writer(u.buffer);
    if (w && p.buffers.get(u.buffer)!.dtype === 'f32' && w.kernel.stores[w.at]!.countNonFinite?.index !== i) {
      err(`the update of '${u.param}' is guarded, but kernel '${w.kernel.name}' stores it without counting its non-finite values`);
    }
  });
  const backups = raw.backups.map((b: unknown) => {
    if (!isObject(b) || typeof b.param !== 'string' || typeof b.buffer !== 'string') err('guard has a malformed backup');
    const param = p.paramBuffers.get(b.param);
    const backup = p.buffers.get(b.buffer);
    if (!param || !p.inPlace.has(param.name)) err(`guard backs up ${show(b.param)}, which is not a parameter updated in place`);
    if (!backup || backup.role !== 'temp' || backup.dtype !== param.dtype || numelOf(backup.shape) !== numelOf(param.shape)) {
      err(`guard backup ${show(b.buffer)} of '${b.param}' must be a temp of its dtype and size`);
    }
    const w = writer(param.name)!;
    const store = w.kernel.stores.find((s) => s.buffer === backup.name);
    const sizes = [...w.kernel.shape, ...(w.kernel.reduce?.shape ?? [])];
    const keeps = store?.value.k === 'load' && store.value.buffer === param.name && isPointIndex(store.value.index, w.kernel.shape, sizes);
    if (!keeps) err(`guard backup '${backup.name}' must be stored by kernel '${w.kernel.name}', which updates '${b.param}' in place, as the parameter's value at the point`);
    return { param: b.param, buffer: backup.name };
  });
  for (const u of p.updates) {
    if (p.inPlace.has(p.paramBuffers.get(u.param)!.name) && !backups.some((b) => b.param === u.param))
      err(`the update of '${u.param}' is stored in place, but the guard has no backup to put back`);
  }
  return { counts: counts.name, backups };
}
