import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultResultPath, jsonlPathFor, sideResultPath, writeResultAtomic } from '../../../harness/run/result-writer.js';
import type { ResultFile } from '../../../contract/result-schema.js';

describe('result paths', () => {
  it('names the default result file after the suite and the UTC time', () => {
    expect(defaultResultPath('alloc', new Date('2026-11-21T23:40:05.123Z'))).toBe('results/alloc-2026-11-21T23-40-05Z.json');
  });
  it('puts the JSONL beside the result and splits sides of a paired run', () => {
    expect(jsonlPathFor('results/a.json')).toBe('results/a.jsonl');
    expect(jsonlPathFor('results/a.out')).toBe('results/a.out.jsonl');
    expect(sideResultPath('r/a.json', 'base', 2)).toBe('r/a.base.json');
    expect(sideResultPath('r/a.json', 'head', 1)).toBe('r/a.json');
  });
});

describe('writeResultAtomic', () => {
  it('creates the directory, writes the JSON and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-rw-'));
    try {
      const path = join(dir, 'sub', 'r.json');
      const r = { schemaVersion: 1, suite: 's', cells: [], warnings: [], interrupted: false } as unknown as ResultFile;
      writeResultAtomic(path, r);
      writeResultAtomic(path, { ...r, interrupted: true });
      expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ suite: 's', interrupted: true });
      expect(readdirSync(join(dir, 'sub'))).toEqual(['r.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
