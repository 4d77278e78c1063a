/**
 * Opens a report rendered from the fixture in headless Chromium: no console errors, every chart is
 * an SVG with marks, the table has one row per cell, no network request besides the file itself,
 * and a screenshot lands in test-artifacts/report.png (CI keeps it).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { renderReport } from '../../reports/render.js';
import { peer } from '../peers.js';

const FIXTURE = 'test/fixtures/results/alloc-small.json';
const HAS_CHROMIUM = peer('chromium');

describe.runIf(HAS_CHROMIUM)('report in headless Chromium', () => {
  let dir: string;
  let indexHtml: string;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'buflab-report-'));
    ({ indexHtml } = await renderReport(FIXTURE, dir, { log: () => undefined }));
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders every chart and the full table offline, without console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const fileUrl = pathToFileURL(indexHtml).href;
    const requests: string[] = [];
    // Network off: every request is recorded and aborted, except the page itself.
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      requests.push(url);
      if (url === fileUrl) await route.continue();
      else await route.abort();
    });
    await page.goto(fileUrl, { waitUntil: 'load' });

    expect(requests).toEqual([fileUrl]);
    expect(consoleErrors).toEqual([]);

    const result = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cells: unknown[] };
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => ({
        name: f.getAttribute('data-chart'),
        svgs: f.querySelectorAll('svg').length,
        marks: f.querySelectorAll('svg g.mark-rect path, svg g.mark-symbol path, svg g.mark-line path, svg g.mark-rule line').length,
        width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
      })),
    );
    expect(charts.map((c) => c.name)).toEqual(['throughput', 'latency', 'gc-per-cell', 'gc-timeline', 'alloc-per-op', 'peak-rss', 'latency-gc-timeline']);
    for (const c of charts) {
      expect(c.svgs, c.name ?? '').toBe(1);
      expect(c.marks, `${c.name} has marks`).toBeGreaterThan(5);
      expect(c.width, `${c.name} is laid out`).toBeGreaterThan(100);
    }
    const rowIds = await page.$$eval('#cells-table tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-cell-id')));
    expect(rowIds).toHaveLength(result.cells.length);
    expect(new Set(rowIds).size).toBe(result.cells.length);
    // The headline names a winner.
    expect(await page.textContent('#headline')).toMatch(/won at/);
    const winners = await page.$$eval('table.winners tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
    expect(winners).toEqual([
      ['64 B', 'one-big-struct + glibc'],
      ['1400 B', 'one-big-struct + jemalloc'],
    ]);

    // Sorting by ops/s puts the fastest cell first when sorted descending.
    const opsHeader = page.locator('#cells-table th[data-key="opsPerSec"]');
    await opsHeader.click();
    await opsHeader.click();
    const first = await page.$eval('#cells-table tbody tr', (tr) => tr.getAttribute('data-cell-id'));
    expect(first).toBe('alloc/one-big-struct/glibc/64');

    // Charts are static inline SVG: they are all there with JavaScript disabled too.
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const staticPage = await noJs.newPage();
    await staticPage.goto(fileUrl);
    expect(await staticPage.$$eval('figure.chart svg g.mark-rect path, figure.chart svg g.mark-symbol path', (els) => els.length)).toBeGreaterThan(50);
    expect(await staticPage.$$eval('figure.chart svg', (els) => els.length)).toBe(7);
    await noJs.close();

    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/report.png', fullPage: true });
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
