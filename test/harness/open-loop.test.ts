/**
 * Open-loop load (issue 8, item 3): the intended-start schedule and the latency it implies, on a
 * fake clock (exact); the `--rate` flag, the cell plan and id; and one short real run asserting the
 * record's structure (never timings).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { emptyCounters } from '../../allocators/buffer-strategy.js';
import type { AllocatorName, Availability } from '../../allocators/native-allocators.js';
import { measureCell, type Timeable } from '../../harness/child/measure-cell.js';
import {
  intendedOpsIn,
  intendedStartMs,
  openLoopBuffers,
  openLoopOps,
  recordPendingAtEnd,
} from '../../harness/child/open-loop.js';
import { parseChildInput, REPO_ROOT } from '../../harness/child/protocol.js';
import { parseBenchArgs } from '../../harness/cli/args.js';
import type { BenchOptions } from '../../harness/run/bench-options.js';
import { HdrHistogram } from '../../harness/measure/hdr-histogram.js';
import { expandCells } from '../../harness/run/matrix.js';
import { SUITES } from '../../harness/suites.js';
import { UsageError } from '../../harness/errors.js';
import { testCell } from './child/record-fixture.js';

const allInstalled = (name: AllocatorName): Availability => ({ available: true, name, path: null });

/** A fake clock that advances 0.25 ms per read, and an op that advances it by `serviceMs(i)`. */
function fakeClock(serviceMs: (i: number) => number) {
  let t = 0;
  let reads = 0;
  let ops = 0;
  // Stores its reading into the slot, as readClockMs does.
  const clock = (slot: Float64Array): void => {
    slot[0] = t;
    t += 0.25;
    reads++;
  };
  const w = {
    op(): void {
      t += serviceMs(ops++);
    },
  };
  return { clock, w, reads: () => reads };
}

describe('intended start times', () => {
  it('are t0 + i / rate, computed from i (no accumulated rounding)', () => {
    expect(intendedStartMs(10, 0, 4000)).toBe(10);
    expect(intendedStartMs(10, 3, 4000)).toBe(10.75);
    expect(intendedStartMs(0, 1_000_000, 3)).toBe((1_000_000 * 1000) / 3);
    expect(intendedOpsIn(0, 1000, 10)).toBe(10);
    expect(intendedOpsIn(0, 3000, 1)).toBe(3); // 0, 1/3, 2/3 ms
    expect(intendedOpsIn(5, 1000, 5)).toBe(0);
  });

  it('charge a stall to every operation queued behind it (no coordinated omission)', () => {
    // 1000 ops/s → one op due every 1 ms; ops take 0.25 ms, op 2 stalls for 3 ms.
    const { clock, w } = fakeClock((i) => (i === 2 ? 3 : 0.25));
    const buf = openLoopBuffers(64);
    const n = openLoopOps(w, clock, 0, 1000, 0, buf, 10);
    expect(n).toBe(10);
    expect([...buf.intendedMs.subarray(0, n)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Op k ends 0.25 (clock read) + its service + 0.25 (read) after it starts; the backlog behind the
    // stall drains by 0.25 ms per op because ops take 0.5 ms of the 1 ms interval.
    expect([...buf.latencyMs.subarray(0, n)]).toEqual([0.5, 0.5, 3.25, 3, 2.75, 2.5, 2.25, 2, 1.75, 1.5]);
    expect([...buf.serviceMs.subarray(0, n)]).toEqual([0.5, 0.5, 3.25, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('leaves an op due at or after untilMs for the next call, without reading the clock', () => {
    const { clock, w, reads } = fakeClock(() => 0.25);
    const buf = openLoopBuffers(4);
    expect(openLoopOps(w, clock, 0, 1000, 0, buf, 2)).toBe(2);
    const before = reads();
    expect(openLoopOps(w, clock, 0, 1000, 2, buf, 2)).toBe(0);
    expect(reads()).toBe(before);
    // A full buffer ends the call too; the next call continues the same schedule.
    expect(openLoopOps(w, clock, 0, 1000, 2, buf, 100)).toBe(4);
    expect([...buf.intendedMs]).toEqual([2, 3, 4, 5]);
  });

  it('records operations never started as lower bounds at the end', () => {
    const h = new HdrHistogram({ lowestDiscernible: 0.001, highestTrackable: 1e12 });
    // Ops 7, 8, 9 were due at 7, 8, 9 ms (< 10), still not started at 12 ms.
    expect(recordPendingAtEnd(h, 0, 1000, 7, 10, 12)).toBe(3);
    const s = h.summary();
    expect(s.count).toBe(3);
    expect(s.min).toBe(3e6);
    expect(s.max).toBe(5e6);
    expect(recordPendingAtEnd(h, 0, 1000, 10, 10, 12)).toBe(0);
  });
});

describe('--rate on the command line and in the cell plan', () => {
  const run = (argv: string[]): BenchOptions => {
    const c = parseBenchArgs(argv, SUITES);
    if (c.kind !== 'run') throw new Error('expected a run');
    return c.options;
  };

  it('is accepted for the open-loop suites and puts the rate in the plan and the id', () => {
    expect(run(['--suite', 'vpn', '--rate', '50000']).rateOpsPerSec).toBe(50000);
    expect(run(['--suite', 'dns', '--rate=2500.5']).rateOpsPerSec).toBe(2500.5);
    expect(run(['--suite', 'vpn']).rateOpsPerSec).toBeUndefined();
    const options = run(['--suite', 'vpn', '--quick', '--strategy', 'pooled', '--allocator', 'glibc', '--size', '64', '--param', 'cipher=none', '--rate', '50000']);
    const cells = expandCells(SUITES.find((s) => s.name === 'vpn')!, options, allInstalled);
    expect(cells.map((c) => c.cell.id)).toEqual(['vpn/pooled/glibc/64/cipher=none/inner=udp/rate=50000']);
    expect(cells[0]!.cell.plan.rateOpsPerSec).toBe(50000);
    const closed = expandCells(SUITES.find((s) => s.name === 'vpn')!, { ...options, rateOpsPerSec: undefined }, allInstalled);
    expect(closed[0]!.cell.id).toBe('vpn/pooled/glibc/64/cipher=none/inner=udp');
    expect('rateOpsPerSec' in closed[0]!.cell.plan).toBe(false);
  });

  it('is refused for suites without open-loop support and for a bad value', () => {
    expect(() => run(['--suite', 'alloc', '--rate', '1000'])).toThrow(UsageError);
    expect(() => run(['--suite', 'alloc', '--rate', '1000'])).toThrow('suite alloc does not support open-loop load (--rate); suites that do: vpn, dns');
    expect(() => run(['--suite', 'vpn', '--rate', '0'])).toThrow('--rate must be a positive number');
    expect(() => run(['--suite', 'vpn', '--rate', 'fast'])).toThrow('--rate must be a positive number');
  });

  it('makes npm run bench exit 2 with the message, before running anything', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli/bench.ts', '--suite', 'alloc', '--rate', '1000'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('suite alloc does not support open-loop load (--rate)');
  });

  it('is validated by the child protocol', () => {
    const input = (plan: object) => JSON.stringify({ cell: testCell({ plan: { warmupMs: 1, durationMs: 1, seed: 1, ...plan } }), forkIndex: 0 });
    expect(parseChildInput(input({ rateOpsPerSec: 1000 })).cell.plan.rateOpsPerSec).toBe(1000);
    expect(() => parseChildInput(input({ rateOpsPerSec: -1 }))).toThrow('rateOpsPerSec');
  });
});

describe('a short real open-loop run', () => {
  it('times ops one by one from their intended start, never below their service time', async () => {
    let sink = 0;
    const w: Timeable = {
      payloadBytesPerOp: 10,
      op(): void {
        let x = sink;
        for (let i = 0; i < 200; i++) x = (x * 31 + i) | 0;
        sink = x;
      },
      strategyCounters: emptyCounters,
    };
    const rate = 2000;
    const m = await measureCell(w, { warmupMs: 50, durationMs: 150, seed: 1, rateOpsPerSec: rate });
    const o = m.openLoop!;
    expect(o.rateOpsPerSec).toBe(rate);
    expect(m.batchSize).toBe(1);
    // Every op due in the phase is either completed or recorded as still pending at the end.
    expect(o.intendedOps).toBe(300);
    expect(o.completedOps + o.pendingAtEnd).toBe(o.intendedOps);
    expect(m.ops).toBe(o.completedOps);
    expect(m.latencyNs.count).toBe(o.intendedOps);
    expect(o.serviceNs.count).toBe(o.completedOps);
    expect(m.opsPerSec).toBe(o.achievedOpsPerSec);
    // Latency from the intended start includes the service time: each op's latency >= its service.
    expect(m.latencyNs.max).toBeGreaterThanOrEqual(o.serviceNs.max);
    expect(m.latencyNs.p50).toBeGreaterThanOrEqual(o.serviceNs.p50);
    expect(m.gcTails!.batchesAnalysed).toBe(o.completedOps);
    expect(m.warnings.some((x) => x.includes('timed in batches'))).toBe(false);
  });
});
