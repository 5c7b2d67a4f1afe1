// The WebGPU backend on Dawn's adapter: the agreement suite against the reference, and what is
// its own: one submit per run, the dispatch count of the Adam MLP step, parameters that stay on
// the device (read back only when asked), programs that share them, the guarded step, and
// shaders that fail to compile.

import { expect, test } from 'vitest';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import { WebGpuExecutable } from '../../runtime/webgpu.js';
import { renderWgsl } from '../../src/backends/webgpu/index.js';
import { dispatchOrder } from '../../runtime/webgpu-layout.js';
import { compile, kernelProgram, type BackendName } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { adam, sgd } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { closeEnough } from '../conformance/tolerance.js';
import { describeWebGpu } from '../support/webgpu.js';
import { describeAgreement, expectClose, inputsFor } from './agreement.js';
import { rejectionOf } from '../catch-kiln.js';

const stats = (exe: unknown) => (exe as WebGpuExecutable).stats;

describeWebGpu('the webgpu backend', () => {
  describeAgreement('webgpu', 60);

  test('a training step of the Adam MLP (784-256-256-10) is one submit of at most 20 dispatches', async () => {
    const g = mnistMlpGraph();
    const trainer = await compileTraining(g, { backend: 'webgpu', optimizer: adam({ lr: 0.001 }), seed: 1, shapes: { B: 32 } });
    const batch = inputsFor(g, { B: 32 }, 5);
    await trainer.step(batch);
    const exe = [...(trainer as unknown as { programs: Map<string, unknown> }).programs.values()][0];
    const before = stats(exe).submits;
    for (let i = 0; i < 3; i++) await trainer.step(batch);
    expect(stats(exe).submits - before).toBe(3);
    expect(stats(exe).dispatchesPerRun).toBeLessThanOrEqual(20);
    expect(stats(exe).dispatchesPerRun).toBeGreaterThan(5);
  });

  test('parameters stay on the device: params() refuses values the device has changed, readParams() reads them back', async () => {
    const g = mnistMlpGraph([16]);
    const trainer = await compileTraining(g, { backend: 'webgpu', optimizer: sgd({ lr: 0.1 }), seed: 2, shapes: { B: 4 } });
    const first = trainer.params(); // as initialized, known on the host
    await trainer.step(inputsFor(g, { B: 4 }, 1));
    expect(() => trainer.params()).toThrow(/lives on the GPU and has changed since it was last read: await readParams\(\)/);
    const read = await trainer.readParams();
    expect(Object.keys(read)).toEqual(Object.keys(first));
    const name = Object.keys(first)[0]!;
    expect(Array.from(read[name]!.data)).not.toEqual(Array.from(first[name]!.data));
    expect(trainer.params()).toEqual(read); // fresh until the next step
  });

  test('evaluation reads the weights the training step left on the device, as the reference does', async () => {
    const g = mnistMlpGraph([16]);
    const data = inputsFor(g, { B: 8 }, 7);
    const run = async (backend: BackendName) => {
      const trainer = await compileTraining(g, { backend, optimizer: sgd({ lr: 0.5 }), seed: 9, shapes: { B: 8 } });
      const before = await trainer.evaluate(data);
      for (let i = 0; i < 3; i++) await trainer.step(data);
      return [before, await trainer.evaluate(data)];
    };
    const [want, got] = await Promise.all([run('reference'), run('webgpu')]);
    expect(got[1]!['loss']).toBeLessThan(got[0]!['loss']!);
    for (let i = 0; i < 2; i++) expect(closeEnough(got[i]!['loss']!, want[i]!['loss']!)).toBe(true);
  });

  test('100 SGD steps of the mnist MLP give the loss curve of wasm and the reference within 1e-3 at every step', async () => {
    const g = mnistMlpGraph();
    const curve = async (backend: BackendName) => {
      const trainer = await compileTraining(g, { backend, optimizer: sgd({ lr: 0.05 }), seed: 3, shapes: { B: 16 } });
      const losses: number[] = [];
      for (let s = 0; s < 100; s++) losses.push((await trainer.step(inputsFor(g, { B: 16 }, 100 + (s % 10))))['loss']!);
      return losses;
    };
    const gpu = await curve('webgpu');
    for (const other of ['wasm', 'reference'] as const) {
      const want = await curve(other);
      want.forEach((l, s) => expect(Math.abs(gpu[s]! - l), `${other}, step ${s}: ${gpu[s]} vs ${l}`).toBeLessThanOrEqual(1e-3 * Math.abs(l)));
    }
    expect(gpu[99]).toBeLessThan(gpu[0]!);
  }, 120_000);

  test('a run reads back only the outputs asked for, and they match a full run', async () => {
    const g = mnistMlpGraph([16]);
    const exe = await compile(g, { backend: 'webgpu', shapes: { B: 3 } });
    const inputs = inputsFor(g, { B: 3 }, 4);
    const all = await exe.run(inputs);
    const some = await exe.run(inputs, { outputs: ['loss'] });
    expect(Object.keys(some)).toEqual(['loss']);
    expectClose('loss', some['loss']!, all['loss']!);
  });

  test('a shader that does not compile is reported with its kernel and WGSL line', async () => {
    const program = kernelProgram(mnistMlpGraph([4]), { B: 2 });
    const code = renderWgsl(program);
    const broken = { ...code, kernels: code.kernels.map((k, i) => (i === 1 ? { ...k, code: k.code.replace('let p = i32(pu);', 'let p = i32(pu) +;') } : k)) };
    const e = await rejectionOf(WebGpuExecutable.create({ program, wgsl: broken }));
    expect(e).toBeInstanceOf(KilnRuntimeError);
    expect((e as Error).message).toMatch(new RegExp(`the WGSL of kernel '${program.kernels[1]!.name}' does not compile: line \\d+:\\d+: .*\\n  let p = i32\\(pu\\) \\+;`));
  });

  test('code of the wrong shape is refused before anything reaches the device', async () => {
    const program = kernelProgram(mnistMlpGraph([4]), { B: 2 });
    const code = renderWgsl(program);
    await expect(WebGpuExecutable.create({ program, wgsl: { ...code, kernels: code.kernels.slice(1) } })).rejects.toThrow(/webgpu code: has \d+ kernels for a program of \d+/);
    await expect(WebGpuExecutable.create({ program, wgsl: { ...code, commit: [{ name: 'x', code: '', workgroups: [1, 1, 70000] }] } })).rejects.toThrow(
      /workgroups must be three counts up to 65535/,
    );
  });
});

describeWebGpu('long reductions on webgpu (a workgroup per output, a tree over workgroup memory)', () => {
  const cases = [
    ['reduce_sum', [3, 1000]],
    ['reduce_sum', [2, 5000]],
    ['reduce_max', [3, 1000]],
    ['argmax', [3, 1000]],
    ['argmax', [2, 5000]],
    ['reduce_sum', [1, 100000]],
    ['reduce_max', [2, 70000]],
    ['argmax', [3, 70001]],
  ] as const;
  test.each(cases)('%s over %j agrees with the reference, a tie and a nan included', async (op, shape) => {
    const b = new GraphBuilder('long');
    const x = b.input('x', { dtype: 'f32', shape: [...shape] });
    b.output('y', b.emitDynamic(op, [x], op === 'argmax' ? { axis: 1 } : { axes: [1] }));
    const g = b.build();
    const n = shape[0] * shape[1];
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 10);
    data[700] = 50; // row 0: a tie at 700 and 900, the first wins
    data[900] = 50;
    data[2 * shape[1] - 1] = NaN; // row 1's last: the nan is the largest
    const [ref, exe] = await Promise.all([compile(g, { backend: 'reference' }), compile(g, { backend: 'webgpu' })]);
    const [want, got] = await Promise.all([ref.run({ x: data }), exe.run({ x: data })]);
    expectClose(op, got['y']!, want['y']!, { rtol: 1e-4, atol: 1e-4 });
    // The schedule grouped the reduction: the shader folds it in a workgroup; a long one over few
    // points first in chunks, each by a workgroup of its own, then a pass over their results.
    const code = renderWgsl(kernelProgram(g, {}, { target: 'webgpu' }));
    const passes = dispatchOrder(code.kernels);
    expect(passes.some((k) => k.code.includes('workgroupBarrier()'))).toBe(true);
    expect(passes.length - code.kernels.length).toBe(shape[1] >= 65536 ? 1 : 0);
  });
});

describeWebGpu('device limits', () => {
  test("a program larger than the device's largest buffer is refused at compile time, naming both sizes", async () => {
    const b = new GraphBuilder('huge');
    const x = b.input('x', { dtype: 'f32', shape: [40000, 40000] }); // 6.4 GB
    b.output('y', b.emitDynamic('relu', [x], {}));
    const e = await rejectionOf(compile(b.build(), { backend: 'webgpu' }));
    expect(e).toBeInstanceOf(KilnRuntimeError);
    expect((e as Error).message).toMatch(/^WebGPU: program 'huge' needs \d+ bytes of device memory in one buffer; this device binds at most \d+$/);
  });
});

describeWebGpu('elementwise kernels the schedule upcasts', () => {
  test('four points per invocation, aligned loads and the stores as vec4s, a row broadcast read once; the results are the reference', async () => {
    const b = new GraphBuilder('upcast');
    const x = b.input('x', { dtype: 'f32', shape: [6, 32] });
    const row = b.input('row', { dtype: 'f32', shape: [6, 1] });
    const col = b.input('col', { dtype: 'f32', shape: [32] });
    const t = b.emitDynamic('add', [b.emitDynamic('mul', [x, row], {}), col], {});
    b.output('y', b.emitDynamic('mul', [b.emitDynamic('relu', [t], {}), b.emitDynamic('sigmoid', [x], {})], {}));
    b.output('big', b.emitDynamic('gt', [x, col], {}));
    const g = b.build();
    const code = renderWgsl(kernelProgram(g, {}, { target: 'webgpu' }));
    const upcast = code.kernels.filter((k) => k.code.includes('let p0 = p * 4;'));
    expect(upcast.length).toBeGreaterThan(0);
    expect(upcast[0]!.code).toMatch(/let q\d+ = mem\[/); // a vec4 read
    expect(upcast[0]!.code).toMatch(/mem\[\(u32\(p0\) \+ \d+u\) >> 2u\] = w0;/); // a vec4 write
    const inputs = {
      x: Float32Array.from({ length: 192 }, (_, i) => Math.sin(i) * 3),
      row: Float32Array.from({ length: 6 }, (_, i) => i - 2.5),
      col: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i)),
    };
    const [ref, exe] = await Promise.all([compile(g, { backend: 'reference' }), compile(g, { backend: 'webgpu' })]);
    const [want, got] = await Promise.all([ref.run(inputs), exe.run(inputs)]);
    for (const [name, t2] of Object.entries(want)) expectClose(name, got[name]!, t2);
  });
});

describeWebGpu('matmuls staged in workgroup memory (a schedule with tile.stage)', () => {
  test.each([
    [5, 3, 4, false, false],
    [33, 17, 35, false, false],
    [64, 64, 64, true, false],
    [40, 24, 40, false, true],
  ])('%i×%i · %i×… (A transposed: %s, B transposed: %s) with its epilogue agrees with the reference', async (M, K, N, tA, tB) => {
    const b = new GraphBuilder('staged');
    let x = b.input('x', { dtype: 'f32', shape: tA ? [K, M] : [M, K] });
    let w = b.input('w', { dtype: 'f32', shape: tB ? [N, K] : [K, N] });
    if (tA) x = b.emitDynamic('transpose', [x], { perm: [1, 0] });
    if (tB) w = b.emitDynamic('transpose', [w], { perm: [1, 0] });
    b.output('y', b.emitDynamic('relu', [b.emitDynamic('matmul', [x, w], {})], {}));
    const g = b.build();
    const program = kernelProgram(g, {}, { target: 'webgpu' });
    for (const k of program.kernels) if (k.schedule?.tile) k.schedule.tile.stage = 8;
    const code = renderWgsl(program);
    expect(code.kernels.some((k) => k.code.includes('var<workgroup> sa'))).toBe(true);
    const inputs = { x: Float32Array.from({ length: M * K }, (_, i) => (i % 5) - 2), w: Float32Array.from({ length: K * N }, (_, i) => (i % 3) - 0.5) };
    const [ref, exe] = await Promise.all([compile(g, { backend: 'reference' }), WebGpuExecutable.create({ program, wgsl: code })]);
    const [want, got] = await Promise.all([ref.run(inputs), exe.run(inputs)]);
    expectClose('y', got['y']!, want['y']!);
  });
});

describeWebGpu('the GPU object', () => {
  test('compile and compileTraining run on the GPU given (any object with the GPU interface), once per GPU', async () => {
    const dawnNode = (await import('webgpu')) as { create: (flags: string[]) => GPU };
    const dawn = dawnNode.create([]);
    let asked = 0;
    const gpu = {
      requestAdapter: (o?: GPURequestAdapterOptions) => (asked++, dawn.requestAdapter(o)),
      getPreferredCanvasFormat: () => dawn.getPreferredCanvasFormat(),
      wgslLanguageFeatures: dawn.wgslLanguageFeatures,
    } as GPU;
    const g = mnistMlpGraph([8]);
    const trainer = await compileTraining(g, { backend: 'webgpu', gpu, optimizer: sgd({ lr: 0.1 }), seed: 1, shapes: { B: 4 } });
    const loss = (await trainer.step(inputsFor(g, { B: 4 }, 2)))['loss']!;
    const exe = await compile(g, { backend: 'webgpu', gpu, shapes: { B: 4 } });
    await exe.run(inputsFor(g, { B: 4 }, 2));
    expect(Number.isFinite(loss)).toBe(true);
    expect(asked).toBe(1); // one device for the GPU, shared by every program on it
  });
});
