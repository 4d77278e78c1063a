/**
 * Export a result file for a continuous-benchmarking service (entry point: ./cli.ts):
 *   npx tsx harness/export/cli.ts --format bmf|gab-bigger|gab-smaller RESULT.json [--out FILE]
 * bmf: Bencher Metric Format (bencher run --adapter json --file FILE); gab-bigger / gab-smaller:
 * github-action-benchmark with tool customBiggerIsBetter / customSmallerIsBetter.
 * Exit 2 on bad input.
 */
import { writeFileSync } from 'node:fs';
import { BuflabError, UsageError } from '../errors.js';
import { readResultFile } from '../../contract/read-result.js';
import { toBencherMetricFormat, toGithubActionBenchmarkBigger, toGithubActionBenchmarkSmaller } from './exporters.js';

const FORMATS = { bmf: toBencherMetricFormat, 'gab-bigger': toGithubActionBenchmarkBigger, 'gab-smaller': toGithubActionBenchmarkSmaller } as const;

export function exportMain(argv: readonly string[]): { stdout: string; stderr: string; exitCode: number } {
  try {
    let format: keyof typeof FORMATS | null = null;
    let out: string | null = null;
    const files: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--format') {
        const v = argv[++i] ?? '';
        if (!(v in FORMATS)) throw new UsageError(`--format ${v}: expected ${Object.keys(FORMATS).join(', ')}`);
        format = v as keyof typeof FORMATS;
      } else if (a === '--out') out = argv[++i] ?? null;
      else if (a.startsWith('-')) throw new UsageError(`unknown flag ${a}`);
      else files.push(a);
    }
    if (format === null || files.length !== 1) throw new UsageError('usage: npx tsx harness/export/cli.ts --format bmf|gab-bigger|gab-smaller RESULT.json [--out FILE]');
    const json = JSON.stringify(FORMATS[format](readResultFile(files[0]!)), null, 2) + '\n';
    if (out !== null) {
      writeFileSync(out, json);
      return { stdout: `wrote ${out}\n`, stderr: '', exitCode: 0 };
    }
    return { stdout: json, stderr: '', exitCode: 0 };
  } catch (err) {
    if (err instanceof BuflabError) return { stdout: '', stderr: `export: [${err.code}] ${err.message}\n`, exitCode: 2 };
    throw err;
  }
}

