// Test support for lowering: runs kernel programs on the runtime's interpreter and compares them with the reference backend.

import { expect } from 'vitest';
import { parseProgram } from '../../runtime/program-validator.js';
import { compileSchedule } from '../../runtime/interpreter.js';
import type { Storage } from '../../runtime/interpreter.js';
import type { KernelProgram } from '../../runtime/kernel-ir.js';
import { compile } from '../../src/compile.js';
import type { Graph } from '../../src/ir/graph.js';
import { materialize } from '../../src/ir/init.js';
import type { Tensor } from '../../src/ir/types.js';
import { lowerToKernels } from '../../src/kernels/lower.js';
import { decompose } from '../../src/passes/decompose.js';
import { specialize } from '../../src/passes/specialize.js';
import { closeEnough } from '../conformance/tolerance.js';

/** Inputs and parameters by name, as typed arrays of their dtypes. */
export type Feed = Readonly<Record<string, Float32Array | Int32Array | Uint8Array>>;

/** What one run hands back: outputs by name, and each updated parameter's next value. */
export interface RunResult {
  outputs: Record<string, Tensor>;
  updates: Record<string, Tensor>;
}

/** Runs `p` once: `feed` gives inputs and parameters by name (parameters left out take their initializers' values). */
export function runKernels(p: KernelProgram, feed: Feed): RunResult {
  const arrays = new Map<string, Storage>();
  for (const b of p.buffers) {
    const n = b.shape.reduce((a, d) => a * d, 1);
    const arr = b.dtype === 'f32' ? new Float32Array(n) : b.dtype === 'i32' ? new Int32Array(n) : new Uint8Array(n);
    if (b.data) arr.set(b.data);
    arrays.set(b.name, arr);
  }
  for (const { name, buffer } of p.inputs) if (feed[name]) arrays.get(buffer)!.set(feed[name]!);
  for (const { name, buffer, init } of p.params) {
    const arr = arrays.get(buffer)!;
    const b = p.buffers.find((x) => x.name === buffer)!;
    arr.set(feed[name] ?? materialize(init, { dtype: b.dtype, shape: b.shape }, (n) => new Float64Array(n)).data);
  }
  compileSchedule(p, arrays)();
  const tensor = (buffer: string): Tensor => {
    const b = p.buffers.find((x) => x.name === buffer)!;
    return { dtype: b.dtype, shape: [...b.shape], data: arrays.get(buffer)!.slice() };
  };
  return {
    outputs: Object.fromEntries(p.outputs.map((o) => [o.name, tensor(o.buffer)])),
    updates: Object.fromEntries(p.updates.map((u) => [u.param, tensor(u.buffer)])),
  };
}

/** The reference backend's outputs and next parameter values for the same feed. */
export async function runReference(g: Graph, feed: Feed, shapes: Record<string, number> = {}): Promise<RunResult> {
  const exe = await compile(g, { shapes });
  const params = new Set(g.params.map((p) => p.name));
  const given = (keep: (name: string) => boolean) => Object.fromEntries(Object.entries(feed).filter(([k]) => keep(k)));
  if (params.size) exe.setParams(given((k) => params.has(k)));
  const outputs = await exe.run(given((k) => !params.has(k)));
  const after = exe.params();
  return { outputs, updates: Object.fromEntries(g.updates.map((u) => [u.param, after[u.param]!])) };
}

/** A description of the first element where two tensors differ beyond 1e-5 relative, or undefined. */
export function difference(actual: Tensor, expected: Tensor): string | undefined {
  if (actual.dtype !== expected.dtype) return `dtype ${actual.dtype}, expected ${expected.dtype}`;
  if (actual.shape.join() !== expected.shape.join()) return `shape [${actual.shape.join()}], expected [${expected.shape.join()}]`;
  for (let i = 0; i < expected.data.length; i++) {
    const [a, e] = [actual.data[i]!, expected.data[i]!];
    if (actual.dtype === 'f32' ? !closeEnough(a, e) : a !== e) return `element ${i} is ${a}, expected ${e}`;
  }
  return undefined;
}

/**
 * Lowers `g` (decomposed and specialized here) with and without fusion, runs both on the
 * kernel interpreter and expects every output and update to match the reference backend.
 */
export async function expectMatchesReference(g: Graph, feed: Feed, shapes: Record<string, number> = {}): Promise<KernelProgram> {
  const want = await runReference(g, feed, shapes);
  const primitives = decompose(specialize(g, { shapes }));
  let fused: KernelProgram | undefined;
  for (const fuse of [true, false]) {
    const p = lowerToKernels(primitives, { fuse });
    expectValidSchedule(p);
    fused ??= p;
    const got = runKernels(p, feed);
    for (const [kind, names] of [
      ['output', want.outputs],
      ['update', want.updates],
    ] as const) {
      for (const [name, t] of Object.entries(names)) {
        const have = (kind === 'output' ? got.outputs : got.updates)[name];
        expect(have && difference(have, t), `${g.name} ${fuse ? 'fused' : 'unfused'}: ${kind} ${name}`).toBeUndefined();
      }
    }
  }
  return fused!;
}

/**
 * Fails unless every kernel reads only buffers that are given (inputs, params, consts) or written
 * by an earlier kernel, and the runtime's program validator (dtypes, shapes, roles) accepts it.
 */
export function expectValidSchedule(p: KernelProgram): void {
  expect(() => parseProgram(structuredClone(p))).not.toThrow();
  const ready = new Set(p.buffers.filter((b) => b.role === 'input' || b.role === 'param' || b.role === 'const').map((b) => b.name));
  const reads = (k: KernelProgram['kernels'][number]) => {
    const found = new Set<string>();
    JSON.stringify([k.reduce?.value, ...k.stores.map((s) => s.value)], (key, v: unknown) => {
      if (key === 'buffer' && typeof v === 'string') found.add(v);
      return v;
    });
    return found;
  };
  for (const k of p.kernels) {
    for (const b of reads(k)) expect(ready.has(b), `${k.name} reads ${b} before it is written`).toBe(true);
    for (const s of k.stores) ready.add(s.buffer);
  }
  for (const o of [...p.outputs.map((x) => x.buffer), ...p.updates.map((u) => u.buffer)]) expect(ready.has(o), `${o} is never written`).toBe(true);
}
