/**
 * Whether two result files were measured where a comparison means anything (compare, merge). The
 * files themselves are read and checked by contract/read-result.ts.
 */
import type { CellResult, ResultFile } from '../../contract/result-schema.js';
import { EnvironmentMismatchError } from './errors.js';

/**
 * The environment fields that must match for a comparison to mean anything. Timing differences
 * across CPU models or Node (V8) versions are the machine's, not the code's.
 */
export const CHECKED_ENVIRONMENT_FIELDS = ['cpuModel', 'node'] as const;

/** Throws EnvironmentMismatchError naming the first field that differs; returns the differences as warnings under `force`. */
export function checkEnvironments(base: ResultFile, head: ResultFile, force: boolean, labels: [string, string] = ['base', 'head']): string[] {
  const differences: Array<{ field: string; a: unknown; b: unknown }> = [];
  if (base.schemaVersion !== head.schemaVersion) differences.push({ field: 'schemaVersion', a: base.schemaVersion, b: head.schemaVersion });
  for (const field of CHECKED_ENVIRONMENT_FIELDS) {
    if (base.environment[field] !== head.environment[field]) {
      differences.push({ field: `environment.${field}`, a: base.environment[field], b: head.environment[field] });
    }
  }
  const lines = differences.map((d) => `${d.field} differs: ${labels[0]} ${JSON.stringify(d.a)}, ${labels[1]} ${JSON.stringify(d.b)}`);
  if (differences.length > 0 && !force) {
    throw new EnvironmentMismatchError(
      differences[0]!.field,
      `refusing to compare: ${lines.join('; ')}. Results from different environments are not comparable; re-run both on one machine, or pass --force to compare anyway`,
    );
  }
  return lines.map((l) => `--force: ${l}`);
}

/** The Node versions a cell's forks reported, sorted and joined (`v20.20.2`). */
function versionsOf(c: CellResult): string {
  return [...new Set(c.forks.map((f) => f.node.version))].sort().join(',');
}

/**
 * Cells paired by id must have run on the same runtime and Node version (issue 14): V8 versions
 * change the answer, so a base on node20 and a head on node24 under one id would report the
 * runtime's effect as the code's. The versions the forks reported are compared always; the
 * runtime names only when both files carry them (a file from before the runtime axis has none, and
 * its cells ran on the parent's node, whose version its forks still report). Within one file the
 * runtime is an axis like any other (the run's `axisRatios` pair cells of one runtime); across
 * files, compare runs with the same `--runtime` on both sides. Throws EnvironmentMismatchError
 * naming the first cell; under `force`, returns the differences as warnings.
 */
export function checkCellRuntimes(base: ResultFile, head: ResultFile, force: boolean, labels: [string, string] = ['base', 'head']): string[] {
  const headById = new Map(head.cells.map((c) => [c.id, c]));
  const lines: string[] = [];
  let first: string | null = null;
  for (const b of base.cells) {
    const h = headById.get(b.id);
    if (h === undefined || b.forks.length === 0 || h.forks.length === 0) continue;
    const named = b.runtime !== undefined && h.runtime !== undefined;
    if (versionsOf(b) === versionsOf(h) && (!named || b.runtime === h.runtime)) continue;
    const describe = (c: CellResult): string => `${named ? `${c.runtime} ` : ''}${versionsOf(c)}`;
    first ??= b.id;
    lines.push(`cell ${b.id} ran on ${describe(b)} in ${labels[0]} but on ${describe(h)} in ${labels[1]}`);
  }
  if (lines.length > 0 && !force) {
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more cell${lines.length > 2 ? 's' : ''})` : '';
    throw new EnvironmentMismatchError(
      `cells[${first}].runtime`,
      `refusing to compare: ${lines[0]}${more}. A runtime's V8 changes the answer: run both sides with the same --runtime (compare runtimes within one run: npm run bench -- --runtime node20,node24), or pass --force to compare anyway`,
    );
  }
  return lines.map((l) => `--force: ${l}`);
}
