/** `npm run merge` as a function (the CLI is harness/cli/merge.ts), so tests drive it with argv. */
import { BuflabError, UsageError } from '../errors.js';
import { writeResultAtomic } from '../run/result-writer.js';
import { readResultFile } from '../../contract/read-result.js';
import { mergeResults } from './merge-results.js';

export const MERGE_HELP = `usage: npm run merge -- SHARD1.json SHARD2.json … --out MERGED.json

Joins the result files of --shard K/N runs of one suite into one result file. Refuses files whose
suite, schema version, CPU model, Node version or git commit differ, and a cell present twice.

example: npm run merge -- results/vpn-1of2.json results/vpn-2of2.json --out results/vpn.json
`;

export function mergeMain(argv: readonly string[]): { stdout: string; stderr: string; exitCode: number } {
  try {
    let out: string | null = null;
    const inputs: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--help' || a === '-h') return { stdout: MERGE_HELP, stderr: '', exitCode: 0 };
      if (a === '--out') {
        out = argv[++i] ?? null;
        if (out === null) throw new UsageError('--out needs a file');
      } else if (a.startsWith('-')) throw new UsageError(`unknown flag ${a}; see npm run merge -- --help`);
      else inputs.push(a);
    }
    if (out === null) throw new UsageError('--out MERGED.json is required');
    if (inputs.length < 2) throw new UsageError(`expected two or more result files to merge, got ${inputs.length}`);
    if (inputs.includes(out)) throw new UsageError(`--out ${out} is also an input; write the merged file elsewhere`);
    const merged = mergeResults(inputs.map((path) => ({ path, result: readResultFile(path) })));
    writeResultAtomic(out, merged);
    return { stdout: `merged ${inputs.length} files, ${merged.cells.length} cells -> ${out}\n`, stderr: '', exitCode: 0 };
  } catch (err) {
    if (err instanceof BuflabError) return { stdout: '', stderr: `merge: [${err.code}] ${err.message}\n`, exitCode: 2 };
    throw err;
  }
}
