/**
 * The table of every cell, defined once and rendered as markdown (summary.md), CSV (cells.csv)
 * and sortable HTML. `sortValue` is what the HTML table sorts by (numbers sort numerically).
 */
import type { CellRow } from './cell-rows.js';
import { fmtBytes, fmtMs, fmtNs, fmtNum, fmtPercent, fmtSi } from './format.js';

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

export const COLUMNS: Column[] = [
  { key: 'workload', title: 'workload', raw: (r) => r.workload, text: (r) => r.workload, numeric: false },
  { key: 'strategy', title: 'strategy', raw: (r) => r.strategy, text: (r) => r.strategy, numeric: false },
  { key: 'allocator', title: 'allocator', raw: (r) => r.allocator, text: (r) => r.allocator, numeric: false },
  { key: 'sizeBytes', title: 'size (B)', raw: (r) => r.sizeBytes, text: (r) => String(r.sizeBytes), numeric: true },
  { key: 'axes', title: 'axes', raw: (r) => r.axesLabel, text: (r) => r.axesLabel || '–', numeric: false },
  { key: 'state', title: 'state', raw: (r) => r.state, text: (r) => r.state, numeric: false },
  { key: 'forks', title: 'forks', raw: (r) => r.forkCount, text: (r) => String(r.forkCount), numeric: true },
  { key: 'opsPerSecMedian', title: 'ops/s', raw: (r) => r.opsPerSecMedian, text: (r) => fmtSi(r.opsPerSecMedian), numeric: true },
  { key: 'opsPerSecCi', title: 'ops/s 95% CI', raw: (r) => (r.opsPerSecLo === null ? null : `${r.opsPerSecLo}..${r.opsPerSecHi}`), text: (r) => ci(r.opsPerSecLo, r.opsPerSecHi), numeric: false },
  { key: 'bytesPerSecMedian', title: 'payload B/s', raw: (r) => r.bytesPerSecMedian, text: (r) => fmtSi(r.bytesPerSecMedian, 'B/s'), numeric: true },
  { key: 'latencyP50Ns', title: 'p50', raw: (r) => r.latencyP50Ns, text: (r) => fmtNs(r.latencyP50Ns), numeric: true },
  { key: 'latencyP99Ns', title: 'p99', raw: (r) => r.latencyP99Ns, text: (r) => fmtNs(r.latencyP99Ns), numeric: true },
  { key: 'latencyP999Ns', title: 'p99.9', raw: (r) => r.latencyP999Ns, text: (r) => fmtNs(r.latencyP999Ns), numeric: true },
  { key: 'latencyMaxNs', title: 'max', raw: (r) => r.latencyMaxNs, text: (r) => fmtNs(r.latencyMaxNs), numeric: true },
  { key: 'gcCount', title: 'GCs', raw: (r) => r.gcCount, text: (r) => fmtNum(r.gcCount, 1), numeric: true },
  { key: 'gcPauseMsTotal', title: 'GC pause total', raw: (r) => r.gcPauseMsTotal, text: (r) => fmtMs(r.gcPauseMsTotal), numeric: true },
  { key: 'gcPauseMsMax', title: 'GC max pause', raw: (r) => r.gcPauseMsMax, text: (r) => fmtMs(r.gcPauseMsMax), numeric: true },
  { key: 'gcTimeShare', title: 'GC time', raw: (r) => r.gcTimeShare, text: (r) => fmtPercent(r.gcTimeShare), numeric: true },
  { key: 'heapBytesPerOp', title: 'heap B/op', raw: (r) => r.heapBytesPerOp, text: (r) => fmtNum(r.heapBytesPerOp, 1), numeric: true },
  { key: 'arrayBufferBytesPerOp', title: 'ArrayBuffer B/op', raw: (r) => r.arrayBufferBytesPerOp, text: (r) => fmtNum(r.arrayBufferBytesPerOp, 1), numeric: true },
  { key: 'strategyAllocsPerOp', title: 'allocs/op', raw: (r) => r.strategyAllocsPerOp, text: (r) => fmtNum(r.strategyAllocsPerOp), numeric: true },
  { key: 'strategyCopiesPerOp', title: 'copies/op', raw: (r) => r.strategyCopiesPerOp, text: (r) => fmtNum(r.strategyCopiesPerOp), numeric: true },
  { key: 'strategyViewsPerOp', title: 'views/op', raw: (r) => r.strategyViewsPerOp, text: (r) => fmtNum(r.strategyViewsPerOp), numeric: true },
  { key: 'baselineNsPerOp', title: 'no-op baseline', raw: (r) => r.baselineNsPerOp, text: (r) => fmtNs(r.baselineNsPerOp), numeric: true },
  { key: 'peakRssBytes', title: 'peak RSS', raw: (r) => r.peakRssBytes, text: (r) => fmtBytes(r.peakRssBytes), numeric: true },
];

/** RFC 4180 field quoting. */
function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV with raw (unformatted) values, one row per cell, plus id and reason columns. */
export function cellsCsv(rows: readonly CellRow[]): string {
  const header = ['id', ...COLUMNS.map((c) => c.key), 'reason'];
  const lines = [header.join(',')];
  for (const r of rows) lines.push([r.id, ...COLUMNS.map((c) => c.raw(r)), r.reason].map(csvField).join(','));
  return lines.join('\n') + '\n';
}

const mdEscape = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A GitHub-flavoured markdown table of every cell. */
export function cellsMarkdown(rows: readonly CellRow[]): string {
  const cols = COLUMNS;
  const lines = [`| ${cols.map((c) => c.title).join(' | ')} |`, `| ${cols.map((c) => (c.numeric ? '---:' : '---')).join(' | ')} |`];
  for (const r of rows) lines.push(`| ${cols.map((c) => mdEscape(c.text(r))).join(' | ')} |`);
  return lines.join('\n') + '\n';
}
