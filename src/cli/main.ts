// The `kiln` command line: a thin layer over the public API. Errors from Kiln are printed as one
// line (with file:line:col where there is a source), never as a stack trace.

import { renameSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Command, CommanderError } from 'commander';
import { KilnRuntimeError } from '../../runtime/tensor.js';
import type { TensorLike } from '../../runtime/tensor.js';
import { compile, OPS, KilnError } from '../index.js';
import type { Tensor } from '../index.js';
import { DiagnosticsError, checkModel, formatDiagnostic, formatModel } from '../frontend/dsl/index.js';
import { loadCheckpoint } from '../../runtime/checkpoint.js';
import { fsReason } from '../../runtime/fs.js';
import { cliMessage } from '../ir/hints.js';
import { schemaOf } from '../ir/op.js';
import { artifactBackends, describeBackends, threadedList } from '../backends/registry.js';
import { moduleThreads } from '../../runtime/threads.js';
import { exportArtifact } from '../export.js';
import { load, weightsFor } from '../model-file.js';
import type { Graph } from '../ir/graph.js';
import { registerInspect } from './inspect.js';
import { loadGraphFile, readSource } from './load.js';
import type { ProgressStream } from './progress.js';
import { registerBench } from './bench.js';
import { OPTIMIZERS, backendFlag, threadsFlag, trainCommand } from './train.js';
import type { TrainFlags } from './train.js';

export { loadGraphFile };

/** A command whose findings are printed ends with exit code 1 through this. */
class CheckFailed extends Error {}

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

/** A model file (trainer.save, saveModel): a graph with its weights. */
const isModelFile = (file: string): boolean => extname(file) === '.safetensors';

/** A model to run or compile; a model file (.safetensors, from trainer.save or saveModel) brings its stored weights too. */
async function modelAndWeights(file: string): Promise<{ graph: Graph; weights?: Record<string, Tensor> }> {
  if (!isModelFile(file)) return { graph: loadGraphFile(file) };
  const saved = await load(file);
  return { graph: saved.graph, weights: saved.weights() };
}

/** `kiln run`: a model on a backend, its outputs printed. */
function registerRun(program: Command, out: (s: string) => void): void {
  program
    .command('run')
    .description('run a model on a backend and print its outputs')
    .argument('<file>', 'a .kiln, .json (IR JSON) or .kir (IR text) file, or a model file (.safetensors, with its weights)')
    .requiredOption('--inputs <file>', 'a JSON object of named inputs (nested number arrays)')
    .option('--shapes <bindings>', 'bind symbolic dims, e.g. B=4 (repeatable)', collect, [])
    .option('--backend <name>', `where to run: ${describeBackends()}`, 'wasm')
    .option('--threads <n>', 'wasm: worker threads sharing each large kernel (default 1)')
    .option('--weights <file>', 'run with the weights of a model file or checkpoint (kiln train --save)')
    .action(async (file: string, opts: { inputs: string; shapes: string[]; backend: string; threads?: string; weights?: string }) => {
      const options = { backend: backendFlag(opts.backend), shapes: parseShapes(opts.shapes), threads: threadsFlag(opts.threads) };
      // A model file compiles with its stored weights (SavedModel.compile).
      const exe = isModelFile(file) ? await (await load(file)).compile(options) : await compile(loadGraphFile(file), options);
      if (opts.weights !== undefined) exe.setParams(weightsFor(exe.paramSpecs, (await loadCheckpoint(opts.weights)).params, opts.weights));
      const text = readSource(opts.inputs);
      let inputs: Record<string, TensorLike>;
      try {
        inputs = JSON.parse(text) as Record<string, TensorLike>;
      } catch (e) {
        throw new KilnError('usage', `${opts.inputs}: the inputs are not JSON (${(e as Error).message})`);
      }
      const outputs = await exe.run(inputs);
      for (const [name, t] of Object.entries(outputs)) out(`${name} = ${formatTensor(t)}\n`);
    });
}

/** `kiln train`: a model trained on a data set (src/cli/train.ts). */
function registerTrain(program: Command, out: (s: string) => void, progress: ProgressStream): void {
  program
    .command('train')
    .description('train a model on a dataset and report each epoch and the test set')
    .argument('<model>', 'a .json (IR JSON) or .kir (IR text) file with inputs x, y and a scalar output loss')
    .option('--dataset <name>', 'mnist, or csv:PATH (numeric columns; the label column becomes y); default: the train section')
    .option('--limit <n>', 'use n examples (mnist: a class-balanced subset; csv: the first n rows)')
    .option('--label <column>', 'csv: the label column, a header name or an index (default: the last column)')
    .option('--label-dtype <dtype>', "csv: i32 (class labels) or f32 (targets); default: the model's y dtype")
    .option('--split <ratios>', 'train:validation:test ratios; 0 leaves a set out (default: the train section, else 8:1:1)')
    .option('--epochs <n>', 'passes over the training set (default: the train section, else 10)')
    .option('--batch <n>', 'examples per step (default: the train section, else 32)')
    .option('--optimizer <name>', `${OPTIMIZERS.join(', ')} (momentum: sgd with momentum 0.9); default: the train section, else adam`)
    .option('--lr <rate>', 'learning rate (default: 1e-3 for adam and adamw, 0.01 for sgd and momentum)')
    .option('--seed <n>', 'seeds the initial weights, the split, the subset and the shuffles')
    .option('--patience <n>', 'stop after n epochs without a better val_loss (loss without a validation set), keeping the best weights')
    .option('--l2 <strength>', 'L2 penalty on the weights (parameters of rank >= 2)')
    .option('--curve <file>', 'write the loss and accuracy per epoch as an SVG chart')
    .option('--save <file>', 'write the model, its trained weights and the optimizer state as a model file')
    .option('--resume <file>', 'continue from a model file or checkpoint (--save): its weights, optimizer state, step and, unless --optimizer is given, optimizer')
    .option('--backend <name>', `where to train: ${describeBackends()}`, 'wasm')
    .option('--threads <n>', 'wasm: worker threads sharing each large kernel (default 1)')
    .option('--no-progress', 'no progress bar (there is none when stderr is not a terminal)')
    .action((file: string, opts: TrainFlags) => trainCommand(file, opts, { out, progress }));
}

/** `kiln compile`: an artifact for a backend that writes one. */
function registerCompile(program: Command, out: (s: string) => void): void {
  program
    .command('compile')
    .description('compile a model ahead of time into an artifact that runtime/ loads and runs')
    .argument('<file>', 'a .kiln, .json (IR JSON) or .kir (IR text) file, or a model file (.safetensors, with its weights)')
    .requiredOption('-o, --out <dir>', 'the artifact folder to write (manifest.json, weights.safetensors, module.wasm or kernels.wgsl.json)')
    .option('--target <target>', `the code to generate: ${describeBackends(artifactBackends())}`, 'wasm')
    .option('--shapes <bindings>', 'bind symbolic dims, e.g. B=32 (repeatable)', collect, [])
    .option('--outputs <names>', 'keep only these outputs, e.g. logits,probs: the loss, the labels and what else they alone need are dropped')
    .option('--batch <dim>', 'the symbolic dim that is the batch: the artifact then runs any batch up to its size in --shapes (refused if examples mix)')
    .option('--weights <checkpoint>', 'start from the trained weights of a checkpoint (kiln train --save)')
    .option('--threads <n>', 'wasm: a module for n worker threads over shared memory (default 1; the runtime then needs worker threads)')
    .action(async (file: string, opts: { out: string; target: string; shapes: string[]; outputs?: string; batch?: string; weights?: string; threads?: string }) => {
      const backend = artifactBackends().find((b) => b.name === opts.target);
      if (!backend)
        throw new KilnError(
          'usage',
          `--target: unknown target '${opts.target}' (available: ${artifactBackends()
            .map((b) => b.name)
            .join(', ')})`,
        );
      const threads = threadsFlag(opts.threads);
      if (threads > 1 && !backend.threads) throw new KilnError('usage', `--threads: only ${threadedList('--target', true)} runs on several threads`);
      const { graph: g, weights: stored } = await modelAndWeights(file);
      let weights: Record<string, Tensor> | undefined = stored;
      if (opts.weights !== undefined) {
        const { params } = await loadCheckpoint(opts.weights);
        // A training checkpoint also holds optimizer state; the model's parameters are what ship.
        const names = new Set(g.params.map((p) => p.name));
        const missing = [...names].filter((n) => !(n in params));
        if (missing.length) throw new KilnError('usage', `--weights: ${opts.weights} has no value for ${missing.join(', ')}`);
        weights = Object.fromEntries(Object.entries(params).filter(([n]) => names.has(n)));
      }
      const outputs = opts.outputs?.split(',').map((s) => s.trim());
      const options = { target: opts.target, shapes: parseShapes(opts.shapes), threads, ...(outputs ? { outputs } : {}), ...(opts.batch ? { batch: opts.batch } : {}) };
      const { manifest, program: p, wasm } = await exportArtifact(g, opts.out, { ...options, ...(weights ? { weights } : {}) });
      const ran = wasm ? moduleThreads(wasm) : 1;
      const shared = threads > 1 ? (ran > 1 ? ` for ${ran} threads` : ' for one thread (no kernel large enough to share)') : '';
      const shaders = manifest.target === 'webgpu' && manifest.code ? `, shaders ${manifest.code.byteLength} bytes (${manifest.code.file})` : '';
      const codeNote = wasm ? `, module ${wasm.length} bytes${shared}` : shaders;
      const io = `inputs ${p.inputs.map((i) => i.name).join(' ')}, outputs ${p.outputs.map((o) => o.name).join(' ')}`;
      const batch = manifest.batch ? `, batch 1 to ${manifest.batch.max} (${manifest.batch.dim})` : '';
      out(`wrote ${opts.out} (target ${manifest.target}): ${p.kernels.length} kernels, arena ${p.arenaBytes} bytes, ${p.params.length} parameters, ${io}${batch}${codeNote}\n`);
    });
}

/** `kiln check`: every diagnostic of model files. */
function registerCheck(program: Command, err: (s: string) => void): void {
  program
    .command('check')
    .description('report every error in model files (exit code 1 if there is any)')
    .argument('<files...>', '.kiln, .json or .kir files')
    .action((files: string[]) => {
      let failed = false;
      for (const file of files) {
        if (extname(file) !== '.kiln') {
          loadGraphFile(file); // IR files: parsed and verified, or a one-line error
          continue;
        }
        const source = readSource(file);
        const { diagnostics, sourceOf } = checkModel(source, file, { library: true });
        for (const d of diagnostics) err(`${formatDiagnostic(d, sourceOf)}\n`);
        failed ||= diagnostics.length > 0;
      }
      if (failed) throw new CheckFailed();
    });
}

/** `kiln fmt`: .kiln files in canonical form. */
function registerFmt(program: Command, out: (s: string) => void, err: (s: string) => void): void {
  program
    .command('fmt')
    .description('print a .kiln file in canonical form (or rewrite it, or check it is)')
    .argument('<files...>', '.kiln files')
    .option('--write', 'rewrite the files in place')
    .option('--check', 'only report files that are not formatted (exit code 1 if any)')
    .action((files: string[], opts: { write?: boolean; check?: boolean }) => {
      if (opts.write && opts.check) throw new KilnError('usage', 'fmt: --write and --check exclude each other');
      let unformatted = false;
      for (const file of files) {
        if (extname(file) !== '.kiln') throw new KilnError('usage', `${file}: fmt formats .kiln files`);
        const source = readSource(file);
        const formatted = formatModel(source, file);
        if (opts.check) {
          if (formatted !== source) {
            err(`${file}: not formatted\n`);
            unformatted = true;
          }
        } else if (opts.write) {
          if (formatted !== source) {
            // Written beside and renamed over, so a failure never leaves half a file.
            const temp = `${file}.${process.pid}.fmt.tmp`;
            try {
              writeFileSync(temp, formatted);
              renameSync(temp, file);
            } catch (e) {
              throw new KilnError('usage', `${file}: cannot write file (${fsReason(e)})`);
            }
          }
        } else {
          out(formatted);
        }
      }
      if (unformatted) throw new CheckFailed();
    });
}

/** `kiln ops`: the op registry. */
function registerOps(program: Command, out: (s: string) => void): void {
  program
    .command('ops')
    .description('list the ops Kiln knows, with their operands and attributes')
    .action(() => {
      for (const def of OPS.values()) {
        const attrs = Object.entries(schemaOf(def)).map(([k, s]) => `${k}: ${s.kind}${s.default !== undefined ? ` = ${JSON.stringify(s.default)}` : ''}`);
        const operands = def.variadic ? `${def.operands[0]}...` : def.operands.join(', ');
        out(`${def.name}(${operands})${attrs.length ? ` {${attrs.join(', ')}}` : ''}  [${def.kind}] ${def.doc}\n`);
      }
    });
}

function buildProgram(out: (s: string) => void, err: (s: string) => void, progress: ProgressStream): Command {
  const program = new Command('kiln')
    .description('Kiln: a dataflow-graph compiler and runtime for neural networks')
    .version('0.1.0')
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride();

  registerInspect(program, { out, parseShapes, collect });
  registerRun(program, out);
  registerTrain(program, out, progress);
  registerCompile(program, out);
  registerCheck(program, err);
  registerFmt(program, out, err);
  registerBench(program, { out });
  registerOps(program, out);
  return program;
}

/**
 * Runs the CLI; returns the process exit code. Output goes to `out`, errors to `err`; `train`
 * draws its progress bar on `progress` when that is a terminal.
 */
export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
  progress: ProgressStream = process.stderr,
): Promise<number> {
  const program = buildProgram(out, err, progress);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof CheckFailed) return 1; // its findings are printed already
    if (e instanceof DiagnosticsError) {
      err(`${e.report()}\n`);
      return 1;
    }
    if (e instanceof KilnError || e instanceof KilnRuntimeError) {
      // Hints that name an API option are printed with the command-line flag instead.
      err(`kiln: ${e instanceof KilnError ? cliMessage(e) : e.message}\n`);
      return 1;
    }
    throw e;
  }
}
