// The scheduling step: the schedule each target chooses for concrete kernels (a matmul,
// elementwise kernels with an aligned and an unaligned last axis, a long reduction, transposed
// loads), the Wasm backend following it, and the validator refusing malformed schedules.

import { describe, expect, test } from 'vitest';
import { generateWasm } from '../../src/backends/wasm/codegen.js';
import { kernelProgram } from '../../src/compile.js';
import { graph, type Builder } from '../../src/frontend/builder.js';
import { scheduleProgram, webgpuSchedule } from '../../src/kernels/schedule.js';
import type { KernelProgram, KernelSchedule } from '../../runtime/kernel-ir.js';
import { parseProgram } from '../../runtime/program-validator.js';

/** The program of a one-output graph, and its one kernel's schedule for each target. */
function schedules(build: (b: Builder) => void): { p: KernelProgram; wasm: KernelSchedule; webgpu: KernelSchedule } {
  const p = kernelProgram(graph('g', build), {});
  expect(p.kernels).toHaveLength(1);
  const of = (q: KernelProgram): KernelSchedule => q.kernels[0]!.schedule!;
  return { p, wasm: of(scheduleProgram(p, 'wasm')), webgpu: of(scheduleProgram(p, 'webgpu')) };
}

const matmul = (b: Builder, m: number, k: number, n: number): void => b.output('y', b.matmul(b.input('a', 'f32', [m, k]), b.input('w', 'f32', [k, n])).relu());
const exp = (shape: number[]) => (b: Builder) => b.output('y', b.op('exp', [b.input('x', 'f32', shape)]).mul(2));

describe('the schedule each target chooses', () => {
  test('a matmul: the wasm 4x8 register tile shared by row tiles; on webgpu 4x4 tiles, 64 per workgroup', () => {
    const { p, wasm, webgpu } = schedules((b) => matmul(b, 64, 128, 64));
    expect(p.kernels[0]!.schedule).toEqual(wasm); // the pipeline schedules for wasm by default
    expect(wasm).toEqual({ parallel: { axis: 0, maxShares: 16 }, upcast: 4, reduceUpcast: 1, reduceGroup: 1, tile: { m: 4, n: 8 } });
    expect(webgpu).toEqual({ parallel: { axis: 0 }, upcast: 1, reduceUpcast: 1, reduceGroup: 1, tile: { m: 4, n: 4 }, workgroup: [64] });
    // Too little work to share among threads.
    expect(schedules((b) => matmul(b, 8, 4, 8)).wasm.parallel).toBeUndefined();
  });

  test('elementwise, last axis 8: four points at a time on both targets', () => {
    const { wasm, webgpu } = schedules(exp([3, 8]));
    expect(wasm).toEqual({ upcast: 4, reduceUpcast: 1, reduceGroup: 1 });
    expect(webgpu).toEqual({ parallel: { axis: 0 }, upcast: 4, reduceUpcast: 1, reduceGroup: 1, workgroup: [64] });
  });

  test('elementwise, last axis 7: wasm vectors with a scalar rest; webgpu needs a multiple of 4', () => {
    const { wasm, webgpu } = schedules(exp([3, 7]));
    expect(wasm.upcast).toBe(4);
    expect(webgpu.upcast).toBe(1);
  });

  test('a reduction of extent 1000: wasm folds four steps at a time; webgpu folds in a group of 64', () => {
    const { wasm, webgpu } = schedules((b) => b.output('s', b.op('reduce_sum', [b.input('x', 'f32', [2, 1000])], { axes: [1] })));
    expect(wasm).toEqual({ upcast: 1, reduceUpcast: 4, reduceGroup: 1 });
    expect(webgpu).toEqual({ parallel: { axis: 0 }, upcast: 1, reduceUpcast: 1, reduceGroup: 64, workgroup: [64] });
    // A short one folds serially; a long one in the largest group the device's limits allow.
    const short = schedules((b) => b.output('s', b.op('reduce_sum', [b.input('x', 'f32', [2, 100])], { axes: [1] })));
    expect(short.webgpu.reduceGroup).toBe(1);
    const long = kernelProgram(
      graph('g', (b) => b.output('s', b.op('reduce_sum', [b.input('x', 'f32', [2, 5000])], { axes: [1] }))),
      {},
    ).kernels[0]!;
    expect(webgpuSchedule(long).reduceGroup).toBe(256);
    expect(webgpuSchedule(long, { maxComputeInvocationsPerWorkgroup: 128 }).reduceGroup).toBe(128);
    expect(webgpuSchedule(long, { maxComputeWorkgroupStorageSize: 512 }).reduceGroup).toBe(128);
  });

  test('transposed loads: one point at a time on both targets', () => {
    const { wasm, webgpu } = schedules((b) => b.output('y', b.op('exp', [b.transpose(b.input('x', 'f32', [8, 12]), [1, 0])])));
    expect(wasm.upcast).toBe(1);
    expect(webgpu.upcast).toBe(1);
  });

  test('threads share a large kernel along its first axis longer than 1; one with no such axis runs on one thread', () => {
    expect(schedules(exp([1, 64, 512])).wasm.parallel).toEqual({ axis: 1 });
    const p = kernelProgram(
      graph('g', (b) => b.output('s', b.op('reduce_sum', [b.input('x', 'f32', [256, 256])], { axes: [0, 1] }))),
      {},
    );
    expect(p.kernels[0]!.schedule!.parallel).toBeUndefined();
  });

  test('with threads, a program whose only large kernel has no axis longer than 1 is a one-thread module', async () => {
    const whole = kernelProgram(
      graph('g', (b) => b.output('s', b.op('reduce_sum', [b.input('x', 'f32', [256, 256])], { axes: [0, 1] }))),
      {},
    );
    const rows = kernelProgram(
      graph('g', (b) => b.output('s', b.op('reduce_sum', [b.input('x', 'f32', [256, 256])], { axes: [1] }))),
      {},
    );
    const shared = async (p: KernelProgram): Promise<boolean> => {
      let wat = '';
      await generateWasm(p, { threads: 2, text: (t) => (wat = t) });
      return wat.includes('shared');
    };
    expect(await shared(whole)).toBe(false);
    expect(await shared(rows)).toBe(true);
  });
});

describe('the wasm backend follows the schedule', () => {
  const text = async (p: KernelProgram): Promise<string> => {
    let wat = '';
    await generateWasm(p, { text: (t) => (wat = t) });
    return wat;
  };

  test('upcast 1 renders scalar code where the backend would otherwise use f32x4; a program without schedules is scheduled', async () => {
    const { p } = schedules(exp([3, 8]));
    expect(await text(p)).toContain('v128.store');
    const scalar = { ...p, kernels: p.kernels.map((k) => ({ ...k, schedule: { ...k.schedule!, upcast: 1 as const } })) };
    expect(await text(scalar)).not.toContain('v128.store');
    const bare = { ...p, kernels: p.kernels.map(({ schedule: _, ...k }) => k) };
    expect(await text(bare)).toBe(await text(p));
  });

  test('a schedule it cannot render (a webgpu tile, vec4 of transposed loads) falls back to code that computes the same', async () => {
    const { p } = schedules((b) => b.output('y', b.op('exp', [b.transpose(b.input('x', 'f32', [8, 12]), [1, 0])])));
    const forced = { ...p, kernels: p.kernels.map((k) => ({ ...k, schedule: { ...k.schedule!, upcast: 4 as const } })) };
    expect(await text(forced)).toBe(await text(p));
    const mm = schedules((b) => matmul(b, 8, 4, 8));
    expect(await text(scheduleProgram(mm.p, 'webgpu'))).not.toContain('f32x4');
  });
});

describe('the validator checks schedules', () => {
  const program = (): Record<string, unknown> => JSON.parse(JSON.stringify(schedules((b) => matmul(b, 64, 128, 64)).p)) as Record<string, unknown>;
  const withSchedule = (change: (s: Record<string, unknown>) => void): unknown => {
    const p = program();
    change((p['kernels'] as { schedule: Record<string, unknown> }[])[0]!.schedule);
    return p;
  };

  test('a well-formed schedule comes back as it was', () => {
    expect(parseProgram(program()).kernels[0]!.schedule).toEqual({ parallel: { axis: 0, maxShares: 16 }, upcast: 4, reduceUpcast: 1, reduceGroup: 1, tile: { m: 4, n: 8 } });
  });

  test.each([
    ['upcast 3', (s: Record<string, unknown>) => (s['upcast'] = 3), /upcast must be 1 or 4, got 3/],
    ['tile m 0', (s: Record<string, unknown>) => (s['tile'] = { m: 0, n: 8 }), /tile m must be a positive integer .*got 0/],
    ['an unknown key', (s: Record<string, unknown>) => (s['unroll'] = 2), /schedule has unknown key "unroll"/],
    ['an unknown tile key', (s: Record<string, unknown>) => (s['tile'] = { m: 4, n: 8, k: 2 }), /schedule tile has unknown key "k"/],
    ['a parallel axis out of range', (s: Record<string, unknown>) => (s['parallel'] = { axis: 2 }), /parallel axis 2 is not an output axis/],
    ['a missing reduceGroup', (s: Record<string, unknown>) => delete s['reduceGroup'], /reduceGroup must be a positive integer/],
    ['a reduceSplit of 0', (s: Record<string, unknown>) => (s['reduceSplit'] = 0), /reduceSplit must be a positive integer .*got 0/],
    ['a fractional workgroup', (s: Record<string, unknown>) => (s['workgroup'] = [8.5]), /workgroup\[0\] must be a positive integer/],
    ['a schedule that is not an object', (s: Record<string, unknown>) => Object.keys(s).forEach((k) => delete s[k]), /upcast must be 1 or 4/],
  ])('refuses %s', (_what, change, message) => {
    expect(() => parseProgram(withSchedule(change))).toThrow(message);
  });
});
