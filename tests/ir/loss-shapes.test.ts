// A loss refuses a target of another shape instead of broadcasting it: from the builder (at the
// call site), in IR text and IR JSON (at the node), and when a binding is checked; the
// `shapes` hint of an unbound dimension is worded for the API.

import { describe, expect, it } from 'vitest';
import type { Builder, Sym } from '../../src/frontend/builder.js';
import * as kiln from '../../src/index.js';
import { KilnError } from '../../src/ir/errors.js';
import { HintedError, cliMessage } from '../../src/ir/hints.js';
import { parseGraphJSON } from '../../src/ir/json.js';
import { parseGraph } from '../../src/ir/text.js';
import { catchKiln } from '../catch-kiln.js';

const MSE_COLUMN_VS_ROWS = 'mse: pred f32[B, 1] and target f32[B, 4] must have the same shape';

/** Runs `build` as a graph with inputs x: f32[B, 4] and y: f32[B, 1]. */
const withInputs = (build: (b: Builder, x: Sym, y: Sym) => Sym) =>
  kiln.graph('g', (b) => {
    const x = b.input('x', 'f32', ['B', 4]);
    const y = b.input('y', 'f32', ['B', 1]);
    b.output('loss', build(b, x, y));
  });

describe('the builder refuses a loss over two shapes at the call site', () => {
  const here = /^.*loss-shapes\.test\.ts:\d+:\d+: /.source;
  const cases: [string, (b: Builder, x: Sym, y: Sym) => Sym, string][] = [
    ['mse of a column against rows', (b, x, y) => b.mse(y, x), MSE_COLUMN_VS_ROWS],
    ['mae of rows against a column', (b, x, y) => b.mae(x, y), 'mae: pred f32[B, 4] and target f32[B, 1] must have the same shape'],
    ['binary_cross_entropy', (b, x, y) => b.binaryCrossEntropy(y.sigmoid(), x), 'binary_cross_entropy: prob f32[B, 1] and target f32[B, 4] must have the same shape'],
    ['sigmoid_cross_entropy', (b, x, y) => b.sigmoidCrossEntropy(y, x), 'sigmoid_cross_entropy: logits f32[B, 1] and target f32[B, 4] must have the same shape'],
    [
      'softmax_cross_entropy_onehot',
      (b, x, y) => b.softmaxCrossEntropyOneHot(x, y),
      'softmax_cross_entropy_onehot: logits f32[B, 4] and target f32[B, 1] must have the same shape',
    ],
  ];
  it.each(cases)('%s', (_name, build, message) => {
    const e = catchKiln(() => withInputs(build));
    expect(e.code).toBe('shape');
    expect(e.message).toMatch(new RegExp(`${here}${message.replace(/[[\]]/g, '\\$&')}$`));
  });

  it('a column against a vector, the broadcast that once averaged over [B, B]', () => {
    const e = catchKiln(() => withInputs((b, _x, y) => b.mse(y, y.reshape(['B']))));
    expect(e.detail).toBe('mse: pred f32[B, 1] and target f32[B] must have the same shape');
  });

  it('a symbolic batch against a number, and two symbols, with the dim that differs', () => {
    const e = catchKiln(() => kiln.graph('g', (b) => b.output('loss', b.mse(b.input('p', 'f32', ['B', 1]), b.input('t', 'f32', [32, 1])))));
    expect(e.detail).toBe('mse: pred f32[B, 1] and target f32[32, 1] must have the same shape (dim 0: B against 32; a symbolic dim matches only the same symbol)');
    const two = catchKiln(() => kiln.graph('g', (b) => b.output('loss', b.mae(b.input('p', 'f32', ['B', 2]), b.input('t', 'f32', ['N', 2])))));
    expect(two.detail).toBe('mae: pred f32[B, 2] and target f32[N, 2] must have the same shape (dim 0: B against N; a symbolic dim matches only the same symbol)');
  });

  it('softmax_cross_entropy: labels are logits without the class axis, the batch symbol included', () => {
    const e = catchKiln(() => kiln.graph('g', (b) => b.output('loss', b.softmaxCrossEntropy(b.input('z', 'f32', ['B', 10]), b.input('y', 'i32', [32])))));
    expect(e.detail).toBe('softmax_cross_entropy: labels i32[32] must have the shape of logits f32[B, 10] without its last (class) axis');
  });

  it('one shape, symbolic, builds and runs once B is bound', async () => {
    const g = withInputs((b, _x, y) => b.mse(y, y.mul(2)));
    const exe = await kiln.compile(g, { shapes: { B: 2 } });
    const { loss } = await exe.run({ x: new Float32Array(8), y: new Float32Array([1, 3]) });
    expect(Array.from(loss!.data)).toEqual([5]); // mean of 1^2 and 3^2
  });
});

describe('IR files refuse it at the node', () => {
  const text = `graph g {
  input x: f32[B, 4]
  input y: f32[B, 1]
  %t0 = mse(%y, %x) : f32[]
  output loss = %t0
}
`;

  it('IR text: file:line:col of the node', () => {
    const e = catchKiln(() => parseGraph(text, 'g.kir'));
    expect(e.message).toBe(`g.kir:4:3: node %t0 = mse(%y, %x) : f32[]: ${MSE_COLUMN_VS_ROWS}`);
  });

  it('IR JSON: the node named', () => {
    const ok = kiln.graphToJSON(withInputs((b, _x, y) => b.mse(y, y)));
    const json = JSON.parse(JSON.stringify(ok)) as { graph: { nodes: { inputs: string[]; span?: unknown }[] } };
    const node = json.graph.nodes.at(-1)!;
    node.inputs = ['y', 'x'];
    node.span = { file: 'model.kiln', line: 7, col: 8 };
    const e = catchKiln(() => parseGraphJSON(JSON.stringify(json), 'g.json'));
    expect(e.message).toBe(`model.kiln:7:8: node %t0 = mse(%y, %x) : f32[]: ${MSE_COLUMN_VS_ROWS}`);
  });
});

describe('binding', () => {
  it('checks the loss again under the bound sizes', () => {
    const g = kiln.graph('g', (b) => b.output('loss', b.mse(b.input('p', 'f32', ['B', 2]), b.input('t', 'f32', ['B', 2]))));
    expect(kiln.specialize(g, { shapes: { B: 3 } }).nodes.at(-1)!.type).toEqual({ dtype: 'f32', shape: [] });
  });

  it('an unbound dimension names the shapes option for the API, the --shapes flag for the command line', async () => {
    const g = withInputs((b, _x, y) => b.mse(y, y));
    let thrown: unknown;
    await kiln.compile(g).catch((e: unknown) => (thrown = e));
    expect(thrown).toBeInstanceOf(HintedError);
    const e = thrown as KilnError;
    expect(e.message).toBe("unbound symbolic dimension 'B' (first in input x: f32[B, 4]); pass shapes: { B: <size> }");
    expect(cliMessage(e)).toBe("unbound symbolic dimension 'B' (first in input x: f32[B, 4]); pass --shapes B=<size>");
  });

  it('a name that is not a dimension, and a bad size, in both wordings', () => {
    const g = withInputs((b, _x, y) => b.mse(y, y));
    const unknown = catchKiln(() => kiln.bindShapes(g, { B: 2, N: 4 }));
    expect([unknown.message, cliMessage(unknown)]).toEqual([
      "shapes: 'N' is not a dimension of graph g (its symbols are B)",
      "--shapes: 'N' is not a dimension of graph g (its symbols are B)",
    ]);
    const bad = catchKiln(() => kiln.bindShapes(g, { B: 2 ** 53 }));
    expect(cliMessage(bad)).toBe('--shapes: B must be a non-negative integer (at most 2^53-1), got 9007199254740992');
  });

  it('an error without a command-line wording prints as it is', () => {
    const e = new KilnError('shape', 'mse: x', { file: 'a.kiln', line: 2, col: 3 });
    expect(cliMessage(e)).toBe('a.kiln:2:3: mse: x');
    expect(cliMessage(new HintedError('bind', (s) => `say ${s}`, { line: 1, col: 1 }))).toBe('<input>:1:1: say cli');
  });
});
