/**
 * End to end: `--count-instructions` on the real child under the counter this machine has — `perf
 * stat` where hardware counters exist, else valgrind's callgrind (this VM). The `scaled` workload's
 * cost is exactly proportional to its `work` param, so instructions per op must double when work
 * doubles (a structural check on what is counted, not a timing one), and two forks of one cell must
 * agree within 1% (issue 18). Skipped, loudly, only where neither counter exists; under CI=true that
 * is a failure instead. Under callgrind each child takes tens of seconds (see harness/measure/callgrind.ts).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validationSuite, VALIDATION_SUITE_NAME } from '../../../harness/calibrate/validation-suite.js';
import { QuietProgress } from '../../../harness/calibrate/quiet-progress.js';
import { parseBenchArgs } from '../../../harness/cli/args.js';
import { REPO_ROOT } from '../../../harness/child/protocol.js';
import { probePerfCounting } from '../../../harness/measure/perf-stat.js';
import { probeCallgrind } from '../../../harness/measure/callgrind.js';
import { resolveInstructionSource } from '../../../harness/measure/instruction-counting.js';
import { SpawnExecutor } from '../../../harness/run/executor.js';
import { MemorySink } from '../../../harness/run/jsonl-writer.js';
import { DEFAULT_SIDES, runSuite } from '../../../harness/run/run-suite.js';
import { SUITES } from '../../../harness/suites.js';
import type { Cell, Environment, ForkRecord, InstructionSource, ResultFile } from '../../../contract/result-schema.js';
import { fakeRecord } from './fake-child.js';

const ENV: Environment = {
  node: process.version, v8: process.versions.v8, platform: 'linux', arch: 'x64', cpuModel: 'cpu', cores: 2, totalMemoryBytes: 1, kernel: 'k',
  governor: null, git: { commit: null, dirty: null }, harnessVersion: '0', startedAt: 'x', argv: [],
};

let source: InstructionSource | null = null;
let why = '';
try {
  source = resolveInstructionSource('auto', { perf: probePerfCounting, callgrind: probeCallgrind });
} catch (e) {
  why = (e as Error).message;
}
if (source === null) {
  console.warn(`\n!!!!! SKIPPING the --count-instructions end-to-end tests: ${why}\n`);
}
const slow = source === 'callgrind';
const TIMEOUT_MS = slow ? 900_000 : 60_000;

describe('an instruction counter is available', () => {
  // CI must not go green by skipping: there, a machine without perf counters and without valgrind fails.
  it.runIf(process.env.CI === 'true')('under CI=true', () => {
    expect(why).toBe('');
    expect(source).not.toBe(null);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'buflab-count-instr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two forks ran at the same time: each started before the other finished. */
function expectRanTogether(a: ForkRecord, b: ForkRecord): void {
  expect(Date.parse(a.startedAt)).toBeLessThan(Date.parse(b.finishedAt));
  expect(Date.parse(b.startedAt)).toBeLessThan(Date.parse(a.finishedAt));
}

describe.skipIf(source === null)(`--count-instructions end to end (${source ?? 'no counter'}, scaled workload)`, () => {
  it('counts per-op instructions that double with the work and agree between forks within 1%, two children at a time', async () => {
    // --count-jobs 2: the two cells of a round run side by side, so the 1% agreement below is of
    // forks counted under each other's load (the default under callgrind).
    const command = parseBenchArgs(
      ['--suite', VALIDATION_SUITE_NAME, '--quick', '--forks', '2', '--warmup', '100', '--duration', '200', '--param', 'work=2000,4000', '--count-instructions', '--count-jobs', '2', '--out', join(dir, 'r.json'), '--no-report'],
      [validationSuite],
    );
    if (command.kind !== 'run') throw new Error('not a run');
    const written: ResultFile[] = [];
    const progress = new QuietProgress();
    const outcome = await runSuite(command.options, DEFAULT_SIDES(REPO_ROOT), new SpawnExecutor(), {
      progress,
      environment: () => ENV,
      suites: [validationSuite],
      sink: new MemorySink(),
      writeResult: (_path, result) => written.push(result),
    });
    const cells = outcome.sides[0]!.result.cells;
    expect(cells.map((c) => [c.id, c.state, c.error?.message ?? null])).toEqual([
      ['scaled/none/glibc/64/work=2000', 'completed', null],
      ['scaled/none/glibc/64/work=4000', 'completed', null],
    ]);
    const perOp = cells.map((c) => c.forks.map((f) => f.instructionsPerOp!));
    for (const c of cells) {
      for (const f of c.forks) {
        expect(f.instructions).toBeGreaterThan(0);
        expect(f.instructionsPerOp).toBeCloseTo(f.instructions! / f.ops, 9);
        expect(f.instructionSource).toBe(source);
        // Counted work: the fixed batch size and op count of the plan, whatever the timing.
        expect([f.batchSize, f.ops]).toEqual([c.forks[0]!.batchSize, c.forks[0]!.ops]);
        expect(f.ops % f.batchSize).toBe(0);
      }
    }
    // Side by side: in each round, each cell's fork started before the other cell's fork finished.
    for (const round of [0, 1]) {
      const [a, b] = cells.map((c) => c.forks.find((f) => f.forkIndex === round)!);
      expectRanTogether(a!, b!);
    }
    const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    const ratio = median(perOp[1]!) / median(perOp[0]!);
    expect(ratio, `instructions/op work=4000 / work=2000: ${perOp.map((p) => p.join(', ')).join(' | ')}`).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
    for (const forks of perOp) {
      expect(forks).toHaveLength(2);
      expect(Math.abs(forks[0]! / forks[1]! - 1), `forks of one cell: ${forks.join(', ')}`).toBeLessThan(0.01);
    }
  }, 2 * TIMEOUT_MS);
});

describe.skipIf(source === null)(`--count-instructions on an allocating cell (${source ?? 'no counter'}, vpn uint8array)`, () => {
  // The validation workload allocates nothing, so it never exercises the GC part of the counted
  // configuration (COUNTED_V8_FLAGS, the window's aligned scavenges). This vpn cell makes a
  // Uint8Array per packet buffer: scavenges fall inside every window, and before that configuration
  // its forks disagreed by up to 9.4% (README "Instruction counts"). Two forks, side by side.
  it('two forks count within 1% of each other, with scavenges inside the counted window', async () => {
    const command = parseBenchArgs(
      ['--suite', 'vpn', '--strategy', 'uint8array', '--allocator', 'glibc', '--size', '1400', '--param', 'cipher=aes-256-gcm', '--forks', '2', '--count-instructions', '--count-jobs', '2', '--out', join(dir, 'vpn.json'), '--no-report'],
      SUITES,
    );
    if (command.kind !== 'run') throw new Error('not a run');
    const outcome = await runSuite(command.options, DEFAULT_SIDES(REPO_ROOT), new SpawnExecutor(), {
      progress: new QuietProgress(),
      environment: () => ENV,
      sink: new MemorySink(),
      writeResult: () => {},
    });
    const [cell] = outcome.sides[0]!.result.cells;
    expect([cell!.state, cell!.error?.message ?? null]).toEqual(['completed', null]);
    const forks = cell!.forks;
    expect(forks).toHaveLength(2);
    for (const f of forks) {
      expect(f.instructionSource).toBe(source);
      expect(f.alloc.heapBytesPerOp, 'the cell allocates on the JS heap').toBeGreaterThan(100);
      expect(f.gc.byKind['scavenge']?.count ?? 0, 'scavenges inside the window').toBeGreaterThan(0);
    }
    // One cell, two rounds merged into one batch: the forks ran at the same time.
    expectRanTogether(forks[0]!, forks[1]!);
    const [a, b] = forks.map((f) => f.instructionsPerOp!);
    expect(Math.abs(a! / b! - 1), `forks: ${a}, ${b}`).toBeLessThan(0.01);
  }, 2 * TIMEOUT_MS);
});

/** A stand-in child that writes a valid record, announcing its measured phase or not (by workload name). */
const FAKE_MAIN = (phaseModule: string): string => `
import { writeSync } from 'node:fs';
import { measuredPhaseEnd, measuredPhaseStart } from ${JSON.stringify(phaseModule)};
const { cell, forkIndex } = JSON.parse(process.env.BUFLAB_CELL);
if (cell.workload === 'announces') {
  measuredPhaseStart();
  let x = 0;
  for (let i = 0; i < 1e6; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  measuredPhaseEnd(1000);
}
writeSync(3, JSON.stringify({ ...RECORD, cellId: cell.id, forkIndex }) + '\\n');
`;

function fakeCell(workload: string): Cell {
  return { id: `${workload}/none/glibc/16`, suite: 't', workload, strategy: 'none', allocator: 'glibc', size: 16, params: {}, v8Flags: [], plan: { warmupMs: 0, durationMs: 1, seed: 1 } };
}

describe.skipIf(source === null)(`--count-instructions in SpawnExecutor (${source ?? 'no counter'}, stand-in children)`, () => {
  const root = join(dir, 'fake-root');
  const perfDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith('buflab-perf-'));
  const run = (workload: string, countInstructions: InstructionSource | undefined) =>
    new SpawnExecutor().run({
      cell: fakeCell(workload), forkIndex: 0, side: { label: 'head', rootDir: root }, timeoutMs: TIMEOUT_MS / 2, signal: new AbortController().signal,
      ...(countInstructions === undefined ? {} : { countInstructions }),
    });

  it('adds instructions of the announced phase only, and removes its fifos', async () => {
    mkdirSync(join(root, 'harness', 'child'), { recursive: true });
    symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
    const phase = resolve(REPO_ROOT, 'harness', 'child', 'measured-phase.ts');
    writeFileSync(join(root, 'harness', 'child', 'main.ts'), `const RECORD = ${JSON.stringify(fakeRecord('x', 0, 1000))};\n${FAKE_MAIN(phase)}`);
    // A private TMPDIR for the executor's fifo directories, so that other runs cannot disturb the check.
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = join(dir, 'tmp');
    mkdirSync(process.env.TMPDIR);
    let o: Awaited<ReturnType<typeof run>>;
    let left: string[];
    try {
      o = await run('announces', source!);
      left = perfDirs();
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
    if (!o.ok) throw new Error(o.error.message + '\n' + o.error.stderrTail);
    // 1e6 LCG steps over 1000 "ops": at least a few instructions per step, and less than node's
    // start-up, which must not be counted: `valgrind --tool=callgrind node -e 0` retires 502 M
    // instructions (this VM, Node 20), and the stand-in also loads tsx. Under callgrind V8's
    // background compiler runs only when valgrind switches threads, so the top-level loop may run
    // interpreted to the end (measured: 250 M, ~250 instructions a step) — hence 400 M there.
    expect(o.record.instructions).toBeGreaterThan(2e6);
    expect(o.record.instructions).toBeLessThan(slow ? 400e6 : 50e6);
    expect(o.record.instructionsPerOp).toBe(o.record.instructions! / 1000);
    expect(o.record.instructionSource).toBe(source);
    expect(left).toEqual([]);
  }, TIMEOUT_MS);

  it('fails the fork with a clear message when the child never announces its measured phase', async () => {
    const o = await run('silent', source!);
    expect(o.ok).toBe(false);
    if (!o.ok) {
      expect(o.error.code).toBe('E_CHILD_PROTOCOL');
      expect(o.error.message).toMatch(
        source === 'perf'
          ? /--count-instructions: perf stat: instructions:u <not counted>: the counter was never enabled/
          : /--count-instructions: callgrind: the child's agent asked for '' \(expected enable,disable\): did the child announce its measured phase/,
      );
    }
  }, TIMEOUT_MS);

  it('runs no perf without the flag: the record has no instruction count', async () => {
    const o = await run('announces', undefined);
    expect(o.ok && 'instructions' in o.record).toBe(false);
    expect(o.ok && 'instructionSource' in o.record).toBe(false);
    expect(o.ok).toBe(true);
  }, 30_000);
});
