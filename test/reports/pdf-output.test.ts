/**
 * The report's charts as PDF: text is real text (pdftotext finds the labels) and the fonts are
 * embedded (pdffonts says "yes" in the emb column). Also: without rasterisation the report says
 * so, naming `npm run setup`, instead of silently dropping PNG/PDF.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../reports/render.js';
import { peer } from '../peers.js';

const FIXTURE = 'test/fixtures/results/alloc-small.json';
const HAS_TOOLS = peer('rsvg-convert') && peer('pdffonts');

/** Parses `pdffonts` output into { name, emb } rows. */
export function pdfFonts(pdf: string): Array<{ name: string; embedded: boolean }> {
  const out = execFileSync('pdffonts', [pdf], { encoding: 'utf8' });
  return out
    .split('\n')
    .slice(2)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const cols = l.trim().split(/\s+/);
      // Columns: name type [encoding…] emb sub uni object ID; emb is the 5th from the end.
      return { name: cols[0]!, embedded: cols[cols.length - 5] === 'yes' };
    });
}

describe.runIf(HAS_TOOLS)('report PDFs', () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'buflab-pdf-'));
    ({ files } = await renderReport(FIXTURE, dir, { log: () => undefined }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes SVG, PNG and PDF for every chart', () => {
    for (const name of ['throughput', 'latency', 'gc-per-cell', 'gc-timeline', 'alloc-per-op', 'peak-rss']) {
      for (const ext of ['svg', 'png', 'pdf']) expect(files).toContain(join(dir, 'charts', `${name}.${ext}`));
    }
    const png = readFileSync(join(dir, 'charts', 'throughput.png'));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('has real, embedded DejaVu text in the PDFs', () => {
    const text = execFileSync('pdftotext', [join(dir, 'charts', 'throughput.pdf'), '-'], { encoding: 'utf8' });
    // Rotated axis labels come out in fragments; the legend and headers are horizontal.
    expect(text).toContain('jemalloc');
    expect(text).toContain('1400 B');
    expect(text).toMatch(/ops\/s/);
    const latency = execFileSync('pdftotext', [join(dir, 'charts', 'latency.pdf'), '-'], { encoding: 'utf8' });
    expect(latency).toContain('one-big-struct');
    expect(latency).toContain('percentile');
    for (const name of ['throughput', 'latency', 'gc-per-cell']) {
      const fonts = pdfFonts(join(dir, 'charts', `${name}.pdf`));
      expect(fonts.length, name).toBeGreaterThan(0);
      for (const f of fonts) {
        expect(f.name, name).toMatch(/DejaVuSans/);
        expect(f.embedded, `${name}: ${f.name} embedded`).toBe(true);
      }
    }
  });
});

describe('report without rasterisation', () => {
  it('writes SVG only and says why, in the log and in the report warnings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-noraster-'));
    try {
      const logs: string[] = [];
      const { files } = await renderReport(FIXTURE, dir, { rasterize: false, log: (m) => logs.push(m) });
      expect(files.filter((f) => f.endsWith('.pdf') || f.endsWith('.png'))).toEqual([]);
      expect(existsSync(join(dir, 'charts', 'throughput.svg'))).toBe(true);
      expect(logs.join('\n')).toMatch(/PNG and PDF figures skipped/);
      expect(readFileSync(join(dir, 'index.html'), 'utf8')).toMatch(/PNG and PDF figures skipped/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
