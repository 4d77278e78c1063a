/**
 * The one reader of the result contract: a result file (file → checked {@link ResultFile}) and a
 * fork record (the child's reply, also every entry of `cells[].forks`). compare, merge, export,
 * reports, notebooks, the result checker and the parent's check of a child's record all read
 * through here, so a file is either accepted by every tool or refused by every tool with the same
 * {@link ResultReadError} code. docs/RESULTS.md lists the codes and what each asks the user to do.
 *
 * Compatibility: every schema-1 file loads, including files written before the additive fields
 * (warm-up class, series, cpu, jit, consistency, rounds…): those fields are optional and only
 * checked when present. The fields below have been written by every schema-1 child.
 */
import { readFileSync } from 'node:fs';
import { SCHEMA_VERSION, WARMUP_CLASSES, type ResultFile } from './result-schema.js';
import { BuflabError } from './errors.js';

/**
 * `E_RESULT_READ`: the file cannot be read. `E_RESULT_JSON`: not JSON. `E_RESULT_SHAPE`: JSON, but
 * not a result file (a field missing or of the wrong type). `E_SCHEMA_VERSION`: a result file of
 * a version this checkout does not read.
 */
export type ResultReadErrorCode = 'E_RESULT_READ' | 'E_RESULT_JSON' | 'E_RESULT_SHAPE' | 'E_SCHEMA_VERSION';
export const RESULT_READ_ERROR_CODES: readonly ResultReadErrorCode[] = ['E_RESULT_READ', 'E_RESULT_JSON', 'E_RESULT_SHAPE', 'E_SCHEMA_VERSION'];

/** A result file that cannot be used; `code` is stable, the message names the file and field and says what to do. */
export class ResultReadError extends BuflabError {
  declare readonly code: ResultReadErrorCode;
  constructor(code: ResultReadErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface ReadOptions {
  /**
   * Refuse a completed cell without a `summary` (the reports draw summaries; compare and export
   * recompute from the forks and do not need one). Default false.
   */
  requireSummaries?: boolean;
}

type Obj = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

const STATES = new Set(['completed', 'errored', 'skipped']);
const CELL_STRINGS = ['id', 'workload', 'strategy', 'allocator'] as const;

/** What a fork record must match: the cell it belongs to. */
export interface ForkExpectation {
  cellId: string;
  allocator: string;
}

/**
 * Every way `v` fails to be a fork record of the cell `expect` names (empty when it is one). The
 * required fields are the ones every schema-1 child has written; the additive ones are checked
 * only when present.
 */
export function forkRecordProblems(v: unknown, expect: ForkExpectation): string[] {
  const p: string[] = [];
  if (!isObject(v)) return ['the record is not a JSON object'];
  if (v.kind !== 'buflab-fork') p.push(`kind must be 'buflab-fork', got ${JSON.stringify(v.kind)}`);
  if (v.schemaVersion !== SCHEMA_VERSION) p.push(`schemaVersion ${JSON.stringify(v.schemaVersion)} is not ${SCHEMA_VERSION}`);
  if (v.cellId !== expect.cellId) p.push(`cellId ${JSON.stringify(v.cellId)} is not this cell's id ${JSON.stringify(expect.cellId)}`);
  if (!Number.isInteger(v.forkIndex) || (v.forkIndex as number) < 0) p.push('forkIndex must be a non-negative integer');
  num(v, 'pid', p);
  for (const k of ['startedAt', 'finishedAt'] as const) {
    if (typeof v[k] !== 'string' || Number.isNaN(Date.parse(v[k] as string))) p.push(`${k} must be an ISO date`);
  }
  const allocator = obj(v, 'allocator', p);
  if (allocator) {
    if (allocator.name !== expect.allocator) p.push(`allocator.name ${JSON.stringify(allocator.name)} is not the cell's ${JSON.stringify(expect.allocator)}`);
    if (allocator.verified !== true) p.push('allocator.verified must be true');
  }
  const node = obj(v, 'node', p);
  if (node) {
    if (typeof node.version !== 'string' || typeof node.v8 !== 'string') p.push('node.version and node.v8 must be strings');
    if (!Array.isArray(node.execArgv)) p.push('node.execArgv must be an array');
  }
  // Additive (issue 14): the runtime binary, added by the parent; it must be the one the child reported.
  if (v.runtime !== undefined) {
    const rt = obj(v, 'runtime', p);
    const strings = rt !== undefined && ['name', 'path', 'version', 'v8', 'source'].every((k) => typeof rt[k] === 'string') && (rt.sha256 === null || typeof rt.sha256 === 'string');
    if (rt !== undefined && !strings) p.push('runtime must hold name, path, version, v8 and source (strings) and sha256 (a string or null)');
    else if (rt !== undefined && node && rt.version !== node.version) p.push(`runtime.version ${JSON.stringify(rt.version)} is not the child's node.version ${JSON.stringify(node.version)}`);
  }
  const warmup = obj(v, 'warmup', p);
  if (warmup) {
    num(warmup, 'ops', p, 'warmup.');
    num(warmup, 'elapsedMs', p, 'warmup.');
    if (typeof warmup.steady !== 'boolean' || typeof warmup.rule !== 'string') p.push('warmup.steady / warmup.rule missing');
    if (warmup.class !== undefined && !(WARMUP_CLASSES as readonly unknown[]).includes(warmup.class)) {
      p.push(`warmup.class ${JSON.stringify(warmup.class)} is not one of ${WARMUP_CLASSES.join(', ')}`);
    }
    if (warmup.steadyFromMs !== undefined) num(warmup, 'steadyFromMs', p, 'warmup.');
  }
  for (const k of ['batchSize', 'ops', 'elapsedNs', 'opsPerSec', 'bytesPerSec', 'timerOverheadNs'] as const) num(v, k, p);
  if (isFiniteNumber(v.ops) && v.ops <= 0) p.push('ops must be positive');
  if (isFiniteNumber(v.batchSize) && (!Number.isInteger(v.batchSize) || v.batchSize < 1)) p.push('batchSize must be an integer >= 1');
  const lat = obj(v, 'latencyNs', p);
  if (lat) for (const k of ['p50', 'p90', 'p99', 'p999', 'max', 'min', 'mean', 'count'] as const) num(lat, k, p, 'latencyNs.');
  const base = obj(v, 'baseline', p);
  if (base) for (const k of ['nsPerOp', 'heapBytesPerOp'] as const) num(base, k, p, 'baseline.');
  const gc = obj(v, 'gc', p);
  if (gc) {
    for (const k of ['count', 'pauseMsTotal', 'pauseMsMax', 'timeShare'] as const) num(gc, k, p, 'gc.');
    if (!isObject(gc.byKind)) p.push('gc.byKind must be an object');
    if (!Array.isArray(gc.pauses)) p.push('gc.pauses must be an array');
  }
  const alloc = obj(v, 'alloc', p);
  if (alloc) {
    for (const k of ['heapBytesPerOp', 'arrayBufferBytesPerOp', 'externalBytesPerOp'] as const) num(alloc, k, p, 'alloc.');
    const s = obj(alloc, 'strategyPerOp', p, 'alloc.');
    if (s) for (const k of ['allocations', 'allocatedBytes', 'copies', 'copiedBytes', 'views'] as const) num(s, k, p, 'alloc.strategyPerOp.');
  }
  const mem = obj(v, 'memory', p);
  if (mem) {
    for (const k of ['peakRssBytes', 'heapUsedBytes', 'heapTotalBytes', 'arrayBuffersBytes', 'externalBytes'] as const) num(mem, k, p, 'memory.');
    if (!Array.isArray(mem.timeline)) p.push('memory.timeline must be an array');
  }
  if (v.latencyHistogram !== undefined) {
    const hist = obj(v, 'latencyHistogram', p);
    if (hist) {
      if (hist.format !== 'buflab-hdr-1') p.push(`latencyHistogram.format ${JSON.stringify(hist.format)} is unknown`);
      if (lat && hist.count !== lat.count) p.push('latencyHistogram.count differs from latencyNs.count');
      if (!Array.isArray(hist.buckets) || hist.buckets.length % 2 !== 0) p.push('latencyHistogram.buckets must hold [index delta, count] pairs');
    }
  }
  if (v.gcTails !== undefined) {
    const tails = obj(v, 'gcTails', p);
    if (tails) {
      for (const k of ['p99', 'p999'] as const) {
        const t = obj(tails, k, p, 'gcTails.');
        if (t) for (const f of ['thresholdNs', 'slowOps', 'overlappingGc', 'share'] as const) num(t, f, p, `gcTails.${k}.`);
      }
    }
  }
  if (v.latencyTimeline !== undefined && !Array.isArray(v.latencyTimeline)) p.push('latencyTimeline must be an array of [tMs, latencyNs]');
  if (v.openLoop !== undefined) {
    const open = obj(v, 'openLoop', p);
    if (open) for (const k of ['rateOpsPerSec', 'achievedOpsPerSec'] as const) num(open, k, p, 'openLoop.');
  }
  if (v.instructionsPerOp !== undefined) num(v, 'instructionsPerOp', p);
  if (v.instructionSource !== undefined && v.instructionSource !== 'perf' && v.instructionSource !== 'callgrind') {
    p.push(`instructionSource ${JSON.stringify(v.instructionSource)} is not perf or callgrind`);
  }
  if (!isObject(v.workloadCounters)) p.push('workloadCounters must be an object');
  if (!Array.isArray(v.warnings) || !v.warnings.every((w) => typeof w === 'string')) p.push('warnings must be a string array');
  return p;
}

/** The first problem of one cell of a result file, or null. */
function cellProblem(cell: unknown, i: number, options: ReadOptions): string | null {
  if (!isObject(cell)) return `cells[${i}] is not an object`;
  for (const key of CELL_STRINGS) if (typeof cell[key] !== 'string') return `cells[${i}].${key} must be a string`;
  const at = `cells[${i}] (${String(cell.id)})`;
  if (!isFiniteNumber(cell.size)) return `${at}.size must be a number`;
  if (typeof cell.state !== 'string' || !STATES.has(cell.state)) return `${at} has state ${JSON.stringify(cell.state)}; expected completed, errored or skipped`;
  if (!Array.isArray(cell.forks)) return `${at}.forks must be an array`;
  if (cell.summary !== undefined && !isObject(cell.summary)) return `${at}.summary must be an object`;
  if (options.requireSummaries === true && cell.state === 'completed' && cell.summary === undefined) return `${at} is completed but has no summary`;
  if (cell.error !== undefined && (!isObject(cell.error) || typeof cell.error.code !== 'string')) return `${at}.error must be an object with a string code`;
  const expect = { cellId: cell.id as string, allocator: cell.allocator as string };
  for (let j = 0; j < cell.forks.length; j++) {
    const problems = forkRecordProblems(cell.forks[j], expect);
    if (problems.length > 0) return `${at}.forks[${j}]: ${problems.slice(0, 5).join('; ')}`;
  }
  return null;
}

/**
 * Checks a parsed document; `label` names it in messages (usually the path). Returns the same
 * object typed, with the fields older writers may omit (`warnings`, `options`, `interrupted`,
 * `cells[].warnings`, `params`, `v8Flags`) filled with their empty values.
 */
export function parseResultDocument(doc: unknown, label: string, options: ReadOptions = {}): ResultFile {
  const shape = (what: string): ResultReadError => new ResultReadError('E_RESULT_SHAPE', `${label}: ${what}; pass a result file written by 'npm run bench -- --out FILE'`);
  if (!isObject(doc)) throw shape('not a buflab result file (expected a JSON object with schemaVersion, suite, environment, cells)');
  const version = doc.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    throw new ResultReadError('E_SCHEMA_VERSION', `${label}: schemaVersion is missing or not an integer (${JSON.stringify(version)}); is this a buflab result file (written by npm run bench -- --out FILE)?`);
  }
  if (version > SCHEMA_VERSION) {
    throw new ResultReadError('E_SCHEMA_VERSION', `${label}: schemaVersion ${version} is newer than this buflab understands (${SCHEMA_VERSION}); update this checkout to read it`);
  }
  if (version !== SCHEMA_VERSION) {
    throw new ResultReadError('E_SCHEMA_VERSION', `${label}: schemaVersion ${version} is incompatible with this buflab (${SCHEMA_VERSION}); re-run the benchmark with this checkout, or read it with the buflab version that wrote it`);
  }
  if (typeof doc.suite !== 'string') throw shape('"suite" must be a string');
  const env = doc.environment;
  if (!isObject(env)) throw shape('"environment" must be an object');
  for (const field of ['node', 'cpuModel'] as const) {
    if (typeof env[field] !== 'string') throw shape(`environment.${field} must be a string`);
  }
  if (!Array.isArray(doc.cells)) throw shape('"cells" must be an array');
  for (let i = 0; i < doc.cells.length; i++) {
    const problem = cellProblem(doc.cells[i], i, options);
    if (problem !== null) throw shape(problem);
  }
  if (doc.pairedRun !== undefined) {
    const pr = doc.pairedRun;
    if (!isObject(pr) || typeof pr.id !== 'string' || typeof pr.side !== 'string') throw shape('"pairedRun" must be an object with string id and side (or absent)');
  }
  // Older writers may omit these; absence means "none".
  if (!Array.isArray(doc.warnings)) doc.warnings = [];
  if (!isObject(doc.options)) doc.options = {};
  if (typeof doc.interrupted !== 'boolean') doc.interrupted = false;
  for (const c of doc.cells as Obj[]) {
    if (!Array.isArray(c.warnings)) c.warnings = [];
    if (!isObject(c.params)) c.params = {};
    if (!Array.isArray(c.v8Flags)) c.v8Flags = [];
  }
  return doc as unknown as ResultFile;
}

/** Parses result JSON text; `label` names the source in messages. */
export function parseResultText(text: string, label: string, options: ReadOptions = {}): ResultFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ResultReadError(
      'E_RESULT_JSON',
      `${label}: not valid JSON (${(err as Error).message}); pass the result file written by 'npm run bench -- --out FILE' (the .jsonl stream beside it is not a result file)`,
      { cause: err },
    );
  }
  return parseResultDocument(doc, label, options);
}

/** Reads and checks a result file from disk. Throws {@link ResultReadError}. */
export function readResultFile(path: string, options: ReadOptions = {}): ResultFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ResultReadError('E_RESULT_READ', `${path}: cannot read (${(err as Error).message}); check the path, or write it first with 'npm run bench -- --suite NAME --out ${path}'`, { cause: err });
  }
  return parseResultText(text, path, options);
}

function num(o: Obj, k: string, p: string[], prefix = ''): void {
  if (!isFiniteNumber(o[k])) p.push(`${prefix}${k} must be a finite number, got ${JSON.stringify(o[k])}`);
}

function obj(o: Obj, k: string, p: string[], prefix = ''): Obj | undefined {
  const v = o[k];
  if (!isObject(v)) {
    p.push(`${prefix}${k} must be an object`);
    return undefined;
  }
  return v;
}
