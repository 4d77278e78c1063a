/**
 * Operation latency over the measured phase of one fork, with its GC pauses overlaid: "are the
 * latency spikes the collector's?". Reads a fork record's `latencyTimeline` (at most 2,000 points,
 * the slowest operation of each time bucket) and `gc.pauses`, which share one time base (ms since
 * the phase start; see harness/measure/gc-tails.ts), and states the fork's GC-attributed tail
 * shares (`gcTails`) in the description. Pure: a cell in, a vega-lite spec out.
 *
 * For the reports engineer: `latencyGcTimelineChart(cell)` returns a {@link ChartResult} like the
 * other builders of ./report-charts.ts; it is not yet included in reports/render.ts.
 */
import type { CellResult } from '../../contract/result-schema.js';
import type { ChartResult } from './chart-types.js';
import { asSpec } from './chart-types.js';
import { chartConfig, kindColor, type ChartStyle } from './theme.js';

export interface LatencyGcTimelineOptions {
  /** Which fork to draw (default: the first fork that has a timeline). */
  forkIndex?: number;
  style?: ChartStyle;
  width?: number;
  height?: number;
}

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

/** Latency (log scale) over time for one fork of `cell`, GC pauses as shaded spans with a rule at each start. */
export function latencyGcTimelineChart(cell: CellResult, options: LatencyGcTimelineOptions = {}): ChartResult {
  const name = 'latency-gc-timeline';
  const title = `Latency over time with GC pauses — ${cell.id}`;
  const withTimeline = cell.forks.filter((f) => f.latencyTimeline !== undefined && f.latencyTimeline.length > 0);
  const fork =
    options.forkIndex === undefined ? withTimeline[0] : withTimeline.find((f) => f.forkIndex === options.forkIndex);
  if (fork === undefined) {
    const which = options.forkIndex === undefined ? 'no fork' : `fork ${options.forkIndex}`;
    return { name, title, description: '', skipped: `${which} of ${cell.id} has a latency timeline (records from before the field existed, or no completed fork)` };
  }
  const tails = fork.gcTails;
  const open = fork.openLoop;
  const description = [
    `Fork ${fork.forkIndex}: per-operation latency (the slowest operation of each of up to 2,000 time buckets${fork.batchSize > 1 ? `; batch means of ${fork.batchSize} ops` : ''}`,
    open === undefined ? '' : `; open loop at ${open.rateOpsPerSec} ops/s, latency from each intended start`,
    `), with GC pauses shaded by kind.`,
    tails === undefined
      ? ''
      : ` Of the operations slower than p99 (${(tails.p99.thresholdNs / 1000).toFixed(1)} µs), ${pct(tails.p99.share)} overlapped a GC pause; of those slower than p99.9, ${pct(tails.p999.share)}` +
        (tails.batchesAnalysed < tails.batchesTotal ? ` (first ${tails.batchesAnalysed} of ${tails.batchesTotal} batches analysed).` : '.'),
  ].join('');

  const points = fork.latencyTimeline!.map(([tMs, latencyNs]) => ({ tMs, latencyUs: latencyNs / 1000 }));
  const pauses = fork.gc.pauses.map((p) => ({ startMs: p.startMs, endMs: p.startMs + p.durationMs, durationMs: p.durationMs, kind: p.kind }));
  const kinds = [...new Set(pauses.map((p) => p.kind))].sort();
  const x = { field: 'tMs', type: 'quantitative', title: 'time since phase start (ms)' };
  const layers: object[] = [];
  if (pauses.length > 0) {
    const color = { field: 'kind', type: 'nominal', title: 'GC pause', scale: kindColor(kinds) };
    const tooltip = [{ field: 'kind' }, { field: 'startMs', title: 'start (ms)', format: ',.2f' }, { field: 'durationMs', title: 'pause (ms)', format: ',.3f' }];
    // Shaded span for the pause's length, plus a rule at its start: most pauses are sub-pixel wide.
    layers.push({
      data: { values: pauses },
      mark: { type: 'rect', opacity: 0.3 },
      encoding: { x: { field: 'startMs', type: 'quantitative' }, x2: { field: 'endMs' }, color, tooltip },
    });
    layers.push({
      data: { values: pauses },
      mark: { type: 'rule', opacity: 0.6, strokeWidth: 1 },
      encoding: { x: { field: 'startMs', type: 'quantitative' }, color, tooltip },
    });
  }
  layers.push({
    data: { values: points },
    mark: { type: 'line', color: '#252525', strokeWidth: 0.8, point: { size: 6, filled: true, color: '#252525' } },
    encoding: {
      x,
      y: { field: 'latencyUs', type: 'quantitative', title: 'latency per op (µs, log)', scale: { type: 'log' } },
      tooltip: [{ field: 'tMs', title: 't (ms)', format: ',.2f' }, { field: 'latencyUs', title: 'latency (µs)', format: ',.2f' }],
    },
  });
  return {
    name,
    title,
    description,
    spec: asSpec({
      config: chartConfig(options.style ?? 'report'),
      width: options.width ?? 640,
      height: options.height ?? 220,
      layer: layers,
    }),
  };
}
