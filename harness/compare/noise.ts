/**
 * Calibrated noise: what `npm run calibrate` measured with A/A runs, saved per suite and keyed by the
 * environment fields that matter (CPU model, Node version), so that compare can use a threshold
 * measured on this machine instead of a guess. File: `.bench-cache/noise/<suite>.json`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Environment } from '../../contract/result-schema.js';
import { NoiseFileError } from './errors.js';
import { METRIC_NAMES, type MetricName } from '../../contract/metrics.js';

export const NOISE_FILE_VERSION = 1;

export interface NoiseEntry {
  environment: { cpuModel: string; node: string };
  /** The plan the A/A runs used: thresholds hold for this many forks and this duration. */
  forks: number;
  durationMs: number;
  /** A/A comparisons (runs × cells) the estimate rests on. */
  comparisons: number;
  /** Share of A/A comparisons with a significant verdict under the default thresholds. */
  falsePositiveRateDefault: number;
  /** Same, under the calibrated thresholds (what compare will now see). */
  falsePositiveRate: number;
  /** Per metric: the noise threshold (fraction) compare should use. */
  thresholds: Partial<Record<MetricName, number>>;
  /** Per metric: the smallest change (fraction) detected with ~80% probability at this plan. */
  smallestDetectable: Partial<Record<MetricName, number>>;
  measuredAt: string;
}

export interface NoiseFile {
  kind: 'buflab-noise';
  version: number;
  suite: string;
  entries: NoiseEntry[];
}

export function defaultNoisePath(suite: string, cacheDir = '.bench-cache'): string {
  return join(cacheDir, 'noise', `${suite}.json`);
}

export function readNoiseFile(path: string): NoiseFile {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new NoiseFileError(`${path}: cannot read noise file (${(err as Error).message}); re-run npm run calibrate or pass another --noise`);
  }
  const d = doc as Partial<NoiseFile>;
  if (d.kind !== 'buflab-noise' || d.version !== NOISE_FILE_VERSION || typeof d.suite !== 'string' || !Array.isArray(d.entries)) {
    throw new NoiseFileError(`${path}: not a buflab noise file of version ${NOISE_FILE_VERSION}; re-run npm run calibrate -- --suite NAME`);
  }
  for (const e of d.entries) {
    if (typeof e?.environment?.cpuModel !== 'string' || typeof e.environment.node !== 'string' || typeof e.thresholds !== 'object') {
      throw new NoiseFileError(`${path}: an entry lacks environment.cpuModel/node or thresholds; re-run npm run calibrate`);
    }
    for (const [k, v] of Object.entries(e.thresholds)) {
      if (!(METRIC_NAMES as readonly string[]).includes(k) || typeof v !== 'number' || !(v >= 0)) {
        throw new NoiseFileError(`${path}: threshold ${k}=${String(v)} is not a known metric with a non-negative number`);
      }
    }
  }
  return d as NoiseFile;
}

/** The entry measured in `env`'s CPU model and Node version, if any. */
export function findNoiseEntry(file: NoiseFile, env: Pick<Environment, 'cpuModel' | 'node'>): NoiseEntry | undefined {
  return file.entries.find((e) => e.environment.cpuModel === env.cpuModel && e.environment.node === env.node);
}

/** Adds or replaces the entry for its environment and writes the file. */
export function saveNoiseEntry(path: string, suite: string, entry: NoiseEntry): void {
  const file: NoiseFile = existsSync(path) ? readNoiseFile(path) : { kind: 'buflab-noise', version: NOISE_FILE_VERSION, suite, entries: [] };
  if (file.suite !== suite) throw new NoiseFileError(`${path} holds noise of suite ${file.suite}, not ${suite}; choose another --noise path`);
  file.entries = file.entries.filter((e) => !(e.environment.cpuModel === entry.environment.cpuModel && e.environment.node === entry.environment.node));
  file.entries.push(entry);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n');
}
