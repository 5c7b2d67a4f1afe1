// conv2d, max_pool2d and avg_pool2d beyond their conformance cases and gradient checks: the
// errors a bad image, filter or window gets, the same training steps of a small convolutional
// network on every backend, and the model language.

import { describe, expect, test } from 'vitest';
import { graph, init } from '../../src/frontend/builder.js';
import { parseModel } from '../../src/frontend/dsl/index.js';
import { compile, type BackendName } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import { sgd } from '../../src/train/optimizers.js';
import { compileTraining } from '../../src/train/trainer.js';
import { expectClose, inputsFor } from '../backends/agreement.js';
import { describeWebGpu } from '../support/webgpu.js';

function build(x: number[], w: number[] | undefined, op: 'conv2d' | 'max_pool2d' | 'avg_pool2d' | 'upsample2d', attrs: Record<string, unknown>): () => void {
  return () => {
    const b = new GraphBuilder('bad');
    const xs = b.input('x', { dtype: 'f32', shape: x });
    const ins = w ? [xs, b.input('w', { dtype: 'f32', shape: w })] : [xs];
    b.output('y', b.emitDynamic(op, ins, attrs));
  };
}

describe('errors', () => {
  test.each([
    ['an image of rank 3', build([8, 8, 1], [3, 3, 1, 2], 'conv2d', {}), /conv2d: the input must be NHWC \(rank 4\), got f32\[8, 8, 1\]/],
    ['a channel mismatch', build([1, 8, 8, 3], [3, 3, 2, 4], 'conv2d', {}), /conv2d: the filter f32\[3, 3, 2, 4\] takes 2 input channels, the image f32\[1, 8, 8, 3\] has 3/],
    ['an unknown padding', build([1, 8, 8, 1], [3, 3, 1, 1], 'conv2d', { padding: 'full' }), /conv2d: padding must be 'valid', 'same' or 'explicit', got 'full'/],
    [
      'a window larger than the image',
      build([1, 2, 2, 1], [3, 3, 1, 1], 'conv2d', {}),
      /conv2d: a 3×3 window \(dilated to 3×3\) does not fit a 2×2 image with padding \[0, 0, 0, 0\]/,
    ],
    ['a zero stride', build([1, 4, 4, 1], [2, 2, 1, 1], 'conv2d', { strides: [0, 1] }), /conv2d: strides must be two positive integers, got \[0, 1\]/],
    [
      'explicit padding without four pads',
      build([1, 4, 4, 1], [2, 2, 1, 1], 'conv2d', { padding: 'explicit', pads: [1, 1] }),
      /explicit padding takes pads \[top, bottom, left, right\]/,
    ],
    ['an upsampling scale of 0', build([1, 2, 2, 1], undefined, 'upsample2d', { scale: [0, 2] }), /upsample2d: scale must be two positive integers, got \[0, 2\]/],
    ['a pool size of one number', build([1, 4, 4, 1], undefined, 'max_pool2d', { size: [2] }), /max_pool2d: size must be two positive integers, got \[2\]/],
    [
      'an average window wholly in the padding',
      build([1, 2, 2, 1], undefined, 'avg_pool2d', { size: [1, 1], padding: 'explicit', pads: [1, 0, 0, 0] }),
      /avg_pool2d: the window at output cell \(0, 0\) lies wholly in the padding/,
    ],
  ])('%s is refused, naming it', (_what, make, message) => {
    expect(make).toThrow(message);
  });

  test('layer_norm refuses a gamma that is not the size of its axis', () => {
    const b = new GraphBuilder('bad');
    const ins = [b.input('x', { dtype: 'f32', shape: [2, 4] }), b.input('g', { dtype: 'f32', shape: [3] }), b.input('b', { dtype: 'f32', shape: [4] })];
    expect(() => b.emitDynamic('layer_norm', ins, {})).toThrow("layer_norm: 'gamma' must be f32[4] (axis 1 of f32[2, 4]), got f32[3]");
  });
});

/** conv 'same' → relu → max pool → conv 'valid' → avg pool → dense → softmax cross-entropy, on 8×8×1 images. */
const convnet = graph('convnet', (b) => {
  const x = b.input('x', 'f32', ['B', 8, 8, 1]);
  const y = b.input('y', 'i32', ['B']);
  const w1 = b.param('w1', 'f32', [3, 3, 1, 4], init.heNormal());
  const w2 = b.param('w2', 'f32', [3, 3, 4, 6], init.heNormal());
  const wd = b.param('wd', 'f32', [6, 3], init.glorotUniform());
  const h1 = b.op('max_pool2d', [b.op('conv2d', [x, w1], { padding: 'same' }).relu()], { size: [2, 2] });
  const h2 = b.op('avg_pool2d', [b.op('conv2d', [h1, w2], {}).relu()], { size: [2, 2] });
  const logits = h2.reshape(['B', 6]).matmul(wd);
  b.output('loss', b.op('softmax_cross_entropy', [logits, y]));
});

describe('a small convolutional network', () => {
  const steps = async (backend: BackendName) => {
    const trainer = await compileTraining(convnet, { backend, optimizer: sgd({ lr: 0.1 }), seed: 5, shapes: { B: 4 } });
    const batch = inputsFor(convnet, { B: 4 }, 9);
    const losses: number[] = [];
    for (let s = 0; s < 3; s++) losses.push((await trainer.step(batch))['loss']!);
    return { losses, state: await trainer.readState() };
  };
  const agree = (backend: BackendName) => async () => {
    const [want, got] = await Promise.all([steps('reference'), steps(backend)]);
    expect(got.losses[2]).toBeLessThan(got.losses[0]!);
    got.losses.forEach((l, i) => expect(Math.abs(l - want.losses[i]!)).toBeLessThanOrEqual(1e-5 * Math.abs(want.losses[i]!) + 1e-6));
    for (const [name, t] of Object.entries(want.state)) expectClose(name, got.state[name]!, t, { rtol: 1e-4, atol: 1e-6 });
  };
  test.each(['js', 'wasm'] as const)('three SGD steps on %s give the reference losses and weights', async (backend) => agree(backend)());
  describeWebGpu('on webgpu', () => {
    test('three SGD steps give the reference losses and weights', agree('webgpu'));
  });
});

test('the model language calls them by name, with their attributes', async () => {
  const source = `model tiny {
  input x: f32[B, 6, 6, 2]
  param w: f32[3, 3, 2, 3] = he_normal(seed=1)
  let h = relu(conv2d(x, w, strides=[2, 2], padding="same"))
  output pooled = avg_pool2d(max_pool2d(h, size=[2, 2], strides=[1, 1], padding="same"), size=[3, 3])
}`;
  const g = parseModel(source, 'tiny.kiln').graph;
  const exe = await compile(g, { shapes: { B: 2 } });
  const out = await exe.run(inputsFor(g, { B: 2 }, 1));
  expect(out['pooled']!.shape).toEqual([2, 1, 1, 3]);
});
