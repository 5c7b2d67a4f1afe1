// One kernel as a Wasm function, rendered as its schedule (schedule.ts) says: the tiled matmul
// (matmul.ts) for a 4x8 tile, four points at a time for upcast 4 (simd.ts: elementwise, or a
// reduction across points), else scalar loops (scalar.ts, loops.ts), whose folds run four steps
// of a contiguous last axis at a time for reduceUpcast 4 (reduce.ts). What the vector and tiled
// paths cannot render falls back to the scalar path. With threads, a split kernel's loop runs over
// the thread's share; an unsplit one runs on thread 0 alone.

import type { LinearIndex } from '../../../runtime/kernel-analysis.js';
import type { UnaryFn } from '../../../runtime/kernel-fns.js';
import type { Kernel, KernelProgram } from '../../../runtime/kernel-ir.js';
import { numelOf } from '../../../runtime/tensor.js';
import type { WasmLayout } from '../../../runtime/wasm.js';
import type { Expr, ModuleBuilder, ValType } from './binaryen.js';
import { KernelFn } from './kernel-fn.js';
import { wasmType, type TileHost, type VectorHost } from './kernel-host.js';
import { nest, outerShare, vectorRows } from './loops.js';
import { scheduledPlan, tiledMatmul } from './matmul.js';
import { countScalar, countedStores } from './nonfinite.js';
import { fold } from './reduce.js';
import { ScalarGen } from './scalar.js';
import { LANES, VectorGen, vectorizable, type VectorMode } from './simd.js';
import { inlineTranscendental, isTranscendental } from './transcendental.js';

export class KernelGen {
  private readonly f: KernelFn;
  private readonly s: ScalarGen;
  /** Whether the fold at each point runs four steps of its last axis at a time (rowFold). */
  private rowLanes = false;

  constructor(
    m: ModuleBuilder,
    private readonly p: KernelProgram,
    private readonly layout: WasmLayout,
    private readonly k: Kernel,
    kernelIndex: number,
    threads = 1,
    split = false,
  ) {
    this.f = new KernelFn(m, p, layout, k, kernelIndex, threads, split);
    this.s = new ScalarGen(this.f);
  }

  get params(): ValType[] {
    return this.f.params;
  }

  /** The stores of the current point (f.point), with every value computed before any store. */
  private storeExprs(): Expr[] {
    const [m, f] = [this.f.m, this.f];
    const stores = this.k.stores.map((s) => {
      const spec = this.p.buffers.find((b) => b.name === s.buffer) ?? f.error(`stores to unknown buffer '${s.buffer}'`);
      const bytes = this.layout.elementBytes.get(spec.name)!;
      const t = wasmType(spec.dtype);
      return {
        t,
        at: (v: Expr) => m.store(t, bytes, this.layout.offsets.get(spec.name)!, bytes === 4 ? m.i32('shl', m.get(f.point, 'i32'), m.i32Const(2)) : m.get(f.point, 'i32'), v),
        value: this.s.coerce(this.s.value(s.value), t),
      };
    });
    const counted = countedStores(this.k);
    if (stores.length === 1 && counted.length === 0) return [stores[0]!.at(stores[0]!.value)];
    // Every value of a point before any store: an output may sit in place over an input it reads at the point.
    const held = stores.map((s) => f.local(s.t));
    return [
      ...stores.map((s, j) => m.set(held[j]!, s.value)),
      ...stores.map((s, j) => s.at(m.get(held[j]!, s.t))),
      ...counted.map(({ j, c }) => countScalar(m, this.layout, c, () => m.get(held[j]!, 'f32'), f.threads > 1)),
    ];
  }

  /** The reduction and stores of the current point, as the scalar path computes them. */
  private pointWork(): Expr[] {
    const reduce = this.k.reduce ? [fold(this.f, this.s, this.k.reduce, this.k.shape.length, this.rowLanes ? () => this.vectorHost() : undefined)] : [];
    return [...reduce, ...this.storeExprs()];
  }

  /** What the SIMD matmul path needs of this kernel's function. */
  private tileHost(): TileHost {
    const f = this.f;
    const vectorAcc = f.local('v128');
    const vector = this.upcast('epilogue') ? this.vectorGen(vectorAcc) : undefined;
    return {
      vectorAcc,
      ...(vector ? { vectorStores: () => vector.stores() } : {}),
      m: f.m,
      local: (t) => f.local(t),
      label: (what) => f.label(what),
      varLocal: (axis) => f.vars[axis]!,
      point: f.point,
      linear: (l) => this.s.linear(l),
      storesWithAcc: (acc) => {
        f.acc = { local: acc, t: 'f32' };
        return f.m.block(this.storeExprs());
      },
    };
  }

  /** The vector renderer of this kernel's values, with the reduction's results in v128 local `acc`. */
  private vectorHost(): VectorHost {
    const f = this.f;
    return {
      m: f.m,
      local: (t: ValType) => f.local(t),
      linear: (l: LinearIndex) => this.s.linear(l),
      point: f.point,
      atomic: f.threads > 1,
      vectorFn: (fn: UnaryFn, x: Expr) => (isTranscendental(fn) ? inlineTranscendental(f.m, fn, x, () => f.local('v128')) : undefined),
    };
  }

  private vectorGen(acc?: number, accType: 'f32' | 'i32' = 'f32'): VectorGen {
    const host = this.vectorHost();
    return new VectorGen(acc === undefined ? host : { ...host, acc, accType }, this.p, this.layout, this.k);
  }

  /** A sum or max over the reduction axes for four output points at a time, then their stores. */
  private vectorReductionWork(): Expr[] {
    const r = this.k.reduce!;
    const vector = this.vectorGen(this.f.local('v128'), r.value.dtype === 'f32' ? 'f32' : 'i32');
    const rank = this.k.shape.length;
    return [
      ...vector.reduce((step) =>
        nest(
          this.f,
          r.shape.map((_, j) => rank + j),
          r.shape,
          step,
        ),
      ),
      ...vector.stores(),
    ];
  }

  /** Whether the schedule computes four lanes at a time in `mode` (where the vector path renders it: a schedule from elsewhere may ask for more). */
  private upcast(mode: VectorMode): boolean {
    const s = this.k.schedule;
    const asked = mode === 'row' ? s?.reduceUpcast : s?.upcast;
    return asked === LANES && vectorizable(this.p, this.layout, this.k, mode);
  }

  /** The kernel's function body; `scratch` is the byte address of memory free for the kernel's own use (per thread: scratch + tid·scratchBytes). */
  body(scratch: number, scratchBytes: number): { body: Expr; locals: ValType[] } {
    const [m, f, k] = [this.f.m, this.f, this.k];
    let body: Expr;
    // The schedule's register tile, where it is the one the tiled path renders (a matmul is shared by its row tiles).
    const plan = scheduledPlan(this.p, this.layout, k);
    if (numelOf(k.shape) === 0) body = m.block([]);
    else if (plan) {
      const share = f.share(Math.floor(k.shape[k.shape.length - 2]! / plan.rows));
      const at = (): Expr => (share ? m.i32('add', m.i32Const(scratch), m.i32('mul', share.tid(), m.i32Const(scratchBytes))) : m.i32Const(scratch));
      body = tiledMatmul(this.tileHost(), plan, at, share);
    } else if (this.upcast('elementwise')) body = vectorRows(f, this.vectorGen().stores(), () => this.pointWork());
    else if (this.upcast('reduction')) body = vectorRows(f, this.vectorReductionWork(), () => this.pointWork());
    else {
      // Point by point; a sum or max along a contiguous last axis may still fold four steps at a time.
      this.rowLanes = this.upcast('row');
      const perPoint = this.pointWork();
      perPoint.push(m.set(f.point, m.i32('add', m.get(f.point, 'i32'), m.i32Const(1))));
      const { share, start } = outerShare(f);
      body = m.block([
        m.set(f.point, start),
        nest(
          f,
          k.shape.map((_, j) => j),
          k.shape,
          perPoint,
          undefined,
          share,
        ),
      ]);
    }
    // Unsplit kernels run on thread 0 alone.
    if (f.threads > 1 && !f.split) body = m.if(m.i32Unary('eqz', m.get(0, 'i32')), body);
    return { body, locals: f.locals };
  }
}
