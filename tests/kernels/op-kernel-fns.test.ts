// The graph ops and the kernel functions they lower to agree: each elementwise graph op of one or
// two operands has the kernel function of its name (runtime/kernel-fns.ts) with the same operand
// dtypes, result dtype and cost, and the same commutativity; fusion's view of each op comes from
// its definition.

import { describe, expect, it } from 'vitest';
import { BINARY_FNS, UNARY_FNS, isBinaryFn, isUnaryFn } from '../../runtime/kernel-fns.js';
import type { KernelFnDef } from '../../runtime/kernel-fns.js';
import type { AnyPrimitiveDef } from '../../src/ir/op.js';
import { OP_DEFS } from '../../src/ir/ops/index.js';
import type { DType } from '../../src/ir/types.js';

const DTYPES: readonly DType[] = ['f32', 'i32', 'bool'];
const primitives = Object.values(OP_DEFS).filter((d): d is AnyPrimitiveDef => d.kind === 'primitive');
/** Elementwise ops without attributes, of one or two operands: the ones a kernel function computes. */
const plain = primitives.filter((d) => d.category === 'elementwise' && Object.keys(d.attrs).length === 0 && d.operands.length <= 2);

/** The result dtype the op's shape rule gives for operands of `dtype`, or undefined where it rejects them. */
function resultOf(def: AnyPrimitiveDef, dtype: DType): DType | undefined {
  const operands = def.operands.map(() => ({ dtype, shape: [2] }));
  try {
    return def.infer(operands, {} as never).dtype;
  } catch {
    return undefined;
  }
}

function expectAgree(def: AnyPrimitiveDef, fn: KernelFnDef): void {
  const accepted = DTYPES.filter((d) => resultOf(def, d) !== undefined);
  expect(accepted, `${def.name}: dtypes`).toEqual([...fn.dtypes]);
  for (const d of accepted) expect(resultOf(def, d), `${def.name}: result on ${d}`).toBe(fn.result === 'bool' ? 'bool' : d);
  expect(def.cost, `${def.name}: cost`).toBe(fn.cost);
  expect(def.commutative ?? false, `${def.name}: commutative`).toBe(fn.commutative ?? false);
}

describe('graph ops and kernel functions', () => {
  it('every kernel function is a graph op', () => {
    for (const name of [...Object.keys(UNARY_FNS), ...Object.keys(BINARY_FNS)]) expect(plain.map((d) => d.name)).toContain(name);
  });

  it.each(plain.map((d) => [d.name, d] as const))('%s has the kernel function of its name, with its dtypes', (name, def) => {
    if (def.operands.length === 1) {
      expect(isUnaryFn(name), `${name} is a unary kernel function`).toBe(true);
      if (isUnaryFn(name)) expectAgree(def, UNARY_FNS[name]);
    } else {
      expect(isBinaryFn(name), `${name} is a binary kernel function`).toBe(true);
      if (isBinaryFn(name)) expectAgree(def, BINARY_FNS[name]);
    }
  });

  it('folds and views are the ops fusion and lowering treat so', () => {
    const named = (k: string) =>
      primitives
        .filter((d) => d.fusion === k)
        .map((d) => d.name)
        .sort();
    // FoldNode in src/kernels/fusion.ts lists the folds by name; lowering switches on them.
    expect(named('fold')).toEqual(['argmax', 'matmul', 'reduce_max', 'reduce_sum']);
    expect(named('view')).toEqual(['broadcast_to', 'reshape', 'slice', 'transpose']);
    const free = primitives
      .filter((d) => d.cost === 0)
      .map((d) => d.name)
      .sort();
    expect(free).toEqual(['broadcast_to', 'concat', 'constant', 'pad', 'reshape', 'slice', 'transpose']);
  });

  it('only elementwise binary ops with a commutative kernel function are commutative', () => {
    const commutative = Object.values(OP_DEFS)
      .filter((d) => d.commutative)
      .map((d) => d.name)
      .sort();
    expect(commutative).toEqual(['add', 'eq', 'max', 'min', 'mul', 'ne']);
  });
});
