// Layers in the model language: `dense(x, 256, activation=relu)` (two operands: a tensor and a
// number of units) is the layer of the TypeScript builder, which makes its own parameters and
// names them after the binding (`let h = dense(...)` makes `h.w`, `h.b`), like a def call.
// With three operands, `dense(x, w, b)` stays the op. A def named dense shadows both.

import type { Initializer } from '../../ir/graph.js';
import { INITIALIZERS, namedSeed } from '../../ir/init.js';
import { ACTIVATIONS, denseLayer, isActivation } from '../layers.js';
import type { Activation } from '../layers.js';
import type { CallExpr, Expr, InitExpr, Span } from './ast.js';
import type { CallContext } from './calls.js';
import { describeExpr } from './scope.js';
import type { Val } from './scope.js';

/** Whether a call is a layer rather than an op: `dense` with two operands. */
export function isLayerCall(e: CallExpr): boolean {
  return e.callee === 'dense' && e.args.length === 2;
}

/**
 * The initializer of the parameter `param` declared inside a def call: a seed written in the def
 * is the base of each instance's own stream, so two calls of the def draw different values (the
 * same ones on every lowering). Elsewhere a given seed is used as written.
 */
export function instanceInitializer(init: Initializer, param: string): Initializer {
  const seed = init.args['seed'];
  if (!Object.hasOwn(INITIALIZERS[init.fn]?.args ?? {}, 'seed') || typeof seed !== 'number') return init;
  return { fn: init.fn, args: { ...init.args, seed: namedSeed(seed, `param:${param}`) } };
}

/** How a layer call reaches the lowering of initializers, and where it is. */
export interface LayerContext extends CallContext {
  initializer(e: InitExpr): Initializer | undefined;
}

interface LayerArgs {
  activation: Activation;
  useBias: boolean;
  init: Initializer | undefined;
}

/** The keywords of a dense layer; undefined after reporting what is wrong. */
function layerKeywords(ctx: LayerContext, e: CallExpr): LayerArgs | undefined {
  const args: LayerArgs = { activation: 'linear', useBias: true, init: undefined };
  let ok = true;
  const bad = (message: string, span: Span): void => {
    ok = false;
    ctx.report(message, span);
  };
  const seen = new Set<string>();
  for (const kw of e.kwargs) {
    if (seen.has(kw.name)) bad(`dense: '${kw.name}' is given twice`, kw.span);
    seen.add(kw.name);
    const v = kw.value.kind === 'paren' ? kw.value.inner : kw.value;
    if (kw.name === 'activation') {
      const name = v.kind === 'name' || v.kind === 'string' ? (v.kind === 'name' ? v.name : v.value) : undefined;
      if (isActivation(name)) args.activation = name;
      else bad(`dense: unknown activation ${name === undefined ? describeExpr(v) : `'${name}'`} (expected one of: ${ACTIVATIONS.join(', ')})`, v.span);
    } else if (kw.name === 'use_bias') {
      if (v.kind === 'bool') args.useBias = v.value;
      else bad(`dense: use_bias must be true or false, got ${describeExpr(v)}`, v.span);
    } else if (kw.name === 'kernel_initializer') {
      const init = initExpr(v);
      if (!init) bad(`dense: kernel_initializer must be an initializer such as he_normal or uniform(low=-1, high=1), got ${describeExpr(v)}`, v.span);
      else args.init = ctx.initializer(init);
      if (init && !args.init) ok = false;
    } else {
      bad(`dense: unknown keyword '${kw.name}' (expected one of: activation, use_bias, kernel_initializer)`, kw.span);
    }
  }
  return ok ? args : undefined;
}

/** An initializer written as an expression: a name, or a call with keyword arguments only. */
function initExpr(v: Expr): InitExpr | undefined {
  if (v.kind === 'name') return { name: v.name, kwargs: [], span: v.span, end: v.end };
  if (v.kind === 'call' && v.args.length === 0) return { name: v.callee, kwargs: v.kwargs, span: v.span, end: v.end };
  return undefined;
}

/**
 * Lowers `dense(x, units, ...)`, naming its parameters `<instance>.w` and `<instance>.b`; the instance
 * is named after the operands are lowered, as a def call's is. `inDef` qualifies given seeds.
 */
export function lowerDenseLayer(ctx: LayerContext, e: CallExpr, instance: () => string, inDef: boolean): Val | undefined {
  const x = ctx.value(e.args[0]!);
  const units = ctx.value(e.args[1]!);
  const kw = layerKeywords(ctx, e);
  if (!x || !units || !kw) return undefined;
  if (x.kind !== 'tensor') return void ctx.report(`dense: x must be a tensor, got the number ${x.value}`, x.span);
  if (units.kind !== 'number') {
    return void ctx.report(`dense: with two operands the second is the number of units (the dense op takes x, w, b), got a tensor`, units.span);
  }
  if (!Number.isSafeInteger(units.value) || units.value < 1) return void ctx.report(`dense: units must be a positive integer, got ${units.value}`, units.span);
  const name = instance();
  const init = kw.init && inDef ? instanceInitializer(kw.init, `${name}.w`) : kw.init;
  const options = { activation: kw.activation, useBias: kw.useBias, name, ...(init ? { kernelInitializer: init } : {}) };
  const sym = ctx.guard(e.span, () => denseLayer(ctx.b, x.sym, units.value, options));
  return sym && { kind: 'tensor', sym, span: e.span };
}
