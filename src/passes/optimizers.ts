// Optimizer descriptions (sgd, adam, adamw): plain data that the optimizer pass turns into update graphs. The
// learning rate given here is the starting value of the program's `lr` input, so schedules
// change it between steps without recompiling.

import { fail } from '../ir/errors.js';

export interface SgdOptimizer {
  kind: 'sgd';
  lr: number;
  /** Heavy-ball momentum coefficient; 0 is plain gradient descent. */
  momentum: number;
  nesterov: boolean;
}

export interface AdamOptimizer {
  kind: 'adam' | 'adamw';
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay (AdamW); 0 for Adam. */
  weightDecay: number;
}

export type Optimizer = SgdOptimizer | AdamOptimizer;

function check(name: string, value: number, ok: boolean, rule: string): number {
  if (!Number.isFinite(value) || !ok) fail('usage', `${name} must be ${rule}, got ${value}`);
  return value;
}

const inUnit = (v: number) => v >= 0 && v < 1;

/** Stochastic gradient descent, optionally with (Nesterov) momentum: v = mu v + g; w -= lr v. */
export function sgd(o: { lr: number; momentum?: number; nesterov?: boolean }): SgdOptimizer {
  const momentum = check('sgd: momentum', o.momentum ?? 0, inUnit(o.momentum ?? 0), 'in [0, 1)');
  if (o.nesterov && momentum === 0) fail('usage', 'sgd: nesterov needs a momentum > 0');
  return { kind: 'sgd', lr: check('sgd: lr', o.lr, o.lr > 0, 'positive'), momentum, nesterov: o.nesterov ?? false };
}

function adamLike(kind: 'adam' | 'adamw', o: AdamArgs, weightDecay: number): AdamOptimizer {
  const beta1 = o.beta1 ?? 0.9;
  const beta2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  return {
    kind,
    lr: check(`${kind}: lr`, o.lr ?? 1e-3, (o.lr ?? 1e-3) > 0, 'positive'),
    beta1: check(`${kind}: beta1`, beta1, inUnit(beta1), 'in [0, 1)'),
    beta2: check(`${kind}: beta2`, beta2, inUnit(beta2), 'in [0, 1)'),
    eps: check(`${kind}: eps`, eps, eps > 0, 'positive'),
    weightDecay: check(`${kind}: weightDecay`, weightDecay, weightDecay >= 0, 'non-negative'),
  };
}

interface AdamArgs {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** Adam (Kingma & Ba), with bias-corrected moment estimates. */
export function adam(o: AdamArgs = {}): AdamOptimizer {
  return adamLike('adam', o, 0);
}

/** AdamW (Loshchilov & Hutter): Adam with weight decay applied to the weights directly. */
export function adamw(o: AdamArgs & { weightDecay?: number } = {}): AdamOptimizer {
  return adamLike('adamw', o, o.weightDecay ?? 0.01);
}

export function describeOptimizer(o: Optimizer): string {
  if (o.kind === 'sgd') return `sgd(lr=${o.lr}${o.momentum ? `, momentum=${o.momentum}` : ''}${o.nesterov ? ', nesterov' : ''})`;
  return `${o.kind}(lr=${o.lr}, beta1=${o.beta1}, beta2=${o.beta2}, eps=${o.eps}${o.kind === 'adamw' ? `, weightDecay=${o.weightDecay}` : ''})`;
}
