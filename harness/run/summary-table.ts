/**
 * The table printed at the end of a run: one row per cell, a column per metric the registry shows
 * on the console (contract/metrics.ts, `show: ['console', …]`), in registry order. A metric with a
 * bootstrap interval (ops/s) shows its median with the interval; optional metrics
 * (instructions/op) get a column only when some cell records them.
 */
import type { CellResult } from '../../contract/result-schema.js';
import { cellFigure, shownMetrics, type AnyMetric, type MetricFormat } from '../../contract/metrics.js';
import { formatRate } from './progress.js';

function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)}G`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)}M`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)}k`;
  return n.toFixed(n < 10 && n !== Math.round(n) ? 1 : 0);
}

function ns(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}ms`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}us`;
  return `${n.toFixed(0)}ns`;
}

/** The console's rendering of each registry format (compact: the table must fit a terminal). */
function formatFigure(n: number, format: MetricFormat): string {
  switch (format.kind) {
    case 'si':
      return formatRate(n);
    case 'bytes':
      return bytes(n);
    case 'ns':
      return ns(n);
    case 'ms':
      return ns(n * 1e6);
    case 'percent':
      return `${(n * 100).toFixed(1)}%`;
    case 'decimal':
      return n === Math.round(n) ? String(n) : n.toFixed(Math.min(2, format.digits));
  }
}

function figureText(c: CellResult, m: AnyMetric): string {
  if (m.interval !== undefined && c.summary !== undefined) {
    const o = m.interval(c.summary);
    return `${formatFigure(o.median, m.format)} [${formatFigure(o.ci95[0], m.format)}, ${formatFigure(o.ci95[1], m.format)}]`;
  }
  const v = cellFigure(c, m);
  return v === null ? '-' : formatFigure(v, m.format);
}

function columns(cells: readonly CellResult[]): AnyMetric[] {
  return shownMetrics('console', (m) => cells.some((c) => cellFigure(c, m) !== null));
}

function header(metrics: readonly AnyMetric[]): string[] {
  return ['cell', 'state', ...metrics.map((m) => `${m.column ?? m.label}${m.interval !== undefined ? ' median [ci95]' : ''}`)];
}

export function summaryRows(cells: readonly CellResult[], metrics: readonly AnyMetric[] = columns(cells)): string[][] {
  return cells.map((c) => {
    if (c.state !== 'completed' || c.summary === undefined) {
      const why = c.error ? `${c.error.code}` : '';
      return [c.id, c.state, why, ...metrics.slice(1).map(() => '')];
    }
    return [c.id, c.state, ...metrics.map((m) => figureText(c, m))];
  });
}

/** Fixed-width text table; numbers right-aligned. */
export function renderSummaryTable(cells: readonly CellResult[]): string {
  const metrics = columns(cells);
  const head = header(metrics);
  const rows = [head, ...summaryRows(cells, metrics)];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r.map((v, i) => (i <= 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
