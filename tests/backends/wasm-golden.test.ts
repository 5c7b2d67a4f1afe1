// Golden text of the Wasm backend's modules: a few small representative kernel programs (each
// stored beside its text as JSON, so lowering and fusion changes elsewhere do not move them) are
// rendered and the module text before optimization must equal tests/backends/golden/*.wat.
// Refactoring the code generator must leave every file unchanged; a deliberate change in what it
// emits is recorded with `KILN_UPDATE_GOLDEN=1 npx vitest run tests/backends/wasm-golden.test.ts`,
// which rebuilds both the programs (from the graphs below) and the texts.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateWasm, type WasmOptions } from '../../src/backends/wasm/codegen.js';
import { kernelProgram } from '../../src/compile.js';
import { graph, type Builder } from '../../src/frontend/builder.js';
import { encodeNumbers } from '../../runtime/artifact.js';
import { parseProgram } from '../../runtime/program-validator.js';

const DIR = join('tests', 'backends', 'golden');
const UPDATE = process.env['KILN_UPDATE_GOLDEN'] === '1';

interface Case {
  name: string;
  build: (b: Builder) => void;
  options?: WasmOptions;
}

const CASES: Case[] = [
  // Three points: the scalar path, exp as the module's own function.
  {
    name: 'elementwise-exp',
    build: (b) =>
      b.output(
        'y',
        b
          .op('exp', [b.input('x', 'f32', [3])])
          .mul(2)
          .add(1),
      ),
  },
  // Rows of five: a vector body of four points and a scalar rest.
  {
    name: 'elementwise-simd',
    build: (b) => {
      const [x, y] = [b.input('x', 'f32', [2, 5]), b.input('y', 'f32', [5])];
      b.output('z', b.op('max', [x.add(y), x.neg()]).relu());
    },
  },
  { name: 'reduce-last-axis', build: (b) => b.output('s', b.op('reduce_sum', [b.input('x', 'f32', [2, 9])], { axes: [1] })) },
  { name: 'reduce-across-points', build: (b) => b.output('m', b.op('reduce_max', [b.input('x', 'f32', [3, 4])], { axes: [0] })) },
  {
    name: 'matmul-bias-relu',
    build: (b) =>
      b.output(
        'y',
        b
          .matmul(b.input('a', 'f32', [1, 2]), b.input('w', 'f32', [2, 5]))
          .add(b.input('c', 'f32', [5]))
          .relu(),
      ),
  },
  { name: 'gather', build: (b) => b.output('y', b.gather(b.input('x', 'f32', [3, 2]), b.input('i', 'i32', [2]), 0)) },
  { name: 'threads', build: (b) => b.output('y', b.input('x', 'f32', [6]).mul(3)), options: { threads: 2, minSplitWork: 1 } },
];

async function moduleText(c: Case, program: unknown): Promise<string> {
  let wat = '';
  await generateWasm(parseProgram(program, c.name), { ...c.options, digest: true, text: (t) => (wat = t) });
  return wat;
}

describe('wasm module text against the golden files', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const [programFile, watFile] = [join(DIR, `${c.name}.program.json`), join(DIR, `${c.name}.wat`)];
    if (UPDATE) {
      mkdirSync(DIR, { recursive: true });
      const program = encodeNumbers(kernelProgram(graph(c.name.replace(/-/g, '_'), c.build), {}));
      writeFileSync(programFile, `${JSON.stringify(program, null, 1)}\n`);
      writeFileSync(watFile, await moduleText(c, program));
    }
    expect(existsSync(watFile), `${watFile} is missing: run with KILN_UPDATE_GOLDEN=1`).toBe(true);
    const wat = await moduleText(c, JSON.parse(readFileSync(programFile, 'utf8')));
    expect(wat).toBe(readFileSync(watFile, 'utf8'));
  });
});
