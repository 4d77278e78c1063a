/**
 * Rendering: vega-lite spec → SVG with vega's headless view (no browser, no canvas), and
 * SVG → PNG/PDF with rsvg-convert (Debian librsvg2-bin), which embeds the fonts the SVG names.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { ReportError } from './errors.js';
import { dejaVuMetrics } from './font-metrics.js';

/** Vega measures text with this function once installed (vega supports a user-defined `textMetrics.width`). */
function installTextMetrics(): boolean {
  const fonts = dejaVuMetrics();
  if (!fonts) return false;
  const metrics = (vega as unknown as { textMetrics: { width: (item: Record<string, unknown>, text?: unknown) => number } }).textMetrics;
  metrics.width = (item, text) => {
    const value = text ?? item.text;
    const s = Array.isArray(value) ? value.map(String).reduce((a, b) => (a.length > b.length ? a : b), '') : value == null ? '' : String(value);
    const weight = item.fontWeight;
    const bold = weight === 'bold' || (typeof weight === 'number' && weight >= 600);
    const px = typeof item.fontSize === 'number' ? item.fontSize : 11;
    return (bold ? fonts.bold : fonts.regular).widthEm(s) * px;
  };
  return true;
}

/** False when DejaVu Sans is missing: labels are then laid out from vega's rough estimate. */
export const EXACT_TEXT_METRICS = installTextMetrics();

const execFileAsync = promisify(execFile);

/** Renders a vega-lite spec to an SVG string. Vega's compile warnings are collected, not printed. */
export async function specToSvg(spec: TopLevelSpec, warnings: string[] = []): Promise<string> {
  const logger = {
    level: () => logger,
    error: (...args: unknown[]) => { warnings.push(`vega error: ${args.map(String).join(' ')}`); return logger; },
    warn: (...args: unknown[]) => { warnings.push(`vega: ${args.map(String).join(' ')}`); return logger; },
    info: () => logger,
    debug: () => logger,
  };
  let vgSpec: vega.Spec;
  try {
    vgSpec = compile(spec, { logger: logger as never }).spec;
  } catch (err) {
    throw new ReportError('RENDER_FAILED', `vega-lite could not compile a chart spec: ${(err as Error).message}`, { cause: err });
  }
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Makes the ids inside one SVG unique within an HTML page (vega numbers clip paths and gradients
 * from 1 in every SVG, and duplicate ids across inline SVGs make browsers clip the wrong chart).
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]!);
  let out = svg;
  for (const id of ids) {
    const esc = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out
      .replace(new RegExp(`\\sid="${esc}"`, 'g'), ` id="${prefix}-${id}"`)
      .replace(new RegExp(`url\\(#${esc}\\)`, 'g'), `url(#${prefix}-${id})`)
      .replace(new RegExp(`href="#${esc}"`, 'g'), `href="#${prefix}-${id}"`);
  }
  return out;
}

/** Width and height in px of an SVG document produced by vega. */
export function svgSize(svg: string): { widthPx: number; heightPx: number } {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  if (!m) throw new ReportError('RENDER_FAILED', 'rendered SVG has no width/height attributes');
  return { widthPx: Number(m[1]), heightPx: Number(m[2]) };
}

let rsvgChecked: boolean | undefined;

/** True when rsvg-convert runs. Cached for the process. */
export async function hasRsvgConvert(): Promise<boolean> {
  if (rsvgChecked !== undefined) return rsvgChecked;
  try {
    await execFileAsync('rsvg-convert', ['--version']);
    rsvgChecked = true;
  } catch (err) {
    // Absent or broken: the caller prints the install hint; keep the reason for debugging.
    if (process.env.BUFLAB_DEBUG) console.warn(`rsvg-convert not usable: ${(err as Error).message}`);
    rsvgChecked = false;
  }
  return rsvgChecked;
}

export const RSVG_MISSING_MESSAGE =
  "rsvg-convert not found: PNG and PDF figures skipped (SVG written). Install Debian package 'librsvg2-bin' with 'npm run setup'.";

/** Converts an SVG file to PNG (2× zoom for sharp screenshots) or PDF (vector, fonts embedded). */
export async function convertSvg(svgPath: string, outPath: string, format: 'png' | 'pdf'): Promise<void> {
  const args = format === 'png' ? ['-f', 'png', '-z', '2', '-b', 'white', '-o', outPath, svgPath] : ['-f', 'pdf', '-o', outPath, svgPath];
  try {
    await execFileAsync('rsvg-convert', args);
  } catch (err) {
    throw new ReportError('RENDER_FAILED', `rsvg-convert failed on ${svgPath} (${format}): ${(err as Error).message}`, { cause: err });
  }
}
