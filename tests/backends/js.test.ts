// The compiled path end to end: passes, fusion, memory planning and the runtime's kernel
// interpreter ('js' backend) against the reference interpreter — example models, random graphs,
// training steps — plus the schedule's figures and ahead-of-time artifacts run by a process
// that loads only runtime/.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { describeAgreement } from './agreement.js';
import { mnistMlpGraph } from '../../examples/mnist-mlp.js';
import { main } from '../../src/cli/main.js';
import { graph } from '../../src/frontend/builder.js';
import { compile, kernelProgram } from '../../src/compile.js';
import { liveLowerBound, totalTempBytes } from '../../src/kernels/memory.js';
import { decompose } from '../../src/passes/decompose.js';
import { dce } from '../../src/passes/dce.js';
import { specialize } from '../../src/passes/specialize.js';
import { adam } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { closeEnough } from '../conformance/tolerance.js';
import { requireBuilt } from '../support/built.js';

describeAgreement('js', 200);

describe("backend 'js': its own checks", () => {
  test('a gather index out of range along its axis is refused, as by the reference', async () => {
    // x [2, 3] gathered along axis 1: index 3 would still fall inside the buffer (the next row).
    const g = graph('take', (b) => b.output('y', b.gather(b.input('x', 'f32', [2, 3]), b.input('i', 'i32', [2]), 1)));
    const js = await compile(g, { backend: 'js' });
    const x = new Float32Array([0, 1, 2, 3, 4, 5]);
    expect(Array.from((await js.run({ x, i: [2, 0] })).y!.data)).toEqual([2, 0, 5, 3]);
    await expect(js.run({ x, i: [3, 0] })).rejects.toThrow('gather: index 3 is out of range for an axis of size 3');
    const ref = await compile(g, { backend: 'reference' });
    await expect(ref.run({ x, i: [3, 0] })).rejects.toThrow('gather: index 3 is out of range for axis 1 of size 3');
  });
});

describe('the schedule of the mnist MLP training step (784-256-256-10, softmax cross-entropy, Adam, B=128)', () => {
  const step = compileTraining(mnistMlpGraph(), { optimizer: adam({ lr: 1e-3 }) }).then((t) => kernelProgram(t.trainGraph, { B: 128 }));

  test('forward, backward and update take at most 20 kernels', async () => {
    const p = await step;
    expect(p.kernels.length).toBeLessThanOrEqual(20);
    // Unfused, the same step is one kernel per primitive: fusion is what brings it down.
    const trainGraph = (await compileTraining(mnistMlpGraph(), { optimizer: adam({ lr: 1e-3 }) })).trainGraph;
    const primitives = dce(decompose(specialize(trainGraph, { shapes: { B: 128 } })));
    expect(primitives.nodes.length).toBeGreaterThan(150);
  });

  test('the arena is within 1.1x of the liveness lower bound', async () => {
    const p = await step;
    const bound = liveLowerBound(p);
    expect(p.arenaBytes).toBeLessThanOrEqual(Math.ceil(1.1 * bound));
    expect(p.arenaBytes).toBeLessThan(totalTempBytes(p));
  });
});

describe('ahead of time: kiln compile, then a process that loads only runtime/', () => {
  test('runtime/ imports nothing from src/', () => {
    for (const file of readdirSync('runtime').filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join('runtime', file), 'utf8');
      expect(text, file).not.toMatch(/from '\.\.\/src\//);
    }
  });

  test('the artifact gives the outputs of JIT compile', async () => {
    requireBuilt('dist/runtime/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'kiln-aot-'));
    const out = join(dir, 'xor-artifact');
    const r = await main(
      ['compile', 'examples/xor.kiln', '--shapes', 'B=4', '-o', out],
      () => {},
      (s) => expect.fail(s),
    );
    expect(r).toBe(0);
    const inputs = {
      x: [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ],
      y: [[0], [1], [1], [0]],
    };
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify(inputs));
    // A fresh process with the runtime alone: no compiler module is loaded.
    const script = join(dir, 'run.mjs');
    writeFileSync(
      script,
      [
        `import { loadExecutable } from ${JSON.stringify(join(process.cwd(), 'dist/runtime/index.js'))};`,
        `import { readFileSync } from 'node:fs';`,
        `const exe = await loadExecutable(${JSON.stringify(out)});`,
        `const outputs = await exe.run(JSON.parse(readFileSync(${JSON.stringify(join(dir, 'inputs.json'))}, 'utf8')));`,
        `console.log(JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, Array.from(t.data)]))));`,
      ].join('\n'),
    );
    const printed = JSON.parse(execFileSync(process.execPath, [script], { encoding: 'utf8' })) as Record<string, number[]>;
    const { parseModel } = await import('../../src/frontend/dsl/index.js');
    const jit = await compile(parseModel(readFileSync('examples/xor.kiln', 'utf8'), 'examples/xor.kiln').graph, { shapes: { B: 4 }, backend: 'js' });
    const want = await jit.run(inputs);
    for (const [name, t] of Object.entries(want)) {
      expect(printed[name]!.length, name).toBe(t.data.length);
      printed[name]!.forEach((v, i) => expect(closeEnough(v, Number(t.data[i])), `${name}[${i}]`).toBe(true));
    }
  });
});
