// Lowering of the model language: a parsed program and its imports become a graph and train settings.

import { posix } from 'node:path';
import { Builder } from '../builder.js';
import type { Sym } from '../builder.js';
import { fsReason } from '../../../runtime/fs.js';
import { KilnError } from '../../ir/errors.js';
import type { SourceSpan } from '../../ir/errors.js';
import type { Graph, Initializer } from '../../ir/graph.js';
import { INITIALIZERS } from '../../ir/init.js';
import type { PlainOpName } from '../../ir/op.js';
import { formatType, isDType } from '../../ir/types.js';
import type { DType, Dim } from '../../ir/types.js';
import type { BinaryOp, CallExpr, DefDecl, DimExpr, Expr, ImportDecl, InitExpr, ModelDecl, Program, Span, Stmt, TrainDecl, TypeExpr } from './ast.js';
import { applyOp, attributes, isCallName, lowerOpCall, lowerTrain, opNames } from './calls.js';
import type { TrainConfig } from './calls.js';
import type { Diagnostic } from './diagnostics.js';
import { instanceInitializer, isLayerCall, lowerDenseLayer } from './layers.js';
import type { LayerContext } from './layers.js';
import { Scope, alreadyDefined, elideLongNames, boundNames, checkDef, describeExpr, place, plural, suggest, unknownAmong, unknownName, where } from './scope.js';
import type { Binding, Val } from './scope.js';

export type { TrainConfig } from './calls.js';

export interface LowerOptions {
  /** The text of the program, for callers that print diagnostics with excerpts. */
  source?: string;
  /** The program's path: imports resolve relative to its folder. */
  file?: string;
  /** Reads an imported file. */
  readFile?: (path: string) => string;
  /** Parses an imported file (the parser is passed in, so lowering does not depend on it). */
  parse?: (source: string, file?: string) => { program: Program; diagnostics: Diagnostic[] };
  /** Which model to lower when the file holds several. */
  model?: string;
  /** A file of defs alone is fine (a library, as `kiln check` sees it); its defs are still checked. */
  library?: boolean;
}

export interface LowerResult {
  graph?: Graph;
  train?: TrainConfig;
  diagnostics: Diagnostic[];
}

/**
 * Lowers the program's model and train section through the TypeScript builder, each node at the
 * span of the expression that made it. Never throws for a user's mistake: each is a diagnostic
 * at its place, and the graph comes only when there are none.
 */
export function lowerProgram(program: Program, options: LowerOptions = {}): LowerResult {
  return new Lowering(options).run(program);
}

// ---- files and defs -----------------------------------------------------------------------

/** A loaded file: the defs it sees (its own, then those of its imports). */
interface Unit {
  file: string | undefined;
  defs: Map<string, DefEntry>;
  /** An import failed: unknown callees go unreported, the import's diagnostic explains them. */
  quiet: boolean;
}

interface DefEntry {
  decl: DefDecl;
  unit: Unit;
  /** Passed the static checks; calls of a def that did not are lowered to nothing, quietly. */
  ok: boolean;
  calls: { entry: DefEntry; span: Span }[];
}

const OPERATORS: Readonly<Record<BinaryOp, PlainOpName>> = {
  '+': 'add',
  '-': 'sub',
  '*': 'mul',
  '/': 'div',
  '@': 'matmul',
  '**': 'pow',
  '==': 'eq',
  '!=': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
};

class Lowering {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  private readonly units = new Map<string, Unit>();
  private readonly entries: DefEntry[] = [];
  /** Reports made, including repeats that were dropped. */
  private count = 0;
  /** The symbols of the inputs' shapes, and each symbol of a param's shape, reported unless an input has it. */
  readonly inputSymbols = new Set<string>();
  readonly paramSymbols: { symbol: string; unbound: () => void }[] = [];

  constructor(private readonly options: LowerOptions) {}

  run(program: Program): LowerResult {
    const file = this.options.file ?? program.file;
    const root = this.load(program, file, [keyOf(file)]);
    this.checkDefs();
    const model = this.pickModel(program, file);
    const trains = program.decls.filter((d): d is TrainDecl => d.kind === 'train');
    for (const t of trains.slice(1)) this.report(`the train section is already given at ${where(trains[0]!.span, t.span)}`, t.span);
    const train = trains[0] && lowerTrain(trains[0], (m, s) => this.report(m, s));
    const graph = model && this.lowerModel(model, root);
    if (this.diagnostics.length > 0 || !graph) return { diagnostics: this.sorted() };
    return train ? { graph, train, diagnostics: [] } : { graph, diagnostics: [] };
  }

  report(message: string, span: SourceSpan): void {
    this.count++;
    message = elideLongNames(message);
    const at = place(span);
    const key = `${at.file ?? ''}:${at.line}:${at.col}:${message}`;
    if (this.seen.has(key)) return; // a def's body lowered once per call repeats its errors
    this.seen.add(key);
    this.diagnostics.push({ message, span: at });
  }

  /** In file order: files as first reported, then line and column. */
  private sorted(): Diagnostic[] {
    const files: (string | undefined)[] = [...new Set(this.diagnostics.map((d) => d.span.file))];
    const rank = (d: Diagnostic) => files.indexOf(d.span.file);
    return [...this.diagnostics].sort((a, b) => rank(a) - rank(b) || a.span.line - b.span.line || a.span.col - b.span.col);
  }

  unknownCallee(unit: Unit, callee: string, span: Span, isValue: (name: string) => boolean, report: (m: string, s: Span) => void): void {
    if (unit.quiet) return;
    if (isValue(callee)) return report(`'${callee}' is a value, not an op or a def`, span);
    report(`unknown op or def '${callee}'${suggest(callee, [...unit.defs.keys(), ...opNames()])}`, span);
  }

  // ---- imports --------------------------------------------------------------------------

  private load(program: Program, file: string | undefined, stack: string[]): Unit {
    const unit: Unit = { file, defs: new Map(), quiet: false };
    this.units.set(keyOf(file), unit);
    for (const d of program.decls) {
      if (d.kind !== 'def') continue;
      const entry: DefEntry = { decl: d, unit, ok: true, calls: [] };
      this.entries.push(entry);
      this.addDef(unit, entry, d.nameSpan);
    }
    for (const d of program.decls) if (d.kind === 'import') this.importInto(unit, d, stack);
    return unit;
  }

  private addDef(unit: Unit, entry: DefEntry, span: Span, via?: ImportDecl): void {
    const name = entry.decl.name;
    const previous = unit.defs.get(name);
    if (previous === entry) return; // the same file reached along two import paths
    if (!previous) return void unit.defs.set(name, entry);
    const head = via ? `import "${via.path}": def '${name}'` : `def '${name}'`;
    this.report(`${head} is already defined at ${where(previous.decl.nameSpan, span)}`, span);
  }

  private importInto(unit: Unit, decl: ImportDecl, stack: string[]): void {
    const from = posix.dirname(unit.file ?? '');
    const target = posix.normalize(posix.isAbsolute(decl.path) ? decl.path : posix.join(from, decl.path));
    if (stack.includes(target)) {
      unit.quiet = true;
      return this.report(`import cycle: ${[...stack.slice(stack.indexOf(target)), target].join(' -> ')}`, decl.span);
    }
    let imported = this.units.get(target);
    if (!imported) {
      const program = this.readImport(decl, target);
      if (!program) return void (unit.quiet = true);
      imported = this.load(program, target, [...stack, target]);
    }
    if (imported.quiet) unit.quiet = true;
    for (const entry of imported.defs.values()) this.addDef(unit, entry, decl.span, decl);
  }

  private readImport(decl: ImportDecl, target: string): Program | undefined {
    const { readFile, parse } = this.options;
    const head = `cannot import "${decl.path}"`;
    if (!readFile || !parse) return void this.report(`${head}: no ${readFile ? 'parse' : 'readFile'} was given to lowerProgram`, decl.span);
    let text: string;
    try {
      text = readFile(target);
    } catch (e) {
      return void this.report(`${head}: cannot read ${target} (${fsReason(e)})`, decl.span);
    }
    const parsed = parse(text, target);
    for (const d of parsed.diagnostics) this.report(d.message, d.span);
    return parsed.diagnostics.length > 0 ? undefined : parsed.program;
  }

  // ---- static checks of defs ------------------------------------------------------------

  /** Checks every def once, called or not; then finds recursion in the calls between them. */
  private checkDefs(): void {
    const byDecl = new Map(this.entries.map((e) => [e.decl, e]));
    for (const entry of this.entries) {
      const before = this.count;
      const { calls } = checkDef(entry.decl, {
        defOf: (name) => entry.unit.defs.get(name)?.decl,
        isOp: isCallName,
        report: (m, s) => this.report(m, s),
        unknownCallee: (name, s, isValue) => this.unknownCallee(entry.unit, name, s, isValue, (m, at) => this.report(m, at)),
      });
      entry.ok = this.count === before;
      entry.calls = calls.map((c) => ({ entry: byDecl.get(c.def)!, span: c.span }));
    }
    const state = new Map<DefEntry, 'active' | 'done'>();
    // The chain of calls being followed: each def with the call that reached it.
    const stack: { entry: DefEntry; via: Span | undefined }[] = [];
    const visit = (entry: DefEntry, via: Span | undefined): void => {
      state.set(entry, 'active');
      stack.push({ entry, via });
      for (const c of entry.calls) {
        const s = state.get(c.entry);
        if (s === 'active') {
          const from = stack.findIndex((f) => f.entry === c.entry);
          const cycle = stack.slice(from).map((f) => f.entry);
          const chain = [...cycle, c.entry].map((e) => e.decl.name).join(' -> ');
          // Reported once per cycle, at the call that leaves its first def.
          const at = stack[from + 1]?.via ?? c.span;
          this.report(`def ${c.entry.decl.name} calls itself through ${chain}`, at);
          for (const e of cycle) e.ok = false;
        } else if (!s) {
          visit(c.entry, c.span);
        }
      }
      stack.pop();
      state.set(entry, 'done');
    };
    for (const entry of this.entries) if (!state.has(entry)) visit(entry, undefined);
  }

  // ---- the model ------------------------------------------------------------------------

  private pickModel(program: Program, file: string | undefined): ModelDecl | undefined {
    const models = program.decls.filter((d): d is ModelDecl => d.kind === 'model');
    const first = new Map<string, Span>();
    for (const m of models) {
      const previous = first.get(m.name);
      if (previous) this.report(`model '${m.name}' is already defined at ${where(previous, m.nameSpan)}`, m.nameSpan);
      else first.set(m.name, m.nameSpan);
    }
    const start: SourceSpan = file !== undefined ? { file, line: 1, col: 1 } : { line: 1, col: 1 };
    const names = [...first.keys()].join(', ');
    const wanted = this.options.model;
    if (wanted !== undefined) {
      const m = models.find((d) => d.name === wanted);
      if (!m) this.report(`no model named '${wanted}'${suggest(wanted, first.keys())} (${names ? `models: ${names}` : 'the file has none'})`, start);
      return m;
    }
    // A library is a file of defs; a file with neither defs nor a model (a train section alone) is not one.
    const library = this.options.library && program.decls.some((d) => d.kind === 'def' || d.kind === 'import') && !program.decls.some((d) => d.kind === 'train');
    if (models.length === 0 && !library) this.report(`no model in this file; declare one with model NAME { ... }`, start);
    if (models.length > 1) this.report(`this file holds ${models.length} models (${names}); choose one with the model option`, models[1]!.nameSpan);
    return models.length === 1 ? models[0] : undefined;
  }

  private lowerModel(model: ModelDecl, unit: Unit): Graph | undefined {
    const b = new Builder(model.name);
    // Inputs and params may be declared after expressions that get generated names.
    b.reserve(model.body.flatMap((s) => (s.kind === 'input' || s.kind === 'param' ? [s.name] : [])));
    const state: ModelState = { outputs: new Map(), loss: undefined };
    const frame = new Frame(this, b, unit, new Scope('', boundNames(model.body)), state, undefined);
    for (const s of model.body) frame.statement(s);
    for (const p of this.paramSymbols) if (!this.inputSymbols.has(p.symbol)) p.unbound();
    // A `return` in the model is reported, and explains the missing outputs.
    const returns = model.body.some((s) => s.kind === 'return');
    if (state.outputs.size === 0 && !returns) this.report(`model ${model.name} has no outputs; declare one with 'output' or 'loss'`, model.nameSpan);
    if (this.diagnostics.length > 0) return undefined;
    try {
      return b.build();
    } catch (e) {
      if (!(e instanceof KilnError)) throw e;
      return void this.report(e.detail, model.nameSpan);
    }
  }
}

/** The key of a file among the loaded ones. */
function keyOf(file: string | undefined): string {
  return file === undefined ? '<input>' : posix.normalize(file);
}

// ---- statements and expressions -----------------------------------------------------------

interface ModelState {
  /** Each output's name and where it was declared; `loss` among them. */
  outputs: Map<string, Span>;
  loss: Span | undefined;
}

/** A def call being lowered: which def, where it was called, from which frame. */
interface CallSite {
  entry: DefEntry;
  span: Span;
  parent: Frame;
}

/** The lowering of one body: a model's, or a def's for one call. */
class Frame implements LayerContext {
  /** The first `return` of a def's body, once lowered (its value undefined if it failed). */
  private returned: { value: Val | undefined } | undefined;

  constructor(
    private readonly l: Lowering,
    readonly b: Builder,
    private readonly unit: Unit,
    private readonly scope: Scope,
    private readonly model: ModelState | undefined,
    private readonly call: CallSite | undefined,
  ) {}

  /** Reports at `span`; inside a def, says which call was being lowered. */
  report(message: string, span: Span): void {
    const context = this.call ? ` (in ${this.call.entry.decl.name} called at ${where(this.call.span, span)})` : '';
    this.l.report(message + context, span);
  }

  value(e: Expr): Val | undefined {
    return this.expr(e, undefined);
  }

  lookup(name: string): Binding | undefined {
    return this.scope.get(name);
  }

  guard<T>(span: Span, fn: () => T): T | undefined {
    try {
      return this.b.at(place(span), fn);
    } catch (e) {
      if (!(e instanceof KilnError)) throw e;
      return void this.report(e.detail, span);
    }
  }

  private isCallable = (name: string): boolean => this.unit.defs.has(name) || isCallName(name);

  /** True when `name` is new here; otherwise reports the redefinition. */
  private declare(name: string, span: Span): boolean {
    const previous = this.scope.get(name);
    if (previous) this.report(alreadyDefined(name, previous.at, span), span);
    return !previous;
  }

  private bind(name: string, value: Val | undefined, at: Span): void {
    this.scope.define(name, { value, at });
  }

  private tensorOf(v: Val, what: string): Sym | undefined {
    if (v.kind === 'tensor') return v.sym;
    return void this.report(`${what} must be a tensor, got the number ${v.value}`, v.span);
  }

  statement(s: Stmt): void {
    switch (s.kind) {
      case 'input': {
        if (!this.model) return this.report(`'input' is not allowed in a def`, s.span);
        const type = this.tensorType(s.type);
        if (!this.declare(s.name, s.nameSpan)) return;
        for (const d of this.symbols(s.type)) this.l.inputSymbols.add(d.name);
        const sym = type && this.guard(s.span, () => this.b.input(s.name, type.dtype, type.shape));
        return this.bind(s.name, sym && { kind: 'tensor', sym, span: s.span }, s.nameSpan);
      }
      case 'param': {
        const type = this.tensorType(s.type);
        const init = s.init ? this.initializer(s.init) : null; // null: the default initializer
        if (!this.declare(s.name, s.nameSpan)) return;
        const name = this.scope.prefix + s.name;
        for (const d of this.symbols(s.type)) {
          const message = `param ${s.name}: dimension '${d.name}' is in no input's shape, so its size is never known; use a number or a symbol of an input`;
          this.l.paramSymbols.push({ symbol: d.name, unbound: () => this.report(message, d.span) });
        }
        const given = init && this.call ? instanceInitializer(init, name) : init;
        const sym = type && given !== undefined ? this.guard(s.span, () => this.b.param(name, type.dtype, type.shape, given ?? undefined)) : undefined;
        return this.bind(s.name, sym && { kind: 'tensor', sym, span: s.span }, s.nameSpan);
      }
      case 'let': {
        const fresh = this.declare(s.name, s.nameSpan);
        const v = this.expr(s.value, fresh ? s.name : undefined);
        if (fresh) this.bind(s.name, v, s.nameSpan);
        return;
      }
      case 'output':
        return this.output(s.name, s.nameSpan, s.value, s.span);
      case 'loss':
        return this.loss(s.value, s.span);
      case 'return': {
        if (!this.call) return this.report(`'return' outside a def; a model gives its results with 'output'`, s.span);
        const value = this.expr(s.value, undefined);
        this.returned ??= { value };
        return;
      }
    }
  }

  private output(name: string, nameSpan: Span, e: Expr | undefined, span: Span): void {
    if (!this.model) return this.report(`'output' is not allowed in a def`, span);
    let v: Val | undefined;
    let fresh = true;
    if (e) {
      fresh = this.declare(name, nameSpan);
      v = this.expr(e, fresh ? name : undefined);
      if (fresh) this.bind(name, v, nameSpan);
    } else {
      const b = this.scope.get(name);
      if (!b) this.report(unknownName(name, this.scope.names(), this.isCallable), nameSpan);
      v = b && b.value && { ...b.value, span: nameSpan };
    }
    const previous = this.model.outputs.get(name);
    if (previous) return fresh ? this.report(`output '${name}' is already defined at ${where(previous, nameSpan)}`, nameSpan) : undefined;
    this.model.outputs.set(name, nameSpan);
    const sym = v && this.tensorOf(v, `output '${name}'`);
    if (sym) this.guard(span, () => this.b.output(name, sym));
  }

  private loss(e: Expr, span: Span): void {
    if (!this.model) return this.report(`'loss' is not allowed in a def`, span);
    const v = this.expr(e, undefined);
    if (this.model.loss) return this.report(`loss is already declared at ${where(this.model.loss, span)}`, span);
    this.model.loss = span;
    this.model.outputs.set('loss', span);
    const sym = v && this.tensorOf(v, 'loss');
    if (!sym) return;
    if (sym.dtype !== 'f32' || sym.rank !== 0) {
      const hint = sym.dtype === 'f32' ? ' (reduce it, e.g. with mean(...))' : '';
      return this.report(`loss must be an f32 scalar, got ${formatType(sym.type)}${hint}`, e.span);
    }
    this.guard(span, () => this.b.output('loss', sym));
  }

  /** The names in a type that are symbols, not def arguments. */
  private symbols(t: TypeExpr): { name: string; span: Span }[] {
    return t.dims.flatMap((d) => (d.kind === 'name' && !this.scope.get(d.name) ? [d] : []));
  }

  /** A declared type; names in it are def arguments (numbers) or symbols. */
  private tensorType(t: TypeExpr): { dtype: DType; shape: Dim[] } | undefined {
    let ok = isDType(t.dtype);
    if (!ok) this.report(`unknown dtype '${t.dtype}' (expected f32, i32 or bool)`, t.span);
    const shape: Dim[] = [];
    for (const d of t.dims) {
      const dim = this.dim(d);
      if (dim === undefined) ok = false;
      else shape.push(dim);
    }
    return ok ? { dtype: t.dtype as DType, shape } : undefined;
  }

  /** A dimension as written: a number, a def argument's number, or a symbol. */
  private dim(d: DimExpr): Dim | undefined {
    const bad = (message: string): undefined => void this.report(message, d.span);
    if (d.kind === 'number') return Number.isInteger(d.value) && d.value >= 0 ? d.value : bad(`a dimension must be an integer >= 0, got ${d.text}`);
    const b = this.scope.get(d.name);
    if (!b) return d.name;
    if (!b.value) return undefined;
    if (b.value.kind === 'tensor') return bad(`'${d.name}' is a tensor, not a dimension`);
    const n = b.value.value;
    // `+ 0` turns -0 into 0, which is not a valid dimension
    return Number.isInteger(n) && n >= 0 ? n + 0 : bad(`dimension '${d.name}' must be an integer >= 0, got ${n}`);
  }

  initializer(e: InitExpr): Initializer | undefined {
    if (!Object.hasOwn(INITIALIZERS, e.name)) {
      return void this.report(unknownAmong('initializer', e.name, Object.keys(INITIALIZERS)), e.span);
    }
    const schema = INITIALIZERS[e.name]!.args;
    const label = `initializer ${e.name}`;
    const args = attributes(this, label, schema, e.kwargs);
    if (!args) return undefined;
    const missing = Object.keys(schema).filter((k) => schema[k]!.default === undefined && args[k] === undefined);
    for (const k of missing) this.report(`${label}: missing argument '${k}' (a number)`, e.span);
    return missing.length ? undefined : { fn: e.name, args };
  }

  /** Evaluates an expression; `binding` names the let or output it is the whole value of. */
  private expr(e: Expr, binding: string | undefined): Val | undefined {
    switch (e.kind) {
      case 'number':
        return { kind: 'number', value: e.value, span: e.span };
      case 'bool':
      case 'string':
      case 'list': {
        const hint = e.kind === 'list' ? ' (lists are for attributes, e.g. axes=[1])' : '';
        return void this.report(`expected a tensor or a number, got ${describeExpr(e)}${hint}`, e.span);
      }
      case 'name': {
        const b = this.scope.get(e.name);
        if (!b) return void this.report(unknownName(e.name, this.scope.names(), this.isCallable), e.span);
        return b.value && { ...b.value, span: e.span };
      }
      case 'paren':
        return this.expr(e.inner, binding);
      case 'unary': {
        const v = this.expr(e.operand, undefined);
        if (!v) return undefined;
        return v.kind === 'number' ? { kind: 'number', value: -v.value, span: e.span } : applyOp(this, 'neg', [v], e.span);
      }
      case 'binary': {
        const left = this.expr(e.left, undefined);
        const right = this.expr(e.right, undefined);
        if (!left || !right) return undefined;
        if (left.kind === 'number' && right.kind === 'number') return this.fold(e.op, left.value, right.value, e.span);
        return applyOp(this, OPERATORS[e.op], [left, right], e.span);
      }
      case 'call':
        return this.callExpr(e, binding);
    }
  }

  /** Arithmetic on two numbers happens now: `n * 2` is a number, usable as a dimension. */
  private fold(op: BinaryOp, a: number, b: number, span: Span): Val | undefined {
    const arithmetic: Partial<Record<BinaryOp, (x: number, y: number) => number>> = {
      '+': (x, y) => x + y,
      '-': (x, y) => x - y,
      '*': (x, y) => x * y,
      '/': (x, y) => x / y,
      '**': (x, y) => x ** y,
    };
    const f = arithmetic[op];
    if (!f) return void this.report(`'${op}' of two numbers (${a}, ${b}): one side must be a tensor`, span);
    const value = f(a, b);
    if (!Number.isFinite(value)) return void this.report(`${a} ${op} ${b} is not a finite number`, span);
    return { kind: 'number', value, span };
  }

  private callExpr(e: CallExpr, binding: string | undefined): Val | undefined {
    const entry = this.unit.defs.get(e.callee);
    if (entry) return this.callDef(entry, e, binding);
    if (isLayerCall(e)) return lowerDenseLayer(this, e, () => this.scope.prefix + this.scope.instanceName('dense', binding), this.call !== undefined);
    if (isCallName(e.callee)) return lowerOpCall(this, e);
    for (const a of e.args) this.expr(a, undefined); // their own errors still count
    this.l.unknownCallee(
      this.unit,
      e.callee,
      e.calleeSpan,
      (n) => this.scope.get(n) !== undefined,
      (m, s) => this.report(m, s),
    );
    return undefined;
  }

  /** A def call: arguments bound in a fresh scope whose parameters are named after `binding`. */
  private callDef(entry: DefEntry, e: CallExpr, binding: string | undefined): Val | undefined {
    const def = entry.decl;
    const names = def.params.map((p) => p.name);
    const args: (Val | undefined)[] = [];
    const given: boolean[] = [];
    let ok = true;
    e.args.forEach((a, i) => {
      args[i] = this.expr(a, undefined);
      given[i] = true;
    });
    for (const kw of e.kwargs) {
      const v = this.expr(kw.value, undefined);
      const i = names.indexOf(kw.name);
      if (i < 0) {
        ok = false;
        this.report(names.length ? `def ${def.name}: unknown keyword '${kw.name}' (expected one of: ${names.join(', ')})` : `def ${def.name} takes no arguments`, kw.span);
      } else if (given[i]) {
        ok = false;
        this.report(`def ${def.name}: argument '${kw.name}' is already given`, kw.span);
      } else {
        args[i] = v;
        given[i] = true;
      }
    }
    const count = e.args.length + e.kwargs.length;
    if (ok && (e.args.length > names.length || names.some((_, i) => !given[i]))) {
      return void this.report(`def ${def.name} takes ${plural(names.length, 'argument')} (${names.join(', ')}), got ${count}`, e.span);
    }
    if (!ok || !entry.ok || args.some((a) => a === undefined)) return undefined;
    for (let call = this.call; call; call = call.parent.call) if (call.entry === entry) return undefined; // recursion, reported statically
    const instance = this.scope.instanceName(def.name, binding);
    const scope = new Scope(`${this.scope.prefix}${instance}.`, boundNames(def.body));
    def.params.forEach((p, i) => scope.define(p.name, { value: args[i], at: p.span }));
    const frame = new Frame(this.l, this.b, entry.unit, scope, undefined, { entry, span: e.span, parent: this });
    for (const s of def.body) frame.statement(s);
    const result = frame.returned?.value;
    return result && { ...result, span: e.span };
  }
}
