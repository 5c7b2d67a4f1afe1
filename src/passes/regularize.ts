// Regularization: adds L1 and L2 penalties on chosen parameters to the loss, as graph terms.
//
//   output loss = %l        --(l2=0.01 on w)-->     %t0 = l2_penalty(%w) : f32[]
//                                                   %t1 = mul(%c, %t0) : f32[]     c = 0.01
//                                                   %t2 = add(%l, %t1) : f32[]
//                                                   output loss = %t2
//                                                   output data_loss = %l

import { GraphBuilder } from '../ir/emit.js';
import { fail } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import { formatType } from '../ir/types.js';

export interface Regularization {
  /** Strength of the L1 penalty, sum |w|. */
  l1?: number;
  /** Strength of the L2 penalty, sum w^2. */
  l2?: number;
  /** The parameters penalized; default: every f32 parameter of rank >= 2 (weights, not biases). */
  params?: readonly string[];
}

export function regularize(g: Graph, reg: Regularization, loss = 'loss'): Graph {
  const l1 = reg.l1 ?? 0;
  const l2 = reg.l2 ?? 0;
  for (const [name, v] of [
    ['l1', l1],
    ['l2', l2],
  ] as const) {
    if (!Number.isFinite(v) || v < 0) fail('usage', `regularization: ${name} must be a non-negative number, got ${v}`);
  }
  if (l1 === 0 && l2 === 0) return g;
  const out = g.outputs.find((o) => o.name === loss);
  if (!out) fail('usage', `regularization: graph ${g.name} has no output '${loss}'`);
  if (g.outputs.some((o) => o.name === 'data_loss')) fail('usage', `regularization: graph ${g.name} already has an output 'data_loss'`);
  const params = reg.params ?? g.params.filter((p) => p.type.dtype === 'f32' && p.type.shape.length >= 2).map((p) => p.name);
  for (const name of params) {
    const p = g.params.find((q) => q.name === name);
    if (!p) fail('usage', `regularization: '${name}' is not a parameter of graph ${g.name}`);
    if (p.type.dtype !== 'f32') fail('usage', `regularization: parameter '${name}' is ${formatType(p.type)}, not f32`);
  }

  const b = new GraphBuilder(g.name);
  for (const i of g.inputs) b.input(i.name, i.type, i.span);
  for (const p of g.params) b.param(p.name, p.type, p.init, p.span);
  for (const n of g.nodes) b.emitDynamic(n.op, n.inputs, n.attrs, n.span, n.name);
  let total = out.value;
  for (const [op, strength] of [
    ['l1_penalty', l1],
    ['l2_penalty', l2],
  ] as const) {
    if (strength === 0) continue;
    for (const p of params) {
      const term = b.emit('mul', [b.emit('constant', [], { value: [strength] }), b.emit(op, [p])]);
      total = b.emit('add', [total, term]);
    }
  }
  for (const o of g.outputs) b.output(o.name, o.name === loss ? total : o.value, o.span);
  b.output('data_loss', out.value);
  for (const u of g.updates) b.update(u.param, u.value, u.span);
  return b.build();
}
