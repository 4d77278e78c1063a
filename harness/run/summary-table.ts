/**
 * The table printed at the end of a run: one row per cell. Columns: state, forks (an adaptive run
 * gives cells different numbers of rounds), then a column per metric the registry shows on the
 * console (contract/metrics.ts, `show: ['console', …]`), in registry order — a metric with a
 * bootstrap interval (ops/s) shows its median with the interval and the interval's relative
 * half-width (±); optional metrics (instructions/op) get a column only when some cell records them —
 * and notes: the cell's forks fall into modes (and what separates them), or it ran out of budget
 * before its interval reached the target.
 */
import type { CellResult } from '../../contract/result-schema.js';
import { cellFigure, shownMetrics, type AnyMetric, type MetricFormat } from '../../contract/metrics.js';
import { relativeHalfWidth } from '../stats/bootstrap.js';
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

/** The metric's cells: the figure, and for a metric with an interval also its relative half-width. */
function figureTexts(c: CellResult, m: AnyMetric): string[] {
  if (m.interval !== undefined && c.summary !== undefined) {
    const o = m.interval(c.summary);
    const halfWidth = o.median > 0 ? `${(relativeHalfWidth(o.median, o.ci95) * 100).toFixed(1)}%` : '-';
    return [`${formatFigure(o.median, m.format)} [${formatFigure(o.ci95[0], m.format)}, ${formatFigure(o.ci95[1], m.format)}]`, halfWidth];
  }
  const v = cellFigure(c, m);
  return [v === null ? '-' : formatFigure(v, m.format)];
}

/** What the consistency finding adds to a row: modes with their separating factor, out of budget. */
export function cellNotes(c: CellResult): string {
  const notes: string[] = [];
  const k = c.consistency;
  if (k?.modes !== undefined) notes.push(`${k.modes.forks.length} modes${k.modes.separatedBy.length > 0 ? ` (${k.modes.separatedBy.join(', ')})` : ' (no factor separates them)'}`);
  if (k?.outOfBudget === true) notes.push('out of budget');
  return notes.join('; ');
}

function columns(cells: readonly CellResult[]): AnyMetric[] {
  return shownMetrics('console', (m) => cells.some((c) => cellFigure(c, m) !== null));
}

function header(metrics: readonly AnyMetric[]): string[] {
  const names = metrics.flatMap((m) => (m.interval !== undefined ? [`${m.column ?? m.label} median [ci95]`, '±'] : [m.column ?? m.label]));
  return ['cell', 'state', 'forks', ...names, 'notes'];
}

export function summaryRows(cells: readonly CellResult[], metrics: readonly AnyMetric[] = columns(cells)): string[][] {
  return cells.map((c) => {
    if (c.state !== 'completed' || c.summary === undefined) {
      const why = c.error ? `${c.error.code}` : '';
      const blanks = header(metrics).length - 4;
      return [c.id, c.state, String(c.forks.length), why, ...Array.from({ length: blanks }, () => '')];
    }
    return [c.id, c.state, String(c.forks.length), ...metrics.flatMap((m) => figureTexts(c, m)), cellNotes(c)];
  });
}

/** Fixed-width text table; numbers right-aligned. */
export function renderSummaryTable(cells: readonly CellResult[]): string {
  const metrics = columns(cells);
  const head = header(metrics);
  const rows = [head, ...summaryRows(cells, metrics)];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r.map((v, i) => (i <= 1 || i === r.length - 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
