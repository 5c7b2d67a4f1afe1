// Parameter initializers: determinism per seed, fans, glorot/he limits and stds checked statistically, errors.

import { describe, expect, it } from 'vitest';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { fans, materialize } from '../../src/ir/init.js';
import type { Initializer } from '../../src/ir/graph.js';
import type { DType } from '../../src/ir/types.js';
import { expectKiln, expectKilnAsync } from './helpers.js';

const f32Alloc = (n: number) => new Float32Array(n);

function values(fn: string, shape: number[], args: Initializer['args'] = {}, dtype: DType = 'f32'): number[] {
  const alloc = dtype === 'i32' ? (n: number) => new Int32Array(n) : f32Alloc;
  return Array.from(materialize({ fn, args }, { dtype, shape }, alloc).data);
}

function stats(xs: number[]): { mean: number; std: number; maxAbs: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
  return { mean, std, maxAbs: Math.max(...xs.map(Math.abs)) };
}

describe('fans', () => {
  it.each([
    [[], 1, 1],
    [[5], 5, 5],
    [[3, 4], 3, 4],
    // Conv kernels [kh, kw, in, out]: the receptive field multiplies both fans.
    [[3, 3, 16, 32], 144, 288],
    [[2, 5, 7], 10, 14],
  ])('of %j are in %i, out %i', (shape, fanIn, fanOut) => {
    expect(fans(shape)).toEqual({ fanIn, fanOut });
  });
});

describe('deterministic initializers', () => {
  it('zeros, ones and constant', () => {
    expect(values('zeros', [2, 2])).toEqual([0, 0, 0, 0]);
    expect(values('ones', [3])).toEqual([1, 1, 1]);
    expect(values('constant', [2], { value: -2.5 })).toEqual([-2.5, -2.5]);
    expect(values('ones', [2], {}, 'i32')).toEqual([1, 1]);
  });

  it('the same seed gives the same values, another seed others', () => {
    for (const fn of ['uniform', 'normal', 'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal']) {
      const a = values(fn, [8, 8], { seed: 3 });
      expect(values(fn, [8, 8], { seed: 3 })).toEqual(a);
      expect(values(fn, [8, 8], { seed: 4 })).not.toEqual(a);
    }
  });

  it('element i does not depend on the shape for shape-free initializers', () => {
    expect(values('uniform', [4], { seed: 2 })).toEqual(values('uniform', [2, 4], { seed: 2 }).slice(0, 4));
  });
});

describe('random initializers, statistically', () => {
  it('uniform defaults to [-0.05, 0.05)', () => {
    const s = stats(values('uniform', [100, 100], { seed: 1 }));
    expect(s.maxAbs).toBeLessThanOrEqual(0.05);
    expect(s.maxAbs).toBeGreaterThan(0.0499);
    expect(Math.abs(s.mean)).toBeLessThan(0.002);
  });

  it('uniform takes low and high', () => {
    const xs = values('uniform', [10000], { low: 2, high: 4, seed: 1 });
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...xs)).toBeLessThan(4);
    expect(Math.abs(stats(xs).mean - 3)).toBeLessThan(0.03);
  });

  it('normal defaults to std 0.05 and takes mean and std', () => {
    const d = stats(values('normal', [100, 100], { seed: 1 }));
    expect(Math.abs(d.std - 0.05) / 0.05).toBeLessThan(0.04);
    const s = stats(values('normal', [100, 100], { mean: 1, std: 2, seed: 1 }));
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.1);
    expect(Math.abs(s.std - 2) / 2).toBeLessThan(0.04);
  });

  it('glorot_uniform: limit sqrt(6 / (fan_in + fan_out))', () => {
    const limit = 0.10954451150103323; // sqrt(6 / 500)
    const s = stats(values('glorot_uniform', [200, 300], { seed: 7 }));
    expect(s.maxAbs).toBeLessThanOrEqual(limit * (1 + 1e-6));
    expect(s.maxAbs).toBeGreaterThan(limit * 0.999);
    // A uniform on [-l, l) has std l / sqrt(3) = 0.0632456.
    expect(Math.abs(s.std - 0.0632456) / 0.0632456).toBeLessThan(0.02);
    expect(Math.abs(s.mean)).toBeLessThan(0.002);
  });

  it('glorot_normal: std sqrt(2 / (fan_in + fan_out))', () => {
    const s = stats(values('glorot_normal', [200, 300], { seed: 7 }));
    expect(Math.abs(s.std - 0.0632456) / 0.0632456).toBeLessThan(0.02);
    expect(Math.abs(s.mean)).toBeLessThan(0.002);
  });

  it('he_uniform: limit sqrt(6 / fan_in)', () => {
    const limit = 0.1414213562; // sqrt(6 / 300)
    const s = stats(values('he_uniform', [300, 100], { seed: 5 }));
    expect(s.maxAbs).toBeLessThanOrEqual(limit * (1 + 1e-6));
    expect(s.maxAbs).toBeGreaterThan(limit * 0.999);
    expect(Math.abs(s.std - 0.0816497) / 0.0816497).toBeLessThan(0.02);
  });

  it('he_normal on a conv kernel: std sqrt(2 / (in * kh * kw))', () => {
    const s = stats(values('he_normal', [3, 3, 16, 32], { seed: 5 }));
    // fan_in = 16 * 9 = 144, std = sqrt(2 / 144) = 0.1178511; 4608 samples give about 1% error.
    expect(Math.abs(s.std - 0.1178511) / 0.1178511).toBeLessThan(0.06);
    expect(Math.abs(s.mean)).toBeLessThan(0.01);
  });
});

describe('initializer errors', () => {
  const t = { dtype: 'f32' as const, shape: [2] };
  it('names an unknown initializer and lists the known ones', () => {
    expectKiln(
      () => materialize({ fn: 'lecun_normal', args: {} }, t, f32Alloc),
      'attr',
      // The list grows as initializers are added; today's must all be named.
      /^param: unknown initializer 'lecun_normal' \(expected one of: zeros, ones, constant, uniform, normal, glorot_uniform, glorot_normal, he_uniform, he_normal\b.*\)$/,
    );
  });

  it('names an unknown argument', () => {
    expectKiln(() => materialize({ fn: 'uniform', args: { lo: 1 } }, t, f32Alloc), 'attr', "param: initializer uniform: unknown attribute 'lo' (expected one of: low, high, seed)");
  });

  it('names a missing argument', () => {
    expectKiln(() => materialize({ fn: 'constant', args: {} }, t, f32Alloc), 'attr', "param: initializer constant: missing attribute 'value' (float)");
  });

  it('rejects random initializers for i32 parameters', () => {
    expectKiln(
      () => materialize({ fn: 'glorot_uniform', args: {} }, { dtype: 'i32', shape: [2] }, (n) => new Int32Array(n)),
      'dtype',
      'param: initializer glorot_uniform needs an f32 parameter, got i32[2]',
    );
  });

  it('a graph with an unknown initializer fails to build and compile', async () => {
    // Whether the builder or compile catches it, it is an 'attr' error naming the initializer.
    const buildAndCompile = async () => {
      const b = new GraphBuilder('g');
      b.output('w', b.param('w', { dtype: 'f32', shape: [2] }, { fn: 'xavier', args: {} }));
      return compile(b.build());
    };
    await expectKilnAsync(buildAndCompile(), 'attr', /^param( w)?: unknown initializer 'xavier' \(expected one of: zeros, /);
  });
});

describe('initializers through compile', () => {
  it('materializes parameters, the same for the same seed, with symbolic shapes bound', async () => {
    const build = () => {
      const b = new GraphBuilder('g');
      b.output('w', b.param('w', { dtype: 'f32', shape: ['B', 3] }, { fn: 'glorot_uniform', args: { seed: 1 } }));
      b.output('z', b.param('z', { dtype: 'i32', shape: [2] }, { fn: 'ones', args: {} }));
      return b.build();
    };
    const a = await compile(build(), { shapes: { B: 4 } });
    const b = await compile(build(), { shapes: { B: 4 } });
    const pa = a.params();
    expect(pa['w']!.shape).toEqual([4, 3]);
    expect(Array.from(pa['w']!.data)).toEqual(Array.from(b.params()['w']!.data));
    // fans [4, 3]: limit sqrt(6 / 7) = 0.9258201
    expect(Array.from(pa['w']!.data).every((v) => Math.abs(v) <= 0.9258201)).toBe(true);
    expect(Array.from(pa['z']!.data)).toEqual([1, 1]);
    expect(pa['z']!.data).toBeInstanceOf(Int32Array);
    const out = await a.run({});
    expect(Array.from(out['w']!.data)).toEqual(Array.from(pa['w']!.data));
  });
});
