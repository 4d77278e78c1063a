/**
 * Joining the result files of shards (`npm run bench -- --shard K/N` on N machines or jobs) into one.
 * Refused (pyperf's rule: runs whose checked metadata differ are never merged): different schema
 * versions, suites, CPU models, Node versions or git commits, and a cell present in two files.
 */
import type { CellResult, PairedRunInfo, ResultFile } from '../../contract/result-schema.js';
import { MergeError } from './errors.js';
import { checkEnvironments } from './environment-check.js';

export function mergeResults(files: ReadonlyArray<{ path: string; result: ResultFile }>): ResultFile {
  if (files.length === 0) throw new MergeError('E_MERGE_OPTIONS', 'nothing to merge: pass two or more result files');
  const first = files[0]!;
  const seen = new Map<string, string>();
  for (const { path, result } of files) {
    if (result.suite !== first.result.suite) {
      throw new MergeError('E_MERGE_SUITE', `${path} is suite ${result.suite}, ${first.path} is suite ${first.result.suite}: only shards of one suite can be merged`);
    }
    // Throws EnvironmentMismatchError (E_ENV_MISMATCH) naming the field.
    checkEnvironments(first.result, result, false, [first.path, path]);
    const commitA = first.result.environment.git?.commit ?? null;
    const commitB = result.environment.git?.commit ?? null;
    if (commitA !== commitB) {
      throw new MergeError('E_MERGE_OPTIONS', `environment.git.commit differs: ${first.path} ${JSON.stringify(commitA)}, ${path} ${JSON.stringify(commitB)}: shards must measure the same commit`);
    }
    for (const cell of result.cells) {
      const other = seen.get(cell.id);
      if (other !== undefined) {
        throw new MergeError('E_MERGE_DUPLICATE_CELL', `cell ${cell.id} is in both ${other} and ${path}: shards must not overlap (check their --shard K/N)`);
      }
      seen.set(cell.id, path);
    }
  }
  const starts = files.map((f) => f.result.environment.startedAt).sort();
  const ends = files.map((f) => f.result.environment.finishedAt).filter((t): t is string => t !== undefined).sort();
  const environment = { ...first.result.environment, startedAt: starts[0]! };
  if (ends.length === files.length) environment.finishedAt = ends[ends.length - 1]!;
  else delete environment.finishedAt;
  return {
    ...mergedPairing(files.map((f) => f.result)),
    schemaVersion: first.result.schemaVersion,
    suite: first.result.suite,
    environment,
    options: { mergedFrom: files.map((f) => ({ path: f.path, options: f.result.options })) },
    cells: files
      .flatMap((f) => f.result.cells)
      .map(files.length > 1 ? withoutDriftAdjusted : (c) => c)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    warnings: files.flatMap((f) => f.result.warnings.map((w) => `${f.path}: ${w}`)),
    interrupted: files.some((f) => f.result.interrupted),
  };
}

/**
 * Shards of a paired run stay paired: when every file is the same side of a paired run, the merged
 * file's id joins the shards' ids (sorted), so the merged base and the merged head of the same
 * shards get the same id and compare still pairs their forks (cells are disjoint across shards,
 * so fork i of a cell still has its partner in the other side's shard of the same run).
 */
function mergedPairing(results: readonly ResultFile[]): { pairedRun?: PairedRunInfo } {
  const runs = results.map((r) => r.pairedRun);
  const first = runs[0];
  if (first === undefined || runs.some((p) => p === undefined || p.side !== first.side)) return {};
  const ids = [...new Set(runs.map((p) => p!.id))].sort();
  return { pairedRun: { ...first, id: ids.join(' + ') } };
}

/**
 * A shard's `summary.driftAdjusted` is conditional on that shard's own median machine state
 * (harness/stats/drift.ts), and a slice group's cells can land in different shards: side by side in
 * one file they would read as comparable. The merged file keeps the measured figures only.
 */
function withoutDriftAdjusted(c: CellResult): CellResult {
  if (c.summary?.driftAdjusted === undefined) return c;
  const { driftAdjusted: _dropped, ...summary } = c.summary;
  return { ...c, summary };
}
