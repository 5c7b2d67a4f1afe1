// Every differentiable op has a finite-difference gradient check: each primitive with a VJP and
// each composite (differentiated through its decomposition) has a case in GRAD_CASES, and each
// case passes. An op added without a case fails here, not silently.

import { describe, expect, it } from 'vitest';
import { OP_DEFS } from '../../src/ir/ops/index.js';
import { GRAD_CASES } from './cases.js';
import { gradCheck } from './gradcheck.js';

const differentiable = Object.values(OP_DEFS)
  .filter((d) => d.kind === 'composite' || d.vjp !== 'none')
  .map((d) => d.name);

describe('gradient check coverage', () => {
  it('every differentiable primitive and every composite has a case', () => {
    expect(differentiable.filter((op) => !GRAD_CASES[op]?.length)).toEqual([]);
  });

  it('no case is for an op without a gradient', () => {
    expect(Object.keys(GRAD_CASES).filter((op) => !(differentiable as string[]).includes(op))).toEqual([]);
  });

  const cases = Object.entries(GRAD_CASES).flatMap(([op, list]) => (list ?? []).map((c) => [`${op}: ${c.label}`, c] as const));
  it.each(cases)('%s', async (_name, c) => {
    await gradCheck(c.build, c.inputs, c.options);
  });
});
