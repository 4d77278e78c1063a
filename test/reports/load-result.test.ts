import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportError } from '../../reports/errors.js';
import { loadResult, parseResult } from '../../reports/load-result.js';

const FIXTURE_TEXT = readFileSync('test/fixtures/results/alloc-small.json', 'utf8');

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ReportError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('loadResult', () => {
  it('reads the fixture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-load-'));
    writeFileSync(join(dir, 'r.json'), FIXTURE_TEXT);
    const r = loadResult(join(dir, 'r.json'));
    expect(r.cells).toHaveLength(14);
    expect(r.cells.filter((c) => c.state === 'completed')).toHaveLength(12);
  });

  it('rejects a missing file, non-JSON, an unknown schema version and malformed cells with stable codes', () => {
    expect(codeOf(() => loadResult('/nonexistent/results.json'))).toBe('RESULT_UNREADABLE');
    expect(codeOf(() => parseResult('{"kind":"buflab-fork"', 'x.jsonl'))).toBe('RESULT_NOT_JSON');
    const v2 = { ...JSON.parse(FIXTURE_TEXT), schemaVersion: 2 };
    expect(codeOf(() => parseResult(JSON.stringify(v2), 'v2.json'))).toBe('RESULT_SCHEMA_MISMATCH');
    const badState = JSON.parse(FIXTURE_TEXT);
    badState.cells[3].state = 'done';
    expect(codeOf(() => parseResult(JSON.stringify(badState), 'bad.json'))).toBe('RESULT_MALFORMED');
    const noSummary = JSON.parse(FIXTURE_TEXT);
    delete noSummary.cells[0].summary;
    expect(codeOf(() => parseResult(JSON.stringify(noSummary), 'bad.json'))).toBe('RESULT_MALFORMED');
  });

  it('says what to do in the message', () => {
    const v2 = { ...JSON.parse(FIXTURE_TEXT), schemaVersion: 2 };
    expect(() => parseResult(JSON.stringify(v2), 'v2.json')).toThrow(/schemaVersion 2 but this report reads version 1; re-run the bench/);
  });
});
