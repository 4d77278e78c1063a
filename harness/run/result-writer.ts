/**
 * Writes the result JSON atomically (temporary file in the same directory, then rename), after every
 * completed cell and at the end, so a result file is always there and never half-written.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ResultFile } from '../../contract/result-schema.js';

export function writeResultAtomic(path: string, result: ResultFile): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(result, null, 2) + '\n');
  renameSync(tmp, path);
}

/** `results/<suite>-<UTC timestamp>.json`, the timestamp file-name safe (`2026-11-21T23-40-05Z`). */
export function defaultResultPath(suite: string, at: Date): string {
  const stamp = at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return join('results', `${suite}-${stamp}.json`);
}

/** The JSONL stream beside a result file: `x.json` → `x.jsonl` (other names get `.jsonl` appended). */
export function jsonlPathFor(resultPath: string): string {
  return resultPath.endsWith('.json') ? `${resultPath}l` : `${resultPath}.jsonl`;
}

/** A side's result path in a paired run: `x.json` → `x.base.json` / `x.head.json`. */
export function sideResultPath(resultPath: string, label: string, sideCount: number): string {
  if (sideCount === 1) return resultPath;
  return resultPath.endsWith('.json') ? `${resultPath.slice(0, -5)}.${label}.json` : `${resultPath}.${label}`;
}
