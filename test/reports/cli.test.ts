/** `npm run report` as a user runs it: help, bad arguments, a missing file, and no rsvg-convert on PATH. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const TSX = join('node_modules', 'tsx', 'dist', 'cli.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'buflab-report-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function report(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [TSX, 'reports/cli.ts', ...args], { encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run report', () => {
  it('prints help with an example', () => {
    const r = report(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: npm run report -- RESULTS.json [--out DIR]');
    expect(r.stdout).toContain('example: npm run report -- ');
  });

  it('exits 2 with a stable code on bad arguments and on a missing file', () => {
    const none = report([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('REPORT_BAD_ARGS: expected exactly one result file, got 0');
    const missing = report([join(tmp, 'nope.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/E_RESULT_READ: .*nope\.json: cannot read/);
  });

  it('without rsvg-convert on PATH writes the SVGs and says how to get PNG/PDF', () => {
    const out = join(tmp, 'no-rsvg');
    const r = report(['test/fixtures/results/alloc-small.json', '--out', out], { ...process.env, PATH: '/nonexistent' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("rsvg-convert not found: PNG and PDF figures skipped (SVG written). Install Debian package 'librsvg2-bin' with 'npm run setup'.");
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    const charts = readdirSync(join(out, 'charts'));
    expect(charts.filter((f) => f.endsWith('.svg'))).toHaveLength(7);
    expect(charts.filter((f) => !f.endsWith('.svg'))).toEqual([]);
  });
});
