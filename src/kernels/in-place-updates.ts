// Parameter updates written in place: when the one kernel that computes a parameter's new value
// is the last to read the parameter, and reads it only at the point it computes, it may store
// straight into the parameter. The update then names the parameter's own buffer (nothing to copy
// after the run) and the temp goes away.
//
//   before: k7 stores %w1_new from w1[i] and dw1[i]; update w1 = %w1_new (a copy after the run)
//   after:  k7 stores w1 from w1[i] and dw1[i];      update w1 = w1       (nothing to copy)

import { kernelReads, readsOnlyAtPoint } from '../../runtime/kernel-analysis.js';
import type { KernelProgram } from '../../runtime/kernel-ir.js';

export function updateInPlace(p: KernelProgram): KernelProgram {
  const kernels = p.kernels.map((k) => ({ ...k, stores: [...k.stores] }));
  const reads = kernels.map((k) => kernelReads(k));
  const outputs = new Set(p.outputs.map((o) => o.buffer));
  const removed = new Set<string>();
  const updates = p.updates.map((u) => {
    const param = p.params.find((x) => x.name === u.param)!.buffer;
    const temp = p.buffers.find((b) => b.name === u.buffer);
    const target = p.buffers.find((b) => b.name === param)!;
    // The new value's buffer: a temp, or an output buffer that only the update reads.
    if (!temp || (temp.role !== 'temp' && temp.role !== 'output') || temp.dtype !== target.dtype || outputs.has(temp.name) || outputs.has(param)) return u;
    const writers = kernels.flatMap((k, i) => (k.stores.some((s) => s.buffer === temp.name) ? [i] : []));
    if (writers.length !== 1 || reads.some((r) => r.has(temp.name))) return u;
    const at = writers[0]!;
    const k = kernels[at]!;
    // Later kernels must see the old value, and this one may read it only where it writes.
    if (reads.slice(at + 1).some((r) => r.has(param)) || !readsOnlyAtPoint(k, param)) return u;
    if (p.updates.some((other) => other !== u && (other.buffer === temp.name || other.buffer === param))) return u;
    k.stores = k.stores.map((s) => (s.buffer === temp.name ? { ...s, buffer: param } : s));
    removed.add(temp.name);
    return { param: u.param, buffer: param };
  });
  return { ...p, kernels, updates, buffers: p.buffers.filter((b) => !removed.has(b.name)) };
}
