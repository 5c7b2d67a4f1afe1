// One kernel's Wasm function under construction, as every part of the code generator sees it:
// its locals (allocated in call order, so the emitted text is deterministic), loop variables,
// labels, the reduction's result and, with threads, each thread's share of a loop.

import type { Kernel, KernelProgram } from '../../../runtime/kernel-ir.js';
import type { WasmLayout } from '../../../runtime/wasm.js';
import { fail } from '../../ir/errors.js';
import type { Expr, ModuleBuilder, ValType } from './binaryen.js';
import type { Share } from './kernel-host.js';

export class KernelFn {
  readonly locals: ValType[] = [];
  /** Local of each loop variable: output axes, then reduction axes. */
  readonly vars: number[];
  /** The local holding the current point's row-major offset in the outputs. */
  readonly point: number;
  /** Extents of every loop variable. */
  readonly sizes: number[];
  /** The local holding the reduction's result at the current point, once a fold has set it. */
  acc: { local: number; t: 'i32' | 'f32' } | undefined;
  private labels = 0;
  /** Whether this kernel's iterations are shared among the threads (otherwise thread 0 runs it all). */
  readonly split: boolean;

  constructor(
    readonly m: ModuleBuilder,
    readonly p: KernelProgram,
    readonly layout: WasmLayout,
    readonly k: Kernel,
    readonly kernelIndex: number,
    /** Threads running the module; above 1 the function takes the thread's index as parameter 0. */
    readonly threads: number,
    split: boolean,
  ) {
    this.sizes = [...k.shape, ...(k.reduce?.shape ?? [])];
    this.vars = this.sizes.map(() => this.local('i32'));
    this.point = this.local('i32');
    this.split = threads > 1 && split;
  }

  get params(): ValType[] {
    return this.threads > 1 ? ['i32'] : [];
  }

  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }

  label(what: string): string {
    return `${what}${this.labels++}`;
  }

  /** `use(get)` with `value` computed once into a fresh local. */
  let(t: ValType, value: Expr, use: (get: () => Expr) => Expr, result: ValType | 'none' = t): Expr {
    const l = this.local(t);
    return this.m.block([this.m.set(l, value), use(() => this.m.get(l, t))], result);
  }

  error(message: string): never {
    return fail('usage', `wasm backend: kernel '${this.k.name}': ${message}`);
  }

  /** This thread's share [lo, hi) of `size` iterations, cut at multiples of `align`; undefined when the kernel is not split. */
  share(size: number, align = 1): Share | undefined {
    if (!this.split) return undefined;
    const m = this.m;
    const T = this.threads;
    const tid = (): Expr => m.get(0, 'i32');
    const at = (t: Expr): Expr => {
      const e = m.i32('div_u', m.i32('mul', t, m.i32Const(size)), m.i32Const(T));
      return align > 1 ? m.i32('and', e, m.i32Const(-align)) : e;
    };
    return {
      lo: () => at(tid()),
      hi: () => m.select(m.i32('eq', tid(), m.i32Const(T - 1)), m.i32Const(size), at(m.i32('add', tid(), m.i32Const(1)))),
      last: () => m.i32('eq', tid(), m.i32Const(T - 1)),
      tid,
    };
  }
}
