/**
 * The table printed at the end of a run: one row per cell. Columns: state, forks (an adaptive run
 * gives cells different numbers of rounds), ops/s median with its bootstrap 95% interval and that
 * interval's relative half-width, p99 latency, share of the ops slower than p99 that overlapped a GC pause
 * (`p99∩GC`), share of wall time in GC, JS-heap and ArrayBuffer bytes per
 * operation, the strategy's allocations per operation, the largest peak RSS of any fork, and notes:
 * the cell's forks fall into modes (and what separates them), or it ran out of budget before its
 * interval reached the target.
 */
import type { CellResult } from '../../contract/result-schema.js';
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

function perOp(n: number): string {
  return n === Math.round(n) ? String(n) : n.toFixed(2);
}

const HEADER = ['cell', 'state', 'forks', 'ops/s median [ci95]', '±', 'p99', 'p99∩GC', 'GC', 'heap B/op', 'AB B/op', 'allocs/op', 'peak RSS', 'notes'];

/** What the consistency finding adds to a row: modes with their separating factor, out of budget. */
export function cellNotes(c: CellResult): string {
  const notes: string[] = [];
  const k = c.consistency;
  if (k?.modes !== undefined) notes.push(`${k.modes.forks.length} modes${k.modes.separatedBy.length > 0 ? ` (${k.modes.separatedBy.join(', ')})` : ' (no factor separates them)'}`);
  if (k?.outOfBudget === true) notes.push('out of budget');
  return notes.join('; ');
}

export function summaryRows(cells: readonly CellResult[]): string[][] {
  return cells.map((c) => {
    const s = c.summary;
    if (c.state !== 'completed' || s === undefined) {
      const why = c.error ? `${c.error.code}` : '';
      return [c.id, c.state, String(c.forks.length), why, '', '', '', '', '', '', '', '', ''];
    }
    const o = s.opsPerSec;
    return [
      c.id,
      c.state,
      String(c.forks.length),
      `${formatRate(o.median)} [${formatRate(o.ci95[0])}, ${formatRate(o.ci95[1])}]`,
      o.median > 0 ? `${((relativeHalfWidth(o.median, o.ci95)) * 100).toFixed(1)}%` : '-',
      ns(s.latencyNs.p99),
      s.gcTails === undefined ? '-' : `${(s.gcTails.p99.share * 100).toFixed(0)}%`,
      `${(s.gc.timeShare * 100).toFixed(1)}%`,
      bytes(s.alloc.heapBytesPerOp),
      bytes(s.alloc.arrayBufferBytesPerOp),
      perOp(s.alloc.strategyAllocsPerOp),
      bytes(s.memory.peakRssBytes),
      cellNotes(c),
    ];
  });
}

/** Fixed-width text table; numbers right-aligned. */
export function renderSummaryTable(cells: readonly CellResult[]): string {
  const rows = [HEADER, ...summaryRows(cells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r.map((v, i) => (i <= 1 || i === r.length - 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}
