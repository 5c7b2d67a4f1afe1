// The packages as a user gets them: `npm pack` builds and packs `kiln` and `kiln-runtime`, both
// install into fresh folders outside the repository, and there the `kiln` command runs, both
// packages import, and an artifact written by `kiln compile` runs with `kiln-runtime` alone (no
// dependency installed beside it) to the outputs of the compiler's own run.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const ROOT = process.cwd();
const RUNTIME_PACKAGE = join(ROOT, 'packages/kiln-runtime');

const MODEL = `model tiny {
  input x: f32[B, 3]
  param w: f32[3, 2]
  param b: f32[2]
  output y = tanh(x @ w + b)
  output s = sum(x * x)
}
`;
const INPUTS = {
  x: [
    [0, 1, 2],
    [-1, 0.5, 3],
    [2, 2, -2],
    [0.25, -0.75, 1],
  ],
};

// npm run by `npm test` passes its settings down as npm_config_* (its prefix among them): the
// installs below must see none of them, or they could land in the repository.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function run(cwd: string, cmd: string, ...args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: e });
  }
}

interface Packed {
  filename: string;
  files: { path: string }[];
}

/** Packs the package in dir (its prepack builds it) into dest; the tarball's name and contents. */
function pack(dir: string, dest: string): Packed {
  const out = run(dir, 'npm', 'pack', '--json', '--pack-destination', dest);
  // Lifecycle scripts print before npm's JSON report, which starts on a line of its own.
  const report = JSON.parse(out.slice(out.search(/^\[/m))) as Packed[];
  expect(report).toHaveLength(1);
  return report[0]!;
}

function installInto(dir: string, tarballs: string[]): void {
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run(dir, 'npm', 'install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs);
}

/** A tensor map as plain number arrays, the form the scripts below print. */
const PRINT_OUTPUTS = 'Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, Array.from(t.data)]))';

test('kiln and kiln-runtime pack, install outside the repository, and run an artifact with the runtime alone', { timeout: 240_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'kiln-pack-'));
  try {
    const main = pack(ROOT, tmp);
    const runtime = pack(RUNTIME_PACKAGE, tmp);

    // What ships: built code, declarations, the command, docs; no sources, tests, CI or examples.
    const mainPaths = main.files.map((f) => f.path);
    expect(mainPaths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'bin/kiln.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js']));
    expect(mainPaths).toEqual(expect.arrayContaining(['dist/runtime/index.js', 'dist/runtime/index.d.ts', 'docs/language.md']));
    expect(mainPaths.filter((p) => !/^(package\.json|README\.md|LICENSE|bin\/kiln\.js|dist\/(src|runtime)\/.+\.(js|d\.ts|js\.map)|docs\/.+\.md)$/.test(p))).toEqual([]);
    // The runtime package: one .js and one .d.ts per file of runtime/, nothing else but its manifest and README.
    const runtimeSources = readdirSync(join(ROOT, 'runtime')).filter((f) => f.endsWith('.ts'));
    const expected = runtimeSources.flatMap((f) => [`dist/${f.replace(/\.ts$/, '.js')}`, `dist/${f.replace(/\.ts$/, '.d.ts')}`]);
    expect(runtime.files.map((f) => f.path).sort()).toEqual(['README.md', ...expected, 'package.json'].sort());

    const manifest = JSON.parse(readFileSync(join(RUNTIME_PACKAGE, 'package.json'), 'utf8')) as Record<string, unknown>;
    const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.version, 'packages/kiln-runtime/package.json has the version of package.json').toBe(rootManifest.version);
    expect(manifest.dependencies).toBeUndefined();

    const app = join(tmp, 'app');
    installInto(app, [join(tmp, main.filename), join(tmp, runtime.filename)]);
    expect(run(app, 'npx', '--no', '--', 'kiln', '--help')).toMatch(/Usage: kiln .*\n(.*\n)*\s+compile /);

    // The compiler's own run (JIT on wasm), beside imports of all three entry points.
    writeFileSync(join(app, 'model.kiln'), MODEL);
    writeFileSync(
      join(app, 'jit.mjs'),
      [
        `import { compile, parseModel } from 'kiln';`,
        `import * as viaKiln from 'kiln/runtime';`,
        `import * as standalone from 'kiln-runtime';`,
        `import { readFileSync } from 'node:fs';`,
        `const exe = await compile(parseModel(readFileSync('model.kiln', 'utf8'), 'model.kiln').graph, { backend: 'wasm', shapes: { B: 4 } });`,
        `const outputs = await exe.run(${JSON.stringify(INPUTS)});`,
        `const loaders = [typeof viaKiln.loadExecutable, typeof standalone.loadExecutable, viaKiln.ARTIFACT_VERSION === standalone.ARTIFACT_VERSION];`,
        `console.log(JSON.stringify({ loaders, outputs: ${PRINT_OUTPUTS} }));`,
      ].join('\n'),
    );
    const jit = JSON.parse(run(app, process.execPath, 'jit.mjs')) as { loaders: unknown[]; outputs: Record<string, number[]> };
    expect(jit.loaders).toEqual(['function', 'function', true]);
    expect(jit.outputs.s).toEqual([0 + 1 + 4 + 1 + 0.25 + 9 + 4 + 4 + 4 + 0.0625 + 0.5625 + 1]);

    const artifact = join(tmp, 'tiny-wasm');
    expect(run(app, 'npx', '--no', '--', 'kiln', 'compile', 'model.kiln', '--shapes', 'B=4', '--target', 'wasm', '-o', artifact)).toMatch(/^wrote .+\(target wasm\)/);

    // The runtime alone: installed with nothing beside it, it loads and runs the artifact.
    const runner = join(tmp, 'runner');
    installInto(runner, [join(tmp, runtime.filename)]);
    expect(readdirSync(join(runner, 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual(['kiln-runtime']);
    writeFileSync(
      join(runner, 'run.mjs'),
      [
        `import { loadExecutable } from 'kiln-runtime';`,
        `const exe = await loadExecutable(${JSON.stringify(artifact)});`,
        `const outputs = await exe.run(${JSON.stringify(INPUTS)});`,
        `console.log(JSON.stringify({ resolved: import.meta.resolve('kiln-runtime'), kind: exe.constructor.name, outputs: ${PRINT_OUTPUTS} }));`,
      ].join('\n'),
    );
    const aot = JSON.parse(run(runner, process.execPath, 'run.mjs')) as { resolved: string; kind: string; outputs: Record<string, number[]> };
    expect(aot.resolved).toContain('/runner/node_modules/kiln-runtime/dist/index.js');
    expect(aot.kind).toBe('WasmExecutable');
    expect(Object.keys(aot.outputs).sort()).toEqual(['s', 'y']);
    for (const name of ['y', 's']) {
      expect(aot.outputs[name], name).toHaveLength(jit.outputs[name]!.length);
      aot.outputs[name]!.forEach((v, i) => expect(v, `${name}[${i}]`).toBeCloseTo(jit.outputs[name]![i]!, 6));
    }
    // tanh of a non-zero product: the weights were initialized, not left at zero.
    expect(jit.outputs.y!.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
