// Parameter updates in the IR: text and JSON forms, the verifier's rules, and their effect on runs.

import { describe, expect, test } from 'vitest';
import { compile } from '../../src/compile.js';
import { GraphBuilder } from '../../src/ir/emit.js';
import type { Graph } from '../../src/ir/graph.js';
import { graphFromJSON, graphToJSON } from '../../src/ir/json.js';
import { parseGraph, printGraph } from '../../src/ir/text.js';
import { verify } from '../../src/ir/verify.js';
import { catchKiln } from '../catch-kiln.js';

/** A counter: each run adds x to the running total s and returns the old total. */
function counter(): Graph {
  const b = new GraphBuilder('counter');
  const x = b.input('x', { dtype: 'f32', shape: [2] });
  const s = b.param('s', { dtype: 'f32', shape: [2] }, { fn: 'zeros', args: {} });
  const next = b.emit('add', [s, x], {}, undefined, 'next');
  b.output('old', s);
  b.update('s', next);
  return b.build();
}

describe('updates', () => {
  test('print as `update` lines after the outputs and parse back', () => {
    const text = printGraph(counter());
    expect(text).toBe(
      ['graph counter {', '  input x: f32[2]', '  param s: f32[2] = zeros()', '  %next = add(%s, %x) : f32[2]', '  output old = %s', '  update s = %next', '}', ''].join('\n'),
    );
    expect(printGraph(parseGraph(text))).toBe(text);
  });

  test('round-trip through JSON; a version-1 file without updates reads as none', () => {
    const g = counter();
    expect(graphFromJSON(JSON.parse(JSON.stringify(graphToJSON(g))))).toEqual(g);
    const old = graphToJSON(g) as { graph: Record<string, unknown> };
    delete old.graph['updates'];
    old.graph['outputs'] = [{ name: 'old', value: 's' }];
    expect(graphFromJSON(old).updates).toEqual([]);
  });

  test('take effect after the run, all together', async () => {
    const exe = await compile(counter());
    expect(Array.from((await exe.run({ x: [1, 2] })).old!.data)).toEqual([0, 0]);
    expect(Array.from((await exe.run({ x: [10, 20] })).old!.data)).toEqual([1, 2]);
    expect(Array.from(exe.params().s!.data)).toEqual([11, 22]);
  });

  test('a parameter updated straight from an input does not keep the caller array', async () => {
    const b = new GraphBuilder('load');
    const x = b.input('x', { dtype: 'f32', shape: [2] });
    b.param('s', { dtype: 'f32', shape: [2] }, { fn: 'zeros', args: {} });
    b.output('x', x);
    b.update('s', x);
    const exe = await compile(b.build());
    const given = new Float32Array([3, 4]);
    await exe.run({ x: given });
    given[0] = 99;
    expect(Array.from(exe.params().s!.data)).toEqual([3, 4]);
  });

  test('the builder refuses an update of a non-parameter, a second update and a type mismatch', () => {
    const b = new GraphBuilder('bad');
    const x = b.input('x', { dtype: 'f32', shape: [2] });
    b.param('s', { dtype: 'f32', shape: [2] }, { fn: 'zeros', args: {} });
    const y = b.emit('reduce_sum', [x], { axes: [0] });
    expect(catchKiln(() => b.update('x', x)).message).toBe("update: 'x' is not a parameter");
    expect(catchKiln(() => b.update('s', y)).message).toBe("update: parameter 's' is f32[2] but %t0 is f32[]");
    b.update('s', x);
    expect(catchKiln(() => b.update('s', x)).message).toBe("update: parameter 's' is already updated");
  });

  test('the verifier rejects each malformed update', () => {
    const cases: [string, (g: Graph) => void, string][] = [
      ['not a parameter', (g) => (g.updates[0]!.param = 'x'), "update x: 'x' is not a parameter"],
      ['updated twice', (g) => g.updates.push({ ...g.updates[0]! }), 'update s: the parameter is updated twice'],
      ['undefined value', (g) => (g.updates[0]!.value = 'nope'), 'update s names %nope, which is not defined'],
      [
        'type mismatch',
        (g) => {
          g.nodes.push({ name: 'total', op: 'reduce_sum', inputs: ['x'], attrs: { axes: [0], keepdims: false }, type: { dtype: 'f32', shape: [] } });
          g.updates[0]!.value = 'total';
        },
        'update s: %total is f32[] but the parameter is f32[2]',
      ],
    ];
    for (const [what, edit, message] of cases) {
      const g = counter();
      edit(g);
      const e = catchKiln(() => verify(g));
      expect(e.code, what).toBe('verify');
      expect(e.message, what).toContain(message);
    }
  });

  test('an update line in IR text out of order is a parse error with its place', () => {
    const text = 'graph g {\n  param s: f32[] = zeros()\n  update s = %s\n  output y = %s\n}\n';
    const e = catchKiln(() => parseGraph(text, 'g.kir'));
    expect(e.code).toBe('parse');
    expect(e.message).toBe("g.kir:4:3: expected 'update' or '}' (outputs come before updates), got 'output'");
  });
});
