/**
 * The paper figures as vega-lite specs, shared by notebooks/ (which writes them as SVG/PDF) and
 * usable from the report. Each takes the rows of one or more result files and a panel width in px
 * (the notebook adjusts it until the whole figure is exactly single- or double-column wide).
 * Encodings survive greyscale: colours step in lightness and every series also has a shape and
 * a dash pattern.
 */
import type { CellRow } from '../cell-rows.js';
import { completedRows, sortRows } from '../cell-rows.js';
import type { ChartResult } from './chart-types.js';
import { asSpec } from './chart-types.js';
import { percentileEncoding, percentilePoints } from './report-charts.js';
import { allocatorColor, allocatorShape, chartConfig, scalesFor, strategyColor, strategyDash, strategyShape } from './theme.js';

export interface PaperFigure {
  name: string;
  /** 'single' ≈ 3.3 in, 'double' ≈ 7 in. */
  width: 'single' | 'double';
  /** Number of panels side by side (the notebook divides the width among them). */
  panels: number;
  build: (panelWidthPx: number) => ChartResult;
}

const PANEL_HEIGHT_DOUBLE = 150;
const PANEL_HEIGHT_SINGLE = 170;

/** The allocator to hold fixed when a figure is about strategies: glibc when present. */
export function baselineAllocator(rows: readonly CellRow[]): string | null {
  const done = completedRows(rows);
  if (done.some((r) => r.allocator === 'glibc')) return 'glibc';
  return scalesFor(done).allocators[0] ?? null;
}

/** Figure 1: payload throughput against size, one line per strategy, one panel per allocator. */
export function throughputVsSizeFigure(all: readonly CellRow[]): PaperFigure {
  const rows = completedRows(all).filter((r) => r.bytesPerSecMedian !== null);
  const s = scalesFor(rows);
  const sizes = [...new Set(rows.map((r) => r.sizeBytes))].sort((a, b) => a - b);
  const panelRows = [...new Set(sortRows(rows).map((r) => r.panelRowLabel))];
  const name = 'throughput-vs-size';
  const title = 'Throughput vs size per strategy';
  const description = 'Payload bytes/s (median, 95% CI) against the size axis; line style = strategy; one panel per allocator.';
  return {
    name, width: 'double', panels: Math.max(1, s.allocators.length),
    build: (panelWidthPx) => {
      if (rows.length === 0) return { name, title, description, skipped: 'no completed cells' };
      if (sizes.length < 2) return { name, title, description, skipped: `needs at least 2 sizes, the data has ${sizes.length} (${sizes.join(', ')})` };
      const data = rows.map((r) => ({ ...r, series: `${r.strategy} ${r.workload} ${r.axesLabel}` }));
      const x = { field: 'sizeBytes', type: 'quantitative', title: 'size (bytes, log)', scale: { type: 'log', domain: [sizes[0]!, sizes[sizes.length - 1]!], nice: false }, axis: { values: sizes, format: 'd', labelFlush: false } };
      return {
        name, title, description,
        spec: asSpec({
          config: chartConfig('paper'),
          data: { values: data },
          facet: {
            column: { field: 'allocator', type: 'nominal', sort: s.allocators, title: null },
            // Row labels on the right, so they never collide with the y axis title on the left.
            ...(panelRows.length > 1 ? { row: { field: 'panelRowLabel', type: 'nominal', sort: panelRows, title: null, header: { labelOrient: 'right', labelAngle: 90 } } } : {}),
          },
          spec: {
            width: panelWidthPx,
            height: PANEL_HEIGHT_DOUBLE,
            layer: [
              { mark: { type: 'rule', strokeWidth: 0.8 }, encoding: { x, y: { field: 'bytesPerSecLo', type: 'quantitative' }, y2: { field: 'bytesPerSecHi' }, color: { field: 'strategy', type: 'nominal', scale: strategyColor(s), title: 'strategy' } } },
              {
                mark: { type: 'line', point: { filled: true } },
                encoding: {
                  x,
                  y: { field: 'bytesPerSecMedian', type: 'quantitative', title: 'payload (bytes/s)', axis: { format: '~s' } },
                  color: { field: 'strategy', type: 'nominal', scale: strategyColor(s), title: 'strategy' },
                  strokeDash: { field: 'strategy', type: 'nominal', scale: strategyDash(s), title: 'strategy' },
                  shape: { field: 'strategy', type: 'nominal', scale: strategyShape(s), title: 'strategy' },
                  detail: { field: 'series' },
                },
              },
            ],
          },
          resolve: { scale: { y: 'shared' } },
        }),
      };
    },
  };
}

/** Figure 2: each allocator's throughput as a ratio to glibc, per strategy and size. */
export function allocatorEffectFigure(all: readonly CellRow[]): PaperFigure {
  const rows = completedRows(all);
  const glibc = new Map(rows.filter((r) => r.allocator === 'glibc').map((r) => [`${r.groupLabel}|${r.strategy}`, r]));
  const data = sortRows(rows)
    .filter((r) => r.allocator !== 'glibc' && glibc.has(`${r.groupLabel}|${r.strategy}`))
    .map((r) => {
      const g = glibc.get(`${r.groupLabel}|${r.strategy}`)!;
      // Conservative interval: the extreme ratios of the two 95% intervals of the medians.
      return { strategy: r.strategy, allocator: r.allocator, groupLabel: r.groupLabel, ratio: r.opsPerSecMedian! / g.opsPerSecMedian!, ratioLo: r.opsPerSecLo! / g.opsPerSecHi!, ratioHi: r.opsPerSecHi! / g.opsPerSecLo! };
    });
  const s = scalesFor(rows);
  const nonGlibc = { ...s, allocators: s.allocators.filter((a) => a !== 'glibc') };
  const groups = [...new Set(data.map((d) => d.groupLabel))];
  const name = 'allocator-effect';
  const title = 'Allocator effect per strategy (ratio to glibc)';
  const description = 'Median ops/s of each allocator divided by glibc\'s for the same strategy and size; bars span the conservative interval from the two 95% CIs; 1 = no effect.';
  return {
    name, width: 'double', panels: Math.max(1, new Set(data.map((d) => d.strategy)).size),
    build: (panelWidthPx) => {
      if (!rows.some((r) => r.allocator === 'glibc')) return { name, title, description, skipped: 'needs glibc cells as the baseline; the data has none' };
      if (data.length === 0) return { name, title, description, skipped: 'needs cells of another allocator (jemalloc, tcmalloc, mimalloc) next to glibc for the same strategy and size' };
      const x = { field: 'groupLabel', type: 'nominal', sort: groups, title: null, axis: { labelAngle: groups.some((g) => g.length > 8) ? -30 : 0 } };
      const xOffset = { field: 'allocator', sort: nonGlibc.allocators };
      const color = { field: 'allocator', type: 'nominal', scale: allocatorColor(nonGlibc), title: 'allocator' };
      return {
        name, title, description,
        spec: asSpec({
          config: chartConfig('paper'),
          data: { values: data },
          facet: { column: { field: 'strategy', type: 'nominal', sort: s.strategies, title: null } },
          spec: {
            width: panelWidthPx,
            height: PANEL_HEIGHT_DOUBLE,
            layer: [
              { mark: { type: 'rule', color: '#666666', strokeDash: [3, 2], strokeWidth: 0.8 }, encoding: { y: { datum: 1 } } },
              { mark: { type: 'rule', strokeWidth: 0.9 }, encoding: { x, xOffset, y: { field: 'ratioLo', type: 'quantitative' }, y2: { field: 'ratioHi' }, color } },
              {
                mark: { type: 'point', filled: true, stroke: '#000000', strokeWidth: 0.5 },
                encoding: {
                  x, xOffset,
                  y: { field: 'ratio', type: 'quantitative', title: 'ops/s relative to glibc', scale: { zero: false }, axis: { format: '.2~f' } },
                  color,
                  shape: { field: 'allocator', type: 'nominal', scale: allocatorShape(nonGlibc), title: 'allocator' },
                },
              },
            ],
          },
        }),
      };
    },
  };
}

/** Figure 3: share of wall time in GC against throughput (relative to the best cell of the same group). */
export function gcShareFigure(all: readonly CellRow[]): PaperFigure {
  const rows = completedRows(all).filter((r) => r.gcTimeShare !== null);
  const best = new Map<string, number>();
  for (const r of rows) best.set(r.groupLabel, Math.max(best.get(r.groupLabel) ?? 0, r.opsPerSecMedian!));
  const data = rows.map((r) => ({ strategy: r.strategy, allocator: r.allocator, groupLabel: r.groupLabel, gcPercent: r.gcTimeShare! * 100, relThroughput: r.opsPerSecMedian! / best.get(r.groupLabel)! }));
  const s = scalesFor(rows);
  const name = 'gc-share-vs-throughput';
  const title = 'GC share vs throughput';
  const description = 'Each completed cell: share of measured wall time in GC pauses against its throughput relative to the fastest cell of the same size and axes.';
  return {
    name, width: 'single', panels: 1,
    build: (panelWidthPx) => {
      if (data.length < 2) return { name, title, description, skipped: `needs at least 2 completed cells, the data has ${data.length}` };
      return {
        name, title, description,
        spec: asSpec({
          config: chartConfig('paper'),
          data: { values: data },
          width: panelWidthPx,
          height: PANEL_HEIGHT_SINGLE,
          mark: { type: 'point', filled: true, stroke: '#000000', strokeWidth: 0.4, size: 30 },
          encoding: {
            x: { field: 'gcPercent', type: 'quantitative', title: 'time in GC pauses (%)', axis: { format: '~r' } },
            y: { field: 'relThroughput', type: 'quantitative', title: 'throughput / best in group', scale: { domain: [0, 1.05] }, axis: { format: '.1f' } },
            // No legend title: a single-column figure has no width to spare; the caption names the encoding.
            color: { field: 'strategy', type: 'nominal', scale: strategyColor(s), title: null, legend: { columns: s.strategies.length <= 3 ? s.strategies.length : 2 } },
            shape: { field: 'strategy', type: 'nominal', scale: strategyShape(s), title: null },
          },
        }),
      };
    },
  };
}

/** Figure 4: latency percentile curves per strategy, allocator held at the baseline, one panel per group. */
export function latencyCurvesFigure(all: readonly CellRow[]): PaperFigure {
  const alloc = baselineAllocator(all);
  const rows = completedRows(all).filter((r) => r.allocator === alloc);
  const pts = percentilePoints(rows);
  const groups = [...new Set(sortRows(rows).map((r) => r.groupLabel))];
  const s = scalesFor(rows);
  const name = 'latency-percentiles';
  const title = `Latency percentiles per strategy (${alloc ?? 'no'} allocator)`;
  const description = 'Latency per operation at each percentile (HdrHistogram-style 1/(1-p) axis), one panel per size and axes.';
  return {
    name, width: 'double', panels: Math.max(1, Math.min(groups.length, 4)),
    build: (panelWidthPx) => {
      if (pts.length === 0) return { name, title, description, skipped: 'no completed cells with latency percentiles' };
      const maxX = Math.max(...pts.map((p) => p.inverseTail));
      return {
        name, title, description,
        spec: asSpec({
          config: chartConfig('paper'),
          data: { values: pts },
          // Panel titles such as "vpn · 1400 B · cipher=aes-256-gcm" are wider than a quarter of a
          // double column: one line per part keeps the panels, not their titles, setting the width.
          facet: { field: 'groupLabel', type: 'nominal', sort: groups, title: null, header: { labelExpr: "split(datum.label, ' · ')" } },
          columns: 4,
          spec: {
            width: panelWidthPx,
            height: PANEL_HEIGHT_DOUBLE,
            mark: { type: 'line', point: { filled: true } },
            encoding: {
              ...percentileEncoding(maxX, 'paper', [Math.min(...pts.map((p) => p.latencyUs)), Math.max(...pts.map((p) => p.latencyUs))]),
              color: { field: 'strategy', type: 'nominal', scale: strategyColor(s), title: 'strategy' },
              strokeDash: { field: 'strategy', type: 'nominal', scale: strategyDash(s), title: 'strategy' },
              shape: { field: 'strategy', type: 'nominal', scale: strategyShape(s), title: 'strategy' },
              detail: { field: 'id' },
            },
          },
        }),
      };
    },
  };
}
