// Kiln (backend 'webgpu') side by side with TensorFlow.js (webgpu backend) and jax-js (webgpu
// device, jitted), in one Node process on one Dawn adapter (Dawn's Node bindings; here Mesa's
// lavapipe, a CPU Vulkan driver): the workloads and data of bench/compare.ts (W1 f32 matmul
// 128/512/1024, W2 one SGD training step of the MLP 784-256-256-10 at batch 128, W3 its
// inference at batch 1 and 128, W4 an elementwise chain), taking turns. Prints per workload each
// library's median and p10-p90, Kiln's ratio to each, and Kiln's dispatches and queue submits
// per run and pipeline-creation time (its executable's `stats`).
// Run with `npm run bench:webgpu`; pick workloads and options after `--`:
// `npm run bench:webgpu -- W2 W3 --quick`.

import { WebGpuExecutable } from '../runtime/webgpu.js';
import os from 'node:os';
import { EW_SIZE, LAYERS, LR, ewInput, matA, matB, mlpBatch, mlpWeights } from './common.js';
import type { Entry, Runner } from './common.js';
import { FULL, QUICK, WORKLOADS, argsOrExit, describeBudget, measure, ms, report, versionOf, workloadArg, workloads } from './harness.js';
import type { Rows } from './harness.js';
import { elementwiseGraph, f32, kilnMlp, kilnParams, kilnRunner, matmulGraph } from './kiln.js';
import { jaxElementwise, jaxInference, jaxMatmul, jaxTrainStep, tfElementwise, tfInference, tfMatmul, tfTrainStep } from './peers.js';
import { JAX_WEBGPU, TFJS_WEBGPU, TF_WEBGPU, initJaxWebGpu, initTfjsWebGpu, installNavigatorGpu, sharedAdapter } from './webgpu-peers.js';
import { Trainer, compile, compileTraining, sgd } from '../src/index.js';
import type { Executable, Graph } from '../src/index.js';

// ---- command line -------------------------------------------------------------------------

interface Options {
  workloads: string[];
  quick: boolean;
}

function parseArgs(args: readonly string[]): Options {
  const o: Options = { workloads: [], quick: false };
  for (const a of args) {
    if (a === '--quick') o.quick = true;
    else if (workloadArg(a)) o.workloads.push(workloadArg(a)!);
    else throw new Error(`unknown argument '${a}' (workloads: ${WORKLOADS.join(' ')}; options: --quick)`);
  }
  if (o.workloads.length === 0) o.workloads = WORKLOADS;
  return o;
}

// ---- Kiln on WebGPU: the one place that names the backend ---------------------------------

/** What Kiln's WebGPU executable counts (`submits`: queue.submit calls so far, all runs together). */
interface KilnStats {
  dispatchesPerRun: number;
  submits: number;
  pipelineMs: number;
  adapter: string;
}

/** Kiln's compile, training compile and executable stats on backend 'webgpu'. */
function kilnWebGpu() {
  const backend = 'webgpu';
  return {
    compile: (g: Graph, shapes: Record<string, number>, guardUpdates = false): Promise<Executable> => compile(g, { backend, shapes, ...(guardUpdates ? { guardUpdates } : {}) }),
    trainer: (batch: number): Trainer => new Trainer(kilnMlp(true), { backend, optimizer: sgd({ lr: LR }), shapes: { B: batch } }),
    compileTraining: (batch: number): Promise<Trainer> => compileTraining(kilnMlp(true), { backend, optimizer: sgd({ lr: LR }), shapes: { B: batch } }),
    stats: (exe: Executable): KilnStats | undefined => (exe instanceof WebGpuExecutable ? exe.stats : undefined),
  };
}

// ---- Kiln's rows --------------------------------------------------------------------------

const KILN = kilnWebGpu();

/**
 * `runner` with a summary of Kiln's counters: dispatches per run, queue submits per run (counted
 * around each run, so that another executable's submits in between never count), pipeline creation.
 */
function withStats(runner: Runner, exe: Executable): Runner {
  let runs = 0;
  let submits = 0;
  return {
    ...runner,
    async run() {
      const before = KILN.stats(exe)?.submits ?? 0;
      const out = await runner.run();
      submits += (KILN.stats(exe)?.submits ?? 0) - before;
      runs++;
      return out;
    },
    summary() {
      const s = KILN.stats(exe);
      if (!s) return ['kiln: its executable has no stats (not the WebGPU backend)'];
      return [
        `kiln: ${s.dispatchesPerRun} dispatches and ${(submits / Math.max(runs, 1)).toFixed(2)} queue submits per run (over ${runs} runs); pipeline creation ${ms(s.pipelineMs)}; adapter ${s.adapter}`,
      ];
    },
  };
}

function kilnMatmul(n: number): Entry {
  return {
    library: 'kiln',
    async make() {
      const exe = await KILN.compile(matmulGraph(n), {});
      return withStats(kilnRunner(exe, { a: f32([n, n], matA(n)), b: f32([n, n], matB(n)) }, 'c'), exe);
    },
  };
}

function kilnTrainStep(batch: number): Entry {
  return {
    library: 'kiln',
    async make() {
      const trainer = KILN.trainer(batch);
      const t0 = performance.now();
      // Guarded, as the Trainer runs it: a step with a non-finite update commits nothing.
      const exe = await KILN.compile(trainer.trainGraph, { B: batch }, true);
      const compileMs = performance.now() - t0;
      exe.setParams(kilnParams(mlpWeights()));
      const { x, y } = mlpBatch(batch);
      const notes = [
        `kiln: each run is one exe.run({ x, y, lr }) of the compiled step (compile() took ${ms(compileMs)}, measured once); 'kiln Trainer.step' is the same step through the Trainer`,
      ];
      const inputs = { x: f32([batch, LAYERS[0]![0]], x), y: { dtype: 'i32' as const, shape: [batch], data: y }, lr: new Float32Array([LR]) };
      return withStats(kilnRunner(exe, inputs, 'loss', notes), exe);
    },
  };
}

function kilnTrainerStep(batch: number): Entry {
  return {
    library: 'kiln Trainer.step',
    async make() {
      const trainer = await KILN.compileTraining(batch);
      trainer.setParams(kilnParams(mlpWeights()));
      const { x, y } = mlpBatch(batch);
      const feed = { x: f32([batch, LAYERS[0]![0]], x), y: { dtype: 'i32' as const, shape: [batch], data: y } };
      return { run: async () => [(await trainer.step(feed)).loss!] };
    },
  };
}

function kilnInference(batch: number): Entry {
  return {
    library: 'kiln',
    async make() {
      const exe = await KILN.compile(kilnMlp(false), { B: batch });
      exe.setParams(kilnParams(mlpWeights()));
      return withStats(kilnRunner(exe, { x: f32([batch, LAYERS[0]![0]], mlpBatch(batch).x) }, 'logits'), exe);
    },
  };
}

function kilnElementwise(): Entry {
  return {
    library: 'kiln',
    async make() {
      const exe = await KILN.compile(elementwiseGraph(), {});
      return withStats(kilnRunner(exe, { x: f32([EW_SIZE], ewInput()) }, 'y'), exe);
    },
  };
}

// ---- run ----------------------------------------------------------------------------------

/** Kiln, TensorFlow.js and jax-js, each on WebGPU. */
const ROWS: Rows = {
  matmul: (n) => [kilnMatmul(n), tfMatmul(n, TF_WEBGPU), jaxMatmul(n, JAX_WEBGPU)],
  trainStep: (batch) => [kilnTrainStep(batch), kilnTrainerStep(batch), tfTrainStep(batch, TF_WEBGPU), jaxTrainStep(batch, JAX_WEBGPU)],
  inference: (batch) => [kilnInference(batch), tfInference(batch, TF_WEBGPU), jaxInference(batch, JAX_WEBGPU)],
  elementwise: () => [kilnElementwise(), tfElementwise(TF_WEBGPU), jaxElementwise(JAX_WEBGPU)],
};

/** A setup line, or why that library's rows will fail. */
async function setupLine(setup: () => Promise<string>): Promise<string> {
  try {
    return await setup();
  } catch (err) {
    return `setup failed: ${(err as Error).message}`;
  }
}

async function header(quick: boolean): Promise<void> {
  const gpu = installNavigatorGpu();
  const cpus = os.cpus();
  console.log(`Kiln vs TensorFlow.js vs jax-js, all on WebGPU (Dawn's Node bindings) in one Node process${quick ? ' (--quick)' : ''}`);
  console.log(`  node ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} CPU(s)${cpus[0] ? `: ${cpus[0].model}` : ''}; webgpu (Dawn) ${versionOf('webgpu')}`);
  console.log(`  adapter: ${await sharedAdapter(gpu)}; every library asks navigator.gpu (Dawn's) for it`);
  console.log(`  kiln: backend 'webgpu'; its adapter and counters follow each workload`);
  console.log(
    `  ${TFJS_WEBGPU}: @tensorflow/tfjs ${versionOf('@tensorflow/tfjs')}, tfjs-backend-webgpu ${versionOf('@tensorflow/tfjs-backend-webgpu')}: ${await setupLine(initTfjsWebGpu)}`,
  );
  console.log(`  ${JAX_WEBGPU}: @jax-js/jax ${versionOf('@jax-js/jax')}, ${await setupLine(initJaxWebGpu)}`);
}

async function main(): Promise<void> {
  const options = argsOrExit(parseArgs);
  if (!options) return;
  const budget = options.quick ? QUICK : FULL;
  await header(options.quick);
  console.log(`  ${describeBudget(budget)}`);
  console.log(
    "  inputs and parameters stay on each library's device (kiln: as its executable keeps them); every run waits for its outputs on the host (kiln: run's copies; tfjs: await data(); jax-js: await data(), and blockUntilReady on W2's new parameters)",
  );
  console.log("  setup: kiln compile(), the others' tensors and variables; 1st run includes pipeline creation and jax-js's jit compilation");
  for (const id of options.workloads) {
    for (const w of workloads(id, ROWS)) report(w, await measure(w.entries, budget));
  }
}

await main();
