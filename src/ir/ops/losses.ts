// Losses and weight penalties as composites: each reduces to a scalar f32[] built from
// elementwise ops, log_softmax and reductions, so autodiff and backends see only primitives.

import { fail } from '../errors.js';
import { composite } from '../op.js';
import type { CompositeDef, CompositeName, Emitter, OpAttrs } from '../op.js';
import { formatType, sameShape } from '../types.js';
import type { TensorType } from '../types.js';
import { scalar } from './composites.js';
import { FLOAT, requireDType } from './util.js';

const allAxes = (t: TensorType): number[] => t.shape.map((_, i) => i);

/** The mean of every element of `v`, as f32[]. */
function meanAll(e: Emitter, v: string): string {
  return e.emit('mean', [v], { axes: allAxes(e.typeOf(v)) });
}

/** The sum of every element of `v`, as f32[]. */
function sumAll(e: Emitter, v: string): string {
  return e.emit('reduce_sum', [v], { axes: allAxes(e.typeOf(v)) });
}

/**
 * Fails unless a loss's prediction and target have one shape: a loss never broadcasts, since
 * pred [B, 1] against target [B] would silently average over [B, B]. A dim matches only an
 * equal number or the same symbol; a symbol against a number (B against 32) or another symbol
 * is refused like a mismatch, as nothing guarantees the binding makes them equal.
 */
function requireSameShape(op: string, [nameA, a]: readonly [string, TensorType], [nameB, b]: readonly [string, TensorType]): void {
  if (sameShape(a.shape, b.shape)) return;
  const both = `${nameA} ${formatType(a)} and ${nameB} ${formatType(b)}`;
  // When only symbols keep the shapes apart (B against 32), say why that is not accepted.
  const apart = a.shape.flatMap((d, k) => (d === b.shape[k] ? [] : [k]));
  const symbolic = a.shape.length === b.shape.length && apart.every((k) => typeof a.shape[k] === 'string' || typeof b.shape[k] === 'string');
  const k = apart[0]!;
  const why = symbolic ? ` (dim ${k}: ${a.shape[k]} against ${b.shape[k]}; a symbolic dim matches only the same symbol)` : '';
  fail('shape', `${op}: ${both} must have the same shape${why}`);
}

/**
 * A loss over two f32 operands of one shape: the mean over that shape of `perElement(a, b)`.
 * Checked here so messages name the loss, not an op inside it.
 */
function pointwiseLoss<N extends CompositeName>(
  name: N,
  doc: string,
  operands: readonly [string, string],
  perElement: (e: Emitter, a: string, b: string, attrs: OpAttrs<N>) => string,
): CompositeDef<N> {
  return composite({
    name,
    doc,
    operands,
    decompose(e, [a, b], at) {
      const types = [e.typeOf(a!), e.typeOf(b!)];
      operands.forEach((operand, i) => requireDType(name, operand, types[i]!, FLOAT));
      requireSameShape(name, [operands[0], types[0]!], [operands[1], types[1]!]);
      return meanAll(e, perElement(e, a!, b!, at));
    },
  });
}

export const mae = pointwiseLoss('mae', 'mean absolute error: mean(|pred - target|) over all elements, f32[]', ['pred', 'target'], (e, p, t) =>
  e.emit('abs', [e.emit('sub', [p, t])]),
);

export const mse = pointwiseLoss('mse', 'mean squared error: mean((pred - target)^2) over all elements, f32[]', ['pred', 'target'], (e, p, t) =>
  e.emit('square', [e.emit('sub', [p, t])]),
);

export const binary_cross_entropy = pointwiseLoss(
  'binary_cross_entropy',
  'mean(-(t log p + (1 - t) log(1 - p))) on probabilities, p clipped to [eps, 1 - eps], f32[]',
  ['prob', 'target'],
  (e, p, t, { eps }) => {
    if (!(eps >= 0 && eps <= 0.5)) fail('attr', `binary_cross_entropy: eps must be in [0, 0.5], got ${eps}`);
    // log(1 - clip(p)) is computed as log(clip(1 - p)): the same number, but 1 - eps rounds to
    // 1 - 1.19e-7 in f32, which would floor log(1 - p) at -15.9 instead of log(eps) = -16.1.
    const bounds = { min: eps, max: 1 - eps };
    const one = scalar(e, 1);
    const logP = e.emit('log', [e.emit('clip', [p], bounds)]);
    const logQ = e.emit('log', [e.emit('clip', [e.emit('sub', [one, p])], bounds)]);
    const ll = e.emit('add', [e.emit('mul', [t, logP]), e.emit('mul', [e.emit('sub', [one, t]), logQ])]);
    return e.emit('neg', [ll]);
  },
);

export const sigmoid_cross_entropy = pointwiseLoss(
  'sigmoid_cross_entropy',
  'binary cross-entropy on logits, mean(max(z, 0) - z t + log(1 + exp(-|z|))), finite for any z, f32[]',
  ['logits', 'target'],
  (e, z, t) => {
    const half = scalar(e, 0.5);
    const absZ = e.emit('abs', [z]);
    // exp only ever sees -|z| <= 0, so nothing overflows at any z.
    const tail = e.emit('log', [e.emit('add', [scalar(e, 1), e.emit('exp', [e.emit('neg', [absZ])])])]);
    // max(z, 0) - z t, written z (0.5 - t) + 0.5 |z| (the same in f32): its gradient at z = 0
    // is the true 0.5 - t for any convention for |z|' at 0, where relu'(0) = 0 would give -t,
    // and zero-initialized logits start exactly there.
    const linear = e.emit('add', [e.emit('mul', [z, e.emit('sub', [half, t])]), e.emit('mul', [half, absZ])]);
    return e.emit('add', [linear, tail]);
  },
);

/** Fails unless `logits` has a class axis; returns its size (possibly a symbol). */
function classAxis(op: string, logits: TensorType, other: TensorType): number | string {
  const c = logits.shape[logits.shape.length - 1];
  if (c === undefined) fail('shape', `${op}: logits ${formatType(logits)} have no class axis (with ${formatType(other)})`);
  return c;
}

export const softmax_cross_entropy = composite({
  name: 'softmax_cross_entropy',
  doc: 'mean over examples of -log_softmax(logits)[label] for i32 labels; examples with a label outside [0, C) are ignored, and with none left (all ignored, or an empty batch) the loss is 0, f32[]',
  operands: ['logits', 'labels'],
  decompose(e, [logits, labels]) {
    const op = 'softmax_cross_entropy';
    const tl = e.typeOf(logits!);
    const ty = e.typeOf(labels!);
    requireDType(op, 'logits', tl, FLOAT);
    requireDType(op, 'labels', ty, ['i32']);
    const c = classAxis(op, tl, ty);
    if (!sameShape(tl.shape.slice(0, -1), ty.shape)) {
      fail('shape', `${op}: labels ${formatType(ty)} must have the shape of logits ${formatType(tl)} without its last (class) axis`);
    }
    if (typeof c !== 'number') {
      fail('shape', `${op}: the class axis of logits ${formatType(tl)} must be a number, not '${c}', to one-hot labels ${formatType(ty)}`);
    }
    // A label outside [0, C) one-hots to a row of zeros. Counting such an example as loss 0 in
    // the mean would quietly shrink the loss, so it is left out of the mean instead (padding
    // labels such as -1 are ignored, like an ignore_index); with no valid label the loss is 0.
    const hot = e.emit('one_hot', [labels!], { depth: c, dtype: 'bool' });
    // where, not one-hot * log p: 0 * log p is nan where a logit is -inf (a masked class).
    const picked = e.emit('where', [hot, e.emit('log_softmax', [logits!], { axis: -1 }), scalar(e, 0)]);
    const valid = sumAll(e, e.emit('cast', [hot], { to: 'f32' }));
    return e.emit('div', [e.emit('neg', [sumAll(e, picked)]), e.emit('max', [valid, scalar(e, 1)])]);
  },
});

export const softmax_cross_entropy_onehot = composite({
  name: 'softmax_cross_entropy_onehot',
  doc: 'mean over examples of -sum(target * log_softmax(logits)) along the last axis, for one-hot or soft f32 targets, f32[]',
  operands: ['logits', 'target'],
  decompose(e, [logits, target]) {
    const op = 'softmax_cross_entropy_onehot';
    const tl = e.typeOf(logits!);
    const tt = e.typeOf(target!);
    requireDType(op, 'logits', tl, FLOAT);
    requireDType(op, 'target', tt, FLOAT);
    classAxis(op, tl, tt);
    requireSameShape(op, ['logits', tl], ['target', tt]);
    const last = tl.shape.length - 1;
    const logP = e.emit('log_softmax', [logits!], { axis: last });
    // Classes with target 0 contribute exactly 0, even where log p is -inf (0 * -inf is nan).
    const zero = scalar(e, 0);
    const terms = e.emit('where', [e.emit('ne', [target!, zero]), e.emit('mul', [target!, logP]), zero]);
    const perExample = e.emit('neg', [e.emit('reduce_sum', [terms], { axes: [last] })]);
    return meanAll(e, perExample);
  },
});

/** A penalty on one f32 weight tensor: the sum of `perElement(w)` over all elements, f32[]. */
function penalty<N extends CompositeName>(name: N, doc: string, perElement: 'abs' | 'square'): CompositeDef<N> {
  return composite({
    name,
    doc,
    operands: ['w'],
    decompose(e, [w]) {
      requireDType(name, 'w', e.typeOf(w!), FLOAT);
      return sumAll(e, e.emit(perElement, [w!]));
    },
  });
}

export const l1_penalty = penalty('l1_penalty', 'L1 weight penalty: sum(|w|) over all elements, f32[]', 'abs');
export const l2_penalty = penalty('l2_penalty', 'L2 weight penalty: sum(w^2) over all elements, f32[] (no 1/2 factor)', 'square');
