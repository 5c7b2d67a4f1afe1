// The IR grad() appends, as text: a change to the backward graph's shape shows up in review.

import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { parseGraph, printGraph } from '../../src/ir/text.js';
import { grad } from '../../src/passes/autodiff.js';

/** loss = reduce_sum(x * w) over x: f32[3] and w: f32[3] = ones(). */
function dot(): Graph {
  const b = new GraphBuilder('tiny');
  b.input('x', { dtype: 'f32', shape: [3] });
  b.param('w', { dtype: 'f32', shape: [3] }, { fn: 'ones', args: {} });
  b.output('loss', b.emit('reduce_sum', [b.emit('mul', ['x', 'w'])], { axes: [0] }));
  return b.build();
}

describe('golden backward graphs', () => {
  it('reduce_sum(x * w) by default (every parameter): the x cotangent of mul is dropped', () => {
    expect(printGraph(grad(dot()))).toBe(`graph tiny {
  input x: f32[3]
  param w: f32[3] = ones()
  %t0 = mul(%x, %w) : f32[3]
  %t1 = reduce_sum(%t0) {axes=[0], keepdims=false} : f32[]
  %t2 = constant() {dtype=f32, shape=[], value=[1]} : f32[]
  %t3 = reshape(%t2) {shape=[1]} : f32[1]
  %t4 = broadcast_to(%t3) {shape=[3]} : f32[3]
  %t6 = mul(%t4, %x) : f32[3]
  output loss = %t1
  output grad_w = %t6
}
`);
  });

  it('reduce_sum(x * w) with respect to x and w', () => {
    expect(printGraph(grad(dot(), { wrt: ['x', 'w'] }))).toBe(`graph tiny {
  input x: f32[3]
  param w: f32[3] = ones()
  %t0 = mul(%x, %w) : f32[3]
  %t1 = reduce_sum(%t0) {axes=[0], keepdims=false} : f32[]
  %t2 = constant() {dtype=f32, shape=[], value=[1]} : f32[]
  %t3 = reshape(%t2) {shape=[1]} : f32[1]
  %t4 = broadcast_to(%t3) {shape=[3]} : f32[3]
  %t5 = mul(%t4, %w) : f32[3]
  %t6 = mul(%t4, %x) : f32[3]
  output loss = %t1
  output grad_x = %t5
  output grad_w = %t6
}
`);
  });

  it('reduce_sum(x * (x * r)) with x a broadcast row: each use sums back to [2], then add', () => {
    const b = new GraphBuilder('twice');
    b.input('x', { dtype: 'f32', shape: [2] });
    b.input('r', { dtype: 'f32', shape: [2, 2] });
    b.output('loss', b.emit('reduce_sum', [b.emit('mul', ['x', b.emit('mul', ['x', 'r'])])], { axes: [0, 1] }));
    expect(printGraph(grad(b.build(), { wrt: ['x'] }))).toBe(`graph twice {
  input x: f32[2]
  input r: f32[2, 2]
  %t0 = mul(%x, %r) : f32[2, 2]
  %t1 = mul(%x, %t0) : f32[2, 2]
  %t2 = reduce_sum(%t1) {axes=[0, 1], keepdims=false} : f32[]
  %t3 = constant() {dtype=f32, shape=[], value=[1]} : f32[]
  %t4 = reshape(%t3) {shape=[1, 1]} : f32[1, 1]
  %t5 = broadcast_to(%t4) {shape=[2, 2]} : f32[2, 2]
  %t6 = mul(%t5, %t0) : f32[2, 2]
  %t7 = mul(%t5, %x) : f32[2, 2]
  %t8 = reduce_sum(%t6) {axes=[0], keepdims=true} : f32[1, 2]
  %t9 = reshape(%t8) {shape=[2]} : f32[2]
  %t10 = mul(%t7, %r) : f32[2, 2]
  %t12 = reduce_sum(%t10) {axes=[0], keepdims=true} : f32[1, 2]
  %t13 = reshape(%t12) {shape=[2]} : f32[2]
  %t14 = add(%t9, %t13) : f32[2]
  output loss = %t2
  output grad_x = %t14
}
`);
  });

  it('the backward graph prints and parses back to the same text', () => {
    const text = printGraph(grad(dot(), { wrt: ['x', 'w'] }));
    expect(printGraph(parseGraph(text))).toBe(text);
  });
});
