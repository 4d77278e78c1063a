/**
 * Time-sliced rounds: how a round is cut into groups (schedule.ts sliceGroups), the coordinator's
 * turns against real child processes that use the child's gate (one fork on the CPU at a time, turns
 * in order, the first turn only once every fork has started, a fork that never hands the turn back
 * is reported), and a real bench run whose forks took turns.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { sliceGroups, type ScheduleEntry } from '../../../harness/run/schedule.js';
import { SliceGroup } from '../../../harness/run/slice-coordinator.js';
import { longWaitWarning, SLICE_FD_ENV, SLICE_GO, SLICE_GROUP_ENV, SLICE_MS_ENV, SLICE_WAIT, V8_IDLE_SHRINK_MS } from '../../../harness/child/slice-gate.js';
import type { ResultFile } from '../../../contract/result-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'buflab-slicing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (cellIndex: number, sideIndex = 0): ScheduleEntry => ({ cellIndex, forkIndex: 0, sideIndex });

describe('sliceGroups', () => {
  it('keeps cells of one key together, packs whole key sets up to the size, cuts a key set that is too large', () => {
    // keys: cell index → key
    const key = ['a', 'b', 'a', 'c', 'b', 'a', 'c'];
    const entries = [0, 1, 2, 3, 4, 5, 6].map((i) => entry(i));
    const groups = sliceGroups(entries, (e) => key[e.cellIndex]!, 5);
    // Key sets in first-seen order: a (0, 2, 5) + b (1, 4) = 5 fill a group; c (3, 6) starts the next.
    expect(groups.map((g) => g.map((e) => e.cellIndex))).toEqual([[0, 2, 5, 1, 4], [3, 6]]);
    const big = sliceGroups(entries, () => 'same', 3);
    expect(big.map((g) => g.map((e) => e.cellIndex))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(sliceGroups(entries, (e) => key[e.cellIndex]!, 1)).toEqual(entries.map((e) => [e]));
  });

  it('keeps both sides of a cell in one group', () => {
    const entries = [entry(0, 0), entry(0, 1), entry(1, 1), entry(1, 0), entry(2, 0), entry(2, 1)];
    const groups = sliceGroups(entries, () => 'k', 4);
    expect(groups).toEqual([entries.slice(0, 4), entries.slice(4)]);
  });
});

/**
 * A child that does what the real child's gate does: asks for the turn, then "measures" `workMs` in
 * 5 ms busy chunks, yielding through SliceGate.maybeYield, and prints each chunk's [start, end] on
 * the shared clock (Date.now()-based, µs).
 */
const GATED_CHILD = `
import { SliceGate } from ${JSON.stringify(resolve('harness/child/slice-gate.ts'))};
import { nowMs } from ${JSON.stringify(resolve('harness/measure/timer.ts'))};
const gate = SliceGate.fromEnv(process.env);
const started = performance.timeOrigin + performance.now();
gate.acquire();
const workMs = Number(process.env.WORK_MS);
if (process.env.NEVER_YIELD === '1') { for (;;) {} }
const spans = [];
let done = 0;
gate.startSlicing(nowMs());
while (done < workMs) {
  const a = performance.timeOrigin + performance.now();
  const end = nowMs() + 5;
  while (nowMs() < end) {}
  const b = performance.timeOrigin + performance.now();
  spans.push([a, b]);
  done += 5;
  gate.maybeYield(nowMs());
}
process.stdout.write(JSON.stringify({ started, spans, turns: gate.yields, pausedMs: gate.pausedMs }));
`;

function startGated(group: SliceGroup, index: number, env: Record<string, string>): { child: ChildProcess; out: Promise<string> } {
  const script = join(dir, 'gated.mts');
  writeFileSync(script, GATED_CHILD);
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'inherit', 'ignore', 'pipe'],
    env: { ...process.env, [SLICE_FD_ENV]: '4', [SLICE_MS_ENV]: String(group.sliceMs), [SLICE_GROUP_ENV]: String(group.size), ...env },
  });
  const slot = group.slots[index]!;
  slot.attach(child.stdio[4] as Duplex, () => child.kill('SIGKILL'));
  child.on('exit', () => slot.leave());
  let text = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (text += d));
  const out = new Promise<string>((res) => child.on('close', () => res(text)));
  return { child, out };
}

describe('SliceGroup with gated children', () => {
  it('runs one fork at a time, in turns of the slice length, and starts only when all have started', async () => {
    const group = new SliceGroup(3, 20, 20_000);
    const runs = [0, 1, 2].map((i) => startGated(group, i, { WORK_MS: '100' }));
    const results = (await Promise.all(runs.map((r) => r.out))).map((t) => JSON.parse(t) as { started: number; spans: Array<[number, number]>; turns: number; pausedMs: number });
    // Every fork measured all its work in several turns, waiting between them.
    for (const r of results) {
      expect(r.spans.length).toBe(20);
      expect(r.turns).toBeGreaterThanOrEqual(3);
      expect(r.pausedMs).toBeGreaterThan(0);
    }
    // No busy span of one fork overlaps a span of another (1 ms of clock slack).
    const all = results.flatMap((r, i) => r.spans.map(([a, b]) => ({ i, a, b }))).sort((x, y) => x.a - y.a);
    for (let k = 1; k < all.length; k++) {
      if (all[k]!.i !== all[k - 1]!.i) expect(all[k]!.a).toBeGreaterThanOrEqual(all[k - 1]!.b - 1);
    }
    // The first span of anyone began after every fork had started.
    const lastStart = Math.max(...results.map((r) => r.started));
    expect(all[0]!.a).toBeGreaterThanOrEqual(lastStart - 1);
    // Turns alternate: the forks' spans interleave (more switches than forks).
    let switches = 0;
    for (let k = 1; k < all.length; k++) if (all[k]!.i !== all[k - 1]!.i) switches++;
    expect(switches).toBeGreaterThanOrEqual(6);
    expect(group.turns).toBeGreaterThanOrEqual(9);
  }, 60_000);

  it('reports a fork that holds the turn past the limit, and the others then run', async () => {
    const group = new SliceGroup(2, 20, 1_500);
    const hog = startGated(group, 0, { WORK_MS: '50', NEVER_YIELD: '1' });
    const ok = startGated(group, 1, { WORK_MS: '50' });
    const [, okOut] = await Promise.all([hog.out, ok.out]);
    expect(hog.child.signalCode).toBe('SIGKILL');
    expect((JSON.parse(okOut) as { spans: unknown[] }).spans.length).toBe(10);
  }, 60_000);
});

/** A child's end of the turn socket, driven by the test: `ask()` writes W, `got` counts the G bytes received. */
class FakeTurnSocket extends Duplex {
  got = 0;
  constructor(private readonly onGo: () => void) {
    super();
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const byte of chunk) if (byte === SLICE_GO) {
      this.got++;
      this.onGo();
    }
    done();
  }
  ask(): void {
    this.push(Buffer.from([SLICE_WAIT]));
  }
}

describe('SliceGroup: a measuring fork never waits past the limit', () => {
  it('gives an overdue measuring fork the next turn ahead of a fork still to warm up, and otherwise keeps round-robin order', async () => {
    let now = 0;
    const order: number[] = [];
    const group = new SliceGroup(4, 100, 60_000, 1500, () => now);
    const sockets = [0, 1, 2, 3].map((i) => new FakeTurnSocket(() => order.push(i)));
    const tick = () => new Promise((res) => setImmediate(res));
    const handBack = async (i: number, at: number) => {
      now = at;
      sockets[i]!.ask();
      await tick();
    };
    try {
      sockets.forEach((s, i) => group.slots[i]!.attach(s, () => {}));
      for (const s of sockets) s.ask();
      await tick();
      // Fork 0's first turn (set-up and warm-up), then it hands back mid-measurement at t = 1000.
      expect(order).toEqual([0]);
      await handBack(0, 1000);
      expect(order).toEqual([0, 1]); // fork 0 has waited 0 ms: round-robin, fork 1 warms up
      await handBack(1, 2100);
      expect(order).toEqual([0, 1, 2]); // fork 0 has waited 1.1 s: still round-robin
      await handBack(2, 3200);
      // Fork 0 has waited 2.2 s ≥ 1.5 s: it goes before fork 3's first turn (round-robin would give fork 3).
      expect(order).toEqual([0, 1, 2, 0]);
      await handBack(0, 3300);
      expect(order).toEqual([0, 1, 2, 0, 1]); // round-robin on from fork 0
      await handBack(1, 3400);
      await handBack(2, 3500);
      expect(order).toEqual([0, 1, 2, 0, 1, 2, 3]);
      // An overdue fork that left (exited) is skipped: fork 1 (waited 1.8 s) goes next, not the gone fork 0.
      group.slots[0]!.leave();
      await handBack(3, 5200);
      expect(order).toEqual([0, 1, 2, 0, 1, 2, 3, 1]);
      expect(sockets[0]!.got).toBe(2);
    } finally {
      for (const slot of group.slots) slot.leave();
    }
  });

  it('never sets the limit below one cycle of the group\'s turns (else forks still to start would wait for all the measuring)', () => {
    expect(new SliceGroup(4, 100, 60_000).maxWaitMs).toBe(1500);
    expect(new SliceGroup(12, 200, 60_000).maxWaitMs).toBe(2400);
  });

  it('a fork warns when a wait reached the 5 s after which V8 shrinks its young generation', () => {
    expect(longWaitWarning(V8_IDLE_SHRINK_MS - 1)).toBeNull();
    expect(longWaitWarning(6200)).toMatch(/waited 6\.2 s for a turn.*young generation.*--slice-ms 0/);
  });
});

describe('a bench run with time-sliced rounds (real children)', () => {
  it('the forks of compared cells run in one group, alive together, taking turns; --slice-ms 0 runs them alone', () => {
    const run = (extra: string[], out: string) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', 'harness/cli/bench.ts', '--suite', 'alloc', '--quick', '--strategy', 'uint8array,pooled,one-big-struct', '--allocator', 'glibc', '--size', '64', '--forks', '1', '--duration', '400', '--no-report', '--out', out, ...extra],
        { encoding: 'utf8', timeout: 120_000 },
      );
    const sliced = join(dir, 'sliced.json');
    const r = run([], sliced);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(readFileSync(sliced, 'utf8')) as ResultFile;
    const forks = result.cells.flatMap((c) => c.forks);
    expect(forks).toHaveLength(3);
    for (const f of forks) {
      expect(f.slicing).toMatchObject({ sliceMs: 100, groupSize: 3 });
      expect(f.slicing!.turns).toBeGreaterThanOrEqual(2);
      expect(f.slicing!.pausedMs).toBeGreaterThan(0);
      // The longest wait: one other fork's turn at least, and under V8's 5 s (two other forks here).
      expect(f.slicing!.longestPauseMs).toBeGreaterThan(50);
      expect(f.slicing!.longestPauseMs).toBeLessThan(V8_IDLE_SHRINK_MS);
    }
    // One group, one block (the drift model's unit: forks that shared the machine's seconds).
    expect(new Set(forks.map((f) => f.block))).toEqual(new Set([1]));
    // Alive together: every fork started before any finished.
    const firstEnd = Math.min(...forks.map((f) => Date.parse(f.finishedAt)));
    for (const f of forks) expect(Date.parse(f.startedAt)).toBeLessThan(firstEnd);

    const alone = join(dir, 'alone.json');
    const a = run(['--slice-ms', '0'], alone);
    expect(a.status, a.stderr).toBe(0);
    const aloneForks = (JSON.parse(readFileSync(alone, 'utf8')) as ResultFile).cells.flatMap((c) => c.forks);
    expect(aloneForks.every((f) => f.slicing === undefined)).toBe(true);
    // Forks run alone share their round.
    expect(aloneForks.map((f) => f.block)).toEqual([0, 0, 0]);
  }, 240_000);
});
