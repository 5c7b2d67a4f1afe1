// The constant-fold pass: golden IR for scalar, splat and element-wise folds, the size limit,
// and what is never folded (random draws, failing evaluations, non-constant operands).

import { describe, expect, test } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { parseGraph, printGraph } from '../../src/ir/text.js';
import { constantFold } from '../../src/passes/constant-fold.js';
import { dce } from '../../src/passes/dce.js';
import { compareOnReference } from '../support/random-graphs.js';

const graph = (body: string): Graph => parseGraph(`graph g {${body}\n}\n`);
/** The folded graph without the constants nothing reads any more. */
const folded = (body: string, maxElements?: number): string => printGraph(dce(constantFold(graph(body), maxElements === undefined ? {} : { maxElements })));

describe('constant-fold', () => {
  test('an op of scalar constants becomes one constant, computed in f32', () => {
    expect(
      folded(`
  %a = constant() {value=[0.1]} : f32[]
  %b = constant() {value=[0.2]} : f32[]
  %c = add(%a, %b) : f32[] loc("m.kiln":3:9)
  output c = %c`),
    ).toBe(`graph g {
  %c = constant() {dtype=f32, shape=[], value=[0.30000001192092896]} : f32[] loc("m.kiln":3:9)
  output c = %c
}
`);
  });

  test('folds chain: a fold reads what earlier folds made', () => {
    expect(
      folded(`
  input x: f32[3]
  %a = constant() {value=[2]} : f32[]
  %b = mul(%a, %a) : f32[]
  %c = sqrt(%b) : f32[]
  %d = cast(%c) {to=i32} : i32[]
  %e = cast(%d) {to=f32} : f32[]
  %y = mul(%x, %e) : f32[3]
  output y = %y`),
    ).toBe(`graph g {
  input x: f32[3]
  %e = constant() {dtype=f32, shape=[], value=[2]} : f32[]
  %y = mul(%x, %e) : f32[3]
  output y = %y
}
`);
  });

  test('i32 arithmetic wraps as at run time', () => {
    expect(
      folded(`
  %a = constant() {dtype=i32, value=[2147483647]} : i32[]
  %b = constant() {dtype=i32, value=[1]} : i32[]
  %c = add(%a, %b) : i32[]
  output c = %c`),
    ).toBe(`graph g {
  %c = constant() {dtype=i32, shape=[], value=[-2147483648]} : i32[]
  output c = %c
}
`);
  });

  test('splats fold at symbolic shapes: elementwise, reductions, matmul', () => {
    expect(
      folded(`
  %z = constant() {shape=[B, 4], value=[0]} : f32[B, 4]
  %e = exp(%z) : f32[B, 4]
  %s = reduce_sum(%e) {axes=[1], keepdims=true} : f32[B, 1]
  %h = constant() {shape=[1, 3], value=[0.5]} : f32[1, 3]
  %m = matmul(%s, %h) : f32[B, 3]
  %gt = gt(%m, %s) : bool[B, 3]
  output m = %m
  output gt = %gt`),
    ).toBe(`graph g {
  %m = constant() {dtype=f32, shape=[B, 3], value=[2]} : f32[B, 3]
  %gt = constant() {dtype=bool, shape=[B, 3], value=[0]} : bool[B, 3]
  output m = %m
  output gt = %gt
}
`);
  });

  test('a rearranged splat is a splat of the new shape, however large', () => {
    expect(
      folded(`
  %c = constant() {value=[7]} : f32[]
  %b = broadcast_to(%c) {shape=[1000, 1000]} : f32[1000, 1000]
  %t = transpose(%b) {perm=[1, 0]} : f32[1000, 1000]
  output t = %t`),
    ).toBe(`graph g {
  %t = constant() {dtype=f32, shape=[1000, 1000], value=[7]} : f32[1000, 1000]
  output t = %t
}
`);
  });

  test('other results are folded element by element at concrete shapes', () => {
    expect(
      folded(`
  %k = constant() {shape=[2, 3], value=[1, 2, 3, 4, 5, 6]} : f32[2, 3]
  %t = transpose(%k) {perm=[1, 0]} : f32[3, 2]
  %p = pad(%t) {before=[0, 1], after=[0, 0], value=9} : f32[3, 3]
  output p = %p`),
    ).toBe(`graph g {
  %p = constant() {dtype=f32, shape=[3, 3], value=[9, 1, 4, 9, 2, 5, 9, 3, 6]} : f32[3, 3]
  output p = %p
}
`);
  });

  test('a result whose elements are all equal is written as one value', () => {
    expect(
      folded(`
  %k = constant() {shape=[4], value=[-1, 1, 1, -1]} : f32[4]
  %a = abs(%k) : f32[4]
  output a = %a`),
    ).toBe(`graph g {
  %a = constant() {dtype=f32, shape=[4], value=[1]} : f32[4]
  output a = %a
}
`);
  });

  test('a large non-splat result stays an op (the limit is 4096 elements by default)', () => {
    const body = `
  %k = constant() {shape=[4], value=[1, 2, 3, 4]} : f32[4]
  %b = broadcast_to(%k) {shape=[2048, 4]} : f32[2048, 4]
  output b = %b`;
    const big = graph(body);
    expect(constantFold(big)).toBe(big);
    const small = `
  %k = constant() {shape=[4], value=[1, 2, 3, 4]} : f32[4]
  %b = broadcast_to(%k) {shape=[2, 4]} : f32[2, 4]
  output b = %b`;
    expect(folded(small)).toContain('%b = constant() {dtype=f32, shape=[2, 4], value=[1, 2, 3, 4, 1, 2, 3, 4]}');
    expect(folded(small, 4)).toContain('%b = broadcast_to(%k)');
  });

  test('a non-splat at a symbolic shape stays: its elements cannot be listed', () => {
    const g = graph(`
  %k = constant() {shape=[3], value=[1, 2, 3]} : f32[3]
  %b = broadcast_to(%k) {shape=[B, 3]} : f32[B, 3]
  output b = %b`);
    expect(constantFold(g)).toBe(g);
  });

  test('random draws are not folded, nor what they feed', () => {
    const g = graph(`
  %r = random_uniform() {shape=[3], seed=1} : f32[3]
  %c = constant() {value=[2]} : f32[]
  %y = mul(%r, %c) : f32[3]
  output y = %y`);
    expect(constantFold(g)).toBe(g);
  });

  test('an evaluation that fails is left for run time, where it reports its node', () => {
    const g = graph(`
  %x = constant() {shape=[3], value=[1, 2, 3]} : f32[3]
  %i = constant() {dtype=i32, shape=[2], value=[0, 5]} : i32[2]
  %y = gather(%x, %i) : f32[2]
  output y = %y`);
    expect(constantFold(g)).toBe(g);
    const ok = graph(`
  %x = constant() {shape=[3], value=[1, 2, 3]} : f32[3]
  %i = constant() {dtype=i32, shape=[2], value=[2, 0]} : i32[2]
  %y = gather(%x, %i) : f32[2]
  output y = %y`);
    expect(printGraph(dce(constantFold(ok)))).toContain('%y = constant() {dtype=f32, shape=[2], value=[3, 1]} : f32[2]');
  });

  test('nodes with an input or parameter operand stay; the graph object too when nothing folds', () => {
    const g = graph(`
  input x: f32[3]
  param w: f32[3] = ones()
  %c = constant() {value=[2]} : f32[]
  %y = mul(%x, %c) : f32[3]
  %z = add(%w, %c) : f32[3]
  output y = %y
  output z = %z`);
    expect(constantFold(g)).toBe(g);
  });

  test('folded and unfolded graphs compute the same', async () => {
    const g = graph(`
  input x: f32[2, 3]
  %k = constant() {shape=[2, 3], value=[1, -2, 3, -4, 5, -6]} : f32[2, 3]
  %t = tanh(%k) : f32[2, 3]
  %s = reduce_max(%t) {axes=[0], keepdims=true} : f32[1, 3]
  %a = argmax(%k) {axis=1} : i32[2]
  %f = cast(%a) {to=f32} : f32[2]
  %r = reshape(%f) {shape=[2, 1]} : f32[2, 1]
  %y = mul(%x, %s) : f32[2, 3]
  %z = add(%y, %r) : f32[2, 3]
  output z = %z`);
    const after = dce(constantFold(g));
    expect(after.nodes.map((n) => `${n.name}=${n.op}`)).toEqual(['s=constant', 'r=constant', 'y=mul', 'z=add']);
    const x = new Float32Array([0.5, -1, 2, 3, -0.25, 1]);
    expect(await compareOnReference(g, after, { x })).toBeUndefined();
  });
});
