// The model language refuses a loss whose target has another shape than its prediction, at the
// call's line:col, naming both operands and their shapes; one shape passes.

import { describe, expect, test } from 'vitest';
import { checkModel } from '../../src/frontend/dsl/index.js';

/** A model with x: f32[B, 4], y: f32[B, 1] and h: f32[B, 1], then `body`. */
const model = (body: string) => `model m {\n  input x: f32[B, 4]\n  input y: f32[B, 1]\n  param w: f32[4, 1]\n  let h = x @ w\n${body}\n}\n`;

const messages = (source: string) => checkModel(source, 'm.kiln').diagnostics.map((d) => `${d.span.file}:${d.span.line}:${d.span.col}: ${d.message}`);

describe('losses over two shapes', () => {
  const cases: [string, string, string][] = [
    ['mse of a column against rows', '  loss mse(h, x)', 'm.kiln:6:8: mse: pred f32[B, 1] and target f32[B, 4] must have the same shape'],
    ['mae of rows against a column', '  output l = mae(x, y)', 'm.kiln:6:14: mae: pred f32[B, 4] and target f32[B, 1] must have the same shape'],
    ['binary_cross_entropy', '  loss binary_cross_entropy(sigmoid(h), x)', 'm.kiln:6:8: binary_cross_entropy: prob f32[B, 1] and target f32[B, 4] must have the same shape'],
    ['sigmoid_cross_entropy', '  loss sigmoid_cross_entropy(h, x)', 'm.kiln:6:8: sigmoid_cross_entropy: logits f32[B, 1] and target f32[B, 4] must have the same shape'],
    [
      'softmax_cross_entropy_onehot',
      '  loss softmax_cross_entropy_onehot(x, y)',
      'm.kiln:6:8: softmax_cross_entropy_onehot: logits f32[B, 4] and target f32[B, 1] must have the same shape',
    ],
    ['a column against a vector', '  loss mse(h, reshape(y, shape=[B]))', 'm.kiln:6:8: mse: pred f32[B, 1] and target f32[B] must have the same shape'],
  ];
  test.each(cases)('%s', (_name, body, message) => {
    expect(messages(model(body))).toEqual([message]);
  });

  test('a symbolic batch against a number', () => {
    const source = 'model m {\n  input p: f32[B, 1]\n  input t: f32[8, 1]\n  loss mse(p, t)\n}\n';
    expect(messages(source)).toEqual([
      'm.kiln:4:8: mse: pred f32[B, 1] and target f32[8, 1] must have the same shape (dim 0: B against 8; a symbolic dim matches only the same symbol)',
    ]);
  });

  test('labels of softmax_cross_entropy: the logits without the class axis', () => {
    const source = 'model m {\n  input z: f32[B, 10]\n  input y: i32[B, 1]\n  loss softmax_cross_entropy(z, y)\n}\n';
    expect(messages(source)).toEqual(['m.kiln:4:8: softmax_cross_entropy: labels i32[B, 1] must have the shape of logits f32[B, 10] without its last (class) axis']);
  });

  test('one shape passes', () => {
    expect(messages(model('  loss mse(h, y)'))).toEqual([]);
  });
});
