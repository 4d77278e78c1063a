/**
 * The look of every chart, in one place: fonts (DejaVu Sans, so SVG text stays real text and
 * rsvg-convert embeds the same font in PDFs), sizes for the HTML report and for paper figures,
 * and encodings that survive greyscale printing (lightness steps plus shapes and dashes).
 */
import { KNOWN_ALLOCATORS, KNOWN_STRATEGIES, orderedDomain } from '../cell-rows.js';

export const FONT_FAMILY = 'DejaVu Sans';

export type ChartStyle = 'report' | 'paper';

/** 96 px per inch: rsvg-convert's default resolution, so px sizes become exact inches in the PDF. */
export const PX_PER_INCH = 96;
export const PX_PER_PT = PX_PER_INCH / 72;
export const SINGLE_COLUMN_PX = Math.round(3.3 * PX_PER_INCH);
export const DOUBLE_COLUMN_PX = Math.round(7 * PX_PER_INCH);

/** Palettes ordered by lightness (dark → light) so greyscale keeps them apart. */
const STRATEGY_COLORS = ['#08306b', '#d95f0e', '#74c476', '#9e9ac8', '#636363'];
const STRATEGY_SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross'];
const STRATEGY_DASHES = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2], [1, 3]];
const ALLOCATOR_COLORS = ['#252525', '#3182bd', '#fd8d3c', '#c7e9c0', '#bcbddc'];
const ALLOCATOR_SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross'];
const KIND_COLORS = ['#08519c', '#fd8d3c', '#a1d99b', '#756bb1', '#969696'];

export interface Scales {
  strategies: string[];
  allocators: string[];
}

export function scalesFor(rows: ReadonlyArray<{ strategy: string; allocator: string }>): Scales {
  return {
    strategies: orderedDomain(rows.map((r) => r.strategy), KNOWN_STRATEGIES),
    allocators: orderedDomain(rows.map((r) => r.allocator), KNOWN_ALLOCATORS),
  };
}

const cycle = <T>(xs: readonly T[], n: number): T[] => Array.from({ length: n }, (_, i) => xs[i % xs.length]!);

/**
 * Known names keep their palette slot whatever else is in the data (jemalloc is the same blue in
 * every chart, even when glibc is absent); unknown names take the slots left over.
 */
function fixedRange<T>(domain: readonly string[], known: readonly string[], palette: readonly T[]): T[] {
  const free = palette.filter((_, i) => i >= known.length);
  let next = 0;
  return domain.map((name) => {
    const i = known.indexOf(name);
    if (i >= 0 && i < palette.length) return palette[i]!;
    return cycle(free.length > 0 ? free : palette, next + 1)[next++]!;
  });
}

export function strategyColor(s: Scales) {
  return { domain: s.strategies, range: fixedRange(s.strategies, KNOWN_STRATEGIES, STRATEGY_COLORS) };
}
export function strategyShape(s: Scales) {
  return { domain: s.strategies, range: fixedRange(s.strategies, KNOWN_STRATEGIES, STRATEGY_SHAPES) };
}
export function strategyDash(s: Scales) {
  return { domain: s.strategies, range: fixedRange(s.strategies, KNOWN_STRATEGIES, STRATEGY_DASHES) };
}
export function allocatorColor(s: Scales) {
  return { domain: s.allocators, range: fixedRange(s.allocators, KNOWN_ALLOCATORS, ALLOCATOR_COLORS) };
}
export function allocatorShape(s: Scales) {
  return { domain: s.allocators, range: fixedRange(s.allocators, KNOWN_ALLOCATORS, ALLOCATOR_SHAPES) };
}
export function kindColor(kinds: string[]) {
  return { domain: kinds, range: cycle(KIND_COLORS, kinds.length) };
}

/** vega-lite `config` for a style. Paper: 8 pt labels, 9 pt titles; report: a little larger for screens. */
export function chartConfig(style: ChartStyle): Record<string, unknown> {
  const label = style === 'paper' ? 8 * PX_PER_PT : 11;
  const title = style === 'paper' ? 9 * PX_PER_PT : 12;
  return {
    font: FONT_FAMILY,
    background: 'white',
    padding: style === 'paper' ? 2 : 6,
    view: { stroke: '#bbbbbb', strokeWidth: 0.75 },
    axis: { labelFont: FONT_FAMILY, titleFont: FONT_FAMILY, labelFontSize: label, titleFontSize: title, titleFontWeight: 'normal', gridColor: '#e5e5e5', domainColor: '#555555', tickColor: '#555555', labelLimit: style === 'paper' ? 160 : 420 },
    legend: {
      labelFont: FONT_FAMILY, titleFont: FONT_FAMILY, labelFontSize: label, titleFontSize: title, titleFontWeight: 'normal', symbolSize: style === 'paper' ? 40 : 70, labelLimit: 260,
      // Paper figures keep their full width for the plot: legends go underneath, in a row.
      ...(style === 'paper' ? { orient: 'bottom', direction: 'horizontal', titleOrient: 'left', symbolStrokeWidth: 1.2, columnPadding: 8 } : {}),
    },
    header: { labelFont: FONT_FAMILY, titleFont: FONT_FAMILY, labelFontSize: title, titleFontSize: title, titleFontWeight: 'normal' },
    title: { font: FONT_FAMILY, fontSize: style === 'paper' ? 9 * PX_PER_PT : 14, fontWeight: 'bold', anchor: 'start' },
    text: { font: FONT_FAMILY },
    line: { strokeWidth: style === 'paper' ? 1.2 : 1.6 },
    point: { size: style === 'paper' ? 22 : 45, filled: true },
  };
}
