// `kiln inspect FILE --summary`: the layer table of a .kiln model, and the flags it refuses.

import { describe, expect, test } from 'vitest';
import { kiln } from './run-kiln.js';

describe('kiln inspect --summary', () => {
  test('prints the layers of the mnist MLP with their output shapes and counts', async () => {
    const { code, out, err } = await kiln('inspect', 'examples/mnist-mlp.kiln', '--summary');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toBe(
      [
        'Model: mnist_mlp',
        'Layer   Output shape  Param #',
        '=============================',
        'h1      [B, 256]      200,960',
        'h2      [B, 256]       65,792',
        'logits  [B, 10]         2,570',
        '=============================',
        'Total params: 269,322',
        'Trainable params: 269,322',
        'Non-trainable params: 0',
        '',
      ].join('\n'),
    );
  });

  test('binds --shapes first', async () => {
    const { out } = await kiln('inspect', 'examples/mnist-mlp.kiln', '--summary', '--shapes', 'B=32');
    expect(out).toContain('h1      [32, 256]     200,960');
  });

  test('refuses the flags that print something else', async () => {
    const { code, err } = await kiln('inspect', 'examples/mnist-mlp.kiln', '--summary', '--grad');
    expect(code).toBe(1);
    expect(err).toContain("--summary prints the model's layers; it takes no --grad");
  });
});
