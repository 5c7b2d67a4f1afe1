// A small SVG line-chart writer for training curves: axes with nice ticks, an optional second
// y axis on the right, a legend, one polyline per series. Pure string building, no DOM.

export interface Series {
  name: string;
  /** One value per x position; NaN and infinities are left out of the line (a gap is bridged). */
  values: readonly number[];
  /** Which y axis the series is drawn against (default 'left'). */
  axis?: 'left' | 'right';
  /** A CSS color; by default the next color of the palette. */
  color?: string;
  dashed?: boolean;
}

export interface AxisOptions {
  label?: string;
  /** Bounds the automatic domain never crosses, e.g. 0 and 1 for accuracies. */
  min?: number;
  max?: number;
}

export interface ChartOptions {
  title?: string;
  width?: number;
  height?: number;
  /** The x value of each position (default 1, 2, 3, ...: epochs). */
  x?: readonly number[];
  xLabel?: string;
  left?: AxisOptions;
  right?: AxisOptions;
}

export interface Ticks {
  /** The domain, widened to whole steps. */
  lo: number;
  hi: number;
  step: number;
  values: number[];
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** Decimal places that show every multiple of `step` exactly (steps are 1, 2 or 5 times 10^k). */
function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** About `count` ticks at 1, 2 or 5 times a power of ten, covering [lo, hi]; a point is padded out. */
export function niceTicks(lo: number, hi: number, count = 5): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return niceTicks(0, 1, count);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    // One value: show it in the middle of a small range rather than dividing by zero.
    const pad = lo === 0 ? 1 : Math.abs(lo) / 10;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const ratio = raw / magnitude;
  const step = (ratio <= 1 ? 1 : ratio <= 2 ? 2 : ratio <= 5 ? 5 : 10) * magnitude;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const digits = decimalsOf(step);
  // Rounding to the step's digits keeps 0.30000000000000004 out of the labels.
  const values = Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toFixed(digits)));
  return { lo: values[0]!, hi: values[values.length - 1]!, step, values };
}

/** A tick label with as many decimals as the step needs, and no '-0'. */
export function formatTick(value: number, step: number): string {
  const s = value.toFixed(decimalsOf(step));
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const num = (v: number): string => String(Math.round(v * 100) / 100);

/** The ticks of a y axis over the finite values of its series, cut at the axis's bounds. */
function axisTicks(series: readonly Series[], axis: AxisOptions): Ticks {
  const finite = series.flatMap((s) => s.values.filter((v) => Number.isFinite(v)));
  if (finite.length === 0) return niceTicks(axis.min ?? 0, axis.max ?? 1);
  let t = niceTicks(Math.min(...finite), Math.max(...finite));
  const lo = axis.min !== undefined ? Math.max(t.lo, axis.min) : t.lo;
  const hi = axis.max !== undefined ? Math.min(t.hi, axis.max) : t.hi;
  if (lo !== t.lo || hi !== t.hi) {
    t = niceTicks(lo, hi);
    // Keep the cut domain; drop the ticks that widening added beyond it.
    t = { ...t, lo, hi, values: t.values.filter((v) => v >= lo - t.step * 1e-9 && v <= hi + t.step * 1e-9) };
  }
  return t;
}

/** An SVG document: one line chart of `series` against x positions 1..n (or `options.x`). */
export function lineChartSVG(series: readonly Series[], options: ChartOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  const legend = legendLayout(series, width);
  const c = chartLayout(series, options, width, height, legend.rows);
  const parts: string[] = [];
  const add = (s: string): void => void parts.push(s);
  add(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  add(`  <rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`);
  if (options.title) add(`  <text x="${num(width / 2)}" y="24" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`);
  drawGridAndXAxis(add, c, options.xLabel);
  drawYAxis(add, c, 'left', c.leftTicks, c.syLeft, options.left?.label);
  if (c.hasRight) drawYAxis(add, c, 'right', c.rightTicks, c.syRight, options.right?.label);
  const colors = series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]!);
  drawSeries(add, c, series, colors);
  drawLegend(add, c, series, colors, legend.items);
  add('</svg>');
  return `${parts.join('\n')}\n`;
}

const legendText = (s: Series): string => `${s.name}${s.axis === 'right' ? ' (right)' : ''}`;

/**
 * The legend's rows, laid out first so the plot leaves room for them: a line sample and a name
 * per series, wrapping at the chart's width (text width estimated at 7px a character).
 */
function legendLayout(series: readonly Series[], width: number): { items: { x: number; row: number }[]; rows: number } {
  const items: { x: number; row: number }[] = [];
  let row = 0;
  let cursor = 70;
  for (const s of series) {
    const itemWidth = 30 + 7 * legendText(s).length + 24;
    if (cursor > 70 && cursor + itemWidth > width - 20) [row, cursor] = [row + 1, 70];
    items.push({ x: cursor, row });
    cursor += itemWidth;
  }
  return { items, rows: series.length ? row + 1 : 0 };
}

interface ChartLayout {
  plot: { left: number; right: number; top: number; bottom: number };
  plotW: number;
  plotH: number;
  xs: readonly number[];
  xTicks: Ticks;
  xTickValues: number[];
  sx: (v: number) => number;
  hasRight: boolean;
  leftTicks: Ticks;
  rightTicks: Ticks;
  syLeft: (v: number) => number;
  syRight: (v: number) => number;
}

/** The plot area, inside margins for the title, tick labels, axis labels and the legend, and the scales onto it. */
function chartLayout(series: readonly Series[], options: ChartOptions, width: number, height: number, legendRows: number): ChartLayout {
  const leftSeries = series.filter((s) => (s.axis ?? 'left') === 'left');
  const rightSeries = series.filter((s) => s.axis === 'right');
  const hasRight = rightSeries.length > 0;
  const length = Math.max(0, ...series.map((s) => s.values.length));
  const xs = options.x ?? Array.from({ length }, (_, i) => i + 1);
  const plot = { left: 70, right: width - (hasRight ? 70 : 20), top: options.title ? 40 : 20, bottom: height - 62 - 18 * legendRows };
  const plotW = plot.right - plot.left;
  const plotH = plot.bottom - plot.top;

  const xFinite = xs.filter((v) => Number.isFinite(v));
  const xMin = xFinite.length ? Math.min(...xFinite) : 0;
  const xMax = xFinite.length ? Math.max(...xFinite) : 1;
  let xTicks = niceTicks(xMin, xMax, Math.min(10, Math.max(1, xMax - xMin)));
  if (options.x === undefined && xTicks.step < 1) xTicks = { ...xTicks, step: 1, values: xTicks.values.filter(Number.isInteger) }; // epochs are whole
  // The x domain is the data's own extent (no widening) unless it is a single point.
  const [x0, x1] = xMax > xMin ? [xMin, xMax] : [xTicks.lo, xTicks.hi];
  const xTickValues = xTicks.values.filter((v) => v >= x0 && v <= x1);
  const sx = (v: number): number => plot.left + ((v - x0) / (x1 - x0)) * plotW;

  const leftTicks = axisTicks(leftSeries, options.left ?? {});
  const rightTicks = axisTicks(rightSeries, options.right ?? {});
  const scaleY =
    (t: Ticks) =>
    (v: number): number =>
      plot.bottom - ((v - t.lo) / (t.hi - t.lo)) * plotH;
  return { plot, plotW, plotH, xs, xTicks, xTickValues, sx, hasRight, leftTicks, rightTicks, syLeft: scaleY(leftTicks), syRight: scaleY(rightTicks) };
}

type Add = (s: string) => void;

/** Grid lines at the left axis's ticks (behind everything else), then the x axis. */
function drawGridAndXAxis(add: Add, c: ChartLayout, xLabel: string | undefined): void {
  const { plot, sx } = c;
  add('  <g class="grid" stroke="#e5e5e5" stroke-width="1">');
  for (const v of c.leftTicks.values) add(`    <line x1="${plot.left}" y1="${num(c.syLeft(v))}" x2="${plot.right}" y2="${num(c.syLeft(v))}"/>`);
  add('  </g>');

  add('  <g class="axis x-axis" stroke="#333" stroke-width="1">');
  add(`    <line x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}"/>`);
  for (const v of c.xTickValues) {
    add(`    <line x1="${num(sx(v))}" y1="${plot.bottom}" x2="${num(sx(v))}" y2="${plot.bottom + 5}"/>`);
    add(`    <text x="${num(sx(v))}" y="${plot.bottom + 18}" text-anchor="middle" stroke="none" fill="#333">${formatTick(v, c.xTicks.step)}</text>`);
  }
  if (xLabel) add(`    <text x="${num(plot.left + c.plotW / 2)}" y="${plot.bottom + 36}" text-anchor="middle" stroke="none" fill="#333">${escapeXml(xLabel)}</text>`);
  add('  </g>');
}

function drawYAxis(add: Add, c: ChartLayout, side: 'left' | 'right', ticks: Ticks, sy: (v: number) => number, label: string | undefined): void {
  const { plot } = c;
  const x = side === 'left' ? plot.left : plot.right;
  const dir = side === 'left' ? -1 : 1;
  add(`  <g class="axis y-axis ${side}" stroke="#333" stroke-width="1">`);
  add(`    <line x1="${x}" y1="${plot.top}" x2="${x}" y2="${plot.bottom}"/>`);
  for (const v of ticks.values) {
    add(`    <line x1="${x}" y1="${num(sy(v))}" x2="${x + 5 * dir}" y2="${num(sy(v))}"/>`);
    add(`    <text x="${x + 8 * dir}" y="${num(sy(v) + 4)}" text-anchor="${side === 'left' ? 'end' : 'start'}" stroke="none" fill="#333">${formatTick(v, ticks.step)}</text>`);
  }
  if (label) {
    const lx = x + 55 * dir;
    const ly = plot.top + c.plotH / 2;
    add(`    <text x="${num(lx)}" y="${num(ly)}" text-anchor="middle" transform="rotate(${90 * dir} ${num(lx)} ${num(ly)})" stroke="none" fill="#333">${escapeXml(label)}</text>`);
  }
  add('  </g>');
}

function drawSeries(add: Add, c: ChartLayout, series: readonly Series[], colors: readonly string[]): void {
  add('  <g class="series" fill="none" stroke-width="2">');
  series.forEach((s, i) => {
    const sy = s.axis === 'right' ? c.syRight : c.syLeft;
    const points = s.values.flatMap((v, k) => (Number.isFinite(v) && Number.isFinite(c.xs[k] ?? NaN) ? [[c.sx(c.xs[k]!), sy(v)] as const] : []));
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    add(`    <polyline data-series="${escapeXml(s.name)}" stroke="${colors[i]}"${dash} points="${points.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}"/>`);
    // Dots mark the measured points; a lone point would otherwise not show at all.
    if (points.length <= 40) for (const [x, y] of points) add(`    <circle cx="${num(x)}" cy="${num(y)}" r="2.5" fill="${colors[i]}" stroke="none"/>`);
  });
  add('  </g>');
}

function drawLegend(add: Add, c: ChartLayout, series: readonly Series[], colors: readonly string[], items: readonly { x: number; row: number }[]): void {
  add('  <g class="legend" font-size="12">');
  series.forEach((s, i) => {
    const { x, row: r } = items[i]!;
    const y = c.plot.bottom + 62 + 18 * r - 6;
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    add(`    <line x1="${x}" y1="${y - 4}" x2="${x + 24}" y2="${y - 4}" stroke="${colors[i]}" stroke-width="2"${dash}/>`);
    add(`    <text x="${x + 30}" y="${y}" fill="#333">${escapeXml(legendText(s))}</text>`);
  });
  add('  </g>');
}
