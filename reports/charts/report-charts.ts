/**
 * The charts of the HTML report, as vega-lite specs built from {@link CellRow}s. Pure functions:
 * rows in, spec out; rendering happens elsewhere (reports/svg.ts).
 */
import type { CellRow, GcPauseRow } from '../cell-rows.js';
import { completedRows, sortRows } from '../cell-rows.js';
import type { ChartResult } from './chart-types.js';
import { asSpec } from './chart-types.js';
import { allocatorColor, chartConfig, kindColor, scalesFor, strategyColor } from './theme.js';

const NO_DATA = 'no completed cells in this result file';

/** Facet by size (columns) and by workload/extra axes (rows, only when they vary). */
function sizeAxesFacet(rows: readonly CellRow[]): Record<string, unknown> {
  const sorted = sortRows(rows);
  const sizes = [...new Set([...sorted].sort((a, b) => a.sizeBytes - b.sizeBytes).map((r) => r.sizeLabel))];
  const panelRows = [...new Set(sorted.map((r) => r.panelRowLabel))];
  const facet: Record<string, unknown> = { column: { field: 'sizeLabel', type: 'nominal', sort: sizes, title: null } };
  if (panelRows.length > 1 || (panelRows[0] ?? '') !== '') {
    facet.row = { field: 'panelRowLabel', type: 'nominal', sort: panelRows, title: null, header: { labelAngle: 0, labelAlign: 'left', labelLimit: 220 } };
  }
  return facet;
}
function cellOrder(rows: readonly CellRow[]): string[] {
  return sortRows(rows).map((r) => r.cellLabel);
}

/** Throughput (median ops/s with 95% CI bars) by strategy × allocator, one panel per size and extra-axes group. */
export function throughputChart(all: readonly CellRow[]): ChartResult {
  const name = 'throughput';
  const title = 'Throughput by strategy × allocator';
  const description = 'Median operations per second across forks; the black bar is the 95% confidence interval of the median. Columns are sizes, rows the extra axes (when any vary); y scales are independent per panel.';
  const rows = completedRows(all);
  if (rows.length === 0) return { name, title, description, skipped: NO_DATA };
  const s = scalesFor(rows);
  const x = { field: 'strategy', type: 'nominal', sort: s.strategies, title: null, axis: { labelAngle: -25 } };
  const xOffset = { field: 'allocator', sort: s.allocators };
  return {
    name, title, description,
    spec: asSpec({
      config: chartConfig('report'),
      data: { values: rows },
      facet: sizeAxesFacet(rows),
      spec: {
        width: Math.max(160, s.strategies.length * s.allocators.length * 22),
        height: 200,
        layer: [
          {
            mark: { type: 'bar', stroke: '#333333', strokeWidth: 0.5 },
            encoding: {
              x, xOffset,
              y: { field: 'opsPerSecMedian', type: 'quantitative', title: 'ops/s (median, 95% CI)', axis: { format: '~s' } },
              color: { field: 'allocator', type: 'nominal', title: 'allocator', scale: allocatorColor(s) },
              tooltip: [{ field: 'cellLabel', title: 'cell' }, { field: 'opsPerSecMedian', title: 'median ops/s', format: ',.0f' }, { field: 'opsPerSecLo', title: 'CI low', format: ',.0f' }, { field: 'opsPerSecHi', title: 'CI high', format: ',.0f' }],
            },
          },
          {
            mark: { type: 'rule', color: 'black', strokeWidth: 1.5 },
            encoding: { x, xOffset, y: { field: 'opsPerSecLo', type: 'quantitative' }, y2: { field: 'opsPerSecHi' } },
          },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    }),
  };
}

/** Percentiles as an HdrHistogram-style x position: 1/(1-p), so 50% → 2, 99.9% → 1000. */
export const PERCENTILE_TICKS = [2, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000];
export const PERCENTILE_LABEL_EXPR = "format(100 - 100 / datum.value, '.7~r') + '%'";

export interface PercentilePoint {
  id: string;
  cellLabel: string;
  groupLabel: string;
  sizeLabel: string;
  panelRowLabel: string;
  strategy: string;
  allocator: string;
  percentile: string;
  inverseTail: number;
  latencyUs: number;
}

/** One point per cell and percentile (p50, p90, p99, p99.9, max placed at 1 − 1/samples). */
export function percentilePoints(rows: readonly CellRow[]): PercentilePoint[] {
  const out: PercentilePoint[] = [];
  for (const r of completedRows(rows)) {
    const base = { id: r.id, cellLabel: r.cellLabel, groupLabel: r.groupLabel, sizeLabel: r.sizeLabel, panelRowLabel: r.panelRowLabel, strategy: r.strategy, allocator: r.allocator };
    const pts: Array<[string, number, number | null]> = [
      ['p50', 2, r.latencyP50Ns],
      ['p90', 10, r.latencyP90Ns],
      ['p99', 100, r.latencyP99Ns],
      ['p99.9', 1000, r.latencyP999Ns],
    ];
    // max is the (1 − 1/n) percentile of n samples; with fewer than 2000 samples it sits left of p99.9, so we drop it.
    if (r.latencySampleCount !== null && r.latencySampleCount > 1000) pts.push(['max', r.latencySampleCount, r.latencyMaxNs]);
    for (const [percentile, inverseTail, ns] of pts) {
      if (ns !== null && ns > 0) out.push({ ...base, percentile, inverseTail, latencyUs: ns / 1000 });
    }
  }
  return out;
}

/** Powers of ten covering [minValue, maxValue]: log axes get one labelled grid line per decade. */
export function decades(minValue: number, maxValue: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(minValue)); e <= Math.ceil(Math.log10(maxValue)); e++) out.push(Number((10 ** e).toPrecision(1)));
  return out;
}

export function percentileEncoding(maxInverseTail: number, style: 'report' | 'paper', latencyRangeUs?: [number, number]) {
  const yAxis = latencyRangeUs ? { format: '~g', values: decades(latencyRangeUs[0], latencyRangeUs[1]) } : { format: '~g' };
  return {
    x: {
      field: 'inverseTail', type: 'quantitative', title: 'percentile', scale: { type: 'log', domain: [2, Math.max(1000, maxInverseTail)] },
      axis: { values: PERCENTILE_TICKS.filter((t) => t <= Math.max(1000, maxInverseTail)), labelExpr: PERCENTILE_LABEL_EXPR, grid: true, labelFlush: false, labelOverlap: false, labelAngle: style === 'paper' ? -45 : -30 },
    },
    y: { field: 'latencyUs', type: 'quantitative', title: 'latency per op (µs, log)', scale: { type: 'log' }, axis: yAxis },
  };
}

export function latencyChart(all: readonly CellRow[]): ChartResult {
  const name = 'latency';
  const title = 'Latency percentiles';
  const description = 'HdrHistogram-style percentile curves: x is the percentile on a 1/(1−p) log scale, y the latency per operation on a log scale (median over forks of each percentile; max is the largest of any fork, placed at 1 − 1/samples). Colour is the strategy, dash the allocator.';
  const pts = percentilePoints(all);
  if (pts.length === 0) return { name, title, description, skipped: NO_DATA };
  const s = scalesFor(pts);
  const maxX = Math.max(...pts.map((p) => p.inverseTail));
  const enc = percentileEncoding(maxX, 'report', [Math.min(...pts.map((p) => p.latencyUs)), Math.max(...pts.map((p) => p.latencyUs))]);
  return {
    name, title, description,
    spec: asSpec({
      config: chartConfig('report'),
      data: { values: pts },
      facet: sizeAxesFacet(completedRows(all)),
      spec: {
        width: 300,
        height: 200,
        mark: { type: 'line', point: true },
        encoding: {
          ...enc,
          color: { field: 'strategy', type: 'nominal', scale: strategyColor(s) },
          strokeDash: { field: 'allocator', type: 'nominal', scale: { domain: s.allocators, range: s.allocators.map((_, i) => [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]][i % 4]) } },
          detail: { field: 'id' },
          tooltip: [{ field: 'cellLabel', title: 'cell' }, { field: 'percentile' }, { field: 'latencyUs', title: 'µs', format: ',.3f' }],
        },
      },
    }),
  };
}

export function gcPerCellChart(all: readonly CellRow[]): ChartResult {
  const name = 'gc-per-cell';
  const title = 'GC per cell';
  const description = 'Median over forks of the number of GC pauses and their total during the measured phase; max pause is the largest of any fork.';
  const rows = completedRows(all);
  if (rows.length === 0) return { name, title, description, skipped: NO_DATA };
  const s = scalesFor(rows);
  const metrics = ['GC count', 'pause total (ms)', 'max pause (ms)'];
  return {
    name, title, description,
    spec: asSpec({
      config: chartConfig('report'),
      data: { values: rows },
      transform: [
        { calculate: 'datum.gcCount', as: 'GC count' },
        { calculate: 'datum.gcPauseMsTotal', as: 'pause total (ms)' },
        { calculate: 'datum.gcPauseMsMax', as: 'max pause (ms)' },
        { fold: metrics, as: ['metric', 'value'] },
      ],
      facet: { column: { field: 'metric', type: 'nominal', sort: metrics, title: null } },
      spec: {
        width: 200,
        height: { step: 16 },
        mark: { type: 'bar', stroke: '#333333', strokeWidth: 0.4 },
        encoding: {
          y: { field: 'cellLabel', type: 'nominal', sort: cellOrder(rows), title: null },
          x: { field: 'value', type: 'quantitative', title: null, axis: { format: '~s' } },
          color: { field: 'strategy', type: 'nominal', scale: strategyColor(s) },
          tooltip: [{ field: 'cellLabel', title: 'cell' }, { field: 'metric' }, { field: 'value', format: ',.3~f' }],
        },
      },
      resolve: { scale: { x: 'independent' } },
    }),
  };
}

export function gcTimelineChart(all: readonly CellRow[], pauses: readonly GcPauseRow[]): ChartResult {
  const name = 'gc-timeline';
  const title = 'GC pause timeline';
  const description = 'Every recorded GC pause of every fork during the measured phase (the harness caps the list per fork): x is when it started, area its duration, colour and shape its kind.';
  if (pauses.length === 0) return { name, title, description, skipped: 'no GC pauses recorded in any fork' };
  const kinds = [...new Set(pauses.map((p) => p.kind))].sort();
  const rows = completedRows(all);
  return {
    name, title, description,
    spec: asSpec({
      config: chartConfig('report'),
      data: { values: pauses },
      width: 640,
      height: { step: 16 },
      mark: { type: 'point', filled: true, opacity: 0.65 },
      encoding: {
        x: { field: 'startMs', type: 'quantitative', title: 'ms since the measured phase started' },
        y: { field: 'cellLabel', type: 'nominal', sort: cellOrder(rows), title: null },
        size: { field: 'durationMs', type: 'quantitative', title: 'pause (ms)', scale: { range: [12, 260] } },
        color: { field: 'kind', type: 'nominal', scale: kindColor(kinds) },
        shape: { field: 'kind', type: 'nominal' },
        tooltip: [{ field: 'cellLabel', title: 'cell' }, { field: 'forkIndex', title: 'fork' }, { field: 'kind' }, { field: 'startMs', format: ',.1f' }, { field: 'durationMs', format: ',.3f' }],
      },
    }),
  };
}

export function allocPerOpChart(all: readonly CellRow[]): ChartResult {
  const name = 'alloc-per-op';
  const title = 'Allocation per operation';
  const description = 'Bytes allocated per operation, split into JS heap (V8 heap statistics) and ArrayBuffer backing stores. Negative values (heap-statistics noise) are drawn as 0 and listed under warnings.';
  const rows = completedRows(all);
  if (rows.length === 0) return { name, title, description, skipped: NO_DATA };
  const kinds = ['JS heap', 'ArrayBuffer'];
  return {
    name, title, description,
    spec: asSpec({
      config: chartConfig('report'),
      data: { values: rows },
      transform: [
        { calculate: 'max(0, datum.heapBytesPerOp)', as: 'JS heap' },
        { calculate: 'max(0, datum.arrayBufferBytesPerOp)', as: 'ArrayBuffer' },
        { fold: kinds, as: ['kind', 'bytesPerOp'] },
      ],
      width: 520,
      height: { step: 16 },
      mark: { type: 'bar', stroke: '#333333', strokeWidth: 0.4 },
      encoding: {
        y: { field: 'cellLabel', type: 'nominal', sort: cellOrder(rows), title: null },
        x: { field: 'bytesPerOp', type: 'quantitative', stack: 'zero', title: 'bytes per operation' },
        color: { field: 'kind', type: 'nominal', title: 'allocated on', scale: { domain: kinds, range: ['#08519c', '#fdae6b'] } },
        order: { field: 'kind', sort: 'descending' },
        tooltip: [{ field: 'cellLabel', title: 'cell' }, { field: 'kind' }, { field: 'bytesPerOp', format: ',.2f' }],
      },
    }),
  };
}

export function peakRssChart(all: readonly CellRow[]): ChartResult {
  const name = 'peak-rss';
  const title = 'Peak RSS';
  const description = 'Largest resident set size of any fork of the cell.';
  const rows = completedRows(all).filter((r) => r.peakRssBytes !== null);
  if (rows.length === 0) return { name, title, description, skipped: NO_DATA };
  const s = scalesFor(rows);
  return {
    name, title, description,
    spec: asSpec({
      config: chartConfig('report'),
      data: { values: rows },
      transform: [{ calculate: 'datum.peakRssBytes / 1048576', as: 'peakRssMiB' }],
      width: 520,
      height: { step: 16 },
      mark: { type: 'bar', stroke: '#333333', strokeWidth: 0.4 },
      encoding: {
        y: { field: 'cellLabel', type: 'nominal', sort: cellOrder(rows), title: null },
        x: { field: 'peakRssMiB', type: 'quantitative', title: 'peak RSS (MiB)' },
        color: { field: 'strategy', type: 'nominal', scale: strategyColor(s) },
        tooltip: [{ field: 'cellLabel', title: 'cell' }, { field: 'peakRssMiB', title: 'MiB', format: ',.1f' }],
      },
    }),
  };
}

/** Every report chart, in reading order. */
export function reportCharts(rows: readonly CellRow[], pauses: readonly GcPauseRow[]): ChartResult[] {
  return [throughputChart(rows), latencyChart(rows), gcPerCellChart(rows), gcTimelineChart(rows, pauses), allocPerOpChart(rows), peakRssChart(rows)];
}

