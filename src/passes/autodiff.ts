// Reverse-mode automatic differentiation as a graph pass: appends the backward graph as IR and
// adds one output per differentiated value holding d(loss)/d(value).
//
//   graph g {                                graph g {
//     input x: f32[3]                          input x: f32[3]
//     param w: f32[3] = ones()                 param w: f32[3] = ones()
//     %y = mul(%x, %w) : f32[3]        -->     %y = mul(%x, %w) : f32[3]
//     %l = reduce_sum(%y) {axes=[0]} : f32[]   %l = reduce_sum(%y) {axes=[0]} : f32[]
//     output loss = %l                         %g0 = constant() {value=[1]} : f32[]         seed dl/dl = 1
//   }                                          %g1 = reshape(%g0) {shape=[1]} : f32[1]      VJP of reduce_sum
//                                              %g2 = broadcast_to(%g1) {shape=[3]} : f32[3]
//                                              %g3 = mul(%g2, %x) : f32[3]                  VJP of mul, for w
//                                              output loss = %l
//                                              output grad_w = %g3
//                                            }
//
// Composites are decomposed first: VJP rules live with the primitives (ops/). Only f32 values
// carry gradients; integer and bool values, and ops whose rule is 'none', stop them. A value
// used several times receives the sum of its uses' cotangents.

import { GraphBuilder } from '../ir/emit.js';
import { fail } from '../ir/errors.js';
import type { Graph, Node } from '../ir/graph.js';
import { IDENT, valueTypes } from '../ir/graph.js';
import { getOp } from '../ir/ops/index.js';
import { formatType } from '../ir/types.js';
import { dce } from './dce.js';
import { decompose } from './decompose.js';

export interface GradOptions {
  /** The scalar f32 to differentiate: an output name, or a value name (default: output 'loss'). */
  loss?: string;
  /** The values to differentiate with respect to (default: every f32 parameter). */
  wrt?: readonly string[];
}

/** The output name under which the gradient of `value` is returned. */
export function gradOutputName(value: string): string {
  return `grad_${value.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** `g` with its backward graph appended and an output `grad_<v>` for each value `v` in `wrt`. */
export function grad(g: Graph, options: GradOptions = {}): Graph {
  const fwd = decompose(g);
  const types = valueTypes(fwd);
  const lossName = options.loss ?? 'loss';
  const loss = fwd.outputs.find((o) => o.name === lossName)?.value ?? (types.has(lossName) ? lossName : undefined);
  if (loss === undefined) {
    fail('usage', `grad: graph ${g.name} has no output or value '${lossName}' to differentiate (outputs: ${fwd.outputs.map((o) => o.name).join(', ')})`);
  }
  const lossType = types.get(loss)!;
  if (lossType.dtype !== 'f32' || lossType.shape.length !== 0) {
    fail('usage', `grad: the loss '${lossName}' must be a scalar f32, got ${formatType(lossType)}`);
  }
  const wrt = options.wrt ?? fwd.params.filter((p) => p.type.dtype === 'f32').map((p) => p.name);
  for (const w of wrt) {
    const t = types.get(w);
    if (!t) fail('usage', `grad: '${w}' is not a value of graph ${g.name}`);
    if (t.dtype !== 'f32') fail('usage', `grad: cannot differentiate with respect to '${w}' of type ${formatType(t)} (only f32 values carry gradients)`);
  }

  // Nodes on some path from a wrt value to the loss, through f32 values only.
  const fromWrt = new Set<string>(wrt);
  for (const n of fwd.nodes) {
    if (n.type.dtype === 'f32' && n.inputs.some((i) => fromWrt.has(i))) fromWrt.add(n.name);
  }
  const toLoss = new Set<string>([loss]);
  for (let k = fwd.nodes.length - 1; k >= 0; k--) {
    const n = fwd.nodes[k]!;
    if (toLoss.has(n.name)) for (const i of n.inputs) toLoss.add(i);
  }
  const carries = (v: string) => fromWrt.has(v) && toLoss.has(v);

  const b = new GraphBuilder(fwd.name);
  for (const i of fwd.inputs) b.input(i.name, i.type, i.span);
  for (const p of fwd.params) b.param(p.name, p.type, p.init, p.span);
  for (const n of fwd.nodes) b.emitDynamic(n.op, n.inputs, n.attrs, n.span, n.name);

  // Cotangents, accumulated over every use of a value.
  const cot = new Map<string, string>();
  const accumulate = (v: string, c: string) => {
    const prev = cot.get(v);
    cot.set(v, prev === undefined ? c : b.emit('add', [prev, c]));
  };
  cot.set(loss, b.emit('constant', [], { dtype: 'f32', shape: [], value: [1] }));
  for (let k = fwd.nodes.length - 1; k >= 0; k--) {
    const n: Node = fwd.nodes[k]!;
    const g = cot.get(n.name);
    if (g === undefined || !carries(n.name)) continue;
    const def = getOp(n.op);
    if (def.kind !== 'primitive') fail('usage', `grad: composite ${n.op} survived decomposition`);
    if (def.vjp === 'none' || !n.inputs.some(carries)) continue;
    b.defaultSpan = n.span; // backward nodes point at the forward node they differentiate
    const cots = def.vjp(b, { inputs: n.inputs, output: n.name, g, attrs: n.attrs as never });
    n.inputs.forEach((input, i) => {
      const c = cots[i];
      if (c !== undefined && carries(input)) accumulate(input, c);
    });
  }
  b.defaultSpan = undefined;

  for (const o of fwd.outputs) b.output(o.name, o.value, o.span);
  for (const u of fwd.updates) b.update(u.param, u.value, u.span);
  const taken = new Set(fwd.outputs.map((o) => o.name));
  for (const w of wrt) {
    const name = gradOutputName(w);
    if (taken.has(name) || !IDENT.test(name)) fail('usage', `grad: output name '${name}' for the gradient of '${w}' is already taken`);
    taken.add(name);
    // A value the loss does not depend on has gradient zero.
    const t = types.get(w)!;
    const value = cot.get(w) ?? b.emit('constant', [], { dtype: 'f32', shape: [...t.shape], value: [0] });
    b.output(name, value);
  }
  // VJP rules emit every operand's cotangent; those no gradient needs are dropped here.
  return dce(b.build());
}
