// KernelProgram → one WebAssembly module: each kernel becomes a function (kernel.ts) over its
// iteration space with the interpreter's semantics, and an exported run() calls them in schedule
// order. This file assembles the module: memory (runtime/wasm.ts's layout, its offsets baked into
// every load and store, then the threads' control block and each thread's scratch), the host
// imports (sin, cos, pow, and log and cos for the normal distribution's Box–Muller), mix32 for
// random streams, the transcendentals the kernels apply, and with threads the barrier between
// shared kernels.

import type { Kernel, KernelProgram } from '../../../runtime/kernel-ir.js';
import { PROGRAM_SECTION, alignUp, programDigest } from '../../../runtime/artifact.js';
import { parseProgram } from '../../../runtime/program-validator.js';
import {
  CONTROL_BYTES,
  MAX_THREADS,
  THREADS_SECTION,
  THREAD_CONTROL,
  wasmLayout,
  wasmPages,
  type HostMathFn,
  type ThreadedModuleInfo,
  type WasmLayout,
} from '../../../runtime/wasm.js';
import { fail } from '../../ir/errors.js';
import { scheduleProgram } from '../../kernels/schedule.js';
import { ModuleBuilder, type Expr } from './binaryen.js';
import { KernelGen } from './kernel.js';
import { scheduledPlan } from './matmul.js';
import { readsByData } from './schedule.js';
import { addTranscendentals, isTranscendental, type Transcendental } from './transcendental.js';

/** 64 KiB pages in the largest 32-bit WebAssembly memory (4 GiB). */
const MAX_PAGES = 65536;
/** Barrier checks before a waiting thread sleeps instead of spinning. */
const SPINS_BEFORE_SLEEP = 1 << 18;
/** Host functions (module `host`, supplied by runtime/wasm.ts): f64 → f64 (log and cos also serve the normal distribution's Box–Muller in f64). */
const HOST_F64 = ['log', 'sin', 'cos'] as const satisfies readonly HostMathFn[];

/**
 * Whether `threads` threads share a kernel, as its schedule says: not beyond the most shares it
 * is worth. A schedule from elsewhere may ask for what this renderer cannot do: it shares a
 * tiled matmul by its row tiles and other kernels along their first axis longer than 1, and never
 * a kernel that reads by data (a range error must come from thread 0, which reports it).
 */
function shared(p: KernelProgram, layout: WasmLayout, k: Kernel, threads: number): boolean {
  const parallel = k.schedule?.parallel;
  if (threads < 2 || !parallel || threads > (parallel.maxShares ?? Infinity)) return false;
  const axis = scheduledPlan(p, layout, k) ? k.shape.length - 2 : k.shape.findIndex((n) => n > 1);
  return parallel.axis === axis && !readsByData(k);
}

/** The transcendentals a program's kernels apply. */
function transcendentalsOf(p: KernelProgram): Transcendental[] {
  const used = new Set<Transcendental>();
  const visit = (x: unknown): void => {
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o['k'] === 'unary' && typeof o['fn'] === 'string' && isTranscendental(o['fn'])) used.add(o['fn']);
    for (const v of Object.values(o)) visit(v);
  };
  visit(p.kernels);
  return [...used];
}

/** lowbias32 (runtime/random.ts's mix32) as a Wasm function of one i32. */
function addMix32(m: ModuleBuilder): void {
  const x = (): Expr => m.get(0, 'i32');
  const step = (shift: number): Expr => m.set(0, m.i32('xor', x(), m.i32('shr_u', x(), m.i32Const(shift))));
  const mul = (by: number): Expr => m.set(0, m.i32('mul', x(), m.i32Const(by)));
  m.addFunction('mix32', ['i32'], 'i32', [], m.block([step(16), mul(0x7feb352d), step(15), mul(0x846ca68b), step(16), x()], 'i32'));
}

/**
 * A barrier for `threads` threads over the control block at `control`: the last to arrive resets
 * the count, advances the generation and wakes any sleepers; the others spin until it moves,
 * then (all but thread 0) sleep on it: more threads than cores must not burn the cores the
 * others need. Returns the abort flag, which also releases the waiting threads when one failed.
 */
function addBarrier(m: ModuleBuilder, control: number, threads: number): void {
  const c = (x: number): Expr => m.i32Const(x);
  // Parameter 0 is the thread's index; locals 1 and 2 the generation seen and the spins so far.
  const [tid, gen, spins] = [(): Expr => m.get(0, 'i32'), (): Expr => m.get(1, 'i32'), (): Expr => m.get(2, 'i32')];
  const abort = (): Expr => m.atomicLoad(control + THREAD_CONTROL.abort, c(0));
  const generation = (): Expr => m.atomicLoad(control + THREAD_CONTROL.generation, c(0));
  const wait = 'wait';
  const body = m.block(
    [
      m.set(1, generation()),
      m.if(
        m.i32('eq', m.atomicAdd(control + THREAD_CONTROL.count, c(0), c(1)), c(threads - 1)),
        m.block([
          m.atomicStore(control + THREAD_CONTROL.count, c(0), c(0)),
          m.atomicStore(control + THREAD_CONTROL.generation, c(0), m.i32('add', gen(), c(1))),
          m.atomicNotifyAll(c(control + THREAD_CONTROL.generation)),
          m.return(abort()),
        ]),
      ),
      m.set(2, c(0)),
      m.loop(
        wait,
        m.block([
          m.if(abort(), m.return(c(1))),
          m.if(m.i32('ne', generation(), gen()), m.return(abort())),
          m.set(2, m.i32('add', spins(), c(1))),
          // Thread 0 never sleeps: it may be a browser's main thread, where waiting traps.
          m.if(m.i32('and', m.i32('ge_u', spins(), c(SPINS_BEFORE_SLEEP)), m.i32('ne', tid(), c(0))), m.drop(m.atomicWait(c(control + THREAD_CONTROL.generation), gen()))),
          m.br(wait),
        ]),
      ),
    ],
    'i32',
  );
  m.addFunction('barrier', ['i32'], 'i32', ['i32', 'i32'], body);
}

export interface WasmOptions {
  /** binaryen's optimizer (default on). */
  optimize?: boolean;
  /** Receives the module as text before optimization. */
  text?: (wat: string) => void;
  /**
   * Threads that run the module together (default 1). Above 1 the module imports a shared
   * memory (env.memory), exports run(tid) for every thread to call at once, shares each large
   * kernel's iterations among them and meets at a barrier around each shared kernel. A program
   * without a kernel large enough to share gets a one-thread module.
   */
  threads?: number;
  /**
   * With threads: the least work (points times reduction steps) worth sharing; given, the program
   * is scheduled again with it (tests lower it to share every kernel).
   */
  minSplitWork?: number;
  /** Records the program's digest in a custom section, for an artifact's loader to match; compileWasm sets it, compile()'s own modules need none. */
  digest?: boolean;
}

/** Builds, validates and optimizes the module for a program; returns its bytes. */
export async function generateWasm(given: KernelProgram, options: WasmOptions = {}): Promise<Uint8Array> {
  const asked = options.threads ?? 1;
  if (!Number.isInteger(asked) || asked < 1 || asked > MAX_THREADS) fail('usage', `wasm backend: threads must be an integer from 1 to ${MAX_THREADS}, not ${asked}`);
  // The code follows each kernel's schedule; a program without one (from an older artifact) is scheduled here.
  const { minSplitWork } = options;
  const p = minSplitWork !== undefined || given.kernels.some((k) => !k.schedule) ? scheduleProgram(given, 'wasm', minSplitWork !== undefined ? { minSplitWork } : {}) : given;
  const layout = wasmLayout(p);
  // A program with no kernel worth sharing runs on one thread: waking workers would only cost.
  const split = p.kernels.map((k) => shared(p, layout, k, asked));
  const threads = split.some(Boolean) ? asked : 1;
  const m = await ModuleBuilder.create();
  // After the layout: the threads' control block, then each thread's scratch (packed matmul panels).
  const control = alignUp(layout.bytes);
  const scratch = threads > 1 ? alignUp(control + CONTROL_BYTES) : control;
  const scratchBytes = alignUp(Math.max(0, ...p.kernels.map((k) => scheduledPlan(p, layout, k)?.scratchBytes ?? 0)));
  const pages = wasmPages(scratch + threads * scratchBytes);
  if (pages > MAX_PAGES) fail('usage', `wasm backend: program '${p.name}' needs ${scratch + threads * scratchBytes} bytes of memory; a WebAssembly memory holds at most 4 GiB`);
  if (threads > 1) {
    m.importSharedMemory(pages, 'env', 'memory');
    const info: ThreadedModuleInfo = { threads, pages, control };
    m.customSection(THREADS_SECTION, new TextEncoder().encode(JSON.stringify(info)));
    addBarrier(m, control, threads);
  } else m.setMemory(pages, 'memory');
  // The program this module was compiled from: an artifact's loader matches it to the manifest's.
  if (options.digest) m.customSection(PROGRAM_SECTION, new TextEncoder().encode(programDigest(parseProgram(given))));
  for (const fn of HOST_F64) m.importFunction(fn, 'host', fn, ['f64'], 'f64');
  m.importFunction('pow', 'host', 'pow', ['f64', 'f64'], 'f64');
  m.importFunction('gather_range', 'host', 'gather_range', ['i32', 'i32'], 'none');
  m.importFunction('load_range', 'host', 'load_range', ['i32', 'i32', 'i32'], 'none');
  addMix32(m);
  addTranscendentals(m, transcendentalsOf(p));
  const steps: Expr[] = [];
  p.kernels.forEach((k, i) => {
    const gen = new KernelGen(m, p, layout, k, i, threads, split[i]);
    const { body, locals } = gen.body(scratch, scratchBytes);
    m.addFunction(`k${i}`, gen.params, 'none', locals, body);
    steps.push(m.call(`k${i}`, threads > 1 ? [m.get(0, 'i32')] : [], 'none'));
    // Around a shared kernel every thread finishes before any goes on (between two kernels of
    // thread 0's alone it need not wait); a failed thread stops them all.
    if (threads > 1 && i < p.kernels.length - 1 && (split[i] || split[i + 1])) steps.push(m.if(m.call('barrier', [m.get(0, 'i32')], 'i32'), m.return()));
  });
  m.addFunction('run', threads > 1 ? ['i32'] : [], 'none', [], m.block(steps));
  m.exportFunction('run', 'run');
  if (options.text) options.text(m.text());
  return m.finish(options.optimize ?? true);
}
