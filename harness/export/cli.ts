/** `npx tsx harness/export/cli.ts --format bmf|gab-bigger|gab-smaller RESULT.json [--out FILE]`: see export-command.ts. */
import { exportMain } from './export-command.js';

const r = exportMain(process.argv.slice(2));
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
process.exitCode = r.exitCode;
