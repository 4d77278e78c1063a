/** What a chart builder returns: a vega-lite spec, or the reason the chart cannot be drawn from this data. */
import type { TopLevelSpec } from 'vega-lite';

export type ChartResult =
  | { name: string; title: string; description: string; spec: TopLevelSpec }
  | { name: string; title: string; description: string; skipped: string };

/** Builders assemble plain objects; this is the one place they are declared to be vega-lite specs. */
export function asSpec(spec: object): TopLevelSpec {
  return spec as TopLevelSpec;
}
