// The cse pass: golden IR for merged duplicates (chains, commutative operands, constants,
// random draws) and the near-duplicates that must stay apart.

import { describe, expect, test } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { parseGraph, printGraph } from '../../src/ir/text.js';
import { cse } from '../../src/passes/cse.js';
import { compareOnReference } from '../support/random-graphs.js';

const graph = (body: string): Graph => parseGraph(`graph g {${body}\n}\n`);

describe('cse', () => {
  test('a duplicate is merged into the first, and so are duplicates of what read it', () => {
    expect(
      printGraph(
        cse(
          graph(`
  input x: f32[3]
  %a = exp(%x) : f32[3]
  %b = exp(%x) : f32[3]
  %c = neg(%a) : f32[3]
  %d = neg(%b) : f32[3]
  %y = add(%c, %d) : f32[3]
  output y = %y
  output b = %b`),
        ),
      ),
    ).toBe(`graph g {
  input x: f32[3]
  %a = exp(%x) : f32[3]
  %c = neg(%a) : f32[3]
  %y = add(%c, %c) : f32[3]
  output y = %y
  output b = %a
}
`);
  });

  test('add, mul, max, min, eq and ne match with operands swapped; sub does not', () => {
    expect(
      printGraph(
        cse(
          graph(`
  input a: f32[3]
  input b: f32[3]
  %s1 = add(%a, %b) : f32[3]
  %s2 = add(%b, %a) : f32[3]
  %m1 = max(%a, %b) : f32[3]
  %m2 = max(%b, %a) : f32[3]
  %e1 = ne(%a, %b) : bool[3]
  %e2 = ne(%b, %a) : bool[3]
  %d1 = sub(%a, %b) : f32[3]
  %d2 = sub(%b, %a) : f32[3]
  output s = %s2
  output m = %m2
  output e = %e2
  output d1 = %d1
  output d2 = %d2`),
        ),
      ),
    ).toBe(`graph g {
  input a: f32[3]
  input b: f32[3]
  %s1 = add(%a, %b) : f32[3]
  %m1 = max(%a, %b) : f32[3]
  %e1 = ne(%a, %b) : bool[3]
  %d1 = sub(%a, %b) : f32[3]
  %d2 = sub(%b, %a) : f32[3]
  output s = %s1
  output m = %m1
  output e = %e1
  output d1 = %d1
  output d2 = %d2
}
`);
  });

  test('constants merge when dtype, shape and values are equal (a splat equals its spelled-out form)', () => {
    expect(
      printGraph(
        cse(
          graph(`
  %a = constant() {shape=[3], value=[2]} : f32[3]
  %b = constant() {shape=[3], value=[2, 2, 2]} : f32[3]
  %c = constant() {dtype=i32, shape=[3], value=[2]} : i32[3]
  %d = constant() {shape=[], value=[2]} : f32[]
  %n1 = constant() {value=[nan]} : f32[]
  %n2 = constant() {value=[nan]} : f32[]
  %z1 = constant() {value=[0]} : f32[]
  %z2 = constant() {value=[-0]} : f32[]
  output a = %a
  output b = %b
  output c = %c
  output d = %d
  output n = %n2
  output z1 = %z1
  output z2 = %z2`),
        ),
      ),
    ).toBe(`graph g {
  %a = constant() {dtype=f32, shape=[3], value=[2]} : f32[3]
  %c = constant() {dtype=i32, shape=[3], value=[2]} : i32[3]
  %d = constant() {dtype=f32, shape=[], value=[2]} : f32[]
  %n1 = constant() {dtype=f32, shape=[], value=[nan]} : f32[]
  %z1 = constant() {dtype=f32, shape=[], value=[0]} : f32[]
  %z2 = constant() {dtype=f32, shape=[], value=[-0]} : f32[]
  output a = %a
  output b = %a
  output c = %c
  output d = %d
  output n = %n1
  output z1 = %z1
  output z2 = %z2
}
`);
  });

  test('random draws with the same seed, key and shape are one value (counter-based streams)', () => {
    expect(
      printGraph(
        cse(
          graph(`
  input k: i32[]
  %r1 = random_uniform(%k) {shape=[3], seed=1} : f32[3]
  %r2 = random_uniform(%k) {shape=[3], seed=1} : f32[3]
  %r3 = random_uniform(%k) {shape=[3], seed=2} : f32[3]
  %r4 = random_uniform() {shape=[3], seed=1} : f32[3]
  %r5 = random_normal(%k) {shape=[3], seed=1} : f32[3]
  output r2 = %r2
  output r3 = %r3
  output r4 = %r4
  output r5 = %r5`),
        ),
      ),
    ).toBe(`graph g {
  input k: i32[]
  %r1 = random_uniform(%k) {shape=[3], low=0, high=1, seed=1} : f32[3]
  %r3 = random_uniform(%k) {shape=[3], low=0, high=1, seed=2} : f32[3]
  %r4 = random_uniform() {shape=[3], low=0, high=1, seed=1} : f32[3]
  %r5 = random_normal(%k) {shape=[3], mean=0, std=1, seed=1} : f32[3]
  output r2 = %r1
  output r3 = %r3
  output r4 = %r4
  output r5 = %r5
}
`);
  });

  test('different attributes keep nodes apart; a graph without duplicates comes back as it is', () => {
    const g = graph(`
  input x: f32[2, 3]
  %a = reduce_sum(%x) {axes=[0]} : f32[3]
  %b = reduce_sum(%x) {axes=[0], keepdims=true} : f32[1, 3]
  %c = reduce_sum(%x) {axes=[1]} : f32[2]
  %d = transpose(%x) {perm=[1, 0]} : f32[3, 2]
  output a = %a
  output b = %b
  output c = %c
  output d = %d`);
    expect(cse(g)).toBe(g);
  });

  test('updates follow the merged value, and the merged graph computes the same', async () => {
    const g = graph(`
  input x: f32[3]
  param w: f32[3] = ones()
  %a = mul(%x, %w) : f32[3]
  %b = mul(%w, %x) : f32[3]
  %c = sub(%a, %b) : f32[3]
  %u = add(%w, %b) : f32[3]
  output c = %c
  update w = %u`);
    const merged = cse(g);
    expect(printGraph(merged)).toBe(`graph g {
  input x: f32[3]
  param w: f32[3] = ones()
  %a = mul(%x, %w) : f32[3]
  %c = sub(%a, %a) : f32[3]
  %u = add(%w, %a) : f32[3]
  output c = %c
  update w = %u
}
`);
    expect(await compareOnReference(g, merged, { x: new Float32Array([1, -2, 0.5]) })).toBeUndefined();
  });
});
