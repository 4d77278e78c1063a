/**
 * Whether two result files were measured where a comparison means anything (compare, merge). The
 * files themselves are read and checked by contract/read-result.ts.
 */
import type { ResultFile } from '../../contract/result-schema.js';
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
