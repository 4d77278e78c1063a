/**
 * Reads a result file (the JSON contract of contract/result-schema.ts) and checks what the reports
 * rely on. Throws {@link ReportError} with a stable code; never returns a half-checked file.
 */
import { readFileSync } from 'node:fs';
import type { CellResult, ResultFile } from '../contract/result-schema.js';
import { SCHEMA_VERSION } from '../contract/result-schema.js';
import { ReportError } from './errors.js';

const STATES = new Set(['completed', 'errored', 'skipped']);

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Checks the parts of one cell the report reads; returns a problem description or null. */
function cellProblem(cell: unknown, index: number): string | null {
  if (!isObject(cell)) return `cells[${index}] is not an object`;
  for (const key of ['id', 'strategy', 'allocator', 'workload'] as const) {
    if (typeof cell[key] !== 'string') return `cells[${index}].${key} is not a string`;
  }
  if (typeof cell.size !== 'number') return `cells[${index}].size is not a number`;
  if (typeof cell.state !== 'string' || !STATES.has(cell.state)) return `cells[${index}].state is ${JSON.stringify(cell.state)}, expected completed|errored|skipped`;
  if (!Array.isArray(cell.forks)) return `cells[${index}].forks is not an array`;
  if (cell.state === 'completed' && !isObject(cell.summary)) return `cells[${index}] (${String(cell.id)}) is completed but has no summary`;
  return null;
}

/** Parses and validates result JSON text; `source` names the file in messages. */
export function parseResult(text: string, source: string): ResultFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ReportError('RESULT_NOT_JSON', `${source} is not JSON (${(err as Error).message}); pass the final result file written by 'npm run bench -- --out FILE', not the .jsonl stream`, { cause: err });
  }
  if (!isObject(data)) throw new ReportError('RESULT_MALFORMED', `${source}: a result file is a JSON object with schemaVersion, environment and cells`);
  if (data.schemaVersion !== SCHEMA_VERSION) {
    throw new ReportError(
      'RESULT_SCHEMA_MISMATCH',
      `${source} has schemaVersion ${JSON.stringify(data.schemaVersion)} but this report reads version ${SCHEMA_VERSION}; re-run the bench with this checkout or render with the matching buflab version`,
    );
  }
  if (!isObject(data.environment)) throw new ReportError('RESULT_MALFORMED', `${source}: missing "environment" object`);
  if (!Array.isArray(data.cells)) throw new ReportError('RESULT_MALFORMED', `${source}: missing "cells" array`);
  (data.cells as unknown[]).forEach((c, i) => {
    const problem = cellProblem(c, i);
    if (problem) throw new ReportError('RESULT_MALFORMED', `${source}: ${problem}`);
  });
  const file = data as unknown as ResultFile;
  // Older writers may omit these two; treat absence as "none" rather than failing.
  if (!Array.isArray(file.warnings)) file.warnings = [];
  if (typeof file.interrupted !== 'boolean') file.interrupted = false;
  for (const c of file.cells as CellResult[]) if (!Array.isArray(c.warnings)) c.warnings = [];
  return file;
}

/** Reads and validates a result file from disk. */
export function loadResult(path: string): ResultFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ReportError('RESULT_UNREADABLE', `cannot read result file ${path}: ${(err as Error).message}; run 'npm run bench -- --suite NAME --out ${path}' first`, { cause: err });
  }
  return parseResult(text, path);
}
