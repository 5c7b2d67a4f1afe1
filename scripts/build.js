// Builds one output tree incrementally (`tsc -b`: a run with nothing changed takes about a second),
// then makes it match the sources: an output whose source is gone (a renamed or deleted file) is
// removed so that it never ships, and an output that is missing although tsc's build info says it
// is up to date (deleted by hand) forces a full rebuild.
//
//   node scripts/build.js main      dist/: the compiler, the runtime, the examples, the benchmarks
//   node scripts/build.js runtime   packages/kiln-runtime/dist/: runtime/ alone, the dependency-free package

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const TREES = {
  main: { config: 'tsconfig.build.json', out: 'dist', rootDir: '.', sources: ['src', 'runtime', 'examples', 'bench'] },
  // rootDir 'runtime' also proves the runtime self-contained: tsc refuses any import from outside it.
  runtime: { config: 'tsconfig.runtime.json', out: 'packages/kiln-runtime/dist', rootDir: 'runtime', sources: ['runtime'] },
};

// What tsc writes for one source file (tsconfig.json's declaration and sourceMap settings).
const OUTPUT_SUFFIXES = ['.js', '.d.ts', '.js.map'];

const name = process.argv[2];
const tree = TREES[name];
if (!tree) {
  process.stderr.write(`usage: node scripts/build.js ${Object.keys(TREES).join('|')} (got '${name ?? ''}')\n`);
  process.exit(2);
}
process.chdir(join(dirname(fileURLToPath(import.meta.url)), '..'));

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
function build(...flags) {
  const r = spawnSync(process.execPath, [tsc, '-b', tree.config, ...flags], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Every file under dir, recursively, as paths joined onto dir. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name)); // parentPath from Node 20.12, path before
}

/** The source file an output was written from, or undefined for a file tsc did not write. */
function sourceOf(output) {
  const suffix = OUTPUT_SUFFIXES.find((s) => output.endsWith(s));
  return suffix && join(tree.rootDir, relative(tree.out, output).slice(0, -suffix.length) + '.ts');
}

build();
const sources = tree.sources.flatMap(filesUnder).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
const missing = sources.filter((s) => !existsSync(join(tree.out, relative(tree.rootDir, s)).replace(/\.ts$/, '.js')));
if (missing.length) {
  process.stderr.write(`${tree.out}: no output for ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}; rebuilding all\n`);
  build('--force');
}
const outputs = tree.sources.flatMap((s) => filesUnder(join(tree.out, relative(tree.rootDir, s))));
for (const output of outputs) {
  const source = sourceOf(output);
  if (source && !existsSync(source)) rmSync(output);
}
