/**
 * Archives a result file for the paper figures: `npx tsx notebooks/archive.ts RESULT.json NAME`
 * writes `notebooks/data/NAME.json`, the same result with the bulky per-fork time series removed
 * (latency timeline and histogram, GC pause list, memory timeline) and written compactly, so the
 * archived data stays small enough to commit. The figures read only cell summaries and the fork
 * scalars, which are kept intact; what was dropped is listed in `options.archive`.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ForkRecord, ResultFile } from '../contract/result-schema.js';

export const DROPPED_FORK_FIELDS = ['latencyTimeline', 'latencyHistogram', 'gc.pauses', 'memory.timeline'] as const;

export function slimResult(result: ResultFile, source: string): ResultFile {
  const slimFork = (f: ForkRecord): ForkRecord => {
    const { latencyTimeline: _t, latencyHistogram: _h, ...rest } = f;
    return { ...rest, gc: { ...f.gc, pauses: [] }, memory: { ...f.memory, timeline: [] } };
  };
  return {
    ...result,
    options: { ...result.options, archive: { source: basename(source), droppedForkFields: [...DROPPED_FORK_FIELDS] } },
    cells: result.cells.map((c) => ({ ...c, forks: c.forks.map(slimFork) })),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [source, name] = process.argv.slice(2);
  if (source === undefined || name === undefined || !/^[a-z0-9-]+$/.test(name)) {
    console.error('usage: npx tsx notebooks/archive.ts RESULT.json NAME   (NAME: lower-case letters, digits, dashes)');
    process.exit(2);
  }
  const result = JSON.parse(readFileSync(source, 'utf8')) as ResultFile;
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'data');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${name}.json`);
  writeFileSync(out, JSON.stringify(slimResult(result, source)) + '\n');
  console.log(`wrote ${out}`);
}
