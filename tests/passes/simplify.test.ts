// The simplify pass: golden IR before and after each rule (each also run on both sides with the
// same inputs), the cases that must stay as they are, fixed points and spans.

import { describe, expect, test } from 'vitest';
import { graphSymbols } from '../../src/ir/bind.js';
import type { Graph } from '../../src/ir/graph.js';
import { parseGraph, printGraph } from '../../src/ir/text.js';
import { dce } from '../../src/passes/dce.js';
import { RULES, simplify } from '../../src/passes/simplify.js';
import { compareOnReference } from '../support/random-graphs.js';

const graph = (body: string): Graph => parseGraph(`graph g {${body}\n}\n`);

/** The pass's result with the nodes it left unread dropped (dce's job), and the rules that fired. */
function simplified(g: Graph): { text: string; fired: string[] } {
  const fired: string[] = [];
  const text = printGraph(dce(simplify(g, { onRewrite: (rule) => fired.push(rule) })));
  return { text, fired };
}

/** Inputs of every dtype: f32 in [-2, 2], i32 in [-3, 3], bool 0 or 1. */
function inputsFor(g: Graph, shapes: Record<string, number>): Record<string, Float32Array | Int32Array | Uint8Array> {
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const out: Record<string, Float32Array | Int32Array | Uint8Array> = {};
  for (const i of g.inputs) {
    const n = i.type.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : shapes[d]!), 1);
    const draw = i.type.dtype === 'f32' ? () => next() * 4 - 2 : i.type.dtype === 'i32' ? () => Math.floor(next() * 7) - 3 : () => +(next() < 0.5);
    const values = Array.from({ length: n }, draw);
    out[i.name] = i.type.dtype === 'f32' ? new Float32Array(values) : i.type.dtype === 'i32' ? new Int32Array(values) : new Uint8Array(values);
  }
  return out;
}

interface Case {
  rule: string;
  before: string;
  after: string;
}

const CASES: Case[] = [
  {
    rule: 'mul-one',
    before: `
  input x: f32[3]
  %one = constant() {value=[1]} : f32[]
  %y = mul(%one, %x) : f32[3]
  %z = exp(%y) : f32[3]
  output z = %z`,
    after: `graph g {
  input x: f32[3]
  %z = exp(%x) : f32[3]
  output z = %z
}
`,
  },
  {
    rule: 'mul-neg-one',
    before: `
  input x: f32[3]
  %m = constant() {value=[-1]} : f32[]
  %y = mul(%x, %m) : f32[3]
  output y = %y`,
    after: `graph g {
  input x: f32[3]
  %y = neg(%x) : f32[3]
  output y = %y
}
`,
  },
  {
    rule: 'mul-zero',
    before: `
  input x: i32[3]
  %zero = constant() {dtype=i32, value=[0]} : i32[]
  %y = mul(%x, %zero) : i32[3]
  output y = %y`,
    after: `graph g {
  input x: i32[3]
  %y = constant() {dtype=i32, shape=[3], value=[0]} : i32[3]
  output y = %y
}
`,
  },
  {
    // The zero is broadcast, but x already has the result's shape.
    rule: 'add-zero',
    before: `
  input x: f32[2, 3]
  %zero = constant() {shape=[3], value=[0]} : f32[3]
  %y = add(%x, %zero) : f32[2, 3]
  output y = %y`,
    after: `graph g {
  input x: f32[2, 3]
  output y = %x
}
`,
  },
  {
    rule: 'sub-zero',
    before: `
  input x: f32[3]
  %zero = constant() {value=[0]} : f32[]
  %y = sub(%x, %zero) : f32[3]
  output y = %y`,
    after: `graph g {
  input x: f32[3]
  output y = %x
}
`,
  },
  {
    rule: 'sub-self',
    before: `
  input x: i32[2, 2]
  %y = sub(%x, %x) : i32[2, 2]
  output y = %y`,
    after: `graph g {
  input x: i32[2, 2]
  %y = constant() {dtype=i32, shape=[2, 2], value=[0]} : i32[2, 2]
  output y = %y
}
`,
  },
  {
    rule: 'div-one',
    before: `
  input x: i32[3]
  %one = constant() {dtype=i32, value=[1]} : i32[]
  %y = div(%x, %one) : i32[3]
  output y = %y`,
    after: `graph g {
  input x: i32[3]
  output y = %x
}
`,
  },
  {
    // Both new nodes carry the span of the division they replace.
    rule: 'div-pow2',
    before: `
  input x: f32[3]
  %four = constant() {value=[4]} : f32[]
  %y = div(%x, %four) : f32[3] loc("m.kiln":2:7)
  output y = %y`,
    after: `graph g {
  input x: f32[3]
  %y.0 = constant() {dtype=f32, shape=[], value=[0.25]} : f32[] loc("m.kiln":2:7)
  %y = mul(%x, %y.0) : f32[3] loc("m.kiln":2:7)
  output y = %y
}
`,
  },
  {
    rule: 'add-neg',
    before: `
  input a: f32[3]
  input b: f32[3]
  %n = neg(%b) : f32[3]
  %y = add(%n, %a) : f32[3]
  output y = %y`,
    after: `graph g {
  input a: f32[3]
  input b: f32[3]
  %y = sub(%a, %b) : f32[3]
  output y = %y
}
`,
  },
  {
    rule: 'sub-neg',
    before: `
  input a: f32[3]
  input b: f32[3]
  %n = neg(%b) : f32[3]
  %y = sub(%a, %n) : f32[3] loc("m.kiln":4:3)
  output y = %y`,
    after: `graph g {
  input a: f32[3]
  input b: f32[3]
  %y = add(%a, %b) : f32[3] loc("m.kiln":4:3)
  output y = %y
}
`,
  },
  {
    rule: 'neg-neg',
    before: `
  input x: f32[3]
  %n = neg(%x) : f32[3]
  %y = neg(%n) : f32[3]
  output y = %y`,
    after: `graph g {
  input x: f32[3]
  output y = %x
}
`,
  },
  {
    rule: 'pow-one',
    before: `
  input x: f32[3]
  %one = constant() {value=[1]} : f32[]
  %y = pow(%x, %one) : f32[3]
  output y = %y`,
    after: `graph g {
  input x: f32[3]
  output y = %x
}
`,
  },
  {
    rule: 'pow-two',
    before: `
  input x: f32[3]
  %two = constant() {value=[2]} : f32[]
  %y = pow(%x, %two) : f32[3]
  output y = %y`,
    after: `graph g {
  input x: f32[3]
  %y = mul(%x, %x) : f32[3]
  output y = %y
}
`,
  },
  {
    rule: 'log-exp',
    before: `
  input x: f32[3]
  %e = exp(%x) : f32[3]
  %y = log(%e) : f32[3]
  output y = %y`,
    after: `graph g {
  input x: f32[3]
  output y = %x
}
`,
  },
  {
    rule: 'cast-same',
    before: `
  input x: i32[3]
  %y = cast(%x) {to=i32} : i32[3]
  output y = %y`,
    after: `graph g {
  input x: i32[3]
  output y = %x
}
`,
  },
  {
    rule: 'where-same',
    before: `
  input c: bool[3]
  input x: f32[3]
  %y = where(%c, %x, %x) : f32[3]
  output y = %y`,
    after: `graph g {
  input c: bool[3]
  input x: f32[3]
  output y = %x
}
`,
  },
  {
    rule: 'transpose-id',
    before: `
  input x: f32[2, 3]
  %y = transpose(%x) {perm=[0, 1]} : f32[2, 3]
  output y = %y`,
    after: `graph g {
  input x: f32[2, 3]
  output y = %x
}
`,
  },
  {
    // [1, 2, 0] then [1, 0, 2] is [2, 1, 0]; [1, 2, 0] then [2, 0, 1] is the identity.
    rule: 'transpose-transpose',
    before: `
  input x: f32[2, 3, 4]
  %t = transpose(%x) {perm=[1, 2, 0]} : f32[3, 4, 2]
  %y = transpose(%t) {perm=[1, 0, 2]} : f32[4, 3, 2]
  %z = transpose(%t) {perm=[2, 0, 1]} : f32[2, 3, 4]
  output y = %y
  output z = %z`,
    after: `graph g {
  input x: f32[2, 3, 4]
  %y = transpose(%x) {perm=[2, 1, 0]} : f32[4, 3, 2]
  output y = %y
  output z = %x
}
`,
  },
  {
    rule: 'reshape-same',
    before: `
  input x: f32[2, 3]
  %y = reshape(%x) {shape=[2, 3]} : f32[2, 3]
  output y = %y`,
    after: `graph g {
  input x: f32[2, 3]
  output y = %x
}
`,
  },
  {
    // A reshape back to x's own shape is x.
    rule: 'reshape-reshape',
    before: `
  input x: f32[2, 3]
  %r = reshape(%x) {shape=[3, 2]} : f32[3, 2]
  %y = reshape(%r) {shape=[6]} : f32[6]
  %z = reshape(%r) {shape=[2, 3]} : f32[2, 3]
  output y = %y
  output z = %z`,
    after: `graph g {
  input x: f32[2, 3]
  %y = reshape(%x) {shape=[6]} : f32[6]
  output y = %y
  output z = %x
}
`,
  },
  {
    rule: 'broadcast-same',
    before: `
  input x: f32[B, 3]
  %y = broadcast_to(%x) {shape=[B, 3]} : f32[B, 3]
  output y = %y`,
    after: `graph g {
  input x: f32[B, 3]
  output y = %x
}
`,
  },
  {
    rule: 'broadcast-broadcast',
    before: `
  input x: f32[3]
  %b = broadcast_to(%x) {shape=[2, 3]} : f32[2, 3]
  %y = broadcast_to(%b) {shape=[4, 2, 3]} : f32[4, 2, 3]
  output y = %y`,
    after: `graph g {
  input x: f32[3]
  %y = broadcast_to(%x) {shape=[4, 2, 3]} : f32[4, 2, 3]
  output y = %y
}
`,
  },
  {
    rule: 'broadcast-reshape',
    before: `
  input x: f32[]
  %r = reshape(%x) {shape=[1, 1]} : f32[1, 1]
  %y = broadcast_to(%r) {shape=[B, 10]} : f32[B, 10]
  output y = %y`,
    after: `graph g {
  input x: f32[]
  %y = broadcast_to(%x) {shape=[B, 10]} : f32[B, 10]
  output y = %y
}
`,
  },
  {
    rule: 'broadcast-splat',
    before: `
  %c = constant() {value=[2]} : f32[]
  %y = broadcast_to(%c) {shape=[B, 3]} : f32[B, 3]
  output y = %y`,
    after: `graph g {
  %y = constant() {dtype=f32, shape=[B, 3], value=[2]} : f32[B, 3]
  output y = %y
}
`,
  },
  {
    // Over no axes: x; over an axis of size 1: a reshape.
    rule: 'sum-unit',
    before: `
  input x: f32[3, 1]
  %y = reduce_sum(%x) {axes=[]} : f32[3, 1]
  %z = reduce_sum(%x) {axes=[-1]} : f32[3]
  output y = %y
  output z = %z`,
    after: `graph g {
  input x: f32[3, 1]
  %z = reshape(%x) {shape=[3]} : f32[3]
  output y = %x
  output z = %z
}
`,
  },
  {
    rule: 'max-unit',
    before: `
  input x: f32[1, 3]
  %y = reduce_max(%x) {axes=[0], keepdims=true} : f32[1, 3]
  output y = %y`,
    after: `graph g {
  input x: f32[1, 3]
  output y = %x
}
`,
  },
  {
    rule: 'argmax-unit',
    before: `
  input x: f32[3, 1]
  %y = argmax(%x) {axis=-1} : i32[3]
  output y = %y`,
    after: `graph g {
  input x: f32[3, 1]
  %y = constant() {dtype=i32, shape=[3], value=[0]} : i32[3]
  output y = %y
}
`,
  },
  {
    // Stride 2 over one element, and -3 to the end of three, take everything.
    rule: 'slice-all',
    before: `
  input x: f32[1, 3]
  %y = slice(%x) {begin=[0, -3], end=[1, 2147483647], stride=[2, 1]} : f32[1, 3]
  output y = %y`,
    after: `graph g {
  input x: f32[1, 3]
  output y = %x
}
`,
  },
  {
    rule: 'pad-none',
    before: `
  input x: f32[2, 3]
  %y = pad(%x) {before=[0, 0], after=[0, 0], value=1} : f32[2, 3]
  output y = %y`,
    after: `graph g {
  input x: f32[2, 3]
  output y = %x
}
`,
  },
  {
    rule: 'concat-one',
    before: `
  input x: f32[2, 3]
  %y = concat(%x) {axis=1} : f32[2, 3]
  output y = %y`,
    after: `graph g {
  input x: f32[2, 3]
  output y = %x
}
`,
  },
];

describe('simplify: one golden case per rule', () => {
  test('every rule has a case', () => {
    expect(CASES.map((c) => c.rule).sort()).toEqual(RULES.map((r) => r.name).sort());
  });

  for (const c of CASES) {
    test(c.rule, async () => {
      const before = graph(c.before);
      const { text, fired } = simplified(before);
      expect(text).toBe(c.after);
      expect(new Set(fired)).toEqual(new Set([c.rule]));
      // Both sides compute the same on the reference backend.
      const shapes = { B: 2 };
      const bind = graphSymbols(before).size ? { shapes } : {};
      expect(await compareOnReference(before, parseGraph(c.after), inputsFor(before, shapes), bind)).toBeUndefined();
    });
  }
});

describe('simplify: what stays', () => {
  const unchanged = (name: string, body: string) =>
    test(name, () => {
      const g = graph(body);
      expect(simplify(g)).toBe(g);
    });

  // The result is f32[2, 3]; x is f32[3]: replacing the sum by x would change its type.
  unchanged(
    'x + 0 where the zero broadcasts x to a larger shape',
    `
  input x: f32[3]
  %zero = constant() {shape=[2, 3], value=[0]} : f32[2, 3]
  %y = add(%x, %zero) : f32[2, 3]
  output y = %y`,
  );

  unchanged(
    'where(c, x, x) where c is larger than x',
    `
  input c: bool[2, 3]
  input x: f32[3]
  %y = where(%c, %x, %x) : f32[2, 3]
  output y = %y`,
  );

  // nan * 0 and inf * 0 are nan.
  unchanged(
    'f32 x * 0',
    `
  input x: f32[3]
  %zero = constant() {value=[0]} : f32[]
  %y = mul(%x, %zero) : f32[3]
  output y = %y`,
  );

  // inf - inf is nan.
  unchanged(
    'f32 x - x',
    `
  input x: f32[3]
  %y = sub(%x, %x) : f32[3]
  output y = %y`,
  );

  // 1/3 is not exact in f32.
  unchanged(
    'x / 3',
    `
  input x: f32[3]
  %three = constant() {value=[3]} : f32[]
  %y = div(%x, %three) : f32[3]
  output y = %y`,
  );

  // log is nan below 0, so exp(log(x)) is not x.
  unchanged(
    'exp(log(x))',
    `
  input x: f32[3]
  %l = log(%x) : f32[3]
  %y = exp(%l) : f32[3]
  output y = %y`,
  );

  unchanged(
    'a slice that drops an element',
    `
  input x: f32[3]
  %y = slice(%x) {begin=[1], end=[3], stride=[1]} : f32[2]
  output y = %y`,
  );

  unchanged(
    'a reshape to another shape',
    `
  input x: f32[2, 3]
  %y = reshape(%x) {shape=[3, 2]} : f32[3, 2]
  output y = %y`,
  );

  unchanged(
    'a sum over an axis longer than 1',
    `
  input x: f32[3, 2]
  %y = reduce_sum(%x) {axes=[1], keepdims=true} : f32[3, 1]
  output y = %y`,
  );

  unchanged(
    'a cast to another dtype',
    `
  input x: f32[3]
  %y = cast(%x) {to=i32} : i32[3]
  output y = %y`,
  );
});

describe('simplify: fixed points', () => {
  test('rules apply to what other rules made, until none fires', () => {
    const g = graph(`
  input a: f32[3]
  input b: f32[3]
  %one = constant() {value=[1]} : f32[]
  %zero = constant() {value=[0]} : f32[]
  %n1 = neg(%b) : f32[3]
  %n2 = neg(%n1) : f32[3]
  %n3 = neg(%n2) : f32[3]
  %m = mul(%a, %one) : f32[3]
  %s = sub(%m, %n3) : f32[3]
  %y = add(%zero, %s) : f32[3]
  output y = %y`);
    const { text, fired } = simplified(g);
    // -(-(-b)) = -b; a * 1 = a; a - (-b) = a + b; 0 + (a + b) = a + b.
    expect(text).toBe(`graph g {
  input a: f32[3]
  input b: f32[3]
  %s = add(%a, %b) : f32[3]
  output y = %s
}
`);
    expect(fired).toEqual(['neg-neg', 'mul-one', 'sub-neg', 'add-zero']);
  });

  test('a node a rule makes is offered to the rules again', () => {
    // x / -1 becomes x * -1 (div-pow2), which becomes -x (mul-neg-one).
    const g = graph(`
  input x: f32[3]
  %c = constant() {value=[-1]} : f32[]
  %y = div(%x, %c) : f32[3]
  output y = %y`);
    const { text, fired } = simplified(g);
    expect(text).toBe(`graph g {
  input x: f32[3]
  %y = neg(%x) : f32[3]
  output y = %y
}
`);
    expect(fired).toEqual(['div-pow2', 'mul-neg-one']);
  });

  test('a simplified graph is a fixed point: the pass returns it as it is', () => {
    const g = simplify(graph(CASES.find((c) => c.rule === 'transpose-transpose')!.before));
    expect(simplify(g)).toBe(g);
  });

  test('outputs and updates follow the values that replace theirs', () => {
    const g = graph(`
  input x: f32[3]
  param w: f32[3] = zeros()
  %zero = constant() {value=[0]} : f32[]
  %u = add(%w, %zero) : f32[3]
  %y = sub(%x, %zero) : f32[3]
  output y = %y
  update w = %u`);
    expect(printGraph(dce(simplify(g)))).toBe(`graph g {
  input x: f32[3]
  param w: f32[3] = zeros()
  output y = %x
  update w = %w
}
`);
  });
});
