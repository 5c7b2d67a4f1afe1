// lineChartSVG and its tick rules: scales, nice ticks, the second axis, NaN gaps, escaping.

import { describe, expect, test } from 'vitest';
import { formatTick, lineChartSVG, niceTicks } from '../../src/cli/svg.js';

/** The `points` of each polyline, as [x, y] pairs. */
function polylines(svg: string): [number, number][][] {
  return [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) =>
    m[1]!
      .split(' ')
      .filter(Boolean)
      .map((p) => p.split(',').map(Number) as [number, number]),
  );
}

/** Tick labels of one axis group, in document order. */
function tickLabels(svg: string, group: string): string[] {
  const body = new RegExp(`<g class="${group}"[^>]*>([\\s\\S]*?)</g>`).exec(svg)![1]!;
  return [...body.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

describe('niceTicks', () => {
  test('steps are 1, 2 or 5 times a power of ten, covering the range', () => {
    expect(niceTicks(0, 1)).toEqual({ lo: 0, hi: 1, step: 0.2, values: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(0.13, 0.87)).toMatchObject({ lo: 0, hi: 1, step: 0.2 });
    expect(niceTicks(-3, 17)).toEqual({ lo: -5, hi: 20, step: 5, values: [-5, 0, 5, 10, 15, 20] });
    expect(niceTicks(1, 10, 9).values).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('values carry no floating-point noise', () => {
    for (const v of niceTicks(0.1, 0.7).values) expect(String(v)).toMatch(/^\d(\.\d)?$/);
  });

  test('a single value is padded out; non-finite bounds fall back to 0..1', () => {
    const t = niceTicks(5, 5);
    expect(t.lo).toBeLessThan(5);
    expect(t.hi).toBeGreaterThan(5);
    expect(niceTicks(0, 0).values).toContain(0);
    expect(niceTicks(Number.NaN, 3)).toEqual(niceTicks(0, 1));
  });

  test("formatTick uses the step's decimals and never prints -0", () => {
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(2, 0.5)).toBe('2.0');
    expect(formatTick(-0.00001, 0.1)).toBe('0.0');
    expect(formatTick(1500, 500)).toBe('1500');
  });
});

describe('lineChartSVG', () => {
  test('scales x positions 1..n across the plot and the y ticks top to bottom', () => {
    const svg = lineChartSVG([{ name: 'loss', values: [1, 2, 3] }], { width: 720, height: 420 });
    // Plot area: x 70..700 (no right axis), y 20..340 (no title); y ticks 1..3 by 0.5.
    expect(polylines(svg)).toEqual([
      [
        [70, 340],
        [385, 180],
        [700, 20],
      ],
    ]);
    expect(tickLabels(svg, 'axis y-axis left')).toEqual(['1.0', '1.5', '2.0', '2.5', '3.0']);
    expect(tickLabels(svg, 'axis x-axis')).toEqual(['1', '2', '3']);
  });

  test('epochs stay whole on the x axis, and a single epoch sits in the middle', () => {
    const two = lineChartSVG([{ name: 'loss', values: [1, 0.5] }]);
    expect(tickLabels(two, 'axis x-axis')).toEqual(['1', '2']);
    const one = lineChartSVG([{ name: 'loss', values: [0.7] }], { width: 720 });
    const [[[x]]] = polylines(one) as [[[number, number]]];
    expect(x).toBe(385);
  });

  test('right-axis series get their own scale, bounded by min and max', () => {
    const svg = lineChartSVG(
      [
        { name: 'loss', values: [2, 1] },
        { name: 'accuracy', values: [0.95, 1], axis: 'right' },
      ],
      { right: { label: 'accuracy', min: 0, max: 1 } },
    );
    expect(svg).toContain('class="axis y-axis right"');
    const labels = tickLabels(svg, 'axis y-axis right')
      .filter((l) => l !== 'accuracy')
      .map(Number);
    expect(Math.max(...labels)).toBe(1);
    // accuracy 1 is at the top of the plot, like the largest loss on the left.
    const [loss, acc] = polylines(svg);
    expect(acc![1]![1]).toBe(loss![0]![1]);
    expect(lineChartSVG([{ name: 'loss', values: [1] }])).not.toContain('y-axis right');
  });

  test('NaN and infinite values are left out of the line, not written into it', () => {
    const svg = lineChartSVG([
      { name: 'loss', values: [1, Number.NaN, 3, Number.POSITIVE_INFINITY] },
      { name: 'val_loss', values: [Number.NaN, Number.NaN] },
    ]);
    const [loss, val] = polylines(svg);
    expect(loss).toHaveLength(2);
    expect(val).toEqual([]);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  test('an all-NaN chart still has axes and one polyline per series', () => {
    const svg = lineChartSVG([{ name: 'loss', values: [Number.NaN] }]);
    expect(polylines(svg)).toEqual([[]]);
    expect(tickLabels(svg, 'axis y-axis left')).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  });

  test('a long legend wraps into rows and the plot makes room for them', () => {
    const names = ['loss', 'val_loss', 'data_loss', 'val_data_loss', 'accuracy', 'val_accuracy'];
    const many = lineChartSVG(
      names.map((name) => ({ name, values: [1, 2] })),
      { width: 400, height: 300 },
    );
    const rows = new Set([...many.matchAll(/<text x="[\d.]+" y="([\d.]+)" fill="#333">/g)].map((m) => m[1]));
    expect(rows.size).toBeGreaterThan(1);
    const one = lineChartSVG([{ name: 'loss', values: [1, 2] }], { width: 400, height: 300 });
    const bottom = (svg: string) => Number(/<g class="axis x-axis"[^>]*>\s*<line x1="\d+" y1="([\d.]+)"/.exec(svg)![1]);
    expect(bottom(many)).toBe(bottom(one) - 18 * (rows.size - 1));
  });

  test('the legend names every series and text is escaped', () => {
    const svg = lineChartSVG(
      [
        { name: 'loss', values: [1, 2] },
        { name: 'a<b & "c"', values: [2, 1], dashed: true },
      ],
      { title: 'x < y', xLabel: 'epoch' },
    );
    const legend = /<g class="legend"[^>]*>([\s\S]*?)<\/g>/.exec(svg)![1]!;
    expect(legend).toContain('>loss<');
    expect(legend).toContain('>a&lt;b &amp; &quot;c&quot;<');
    expect(svg).toContain('>x &lt; y</text>');
    expect(svg).toMatch(/<polyline [^>]*stroke-dasharray/);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});
