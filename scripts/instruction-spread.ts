/**
 * Per cell, how far apart the forks' instruction counts are (issue 18's "instructions per op of one
 * cell across forks within 1%"): max/min − 1 of `instructionsPerOp`, with each fork's value.
 *   npx tsx scripts/instruction-spread.ts RESULT.json
 * Exit 1 when a cell has no fork with a count (the run was not made with --count-instructions).
 */
import { readResultFile } from '../contract/read-result.js';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: npx tsx scripts/instruction-spread.ts RESULT.json (a result of npm run bench -- … --count-instructions)\n');
  process.exit(2);
}
const result = readResultFile(path);
let missing = 0;
for (const cell of result.cells) {
  const counts = cell.forks.map((f) => f.instructionsPerOp).filter((v): v is number => v !== undefined);
  if (counts.length === 0) {
    missing++;
    process.stdout.write(`${cell.id}: no instruction count\n`);
    continue;
  }
  const spread = Math.max(...counts) / Math.min(...counts) - 1;
  const source = cell.forks.find((f) => f.instructionSource !== undefined)?.instructionSource ?? '?';
  process.stdout.write(`${cell.id.padEnd(56)} ${(spread * 100).toFixed(2).padStart(6)}%  ${counts.map((c) => (c / 1000).toFixed(2) + 'k').join(' ')}  (${source}, ${counts.length} forks)\n`);
}
process.exit(missing > 0 ? 1 : 0);
