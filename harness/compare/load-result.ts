/**
 * Reading result files for compare, merge and calibrate: the schema version is checked first (an
 * unknown or incompatible version is a clear error), then the shape compare relies on.
 */
import { readFileSync } from 'node:fs';
import { SCHEMA_VERSION, type ResultFile } from '../../contract/result-schema.js';
import { EnvironmentMismatchError, ResultFileError } from './errors.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a parsed document; `label` names it in messages (usually the path). */
export function parseResultFile(doc: unknown, label: string): ResultFile {
  if (!isObject(doc)) throw new ResultFileError('E_RESULT_SHAPE', `${label}: not a buflab result file (expected a JSON object with schemaVersion, suite, environment, cells)`);
  const version = doc.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new ResultFileError('E_SCHEMA_VERSION', `${label}: schemaVersion is missing or not an integer (${JSON.stringify(version)}); is this a buflab result file (written by npm run bench --out)?`);
  }
  if (version > SCHEMA_VERSION) {
    throw new ResultFileError('E_SCHEMA_VERSION', `${label}: schemaVersion ${version} is newer than this buflab understands (${SCHEMA_VERSION}); update buflab to compare it`);
  }
  if (version !== SCHEMA_VERSION) {
    throw new ResultFileError('E_SCHEMA_VERSION', `${label}: schemaVersion ${version} is incompatible with this buflab (${SCHEMA_VERSION}); re-run the benchmark with this version to compare`);
  }
  if (typeof doc.suite !== 'string') throw new ResultFileError('E_RESULT_SHAPE', `${label}: "suite" must be a string`);
  const env = doc.environment;
  if (!isObject(env)) throw new ResultFileError('E_RESULT_SHAPE', `${label}: "environment" must be an object`);
  for (const field of ['node', 'cpuModel'] as const) {
    if (typeof env[field] !== 'string') throw new ResultFileError('E_RESULT_SHAPE', `${label}: environment.${field} must be a string`);
  }
  if (!Array.isArray(doc.cells)) throw new ResultFileError('E_RESULT_SHAPE', `${label}: "cells" must be an array`);
  doc.cells.forEach((cell: unknown, i: number) => {
    if (!isObject(cell)) throw new ResultFileError('E_RESULT_SHAPE', `${label}: cells[${i}] is not an object`);
    if (typeof cell.id !== 'string') throw new ResultFileError('E_RESULT_SHAPE', `${label}: cells[${i}].id must be a string`);
    if (cell.state !== 'completed' && cell.state !== 'errored' && cell.state !== 'skipped') {
      throw new ResultFileError('E_RESULT_SHAPE', `${label}: cells[${i}] (${cell.id}) has state ${JSON.stringify(cell.state)}; expected completed, errored or skipped`);
    }
    if (!Array.isArray(cell.forks)) throw new ResultFileError('E_RESULT_SHAPE', `${label}: cells[${i}] (${cell.id}).forks must be an array`);
    cell.forks.forEach((fork: unknown, j: number) => {
      if (!isObject(fork) || typeof fork.opsPerSec !== 'number') {
        throw new ResultFileError('E_RESULT_SHAPE', `${label}: cells[${i}] (${cell.id}).forks[${j}] has no numeric opsPerSec`);
      }
    });
  });
  if (doc.pairedRun !== undefined) {
    const pr = doc.pairedRun;
    if (!isObject(pr) || typeof pr.id !== 'string' || typeof pr.side !== 'string') {
      throw new ResultFileError('E_RESULT_SHAPE', `${label}: "pairedRun" must be an object with string id and side (or absent)`);
    }
  }
  const defaults: Partial<ResultFile> = { warnings: [], options: {}, interrupted: false };
  return { ...defaults, ...doc } as ResultFile;
}

/** Reads and checks a result file from disk. */
export function loadResultFile(path: string): ResultFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ResultFileError('E_RESULT_READ', `${path}: cannot read (${(err as Error).message}); check the path`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ResultFileError('E_RESULT_JSON', `${path}: not valid JSON (${(err as Error).message}); a .jsonl stream is not a result file — pass the --out file of npm run bench`);
  }
  return parseResultFile(doc, path);
}

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
