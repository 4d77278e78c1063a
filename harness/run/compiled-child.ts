/**
 * Children run from compiled JavaScript (`dist/`, built by harness/profile/dist-build.ts as the
 * profiler does): node starts `dist/harness/child/main.js` in about 0.3 s where `--import tsx`
 * needs about 0.7 s more to load its transformer and compile every TypeScript file, and a run makes
 * hundreds of forks. dist/ is rebuilt only when a source file is newer than its build stamp, so a
 * run builds at most once per tree (each side of a `--baseline` run is a tree of its own).
 * If any side cannot be built, every side runs through tsx (the sides must start the same way),
 * and the run says so loudly: on stderr and as a warning in the result file.
 */
import { join, resolve } from 'node:path';
import { ensureBuilt } from '../profile/dist-build.js';
import type { Side } from './executor.js';

/** How children are started: `dist` (compiled JavaScript) or `tsx` (TypeScript through tsx). */
export type ChildEntry = 'dist' | 'tsx';

/** Where `tsconfig.build.json` puts the compiled form of a tree's `path` (e.g. harness/child/main.js). */
export function compiledFile(rootDir: string, ...path: string[]): string {
  return join(resolve(rootDir), 'dist', ...path);
}

/** The compiled child's entry point inside a tree. */
export function compiledChildMain(rootDir: string): string {
  return compiledFile(rootDir, 'harness', 'child', 'main.js');
}

export interface ChildEntryChoice {
  entry: ChildEntry;
  /** Why the run falls back to tsx (null when every side is compiled). */
  fallback: string | null;
}

/** Builds dist/ of every side where stale; falls back to tsx for all sides when one cannot be built. */
export function prepareCompiledChildren(sides: readonly Side[], log: (line: string) => void, build = ensureBuilt): ChildEntryChoice {
  for (const side of sides) {
    try {
      build(side.rootDir, [compiledChildMain(side.rootDir)], (line) => log(`${side.label}: ${line}`));
    } catch (e) {
      const fallback = `children run through tsx, about 0.7 s more start-up per fork: the ${side.label} tree (${side.rootDir}) could not be compiled to dist/ (${(e as Error).message.split('\n')[0]}); fix that (npm run build shows why) for the faster start`;
      log(`warning: ${fallback}`);
      return { entry: 'tsx', fallback };
    }
  }
  return { entry: 'dist', fallback: null };
}
