// The comparison's peers, TensorFlow.js and jax-js (jitted): their wasm setup and one runner per
// workload, on the same seeded data as Kiln's (bench/common.ts). The runners serve any backend
// (bench/webgpu-peers.ts sets up the WebGPU ones): tfjs's read back as `TfSide` says, jax-js's
// run on its default device.

import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { blockUntilReady, defaultDevice, init as initJax, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import { CLASSES, EW_A, EW_B, LAYERS, LR, ewInput, matA, matB, mlpBatch, mlpWeights } from './common.js';
import type { Entry, Output } from './common.js';

// ---- TensorFlow.js ------------------------------------------------------------------------

export const TFJS = 'tfjs-wasm';

/** A TensorFlow.js backend's row name and how a run reads its result back. */
export interface TfSide {
  library: string;
  /** The read-back, named in notes. */
  how: string;
  read(t: tf.Tensor): Output | Promise<Output>;
}

export const TF_WASM: TfSide = { library: TFJS, how: 'dataSync', read: (t) => t.dataSync() };

/** The wasm backend, single-threaded, from the binaries in node_modules; returns the binary it picked. */
export async function initTfjs(): Promise<string> {
  const require = createRequire(import.meta.url);
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + path.sep);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialize');
  // The choice tfjs-backend-wasm makes from these two flags (getPathToWasmBinary).
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const binary = simd && threads ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
  const n = getThreadsCount();
  return `${binary}, ${n} thread${n === 1 ? '' : 's'}`;
}

/** Reads `out` back as `side` does, then disposes of it. */
function readAndDispose(side: TfSide, out: tf.Tensor): Output | Promise<Output> {
  const data = side.read(out);
  if (!(data instanceof Promise)) {
    out.dispose();
    return data;
  }
  return data.finally(() => out.dispose());
}

export function tfRun(compute: () => tf.Tensor, side: TfSide = TF_WASM): Output | Promise<Output> {
  return readAndDispose(side, tf.tidy(compute));
}

export function tfMatmul(n: number, side: TfSide = TF_WASM): Entry {
  return {
    library: side.library,
    make() {
      const a = tf.tensor2d(matA(n), [n, n]);
      const b = tf.tensor2d(matB(n), [n, n]);
      return { run: () => tfRun(() => tf.matMul(a, b), side) };
    },
  };
}

export function tfLayers(make: (t: tf.Tensor) => tf.Tensor): { w: tf.Tensor; b: tf.Tensor }[] {
  return mlpWeights().map((l) => ({ w: make(tf.tensor2d(l.w, [l.n, l.m])), b: make(tf.tensor1d(l.b)) }));
}

export function tfForward(layers: readonly { w: tf.Tensor; b: tf.Tensor }[], x: tf.Tensor): tf.Tensor {
  let h = x;
  layers.forEach(({ w, b }, i) => {
    h = tf.add(tf.matMul(h, w), b);
    if (i < layers.length - 1) h = tf.relu(h);
  });
  return h;
}

export function tfTrainStep(batch: number, side: TfSide = TF_WASM): Entry {
  return {
    library: side.library,
    make() {
      const layers = tfLayers((t) => tf.variable(t));
      const vars = layers.flatMap((l) => [l.w, l.b]) as tf.Variable[];
      const { x: xs, y: ys } = mlpBatch(batch);
      const x = tf.tensor2d(xs, [batch, LAYERS[0]![0]]);
      const y = tf.tensor1d(ys, 'int32');
      const optimizer = tf.train.sgd(LR);
      const loss = () => tf.losses.softmaxCrossEntropy(tf.oneHot(y, CLASSES), tfForward(layers, x)) as tf.Scalar;
      return {
        run: () => readAndDispose(side, optimizer.minimize(loss, true, vars)!),
        notes: [`${side.library}: optimizer.minimize with tf.train.sgd on tf.variable weights; ${side.how} on the loss`],
      };
    },
  };
}

export function tfInference(batch: number, side: TfSide = TF_WASM): Entry {
  return {
    library: side.library,
    make() {
      const layers = tfLayers((t) => t);
      const x = tf.tensor2d(mlpBatch(batch).x, [batch, LAYERS[0]![0]]);
      return { run: () => tfRun(() => tfForward(layers, x), side) };
    },
  };
}

export function tfElementwise(side: TfSide = TF_WASM): Entry {
  return {
    library: side.library,
    make() {
      const x = tf.tensor1d(ewInput());
      const a = tf.scalar(EW_A);
      const b = tf.scalar(EW_B);
      return { run: () => tfRun(() => tf.mul(tf.relu(tf.add(tf.mul(x, a), b)), tf.sigmoid(x)), side) };
    },
  };
}

// ---- jax-js -------------------------------------------------------------------------------

export const JAX = 'jax-js';

export type JaxLayer = { w: np.Array; b: np.Array };

export async function initJaxWasm(): Promise<string> {
  const devices = await initJax('wasm');
  if (!devices.includes('wasm')) throw new Error(`jax-js: no wasm device (have ${devices.join(', ')})`);
  defaultDevice('wasm');
  // jax-js spreads kernels over Web Workers only where a global Worker exists; Node has none.
  const workers = typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
  return `device wasm, jit, ${workers ? 'Web Workers (multi-threaded)' : '1 thread (no Web Worker in Node)'}`;
}

export function jaxLayers(): JaxLayer[] {
  return mlpWeights().map((l) => ({ w: np.array(l.w).reshape([l.n, l.m]), b: np.array(l.b) }));
}

/** The MLP's logits; consumes `p` and `x`, as jax-js functions own their arguments. */
export function jaxForward(p: JaxLayer[], x: np.Array): np.Array {
  let h = x;
  p.forEach(({ w, b }, i) => {
    h = np.matmul(h, w).add(b);
    if (i < p.length - 1) h = nn.relu(h);
  });
  return h;
}

export function jaxLoss(p: JaxLayer[], x: np.Array, y: np.Array): np.Array {
  const logp = nn.logSoftmax(jaxForward(p, x), -1);
  return nn.oneHot(y, CLASSES).mul(logp).sum(-1).mean().neg();
}

export function jaxMatmul(n: number, library = JAX): Entry {
  return {
    library,
    make() {
      const a = np.array(matA(n)).reshape([n, n]);
      const b = np.array(matB(n)).reshape([n, n]);
      const f = jit((a: np.Array, b: np.Array) => np.matmul(a, b));
      return { run: () => f(a.ref, b.ref).data() };
    },
  };
}

export function jaxTrainStep(batch: number, library = JAX): Entry {
  return {
    library,
    make() {
      let params = jaxLayers();
      const { x: xs, y: ys } = mlpBatch(batch);
      const x = np.array(xs).reshape([batch, LAYERS[0]![0]]);
      const y = np.array(ys, { dtype: np.int32 });
      const step = jit((p: JaxLayer[], x: np.Array, y: np.Array) => {
        const [loss, grads] = valueAndGrad(jaxLoss)(tree.ref(p), x, y);
        const next = tree.map((w: np.Array, g: np.Array) => w.sub(g.mul(LR)), p, grads);
        return [next, loss] as [JaxLayer[], np.Array];
      });
      return {
        async run() {
          const [next, loss] = step(params, x.ref, y.ref);
          params = next;
          const data = (await loss.data()) as Output; // data() names Float16Array, which lib ES2022 lacks: without the cast its type is an error type
          await blockUntilReady(params);
          return data;
        },
        notes: [`${library}: jit of (params, x, y) -> new params via valueAndGrad; waits for the loss and the new params`],
      };
    },
  };
}

export function jaxInference(batch: number, library = JAX): Entry {
  return {
    library,
    make() {
      const params = jaxLayers();
      const x = np.array(mlpBatch(batch).x).reshape([batch, LAYERS[0]![0]]);
      const f = jit((p: JaxLayer[], x: np.Array) => jaxForward(p, x));
      return { run: () => f(tree.ref(params), x.ref).data() };
    },
  };
}

export function jaxElementwise(library = JAX): Entry {
  return {
    library,
    make() {
      const x = np.array(ewInput());
      const f = jit((x: np.Array) => nn.relu(x.ref.mul(EW_A).add(EW_B)).mul(nn.sigmoid(x)));
      return { run: () => f(x.ref).data() };
    },
  };
}
