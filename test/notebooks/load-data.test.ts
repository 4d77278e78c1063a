/**
 * Several result files in one data directory: cells of different runs never share an id, also when
 * two files hold the same suite (README: `alloc.json` beside `alloc-allocators.json`).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataDir } from '../../notebooks/lib/load-data.js';

const FIXTURE = 'test/fixtures/results/alloc-small.json';
const tmp = mkdtempSync(join(tmpdir(), 'buflab-load-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loadDataDir', () => {
  it('keeps rows of one file unprefixed', () => {
    const dir = join(tmp, 'one');
    mkdirSync(dir);
    copyFileSync(FIXTURE, join(dir, 'alloc.json'));
    const d = loadDataDir(dir);
    const single = d.rows.map((r) => r.id);
    expect(single.length).toBeGreaterThan(1);
    expect(single.every((id) => !id.includes(':'))).toBe(true);
  });

  it('prefixes by file name when two files hold the same suite, by suite otherwise', () => {
    const dir = join(tmp, 'two-same-suite');
    mkdirSync(dir);
    copyFileSync(FIXTURE, join(dir, 'alloc.json'));
    copyFileSync(FIXTURE, join(dir, 'alloc-allocators.json'));
    const other = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { suite: string };
    other.suite = 'vpn';
    writeFileSync(join(dir, 'vpn.json'), JSON.stringify(other));
    const d = loadDataDir(dir);
    const ids = d.rows.map((r) => r.id);
    const perFile = ids.length / 3;
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith('alloc:'))).toHaveLength(perFile);
    expect(ids.filter((id) => id.startsWith('alloc-allocators:'))).toHaveLength(perFile);
    expect(ids.filter((id) => id.startsWith('vpn:'))).toHaveLength(perFile);
    expect(d.rows.find((r) => r.id.startsWith('alloc-allocators:'))!.groupLabel).toMatch(/^alloc-allocators · /);
  });
});
