// Fast defaults: the compiled Wasm backend unless the reference is asked for, in the API
// (compile, compileTraining and so fit) and on the command line (run, train, compile).

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { WasmExecutable } from '../../runtime/wasm.js';
import { compile } from '../../src/compile.js';
import { graph } from '../../src/frontend/builder.js';
import { sgd } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { kiln } from '../cli/run-kiln.js';

vi.mock('../../src/compile.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/compile.js')>();
  return { ...real, compile: vi.fn(real.compile) };
});

const lin = graph('lin', (b) => {
  const x = b.input('x', 'f32', ['B', 2]);
  const w = b.param('w', 'f32', [2]);
  b.output('loss', x.mul(w).sum());
});

describe('the API', () => {
  test('compile() without a backend gives a Wasm program; the reference is chosen by name', async () => {
    expect(await compile(lin, { shapes: { B: 2 } })).toBeInstanceOf(WasmExecutable);
    expect(await compile(lin, { shapes: { B: 2 }, backend: 'reference' })).not.toBeInstanceOf(WasmExecutable);
  });

  test('compileTraining() without a backend compiles its step for Wasm', async () => {
    const compiles = vi.mocked(compile);
    compiles.mockClear();
    await compileTraining(lin, { optimizer: sgd({ lr: 0.1 }) });
    expect(compiles).toHaveBeenCalledTimes(1);
    expect(compiles.mock.calls[0]![1]!.backend).toBe('wasm');
    expect(await compiles.mock.results[0]!.value).toBeInstanceOf(WasmExecutable);
  });
});

describe('the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-defaults-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    ['run', /--backend <name>[\s\S]*\(default:\s+"wasm"\)/],
    ['train', /--backend <name>[\s\S]*\(default:\s+"wasm"\)/],
    ['compile', /--target <target>[\s\S]*\(default:\s+"wasm"\)/],
  ])('kiln %s --help names wasm as the default', async (command, pattern) => {
    const { out } = await kiln(command, '--help');
    expect(out).toMatch(pattern);
    expect(out).not.toMatch(/\(default: "(reference|js)"\)/);
  });

  test('kiln compile without --target writes a Wasm artifact', async () => {
    const out = join(dir, 'xor');
    const { code, err } = await kiln('compile', 'examples/xor.kiln', '--shapes', 'B=4', '-o', out);
    expect([code, err]).toEqual([0, '']);
    expect((JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { target: string }).target).toBe('wasm');
    expect(existsSync(join(out, 'module.wasm'))).toBe(true);
  });
});
