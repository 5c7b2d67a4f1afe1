// Value and index expressions of the kernel IR as WGSL statements: each computed value becomes a
// `let` (one per distinct subexpression, so a fused kernel computes a shared value once), and a
// `where` whose branches read data-dependent indices becomes an if/else, so that only the chosen
// branch checks its index, as the interpreter does. Everything else is a plain expression.

import { dependsOnData, linearize } from '../../../runtime/kernel-analysis.js';
import { entryOf, isCompareFn } from '../../../runtime/kernel-fns.js';
import type { IndexExpr, KernelDType, ValueExpr } from '../../../runtime/kernel-ir.js';
import { BINARY_F32, BINARY_I32, COMPARE, COMPARE_F32, UNARY_F32, UNARY_I32, type HelperName, type WgslFn } from './functions.js';

export const wgslType = (d: KernelDType): string => (d === 'bool' ? 'bool' : d);

/** An f32 constant as WGSL, exactly: finite normal values as literals, the rest by their bits. */
export function f32Literal(value: number, helpers?: Set<HelperName>): string {
  const f = Math.fround(value);
  if (f === 0) return Object.is(f, -0) ? '-0.0f' : '0.0f';
  if (!Number.isFinite(f) || Math.abs(f) < 1.1754943508222875e-38) {
    helpers?.add('f32_bits');
    return `f32_bits(0x${new Uint32Array(new Float32Array([f]).buffer)[0]!.toString(16)}u)`;
  }
  const text = String(f);
  return /[.e]/.test(text) ? `${text}f` : `${text}.0f`;
}

export function i32Literal(value: number): string {
  const v = value | 0;
  if (v === -2147483648) return 'bitcast<i32>(0x80000000u)';
  return v < 0 ? `(${v}i)` : `${v}i`;
}

export function constLiteral(value: number, dtype: KernelDType, helpers?: Set<HelperName>): string {
  return dtype === 'f32' ? f32Literal(value, helpers) : dtype === 'i32' ? i32Literal(value) : value !== 0 ? 'true' : 'false';
}

/** Whether evaluating `e` may record an error (a data-dependent index), so it must run only where chosen. */
function hasEffects(e: ValueExpr): boolean {
  switch (e.k) {
    case 'load':
      return dependsOnData(e.index);
    case 'unary':
    case 'cast':
      return hasEffects(e.a);
    case 'binary':
      return hasEffects(e.a) || hasEffects(e.b);
    case 'where':
      return hasEffects(e.cond) || hasEffects(e.a) || hasEffects(e.b);
    case 'index':
      return dependsOnData(e.index);
    case 'random':
      return dependsOnData(e.counter) || (e.key !== undefined && hasEffects(e.key));
    default:
      return false;
  }
}

/** Where the emitter finds buffers and loop variables. */
export interface ExprContext {
  /** Word offset of a buffer in `mem`. */
  offset(buffer: string): number;
  /** Every loop variable's extent: output axes, then reduction axes. */
  sizes: readonly number[];
  /** The output shape, for point-index detection. */
  shape: readonly number[];
  /** The kernel's index, recorded with an error. */
  kernel: number;
  /** WGSL name of the reduction's result. */
  acc: string;
}

/** A word read another way (a lane of a vec4 loaded once for four points), or undefined: the load as usual. */
export type LoadOverride = (buffer: string, index: IndexExpr) => string | undefined;

export class ExprEmitter {
  readonly lines: string[] = [];
  readonly helpers = new Set<HelperName>();
  private readonly scopes: Map<string, string>[] = [new Map<string, string>()];
  private indent = '  ';
  private next = 0;

  constructor(private readonly cx: ExprContext) {}

  /** Appends a statement at the current nesting. */
  line(text: string): void {
    this.lines.push(this.indent + text);
  }

  /** Opens a block (`header {`), runs `body` inside with its own memo scope, closes it. */
  block(header: string, body: () => void): void {
    this.line(`${header} {`);
    const outer = this.indent;
    this.indent += '  ';
    this.scopes.push(new Map<string, string>());
    body();
    this.scopes.pop();
    this.indent = outer;
    this.line('}');
  }

  fresh(prefix = 't'): string {
    return `${prefix}${this.next++}`;
  }

  private use(f: { helpers?: readonly HelperName[] }): void {
    for (const h of f.helpers ?? []) this.helpers.add(h);
  }

  private memo(key: string, make: () => string): string {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const hit = this.scopes[i]!.get(key);
      if (hit) return hit;
    }
    const expr = make();
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(expr)) return expr;
    const name = this.fresh();
    this.line(`let ${name} = ${expr};`);
    this.scopes[this.scopes.length - 1]!.set(key, name);
    return name;
  }

  /** An i32 expression for an index. */
  index(e: IndexExpr): string {
    const l = linearize(e, this.cx.sizes);
    if (l) {
      const terms = l.terms.map((t) => (t.coeff === 1 ? `v${t.axis}` : `v${t.axis} * ${i32Literal(t.coeff)}`));
      if (l.constant !== 0 || terms.length === 0) terms.push(i32Literal(l.constant));
      return terms.length === 1 ? terms[0]! : `(${terms.join(' + ')})`;
    }
    switch (e.k) {
      case 'add':
        return `(${this.index(e.a)} + ${this.index(e.b)})`;
      case 'mul':
        return `(${this.index(e.a)} * ${i32Literal(e.by)})`;
      case 'div':
        this.helpers.add('idiv');
        return `idiv(${this.index(e.a)}, ${i32Literal(e.by)})`;
      case 'mod':
        this.helpers.add('imod');
        return `imod(${this.index(e.a)}, ${i32Literal(e.by)})`;
      case 'value': {
        this.helpers.add('gather_index');
        const v = this.value(e.v);
        return this.memo(`gather:${v}:${e.size}`, () => `gather_index(${v}, ${i32Literal(e.size)}, ${this.cx.kernel}u)`);
      }
      default:
        throw new Error(`unreachable index ${e.k}`); // var and const are linear
    }
  }

  /** The WGSL of `e` as a name or a short expression, emitting the statements it needs. */
  value(e: ValueExpr): string {
    switch (e.k) {
      case 'const':
        return constLiteral(e.value, e.dtype, this.helpers);
      case 'acc':
        return this.cx.acc;
      case 'where':
        return this.where(e);
      default:
        return this.memo(JSON.stringify(e), () => this.compute(e));
    }
  }

  private compute(e: Exclude<ValueExpr, { k: 'const' | 'acc' | 'where' }>): string {
    switch (e.k) {
      case 'load':
        return this.load(e.buffer, e.index, e.dtype);
      case 'unary': {
        const a = this.value(e.a);
        const f = entryOf<string, WgslFn<[string]>>(e.dtype === 'f32' ? UNARY_F32 : UNARY_I32, e.fn);
        if (!f) throw new Error(`${e.fn} is not defined on ${e.dtype}`);
        this.use(f);
        return f.render(a);
      }
      case 'binary': {
        const [a, b] = [this.value(e.a), this.value(e.b)];
        const f = isCompareFn(e.fn)
          ? (e.a.dtype === 'f32' ? COMPARE_F32 : COMPARE)[e.fn]
          : entryOf<string, WgslFn<[string, string]>>(e.a.dtype === 'f32' ? BINARY_F32 : BINARY_I32, e.fn);
        if (!f) throw new Error(`${e.fn} is not defined on ${e.a.dtype}`);
        this.use(f);
        return f.render(a, b);
      }
      case 'cast':
        return this.cast(this.value(e.a), e.a.dtype, e.dtype);
      case 'index':
        return this.index(e.index);
      case 'random':
        return this.random(e);
    }
  }

  /** Set by the upcast renderer while it renders one lane. */
  loadOverride: LoadOverride | undefined;

  private load(buffer: string, index: IndexExpr, dtype: KernelDType): string {
    const at = this.loadOverride?.(buffer, index) ?? `ld(u32(${this.index(index)}) + ${this.cx.offset(buffer)}u)`;
    return dtype === 'f32' ? `bitcast<f32>(${at})` : dtype === 'i32' ? `bitcast<i32>(${at})` : `(${at} != 0u)`;
  }

  private cast(a: string, from: KernelDType, to: KernelDType): string {
    if (from === to) return a;
    const helper = (h: HelperName): string => (this.helpers.add(h), `${h}(${a})`);
    if (to === 'f32') return from === 'i32' ? `f32(${a})` : `select(0.0f, 1.0f, ${a})`;
    if (to === 'i32') return from === 'f32' ? helper('f32_to_i32') : `select(0i, 1i, ${a})`;
    return from === 'f32' ? helper('f32_to_bool') : `(${a} != 0i)`;
  }

  private random(e: Extract<ValueExpr, { k: 'random' }>): string {
    const counter = `u32(${this.index(e.counter)})`;
    const seed = `${e.seed >>> 0}u`;
    let stream = seed;
    if (e.key) {
      this.helpers.add('keyed_stream');
      stream = `keyed_stream(${seed}, ${this.value(e.key)})`;
    }
    if (e.dist === 'uniform') {
      this.helpers.add('uniform01');
      this.helpers.add('uniform_between');
      return `uniform_between(${f32Literal(e.a, this.helpers)}, ${f32Literal(e.b, this.helpers)}, uniform01(${stream}, ${counter}))`;
    }
    this.helpers.add('standard_normal');
    return `(${f32Literal(e.a, this.helpers)} + ${f32Literal(e.b, this.helpers)} * standard_normal(${stream}, ${counter}))`;
  }

  private where(e: Extract<ValueExpr, { k: 'where' }>): string {
    const cond = this.value(e.cond);
    if (!hasEffects(e.a) && !hasEffects(e.b)) {
      const [a, b] = [this.value(e.a), this.value(e.b)];
      return this.memo(`where:${cond}:${a}:${b}`, () => `select(${b}, ${a}, ${cond})`);
    }
    // Only the chosen branch runs, so only its index is checked.
    const name = this.fresh('w');
    this.line(`var ${name}: ${wgslType(e.dtype)};`);
    this.block(`if (${cond})`, () => this.line(`${name} = ${this.value(e.a)};`));
    this.block('else', () => this.line(`${name} = ${this.value(e.b)};`));
    return name;
  }
}
