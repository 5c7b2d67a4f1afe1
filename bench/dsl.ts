// Parsing and lowering a 2,000-line model file: median times over repeated runs, against the
// target of 50 ms for both together. Run with `npm run bench:dsl`.

import { lowerProgram } from '../src/frontend/dsl/lower.js';
import { parseProgram } from '../src/frontend/dsl/parser.js';

/** A model of `lines` lines: a def, then a chain of lets mixing operators, calls and the def. */
export function bigModel(lines: number): string {
  const out = [
    '# A long chain of layers, to time the front end.',
    'def block(x, n) {',
    '  param w: f32[n, n]',
    '  param b: f32[n]',
    '  return tanh(x @ w + b)',
    '}',
    '',
    'model big {',
    '  input x: f32[B, 16]',
    '  let h0 = x',
  ];
  let k = 0;
  while (out.length < lines - 2) {
    k++;
    const prev = `h${k - 1}`;
    const body = [`relu(${prev} * 0.5 + 1)`, `block(${prev}, 16)`, `softmax(${prev}, axis=-1) - ${prev} / 2`, `(${prev} - mean(${prev}, axis=1, keepdims=true)) ** 2`][k % 4];
    out.push(`  let h${k} = ${body}`);
  }
  out.push(`  loss mean(h${k})`, '}');
  return out.join('\n') + '\n';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const source = bigModel(2000);
const runs = 30;
const parseMs: number[] = [];
const lowerMs: number[] = [];
let nodes = 0;
for (let r = 0; r < runs + 3; r++) {
  const t0 = performance.now();
  const parsed = parseProgram(source, 'big.kiln');
  const t1 = performance.now();
  if (parsed.diagnostics.length) throw new Error(parsed.diagnostics[0]!.message);
  const lowered = lowerProgram(parsed.program, { source, file: 'big.kiln', parse: parseProgram });
  const t2 = performance.now();
  if (!lowered.graph) throw new Error(lowered.diagnostics[0]?.message ?? 'no graph');
  nodes = lowered.graph.nodes.length;
  if (r >= 3) {
    // The first runs warm up the JIT and build the parser once.
    parseMs.push(t1 - t0);
    lowerMs.push(t2 - t1);
  }
}
const total = median(parseMs.map((p, i) => p + lowerMs[i]!));
console.log(`model file: ${source.split('\n').length - 1} lines, ${nodes} IR nodes; median of ${runs} runs`);
console.log(`  parse ${median(parseMs).toFixed(2)} ms, lower ${median(lowerMs).toFixed(2)} ms, both ${total.toFixed(2)} ms (target < 50 ms: ${total < 50 ? 'met' : 'MISSED'})`);
