// Semantic errors of the model language, each with its exact line:col and message, and no graph.

import { describe, expect, test } from 'vitest';
import { lowerProgram } from '../../src/frontend/dsl/lower.js';
import type { LowerResult } from '../../src/frontend/dsl/lower.js';
import { parseProgram } from '../../src/frontend/dsl/parser.js';

const FILES: Readonly<Record<string, string>> = {
  'lib/a.kiln': 'import "b.kiln"\ndef fa(x) { return x }',
  'lib/b.kiln': 'import "a.kiln"\ndef fb(x) { return x }',
  'lib/self.kiln': 'import "self.kiln"\ndef s(x) { return x }',
  'lib/layers.kiln': 'def dense(x, n_in, n_out) {\n  param w: f32[n_in, n_out]\n  return x @ w\n}',
};

function lower(source: string, model?: string): LowerResult {
  const parsed = parseProgram(source, 'm.kiln');
  expect(parsed.diagnostics).toEqual([]);
  const readFile = (path: string): string => {
    const text = FILES[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
  return lowerProgram(parsed.program, { source, file: 'm.kiln', readFile, parse: parseProgram, ...(model ? { model } : {}) });
}

const UNKNOWN_SIZE = "is in no input's shape, so its size is never known; use a number or a symbol of an input";

/** A model around some statements, with x: f32[B, 3] and y: i32[B] declared on lines 2 and 3. */
const m = (body: string) => `model m {\n  input x: f32[B, 3]\n  input y: i32[B]\n${body}\n}`;

const CASES: [string, string, string[]][] = [
  ['an unknown name, with the nearest one', m('  let h2 = relu(x)\n  output o = h3'), ["5:14: unknown name 'h3' (did you mean 'h2'?)"]],
  ['an op used as a value', m('  output o = relu'), ["4:14: 'relu' is an op or a def, not a value; call it: relu(...)"]],
  ['an unknown op', m('  output o = sofmax(x)'), ["4:14: unknown op or def 'sofmax' (did you mean 'softmax'?)"]],
  ['a value called as an op', m('  output o = x(1)'), ["4:14: 'x' is a value, not an op or a def"]],
  ['too many operands', m('  output o = relu(x, x)'), ['4:14: relu takes 1 operand (x), got 2']],
  ['too few operands', m('  output o = add(x)'), ['4:14: add takes 2 operands (a, b), got 1']],
  ['an unknown keyword', m('  output o = sum(x, axs=1)'), ["4:21: sum: unknown keyword 'axs' (expected one of: axes, keepdims)"]],
  ['a keyword of an op without attributes', m('  output o = relu(x, alpha=0.1)'), ["4:22: relu takes no keywords, got 'alpha'"]],
  ['a missing attribute', m('  output o = cast(x)'), ["4:14: cast: missing attribute 'to' (a dtype: f32, i32 or bool)"]],
  ['an attribute of the wrong kind', m('  output o = sum(x, axis=1, keepdims=1)'), ["4:38: sum: attribute 'keepdims' must be true or false, got the number 1"]],
  ['a bad dtype name', m('  output o = cast(x, to=f64)'), ["4:25: cast: attribute 'to' must be a dtype: f32, i32 or bool, got 'f64'"]],
  ['a tensor where a number is needed', m('  output o = sum(x, axis=x)'), ["4:26: sum: attribute 'axes' must be a list of integers, got the tensor f32[B, 3]"]],
  ['matmul shapes', m('  param w: f32[4, 2]\n  output o = x @ w'), ['5:14: matmul: inner dimensions differ in f32[B, 3] @ f32[4, 2] (3 vs 4)']],
  ['shapes that do not broadcast', m('  param b: f32[4]\n  output o = x + b'), ['5:14: add: cannot broadcast f32[B, 3] with f32[4]']],
  ['mixed dtypes', m('  output o = cast(x, to=i32) * x'), ['4:14: mul: operands must have one dtype, got i32[B, 3], f32[B, 3]']],
  ['a number that does not fit the dtype', m('  output o = y + 0.5'), ['4:18: add: the number 0.5 does not fit the dtype of the other operand i32[B]']],
  [
    'a number where a tensor is required',
    m('  output o = x @ 2\n  output p = relu(3)'),
    ["4:18: matmul: operand 'b' must be a tensor, got the number 2", "5:19: relu: operand 'x' must be a tensor, got the number 3"],
  ],
  ['a number as an output', m('  let n = 3\n  output n'), ["5:10: output 'n' must be a tensor, got the number 3"]],
  [
    'a string or a list as a tensor',
    m('  output o = x + "a"\n  output p = [1, 2]'),
    ['4:18: expected a tensor or a number, got the string "a"', '5:14: expected a tensor or a number, got a list (lists are for attributes, e.g. axes=[1])'],
  ],
  ['a redefinition', m('  let h = relu(x)\n  let h = x\n  output h'), ["5:7: 'h' is already defined at 4:7"]],
  ['an output defined twice', m('  output x\n  output x'), ["5:10: output 'x' is already defined at 4:10"]],
  ['a tensor as a dimension', 'def f(x) {\n  param w: f32[x]\n  return w\n}\n' + m('  output o = f(x)'), ["2:16: 'x' is a tensor, not a dimension (in f called at 8:14)"]],
  [
    'a fractional dimension',
    'def f(x, n) {\n  param w: f32[n]\n  return x * w\n}\n' + m('  output o = f(x, 1.5)'),
    ["2:16: dimension 'n' must be an integer >= 0, got 1.5 (in f called at 8:14)"],
  ],
  [
    'a shape error inside a def names the call',
    'import "lib/layers.kiln"\n' + m('  let h = dense(x, 4, 2)\n  output h'),
    ['lib/layers.kiln:3:10: matmul: inner dimensions differ in f32[B, 3] @ f32[4, 2] (3 vs 4) (in dense called at m.kiln:5:11)'],
  ],
  ['return outside a def', m('  return x\n  output x'), ["4:3: 'return' outside a def; a model gives its results with 'output'"]],
  ['return as the only result of a model', m('  return x'), ["4:3: 'return' outside a def; a model gives its results with 'output'"]],
  ['a param dim that no input has', m('  param w: f32[3, C]\n  output o = x'), [`4:19: param w: dimension 'C' ${UNKNOWN_SIZE}`]],
  [
    'a param dim that no input has, in a def',
    'def f(x) {\n  param w: f32[D, 3]\n  return x\n}\n' + m('  output o = f(x)'),
    [`2:16: param w: dimension 'D' ${UNKNOWN_SIZE} (in f called at 8:14)`],
  ],
  ['a def without return', 'def f(x) {\n  let y = relu(x)\n}\n' + m('  output o = f(x)'), ['1:5: def f has no return']],
  [
    'statements a def may not hold',
    'def f(x) {\n  input z: f32[2]\n  loss x\n  return x\n  let y = x\n}\n' + m('  output o = f(x)'),
    [
      "2:3: 'input' is not allowed in a def; pass tensors to def f as arguments",
      "3:3: 'loss' is not allowed in a def; declare the loss in the model",
      '5:3: unreachable: def f has already returned at 4:3',
    ],
  ],
  ['an unknown name inside a def, called or not', 'def f(x, scale) {\n  return x * scal\n}\n' + m('  output o = x'), ["2:14: unknown name 'scal' (did you mean 'scale'?)"]],
  ['a def called with too few arguments', 'import "lib/layers.kiln"\n' + m('  output o = dense(x, 3)'), ['5:14: def dense takes 3 arguments (x, n_in, n_out), got 2']],
  [
    'a def called with an unknown keyword',
    'import "lib/layers.kiln"\n' + m('  output o = dense(x, 3, n=2)'),
    ["5:26: def dense: unknown keyword 'n' (expected one of: x, n_in, n_out)"],
  ],
  ['recursion through another def', 'def f(x) {\n  return g(x)\n}\ndef g(x) {\n  return f(x)\n}\n' + m('  output o = f(x)'), ['2:10: def f calls itself through f -> g -> f']],
  ['direct recursion', 'def f(x) {\n  return relu(f(x))\n}\n' + m('  output o = f(x)'), ['2:15: def f calls itself through f -> f']],
  ['loss declared twice', m('  loss mean(x)\n  loss sum(x)'), ['5:3: loss is already declared at 4:3']],
  ['a loss that is not a scalar', m('  loss x * x'), ['4:8: loss must be an f32 scalar, got f32[B, 3] (reduce it, e.g. with mean(...))']],
  ['a loss that is not f32', m('  loss sum(y)'), ['4:8: loss must be an f32 scalar, got i32[]']],
  ['an unknown initializer', m('  param w: f32[2] = he_norm\n  output w'), ["4:21: unknown initializer 'he_norm' (did you mean 'he_normal'?)"]],
  [
    'an initializer keyword it does not take',
    m('  param w: f32[2, 2] = glorot_uniform(sed=1)\n  output w'),
    ["4:39: initializer glorot_uniform: unknown keyword 'sed' (expected one of: seed)"],
  ],
  ['an initializer that needs f32', m('  param w: i32[2, 2] = he_normal\n  output w'), ['4:3: param w: initializer he_normal needs an f32 parameter, got i32[2, 2]']],
  ['a model without outputs', 'model quiet {\n  input x: f32[2]\n}', ["1:7: model quiet has no outputs; declare one with 'output' or 'loss'"]],
  ['an import cycle', 'import "lib/a.kiln"\n' + m('  output o = fa(x)'), ['lib/b.kiln:1:1: import cycle: lib/a.kiln -> lib/b.kiln -> lib/a.kiln']],
  ['a file importing itself', 'import "lib/self.kiln"\n' + m('  output o = s(x)'), ['lib/self.kiln:1:1: import cycle: lib/self.kiln -> lib/self.kiln']],
  ['an unreadable import', 'import "lib/nope.kiln"\n' + m('  output o = x'), ['1:1: cannot import "lib/nope.kiln": cannot read lib/nope.kiln (no such file or directory)']],
  [
    'an unknown train setting and bad values',
    m('  output x') + '\ntrain {\n  epoch = 3\n  batch = 0\n  optimizer = adam(lr=-1)\n  dataset = "imagenet"\n  split = [8, 1]\n  batch = 2\n}',
    [
      "7:3: unknown train setting 'epoch' (did you mean 'epochs'?)",
      '8:11: batch must be an integer >= 1, got 0',
      '9:23: adam: lr must be positive, got -1',
      '10:13: dataset must be "mnist" or "csv:PATH", got "imagenet"',
      '11:11: split must be three ratios [train, validation, test] such as [8, 1, 1] (train > 0, the others >= 0), got [8, 1]',
      "12:3: 'batch' is already set at 8:3",
    ],
  ],
  ['an unknown optimizer', m('  output x') + '\ntrain { optimizer = adm(lr=0.1) }', ["6:21: unknown optimizer 'adm' (did you mean 'adam'?)"]],
  [
    'sgd without lr, and a second train section',
    m('  output x') + '\ntrain { optimizer = sgd(momentum=0.9) }\ntrain { epochs = 1 }',
    ["6:21: sgd: missing 'lr', e.g. sgd(lr=0.1)", '7:1: the train section is already given at 6:1'],
  ],
  [
    'an optimizer value its constructor refuses',
    m('  output x') + '\ntrain { optimizer = adamw(lr=0.1, weight_decay=-1) }',
    ['6:48: adamw: weight_decay must be non-negative, got -1'],
  ],
  ['nesterov without momentum', m('  output x') + '\ntrain { optimizer = sgd(lr=0.1, nesterov=true) }', ['6:42: sgd: nesterov needs a momentum > 0']],
  [
    'an optimizer keyword of another optimizer',
    m('  output x') + '\ntrain { optimizer = adam(lr=0.1, weight_decay=0.1) }',
    ["6:34: adam: unknown keyword 'weight_decay' (expected one of: lr, beta1, beta2, eps)"],
  ],
];

describe('semantic errors', () => {
  test.each(CASES)('%s', (_title, source, expected) => {
    const r = lower(source);
    const here = (file: string | undefined) => (file === 'm.kiln' ? '' : `${file}:`);
    expect(r.diagnostics.map((d) => `${here(d.span.file)}${d.span.line}:${d.span.col}: ${d.message}`)).toEqual(expected);
    expect(r.graph).toBeUndefined();
  });

  test('lowering goes on after an error, reporting each statement once, in file order', () => {
    const r = lower(m('  output a = relu(q)\n  let h = x @ x\n  output b = h + 1\n  output c = foo(x)'));
    expect(r.diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`)).toEqual([
      "4:19: unknown name 'q'",
      '5:11: matmul: inner dimensions differ in f32[B, 3] @ f32[B, 3] (3 vs B)',
      "7:14: unknown op or def 'foo'",
    ]);
  });

  test('a problem in a def body names each call that meets it', () => {
    const r = lower('def f(x) {\n  return x @ x\n}\n' + m('  let a = f(x)\n  let b = f(x)\n  output a'));
    expect(r.diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`)).toEqual([
      '2:10: matmul: inner dimensions differ in f32[B, 3] @ f32[B, 3] (3 vs B) (in f called at 7:11)',
      '2:10: matmul: inner dimensions differ in f32[B, 3] @ f32[B, 3] (3 vs B) (in f called at 8:11)',
    ]);
  });

  test('choosing a model: none, several, or one that does not exist', () => {
    const at = (r: LowerResult) => r.diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`);
    expect(at(lower('def f(x) { return x }'))).toEqual(['1:1: no model in this file; declare one with model NAME { ... }']);
    const two = 'model a { input x: f32[2]; output x }\nmodel b { input x: f32[2]; output x }';
    expect(at(lower(two))).toEqual(['2:7: this file holds 2 models (a, b); choose one with the model option']);
    expect(at(lower(two, 'mlp'))).toEqual(["1:1: no model named 'mlp' (models: a, b)"]);
  });

  test('a param may use the symbols of the inputs, declared before or after it', () => {
    expect(lower(m('  param w: f32[3, B]\n  output o = x @ w')).diagnostics).toEqual([]);
    expect(lower('model m {\n  param b: f32[N]\n  input x: f32[N]\n  output o = x + b\n}').diagnostics).toEqual([]);
  });

  test('a library is a file of defs: a train section alone, or beside defs, still needs a model', () => {
    const library = (source: string) => {
      const parsed = parseProgram(source, 'l.kiln');
      return lowerProgram(parsed.program, { file: 'l.kiln', library: true }).diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`);
    };
    const none = ['1:1: no model in this file; declare one with model NAME { ... }'];
    expect(library('def f(x) { return x }')).toEqual([]);
    expect(library('train { epochs = 1 }')).toEqual(none);
    expect(library('def f(x) { return x }\ntrain { epochs = 1 }')).toEqual(none);
    expect(library('# nothing\n')).toEqual(none);
  });
});
