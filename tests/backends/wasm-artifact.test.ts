// Ahead of time on Wasm: `kiln compile --target wasm` writes an artifact that a fresh Node process, importing only dist/runtime/, loads and runs to JIT compile's outputs without ever loading binaryen; with --threads, one the runtime runs on worker threads.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';
import { requireBuilt } from '../support/built.js';
import { main } from '../../src/cli/main.js';
import { compile } from '../../src/compile.js';
import { parseModel } from '../../src/frontend/dsl/index.js';
import { loadExecutable } from '../../runtime/executable.js';
import type { WasmExecutable } from '../../runtime/wasm.js';

const RUNTIME = join(process.cwd(), 'dist/runtime/index.js');

/**
 * A module-resolution hook for the child: it appends every URL the ESM loader resolves to a log
 * (synchronously, so the log is complete when the child exits), and refuses binaryen outright.
 * binaryen is ESM-only, so any load of it, static or a lazy import(), passes through here, and
 * the log shows it even if a caller swallowed the refusal. Unlike process.moduleLoadList (Node's
 * internals only) or require.cache (CommonJS only), this sees every ES module.
 */
/** The four XOR cases with their labels: the batch (B=4) both tests run examples/xor.kiln on. */
const XOR_BATCH = {
  x: [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ],
  y: [[0], [1], [1], [0]],
};

const HOOKS = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(log, resolved.url + '\\n');
  if (specifier === 'binaryen' || resolved.url.includes('/node_modules/binaryen/')) throw new Error('binaryen resolved from ' + context.parentURL);
  return resolved;
}
`;

test('a wasm artifact runs in a process that loads only runtime/, to the outputs of JIT compile', async () => {
  requireBuilt(RUNTIME);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-wasm-aot-'));
  try {
    const out = join(dir, 'xor-wasm');
    let printed = '';
    const r = await main(
      ['compile', 'examples/xor.kiln', '--target', 'wasm', '--shapes', 'B=4', '-o', out],
      (s) => (printed += s),
      (s) => expect.fail(s),
    );
    expect(r).toBe(0);
    expect(printed).toMatch(new RegExp(`^wrote .+ \\(target wasm\\): \\d+ kernels, .*, module ${readFileSync(join(out, 'module.wasm')).length} bytes\\n$`));

    const inputs = XOR_BATCH;
    const log = join(dir, 'resolved.log');
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url, { data: { log: ${JSON.stringify(log)} } });\n`);
    const script = join(dir, 'run.mjs');
    writeFileSync(
      script,
      [
        `import { loadExecutable } from ${JSON.stringify(pathToFileURL(RUNTIME).href)};`,
        `const exe = await loadExecutable(${JSON.stringify(out)});`,
        `const outputs = await exe.run(${JSON.stringify(inputs)});`,
        `console.log(JSON.stringify({ kind: exe.constructor.name, outputs: Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, Array.from(t.data)])) }));`,
      ].join('\n'),
    );
    const child = JSON.parse(execFileSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, script], { encoding: 'utf8' })) as {
      kind: string;
      outputs: Record<string, number[]>;
    };
    expect(child.kind).toBe('WasmExecutable');

    // The hook saw the runtime load (so it was active), and nothing but the runtime, Node's builtins and the script.
    const resolved = [...new Set(readFileSync(log, 'utf8').trim().split('\n'))];
    expect(resolved).toContain(pathToFileURL(RUNTIME).href);
    const runtimeDir = pathToFileURL(join(process.cwd(), 'dist/runtime/')).href;
    expect(resolved.filter((u) => !u.startsWith('node:') && !u.startsWith(runtimeDir) && u !== pathToFileURL(script).href)).toEqual([]);
    expect(resolved.some((u) => u.includes('binaryen'))).toBe(false);

    // f32 values survive JSON exactly; the same program and module bytes give the same numbers.
    const jit = await compile(parseModel(readFileSync('examples/xor.kiln', 'utf8'), 'examples/xor.kiln').graph, { shapes: { B: 4 }, backend: 'wasm' });
    const want = await jit.run(inputs);
    expect(Object.keys(child.outputs).sort()).toEqual(Object.keys(want).sort());
    for (const [name, t] of Object.entries(want)) expect(child.outputs[name], name).toEqual(Array.from(t.data as ArrayLike<number>));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--threads 2: the artifact carries a threaded module, and the runtime runs it on worker threads to the one-thread outputs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-wasm-threads-'));
  try {
    const out = join(dir, 'mnist-threads');
    let printed = '';
    const args = ['compile', 'examples/mnist-mlp.kiln', '--target', 'wasm', '--shapes', 'B=64', '-o', out];
    expect(
      await main(
        [...args, '--threads', '2'],
        (s) => (printed += s),
        (s) => expect.fail(s),
      ),
    ).toBe(0);
    expect(printed).toMatch(/ bytes for 2 threads\n$/);
    const exe = (await loadExecutable(out)) as WasmExecutable;
    expect(exe.threads).toBe(2);
    const one = await compile(parseModel(readFileSync('examples/mnist-mlp.kiln', 'utf8'), 'examples/mnist-mlp.kiln').graph, { shapes: { B: 64 }, backend: 'wasm' });
    one.setParams(exe.params());
    const inputs = { x: Float32Array.from({ length: 64 * 784 }, (_, i) => (i % 29) / 29), y: Int32Array.from({ length: 64 }, (_, i) => i % 10) };
    const [want, got] = [await one.run(inputs), await exe.run(inputs)];
    for (const [name, t] of Object.entries(want)) expect(Array.from(got[name]!.data), name).toEqual(Array.from(t.data));
    await exe.dispose();
    let error = '';
    expect(
      await main(
        [...args, '--target', 'js', '--threads', '2'],
        () => undefined,
        (s) => (error += s),
      ),
    ).not.toBe(0);
    expect(error).toContain('--threads: only --target wasm runs on several threads');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A hook that refuses any Node builtin imported from dist/runtime/: the runtime must do without. */
const NO_NODE_HOOKS = `
export async function resolve(specifier, context, next) {
  if ((specifier.startsWith('node:') || ['fs', 'path', 'crypto', 'worker_threads'].includes(specifier)) && context.parentURL && context.parentURL.includes('/dist/runtime/')) {
    throw new Error('the runtime imported ' + specifier + ' from ' + context.parentURL);
  }
  return next(specifier, context);
}
`;

test('the runtime runs an artifact held in memory without importing any Node builtin (as in a browser)', async () => {
  requireBuilt(RUNTIME);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-wasm-nonode-'));
  try {
    const out = join(dir, 'xor-wasm');
    expect(
      await main(
        ['compile', 'examples/xor.kiln', '--target', 'wasm', '--shapes', 'B=4', '-o', out],
        () => undefined,
        (s) => expect.fail(s),
      ),
    ).toBe(0);
    writeFileSync(join(dir, 'hooks.mjs'), NO_NODE_HOOKS);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
    const inputs = XOR_BATCH;
    const script = join(dir, 'run.mjs');
    writeFileSync(
      script,
      [
        // The script reads the files itself, as a page would fetch them; the runtime gets bytes only.
        `import { readFileSync } from 'node:fs';`,
        `const manifest = JSON.parse(readFileSync(${JSON.stringify(join(out, 'manifest.json'))}, 'utf8'));`,
        `const code = new Uint8Array(readFileSync(${JSON.stringify(join(out, 'module.wasm'))}));`,
        `const { artifactFromObject, executableFromArtifact } = await import(${JSON.stringify(pathToFileURL(RUNTIME).href)});`,
        `const exe = executableFromArtifact(artifactFromObject(manifest, { code }));`,
        `const outputs = await exe.run(${JSON.stringify(inputs)});`,
        `console.log(JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, Array.from(t.data)]))));`,
      ].join('\n'),
    );
    const got = JSON.parse(execFileSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, script], { encoding: 'utf8' })) as Record<string, number[]>;
    const jit = await compile(parseModel(readFileSync('examples/xor.kiln', 'utf8'), 'examples/xor.kiln').graph, { shapes: { B: 4 }, backend: 'wasm' });
    const want = await jit.run(inputs);
    for (const [name, t] of Object.entries(want)) expect(got[name], name).toEqual(Array.from(t.data as ArrayLike<number>));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
