// Kernels per training step and per inference of the MNIST MLP (784-256-256-10, B = 128); run `node dist/bench/kernels.js` after a build.

import { mnistMlpGraph } from '../examples/mnist-mlp.js';
import type { KernelProgram } from '../runtime/kernel-ir.js';
import type { Graph } from '../src/ir/graph.js';
import { lowerToKernels } from '../src/kernels/lower.js';
import { liveLowerBound, totalTempBytes } from '../src/kernels/memory.js';
import { kernelProgram } from '../src/compile.js';
import { dce } from '../src/passes/dce.js';
import { decompose } from '../src/passes/decompose.js';
import { runPipeline, runToKernels } from '../src/passes/pipeline.js';
import { specialize } from '../src/passes/specialize.js';
import { adam } from '../src/train/optimizers.js';
import { Trainer } from '../src/train/trainer.js';

const shapes = { B: 128 };
const model = mnistMlpGraph();
const programs: [string, Graph][] = [
  ['training step (forward, backward, Adam)', new Trainer(model, { optimizer: adam({ lr: 1e-3 }) }).trainGraph],
  ['inference (logits, loss, accuracy)', model],
  ['inference (logits only)', { ...model, outputs: model.outputs.filter((o) => o.name === 'logits') }],
];
const prepare: [string, (g: Graph) => Graph][] = [
  ['decompose, specialize, dce', (g) => dce(decompose(specialize(g, { shapes })))],
  ['full pipeline', (g) => runPipeline(g, { shapes })],
];

console.log('MNIST MLP 784-256-256-10, B = 128: kernels per run (temp buffers)\n');
const rows: string[][] = [['program', 'graph passes', 'primitives', 'fused', 'unfused', 'lowering']];
for (const [what, g] of programs) {
  for (const [passes, run] of prepare) {
    const primitives = run(g);
    const started = performance.now();
    const fused = lowerToKernels(primitives);
    const ms = performance.now() - started;
    const unfused = lowerToKernels(primitives, { fuse: false });
    const temps = (p: typeof fused) => p.buffers.filter((b) => b.role === 'temp').length;
    rows.push([what, passes, String(primitives.nodes.length), `${fused.kernels.length} (${temps(fused)})`, `${unfused.kernels.length} (${temps(unfused)})`, `${ms.toFixed(1)} ms`]);
  }
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));

// Memory: the planned arena against the liveness lower bound (the most bytes of temps live at
// once in this schedule) and against giving every temp its own place.
console.log('\nArena after memory planning (full pipeline, fused):\n');
const memRows: string[][] = [['program', 'arena bytes', 'lower bound', 'arena / bound', 'all temps', 'arena / all']];
// The Trainer runs its step guarded (src/kernels/guard-updates.ts): the same kernels, plus a
// backup of every value updated in place, live to the end of the step.
const step = programs[0]!;
const guardedStep: [string, KernelProgram] = [`${step[0]}, guarded as the Trainer runs it`, runToKernels(step[1], { shapes, guardUpdates: true })];
for (const [what, p] of [...programs.map(([w, g]) => [w, kernelProgram(g, shapes)] as [string, KernelProgram]), guardedStep]) {
  const bound = liveLowerBound(p);
  const total = totalTempBytes(p);
  const ratio = (a: number, b: number) => (b === 0 ? '-' : (a / b).toFixed(3));
  memRows.push([what, String(p.arenaBytes), String(bound), ratio(p.arenaBytes, bound), String(total), ratio(p.arenaBytes, total)]);
}
const memWidths = memRows[0]!.map((_, c) => Math.max(...memRows.map((r) => r[c]!.length)));
for (const r of memRows) console.log(r.map((cell, c) => cell.padEnd(memWidths[c]!)).join('  '));
