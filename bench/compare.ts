// Kiln (backend 'wasm') side by side with TensorFlow.js (wasm backend) and jax-js (wasm device,
// jitted), in one process, on the same workloads and data: W1 f32 matmul, W2 one SGD training
// step of an MLP 784-256-256-10, W3 that MLP's inference, W4 an elementwise chain. Prints per
// workload the median time per run, the p10-p90 spread, a throughput, Kiln's ratio to each
// library and how far their outputs are from Kiln's.
// Run with `npm run bench:compare`; pick workloads and options after `--`:
// `npm run bench:compare -- W1 W4 --quick`.

import os from 'node:os';
import { EW_SIZE, LAYERS, LR, ewInput, matA, matB, mlpBatch, mlpWeights } from './common.js';
import type { Entry } from './common.js';
import { FULL, QUICK, argsOrExit, describeBudget, measure, ms, report, versionOf, workloadArg, workloads } from './harness.js';
import type { Rows } from './harness.js';
import { elementwiseGraph, f32, kilnMlp, kilnParams, kilnRunner, matmulGraph } from './kiln.js';
import { JAX, TFJS, initJaxWasm, initTfjs, jaxElementwise, jaxInference, jaxMatmul, jaxTrainStep, tfElementwise, tfInference, tfMatmul, tfTrainStep } from './peers.js';
import { Trainer, compile, compileTraining, graph, sgd } from '../src/index.js';
import type { CompileOptions } from '../src/index.js';
import { kernelProgram } from '../src/compile.js';

// ---- command line -------------------------------------------------------------------------

interface Options {
  workloads: string[];
  quick: boolean;
  /** Threads for Kiln's extra rows (its main rows run on one thread, as the other libraries do); 1 leaves them out. */
  threads: number;
}

function parseArgs(args: readonly string[]): Options {
  const o: Options = { workloads: [], quick: false, threads: 2 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--quick') o.quick = true;
    else if (a === '--threads') o.threads = Number(args[++i]);
    else if (workloadArg(a)) o.workloads.push(workloadArg(a)!);
    else throw new Error(`unknown argument '${a}' (workloads: W1 W2 W3 W4; options: --quick, --threads N (Kiln's extra rows, default 2; 1 leaves them out))`);
  }
  if (!(Number.isInteger(o.threads) && o.threads >= 1)) throw new Error('--threads takes a positive integer');
  if (o.workloads.length === 0) o.workloads = ['W1', 'W2', 'W3', 'W4'];
  return o;
}

/** Kiln's compile options for every workload. */
function kilnOptions(shapes: Record<string, number> = {}, threads = 1): CompileOptions {
  return { backend: 'wasm', shapes, threads };
}

/** The row name of Kiln on `threads` threads. */
const kilnLabel = (threads: number): string => (threads > 1 ? `kiln, ${threads} threads` : 'kiln');

// ---- Kiln ---------------------------------------------------------------------------------

function kilnMatmul(n: number, threads = 1): Entry {
  return {
    library: kilnLabel(threads),
    async make() {
      return kilnRunner(await compile(matmulGraph(n), kilnOptions({}, threads)), { a: f32([n, n], matA(n)), b: f32([n, n], matB(n)) }, 'c');
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
      return kilnRunner(await compile(elementwiseGraph(), kilnOptions({}, threads)), { x: f32([EW_SIZE], ewInput()) }, 'y');
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

/** Kiln on one thread (and on `threads` where more than 1), TensorFlow.js and jax-js. */
function rows(threads: number): Rows {
  /** Kiln's extra row on several threads, when asked for. */
  const more = (entry: (threads: number) => Entry): Entry[] => (threads > 1 ? [entry(threads)] : []);
  return {
    matmul: (n) => [kilnMatmul(n), ...more((t) => kilnMatmul(n, t)), tfMatmul(n), jaxMatmul(n)],
    trainStep: (batch) => [kilnTrainStep(batch), ...more((t) => kilnTrainStep(batch, t)), kilnTrainerStep(batch), tfTrainStep(batch), jaxTrainStep(batch)],
    inference: (batch) => [kilnInference(batch), ...more((t) => kilnInference(batch, t)), tfInference(batch), jaxInference(batch)],
    elementwise: () => [kilnElementwise(), ...more((t) => kilnElementwise(t)), tfElementwise(), jaxElementwise()],
  };
}

// ---- report -------------------------------------------------------------------------------

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
  const options = argsOrExit(parseArgs);
  if (!options) return;
  const budget = options.quick ? QUICK : FULL;
  const cpus = os.cpus();
  console.log(`Kiln vs TensorFlow.js vs jax-js, all on WebAssembly in one Node process${options.quick ? ' (--quick)' : ''}`);
  console.log(`  node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} CPU(s)${cpus[0] ? `: ${cpus[0].model}` : ''}`);
  console.log(`  kiln: ${await kilnHeader(options.threads)}`);
  console.log(`  ${TFJS}: @tensorflow/tfjs ${versionOf('@tensorflow/tfjs')}, tfjs-backend-wasm ${versionOf('@tensorflow/tfjs-backend-wasm')}: ${await initTfjs()}`);
  console.log(`  ${JAX}: @jax-js/jax ${versionOf('@jax-js/jax')}, ${await initJaxWasm()}`);
  console.log(`  ${describeBudget(budget)}`);
  console.log(
    "  inputs stay where each library computes (kiln: in its Wasm memory, through inputBuffer; tfjs and jax-js: on their device); every run reads its outputs back (kiln: run's copies; the others: dataSync / data())",
  );
  console.log("  setup: kiln compile(), the others' tensors and variables; 1st run includes jax-js's jit compilation");
  for (const id of options.workloads) {
    for (const w of workloads(id, rows(options.threads))) report(w, await measure(w.entries, budget));
  }
}

await main();
