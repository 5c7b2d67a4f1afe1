// Guarded updates: a training step that is all or nothing. Each store of a parameter's new value
// also counts the values it stores that are NaN or ±Infinity; a store straight into the
// parameter (in place) first keeps the old value in a backup, in the same kernel. After the run
// the executor commits the updates only when every count is 0, and otherwise puts the backups
// back, so one NaN in a batch changes no weight and no optimizer state. The check rides on
// kernels that already run: no kernel is added and nothing waits for a global reduction.
//
//   before: k17 stores w from w[i] and acc                        update w = w (in place)
//   after:  k17 stores w.backup = w[i], w (counted into nonfinite[3])  guard: backup w.backup
//
// The counts are the program's output `nonfinite`, one per update in the order of `updates`.

import type { BufferSpec, Kernel, KernelProgram, KernelStore } from '../../runtime/kernel-ir.js';
import { fail } from '../ir/errors.js';
import { flatIndex, simplifyIndex, vars } from './index-expr.js';

/** The output of a guarded program: per update, its new values that are NaN or ±Infinity. */
export const NONFINITE_OUTPUT = 'nonfinite';

export function guardUpdates(p: KernelProgram): KernelProgram {
  if (p.outputs.some((o) => o.name === NONFINITE_OUTPUT)) {
    fail('usage', `guarded updates: the program already has an output '${NONFINITE_OUTPUT}', which a guarded program uses for its count of non-finite update values`);
  }
  const taken = new Set(p.buffers.map((b) => b.name));
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}.${i}`;
    taken.add(name);
    return name;
  };
  const counts: BufferSpec = { name: fresh(NONFINITE_OUTPUT), dtype: 'i32', shape: [p.updates.length], role: 'output' };
  const buffers = [...p.buffers, counts];
  const kernels: Kernel[] = p.kernels.map((k) => ({ ...k, stores: [...k.stores] }));
  const spec = (name: string): BufferSpec => buffers.find((b) => b.name === name)!;
  const backups: { param: string; buffer: string }[] = [];
  const counted = (s: KernelStore, index: number): KernelStore => (spec(s.buffer).dtype === 'f32' ? { ...s, countNonFinite: { buffer: counts.name, index } } : s);

  const updates = p.updates.map((u, index) => {
    const param = p.params.find((x) => x.name === u.param)!.buffer;
    const writer = kernels.findIndex((k) => k.stores.some((s) => s.buffer === u.buffer));
    if (u.buffer === param && writer < 0) return u; // unchanged: nothing to check or undo
    if (writer >= 0 && kernels.slice(writer + 1).every((k) => !k.stores.some((s) => s.buffer === u.buffer))) {
      const k = kernels[writer]!;
      k.stores = k.stores.map((s) => (s.buffer === u.buffer ? counted(s, index) : s));
      if (u.buffer === param) {
        // In place: the same kernel keeps the old value first (every value of a point is read before any store).
        const backup = fresh(`${u.param}.backup`);
        const b = spec(param);
        buffers.push({ name: backup, dtype: b.dtype, shape: [...b.shape], role: 'temp' });
        k.stores.push({ buffer: backup, value: { k: 'load', buffer: param, index: simplifyIndex(flatIndex(vars(k.shape.length), k.shape), k.shape), dtype: b.dtype } });
        backups.push({ param: u.param, buffer: backup });
      }
      return u;
    }
    // A new value no kernel stores (an input, another parameter): a copy kernel counts it.
    const source = spec(u.buffer);
    const copy = fresh(`${u.param}.new`);
    buffers.push({ name: copy, dtype: source.dtype, shape: [...source.shape], role: 'temp' });
    const shape = [...source.shape];
    const store: KernelStore = { buffer: copy, value: { k: 'load', buffer: source.name, index: flatIndex(vars(shape.length), shape), dtype: source.dtype } };
    kernels.push({ name: `guard${index}`, pattern: 'elementwise', shape, stores: [counted(store, index)] });
    return { param: u.param, buffer: copy };
  });
  return {
    ...p,
    buffers,
    kernels,
    updates,
    outputs: [...p.outputs, { name: NONFINITE_OUTPUT, buffer: counts.name }],
    guard: { counts: counts.name, backups },
  };
}
