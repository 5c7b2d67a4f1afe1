// Classification metrics as composites: scalar f32[] outputs a model adds beside its loss, so
// training and evaluation report them.

import { fail } from '../errors.js';
import { composite } from '../op.js';
import type { Emitter } from '../op.js';
import { formatType, sameShape } from '../types.js';
import { scalar } from './composites.js';
import { FLOAT, requireDType } from './util.js';

/** The mean of a bool tensor as a fraction in [0, 1]. */
function fractionTrue(e: Emitter, hits: string): string {
  const f = e.emit('cast', [hits], { to: 'f32' });
  return e.emit('mean', [f], { axes: e.typeOf(f).shape.map((_, i) => i) });
}

export const accuracy = composite({
  name: 'accuracy',
  doc: 'fraction of examples whose largest logit (last axis) is at the i32 label; a label outside [0, C) is a miss, and an empty batch gives nan (0 / 0)',
  operands: ['logits', 'labels'],
  decompose(e, [logits, labels]) {
    const lt = e.typeOf(logits!);
    const yt = e.typeOf(labels!);
    requireDType('accuracy', 'logits', lt, FLOAT);
    requireDType('accuracy', 'labels', yt, ['i32']);
    if (lt.shape.length === 0 || !sameShape(lt.shape.slice(0, -1), yt.shape)) {
      fail('shape', `accuracy: labels ${formatType(yt)} must have the shape of logits ${formatType(lt)} without its last axis`);
    }
    return fractionTrue(e, e.emit('eq', [e.emit('argmax', [logits!], { axis: -1 }), labels!]));
  },
});

export const binary_accuracy = composite({
  name: 'binary_accuracy',
  doc: 'fraction of scores on the same side of `threshold` as targets are of 0.5 (threshold 0 for logits)',
  operands: ['score', 'target'],
  decompose(e, [score, target], { threshold }) {
    const st = e.typeOf(score!);
    const tt = e.typeOf(target!);
    requireDType('binary_accuracy', 'score', st, FLOAT);
    requireDType('binary_accuracy', 'target', tt, FLOAT);
    if (!sameShape(st.shape, tt.shape)) fail('shape', `binary_accuracy: score ${formatType(st)} and target ${formatType(tt)} differ in shape`);
    const predicted = e.emit('gt', [score!, scalar(e, threshold)]);
    const actual = e.emit('gt', [target!, scalar(e, 0.5)]);
    return fractionTrue(e, e.emit('eq', [predicted, actual]));
  },
});
