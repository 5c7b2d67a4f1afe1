// Calls of the model language: op calls (operands, attributes, conveniences) and the train section.

import type { Builder, Sym } from '../builder.js';
import { KilnError } from '../../ir/errors.js';
import type { SourceSpan } from '../../ir/errors.js';
import { schemaOf } from '../../ir/op.js';
import type { AttrKind, AttrSchema, AttrValue, OpAttrs, OpDef, OpName, PlainOpName } from '../../ir/op.js';
import { OPS, OP_DEFS } from '../../ir/ops/index.js';
import { formatType, isDType } from '../../ir/types.js';
import type { DType, Dim } from '../../ir/types.js';
import { adam, adamw, sgd } from '../../train/optimizers.js';
import type { Optimizer } from '../../train/optimizers.js';
import type { CallExpr, Expr, KeywordArg, Span, TrainDecl } from './ast.js';
import { describeExpr, place, plural, unknownAmong, where } from './scope.js';
import type { Binding, Val } from './scope.js';

/** What lowering a call needs of the statement being lowered. */
export interface CallContext {
  readonly b: Builder;
  report(message: string, span: Span): void;
  /** Evaluates an expression to a tensor or a number; undefined after reporting why not. */
  value(e: Expr): Val | undefined;
  lookup(name: string): Binding | undefined;
  /** Runs `fn` with its nodes at `span`; a KilnError it throws is reported there. */
  guard<T>(span: Span, fn: () => T): T | undefined;
}

/** Names that are conveniences rather than ops of the registry. */
const CONVENIENCES = ['sum', 'max', 'mean'];

/** Every name a call may use besides defs: conveniences, then the registry's ops. */
export function opNames(): string[] {
  return [...CONVENIENCES, ...OPS.keys()];
}

/** Whether a call may name `name`: a convenience (sum, max, mean) or an op of the registry. */
export function isCallName(name: string): boolean {
  return CONVENIENCES.includes(name) || OPS.has(name);
}

/** The op a call names: `sum` is reduce_sum over every axis unless given some, and so on. */
function resolve(callee: string, operands: number): { def: OpDef; allAxes: boolean } | undefined {
  const op = callee === 'sum' ? 'reduce_sum' : callee === 'max' && operands === 1 ? 'reduce_max' : callee;
  const def = OPS.get(op);
  if (!def) return undefined;
  return { def, allAxes: callee !== op || callee === 'mean' };
}

// Attributes the builder fills in when they are left out.
const FILLED: { readonly [N in OpName]?: readonly (keyof OpAttrs<N>)[] } = { transpose: ['perm'], slice: ['stride'] };

/** Lowers a call of an op or a convenience (the callee is known to be one). */
export function lowerOpCall(ctx: CallContext, call: CallExpr): Val | undefined {
  const label = call.callee;
  const operands = call.args.map((a) => ctx.value(a));
  const found = resolve(call.callee, call.args.length);
  if (!found) return undefined;
  const { def } = found;
  if (!checkOperandCount(ctx, label, def, call)) return undefined;
  const attrs = attributes(ctx, label, def.attrs, call.kwargs, { axisAlias: true, shapeHole: def.name === 'reshape' });
  if (!attrs || operands.some((v) => v === undefined)) return undefined;
  const vals = operands as Val[];
  const x = vals[0];
  if (found.allAxes && attrs['axes'] === undefined && x?.kind === 'tensor') attrs['axes'] = x.sym.shape.map((_, i) => i);
  const filled: readonly string[] = FILLED[def.name] ?? [];
  const missing = Object.entries(schemaOf(def)).filter(([k, s]) => s.default === undefined && attrs[k] === undefined && !filled.includes(k));
  for (const [k, s] of missing) ctx.report(`${label}: missing attribute '${k}' (${KIND_WORDS[s.kind]})`, call.span);
  if (missing.length > 0) return undefined;
  const syms = tensors(ctx, label, def, vals);
  if (!syms) return undefined;
  const sym = ctx.guard(call.span, () => emit(ctx.b, def.name, syms, attrs));
  return sym && { kind: 'tensor', sym, span: call.span };
}

/** Applies an op to evaluated operands without attributes: the operators `+`, `@`, unary `-`. */
export function applyOp(ctx: CallContext, op: PlainOpName, operands: readonly Val[], span: Span): Val | undefined {
  const def = OP_DEFS[op];
  const syms = tensors(ctx, op, def, operands);
  if (!syms) return undefined;
  const sym = ctx.guard(span, () => ctx.b.op(op, syms, {}));
  return sym && { kind: 'tensor', sym, span };
}

function checkOperandCount(ctx: CallContext, label: string, def: OpDef, call: CallExpr): boolean {
  const n = call.args.length;
  if (def.variadic) {
    const { min, max } = def.variadic;
    if (n >= min && (max === undefined || n <= max)) return true;
    const range = max === undefined ? `at least ${min}` : `${min} to ${max}`;
    ctx.report(`${label} takes ${range} operands (${def.operands.join(', ')}), got ${n}`, call.span);
    return false;
  }
  if (n === def.operands.length) return true;
  const names = def.operands.length ? ` (${def.operands.join(', ')})` : '';
  ctx.report(`${label} takes ${plural(def.operands.length, 'operand')}${names}, got ${n}`, call.span);
  return false;
}

/**
 * The operands as graph values. A number becomes a scalar constant of the dtype of a tensor
 * beside it (in `where`, of the other branch), for elementwise ops only: `x @ 2` is an error.
 */
function tensors(ctx: CallContext, label: string, def: OpDef, vals: readonly Val[]): Sym[] | undefined {
  const out: Sym[] = [];
  let ok = true;
  vals.forEach((v, i) => {
    if (v.kind === 'tensor') return out.push(v.sym);
    const operand = def.operands[def.variadic ? 0 : i] ?? `#${i}`;
    const peers = def.name === 'where' ? (i === 0 ? [] : [vals[3 - i]!]) : vals.filter((_, j) => j !== i);
    const peer = def.category === 'elementwise' ? peers.find((p) => p.kind === 'tensor') : undefined;
    if (!peer || peer.kind !== 'tensor') {
      ctx.report(`${label}: operand '${operand}' must be a tensor, got the number ${v.value}`, v.span);
      ok = false;
      return;
    }
    const dtype = peer.sym.dtype;
    const n = v.value;
    const fits = dtype === 'f32' || (dtype === 'i32' ? Number.isInteger(n) && (n | 0) === n : n === 0 || n === 1);
    if (!fits) {
      ctx.report(`${label}: the number ${n} does not fit the dtype of the other operand ${formatType(peer.sym.type)}`, v.span);
      ok = false;
      return;
    }
    const c = ctx.guard(v.span, () => ctx.b.constant(n, dtype));
    if (c) out.push(c);
    else ok = false;
  });
  return ok ? out : undefined;
}

/** Emits through the builder's own methods where they add something: -1 in reshape, seeds, the dropout key. */
function emit(b: Builder, op: string, xs: Sym[], a: Record<string, AttrValue>): Sym {
  const num = (k: string) => a[k] as number | undefined;
  const ints = (k: string) => a[k] as number[] | undefined;
  const [x] = xs;
  switch (op) {
    case 'reshape':
      return b.reshape(x!, a['shape'] as Dim[]);
    case 'transpose':
      return b.transpose(x!, ints('perm'));
    case 'slice':
      return b.slice(x!, ints('begin')!, ints('end')!, ints('stride'));
    case 'dropout':
      if (xs.length === 1 && a['training'] === undefined) return b.dropout(x!, num('rate')!, a['seed'] === undefined ? {} : { seed: num('seed')! });
      break;
    case 'random_uniform':
    case 'random_normal': {
      const shape = a['shape'] as Dim[];
      // The builder reads only its own options; `shape` rides along unread.
      const o = { ...(a as { low?: number; high?: number; mean?: number; std?: number; seed?: number }), ...(x ? { key: x } : {}) };
      return op === 'random_uniform' ? b.randomUniform(shape, o) : b.randomNormal(shape, o);
    }
  }
  return b.op(op, xs, a);
}

// ---- attributes ---------------------------------------------------------------------------

const KIND_WORDS: Readonly<Record<AttrKind, string>> = {
  int: 'an integer',
  float: 'a number',
  bool: 'true or false',
  ints: 'a list of integers',
  floats: 'a list of numbers',
  shape: 'a shape: a list of integers >= 0 and symbols',
  dtype: 'a dtype: f32, i32 or bool',
  string: 'a string',
};

export interface AttributeOptions {
  /** `axis=` stands for `axes=` where the schema has axes and no axis. */
  axisAlias?: boolean;
  /** A shape may hold one -1 (reshape solves it). */
  shapeHole?: boolean;
}

/**
 * Keyword arguments as attribute values of a schema; reports unknown and repeated keywords and
 * ill-typed values at the keyword. Required attributes are the caller's to check.
 */
export function attributes(ctx: CallContext, label: string, schema: AttrSchema, kwargs: readonly KeywordArg[], o: AttributeOptions = {}): Record<string, AttrValue> | undefined {
  const out: Record<string, AttrValue> = {};
  const seen = new Map<string, Span>();
  let ok = true;
  for (const kw of kwargs) {
    const key = o.axisAlias && kw.name === 'axis' && !Object.hasOwn(schema, 'axis') && Object.hasOwn(schema, 'axes') ? 'axes' : kw.name;
    if (!Object.hasOwn(schema, key)) {
      const known = Object.keys(schema);
      ctx.report(known.length ? `${label}: unknown keyword '${kw.name}' (expected one of: ${known.join(', ')})` : `${label} takes no keywords, got '${kw.name}'`, kw.span);
      ok = false;
      continue;
    }
    const previous = seen.get(key);
    if (previous) {
      ctx.report(`${label}: '${key}' is already given at ${where(previous, kw.span)}`, kw.span);
      ok = false;
      continue;
    }
    seen.set(key, kw.span);
    const v = attrValue(ctx, kw.value, schema[key]!.kind, `${label}: attribute '${key}'`, o.shapeHole ?? false);
    if (v === undefined) ok = false;
    else out[key] = v;
  }
  return ok ? out : undefined;
}

/** The value of one attribute of the given kind; `what` names it in messages. */
export function attrValue(ctx: CallContext, e: Expr, kind: AttrKind, what: string, shapeHole = false): AttrValue | undefined {
  const bad = (got: string): undefined => void ctx.report(`${what} must be ${KIND_WORDS[kind]}, got ${got}`, e.span);
  const inner = e.kind === 'paren' ? e.inner : e;
  switch (kind) {
    case 'bool':
      return inner.kind === 'bool' ? inner.value : bad(describeExpr(e));
    case 'string':
      return inner.kind === 'string' ? inner.value : bad(describeExpr(e));
    case 'dtype': {
      const word = inner.kind === 'name' ? inner.name : inner.kind === 'string' ? inner.value : undefined;
      return isDType(word) ? (word satisfies DType) : bad(describeExpr(e));
    }
    case 'int':
    case 'float': {
      const n = numberOf(ctx, e, bad);
      if (n === undefined) return undefined;
      return kind === 'int' && !Number.isInteger(n) ? bad(String(n)) : n;
    }
    case 'ints':
    case 'floats': {
      const items = inner.kind === 'list' ? inner.items : [e]; // one number is a list of one
      const ns: number[] = [];
      for (const item of items) {
        const n = numberOf(ctx, item, bad);
        if (n === undefined) return undefined;
        if (kind === 'ints' && !Number.isInteger(n)) return bad(inner.kind === 'list' ? `${n} in the list` : String(n));
        ns.push(n);
      }
      return ns;
    }
    case 'shape': {
      if (inner.kind !== 'list') return bad(describeExpr(e));
      const dims: Dim[] = [];
      for (const item of inner.items) {
        const d = dimOf(ctx, item, shapeHole, bad);
        if (d === undefined) return undefined;
        dims.push(d);
      }
      return dims;
    }
  }
}

/** A number-valued expression (literals, def arguments, arithmetic of them). */
function numberOf(ctx: CallContext, e: Expr, bad: (got: string) => undefined): number | undefined {
  const inner = e.kind === 'paren' ? e.inner : e;
  if (inner.kind === 'bool' || inner.kind === 'string' || inner.kind === 'list') return bad(describeExpr(e));
  const v = ctx.value(e);
  if (v === undefined) return undefined;
  return v.kind === 'number' ? v.value : bad(`the tensor ${formatType(v.sym.type)}`);
}

/** A dimension in a shape attribute: a number, or a name (a symbol unless bound to a number). */
function dimOf(ctx: CallContext, e: Expr, hole: boolean, bad: (got: string) => undefined): Dim | undefined {
  if (e.kind === 'name') {
    const b = ctx.lookup(e.name);
    if (!b) return e.name; // a symbol such as B
    if (!b.value) return undefined;
    if (b.value.kind === 'tensor') return bad(`'${e.name}', a tensor`);
  }
  const n = numberOf(ctx, e, bad);
  if (n === undefined) return undefined;
  // `+ 0` turns -0 into 0, which is not a valid dimension
  return (Number.isInteger(n) && n >= 0) || (hole && n === -1) ? n + 0 : bad(`${n} in the list`);
}

// ---- the train section --------------------------------------------------------------------

/** The `train` section: defaults for `kiln train`, whose flags override them. */
export interface TrainConfig {
  optimizer?: Optimizer;
  epochs?: number;
  batch?: number;
  seed?: number;
  patience?: number;
  l1?: number;
  l2?: number;
  /** `mnist` or `csv:PATH`. */
  dataset?: string;
  /** Train, validation and test ratios, e.g. [8, 1, 1]. */
  split?: number[];
  /** Where the section starts. */
  span?: SourceSpan;
}

const SETTINGS = ['optimizer', 'epochs', 'batch', 'seed', 'patience', 'l1', 'l2', 'dataset', 'split'];

const OPTIMIZER_ARGS: Readonly<Record<string, Readonly<Record<string, 'number' | 'bool'>>>> = {
  sgd: { lr: 'number', momentum: 'number', nesterov: 'bool' },
  adam: { lr: 'number', beta1: 'number', beta2: 'number', eps: 'number' },
  adamw: { lr: 'number', beta1: 'number', beta2: 'number', eps: 'number', weight_decay: 'number' },
};

type Literal = number | boolean | string | Literal[];

/** The value of a literal: numbers (with a sign), booleans, strings, lists of them. */
function literal(e: Expr): Literal | undefined {
  switch (e.kind) {
    case 'number':
    case 'bool':
    case 'string':
      return e.value;
    case 'paren':
      return literal(e.inner);
    case 'unary': {
      const v = literal(e.operand);
      return typeof v === 'number' ? -v : undefined;
    }
    case 'list': {
      const items = e.items.map(literal);
      return items.every((v) => v !== undefined) ? (items as Literal[]) : undefined;
    }
    default:
      return undefined;
  }
}

function formatLiteral(v: Literal): string {
  return Array.isArray(v) ? `[${v.map(formatLiteral).join(', ')}]` : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** The settings of a train section, each checked the way `kiln train` checks its flags. */
export function lowerTrain(decl: TrainDecl, report: (message: string, span: Span) => void): TrainConfig {
  const config: TrainConfig = { span: place(decl.span) };
  const seen = new Map<string, Span>();
  for (const s of decl.settings) {
    if (!SETTINGS.includes(s.name)) {
      report(unknownAmong('train setting', s.name, SETTINGS), s.span);
      continue;
    }
    const previous = seen.get(s.name);
    if (previous) {
      report(`'${s.name}' is already set at ${where(previous, s.span)}`, s.span);
      continue;
    }
    seen.set(s.name, s.span);
    const v = literal(s.value);
    const got = v === undefined ? describeExpr(s.value) : formatLiteral(v);
    const check = (ok: boolean, rule: string): boolean => {
      if (!ok) report(`${s.name} must be ${rule}, got ${got}`, s.value.span);
      return ok;
    };
    const integer = typeof v === 'number' && Number.isSafeInteger(v);
    switch (s.name) {
      case 'optimizer': {
        const o = optimizer(s.value, report);
        if (o) config.optimizer = o;
        break;
      }
      case 'epochs':
      case 'batch':
      case 'patience':
        if (check(integer && (v as number) >= 1, 'an integer >= 1')) config[s.name] = v as number;
        break;
      case 'seed':
        if (check(integer && (v as number) >= 0, 'an integer >= 0')) config.seed = v as number;
        break;
      case 'l1':
      case 'l2':
        if (check(typeof v === 'number' && v >= 0, 'a number >= 0')) config[s.name] = v as number;
        break;
      case 'dataset':
        if (check(v === 'mnist' || (typeof v === 'string' && v.startsWith('csv:') && v.length > 4), '"mnist" or "csv:PATH"')) config.dataset = v as string;
        break;
      case 'split': {
        const r = Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && x >= 0) && (v[0] as number) > 0;
        if (check(r, 'three ratios [train, validation, test] such as [8, 1, 1] (train > 0, the others >= 0)')) config.split = v as number[];
        break;
      }
    }
  }
  return config;
}

/** `adam(lr=1e-3)` (or a bare `adam`) as an Optimizer, via the constructors of train/optimizers. */
function optimizer(e: Expr, report: (message: string, span: Span) => void): Optimizer | undefined {
  const inner = e.kind === 'paren' ? e.inner : e;
  if (inner.kind !== 'call' && inner.kind !== 'name') return void report(`optimizer must be sgd(...), adam(...) or adamw(...), got ${describeExpr(e)}`, e.span);
  const name = inner.kind === 'call' ? inner.callee : inner.name;
  const kwargs = inner.kind === 'call' ? inner.kwargs : [];
  const schema = Object.hasOwn(OPTIMIZER_ARGS, name) ? OPTIMIZER_ARGS[name]! : undefined;
  if (!schema) return void report(unknownAmong('optimizer', name, Object.keys(OPTIMIZER_ARGS)), inner.span);
  if (inner.kind === 'call' && inner.args.length > 0) return void report(`${name}: settings are keywords, e.g. ${name}(lr=0.01)`, inner.args[0]!.span);
  const values: Record<string, number | boolean> = {};
  const spans = new Map<string, Span>();
  let ok = true;
  for (const kw of kwargs) {
    const kind = Object.hasOwn(schema, kw.name) ? schema[kw.name] : undefined;
    const v = literal(kw.value);
    const previous = spans.get(kw.name);
    if (!kind) {
      report(`${name}: unknown keyword '${kw.name}' (expected one of: ${Object.keys(schema).join(', ')})`, kw.span);
    } else if (previous) {
      report(`${name}: '${kw.name}' is already given at ${where(previous, kw.span)}`, kw.span);
    } else if (kind === 'number' ? typeof v !== 'number' : typeof v !== 'boolean') {
      const got = v === undefined ? describeExpr(kw.value) : formatLiteral(v);
      report(`${name}: '${kw.name}' must be ${kind === 'number' ? 'a number' : 'true or false'}, got ${got}`, kw.value.span);
    } else {
      values[kw.name] = v as number | boolean;
      spans.set(kw.name, kw.value.span);
      continue;
    }
    ok = false;
    if (kind && !previous) spans.set(kw.name, kw.span);
  }
  if (ok && name === 'sgd' && values['lr'] === undefined) return void report(`sgd: missing 'lr', e.g. sgd(lr=0.1)`, inner.span);
  if (!ok) return undefined;
  const num = (k: string) => values[k] as number | undefined;
  try {
    if (name === 'sgd') return sgd({ lr: num('lr')!, momentum: num('momentum'), nesterov: values['nesterov'] as boolean | undefined });
    const o = { lr: num('lr'), beta1: num('beta1'), beta2: num('beta2'), eps: num('eps') };
    return name === 'adam' ? adam(o) : adamw({ ...o, weightDecay: num('weight_decay') });
  } catch (err) {
    if (!(err instanceof KilnError)) throw err;
    // The constructors speak of weightDecay; point at the keyword their message names.
    const detail = err.detail.replace('weightDecay', 'weight_decay');
    const key = [...spans.keys()].find((k) => detail.startsWith(`${name}: ${k} `));
    return void report(detail, (key !== undefined ? spans.get(key) : undefined) ?? inner.span);
  }
}
