// The `kiln` command line: a thin layer over the public API. Errors from Kiln are printed as one
// line (with file:line:col where there is a source), never as a stack trace.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Command, CommanderError } from 'commander';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import type { TensorLike } from '../../runtime/tensor.js';
import { bindShapes, compile, expandComposites, parseGraph, parseGraphJSON, printGraph, OPS, KilnError } from '../index.js';
import type { Graph, Tensor } from '../index.js';

/** Reads a graph from IR JSON (`.json`) or IR text (`.kir`). */
export function loadGraphFile(path: string): Graph {
  const ext = extname(path);
  if (ext !== '.json' && ext !== '.kir') {
    throw new KilnError('usage', `${path}: unsupported file type '${ext || '(none)'}' (expected .json for IR JSON or .kir for IR text)`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new KilnError('usage', `${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return ext === '.json' ? parseGraphJSON(text, path) : parseGraph(text, path);
}

/** Parses `B=128,T=16` (or repeated flags) into symbol bindings. */
function parseShapes(specs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of specs.flatMap((s) => s.split(','))) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw new KilnError('usage', `--shapes: expected NAME=SIZE, got '${part}'`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function formatTensor(t: Tensor): string {
  const values = Array.from(t.data as ArrayLike<number>, (v) => (t.dtype === 'f32' ? Number(v.toPrecision(6)) : v));
  const shown = values.length > 64 ? `${values.slice(0, 64).join(', ')}, ... (${values.length} values)` : values.join(', ');
  return `${t.dtype}[${t.shape.join(', ')}] [${shown}]`;
}

function buildProgram(out: (s: string) => void, err: (s: string) => void): Command {
  const program = new Command('kiln')
    .description('Kiln: a dataflow-graph compiler and runtime for neural networks')
    .version('0.1.0')
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride();

  program
    .command('inspect')
    .description('print a graph (IR JSON or IR text) as IR text')
    .argument('<file>', 'a .json (IR JSON) or .kir (IR text) file')
    .option('--shapes <bindings>', 'bind symbolic dims, e.g. B=128 (repeatable)', collect, [])
    .option('--expand', 'expand composite ops into primitives')
    .action((file: string, opts: { shapes: string[]; expand?: boolean }) => {
      let g = loadGraphFile(file);
      if (opts.shapes.length) g = bindShapes(g, parseShapes(opts.shapes));
      if (opts.expand) g = expandComposites(g);
      out(printGraph(g));
    });

  program
    .command('run')
    .description('run a graph on the reference backend and print its outputs')
    .argument('<file>', 'a .json (IR JSON) or .kir (IR text) file')
    .requiredOption('--inputs <file>', 'a JSON object of named inputs (nested number arrays)')
    .option('--shapes <bindings>', 'bind symbolic dims, e.g. B=4 (repeatable)', collect, [])
    .action(async (file: string, opts: { inputs: string; shapes: string[] }) => {
      const exe = await compile(loadGraphFile(file), { backend: 'reference', shapes: parseShapes(opts.shapes) });
      let inputs: Record<string, TensorLike>;
      try {
        inputs = JSON.parse(readFileSync(opts.inputs, 'utf8')) as Record<string, TensorLike>;
      } catch (e) {
        throw new KilnError('usage', `${opts.inputs}: cannot read inputs (${(e as Error).message})`);
      }
      const outputs = await exe.run(inputs);
      for (const [name, t] of Object.entries(outputs)) out(`${name} = ${formatTensor(t)}\n`);
    });

  program
    .command('ops')
    .description('list the ops Kiln knows, with their operands and attributes')
    .action(() => {
      for (const def of OPS.values()) {
        const attrs = Object.entries(def.attrs).map(([k, s]) => `${k}: ${s.kind}${s.default !== undefined ? ` = ${JSON.stringify(s.default)}` : ''}`);
        const operands = def.variadic ? `${def.operands[0]}...` : def.operands.join(', ');
        out(`${def.name}(${operands})${attrs.length ? ` {${attrs.join(', ')}}` : ''}  [${def.kind}] ${def.doc}\n`);
      }
    });

  return program;
}

/** Runs the CLI; returns the process exit code. Output goes to `out`, errors to `err`. */
export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
  const program = buildProgram(out, err);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof KilnError || e instanceof KilnRuntimeError) {
      err(`kiln: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
