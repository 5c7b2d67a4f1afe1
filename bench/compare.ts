// Kiln (backend 'wasm') side by side with TensorFlow.js (wasm backend) and jax-js (wasm device,
// jitted), in one process, on the same workloads and data: W1 f32 matmul, W2 one SGD training
// step of an MLP 784-256-256-10, W3 that MLP's inference, W4 an elementwise chain. Prints per
// workload the median time per run, the p10-p90 spread, a throughput, Kiln's ratio to each
// library and how far their outputs are from Kiln's.
// Run with `npm run bench:compare`; pick workloads and options after `--`:
// `npm run bench:compare -- W1 W4 --quick`.

import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EW_A, EW_B, EW_SIZE, LAYERS, LR, NotAvailable, ewInput, matA, matB, mlpBatch, mlpFlops, mlpWeights } from './common.js';
import type { Entry, Layer, Output, Runner } from './common.js';
import { JAX, TFJS, initJaxWasm, initTfjs, jaxElementwise, jaxInference, jaxMatmul, jaxTrainStep, tfElementwise, tfInference, tfMatmul, tfTrainStep } from './peers.js';
import { Trainer, compile, compileTraining, graph, sgd } from '../src/index.js';
import type { CompileOptions, Executable, Graph, TensorLike } from '../src/index.js';
import { kernelProgram } from '../src/compile.js';

// ---- command line -------------------------------------------------------------------------

interface Options {
  workloads: string[];
  quick: boolean;
  /** Threads for Kiln's extra rows (its main rows run on one thread, as the other libraries do); 1 leaves them out. */
  threads: number;
}

const WORKLOADS = ['W1', 'W2', 'W3', 'W4'];

function parseArgs(args: readonly string[]): Options {
  const o: Options = { workloads: [], quick: false, threads: 2 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--quick') o.quick = true;
    else if (a === '--threads') o.threads = Number(args[++i]);
    else if (WORKLOADS.includes(a.toUpperCase())) o.workloads.push(a.toUpperCase());
    else throw new Error(`unknown argument '${a}' (workloads: ${WORKLOADS.join(' ')}; options: --quick, --threads N (Kiln's extra rows, default 2; 1 leaves them out))`);
  }
  if (!(Number.isInteger(o.threads) && o.threads >= 1)) throw new Error('--threads takes a positive integer');
  if (o.workloads.length === 0) o.workloads = WORKLOADS;
  return o;
}

/** Kiln's compile options for every workload. */
function kilnOptions(shapes: Record<string, number> = {}, threads = 1): CompileOptions {
  return { backend: 'wasm', shapes, threads };
}

/** The row name of Kiln on `threads` threads. */
const kilnLabel = (threads: number): string => (threads > 1 ? `kiln, ${threads} threads` : 'kiln');

// ---- timing -------------------------------------------------------------------------------

interface Budget {
  warmup: number;
  /** Measuring stops once both are reached... */
  minRuns: number;
  minMs: number;
  /** ...or once this much time is spent, after at least `fewestRuns`. */
  capMs: number;
  fewestRuns: number;
  /** Each library gets turns of about this long, so drift in the machine's speed hits all alike. */
  turnMs: number;
}

const FULL: Budget = { warmup: 3, minRuns: 20, minMs: 500, capMs: 5000, fewestRuns: 5, turnMs: 100 };
const QUICK: Budget = { warmup: 3, minRuns: 5, minMs: 100, capMs: 1000, fewestRuns: 3, turnMs: 50 };

interface Result {
  library: string;
  setupMs: number;
  firstMs: number;
  samples: number[];
  output: Output;
  notes: string[];
}

/** A library that could not set up or run a workload, and why. */
interface Failure {
  library: string;
  error: string;
}

/** Sets up and warms up each entry, then times them in alternating turns until each has enough runs. */
async function measure(entries: readonly Entry[], budget: Budget): Promise<(Result | Failure)[]> {
  const results: (Result | Failure)[] = [];
  const live: { result: Result; runner: Runner; spent: number }[] = [];
  for (const e of entries) {
    try {
      const t0 = performance.now();
      const runner = await e.make();
      const setupMs = performance.now() - t0;
      const t1 = performance.now();
      let output = await runner.run();
      const firstMs = performance.now() - t1;
      for (let i = 1; i < budget.warmup; i++) output = await runner.run();
      const result: Result = { library: e.library, setupMs, firstMs, samples: [], output, notes: runner.notes ?? [] };
      results.push(result);
      live.push({ result, runner, spent: 0 });
    } catch (err) {
      results.push({ library: e.library, error: err instanceof NotAvailable ? `n/a: ${err.message}` : `failed: ${(err as Error).message}` });
    }
  }
  const done = (l: (typeof live)[number]) =>
    (l.result.samples.length >= budget.minRuns && l.spent >= budget.minMs) || (l.spent >= budget.capMs && l.result.samples.length >= budget.fewestRuns);
  while (!live.every(done)) {
    for (const l of live) {
      const turnEnds = performance.now() + budget.turnMs;
      while (!done(l) && performance.now() < turnEnds) {
        const t0 = performance.now();
        await l.runner.run();
        const ms = performance.now() - t0;
        l.result.samples.push(ms);
        l.spent += ms;
      }
    }
  }
  return results;
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (at - lo);
}

// ---- Kiln ---------------------------------------------------------------------------------

function f32(shape: number[], data: Float32Array): TensorLike {
  return { dtype: 'f32', shape, data };
}

function kilnParams(layers: readonly Layer[]): Record<string, TensorLike> {
  return Object.fromEntries(
    layers.flatMap((l, i) => [
      [`w${i + 1}`, f32([l.n, l.m], l.w)],
      [`b${i + 1}`, f32([l.m], l.b)],
    ]),
  );
}

/** The MLP with the mean softmax cross-entropy over integer labels as output, or the logits. */
function kilnMlp(withLoss: boolean): Graph {
  return graph('mlp', (b) => {
    const x = b.input('x', 'f32', ['B', LAYERS[0]![0]]);
    let h = x;
    LAYERS.forEach(([n, m], i) => {
      h = h.matmul(b.param(`w${i + 1}`, 'f32', [n, m])).add(b.param(`b${i + 1}`, 'f32', [m]));
      if (i < LAYERS.length - 1) h = h.relu();
    });
    if (withLoss) b.output('loss', b.op('softmax_cross_entropy', [h, b.input('y', 'i32', ['B'])]));
    else b.output('logits', h);
  });
}

/**
 * A runner that calls `run` of a compiled executable and returns output `name`. The inputs are
 * written once into the arrays the program reads (inputBuffer), as the other libraries keep
 * theirs on their device; outputs are copied out on every run, as theirs are read back.
 */
function kilnRunner(exe: Executable, inputs: Record<string, TensorLike>, name: string, notes: string[] = []): Runner {
  const resident = Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => {
      const data = ArrayBuffer.isView(v) ? v : (v as { data: ArrayLike<number> }).data;
      const buffer = exe.inputBuffer!(k);
      buffer.set(data);
      return [k, buffer];
    }),
  );
  return { run: async () => (await exe.run(resident))[name]!.data, notes };
}

function kilnMatmul(n: number, threads = 1): Entry {
  return {
    library: kilnLabel(threads),
    async make() {
      const g = graph('matmul', (b) => b.output('c', b.input('a', 'f32', [n, n]).matmul(b.input('b', 'f32', [n, n]))));
      return kilnRunner(await compile(g, kilnOptions({}, threads)), { a: f32([n, n], matA(n)), b: f32([n, n], matB(n)) }, 'c');
    },
  };
}

function kilnTrainStep(batch: number, threads = 1): Entry {
  return {
    library: kilnLabel(threads),
    async make() {
      const t0 = performance.now();
      const trainer = new Trainer(kilnMlp(true), { backend: 'wasm', optimizer: sgd({ lr: LR }), shapes: { B: batch } });
      const t1 = performance.now();
      kernelProgram(trainer.trainGraph, { B: batch });
      const t2 = performance.now();
      // Guarded, as the Trainer runs it: a step with a non-finite update commits nothing.
      const exe = await compile(trainer.trainGraph, { ...kilnOptions({ B: batch }, threads), guardUpdates: true });
      const t3 = performance.now();
      exe.setParams(kilnParams(mlpWeights()));
      const { x, y } = mlpBatch(batch);
      const ms = (a: number, b: number) => `${(b - a).toFixed(0)} ms`;
      const notes = [
        `${kilnLabel(threads)}: compiling the training step, measured once: autodiff + SGD graph ${ms(t0, t1)}; compile() ${ms(t2, t3)} (graph passes, fusion and memory planning alone: ${ms(t1, t2)}; the rest is Wasm codegen with binaryen and instantiation)`,
        ...(threads > 1 ? [] : ["kiln: each run is one exe.run({ x, y, lr }) of the compiled step; 'kiln Trainer.step' is the same step through the Trainer"]),
      ];
      return kilnRunner(exe, { x: f32([batch, LAYERS[0]![0]], x), y: { dtype: 'i32', shape: [batch], data: y }, lr: new Float32Array([LR]) }, 'loss', notes);
    },
  };
}

function kilnTrainerStep(batch: number): Entry {
  return {
    library: 'kiln Trainer.step',
    async make() {
      const trainer = await compileTraining(kilnMlp(true), { backend: 'wasm', optimizer: sgd({ lr: LR }), shapes: { B: batch } });
      trainer.setParams(kilnParams(mlpWeights()));
      const { x, y } = mlpBatch(batch);
      const feed = { x: f32([batch, LAYERS[0]![0]], x), y: { dtype: 'i32' as const, shape: [batch], data: y } };
      return { run: async () => [(await trainer.step(feed)).loss!] };
    },
  };
}

function kilnInference(batch: number, threads = 1): Entry {
  return {
    library: kilnLabel(threads),
    async make() {
      const exe = await compile(kilnMlp(false), kilnOptions({ B: batch }, threads));
      exe.setParams(kilnParams(mlpWeights()));
      return kilnRunner(exe, { x: f32([batch, LAYERS[0]![0]], mlpBatch(batch).x) }, 'logits');
    },
  };
}

function kilnElementwise(threads = 1): Entry {
  return {
    library: kilnLabel(threads),
    async make() {
      const g = graph('elementwise', (b) => {
        const x = b.input('x', 'f32', [EW_SIZE]);
        b.output('y', x.mul(EW_A).add(EW_B).relu().mul(x.sigmoid()));
      });
      return kilnRunner(await compile(g, kilnOptions({}, threads)), { x: f32([EW_SIZE], ewInput()) }, 'y');
    },
  };
}

/** Compiles a one-node graph, which loads binaryen: later compile times leave that out. */
async function warmKiln(): Promise<number> {
  const t0 = performance.now();
  const g = graph('warm', (b) => b.output('y', b.input('x', 'f32', [4]).relu()));
  await (await compile(g, kilnOptions())).run({ x: new Float32Array(4) });
  return performance.now() - t0;
}

// ---- workloads ----------------------------------------------------------------------------

interface Workload {
  id: string;
  title: string;
  /** Work per run, in units of `unit` times `scale` per second, for the throughput column. */
  rate: { per: number; unit: string; scale: number; digits: number };
  entries: Entry[];
}

const gflops = (flops: number, unit = 'GFLOPS') => ({ per: flops, unit, scale: 1e9, digits: 2 });
const mflop = (flops: number) => `${(flops / 1e6).toFixed(1)} MFLOP`;

function workloads(id: string, threads: number): Workload[] {
  /** Kiln's extra row on several threads, when asked for. */
  const more = (entry: (threads: number) => Entry): Entry[] => (threads > 1 ? [entry(threads)] : []);
  switch (id) {
    case 'W1':
      return [128, 512, 1024].map((n) => ({
        id,
        title: `f32 matmul ${n}×${n} · ${n}×${n}, ${mflop(2 * n ** 3)} per run`,
        rate: gflops(2 * n ** 3),
        entries: [kilnMatmul(n), ...more((t) => kilnMatmul(n, t)), tfMatmul(n), jaxMatmul(n)],
      }));
    case 'W2':
      return [
        {
          id,
          title: `MLP 784-256-256-10 training step (ReLU, softmax cross-entropy, SGD lr ${LR}), batch 128, ${mflop(mlpFlops(128, true))} in matmuls per run`,
          rate: gflops(mlpFlops(128, true), 'GFLOPS (matmuls)'),
          entries: [kilnTrainStep(128), ...more((t) => kilnTrainStep(128, t)), kilnTrainerStep(128), tfTrainStep(128), jaxTrainStep(128)],
        },
      ];
    case 'W3':
      return [1, 128].map((batch) => ({
        id,
        title: `MLP 784-256-256-10 inference (logits), batch ${batch}, ${mflop(mlpFlops(batch, false))} in matmuls per run`,
        rate: gflops(mlpFlops(batch, false), 'GFLOPS (matmuls)'),
        entries: [kilnInference(batch), ...more((t) => kilnInference(batch, t)), tfInference(batch), jaxInference(batch)],
      }));
    case 'W4':
      return [
        {
          id,
          title: `elementwise relu(x·a + b)·sigmoid(x) on 2^20 f32, scalars a = ${EW_A}, b = ${EW_B}`,
          rate: { per: EW_SIZE, unit: 'Melem/s', scale: 1e6, digits: 0 },
          entries: [kilnElementwise(), ...more((t) => kilnElementwise(t)), tfElementwise(), jaxElementwise()],
        },
      ];
    default:
      throw new Error(`unknown workload ${id}`);
  }
}

// ---- report -------------------------------------------------------------------------------

function ms(x: number): string {
  return x < 1 ? `${(x * 1000).toFixed(0)} µs` : x < 100 ? `${x.toFixed(2)} ms` : `${x.toFixed(1)} ms`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => '  ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ')).join('\n');
}

/** Largest absolute difference from the reference, relative to the reference's largest magnitude. */
function relativeDiff(ref: Output, other: Output): string {
  if (ref.length !== other.length) return `length ${other.length} ≠ ${ref.length}`;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ref[i]! - other[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return (diff / (scale || 1)).toExponential(1);
}

function report(w: Workload, results: readonly (Result | Failure)[]): void {
  console.log(`\n${w.id}  ${w.title}`);
  const rows = [['library', 'median', 'p10 – p90', w.rate.unit, 'runs', 'setup', '1st run']];
  for (const r of results) {
    if ('error' in r) continue;
    const med = quantile(r.samples, 0.5);
    const rate = (w.rate.per / (med / 1000) / w.rate.scale).toFixed(w.rate.digits);
    rows.push([r.library, ms(med), `${ms(quantile(r.samples, 0.1))} – ${ms(quantile(r.samples, 0.9))}`, rate, String(r.samples.length), ms(r.setupMs), ms(r.firstMs)]);
  }
  console.log(table(rows));
  for (const r of results) if ('error' in r) console.log(`  ${r.library}: ${r.error}`);
  const timed = results.filter((r): r is Result => !('error' in r));
  const kiln = timed.find((r) => r.library === 'kiln');
  const others = timed.filter((r) => !r.library.startsWith('kiln'));
  if (kiln) {
    const k = quantile(kiln.samples, 0.5);
    const ratios = others.map((o) => {
      const x = quantile(o.samples, 0.5) / k;
      if (x.toFixed(2) === '1.00') return `kiln is as fast as ${o.library} (1.00×)`;
      return x > 1 ? `kiln is ${x.toFixed(2)}× faster than ${o.library}` : `kiln is ${(1 / x).toFixed(2)}× slower than ${o.library}`;
    });
    if (ratios.length) console.log(`  ${ratios.join('; ')}`);
    for (const r of timed.filter((x) => x.library.startsWith('kiln, '))) console.log(`  ${r.library}: ${(k / quantile(r.samples, 0.5)).toFixed(2)}× kiln's one-thread speed`);
    const diffs = timed.filter((r) => r !== kiln).map((r) => `${r.library} ${relativeDiff(kiln.output, r.output)}`);
    if (diffs.length) console.log(`  outputs vs kiln's after the warm-up runs, max |Δ| / max |kiln|: ${diffs.join(', ')}`);
  }
  for (const r of timed) for (const note of r.notes) console.log(`  ${note}`);
}

/** A package's version, from the package.json above its resolved entry point. */
function versionOf(name: string): string {
  const require = createRequire(import.meta.url);
  for (let dir = path.dirname(require.resolve(name)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === name) return pkg.version ?? '?';
  }
  return '?';
}

/** The first compile loads binaryen; a failure here shows again in each of Kiln's rows. */
async function kilnHeader(threads: number): Promise<string> {
  const start = `backend 'wasm', 1 thread${threads > 1 ? ` (and ${threads} in the rows that say so)` : ''}, binaryen ${versionOf('binaryen')}`;
  try {
    return `${start}; a first compile, loading binaryen, took ${ms(await warmKiln())}`;
  } catch (err) {
    return `${start}; a first compile failed: ${(err as Error).message}`;
  }
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 2;
    return;
  }
  const budget = options.quick ? QUICK : FULL;
  const cpus = os.cpus();
  console.log(`Kiln vs TensorFlow.js vs jax-js, all on WebAssembly in one Node process${options.quick ? ' (--quick)' : ''}`);
  console.log(`  node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} CPU(s)${cpus[0] ? `: ${cpus[0].model}` : ''}`);
  console.log(`  kiln: ${await kilnHeader(options.threads)}`);
  console.log(`  ${TFJS}: @tensorflow/tfjs ${versionOf('@tensorflow/tfjs')}, tfjs-backend-wasm ${versionOf('@tensorflow/tfjs-backend-wasm')}: ${await initTfjs()}`);
  console.log(`  ${JAX}: @jax-js/jax ${versionOf('@jax-js/jax')}, ${await initJaxWasm()}`);
  console.log(
    `  median of ≥ ${budget.minRuns} runs and ≥ ${budget.minMs} ms (or ≥ ${budget.fewestRuns} runs once ${budget.capMs} ms are spent) after ${budget.warmup} warm-up runs; libraries take turns`,
  );
  console.log(
    "  inputs stay where each library computes (kiln: in its Wasm memory, through inputBuffer; tfjs and jax-js: on their device); every run reads its outputs back (kiln: run's copies; the others: dataSync / data())",
  );
  console.log("  setup: kiln compile(), the others' tensors and variables; 1st run includes jax-js's jit compilation");
  for (const id of options.workloads) {
    for (const w of workloads(id, options.threads)) report(w, await measure(w.entries, budget));
  }
}

await main();
