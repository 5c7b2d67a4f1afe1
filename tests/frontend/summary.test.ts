// summary(graph): one row per layer (parameters grouped by the prefix before their last '.'),
// the layer's output shape, its parameter count, then the totals; non-f32 parameters are not trainable.

import { describe, expect, it } from 'vitest';
import { graph } from '../../src/frontend/builder.js';
import { summary } from '../../src/ir/summary.js';

describe('summary', () => {
  it('prints layers, loose parameters, output shapes and the totals', () => {
    const g = graph('mlp', (b) => {
      const x = b.input('x', 'f32', ['B', 784]);
      const h = b.dense(x, 256, { activation: 'relu' });
      const w = b.param('w_out', 'f32', [256, 10]);
      const steps = b.param('steps', 'i32', []);
      b.output('logits', b.dense(h, 10, { name: 'head', useBias: false }).add(h.matmul(w)));
      b.output('s', steps.add(1));
    });
    expect(summary(g)).toBe(
      [
        'Model: mlp',
        'Layer    Output shape  Param #',
        '==============================',
        'dense_1  [B, 256]      200,960',
        'w_out    [B, 10]         2,560',
        'steps    []                  1',
        'head     [B, 10]         2,560',
        '==============================',
        'Total params: 206,081',
        'Trainable params: 206,080',
        'Non-trainable params: 1',
        '',
      ].join('\n'),
    );
  });

  it('counts a parameter of symbolic size with its symbols', () => {
    const g = graph('sym', (b) => {
      const x = b.input('x', 'f32', [2, 'C']);
      b.output('y', x.matmul(b.param('w', 'f32', ['C', 3])).add(b.param('b', 'f32', [3])));
    });
    expect(summary(g).split('\n').slice(3)).toEqual([
      'w      [2, 3]            3*C',
      'b      [2, 3]              3',
      '============================',
      'Total params: 3 + 3*C',
      'Trainable params: 3 + 3*C',
      'Non-trainable params: 0',
      '',
    ]);
  });
});
