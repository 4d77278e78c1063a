/**
 * The table of every cell, defined once and rendered as markdown (summary.md), CSV (cells.csv)
 * and sortable HTML. `sortValue` is what the HTML table sorts by (numbers sort numerically).
 */
import type { CellRow } from './cell-rows.js';
import { fmtBytes, fmtMs, fmtNs, fmtNum, fmtPercent, fmtSi } from './format.js';
import { shownMetrics, type AnyMetric, type AnyMetricName, type MetricFormat } from '../contract/metrics.js';

export interface Column {
  key: string;
  title: string;
  /** Raw value for CSV and sorting. */
  raw: (r: CellRow) => string | number | null;
  /** Human text for markdown and HTML. */
  text: (r: CellRow) => string;
  numeric: boolean;
}

const ci = (lo: number | null, hi: number | null): string => (lo === null || hi === null ? '–' : `${fmtSi(lo)} – ${fmtSi(hi)}`);

/** The report's rendering of each registry format. */
function formatFigure(x: number | null, format: MetricFormat): string {
  switch (format.kind) {
    case 'si':
      return fmtSi(x, format.suffix);
    case 'bytes':
      return fmtBytes(x);
    case 'ns':
      return fmtNs(x);
    case 'ms':
      return fmtMs(x);
    case 'percent':
      return fmtPercent(x);
    case 'decimal':
      return fmtNum(x, format.digits);
  }
}

const IDENTITY: Column[] = [
  { key: 'workload', title: 'workload', raw: (r) => r.workload, text: (r) => r.workload, numeric: false },
  { key: 'strategy', title: 'strategy', raw: (r) => r.strategy, text: (r) => r.strategy, numeric: false },
  { key: 'allocator', title: 'allocator', raw: (r) => r.allocator, text: (r) => r.allocator, numeric: false },
  { key: 'sizeBytes', title: 'size (B)', raw: (r) => r.sizeBytes, text: (r) => String(r.sizeBytes), numeric: true },
  { key: 'axes', title: 'axes', raw: (r) => r.axesLabel, text: (r) => r.axesLabel || '–', numeric: false },
  { key: 'state', title: 'state', raw: (r) => r.state, text: (r) => r.state, numeric: false },
  { key: 'forks', title: 'forks', raw: (r) => r.forkCount, text: (r) => String(r.forkCount), numeric: true },
];

/** A metric's column and, for a metric with an interval (ops/s), its CI column. */
function metricColumns(m: AnyMetric): Column[] {
  const name = m.name as AnyMetricName;
  const title = m.column ?? m.label;
  const value: Column = { key: name, title, raw: (r) => r[name], text: (r) => formatFigure(r[name], m.format), numeric: true };
  if (m.interval === undefined) return [value];
  const bounds = (r: CellRow): [number, number] | undefined => r.intervals[name];
  return [
    value,
    { key: `${name}Ci`, title: `${title} 95% CI`, raw: (r) => (bounds(r) === undefined ? null : `${bounds(r)![0]}..${bounds(r)![1]}`), text: (r) => ci(bounds(r)?.[0] ?? null, bounds(r)?.[1] ?? null), numeric: false },
  ];
}

/**
 * The columns of the cell table: the cell's identity, then every metric the registry shows in the
 * report (contract/metrics.ts, `show: [..., 'report']`) in registry order; an optional metric
 * (instructions/op) only when some row has it.
 */
export function cellColumns(rows: readonly CellRow[]): Column[] {
  const metrics = shownMetrics('report', (m) => rows.some((r) => r[m.name as AnyMetricName] !== null));
  return [...IDENTITY, ...metrics.flatMap(metricColumns)];
}

/** RFC 4180 field quoting. */
function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with raw (unformatted) values, one row per cell, plus id and reason columns. */
export function cellsCsv(rows: readonly CellRow[]): string {
  const cols = cellColumns(rows);
  const header = ['id', ...cols.map((c) => c.key), 'reason'];
  const lines = [header.join(',')];
  for (const r of rows) lines.push([r.id, ...cols.map((c) => c.raw(r)), r.reason].map(csvField).join(','));
  return lines.join('\n') + '\n';
}

const mdEscape = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A GitHub-flavoured markdown table of every cell. */
export function cellsMarkdown(rows: readonly CellRow[]): string {
  const cols = cellColumns(rows);
  const lines = [`| ${cols.map((c) => c.title).join(' | ')} |`, `| ${cols.map((c) => (c.numeric ? '---:' : '---')).join(' | ')} |`];
  for (const r of rows) lines.push(`| ${cols.map((c) => mdEscape(c.text(r))).join(' | ')} |`);
  return lines.join('\n') + '\n';
}
