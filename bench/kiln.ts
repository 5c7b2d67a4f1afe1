// Kiln's side of the comparisons, whatever the backend: the workloads' graphs, the seeded
// parameters as Kiln tensors, and the runner over a compiled executable.

import { EW_A, EW_B, EW_SIZE, LAYERS } from './common.js';
import type { Layer, Runner } from './common.js';
import { graph } from '../src/index.js';
import type { Executable, Graph, TensorLike } from '../src/index.js';

export function f32(shape: number[], data: Float32Array): TensorLike {
  return { dtype: 'f32', shape, data };
}

export function kilnParams(layers: readonly Layer[]): Record<string, TensorLike> {
  return Object.fromEntries(
    layers.flatMap((l, i) => [
      [`w${i + 1}`, f32([l.n, l.m], l.w)],
      [`b${i + 1}`, f32([l.m], l.b)],
    ]),
  );
}

/** The MLP with the mean softmax cross-entropy over integer labels as output, or the logits. */
export function kilnMlp(withLoss: boolean): Graph {
  return graph('mlp', (b) => {
    const x = b.input('x', 'f32', ['B', LAYERS[0]![0]]);
    let h = x;
    LAYERS.forEach(([n, m], i) => {
      h = h.matmul(b.param(`w${i + 1}`, 'f32', [n, m])).add(b.param(`b${i + 1}`, 'f32', [m]));
      if (i < LAYERS.length - 1) h = h.relu();
    });
    if (withLoss) b.output('loss', b.op('softmax_cross_entropy', [h, b.input('y', 'i32', ['B'])]));
    else b.output('logits', h);
  });
}

/** W1: c = a · b, both n × n. */
export function matmulGraph(n: number): Graph {
  return graph('matmul', (b) => b.output('c', b.input('a', 'f32', [n, n]).matmul(b.input('b', 'f32', [n, n]))));
}

/** W4: relu(x·a + b)·sigmoid(x). */
export function elementwiseGraph(): Graph {
  return graph('elementwise', (b) => {
    const x = b.input('x', 'f32', [EW_SIZE]);
    b.output('y', x.mul(EW_A).add(EW_B).relu().mul(x.sigmoid()));
  });
}

/**
 * A runner that calls `run` of a compiled executable and returns output `name`. Where the
 * executable has inputBuffer (backends 'js', 'wasm'), the inputs are written once into the
 * arrays the program reads, as the other libraries keep theirs on their device; otherwise each
 * run passes them (and the backend copies them in), which a note says. Outputs are copied out
 * on every run, as the other libraries' are read back.
 */
export function kilnRunner(exe: Executable, inputs: Record<string, TensorLike>, name: string, notes: string[] = []): Runner {
  const resident = exe.inputBuffer
    ? Object.fromEntries(
        Object.entries(inputs).map(([k, v]) => {
          const data = ArrayBuffer.isView(v) ? v : (v as { data: ArrayLike<number> }).data;
          const buffer = exe.inputBuffer!(k);
          buffer.set(data);
          return [k, buffer];
        }),
      )
    : inputs;
  const passed = exe.inputBuffer ? [] : ['kiln: its executable has no inputBuffer, so every run passes the inputs (and copies them in)'];
  return { run: async () => (await exe.run(resident))[name]!.data, notes: [...notes, ...passed] };
}
