// `kiln inspect`: a model as IR text, or what any stage of the pipeline leaves (`--after NAME`,
// graph or kernels), or node counts per stage (`--stats`); with `--train`, the training stages
// (reseed, regularize, grad, optimizer) run too, as `kiln train` would run them; `--summary`
// prints the table of layers and parameter counts instead. `--after schedule` shows each kernel's
// schedule, for the target `--target` names.

import type { Command } from 'commander';
import { KilnError, fail } from '../ir/errors.js';
import { bindShapes } from '../ir/bind.js';
import { graphSymbols } from '../ir/bind.js';
import { expandComposites } from '../ir/emit.js';
import type { Graph } from '../ir/graph.js';
import { summary } from '../ir/summary.js';
import { printGraph } from '../ir/text.js';
import { liveLowerBound, totalTempBytes } from '../kernels/memory.js';
import { printKernels } from '../kernels/print.js';
import { SCHEDULE_TARGETS, type ScheduleTarget } from '../kernels/schedule.js';
import { grad } from '../passes/autodiff.js';
import { STAGE_NAMES, TRAINING_STAGES, isProgram, runStages, stageStats, stagesBetween } from '../passes/pipeline.js';
import type { StageContext } from '../passes/pipeline.js';
import { loadModelFile } from './load.js';
import { OPTIMIZERS, chooseOptimizer, integerFlag, numberFlag } from './train.js';

interface InspectFlags {
  shapes: string[];
  expand?: boolean;
  grad?: boolean;
  train?: boolean;
  loss: string;
  optimizer?: string;
  lr?: string;
  seed?: string;
  l2?: string;
  after?: string;
  stats?: boolean;
  summary?: boolean;
  target?: string;
}

export interface InspectHelpers {
  out: (s: string) => void;
  parseShapes: (specs: readonly string[]) => Record<string, number>;
  collect: (value: string, previous: string[]) => string[];
}

/** The training context from the flags and the model's train section, as `kiln train` builds it. */
function trainingContext(g: Graph, flags: InspectFlags, section: Parameters<typeof chooseOptimizer>[1]): StageContext {
  const trainable = g.params.filter((p) => p.type.dtype === 'f32').map((p) => p.name);
  if (trainable.length === 0) throw new KilnError('usage', `--train: graph ${g.name} has no f32 parameters to train`);
  const seed = flags.seed !== undefined ? integerFlag('--seed', flags.seed, 0) : section.seed;
  const l2 = flags.l2 !== undefined ? numberFlag('--l2', flags.l2, (v) => v >= 0, 'a non-negative number') : (section.l2 ?? 0);
  const l1 = section.l1 ?? 0;
  return {
    mode: true,
    guardUpdates: true,
    training: {
      loss: flags.loss,
      optimizer: chooseOptimizer(flags, section),
      trainable,
      ...(seed !== undefined ? { seed } : {}),
      ...(l1 > 0 || l2 > 0 ? { regularization: { l1, l2 } } : {}),
    },
  };
}

/**
 * The IR after a stage (`until`), or a table of node counts per graph stage. Shapes are bound
 * before the stages run (by --shapes), so specialize has nothing left to bind; a graph that still
 * has symbols cannot go through it.
 */
function inspectStages(g: Graph, ctx: StageContext, until: string, stats: boolean): string {
  const stages = stagesBetween(undefined, until);
  if (!ctx.training && TRAINING_STAGES.includes(until)) throw new KilnError('usage', `--after ${until}: a training stage; add --train`);
  const symbols = graphSymbols(g);
  if (symbols.size > 0 && stages.some((p) => p.name === 'specialize')) {
    const [symbol, where] = [...symbols][0]!;
    const list = [...symbols.keys()].map((s) => `${s}=<size>`).join(',');
    throw new KilnError('usage', `the specialize pass needs a size for every symbolic dim: '${symbol}' (first in ${where}) is unbound; give --shapes ${list}`);
  }
  if (stats) return statsTable(g, ctx, until);
  const value = runStages(g, ctx, { until });
  if (!isProgram(value)) return printGraph(value);
  const arena = until === 'memory' ? `# arena ${value.arenaBytes} bytes; liveness lower bound ${liveLowerBound(value)}; all temps ${totalTempBytes(value)}\n` : '';
  return `${printKernels(value)}\n${arena}`;
}

function statsTable(g: Graph, ctx: StageContext, until: string): string {
  const rows = stageStats(g, ctx, { until });
  const width = Math.max(...rows.map((r) => r.pass.length), 'pass'.length);
  const lines = [`${'pass'.padEnd(width)}  ${'nodes'.padStart(6)}  ${'change'.padStart(6)}`];
  rows.forEach((r, i) => {
    const delta = i === 0 ? '' : r.nodes - rows[i - 1]!.nodes;
    const change = delta === '' ? '' : delta > 0 ? `+${delta}` : String(delta);
    lines.push(`${r.pass.padEnd(width)}  ${String(r.nodes).padStart(6)}  ${change.padStart(6)}`.trimEnd());
  });
  return lines.join('\n') + '\n';
}

function scheduleTarget(name: string): ScheduleTarget {
  const target = SCHEDULE_TARGETS.find((t) => t === name);
  return target ?? fail('usage', `--target: unknown target '${name}' (${SCHEDULE_TARGETS.join(', ')})`);
}

function inspectAction(file: string, opts: InspectFlags, cmd: Command, h: InspectHelpers): void {
  const given = (flag: string) => cmd.getOptionValueSource(flag) === 'cli';
  if (given('loss') && !opts.grad && !opts.train) throw new KilnError('usage', '--loss applies only with --grad or --train');
  if (opts.grad && opts.train) throw new KilnError('usage', '--grad and --train exclude each other (--train runs grad as a stage)');
  for (const flag of ['optimizer', 'lr', 'seed', 'l2']) if (given(flag) && !opts.train) throw new KilnError('usage', `--${flag} applies only with --train`);
  for (const flag of ['grad', 'train', 'expand', 'after', 'stats'])
    if (opts.summary && given(flag)) throw new KilnError('usage', `--summary prints the model's layers; it takes no --${flag}`);
  const { graph, train: section = {} } = loadModelFile(file);
  let g = graph;
  if (opts.shapes.length) g = bindShapes(g, h.parseShapes(opts.shapes));
  if (opts.summary) return h.out(summary(g));
  if (opts.grad) {
    if (!g.params.some((p) => p.type.dtype === 'f32')) throw new KilnError('usage', `--grad: graph ${g.name} has no f32 parameters to differentiate with respect to`);
    g = grad(g, { loss: opts.loss });
  }
  if (opts.expand) g = expandComposites(g);
  const ctx: StageContext = { ...(opts.train ? trainingContext(g, opts, section) : {}), ...(opts.target !== undefined ? { target: scheduleTarget(opts.target) } : {}) };
  // --train alone prints the training step: the graph after the optimizer stage.
  const until = opts.after ?? (opts.stats ? 'dce-2' : opts.train ? 'optimizer' : undefined);
  h.out(until === undefined ? printGraph(g) : inspectStages(g, ctx, until, opts.stats ?? false));
}

export function registerInspect(program: Command, h: InspectHelpers): void {
  program
    .command('inspect')
    .description('print a model (.kiln, IR JSON or IR text) as IR text, or what a stage of the pipeline leaves')
    .argument('<file>', 'a .kiln, .json (IR JSON) or .kir (IR text) file')
    .option('--shapes <bindings>', 'bind symbolic dims, e.g. B=128 (repeatable)', h.collect, [])
    .option('--expand', 'expand composite ops into primitives')
    .option('--grad', 'append the backward graph: gradients of the loss with respect to every f32 parameter')
    .option('--train', 'run the training stages too (reseed, regularize, grad, optimizer), as kiln train does')
    .option('--loss <name>', 'the scalar output --grad or --train differentiates', 'loss')
    .option('--optimizer <name>', `--train: ${OPTIMIZERS.join(', ')}; default: the train section, else adam`)
    .option('--lr <rate>', '--train: learning rate (default: 1e-3 for adam and adamw, 0.01 for sgd and momentum)')
    .option('--seed <n>', '--train: seeds the initial weights and random ops (stage reseed)')
    .option('--l2 <strength>', '--train: L2 penalty on the weights (stage regularize)')
    .option('--after <stage>', `run the pipeline up to this stage and print what it leaves, a graph or kernels (${STAGE_NAMES.join(', ')})`)
    .option('--target <target>', `the target stage schedule chooses for: ${SCHEDULE_TARGETS.join(' or ')} (default wasm)`)
    .option('--stats', 'print the node count after each graph stage instead of the IR')
    .option('--summary', 'print a table of the layers (parameter groups): output shapes, parameter counts and totals')
    .action((file: string, opts: InspectFlags, cmd: Command) => inspectAction(file, opts, cmd, h));
}
