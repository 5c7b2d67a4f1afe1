// The text form of a kernel program, for golden tests and `kiln inspect --after fusion`.

import type { BufferSpec, IndexExpr, Kernel, KernelProgram, KernelSchedule, KernelStore, ValueExpr } from '../../runtime/kernel-ir.js';

/** Precedence of infix operators: a child binding less tightly than its parent is parenthesized. */
const INFIX: Readonly<Record<string, { sym: string; prec: number }>> = {
  eq: { sym: '==', prec: 1 },
  ne: { sym: '!=', prec: 1 },
  lt: { sym: '<', prec: 1 },
  le: { sym: '<=', prec: 1 },
  gt: { sym: '>', prec: 1 },
  ge: { sym: '>=', prec: 1 },
  add: { sym: '+', prec: 2 },
  sub: { sym: '-', prec: 2 },
  mul: { sym: '*', prec: 3 },
  div: { sym: '/', prec: 3 },
};

function num(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return Object.is(n, -0) ? '-0' : String(n);
}

/** A kernel's schedule on one line: `parallel axis 0 (at most 16 shares), upcast 4, tile 4x8`; defaults (1) are left out but upcast's. */
export function formatSchedule(s: KernelSchedule): string {
  const parts = [
    s.parallel ? `parallel axis ${s.parallel.axis}${s.parallel.maxShares ? ` (at most ${s.parallel.maxShares} shares)` : ''}` : 'no parallel axis',
    `upcast ${s.upcast}`,
  ];
  if (s.reduceUpcast > 1) parts.push(`reduce upcast ${s.reduceUpcast}`);
  if (s.reduceGroup > 1) parts.push(`reduce group ${s.reduceGroup}`);
  if ((s.reduceSplit ?? 1) > 1) parts.push(`reduce split ${s.reduceSplit}`);
  if (s.tile) parts.push(`tile ${s.tile.m}x${s.tile.n}${s.tile.stage ? ` staged ${s.tile.stage}` : ''}`);
  if (s.workgroup) parts.push(`workgroup ${s.workgroup.join('x')}`);
  return parts.join(', ');
}

class Printer {
  private readonly scalars: ReadonlySet<string>;

  constructor(
    buffers: readonly BufferSpec[],
    /** Output rank of the kernel being printed: variables at or above it are reduction axes. */
    private rank = 0,
  ) {
    this.scalars = new Set(buffers.filter((b) => b.shape.every((d) => d === 1)).map((b) => b.name));
  }

  kernel(k: Kernel): string {
    this.rank = k.shape.length;
    let head = `${k.name} ${k.pattern} at [${k.shape.join(', ')}]`;
    if (k.reduce) head += `, ${k.reduce.op} over [${k.reduce.shape.join(', ')}]: ${this.value(k.reduce.value)}`;
    const counted = (s: KernelStore) => (s.countNonFinite ? `  (non-finite counted in ${s.countNonFinite.buffer}[${s.countNonFinite.index}])` : '');
    const schedule = k.schedule ? [`  schedule: ${formatSchedule(k.schedule)}`] : [];
    return [head, ...k.stores.map((s) => `  ${s.buffer} = ${this.value(s.value)}${counted(s)}`), ...schedule].join('\n');
  }

  /** An index expression, with the precedence of its context. */
  index(e: IndexExpr, prec = 0): string {
    const wrap = (s: string, p: number) => (p < prec ? `(${s})` : s);
    switch (e.k) {
      case 'var':
        return e.axis < this.rank ? `i${e.axis}` : `r${e.axis - this.rank}`;
      case 'const':
        return num(e.value);
      case 'add': {
        const b =
          e.b.k === 'const' && e.b.value < 0
            ? ` - ${num(-e.b.value)}`
            : e.b.k === 'mul' && e.b.by < 0
              ? ` - ${this.index({ k: 'mul', a: e.b.a, by: -e.b.by }, 3)}`
              : ` + ${this.index(e.b, 3)}`;
        return wrap(`${this.index(e.a, 2)}${b}`, 2);
      }
      case 'mul':
        return wrap(e.by === -1 ? `-${this.index(e.a, 4)}` : `${num(e.by)}*${this.index(e.a, 4)}`, 3);
      case 'div':
        return wrap(`${this.index(e.a, 3)} // ${e.by}`, 3);
      case 'mod':
        return wrap(`${this.index(e.a, 3)} % ${e.by}`, 3);
      case 'value':
        return `{${this.value(e.v)}}`;
    }
  }

  value(e: ValueExpr, prec = 0): string {
    const wrap = (s: string, p: number) => (p < prec ? `(${s})` : s);
    switch (e.k) {
      case 'load':
        return this.scalars.has(e.buffer) ? e.buffer : `${e.buffer}[${this.index(e.index)}]`;
      case 'const':
        return e.dtype === 'bool' ? String(e.value !== 0) : num(e.value);
      case 'unary':
        return e.fn === 'neg' ? wrap(`-${this.value(e.a, 4)}`, 4) : `${e.fn}(${this.value(e.a)})`;
      case 'binary': {
        const op = INFIX[e.fn];
        if (!op) return `${e.fn}(${this.value(e.a)}, ${this.value(e.b)})`;
        // Left-associative: the right operand of - and / needs parentheses at equal precedence.
        return wrap(`${this.value(e.a, op.prec)} ${op.sym} ${this.value(e.b, op.prec + 1)}`, op.prec);
      }
      case 'where':
        return `where(${this.value(e.cond)}, ${this.value(e.a)}, ${this.value(e.b)})`;
      case 'cast':
        return `${e.dtype}(${this.value(e.a)})`;
      case 'index':
        return this.index(e.index, prec);
      case 'random': {
        const args = e.dist === 'uniform' ? `low=${num(e.a)}, high=${num(e.b)}` : `mean=${num(e.a)}, std=${num(e.b)}`;
        const key = e.key ? `, key=${this.value(e.key)}` : '';
        return `${e.dist}(${args}, seed=${e.seed}${key})[${this.index(e.counter)}]`;
      }
      case 'acc':
        return 'acc';
    }
  }
}

function bufferLine(b: BufferSpec, p: KernelProgram): string {
  const init = p.params.find((q) => q.buffer === b.name && b.role === 'param')?.init;
  const args = init ? Object.entries(init.args).map(([k, v]) => `${k}=${String(v)}`) : [];
  const value = b.data ? ` = [${b.data.map(num).join(', ')}]` : init ? ` = ${init.fn}(${args.join(', ')})` : '';
  const at = b.offset !== undefined ? ` @${b.offset}` : ''; // its arena offset, once planned
  return `  ${b.role} ${b.name}: ${b.dtype}[${b.shape.join(', ')}]${at}${value}`;
}

/**
 * The whole program: buffers, the interface, then each kernel in execution order. Output axes
 * print as i0, i1, ..., reduction axes as r0, r1, ...; a scalar buffer prints bare:
 *
 *   k0 matmul at [128, 256], sum over [784]: x[784*i0 + r0] * w1[i1 + 256*r0]
 *     t2 = relu(acc + b1[i1])
 *     schedule: parallel axis 0 (at most 32 shares), upcast 4, tile 4x8
 */
export function printKernels(p: KernelProgram): string {
  const printer = new Printer(p.buffers);
  const temps = p.buffers.filter((b) => b.role === 'temp').length;
  const lines = [`program ${p.name}: ${p.kernels.length} kernel${p.kernels.length === 1 ? '' : 's'}, ${temps} temp buffer${temps === 1 ? '' : 's'}`];
  lines.push(...p.buffers.map((b) => bufferLine(b, p)));
  for (const o of p.outputs) lines.push(`  returns ${o.name} = ${o.buffer}`);
  for (const u of p.updates) lines.push(`  update ${u.param} = ${u.buffer}`);
  if (p.guard)
    lines.push(`  guard: updates commit only when ${p.guard.counts} is all 0; else ${p.guard.backups.map((b) => `${b.param} = ${b.buffer}`).join(', ') || 'nothing'} put back`);
  for (const k of p.kernels) lines.push(printer.kernel(k));
  return lines.join('\n');
}

/** An index expression alone: variables below `rank` print as i0, i1, ..., the rest as r0, r1, .... */
export function formatIndex(e: IndexExpr, rank = Infinity): string {
  return new Printer([], rank).index(e);
}

/** One kernel alone (buffers of the program decide which loads print bare). */
export function printKernel(k: Kernel, buffers: readonly BufferSpec[] = []): string {
  return new Printer(buffers).kernel(k);
}
