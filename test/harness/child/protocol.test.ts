import { describe, expect, it } from 'vitest';
import {
  CELL_ENV_VAR,
  CHILD_MAIN,
  REPO_ROOT,
  childCommand,
  formatChildError,
  parseChildError,
  parseChildInput,
  parseForkRecord,
} from '../../../harness/child/protocol.js';
import { testCell, validRecord } from './record-fixture.js';

describe('childCommand', () => {
  it('runs node with the cell flags, --expose-gc and tsx, and passes the cell in the environment', () => {
    const cell = testCell({ v8Flags: ['--max-semi-space-size=16'] });
    const cmd = childCommand(cell, 2, { nodePath: '/usr/bin/node' });
    expect(cmd.command).toBe('/usr/bin/node');
    expect(cmd.args).toEqual(['--max-semi-space-size=16', '--expose-gc', '--import', 'tsx', CHILD_MAIN]);
    expect(cmd.cwd).toBe(REPO_ROOT);
    expect(Object.keys(cmd.env)).toEqual([CELL_ENV_VAR]);
    expect(JSON.parse(cmd.env[CELL_ENV_VAR]!)).toEqual({ cell, forkIndex: 2 });
  });

  it('adds LD_PRELOAD for a preloaded allocator, honouring overrides', () => {
    const cmd = childCommand(testCell({ allocator: 'jemalloc' }), 0, { env: {} });
    expect(cmd.env.LD_PRELOAD).toBe('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2');
    const overridden = childCommand(testCell({ allocator: 'mimalloc' }), 0, { allocatorPaths: { mimalloc: '/opt/libmi.so' } });
    expect(overridden.env.LD_PRELOAD).toBe('/opt/libmi.so');
    const fromEnv = childCommand(testCell({ allocator: 'tcmalloc' }), 0, { env: { BUFLAB_TCMALLOC_PATH: '/x/tc.so' } });
    expect(fromEnv.env.LD_PRELOAD).toBe('/x/tc.so');
  });

  it('rejects an unknown allocator and a bad fork index', () => {
    expect(() => childCommand(testCell({ allocator: 'hoard' }), 0)).toThrow(expect.objectContaining({ code: 'E_BAD_CELL' }));
    expect(() => childCommand(testCell(), -1)).toThrow(/forkIndex/);
  });
});

describe('parseChildInput', () => {
  it('round-trips what childCommand sends', () => {
    const cell = testCell();
    expect(parseChildInput(childCommand(cell, 3).env[CELL_ENV_VAR])).toEqual({ cell, forkIndex: 3 });
  });

  it('says how to run the child when the variable is missing', () => {
    expect(() => parseChildInput(undefined)).toThrow(expect.objectContaining({ code: 'E_NO_CELL', message: expect.stringMatching(/npm run bench/) }));
  });

  it('names every bad field', () => {
    const bad = JSON.stringify({ cell: { ...testCell(), size: 'big', plan: { warmupMs: -1, durationMs: 1, seed: 1 } }, forkIndex: 0.5 });
    expect(() => parseChildInput(bad)).toThrow(/cell.size must be a number; cell.plan.warmupMs must be a non-negative number; forkIndex/);
    expect(() => parseChildInput('{nope')).toThrow(expect.objectContaining({ code: 'E_BAD_CELL' }));
  });
});

describe('parseForkRecord', () => {
  const cell = testCell();

  it('accepts exactly one valid record line, with or without its newline', () => {
    const rec = validRecord(cell);
    expect(parseForkRecord(JSON.stringify(rec) + '\n', cell)).toEqual(rec);
    expect(parseForkRecord(JSON.stringify(rec), cell)).toEqual(rec);
  });

  it('refuses garbage', () => {
    expect(() => parseForkRecord('hello world\n', cell)).toThrow(expect.objectContaining({ code: 'E_BAD_RECORD', message: expect.stringMatching(/not JSON/) }));
    expect(() => parseForkRecord('', cell)).toThrow(/wrote no record/);
    expect(() => parseForkRecord('[1,2]', cell)).toThrow(/not a JSON object/);
  });

  it('refuses two lines, even two valid records', () => {
    const line = JSON.stringify(validRecord(cell));
    expect(() => parseForkRecord(`${line}\n${line}\n`, cell)).toThrow(/2 lines, exactly one record is allowed/);
    expect(() => parseForkRecord(`${line}\n\n`, cell)).toThrow(expect.objectContaining({ code: 'E_BAD_RECORD' }));
  });

  it("refuses another cell's record", () => {
    const other = validRecord(testCell({ id: 'noop/none/glibc/64' }));
    expect(() => parseForkRecord(JSON.stringify(other), cell)).toThrow(/cellId "noop\/none\/glibc\/64" is not this cell's id "noop\/none\/glibc\/0"/);
  });

  it('refuses a record with a wrong kind, schema version, unverified or different allocator', () => {
    const rec = validRecord(cell);
    expect(() => parseForkRecord(JSON.stringify({ ...rec, kind: 'other' }), cell)).toThrow(/kind must be 'buflab-fork'/);
    expect(() => parseForkRecord(JSON.stringify({ ...rec, schemaVersion: 99 }), cell)).toThrow(/schemaVersion 99/);
    expect(() => parseForkRecord(JSON.stringify({ ...rec, allocator: { ...rec.allocator, verified: false } }), cell)).toThrow(/allocator.verified/);
    expect(() => parseForkRecord(JSON.stringify({ ...rec, allocator: { ...rec.allocator, name: 'jemalloc' } }), cell)).toThrow(/allocator.name "jemalloc"/);
  });

  it('checks an attached latency histogram against the summary', () => {
    const rec = validRecord(cell);
    const hist = { format: 'buflab-hdr-1', lowestDiscernible: 1, highestTrackable: 1e9, count: 100, min: 1, max: 4, sum: 120, clamped: 0, buckets: [1, 100] };
    expect(parseForkRecord(JSON.stringify({ ...rec, latencyHistogram: hist }), cell).latencyHistogram).toEqual(hist);
    expect(() => parseForkRecord(JSON.stringify({ ...rec, latencyHistogram: { ...hist, count: 99 } }), cell)).toThrow(/latencyHistogram.count differs/);
    expect(() => parseForkRecord(JSON.stringify({ ...rec, latencyHistogram: { ...hist, format: 'hdr-9' } }), cell)).toThrow(/format "hdr-9" is unknown/);
  });

  it('refuses a record measured in another load mode than the cell asked for (issue 8)', () => {
    const openCell = testCell({ id: 'noop/none/glibc/0/rate=1000', plan: { warmupMs: 1, durationMs: 1, seed: 1, rateOpsPerSec: 1000 } });
    const serviceNs = { p50: 1, p90: 1, p99: 1, p999: 1, max: 1, mean: 1, count: 10 };
    const openLoop = { rateOpsPerSec: 1000, achievedOpsPerSec: 990, intendedOps: 10, completedOps: 10, pendingAtEnd: 0, serviceNs };
    const rec = { ...validRecord(openCell), openLoop };
    expect(parseForkRecord(JSON.stringify(rec), openCell).openLoop).toEqual(openLoop);
    expect(() => parseForkRecord(JSON.stringify(validRecord(openCell)), openCell)).toThrow(/asks for open-loop load at 1000 ops\/s but openLoop.rateOpsPerSec is undefined/);
    expect(() => parseForkRecord(JSON.stringify({ ...rec, openLoop: { ...openLoop, rateOpsPerSec: 5 } }), openCell)).toThrow(/openLoop.rateOpsPerSec is 5/);
    expect(() => parseForkRecord(JSON.stringify({ ...validRecord(cell), openLoop }), cell)).toThrow(/the cell is closed loop/);
    const share = { thresholdNs: 1, slowOps: 2, overlappingGc: 1, share: 0.5 };
    const gcTails = { p99: share, p999: share, batchesAnalysed: 3, batchesTotal: 3, clockUncertaintyMs: 0 };
    expect(parseForkRecord(JSON.stringify({ ...validRecord(cell), gcTails }), cell).gcTails).toEqual(gcTails);
    expect(() => parseForkRecord(JSON.stringify({ ...validRecord(cell), gcTails: { ...gcTails, p99: { ...share, share: null } } }), cell)).toThrow(/gcTails.p99.share/);
  });

  it('refuses missing or non-finite measurements', () => {
    const rec = validRecord(cell);
    const { latencyNs: _drop, ...noLatency } = rec;
    expect(() => parseForkRecord(JSON.stringify(noLatency), cell)).toThrow(/latencyNs must be an object/);
    // JSON turns NaN into null: a NaN measurement arrives as null and is refused.
    expect(() => parseForkRecord(JSON.stringify({ ...rec, opsPerSec: NaN }), cell)).toThrow(/opsPerSec must be a finite number, got null/);
    expect(() => parseForkRecord(JSON.stringify({ ...rec, ops: 0 }), cell)).toThrow(/ops must be positive/);
    expect(() => parseForkRecord(JSON.stringify({ ...rec, batchSize: 1.5 }), cell)).toThrow(/batchSize must be an integer/);
  });

  it('accepts the four warm-up classes and refuses any other (issue 18: fixed names)', () => {
    const rec = validRecord(cell);
    for (const k of ['flat', 'warmup', 'slowdown', 'no-steady-state']) {
      expect(parseForkRecord(JSON.stringify({ ...rec, warmup: { ...rec.warmup, class: k } }), cell).warmup.class).toBe(k);
    }
    expect(() => parseForkRecord(JSON.stringify({ ...rec, warmup: { ...rec.warmup, class: 'steady' } }), cell)).toThrow(/warmup.class "steady" is not one of flat, warmup, slowdown, no-steady-state/);
  });
});

describe('child error line', () => {
  it('round-trips code and message, on one line', () => {
    const stderr = `some workload noise\nError: boom\n    at x\n${formatChildError('E_ALLOCATOR_UNVERIFIED', 'jemalloc is not mapped\nsecond line')}\n`;
    expect(parseChildError(stderr)).toEqual({ code: 'E_ALLOCATOR_UNVERIFIED', message: 'jemalloc is not mapped | second line' });
    expect(parseChildError('nothing here')).toBeNull();
  });
});
