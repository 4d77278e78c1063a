/**
 * Per cell, how far apart the forks' instruction counts are (issue 18's "instructions per op of one
 * cell across forks within 1%"), as check-result's cellPrecision states it, with each fork's value.
 * Unlike `npm run check-result` it does not ask for every strategy × allocator (a selection of cells
 * is the usual counted run).
 *   npx tsx scripts/instruction-spread.ts RESULT.json
 * Exit 1 when a completed cell has no fork with a count (the run was not made with --count-instructions).
 */
import { readResultFile } from '../contract/read-result.js';
import { cellPrecision } from './check-result.js';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: npx tsx scripts/instruction-spread.ts RESULT.json (a result of npm run bench -- … --count-instructions)\n');
  process.exit(2);
}
let missing = 0;
for (const cell of cellPrecision(readResultFile(path, { requireSummaries: true }))) {
  if (cell.instructionSpread === null) {
    missing++;
    process.stdout.write(`${cell.id}: no instruction count\n`);
    continue;
  }
  process.stdout.write(`${cell.id.padEnd(56)} ${(cell.instructionSpread * 100).toFixed(2).padStart(6)}%  ${cell.instructionsPerOp.map((c) => (c / 1000).toFixed(2) + 'k').join(' ')}  (${cell.instructionsPerOp.length} forks)\n`);
}
process.exit(missing > 0 ? 1 : 0);
