/**
 * `npm run figures DIR` regenerates every paper figure from a data directory (here the fixture
 * directory) as SVG and PDF at paper widths, and skips figures loudly when their data is absent.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { svgSize } from '../../reports/svg.js';
import { peer } from '../peers.js';

const FIXTURE_DIR = 'test/fixtures/results';
const FIGURES = ['throughput-vs-size', 'allocator-effect', 'gc-share-vs-throughput', 'latency-percentiles'];
const WIDTH_PX: Record<string, number> = { 'throughput-vs-size': 672, 'allocator-effect': 672, 'gc-share-vs-throughput': 317, 'latency-percentiles': 672 };

const tmp = mkdtempSync(join(tmpdir(), 'buflab-figures-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the npm script as a user would; stderr (the per-figure lines) is merged into the result. */
function runFiguresAll(dataDir: string, outDir: string): string {
  return execFileSync('sh', ['-c', `npm run --silent figures -- "${dataDir}" --out "${outDir}" 2>&1`], { encoding: 'utf8' });
}

describe('npm run figures', () => {
  it('writes every figure as SVG (and PDF) at single/double column width with 8-9 pt text', () => {
    const out = join(tmp, 'all');
    const log = runFiguresAll(FIXTURE_DIR, out);
    expect(log).toContain('figures: 4 written, 0 skipped');
    const files = readdirSync(out).sort();
    for (const name of FIGURES) {
      expect(files).toContain(`${name}.svg`);
      const svg = readFileSync(join(out, `${name}.svg`), 'utf8');
      expect(Math.abs(svgSize(svg).widthPx - WIDTH_PX[name]!), `${name} width`).toBeLessThanOrEqual(2);
      expect(svg).toContain('font-family="DejaVu Sans"');
      // 8 pt and 9 pt at 96 px/in.
      const sizes = new Set([...svg.matchAll(/font-size="([\d.]+)px"/g)].map((m) => Number(m[1])));
      expect(sizes.size).toBeGreaterThan(0);
      for (const s of sizes) expect([10.666666666666666, 12].map((x) => Math.abs(x - s) < 0.01).some(Boolean), `${name} font ${s}px`).toBe(true);
    }
    if (peer('rsvg-convert') && peer('pdffonts')) {
      for (const name of FIGURES) {
        expect(files).toContain(`${name}.pdf`);
        const fonts = execFileSync('pdffonts', [join(out, `${name}.pdf`)], { encoding: 'utf8' }).split('\n').slice(2).filter((l) => l.trim());
        expect(fonts.length).toBeGreaterThan(0);
        for (const f of fonts) expect(f, name).toMatch(/DejaVuSans\S*\s+TrueType.*\s+yes\s+yes\s+yes\s/);
        const info = execFileSync('pdfinfo', [join(out, `${name}.pdf`)], { encoding: 'utf8' });
        const widthPt = Number(/Page size:\s+([\d.]+) x/.exec(info)![1]);
        expect(Math.abs(widthPt - (WIDTH_PX[name]! * 72) / 96), `${name} PDF width in pt`).toBeLessThan(2);
      }
      const text = execFileSync('pdftotext', [join(out, 'throughput-vs-size.pdf'), '-'], { encoding: 'utf8' });
      expect(text).toContain('one-big-struct');
      expect(text).toContain('jemalloc');
    }
  });

  it('keeps the committed paper data (notebooks/data: three suites, nine latency panels) at column width', () => {
    const out = join(tmp, 'paper');
    const log = runFiguresAll('notebooks/data', out);
    expect(log).toContain('figures: 4 written, 0 skipped');
    for (const name of FIGURES) {
      const svg = readFileSync(join(out, `${name}.svg`), 'utf8');
      expect(Math.abs(svgSize(svg).widthPx - WIDTH_PX[name]!), `${name} width`).toBeLessThanOrEqual(2);
    }
  });

  it('skips every figure with a message when the data directory holds no results', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const log = runFiguresAll(empty, join(tmp, 'empty-out'));
    expect(log).toContain(`no result files (*.json) in ${empty}`);
    expect(log).toContain('figures: 0 written, 4 skipped');
  });

  it('skips only the figures whose data is missing', () => {
    const oneSize = join(tmp, 'one-size');
    mkdirSync(oneSize);
    const result = JSON.parse(readFileSync(join(FIXTURE_DIR, 'alloc-small.json'), 'utf8')) as { cells: Array<{ size: number; allocator: string }> };
    result.cells = result.cells.filter((c) => c.size === 64 && c.allocator === 'glibc');
    writeFileSync(join(oneSize, 'glibc-64.fixture.json'), JSON.stringify(result));
    const log = runFiguresAll(oneSize, join(tmp, 'one-size-out'));
    expect(log).toMatch(/figure throughput-vs-size: SKIPPED — needs at least 2 sizes, the data has 1 \(64\)/);
    expect(log).toMatch(/figure allocator-effect: SKIPPED — needs cells of another allocator/);
    expect(log).toContain('figures: 2 written, 2 skipped');
    expect(readdirSync(join(tmp, 'one-size-out')).sort()).toEqual(
      peer('rsvg-convert')
        ? ['gc-share-vs-throughput.pdf', 'gc-share-vs-throughput.svg', 'latency-percentiles.pdf', 'latency-percentiles.svg']
        : ['gc-share-vs-throughput.svg', 'latency-percentiles.svg'],
    );
  });
});
