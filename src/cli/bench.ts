// `kiln bench MODEL`: times compilation, inference and (with --train) Adam training steps of a model on several backends, as a table.

import type { Command } from 'commander';
import type { Tensor } from '../../runtime/tensor.js';
import { compile } from '../compile.js';
import { BACKENDS, backendOf, describeBackends } from '../backends/registry.js';
import type { BackendName } from '../backends/registry.js';
import { fail } from '../ir/errors.js';
import { graphSymbols } from '../ir/bind.js';
import type { Graph, InputDecl } from '../ir/graph.js';
import { valueTypes } from '../ir/graph.js';
import { getOp } from '../ir/ops/index.js';
import { uniform01 } from '../ir/random.js';
import { formatType, numel } from '../ir/types.js';
import { decompose } from '../passes/decompose.js';
import { specialize } from '../passes/specialize.js';
import { adam } from '../passes/optimizers.js';
import { STEP_INPUT, compileTraining } from '../train/trainer.js';
import { loadModelFile } from './load.js';
import { threadsFlag } from './train.js';

export interface BenchFlags {
  backends: string;
  shapes: string[];
  runs: string;
  warmup: string;
  train?: boolean;
  seconds?: string;
  threads?: string;
}

export interface BenchIO {
  out: (s: string) => void;
}

/** The rule the FLOP column follows, printed under the table. */
export const FLOP_RULE = 'matmul 2·M·N·K per batch element + 1 per elementwise output element, on the graph after specialize and decompose';

/** Seed of the random inputs: every run of the command times the same data. */
const DATA_SEED = 0x6b696c6e;

// ---- flags ----------------------------------------------------------------------------------

function countFlag(flag: string, text: string, min: number): number {
  const v = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min) fail('usage', `${flag}: expected an integer >= ${min}, got '${text}'`);
  return v;
}

function secondsFlag(text: string): number {
  const v = /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!(v > 0)) fail('usage', `--seconds: expected a positive number of seconds, got '${text}'`);
  return v;
}

/** `wasm,js` as distinct known backends, in the order given (the first is the baseline). */
export function parseBackends(text: string): BackendName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) fail('usage', `--backends: expected a comma-separated list of backends (available: ${BACKENDS.join(', ')})`);
  for (const [i, name] of names.entries()) {
    if (!(BACKENDS as readonly string[]).includes(name)) fail('usage', `--backends: unknown backend '${name}' (available: ${BACKENDS.join(', ')})`);
    if (names.indexOf(name) !== i) fail('usage', `--backends: '${name}' is listed twice`);
  }
  return names as BackendName[];
}

/** `B=128,T=16` (the flag may repeat) as symbol sizes. */
function parseBindings(specs: readonly string[]): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const part of specs
    .join(',')
    .split(',')
    .filter((p) => p.trim() !== '')) {
    const m = /^\s*([A-Za-z_]\w*)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) fail('usage', `--shapes: expected NAME=SIZE such as B=32, got '${part}'`);
    sizes[m[1]!] = Number(m[2]);
  }
  return sizes;
}

/**
 * Checks that --shapes binds exactly the model's symbols. There is no default batch size: the
 * timings depend on it, so a table must say which size it was measured at.
 */
function checkShapes(g: Graph, shapes: Readonly<Record<string, number>>): void {
  const symbols = graphSymbols(g);
  for (const name of Object.keys(shapes)) {
    if (!symbols.has(name))
      fail(
        'usage',
        `--shapes: '${name}' is not a dimension of model ${g.name} (${symbols.size ? `its symbols are ${[...symbols.keys()].join(', ')}` : 'it has no symbolic dims'})`,
      );
  }
  const unbound = [...symbols].filter(([s]) => !(s in shapes));
  if (unbound.length > 0) {
    const [symbol, where] = unbound[0]!;
    fail(
      'usage',
      `model ${g.name} has unbound symbolic dims (${unbound.map(([s]) => s).join(', ')}; '${symbol}' first in ${where}); give their sizes with --shapes ${unbound.map(([s]) => `${s}=<size>`).join(',')}`,
    );
  }
}

/** Fails unless the model has the scalar f32 `loss` output a training step minimizes. */
function checkTrainable(g: Graph): void {
  const loss = g.outputs.find((o) => o.name === 'loss');
  if (!loss) fail('usage', `--train: model ${g.name} has no output 'loss' to minimize (outputs: ${g.outputs.map((o) => o.name).join(', ') || 'none'})`);
  const t = valueTypes(g).get(loss.value)!;
  if (t.dtype !== 'f32' || t.shape.length !== 0) fail('usage', `--train: the output 'loss' of model ${g.name} must be a scalar f32, got ${formatType(t)}`);
}

// ---- FLOPs ----------------------------------------------------------------------------------

/** FLOPs of one run of `g` by FLOP_RULE. */
export function countFlops(g: Graph, shapes: Readonly<Record<string, number>>): number {
  const prim = decompose(specialize(g, { shapes }));
  const types = valueTypes(prim);
  let flops = 0;
  for (const n of prim.nodes) {
    const out = n.type.shape as number[];
    if (n.op === 'matmul') {
      // The output holds batch·M·N elements, each a K-long dot product: a multiply and an add per term.
      const a = types.get(n.inputs[0]!)!.shape;
      flops += 2 * numel(out) * (a[a.length - 1] as number);
    } else if (getOp(n.op).category === 'elementwise') {
      flops += numel(out);
    }
  }
  return flops;
}

// ---- inputs ---------------------------------------------------------------------------------

/**
 * The exclusive upper bound of random values for an i32 input: the classes of the logits it is
 * compared with (its consumer's first f32 operand's last dim), one_hot's depth, gather's table
 * size; 10 when nothing says.
 */
function indexBound(g: Graph, input: string): number {
  const types = valueTypes(g);
  for (const n of g.nodes) {
    if (!n.inputs.includes(input)) continue;
    if (n.op === 'one_hot') return n.attrs.depth as number;
    if (n.op === 'gather') {
      const table = types.get(n.inputs[0]!)!.shape;
      const axis = n.attrs.axis as number;
      return table[axis < 0 ? axis + table.length : axis] as number;
    }
    for (const v of n.inputs) {
      const t = types.get(v)!;
      const last = t.shape[t.shape.length - 1];
      if (v !== input && t.dtype === 'f32' && typeof last === 'number' && last > 0) return last;
    }
  }
  return 10;
}

/** Deterministic random data shaped like one input of the specialized graph `g`. */
function randomTensor(g: Graph, input: InputDecl, seed: number): Tensor {
  const shape = input.type.shape as number[];
  const n = numel(shape);
  switch (input.type.dtype) {
    case 'f32':
      return { dtype: 'f32', shape, data: Float32Array.from({ length: n }, (_, i) => uniform01(seed, i) * 2 - 1) };
    case 'i32': {
      const bound = indexBound(g, input.name);
      return { dtype: 'i32', shape, data: Int32Array.from({ length: n }, (_, i) => Math.floor(uniform01(seed, i) * bound)) };
    }
    case 'bool':
      return { dtype: 'bool', shape, data: Uint8Array.from({ length: n }, (_, i) => (uniform01(seed, i) < 0.5 ? 0 : 1)) };
  }
}

/** A batch for every input of the model (the step count is 0; the trainer feeds its own). */
function randomBatch(model: Graph, shapes: Readonly<Record<string, number>>): Record<string, Tensor> {
  const g = specialize(model, { shapes });
  const batch: Record<string, Tensor> = {};
  g.inputs.forEach((input, k) => {
    batch[input.name] = input.name === STEP_INPUT ? { dtype: 'i32', shape: [], data: new Int32Array([0]) } : randomTensor(g, input, DATA_SEED + k);
  });
  return batch;
}

// ---- timing ---------------------------------------------------------------------------------

export interface Timing {
  /** Milliseconds of each timed run, in order. */
  times: number[];
  median: number;
  min: number;
  max: number;
}

/** `warmup` untimed runs, then up to `runs` timed ones; past `capMs` in all it stops (after at least one timed run). */
async function measure(fn: () => Promise<unknown>, runs: number, warmup: number, capMs: number): Promise<Timing> {
  const start = performance.now();
  for (let i = 0; i < warmup && performance.now() - start < capMs; i++) await fn();
  const times: number[] = [];
  while (times.length < runs && (times.length === 0 || performance.now() - start < capMs)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { times, median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

// ---- the report -----------------------------------------------------------------------------

export type Mode = 'inference' | 'train';

export interface BenchRow {
  backend: BackendName;
  mode: Mode;
  compileMs: number;
  timing: Timing;
  flops: number;
}

const ms = (v: number): string => v.toFixed(v < 10 ? 3 : v < 100 ? 2 : 1);
const grouped = (n: number): string => String(n).replace(/\B(?=(\d{3})+$)/g, ',');

/** Columns padded to their widest cell; text left-aligned, numbers right-aligned. */
function alignedTable(header: string[], rows: string[][], leftColumns: number): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((s, c) => (c < leftColumns ? s.padEnd(widths[c]!) : s.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The table, its footer, and one line per backend with its median times over the first backend's. */
export function formatReport(rows: readonly BenchRow[], context: string): string {
  const header = ['backend', 'mode', 'compile ms', 'median ms', 'min–max ms', 'runs/s', 'GFLOPS', 'runs'];
  const cells = rows.map((r) => [
    r.backend,
    r.mode,
    ms(r.compileMs),
    ms(r.timing.median),
    `${ms(r.timing.min)}–${ms(r.timing.max)}`,
    (1000 / r.timing.median).toFixed(1),
    (r.flops / (r.timing.median * 1e6)).toPrecision(3),
    String(r.timing.times.length),
  ]);
  const modes = [...new Set(rows.map((r) => r.mode))];
  const flopsOf = (m: Mode): number => rows.find((r) => r.mode === m)!.flops;
  const lines = [context, alignedTable(header, cells, 2), `FLOPs per run: ${modes.map((m) => `${m} ${grouped(flopsOf(m))}`).join(', ')} (${FLOP_RULE})`];
  const backends = [...new Set(rows.map((r) => r.backend))];
  const base = backends[0]!;
  if (backends.includes('wasm')) lines.push('the first wasm compile ms includes loading binaryen (once per process)');
  const median = (b: BackendName, m: Mode): number => rows.find((r) => r.backend === b && r.mode === m)!.timing.median;
  lines.push(`${base}: baseline (${modes.map((m) => `${m} ${ms(median(base, m))} ms`).join(', ')} median)`);
  for (const b of backends.slice(1)) {
    // Ratios of medians measured in the same process: comparable, unlike absolute times across machines.
    lines.push(`${b} vs ${base}: ${modes.map((m) => `${m} ${(median(b, m) / median(base, m)).toFixed(2)}×`).join(', ')} the median time`);
  }
  return `${lines.join('\n')}\n`;
}

// ---- the command ----------------------------------------------------------------------------

export async function benchCommand(modelPath: string, flags: BenchFlags, io: BenchIO): Promise<BenchRow[]> {
  // Every flag is checked before anything is compiled or timed.
  const backends = parseBackends(flags.backends);
  const runs = countFlag('--runs', flags.runs, 1);
  const warmup = countFlag('--warmup', flags.warmup, 0);
  const capMs = flags.seconds === undefined ? Infinity : secondsFlag(flags.seconds) * 1000;
  const threads = threadsFlag(flags.threads);
  const threadsOf = (backend: BackendName): { threads?: number } => (backendOf(backend).threads ? { threads } : {});
  const shapes = parseBindings(flags.shapes);
  const { graph: model } = loadModelFile(modelPath);
  checkShapes(model, shapes);
  if (flags.train) checkTrainable(model);

  const batch = randomBatch(model, shapes);
  const inferenceFlops = countFlops(model, shapes);
  const trainBatch = Object.fromEntries(Object.entries(batch).filter(([name]) => name !== STEP_INPUT));
  let trainFlops: number | undefined;
  const rows: BenchRow[] = [];
  for (const backend of backends) {
    const { value: exe, ms: compileMs } = await timed(() => compile(model, { backend, shapes, ...threadsOf(backend) }));
    rows.push({ backend, mode: 'inference', compileMs, flops: inferenceFlops, timing: await measure(() => exe.run(batch), runs, warmup, capMs) });
    if (!flags.train) continue;
    const { value: trainer, ms: trainCompileMs } = await timed(() => compileTraining(model, { backend, optimizer: adam({ lr: 1e-3 }), shapes, ...threadsOf(backend) }));
    trainFlops ??= countFlops(trainer.trainGraph, shapes);
    rows.push({ backend, mode: 'train', compileMs: trainCompileMs, flops: trainFlops, timing: await measure(() => trainer.step(trainBatch), runs, warmup, capMs) });
  }
  const bound = Object.entries(shapes)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const cap = Number.isFinite(capMs) ? `, at most ${capMs / 1000} s per measurement` : '';
  io.out(
    formatReport(
      rows,
      `${model.name}${bound ? ` (${bound})` : ''}: ${cap ? 'up to ' : ''}${runs} timed runs after ${warmup} warm-up${cap}${flags.train ? '; train = one Adam step' : ''}${threads > 1 && backends.includes('wasm') ? `; wasm on ${threads} threads` : ''}`,
    ),
  );
  return rows;
}

/** Adds `bench` to a commander program. */
export function registerBench(program: Command, io: BenchIO): Command {
  return program
    .command('bench')
    .description('time compilation, inference and training steps of a model on several backends')
    .argument('<model>', 'a .kiln, .json (IR JSON) or .kir (IR text) file')
    .option('--backends <list>', `comma-separated backends to time, the first is the baseline: ${describeBackends()}`, 'wasm,reference')
    .option(
      '--shapes <bindings>',
      'sizes of every symbolic dim, e.g. B=128 (required when the model has any; repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--runs <n>', 'timed repetitions per measurement', '20')
    .option('--warmup <n>', 'untimed repetitions before them', '3')
    .option('--train', "also time one Adam training step (the model needs a scalar output 'loss')")
    .option('--seconds <s>', 'stop a measurement after this many seconds (at least one timed run)')
    .option('--threads <n>', 'wasm: worker threads sharing each large kernel (default 1)')
    .action(async (file: string, opts: BenchFlags) => {
      await benchCommand(file, opts, io);
    });
}
