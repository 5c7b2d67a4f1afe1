// Op names and attributes are types: each `@ts-expect-error` below must be an error for tsc
// (which checks tests/ too), so a typo in an op or attribute name cannot compile. The runtime
// checks cover what types cannot: the registry's keys are its definitions' names.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Node } from '../../src/ir/graph.js';
import type { OpDefOf, OpName } from '../../src/ir/op.js';
import { OPS, OP_DEFS, getOp, isOpName } from '../../src/ir/ops/index.js';
import { OP_SCHEMAS } from '../../src/ir/ops/schemas.js';

/** Never called: the type checker reads it. */
export function typeErrors(b: GraphBuilder, n: Node): void {
  // @ts-expect-error an unknown op
  b.emit('tanhh', ['x']);
  // @ts-expect-error a wrong attribute name
  b.emit('transpose', ['x'], { prem: [1, 0] });
  // @ts-expect-error a wrong attribute type
  b.emit('transpose', ['x'], { perm: 'reverse' });
  // @ts-expect-error a required attribute left out
  b.emit('transpose', ['x'], {});
  // @ts-expect-error an attribute for an op that takes none
  b.emit('neg', ['x'], { axis: 0 });
  // Attributes with defaults may be left out.
  b.emit('reduce_sum', ['x'], { axes: [0] });

  // @ts-expect-error attrs of a node of unknown op: perm is not on every node
  void n.attrs.perm;
  if (n.op === 'transpose') {
    const perm: number[] = n.attrs.perm;
    void perm;
  }

  const { neg: _neg, ...withoutNeg } = OP_DEFS;
  // @ts-expect-error a registry missing an op's definition
  const missing: { readonly [N in OpName]: OpDefOf<N> } = withoutNeg;
  // @ts-expect-error a definition filed under another op's name
  const misfiled: { readonly [N in OpName]: OpDefOf<N> } = { ...OP_DEFS, neg: OP_DEFS.abs };
  // @ts-expect-error a composite where a primitive belongs
  const miskind: { readonly [N in OpName]: OpDefOf<N> } = { ...OP_DEFS, square: OP_DEFS.mul };
  void [missing, misfiled, miskind];
}

describe('the op registry', () => {
  it('holds one definition per schema, under its own name', () => {
    expect(Object.keys(OP_DEFS).sort()).toEqual(Object.keys(OP_SCHEMAS).sort());
    for (const [name, def] of Object.entries(OP_DEFS)) {
      expect(def.name).toBe(name);
      expect(def.attrs).toBe(OP_SCHEMAS[def.name]);
    }
    expect([...OPS.keys()]).toEqual(Object.keys(OP_DEFS));
  });

  it('validates names that come from outside once', () => {
    expect(isOpName('transpose')).toBe(true);
    expect(isOpName('tanhh')).toBe(false);
    expect(isOpName('constructor')).toBe(false);
    expect(() => getOp('tanhh')).toThrow(/unknown op 'tanhh'/);
  });

  it('keeps an emitted node typed by its op', () => {
    const b = new GraphBuilder('g');
    b.input('x', { dtype: 'f32', shape: [2, 3] });
    b.output('y', b.emit('transpose', ['x'], { perm: [1, 0] }));
    const n = b.build().nodes[0]!;
    expect(n.op === 'transpose' && n.attrs.perm).toEqual([1, 0]);
  });
});
