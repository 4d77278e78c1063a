/** `npm run compare -- BASE HEAD [flags]`: see harness/compare/compare-command.ts and --help. */
import { compareMain } from '../compare/compare-command.js';

const { stdout, stderr, exitCode } = compareMain(process.argv.slice(2));
process.stdout.write(stdout);
process.stderr.write(stderr);
process.exitCode = exitCode;
