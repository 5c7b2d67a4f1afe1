// The reference backend: a plain interpreter that runs a graph of primitives with concrete
// shapes node by node over typed arrays, using each primitive's reference implementation.
// It defines what every op means; every other backend is tested against it.

import { KilnError, fail } from '../../ir/errors.js';
import type { Graph } from '../../ir/graph.js';
import { materialize } from '../../ir/init.js';
import type { EvalContext } from '../../ir/op.js';
import { getOp } from '../../ir/ops/index.js';
import { arrayFor, formatType, isConcrete } from '../../ir/types.js';
import type { DType, Tensor, TensorData, TensorType } from '../../ir/types.js';
import { KilnRuntimeError, prepareInputs, toTensor } from '../../../runtime/tensor.js';
import type { IOSpec, TensorLike } from '../../../runtime/tensor.js';
import type { RunOptions } from '../../../runtime/program-executable.js';
import { NONFINITE_OUTPUT } from '../../kernels/guard-updates.js';

export interface ReferenceOptions {
  /** 'f64' stores f32 values in doubles: for finite-difference gradient checks. */
  precision?: 'f32' | 'f64';
  /**
   * Parameter storage shared between programs (a training step and its evaluation, or steps
   * compiled for two batch sizes): all read and update the same weights. Missing entries are
   * initialized from the graph's initializers.
   */
  paramStore?: Map<string, Tensor>;
  /**
   * Updates all or nothing: a run whose new parameter values include NaN or ±Infinity commits
   * none, and output `nonfinite` (i32, one per update) counts them (src/kernels/guard-updates.ts).
   */
  guardUpdates?: boolean;
}

function countNonFinite(data: TensorData): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) n++;
  return n;
}

function concreteShape(t: TensorType): number[] {
  if (!isConcrete(t.shape)) fail('usage', `reference backend: shape ${formatType(t)} is not concrete; run the specialize pass first (compile() does)`);
  return [...t.shape];
}

function spec(name: string, t: TensorType): IOSpec {
  return { name, dtype: t.dtype, shape: concreteShape(t) };
}

/** A graph of primitives with concrete shapes, and its parameters held in memory. */
export class ReferenceExecutable {
  readonly graph: Graph;
  readonly inputs: IOSpec[];
  readonly outputs: IOSpec[];
  readonly paramSpecs: IOSpec[];
  private readonly ctx: EvalContext;
  private readonly allowF64: boolean;
  private readonly paramValues: Map<string, Tensor>;
  private readonly guarded: boolean;

  constructor(graph: Graph, options: ReferenceOptions = {}) {
    this.graph = graph;
    for (const v of [...graph.inputs, ...graph.params, ...graph.nodes]) concreteShape(v.type);
    for (const n of graph.nodes) {
      if (getOp(n.op).kind !== 'primitive') fail('usage', `reference backend: ${n.op} is a composite; run the decompose pass first (compile() does)`);
    }
    this.allowF64 = options.precision === 'f64';
    const alloc = (dtype: DType, n: number): TensorData => (dtype === 'f32' && this.allowF64 ? new Float64Array(n) : arrayFor(dtype, n));
    this.ctx = { alloc };
    const types = new Map(this.graph.nodes.map((n) => [n.name, n.type]));
    const read = new Set([...graph.nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.value), ...graph.updates.map((u) => u.value)]);
    this.inputs = this.graph.inputs.map((i) => (read.has(i.name) ? spec(i.name, i.type) : { ...spec(i.name, i.type), optional: true }));
    this.outputs = this.graph.outputs.map((o) => {
      const t = types.get(o.value) ?? [...this.graph.inputs, ...this.graph.params].find((v) => v.name === o.value)!.type;
      return spec(o.name, t);
    });
    this.guarded = options.guardUpdates === true;
    if (this.guarded) {
      if (this.outputs.some((o) => o.name === NONFINITE_OUTPUT)) fail('usage', `guarded updates: graph ${graph.name} already has an output '${NONFINITE_OUTPUT}'`);
      this.outputs.push({ name: NONFINITE_OUTPUT, dtype: 'i32', shape: [graph.updates.length] });
    }
    this.paramSpecs = this.graph.params.map((p) => spec(p.name, p.type));
    this.paramValues = options.paramStore ?? new Map<string, Tensor>();
    for (const p of this.graph.params) {
      const t = { dtype: p.type.dtype, shape: concreteShape(p.type) };
      const held = this.paramValues.get(p.name);
      if (!held)
        this.paramValues.set(
          p.name,
          materialize(p.init, t, (n) => alloc(t.dtype, n)),
        );
      else toTensor(held, spec(p.name, p.type), `shared parameter '${p.name}'`, this.allowF64);
    }
  }

  /** Copies of the current parameter values. */
  params(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, t] of this.paramValues) out[name] = { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() };
    return out;
  }

  /** The parameters, after the runs before it (each run finishes within its own call). */
  readParams(): Promise<Record<string, Tensor>> {
    return Promise.resolve(this.params());
  }

  /** Replaces some or all parameters; checked whole before any is replaced. */
  setParams(values: Readonly<Record<string, TensorLike>>): void {
    const checked = new Map<string, Tensor>();
    for (const [name, v] of Object.entries(values)) {
      const s = this.paramSpecs.find((p) => p.name === name);
      if (!s) throw new KilnRuntimeError('input', `unknown parameter '${name}' (the parameters are ${this.paramSpecs.map((p) => p.name).join(', ') || 'none'})`);
      const t = toTensor(v, s, `parameter '${name}'`, this.allowF64);
      checked.set(name, { ...t, data: t.data.slice() });
    }
    for (const [name, t] of checked) this.paramValues.set(name, t);
  }

  run(inputs: Readonly<Record<string, TensorLike>>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    // The executor runs at once, as an async function's body would, and what it throws becomes the rejection.
    return new Promise((resolve) => resolve(this.runNow(inputs, options)));
  }

  private runNow(inputs: Readonly<Record<string, TensorLike>>, options: RunOptions): Record<string, Tensor> {
    const wanted = this.wanted(options);
    const env = prepareInputs(this.inputs, inputs, this.allowF64);
    const inputsGiven = [...env.values()];
    for (const [name, t] of this.paramValues) env.set(name, t);
    for (const node of this.graph.nodes) {
      const def = getOp(node.op);
      const args = node.inputs.map((v) => env.get(v)!);
      if (def.kind !== 'primitive') continue; // unreachable: checked in the constructor
      const out = { dtype: node.type.dtype, shape: concreteShape(node.type) };
      try {
        env.set(node.name, def.evaluate(args, node.attrs as never, out, this.ctx));
      } catch (e) {
        // Attach the node's source place to failures such as an out-of-range gather index.
        if (e instanceof KilnError && !e.span && node.span) throw new KilnError(e.code, e.detail, node.span);
        throw e;
      }
    }
    // Updates take effect together, after every node ran. The interpreter never writes into a
    // tensor it made, so sharing is safe, except with input arrays the caller still owns.
    const next = this.graph.updates.map((u) => [u.param, env.get(u.value)!] as const);
    const counts = this.guarded ? Int32Array.from(next, ([, t]) => (t.dtype === 'f32' ? countNonFinite(t.data) : 0)) : new Int32Array(0);
    if (!this.guarded || counts.every((n) => n === 0)) {
      for (const [param, t] of next) {
        this.paramValues.set(param, inputsGiven.some((i) => i.data === t.data) ? { ...t, data: t.data.slice() } : t);
      }
    }

    // Outputs never share storage with parameters or inputs (identity and reshape pass
    // buffers through), so callers may change either without the other changing.
    const held = new Set<TensorData>([...this.paramValues.values(), ...inputsGiven].map((t) => t.data));
    const result: Record<string, Tensor> = {};
    for (const o of this.graph.outputs) {
      if (wanted && !wanted.has(o.name)) continue;
      const t = env.get(o.value)!;
      result[o.name] = held.has(t.data) ? { ...t, data: t.data.slice() } : t;
    }
    if (this.guarded && (!wanted || wanted.has(NONFINITE_OUTPUT))) result[NONFINITE_OUTPUT] = { dtype: 'i32', shape: [counts.length], data: counts };
    return result;
  }

  /** The outputs asked for, checked; undefined for all. */
  private wanted(options: RunOptions): Set<string> | undefined {
    if (options.outputs === undefined) return undefined;
    for (const name of options.outputs) {
      if (!this.outputs.some((o) => o.name === name))
        throw new KilnRuntimeError('input', `unknown output '${name}' (the program's outputs are ${this.outputs.map((o) => o.name).join(', ') || 'none'})`);
    }
    return new Set(options.outputs);
  }
}
