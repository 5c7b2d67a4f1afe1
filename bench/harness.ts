// What the side-by-side comparisons share (bench/compare.ts on Wasm, bench/webgpu.ts on WebGPU):
// the workloads W1-W4 with each library's rows, the timing in turns, and the report (medians,
// p10-p90, throughput, Kiln's ratio to each library, how far outputs are from Kiln's).

import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EW_A, EW_B, EW_SIZE, LR, NotAvailable, mlpFlops } from './common.js';
import type { Entry, Output, Runner } from './common.js';

// ---- command line -------------------------------------------------------------------------

export const WORKLOADS = ['W1', 'W2', 'W3', 'W4'];

/** The workload an argument names, or undefined. */
export function workloadArg(a: string): string | undefined {
  return WORKLOADS.includes(a.toUpperCase()) ? a.toUpperCase() : undefined;
}

// ---- timing -------------------------------------------------------------------------------

export interface Budget {
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

export const FULL: Budget = { warmup: 3, minRuns: 20, minMs: 500, capMs: 5000, fewestRuns: 5, turnMs: 100 };
export const QUICK: Budget = { warmup: 3, minRuns: 5, minMs: 100, capMs: 1000, fewestRuns: 3, turnMs: 50 };

/** How the budget reads in a header line. */
export function describeBudget(budget: Budget): string {
  return `median of ≥ ${budget.minRuns} runs and ≥ ${budget.minMs} ms (or ≥ ${budget.fewestRuns} runs once ${budget.capMs} ms are spent) after ${budget.warmup} warm-up runs; libraries take turns`;
}

export interface Result {
  library: string;
  setupMs: number;
  firstMs: number;
  samples: number[];
  output: Output;
  notes: string[];
}

/** A library that could not set up or run a workload, and why. */
export interface Failure {
  library: string;
  error: string;
}

/** Sets up and warms up each entry, then times them in alternating turns until each has enough runs. */
export async function measure(entries: readonly Entry[], budget: Budget): Promise<(Result | Failure)[]> {
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
      const result: Result = { library: e.library, setupMs, firstMs, samples: [], output, notes: [...(runner.notes ?? [])] };
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
  for (const l of live) l.result.notes.push(...(l.runner.summary?.() ?? []));
  return results;
}

export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const lo = Math.floor(at);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (at - lo);
}

// ---- workloads ----------------------------------------------------------------------------

export interface Workload {
  id: string;
  title: string;
  /** Work per run, in units of `unit` times `scale` per second, for the throughput column. */
  rate: { per: number; unit: string; scale: number; digits: number };
  entries: Entry[];
}

/** Each library's rows of each workload, Kiln's first: a comparison's choice of libraries. */
export interface Rows {
  matmul(n: number): Entry[];
  trainStep(batch: number): Entry[];
  inference(batch: number): Entry[];
  elementwise(): Entry[];
}

/** W1's sizes, W2's batch and W3's batches. */
export const MATMUL_SIZES = [128, 512, 1024];
export const TRAIN_BATCH = 128;
export const INFERENCE_BATCHES = [1, 128];

const gflops = (flops: number, unit = 'GFLOPS') => ({ per: flops, unit, scale: 1e9, digits: 2 });
const mflop = (flops: number) => `${(flops / 1e6).toFixed(1)} MFLOP`;

/** The workloads of `id` (W1 and W3 have one per size), with the rows `rows` gives. */
export function workloads(id: string, rows: Rows): Workload[] {
  switch (id) {
    case 'W1':
      return MATMUL_SIZES.map((n) => ({
        id,
        title: `f32 matmul ${n}×${n} · ${n}×${n}, ${mflop(2 * n ** 3)} per run`,
        rate: gflops(2 * n ** 3),
        entries: rows.matmul(n),
      }));
    case 'W2':
      return [
        {
          id,
          title: `MLP 784-256-256-10 training step (ReLU, softmax cross-entropy, SGD lr ${LR}), batch ${TRAIN_BATCH}, ${mflop(mlpFlops(TRAIN_BATCH, true))} in matmuls per run`,
          rate: gflops(mlpFlops(TRAIN_BATCH, true), 'GFLOPS (matmuls)'),
          entries: rows.trainStep(TRAIN_BATCH),
        },
      ];
    case 'W3':
      return INFERENCE_BATCHES.map((batch) => ({
        id,
        title: `MLP 784-256-256-10 inference (logits), batch ${batch}, ${mflop(mlpFlops(batch, false))} in matmuls per run`,
        rate: gflops(mlpFlops(batch, false), 'GFLOPS (matmuls)'),
        entries: rows.inference(batch),
      }));
    case 'W4':
      return [
        {
          id,
          title: `elementwise relu(x·a + b)·sigmoid(x) on 2^20 f32, scalars a = ${EW_A}, b = ${EW_B}`,
          rate: { per: EW_SIZE, unit: 'Melem/s', scale: 1e6, digits: 0 },
          entries: rows.elementwise(),
        },
      ];
    default:
      throw new Error(`unknown workload ${id}`);
  }
}

// ---- report -------------------------------------------------------------------------------

export function ms(x: number): string {
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

/** 'kiln is 1.50× faster than x' from the two medians. */
export function ratioText(kilnMs: number, otherMs: number, other: string): string {
  const x = otherMs / kilnMs;
  if (x.toFixed(2) === '1.00') return `kiln is as fast as ${other} (1.00×)`;
  return x > 1 ? `kiln is ${x.toFixed(2)}× faster than ${other}` : `kiln is ${(1 / x).toFixed(2)}× slower than ${other}`;
}

/** Prints a workload's table, failures, Kiln's ratios to the other libraries, output differences and notes. */
export function report(w: Workload, results: readonly (Result | Failure)[]): void {
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
    const ratios = others.map((o) => ratioText(k, quantile(o.samples, 0.5), o.library));
    if (ratios.length) console.log(`  ${ratios.join('; ')}`);
    for (const r of timed.filter((x) => x.library.startsWith('kiln, '))) console.log(`  ${r.library}: ${(k / quantile(r.samples, 0.5)).toFixed(2)}× kiln's one-thread speed`);
    const diffs = timed.filter((r) => r !== kiln).map((r) => `${r.library} ${relativeDiff(kiln.output, r.output)}`);
    if (diffs.length) console.log(`  outputs vs kiln's after the warm-up runs, max |Δ| / max |kiln|: ${diffs.join(', ')}`);
  }
  for (const r of timed) for (const note of r.notes) console.log(`  ${note}`);
}

/** A package's version, from the package.json above its resolved entry point. */
export function versionOf(name: string): string {
  const require = createRequire(import.meta.url);
  for (let dir = path.dirname(require.resolve(name)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === name) return pkg.version ?? '?';
  }
  return '?';
}

/** The command line as `parse` reads it, or undefined after printing why not (exit code 2). */
export function argsOrExit<T>(parse: (args: readonly string[]) => T): T | undefined {
  try {
    return parse(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 2;
    return undefined;
  }
}
