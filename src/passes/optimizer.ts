// The optimizer pass: turns a graph with gradient outputs (from autodiff) into a training step.
// For each parameter it appends the optimizer's update as IR and an `update` declaration;
// optimizer state (moments, the step count) becomes parameters of its own, so one program
// holds the whole step. The learning rate is an input, `lr`.
//
//   output loss = %l                         input lr: f32[]
//   output grad_w = %gw          -->         %t9 = mul(%lr, %gw) : f32[3]      SGD: w - lr g
//                                            %t10 = sub(%w, %t9) : f32[3]
//                                            output loss = %l
//                                            update w = %t10

import { GraphBuilder } from '../ir/emit.js';
import { fail } from '../ir/errors.js';
import type { Graph } from '../ir/graph.js';
import type { OpName } from '../ir/op.js';
import { formatType } from '../ir/types.js';
import type { Optimizer } from './optimizers.js';
import { gradOutputName } from './autodiff.js';

/** Name of the learning-rate input the pass adds. */
export const LR_INPUT = 'lr';

/** Names of the optimizer-state parameters of `param`. */
export function stateNames(o: Optimizer, param: string): string[] {
  if (o.kind === 'sgd') return o.momentum > 0 ? [`${param}.velocity`] : [];
  return [`${param}.m`, `${param}.v`];
}

/** The step counter of Adam-style optimizers (for bias correction). */
export const STEP_PARAM = 'optimizer.step';

export function appendOptimizer(g: Graph, o: Optimizer, params: readonly string[]): Graph {
  const b = new GraphBuilder(g.name);
  const taken = new Set([...g.inputs, ...g.params, ...g.nodes].map((v) => v.name));
  for (const i of g.inputs) b.input(i.name, i.type, i.span);
  if (taken.has(LR_INPUT)) fail('usage', `optimizer: the graph already has a value named '${LR_INPUT}', the learning-rate input`);
  const lr = b.input(LR_INPUT, { dtype: 'f32', shape: [] });
  for (const p of g.params) b.param(p.name, p.type, p.init, p.span);
  const declareState = (name: string, shape: readonly (number | string)[]) => {
    if (taken.has(name)) fail('usage', `optimizer: the graph already has a value named '${name}' for optimizer state`);
    return b.param(name, { dtype: 'f32', shape: [...shape] }, { fn: 'zeros', args: {} });
  };
  const types = new Map(g.params.map((p) => [p.name, p.type]));
  const state = new Map<string, string[]>();
  for (const p of params) {
    const t = types.get(p);
    if (!t) fail('usage', `optimizer: '${p}' is not a parameter of graph ${g.name}`);
    if (t.dtype !== 'f32') fail('usage', `optimizer: parameter '${p}' is ${formatType(t)}; only f32 parameters are trained`);
    state.set(
      p,
      stateNames(o, p).map((s) => declareState(s, t.shape)),
    );
  }
  const step = o.kind === 'sgd' ? undefined : declareState(STEP_PARAM, []);
  for (const n of g.nodes) b.emitDynamic(n.op, n.inputs, n.attrs, n.span, n.name);

  const gradients = new Map(g.outputs.map((out) => [out.name, out.value]));
  const c = (v: number) => b.emit('constant', [], { dtype: 'f32', shape: [], value: [v] });
  const op = (name: OpName, ...args: string[]) => b.emit(name, args);
  const updates: [string, string][] = [];

  // Bias corrections 1 - beta^t, computed once per step for all parameters.
  let t1: string | undefined;
  let corr1 = '';
  let corr2 = '';
  if (o.kind !== 'sgd') {
    t1 = op('add', step!, c(1));
    corr1 = op('sub', c(1), op('pow', c(o.beta1), t1));
    corr2 = op('sub', c(1), op('pow', c(o.beta2), t1));
    updates.push([step!, t1]);
  }

  for (const p of params) {
    const gv = gradients.get(gradOutputName(p));
    if (gv === undefined) fail('usage', `optimizer: no gradient output '${gradOutputName(p)}' for parameter '${p}'; run autodiff first`);
    const [s1, s2] = state.get(p)!;
    if (o.kind === 'sgd') {
      if (o.momentum === 0) {
        updates.push([p, op('sub', p, op('mul', lr, gv))]);
        continue;
      }
      const v = op('add', op('mul', c(o.momentum), s1!), gv); // v = mu v + g
      const dir = o.nesterov ? op('add', gv, op('mul', c(o.momentum), v)) : v; // look ahead: g + mu v
      updates.push([s1!, v], [p, op('sub', p, op('mul', lr, dir))]);
      continue;
    }
    const m = op('add', op('mul', c(o.beta1), s1!), op('mul', c(1 - o.beta1), gv));
    const v = op('add', op('mul', c(o.beta2), s2!), op('mul', c(1 - o.beta2), op('mul', gv, gv)));
    const mHat = op('div', m, corr1);
    const vHat = op('div', v, corr2);
    let dir = op('div', mHat, op('add', op('sqrt', vHat), c(o.eps)));
    if (o.weightDecay > 0) dir = op('add', dir, op('mul', c(o.weightDecay), p)); // decoupled decay
    updates.push([s1!, m], [s2!, v], [p, op('sub', p, op('mul', lr, dir))]);
  }

  // Gradients were outputs only to hand them over; the step returns everything else.
  const gradNames = new Set(params.map(gradOutputName));
  for (const out of g.outputs) if (!gradNames.has(out.name)) b.output(out.name, out.value, out.span);
  for (const u of g.updates) b.update(u.param, u.value, u.span);
  for (const [param, value] of updates) b.update(param, value);
  return b.build();
}
