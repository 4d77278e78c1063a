/**
 * `npm run merge -- a.json b.json … --out merged.json`: joins shards' result files (see
 * harness/compare/merge-results.ts for what is refused). Exit 0 written, 2 refused or bad input.
 */
import { mergeMain } from '../compare/merge-command.js';

const r = mergeMain(process.argv.slice(2));
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
process.exitCode = r.exitCode;
