// A Keras-like table of a graph's parameters: one row per layer, that is per group of parameters
// sharing the prefix before their last '.' (`dense_1.w` and `dense_1.b` make layer `dense_1`;
// a parameter without a '.' is a row of its own), with the layer's output shape and its
// parameter count, then the totals. Trainable parameters are the f32 ones, as training takes them.
//
//   Model: mlp
//   Layer     Output shape  Param #
//   ===============================
//   dense_1   [B, 4]             12
//   ===============================
//   Total params: 12

import type { Graph } from './graph.js';
import { formatShape, sizeMonomial } from './types.js';
import type { Shape } from './types.js';

interface Row {
  layer: string;
  shape: string;
  /** Elements per numeric factor and per product of symbols ('' for the numeric part). */
  count: Map<string, number>;
}

/** `1234567` as `1,234,567`. */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A count that may hold symbols: `12`, `3*C`, `10 + 4*C`. */
function formatCount(count: ReadonlyMap<string, number>): string {
  const terms = [...count].filter(([s, n]) => n !== 0 || s === '').map(([s, n]) => (s === '' ? grouped(n) : n === 1 ? s : `${grouped(n)}*${s}`));
  const numeric = count.get('') ?? 0;
  return terms.length > 1 && numeric === 0 ? terms.slice(1).join(' + ') : terms.join(' + ');
}

function addCount(into: Map<string, number>, shape: Shape): void {
  const { factor, symbols } = sizeMonomial(shape);
  const key = symbols.join('*');
  into.set('', into.get('') ?? 0);
  into.set(key, (into.get(key) ?? 0) + factor);
}

/** The layer a parameter belongs to. */
export function layerOf(param: string): string {
  const dot = param.lastIndexOf('.');
  return dot > 0 ? param.slice(0, dot) : param;
}

/** The summary table of `g`, ending in a newline. */
export function summary(g: Graph): string {
  const rows = new Map<string, Row>();
  const trainable = new Map<string, number>();
  const frozen = new Map<string, number>();
  const layerOfParam = new Map<string, string>();
  for (const p of g.params) {
    const layer = layerOf(p.name);
    layerOfParam.set(p.name, layer);
    const row = rows.get(layer) ?? { layer, shape: '-', count: new Map<string, number>() };
    rows.set(layer, row);
    addCount(row.count, p.type.shape);
    addCount(p.type.dtype === 'f32' ? trainable : frozen, p.type.shape);
  }
  // A layer's output: the last node that uses one of its parameters (the activation after it keeps the shape).
  for (const n of g.nodes) {
    for (const input of n.inputs) {
      const layer = layerOfParam.get(input);
      if (layer !== undefined) rows.get(layer)!.shape = formatShape(n.type.shape);
    }
  }
  const header = ['Layer', 'Output shape', 'Param #'];
  const table = [...rows.values()].map((r) => [r.layer, r.shape, formatCount(r.count)]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `${cells[0]!.padEnd(widths[0]!)}  ${cells[1]!.padEnd(widths[1]!)}  ${cells[2]!.padStart(widths[2]!)}`;
  const rule = '='.repeat(widths[0]! + widths[1]! + widths[2]! + 4);
  const total = new Map(trainable);
  for (const [k, n] of frozen) total.set(k, (total.get(k) ?? 0) + n);
  const none = new Map([['', 0]]);
  return [
    `Model: ${g.name}`,
    line(header),
    rule,
    ...table.map(line),
    rule,
    `Total params: ${formatCount(total.size ? total : none)}`,
    `Trainable params: ${formatCount(trainable.size ? trainable : none)}`,
    `Non-trainable params: ${formatCount(frozen.size ? frozen : none)}`,
    '',
  ].join('\n');
}
