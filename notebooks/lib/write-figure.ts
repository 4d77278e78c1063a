/**
 * Writes one paper figure as SVG and PDF in the paper style. The panel width is adjusted (a few
 * renders) until the whole figure is the column width: 3.3 in single, 7 in double, at 96 px/in,
 * rsvg-convert's resolution, so the PDF's page is that many inches wide.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PaperFigure } from '../../reports/charts/paper-figures.js';
import { DOUBLE_COLUMN_PX, PX_PER_INCH, SINGLE_COLUMN_PX } from '../../reports/charts/theme.js';
import { convertSvg, hasRsvgConvert, RSVG_MISSING_MESSAGE, specToSvg, svgSize } from '../../reports/svg.js';

export type FigureOutcome =
  | { name: string; written: string[]; widthIn: number; heightIn: number; warnings: string[] }
  | { name: string; skipped: string };

export async function writeFigure(figure: PaperFigure, outDir: string, log: (m: string) => void = console.error): Promise<FigureOutcome> {
  const targetPx = figure.width === 'single' ? SINGLE_COLUMN_PX : DOUBLE_COLUMN_PX;
  const reserved = 70 + (figure.panels - 1) * 22; // y axis and facet spacing; corrected below
  let panelPx = Math.max(40, (targetPx - reserved) / figure.panels);
  let svg = '';
  let warnings: string[] = [];
  for (let attempt = 0; attempt < 4; attempt++) {
    const chart = figure.build(Math.round(panelPx));
    if ('skipped' in chart) {
      log(`figure ${figure.name}: SKIPPED — ${chart.skipped}`);
      return { name: figure.name, skipped: chart.skipped };
    }
    warnings = [];
    svg = await specToSvg(chart.spec, warnings);
    const { widthPx } = svgSize(svg);
    if (Math.abs(widthPx - targetPx) <= 1) break;
    panelPx = Math.max(40, panelPx + (targetPx - widthPx) / figure.panels);
  }
  mkdirSync(outDir, { recursive: true });
  const svgPath = join(outDir, `${figure.name}.svg`);
  writeFileSync(svgPath, svg);
  const written = [svgPath];
  if (await hasRsvgConvert()) {
    const pdfPath = join(outDir, `${figure.name}.pdf`);
    await convertSvg(svgPath, pdfPath, 'pdf');
    written.push(pdfPath);
  } else {
    log(`figure ${figure.name}: ${RSVG_MISSING_MESSAGE.replace('PNG and PDF figures', 'PDF')}`);
  }
  const { widthPx, heightPx } = svgSize(svg);
  for (const w of warnings) log(`figure ${figure.name}: ${w}`);
  return { name: figure.name, written, widthIn: widthPx / PX_PER_INCH, heightIn: heightPx / PX_PER_INCH, warnings };
}
