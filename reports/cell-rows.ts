/**
 * Flat, chart-ready rows derived from a result file: one {@link CellRow} per cell, plus the GC
 * pauses of every fork. Charts, tables and the headline all read these, so every view of a run
 * shows the same numbers.
 */
import type { CellResult, CellState, CellSummary, ResultFile } from '../contract/result-schema.js';
import { cellFigure, METRIC_LIST, type AnyMetricName } from '../contract/metrics.js';

/** Every registry metric's cell figure (contract/metrics.ts), null when the cell has none. */
export type MetricValues = { [K in AnyMetricName]: number | null };

/** One cell, flat: identity and labels, then one field per registry metric. */
export interface CellRow extends MetricValues {
  id: string;
  workload: string;
  strategy: string;
  allocator: string;
  sizeBytes: number;
  /** Extra axes that vary within the file, as `key=value` joined by ", " ('' when none vary). */
  axesLabel: string;
  /** The comparison group: cells with equal size and extra axes compete in the headline. */
  groupLabel: string;
  /** `64 B`: the column of faceted charts. */
  sizeLabel: string;
  /** Workload (when several) and extra axes: the row of faceted charts ('' when neither varies). */
  panelRowLabel: string;
  /** Short label for per-cell charts: `strategy · allocator · size B [· axes]`. */
  cellLabel: string;
  state: CellState;
  forkCount: number;
  /** Why an errored or skipped cell has no numbers (code: message). */
  reason: string;
  /** The throughput interval (bootstrap 95% of the median across forks); the headline and charts read it. */
  opsPerSecMedian: number | null;
  opsPerSecLo: number | null;
  opsPerSecHi: number | null;
  bytesPerSecMedian: number | null;
  bytesPerSecLo: number | null;
  bytesPerSecHi: number | null;
  /** Median over forks of the number of latency samples (for placing `max` on percentile axes). */
  latencySampleCount: number | null;
  /** The 95% interval of each metric whose summary has one (contract/metrics.ts `interval`). */
  intervals: Partial<Record<AnyMetricName, [number, number]>>;
}

export interface GcPauseRow {
  cellLabel: string;
  strategy: string;
  allocator: string;
  forkIndex: number;
  startMs: number;
  durationMs: number;
  kind: string;
}

/**
 * The extra axes of a cell. The cell id is the contract's source (`workload/strategy/allocator/size`
 * then `/key=value` per extra axis in suite order, e.g. `v8=semi16`); a cell whose id carries no
 * axes falls back to its params plus its V8 flags (as one `v8` axis).
 */
function extraAxes(cell: CellResult): Record<string, string> {
  const fromId = cell.id.split('/').slice(4);
  if (fromId.length > 0 && fromId.every((p) => /^[^=]+=/.test(p))) {
    return Object.fromEntries(fromId.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  }
  const axes: Record<string, string> = {};
  for (const [k, v] of Object.entries(cell.params ?? {})) axes[k] = String(v);
  if (cell.v8Flags && cell.v8Flags.length > 0) axes.v8 = cell.v8Flags.join(' ');
  return axes;
}

/** Names of the extra axes whose value differs between cells, in the order they first appear. */
export function varyingAxes(cells: readonly CellResult[]): string[] {
  const values = new Map<string, Set<string>>();
  for (const c of cells) {
    const axes = extraAxes(c);
    for (const k of Object.keys(axes)) if (!values.has(k)) values.set(k, new Set());
  }
  for (const c of cells) {
    const axes = extraAxes(c);
    for (const [k, set] of values) set.add(axes[k] ?? '(unset)');
  }
  return [...values].filter(([, set]) => set.size > 1).map(([k]) => k);
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function metricValues(cell: CellResult): MetricValues {
  return Object.fromEntries(METRIC_LIST.map((m) => [m.name, cellFigure(cell, m)])) as MetricValues;
}

function intervalsOf(s: CellSummary): CellRow['intervals'] {
  const out: CellRow['intervals'] = {};
  for (const m of METRIC_LIST) if (m.interval !== undefined) out[m.name as AnyMetricName] = m.interval(s).ci95;
  return out;
}

export function cellRows(result: ResultFile): CellRow[] {
  const axesNames = varyingAxes(result.cells);
  const multiWorkload = new Set(result.cells.map((c) => c.workload)).size > 1;
  return result.cells.map((c) => {
    const axes = extraAxes(c);
    const axesLabel = axesNames.map((k) => `${k}=${axes[k] ?? '(unset)'}`).join(', ');
    const prefix = multiWorkload ? `${c.workload} · ` : '';
    const groupLabel = `${prefix}${c.size} B${axesLabel ? ` · ${axesLabel}` : ''}`;
    const s = c.summary;
    const ok = c.state === 'completed' && s !== undefined;
    return {
      id: c.id,
      workload: c.workload,
      strategy: c.strategy,
      allocator: c.allocator,
      sizeBytes: c.size,
      axesLabel,
      groupLabel,
      sizeLabel: `${c.size} B`,
      panelRowLabel: [multiWorkload ? c.workload : '', axesLabel].filter(Boolean).join(' · '),
      cellLabel: `${prefix}${c.strategy} · ${c.allocator} · ${c.size} B${axesLabel ? ` · ${axesLabel}` : ''}`,
      state: c.state,
      forkCount: c.forks.length,
      reason: c.error ? `${c.error.code}: ${c.error.message}` : c.state === 'completed' ? '' : '(no reason recorded)',
      opsPerSecMedian: ok ? s.opsPerSec.median : null,
      opsPerSecLo: ok ? s.opsPerSec.ci95[0] : null,
      opsPerSecHi: ok ? s.opsPerSec.ci95[1] : null,
      bytesPerSecMedian: ok ? s.bytesPerSec.median : null,
      bytesPerSecLo: ok ? s.bytesPerSec.ci95[0] : null,
      bytesPerSecHi: ok ? s.bytesPerSec.ci95[1] : null,
      latencySampleCount: ok ? median(c.forks.map((f) => f.latencyNs.count)) : null,
      intervals: ok ? intervalsOf(s) : {},
      ...metricValues(c),
    };
  });
}

/** Completed rows only (the ones with numbers), in file order. */
export function completedRows(rows: readonly CellRow[]): CellRow[] {
  return rows.filter((r) => r.state === 'completed' && r.opsPerSecMedian !== null);
}

/** Every GC pause of every fork of completed cells, at most `cap` in total (evenly thinned). */
export function gcPauseRows(result: ResultFile, rows: readonly CellRow[], cap = 4000): GcPauseRow[] {
  const labelById = new Map(rows.map((r) => [r.id, r.cellLabel]));
  const out: GcPauseRow[] = [];
  for (const c of result.cells) {
    if (c.state !== 'completed') continue;
    for (const f of c.forks) {
      for (const p of f.gc?.pauses ?? []) {
        out.push({ cellLabel: labelById.get(c.id) ?? c.id, strategy: c.strategy, allocator: c.allocator, forkIndex: f.forkIndex, startMs: p.startMs, durationMs: p.durationMs, kind: p.kind });
      }
    }
  }
  if (out.length <= cap) return out;
  const step = out.length / cap;
  return Array.from({ length: cap }, (_, i) => out[Math.floor(i * step)]!);
}

/** Stable order for strategies: the design's three first, then any others alphabetically. */
export const KNOWN_STRATEGIES = ['uint8array', 'pooled', 'one-big-struct'];
/** Stable order for allocators: glibc (the baseline) first. */
export const KNOWN_ALLOCATORS = ['glibc', 'jemalloc', 'tcmalloc', 'mimalloc'];

export function orderedDomain(values: Iterable<string>, known: readonly string[]): string[] {
  const set = new Set(values);
  return [...known.filter((k) => set.has(k)), ...[...set].filter((v) => !known.includes(v)).sort()];
}

/** Rows sorted by workload, size, axes, strategy, allocator (the order of every per-cell chart and table). */
export function sortRows(rows: readonly CellRow[]): CellRow[] {
  const si = (s: string) => { const i = KNOWN_STRATEGIES.indexOf(s); return i < 0 ? 99 : i; };
  const ai = (a: string) => { const i = KNOWN_ALLOCATORS.indexOf(a); return i < 0 ? 99 : i; };
  return [...rows].sort(
    (a, b) =>
      a.workload.localeCompare(b.workload) ||
      a.sizeBytes - b.sizeBytes ||
      a.axesLabel.localeCompare(b.axesLabel) ||
      si(a.strategy) - si(b.strategy) || a.strategy.localeCompare(b.strategy) ||
      ai(a.allocator) - ai(b.allocator) || a.allocator.localeCompare(b.allocator),
  );
}
