/**
 * `renderReport(resultPath, outDir)`: the report directory of one result file — index.html,
 * summary.md, cells.csv, and every chart as SVG, PNG and PDF under charts/. Called by
 * `npm run report` and at the end of `npm run bench`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellResult, ResultFile } from '../contract/result-schema.js';
import { cellRows, gcPauseRows, sortRows } from './cell-rows.js';
import { cellsCsv } from './cell-table.js';
import { reportCharts } from './charts/report-charts.js';
import { latencyGcTimelineChart } from './charts/latency-gc-timeline.js';
import { headline } from './headline.js';
import type { RenderedChart } from './html.js';
import { reportHtml } from './html.js';
import { readResultFile } from '../contract/read-result.js';
import { summaryMarkdown } from './summary-md.js';
import { convertSvg, hasRsvgConvert, prefixSvgIds, RSVG_MISSING_MESSAGE, specToSvg } from './svg.js';
import { collectWarnings } from './warnings.js';

export interface RenderOptions {
  /** Where progress and skip messages go (default: stderr). */
  log?: (message: string) => void;
  /** Set false to skip PNG/PDF even when rsvg-convert exists (the skip is still announced). */
  rasterize?: boolean;
}

export async function renderReport(resultPath: string, outDir: string, options: RenderOptions = {}): Promise<{ indexHtml: string; files: string[] }> {
  const log = options.log ?? ((m: string) => console.error(m));
  const result = readResultFile(resultPath, { requireSummaries: true });
  const rows = sortRows(cellRows(result));
  const chartsDir = join(outDir, 'charts');
  mkdirSync(chartsDir, { recursive: true });
  const files: string[] = [];
  const warnings = collectWarnings(result, rows);
  const rasterize = options.rasterize !== false && (await hasRsvgConvert());
  if (!rasterize) {
    const msg = options.rasterize === false ? 'PNG and PDF figures skipped on request (SVG written).' : RSVG_MISSING_MESSAGE;
    log(msg);
    warnings.push({ cellId: null, text: msg });
  }
  const rendered: RenderedChart[] = [];
  for (const chart of [...reportCharts(rows, gcPauseRows(result, rows)), latencyGcTimelineChart(timelineCell(result))]) {
    if ('skipped' in chart) {
      rendered.push({ name: chart.name, title: chart.title, description: chart.description, svg: null, skipped: chart.skipped, files: [] });
      continue;
    }
    const vegaWarnings: string[] = [];
    const svg = await specToSvg(chart.spec, vegaWarnings);
    for (const w of vegaWarnings) warnings.push({ cellId: null, text: `chart ${chart.name}: ${w}` });
    const rel = [`charts/${chart.name}.svg`];
    const svgPath = join(outDir, rel[0]!);
    writeFileSync(svgPath, svg);
    if (rasterize) {
      await Promise.all([convertSvg(svgPath, join(chartsDir, `${chart.name}.png`), 'png'), convertSvg(svgPath, join(chartsDir, `${chart.name}.pdf`), 'pdf')]);
      rel.push(`charts/${chart.name}.png`, `charts/${chart.name}.pdf`);
    }
    files.push(...rel.map((f) => join(outDir, f)));
    rendered.push({ name: chart.name, title: chart.title, description: chart.description, svg: prefixSvgIds(svg, `c-${chart.name}`), files: rel });
  }
  const summaryPath = join(outDir, 'summary.md');
  writeFileSync(summaryPath, summaryMarkdown(result, rows));
  const csvPath = join(outDir, 'cells.csv');
  writeFileSync(csvPath, cellsCsv(rows));
  const indexHtml = join(outDir, 'index.html');
  writeFileSync(indexHtml, reportHtml({ result, rows, headline: headline(rows, result.axisRatios ?? []), charts: rendered, warnings, extraFiles: ['summary.md', 'cells.csv'] }));
  files.unshift(indexHtml, summaryPath, csvPath);
  return { indexHtml, files };
}

/**
 * The cell whose latency timeline the report draws: the completed cell whose slow operations (above
 * p99) overlapped GC pauses the most — where the collector explains the tail, the picture is worth
 * seeing. Falls back to the first completed cell; with none, the chart is skipped by its builder.
 */
function timelineCell(result: ResultFile): CellResult {
  const completed = result.cells.filter((c) => c.state === 'completed' && c.forks.length > 0);
  const share = (c: CellResult): number => c.summary?.gcTails?.p99.share ?? -1;
  const best = completed.reduce<CellResult | undefined>((b, c) => (b === undefined || share(c) > share(b) ? c : b), undefined);
  return best ?? EMPTY_CELL;
}

const EMPTY_CELL: CellResult = {
  id: '(no completed cell)', workload: '', strategy: '', allocator: '', size: 0, params: {}, v8Flags: [],
  state: 'skipped', forks: [], warnings: [],
};
