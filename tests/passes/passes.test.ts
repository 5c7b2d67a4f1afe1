// The specialize and decompose passes: golden IR text, primitives only, and the same results.

import { describe, expect, test } from 'vitest';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { OPS } from '../../src/ir/ops/index.js';
import { printGraph } from '../../src/ir/text.js';
import { verify } from '../../src/ir/verify.js';
import { decompose } from '../../src/passes/decompose.js';
import { specialize } from '../../src/passes/specialize.js';
import { ReferenceExecutable } from '../../src/backends/reference/index.js';
import { catchKiln } from '../catch-kiln.js';

function softmaxGraph() {
  const b = new GraphBuilder('probs');
  const x = b.input('x', { dtype: 'f32', shape: ['B', 3] });
  b.output('p', b.emit('softmax', [x], {}, undefined, 'p'));
  return b.build();
}

describe('specialize', () => {
  test('binds B everywhere, including shape attributes', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: ['B', 3] });
    b.output('y', b.emit('reshape', [x], { shape: [3, 'B'] }, undefined, 'y'));
    expect(printGraph(specialize(b.build(), { shapes: { B: 2 } }))).toBe(
      ['graph g {', '  input x: f32[2, 3]', '  %y = reshape(%x) {shape=[3, 2]} : f32[3, 2]', '  output y = %y', '}', ''].join('\n'),
    );
  });

  test('a binding that breaks a shape rule is caught again', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', { dtype: 'f32', shape: ['N'] });
    b.output('y', b.emit('slice', [x], { begin: [0], end: [2147483647], stride: [1] }));
    // Binding N lets the slice's bounds be checked against a real size; 0 is a valid, empty result.
    const g = specialize(b.build(), { shapes: { N: 0 } });
    expect(g.nodes[0]!.type.shape).toEqual([0]);
  });
});

describe('decompose', () => {
  test('softmax becomes its five primitives (golden)', () => {
    expect(printGraph(decompose(softmaxGraph()))).toBe(
      [
        'graph probs {',
        '  input x: f32[B, 3]',
        '  %p.0 = reduce_max(%x) {axes=[1], keepdims=true} : f32[B, 1]',
        '  %p.1 = sub(%x, %p.0) : f32[B, 3]',
        '  %p.2 = exp(%p.1) : f32[B, 3]',
        '  %p.3 = reduce_sum(%p.2) {axes=[1], keepdims=true} : f32[B, 1]',
        '  %p = div(%p.2, %p.3) : f32[B, 3]',
        '  output p = %p',
        '}',
        '',
      ].join('\n'),
    );
  });

  test('every composite expands to primitives only, and the result verifies', () => {
    const composites = [...OPS.values()].filter((d) => d.kind === 'composite').map((d) => d.name);
    expect(composites.sort()).toEqual([
      'accuracy',
      'avg_pool2d',
      'binary_accuracy',
      'binary_cross_entropy',
      'clip',
      'conv2d',
      'dense',
      'dropout',
      'global_avg_pool2d',
      'identity',
      'l1_penalty',
      'l2_penalty',
      'layer_norm',
      'log_softmax',
      'mae',
      'max_pool2d',
      'mean',
      'mse',
      'sigmoid_cross_entropy',
      'softmax',
      'softmax_cross_entropy',
      'softmax_cross_entropy_onehot',
      'square',
      'upsample2d',
    ]);
    const b = new GraphBuilder('all');
    const x = b.input('x', { dtype: 'f32', shape: ['B', 4] });
    const w = b.input('w', { dtype: 'f32', shape: [4, 4] });
    const v = b.input('v', { dtype: 'f32', shape: [4] });
    const labels = b.input('labels', { dtype: 'i32', shape: ['B'] });
    const key = b.input('key', { dtype: 'i32', shape: [] });
    const image = b.input('image', { dtype: 'f32', shape: ['B', 5, 5, 2] });
    const filter = b.input('filter', { dtype: 'f32', shape: [3, 3, 2, 4] });
    const attrs: Record<string, Record<string, unknown>> = {
      conv2d: { strides: [2, 2], padding: 'same' },
      max_pool2d: { size: [2, 2], padding: 'same' },
      avg_pool2d: { size: [3, 3], strides: [1, 1], padding: 'same' },
      mean: { axes: [0, 1] },
      clip: { min: -1, max: 1 },
      binary_cross_entropy: { eps: 1e-5 },
      dropout: { rate: 0.25, seed: 2 },
    };
    const operands: Record<string, string[]> = {
      dense: [x, w, v],
      conv2d: [image, filter],
      max_pool2d: [image],
      avg_pool2d: [image],
      global_avg_pool2d: [image],
      upsample2d: [image],
      layer_norm: [x, v, v],
      mae: [x, x],
      mse: [x, x],
      binary_cross_entropy: [x, x],
      sigmoid_cross_entropy: [x, x],
      softmax_cross_entropy: [x, labels],
      softmax_cross_entropy_onehot: [x, x],
      dropout: [x, key],
      accuracy: [x, labels],
      binary_accuracy: [x, x],
    };
    for (const op of composites) b.output(op, b.emitDynamic(op, operands[op] ?? [x], attrs[op] ?? {}));
    const g = decompose(b.build());
    verify(g);
    expect(g.nodes.filter((n) => OPS.get(n.op)!.kind !== 'primitive')).toEqual([]);
    // identity is no node at all: its output is the input itself.
    expect(g.outputs.find((o) => o.name === 'identity')!.value).toBe('x');
  });

  test('a graph of primitives comes back unchanged', () => {
    const g = decompose(softmaxGraph());
    expect(decompose(g)).toBe(g);
  });
});

describe('the reference backend takes prepared graphs only', () => {
  test('composites and symbolic shapes are refused with the pass to run', () => {
    expect(catchKiln(() => new ReferenceExecutable(specialize(softmaxGraph(), { shapes: { B: 1 } }))).message).toBe(
      'reference backend: softmax is a composite; run the decompose pass first (compile() does)',
    );
    expect(catchKiln(() => new ReferenceExecutable(decompose(softmaxGraph()))).message).toBe(
      'reference backend: shape f32[B, 3] is not concrete; run the specialize pass first (compile() does)',
    );
  });

  test('compile verifies the graph it is given', async () => {
    const g = softmaxGraph();
    g.nodes[0]!.type = { dtype: 'f32', shape: ['B', 4] };
    await expect(compile(g, { shapes: { B: 1 } })).rejects.toThrow(/recorded type f32\[B, 4\] differs from the inferred type f32\[B, 3\]/);
  });
});
