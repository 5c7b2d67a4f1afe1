// The pipeline: every stage from a model to a kernel program, in order, by name, so that any
// stage can be dumped (`kiln inspect --after grad`) and checked (the verifier between graph stages).
//
//   model  --reseed, regularize, training-mode, grad, optimizer-->  the training step (training only)
//   --decompose, specialize-->  primitives, concrete shapes (what the reference backend runs)
//   --constant-fold, simplify, cse, dce (twice)-->  the smaller graph that fusion receives
//   --fusion-->  kernels  --in-place-updates, guard-updates, memory, schedule-->  the planned kernel program
//
// Stages that need what only training supplies (a seed, a loss, an optimizer) take it from the
// context and are skipped without it; so compile() and the Trainer run this one list.

import type { KernelProgram } from '../../runtime/kernel-ir.js';
import { fail, KilnError } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { verify } from '../ir/verify.js';
import { updateInPlace } from '../kernels/in-place-updates.js';
import { lowerToKernels } from '../kernels/lower.js';
import { planMemory } from '../kernels/memory.js';
import { guardUpdates } from '../kernels/guard-updates.js';
import { scheduleProgram, type DeviceLimits, type ScheduleTarget } from '../kernels/schedule.js';
import { grad } from './autodiff.js';
import { constantFold } from './constant-fold.js';
import { cse } from './cse.js';
import { dce } from './dce.js';
import { decompose } from './decompose.js';
import { appendOptimizer } from './optimizer.js';
import type { Optimizer } from './optimizers.js';
import { regularize } from './regularize.js';
import type { Regularization } from './regularize.js';
import { reseed } from './reseed.js';
import { simplify } from './simplify.js';
import { specialize } from './specialize.js';
import { setTrainingMode } from './training-mode.js';

/** What training supplies to its stages. */
export interface TrainingContext {
  /** The scalar output minimized. */
  loss: string;
  /** Mixed into every initializer and random op (stage reseed). */
  seed?: number;
  regularization?: Regularization;
  /** The parameters differentiated and updated; stage grad runs only when given. */
  trainable?: readonly string[];
  /** Stage optimizer runs only when given (after grad). */
  optimizer?: Optimizer;
}

export interface StageContext {
  /** Sizes of symbolic dims, for specialize. */
  shapes?: Readonly<Record<string, number>>;
  /** The mode of ops that behave differently in training (dropout); stage training-mode runs only when given. */
  mode?: boolean;
  training?: TrainingContext;
  /** Make the program's updates all or nothing, committed only when every new value is finite (stage guard-updates). */
  guardUpdates?: boolean;
  /** The target whose renderer the kernels are scheduled for (stage schedule; default 'wasm'), and its device's limits. */
  target?: ScheduleTarget;
  limits?: DeviceLimits;
}

/** Options of the graph passes alone (the optimization part of the list). */
export type PassOptions = Pick<StageContext, 'shapes'>;

interface StageCommon {
  name: string;
  /** Whether the stage has what it needs in `ctx`; a stage that does not apply passes its input on. */
  applies?(ctx: StageContext): boolean;
}
export interface GraphStage extends StageCommon {
  kind: 'graph';
  run(g: Graph, ctx: StageContext): Graph;
}
export interface LowerStage extends StageCommon {
  kind: 'lower';
  run(g: Graph, ctx: StageContext): KernelProgram;
}
export interface ProgramStage extends StageCommon {
  kind: 'program';
  run(p: KernelProgram, ctx: StageContext): KernelProgram;
}
export type Stage = GraphStage | LowerStage | ProgramStage;

/** A graph pass, kept under its old name. */
export type Pass = GraphStage;

const training = (ctx: StageContext): TrainingContext => ctx.training!;

export const STAGES: readonly Stage[] = [
  // A different seed, a different draw of every initializer and random op.
  { name: 'reseed', kind: 'graph', applies: (c) => c.training?.seed !== undefined, run: (g, c) => reseed(g, training(c).seed!) },
  // Penalties join the loss before it is differentiated.
  { name: 'regularize', kind: 'graph', applies: (c) => c.training !== undefined, run: (g, c) => regularize(g, training(c).regularization ?? {}, training(c).loss) },
  { name: 'training-mode', kind: 'graph', applies: (c) => c.mode !== undefined, run: (g, c) => setTrainingMode(g, c.mode!) },
  // The step returns scalars only (loss and metrics); predictions stay in evaluation.
  { name: 'grad', kind: 'graph', applies: (c) => c.training?.trainable !== undefined, run: gradStage },
  {
    name: 'optimizer',
    kind: 'graph',
    applies: (c) => c.training?.trainable !== undefined && c.training.optimizer !== undefined,
    run: (g, c) => dce(appendOptimizer(g, training(c).optimizer!, training(c).trainable!)),
  },
  // Composites become the primitives they are defined as; every later pass sees primitives only.
  { name: 'decompose', kind: 'graph', run: (g) => decompose(g) },
  // Symbolic dims get their sizes, so folding can count elements (mean's divisor over B).
  { name: 'specialize', kind: 'graph', run: (g, c) => specialize(g, c.shapes ? { shapes: c.shapes } : {}) },
  // Ops of constants become constants: divisors, optimizer coefficients, splats broadcast.
  { name: 'constant-fold', kind: 'graph', run: (g) => constantFold(g) },
  // Algebraic identities: x * 1, reshape of reshape, transposes that cancel, ...
  { name: 'simplify', kind: 'graph', run: (g) => simplify(g) },
  // Equal computations become one (the gradient graph repeats transposes and broadcasts).
  { name: 'cse', kind: 'graph', run: (g) => cse(g) },
  // What nothing reads any more goes: folded operands, replaced nodes, merged duplicates.
  { name: 'dce', kind: 'graph', run: (g) => dce(g) },
  // Once more: merged operands make new identities and constants (where(c, x, x) once both
  // sides are one value), and new identities new duplicates.
  { name: 'constant-fold-2', kind: 'graph', run: (g) => constantFold(g) },
  { name: 'simplify-2', kind: 'graph', run: (g) => simplify(g) },
  { name: 'cse-2', kind: 'graph', run: (g) => cse(g) },
  { name: 'dce-2', kind: 'graph', run: (g) => dce(g) },
  // Fusion: each stored value becomes a kernel, everything else is inlined into them.
  { name: 'fusion', kind: 'lower', run: (g) => lowerToKernels(g) },
  // Parameters take their new values in the kernel that computes them, where that is safe.
  { name: 'in-place-updates', kind: 'program', run: (p) => updateInPlace(p) },
  // A training step commits its updates only when every new value is finite; the check rides on the kernels that store them.
  { name: 'guard-updates', kind: 'program', applies: (c) => c.guardUpdates === true, run: (p) => guardUpdates(p) },
  // Temps get offsets in one arena.
  { name: 'memory', kind: 'program', run: (p) => planMemory(p) },
  // How the target renders each kernel: threads, vectors, tiles, workgroups (after memory: Wasm's choice depends on where buffers live).
  { name: 'schedule', kind: 'program', run: (p, c) => scheduleProgram(p, c.target ?? 'wasm', c.limits) },
];

export const STAGE_NAMES: readonly string[] = STAGES.map((s) => s.name);

/** The graph passes that optimize: decompose through dce-2. */
export const PASSES: readonly Pass[] = STAGES.slice(STAGE_NAMES.indexOf('decompose'), STAGE_NAMES.indexOf('dce-2') + 1) as Pass[];
export const PASS_NAMES: readonly string[] = PASSES.map((p) => p.name);

/** The stages that need a training context: asking for one without it is a usage error in the CLI. */
export const TRAINING_STAGES: readonly string[] = ['reseed', 'regularize', 'grad', 'optimizer'];

function gradStage(g: Graph, ctx: StageContext): Graph {
  const t = training(ctx);
  const scalar = (value: string): boolean => {
    const type = [...g.inputs, ...g.params, ...g.nodes].find((v) => v.name === value)!.type;
    return type.shape.length === 0 && type.dtype === 'f32';
  };
  const stepModel = { ...g, outputs: g.outputs.filter((o) => scalar(o.value)) };
  return grad(stepModel, { loss: t.loss, wrt: [...t.trainable!] });
}

export interface StageOptions {
  /** Run the verifier after every graph stage: a stage that breaks the graph is named. Default: env KILN_VERIFY=1. */
  verify?: boolean;
  /** Start at the stage of this name (default: the first). */
  from?: string;
  /** Stop after the stage of this name (default: the last). */
  until?: string;
  /** Called with each applied stage's result. */
  onStage?: (name: string, value: Graph | KernelProgram) => void;
}

function indexOf(name: string, names: readonly string[]): number {
  const i = names.indexOf(name);
  if (i < 0) fail('usage', `unknown pass '${name}' (the passes, in order: ${names.join(', ')})`);
  return i;
}

/** The stages from `from` through `until`, both included. */
export function stagesBetween(from: string | undefined, until: string | undefined): readonly Stage[] {
  const first = from === undefined ? 0 : indexOf(from, STAGE_NAMES);
  const last = until === undefined ? STAGES.length - 1 : indexOf(until, STAGE_NAMES);
  return STAGES.slice(first, last + 1);
}

/** Whether the environment asks for the verifier between stages (KILN_VERIFY=1). */
export function verifyFromEnv(): boolean {
  return typeof process !== 'undefined' && process.env?.['KILN_VERIFY'] === '1';
}

export const isProgram = (v: Graph | KernelProgram): v is KernelProgram => 'kernels' in v;

/** Runs the stages from `from` through `until` on a graph (or, from a program stage on, a kernel program). */
export function runStages(input: Graph | KernelProgram, ctx: StageContext = {}, options: StageOptions = {}): Graph | KernelProgram {
  const check = options.verify ?? verifyFromEnv();
  let value = input;
  for (const stage of stagesBetween(options.from, options.until)) {
    if (stage.applies && !stage.applies(ctx)) continue;
    if (stage.kind === 'program') {
      if (!isProgram(value)) fail('usage', `stage ${stage.name} takes a kernel program; start at a graph stage`);
      value = stage.run(value, ctx);
    } else {
      if (isProgram(value)) fail('usage', `stage ${stage.name} takes a graph, not a kernel program`);
      value = stage.run(value, ctx);
      if (check && stage.kind === 'graph') verifyAfter(stage.name, value as Graph);
    }
    options.onStage?.(stage.name, value);
  }
  return value;
}

/** The graph after the graph stages through `until` (which must be one). */
export function runGraphStages(g: Graph, ctx: StageContext, options: StageOptions & { until: string }): Graph {
  const v = runStages(g, ctx, options);
  return isProgram(v) ? fail('usage', `stage ${options.until} makes a kernel program, not a graph`) : v;
}

/** The kernel program of a graph: every stage, the optimizing passes, fusion and memory planning. */
export function runToKernels(g: Graph, ctx: StageContext = {}, options: Omit<StageOptions, 'until'> = {}): KernelProgram {
  return runStages(g, ctx, options) as KernelProgram;
}

export interface PipelineOptions extends PassOptions {
  /** Run the verifier after every pass (tests and debugging): a pass that breaks the graph is named. */
  verify?: boolean;
  /** Stop after the pass of this name. */
  until?: string;
  /** Called with each pass's result. */
  onPass?: (name: string, graph: Graph) => void;
}

/** The passes that run for `until`: all of them, or those up to and including it. */
export function passesUntil(until: string | undefined): readonly Pass[] {
  return until === undefined ? PASSES : PASSES.slice(0, indexOf(until, PASS_NAMES) + 1);
}

/** The optimizing graph passes alone (decompose through dce-2) on a graph. */
export function runPipeline(g: Graph, options: PipelineOptions = {}): Graph {
  const until = passesUntil(options.until).at(-1)!.name;
  return runStages(g, options.shapes ? { shapes: options.shapes } : {}, {
    from: PASS_NAMES[0]!,
    until,
    ...(options.verify !== undefined ? { verify: options.verify } : {}),
    ...(options.onPass ? { onStage: (name, v) => options.onPass!(name, v as Graph) } : {}),
  }) as Graph;
}

function verifyAfter(pass: string, g: Graph): void {
  try {
    verify(g);
  } catch (e) {
    if (e instanceof KilnError) throw new KilnError(e.code, `after pass ${pass}: ${e.detail}`, e.span);
    throw e;
  }
}

export interface PassStats {
  /** The pass, or '(input)' for the graph before any pass. */
  pass: string;
  nodes: number;
  byOp: Record<string, number>;
}

function countNodes(pass: string, graph: Graph): PassStats {
  const byOp: Record<string, number> = {};
  for (const n of graph.nodes) byOp[n.op] = (byOp[n.op] ?? 0) + 1;
  return { pass, nodes: graph.nodes.length, byOp };
}

/** The node count, in all and by op, of the graph given and after each graph stage that applies through `until` (default dce-2). */
export function stageStats(g: Graph, ctx: StageContext, options: Omit<StageOptions, 'onStage'> = {}): PassStats[] {
  const until = options.until ?? PASS_NAMES.at(-1)!;
  const stage = STAGES[indexOf(until, STAGE_NAMES)]!;
  if (stage.kind !== 'graph') fail('usage', `--stats counts graph nodes; --after ${until} prints kernels`);
  const stats = [countNodes('(input)', g)];
  runStages(g, ctx, { ...options, until, onStage: (name, v) => stats.push(countNodes(name, v as Graph)) });
  return stats;
}

/** The node count, in all and by op, of the graph given and after each optimizing pass. */
export function passStats(g: Graph, options: Omit<PipelineOptions, 'onPass'> = {}): PassStats[] {
  const until = passesUntil(options.until).at(-1)!.name;
  return stageStats(g, options.shapes ? { shapes: options.shapes } : {}, { from: PASS_NAMES[0]!, until, ...(options.verify !== undefined ? { verify: options.verify } : {}) });
}
