import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compiledChildMain, prepareCompiledChildren } from '../../../harness/run/compiled-child.js';
import { compiledArgs, counterAgentPath } from '../../../harness/run/executor.js';
import type { Side } from '../../../harness/run/executor.js';

const SIDES: Side[] = [{ label: 'base', rootDir: '/cache/base' }, { label: 'head', rootDir: '/repo' }];

describe('compiled children', () => {
  it('builds every side and starts the compiled child', () => {
    const built: Array<[string, string[]]> = [];
    const log: string[] = [];
    const choice = prepareCompiledChildren(SIDES, (l) => log.push(l), (root, required, say) => {
      built.push([root, required]);
      say?.('building dist/ (dist/ has not been built by npm run build yet) …');
      return { built: true, diagnostics: null };
    });
    expect(choice).toEqual({ entry: 'dist', fallback: null });
    expect(built).toEqual([['/cache/base', ['/cache/base/dist/harness/child/main.js']], ['/repo', ['/repo/dist/harness/child/main.js']]]);
    expect(log).toEqual(['base: building dist/ (dist/ has not been built by npm run build yet) …', 'head: building dist/ (dist/ has not been built by npm run build yet) …']);
  });

  it('when one side cannot be built, every side runs through tsx, and says so', () => {
    const log: string[] = [];
    const choice = prepareCompiledChildren(SIDES, (l) => log.push(l), (root) => {
      if (root === '/cache/base') throw new Error("ENOENT: no such file or directory, open '/cache/base/tsconfig.build.json'\nmore");
      return { built: false, diagnostics: null };
    });
    expect(choice.entry).toBe('tsx');
    expect(choice.fallback).toBe(
      "children run through tsx, about 0.7 s more start-up per fork: the base tree (/cache/base) could not be compiled to dist/ (ENOENT: no such file or directory, open '/cache/base/tsconfig.build.json'); fix that (npm run build shows why) for the faster start",
    );
    expect(log).toEqual([`warning: ${choice.fallback}`]);
  });

  it('the command line keeps the V8 flags, drops tsx and ends with the side\'s compiled entry point', () => {
    const tsxArgs = ['--max-semi-space-size=16', '--expose-gc', '--import', 'tsx', '/repo/harness/child/main.ts'];
    expect(compiledArgs(tsxArgs, '/repo', false)).toEqual(['--max-semi-space-size=16', '--expose-gc', compiledChildMain('/repo')]);
    // --count-instructions: the perf agent is TypeScript and loads through tsx before the entry point
    const perf = ['--expose-gc', '--import', 'tsx', '--import', '/repo/harness/measure/perf-control-agent.ts', '/cache/base/harness/child/main.ts'];
    expect(compiledArgs(perf, '/cache/base', true)).toEqual(['--expose-gc', '--import', 'tsx', '--import', '/repo/harness/measure/perf-control-agent.ts', '/cache/base/dist/harness/child/main.js']);
  });
});

describe('the counter agent of a counted child', () => {
  it("is the tree's compiled agent when the child is compiled and dist/ has it; else none (tsx loads the TypeScript one)", () => {
    const root = mkdtempSync(join(tmpdir(), 'buflab-agent-'));
    try {
      expect(counterAgentPath(root, 'dist')).toBeNull();
      const dir = join(root, 'dist', 'harness', 'measure');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'perf-control-agent.js'), '');
      expect(counterAgentPath(root, 'dist')).toBe(join(dir, 'perf-control-agent.js'));
      expect(counterAgentPath(root, 'tsx')).toBeNull();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
