// Layers: builder calls that make and name their own parameters, so a model needs no weight
// shapes written by hand. `b.dense(x, 256, { activation: 'relu' })` declares `dense_1.w`
// (f32[in, 256]) and `dense_1.b` (f32[256]) and returns the activation of x @ w + b. Each
// parameter's seed comes from the graph seed and its own name (Builder.param), so two layers of
// the same shape start from different draws.

import { fail } from '../ir/errors.js';
import type { Initializer } from '../ir/graph.js';
import { formatType } from '../ir/types.js';
import type { Builder } from './builder.js';
import type { Sym } from './sym.js';

/** The activations a layer may end with; `linear` is none. */
export const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface DenseOptions {
  /** Applied to x @ w + b (default 'linear': none). */
  activation?: Activation;
  /** Whether the layer adds a bias `<name>.b` (default true). */
  useBias?: boolean;
  /** Prefix of the parameters' names (default `dense_N`, numbered per graph from 1). */
  name?: string;
  /** Initializer of the weights (default he_normal after relu, glorot_uniform otherwise); the bias starts at zeros. */
  kernelInitializer?: Initializer;
}

/** Layers made so far per builder, to number the unnamed ones. */
const counts = new WeakMap<Builder, Map<string, number>>();

function nextName(b: Builder, kind: string): string {
  const perKind = counts.get(b) ?? new Map<string, number>();
  counts.set(b, perKind);
  const n = (perKind.get(kind) ?? 0) + 1;
  perKind.set(kind, n);
  return `${kind}_${n}`;
}

/** Whether `a` names an activation. */
export function isActivation(a: unknown): a is Activation {
  return typeof a === 'string' && (ACTIVATIONS as readonly string[]).includes(a);
}

/** The weights' initializer a layer uses when given none: He for relu, Glorot otherwise. */
export function defaultKernelInitializer(activation: Activation): Initializer {
  return { fn: activation === 'relu' ? 'he_normal' : 'glorot_uniform', args: {} };
}

/** Applies `activation` to `y`. */
export function activate(b: Builder, y: Sym, activation: Activation): Sym {
  switch (activation) {
    case 'linear':
      return y;
    case 'relu':
      return b.relu(y);
    case 'sigmoid':
      return b.sigmoid(y);
    case 'tanh':
      return b.tanh(y);
    case 'softmax':
      return b.softmax(y, -1);
  }
}

/** The options every layer takes, checked; its activation (default 'linear'). */
function checkLayerOptions(kind: string, o: DenseOptions, span: ReturnType<Builder['here']>): Activation {
  const activation = o.activation ?? 'linear';
  if (!isActivation(activation)) fail('usage', `${kind}: unknown activation '${String(activation)}' (expected one of: ${ACTIVATIONS.join(', ')})`, span);
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) fail('usage', `${kind}: name must be a non-empty string, got ${JSON.stringify(o.name)}`, span);
  if (o.useBias !== undefined && typeof o.useBias !== 'boolean') fail('usage', `${kind}: useBias must be true or false, got ${JSON.stringify(o.useBias)}`, span);
  const k = o.kernelInitializer as unknown;
  if (k !== undefined && (typeof k !== 'object' || k === null || typeof (k as Initializer).fn !== 'string' || typeof (k as Initializer).args !== 'object')) {
    fail('usage', `${kind}: kernelInitializer must be an initializer such as init.heNormal(), got ${JSON.stringify(k)}`, span);
  }
  return activation;
}

/** A fully connected layer of `units` outputs over the last axis of `x`. */
export function denseLayer(b: Builder, x: Sym, units: number, o: DenseOptions = {}): Sym {
  const span = b.here();
  if (!Number.isSafeInteger(units) || units < 1) fail('usage', `dense: units must be a positive integer, got ${String(units)}`, span);
  const activation = checkLayerOptions('dense', o, span);
  const fanIn = x.shape[x.rank - 1];
  if (x.dtype !== 'f32' || typeof fanIn !== 'number') {
    fail('shape', `dense: x must be f32 with a numeric last dimension (its size fixes the weights' shape), got ${formatType(x.type)}`, span);
  }
  const name = o.name ?? nextName(b, 'dense');
  const w = b.param(`${name}.w`, 'f32', [fanIn, units], o.kernelInitializer ?? defaultKernelInitializer(activation));
  const y = o.useBias === false ? b.matmul(x, w) : b.dense(x, w, b.param(`${name}.b`, 'f32', [units], { fn: 'zeros', args: {} }));
  return activate(b, y, activation);
}

export interface Conv2dOptions extends DenseOptions {
  /** The window: [height, width], or one number for a square (default 3). */
  kernel?: number | [number, number];
  /** Steps between windows, [down, across] (default [1, 1]). */
  strides?: [number, number];
  dilations?: [number, number];
  /** 'valid' (default, as Keras) or 'same'. */
  padding?: 'valid' | 'same';
}

/** A 2-D convolution layer of `filters` output channels over NHWC images: `<name>.w` HWIO, `<name>.b`. */
export function conv2dLayer(b: Builder, x: Sym, filters: number, o: Conv2dOptions = {}): Sym {
  const span = b.here();
  if (!Number.isSafeInteger(filters) || filters < 1) fail('usage', `conv2d: filters must be a positive integer, got ${String(filters)}`, span);
  const activation = checkLayerOptions('conv2d', o, span);
  const [kh, kw] = typeof o.kernel === 'number' ? [o.kernel, o.kernel] : (o.kernel ?? [3, 3]);
  const channels = x.shape[3];
  if (x.dtype !== 'f32' || x.rank !== 4 || typeof channels !== 'number') {
    fail('shape', `conv2d: x must be f32 NHWC images with a numeric channel count (it fixes the filter's shape), got ${formatType(x.type)}`, span);
  }
  const name = o.name ?? nextName(b, 'conv2d');
  const w = b.param(`${name}.w`, 'f32', [kh, kw, channels, filters], o.kernelInitializer ?? defaultKernelInitializer(activation));
  const attrs = { strides: o.strides ?? [1, 1], dilations: o.dilations ?? [1, 1], padding: o.padding ?? 'valid' };
  const y = b.op('conv2d', [x, w], attrs);
  return activate(b, o.useBias === false ? y : b.add(y, b.param(`${name}.b`, 'f32', [filters], { fn: 'zeros', args: {} })), activation);
}
