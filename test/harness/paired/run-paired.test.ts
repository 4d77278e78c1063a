import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchOptionsFrom } from '../../../harness/calibrate/repeated-pairs.js';
import { validationSuite } from '../../../harness/calibrate/validation-suite.js';
import { runPaired, runPairedSides } from '../../../harness/paired/run-paired.js';
import { NPM_STAMP, prepareBaseline, realTreeOps, type TreeOps } from '../../../harness/paired/worktree.js';
import type { Environment } from '../../../contract/result-schema.js';
import type { ChildExecutor, ChildOutcome, ChildRequest } from '../../../harness/run/executor.js';
import { QuietProgress } from '../../../harness/calibrate/quiet-progress.js';
import type { RuntimeCheck } from '../../../harness/runtime/runtimes.js';
import { makeFork, makeResult } from '../compare/make-result.js';

const ENV: Environment = makeResult([]).environment;

/** A fake child: ops/s by side (base 1000, head `headOps`), with a little deterministic spread. */
class FakeExecutor implements ChildExecutor {
  readonly calls: string[] = [];
  constructor(private readonly headOps: number) {}
  async run(request: ChildRequest): Promise<ChildOutcome> {
    this.calls.push(`${request.side.label}#${request.forkIndex}`);
    const center = request.side.label === 'head' ? this.headOps : 1000;
    const ops = center * (1 + 0.002 * ((request.forkIndex % 3) - 1));
    return { ok: true, record: makeFork(request.cell.id, request.forkIndex, { opsPerSec: ops }, 64) };
  }
}

function pairedDeps(executor: ChildExecutor) {
  return { executor, progress: new QuietProgress(), environment: () => ENV, suites: [validationSuite], print: () => {} };
}

describe('runPairedSides --runtime (issue 14)', () => {
  it('plans and runs both sides through the run\'s runtime check: a runtime it calls unavailable is skipped on both sides, never run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-paired-'));
    const options = benchOptionsFrom(['--suite', 'validate-scaled', '--forks', '2', '--runtime', 'node24', '--out', join(dir, 'run.json')], [validationSuite]);
    const executor = new FakeExecutor(1000);
    const runtimes: RuntimeCheck = (name) => ({ available: false, name, reason: `${name} withheld by the test`, installHint: 'none' });
    const sides = [
      { label: 'base' as const, rootDir: '/base-tree' },
      { label: 'head' as const, rootDir: '/head-tree' },
    ];
    const outcome = await runPairedSides(options, sides, { ...pairedDeps(executor), runtimes });
    expect(executor.calls).toEqual([]);
    for (const side of outcome.run.sides) {
      expect(side.result.cells.map((c) => [c.id, c.state, c.error?.message])).toEqual([
        ['scaled/none/glibc/64/work=2000/runtime=node24', 'skipped', 'runtime node24 is not available (node24 withheld by the test): none'],
      ]);
    }
  });
});

describe('runPairedSides', () => {
  it('interleaves base and head forks A B, B A, …, writes both result files and the comparison, exits 1 on a regression', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-paired-'));
    const options = benchOptionsFrom(['--suite', 'validate-scaled', '--forks', '5', '--out', join(dir, 'run.json')], [validationSuite]);
    const executor = new FakeExecutor(800);
    const sides = [
      { label: 'base' as const, rootDir: '/base-tree' },
      { label: 'head' as const, rootDir: '/head-tree' },
    ];
    const outcome = await runPairedSides(options, sides, pairedDeps(executor));
    expect(executor.calls).toEqual(['base#0', 'head#0', 'head#1', 'base#1', 'base#2', 'head#2', 'head#3', 'base#3', 'base#4', 'head#4']);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.report!.cells[0]!.metrics[0]!.verdictLabel).toBe('slower');
    for (const f of ['run.base.json', 'run.head.json', 'run.compare.md', 'run.compare.json']) expect(existsSync(join(dir, f))).toBe(true);
    expect(readFileSync(join(dir, 'run.compare.md'), 'utf8')).toMatch(/^<!-- buflab-compare -->/);
    const base = JSON.parse(readFileSync(join(dir, 'run.base.json'), 'utf8'));
    expect(base.cells[0].forks).toHaveLength(5);
  });

  it('marks both files as the sides of one paired run, which compare then pairs fork by fork', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-paired-'));
    const options = benchOptionsFrom(['--suite', 'validate-scaled', '--forks', '6', '--out', join(dir, 'run.json')], [validationSuite]);
    const sides = [
      { label: 'base' as const, rootDir: '/base-tree' },
      { label: 'head' as const, rootDir: '/head-tree' },
    ];
    const outcome = await runPairedSides(options, sides, pairedDeps(new FakeExecutor(800)));
    const base = JSON.parse(readFileSync(join(dir, 'run.base.json'), 'utf8'));
    const head = JSON.parse(readFileSync(join(dir, 'run.head.json'), 'utf8'));
    expect(base.pairedRun.id).toBe(head.pairedRun.id);
    expect([base.pairedRun.side, head.pairedRun.side]).toEqual(['base', 'head']);
    expect(base.pairedRun.sides).toEqual(['base', 'head']);
    expect(outcome.report!.design.kind).toBe('paired');
    const ops = outcome.report!.cells[0]!.metrics.find((m) => m.metric === 'opsPerSec')!;
    expect(ops.pairs).toBe(6);
    expect(ops.verdictLabel).toBe('slower');
    expect(outcome.exitCode).toBe(1);
  });

  it('exits 0 when head equals base', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-paired-'));
    const options = benchOptionsFrom(['--suite', 'validate-scaled', '--forks', '5', '--out', join(dir, 'run.json')], [validationSuite]);
    const sides = [
      { label: 'base' as const, rootDir: '/t' },
      { label: 'head' as const, rootDir: '/t' },
    ];
    expect((await runPairedSides(options, sides, pairedDeps(new FakeExecutor(1000)))).exitCode).toBe(0);
  });

  it('runPaired returns 2 with the reason when the baseline ref does not exist', async () => {
    const repo = makeRepo();
    const options = benchOptionsFrom(['--suite', 'validate-scaled', '--baseline', 'no-such-ref'], [validationSuite]);
    const code = await runPaired(options, { ...pairedDeps(new FakeExecutor(1000)), repoRoot: repo, cacheDir: join(repo, '.bench-cache'), tree: { ...realTreeOps, npmCi: () => {} } });
    expect(code).toBe(2);
  });
});

function git(args: string[], cwd: string): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();
}

/** A throw-away repository with a lockfile and a child entry point, one commit. */
function makeRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), 'buflab-repo-'));
  git(['init', '-q', '-b', 'main'], repo);
  mkdirSync(join(repo, 'harness', 'child'), { recursive: true });
  writeFileSync(join(repo, 'harness', 'child', 'main.ts'), '// child\n');
  writeFileSync(join(repo, 'package-lock.json'), '{"lockfileVersion":3}\n');
  git(['add', '.'], repo);
  git(['commit', '-q', '-m', 'first'], repo);
  return repo;
}

describe('prepareBaseline', () => {
  it('adds a worktree at the commit, runs npm ci once, then reuses both', () => {
    const repo = makeRepo();
    const sha = git(['rev-parse', 'HEAD'], repo);
    let npmRuns = 0;
    const ops: TreeOps = { git: realTreeOps.git, npmCi: (cwd) => {
        npmRuns++;
        mkdirSync(join(cwd, 'node_modules'), { recursive: true });
      },
    };
    const cache = join(repo, '.bench-cache');
    const first = prepareBaseline(ops, repo, 'main', cache, () => {});
    expect(first).toEqual({ sha, dir: join(cache, 'worktrees', sha), reusedWorktree: false, ranNpmCi: true });
    expect(readFileSync(join(first.dir, NPM_STAMP), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    const second = prepareBaseline(ops, repo, sha, cache, () => {});
    expect(second.reusedWorktree).toBe(true);
    expect(second.ranNpmCi).toBe(false);
    expect(npmRuns).toBe(1);
    // A changed lockfile (a different hash) runs npm ci again.
    writeFileSync(join(first.dir, 'package-lock.json'), '{"lockfileVersion":3,"x":1}\n');
    expect(prepareBaseline(ops, repo, sha, cache, () => {}).ranNpmCi).toBe(true);
    expect(npmRuns).toBe(2);
  });

  it('refuses an unknown ref and a baseline without the child', () => {
    const repo = makeRepo();
    const ops: TreeOps = { git: realTreeOps.git, npmCi: () => {} };
    expect(() => prepareBaseline(ops, repo, 'nope', join(repo, '.c'), () => {})).toThrow(/--baseline nope: not a commit/);
    git(['rm', '-q', 'harness/child/main.ts'], repo);
    git(['commit', '-q', '-m', 'no child'], repo);
    expect(() => prepareBaseline(ops, repo, 'HEAD', join(repo, '.c'), () => {})).toThrow(/has no harness\/child\/main\.ts/);
  });
});
