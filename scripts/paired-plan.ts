/**
 * Prints the forks a paired CI run needs, as GitHub Actions outputs (KEY=VALUE lines), and the
 * reason on stderr:
 *   npx tsx scripts/paired-plan.ts --suite vpn --quick --shard 1/4
 * forks=11 (the fewest fork pairs whose signed-rank test can reach p < 0.05 with Holm over every
 * cell compare will see after merging the shards; see harness/paired/paired-plan.ts), cells, and
 * cells_per_shard. Bench flags (--suite, --quick, --strategy, --allocator, --shard…) select the
 * cells exactly as `npm run bench` would, so the plan and the run cannot disagree.
 */
import type { AllocatorName, Availability } from '../allocators/native-allocators.js';
import { parseBenchArgs } from '../harness/cli/args.js';
import { pairedForksNeeded } from '../harness/compare/compare-results.js';
import { pairedPlan } from '../harness/paired/paired-plan.js';
import { SUITES } from '../harness/suites.js';

const command = parseBenchArgs(process.argv.slice(2), SUITES);
if (command.kind !== 'run') {
  process.stderr.write('usage: npx tsx scripts/paired-plan.ts --suite NAME [--quick] [--shard K/N] [bench filters]\n');
  process.exit(2);
}
const suite = SUITES.find((s) => s.name === command.options.suite)!;
// Count every allocator as installed: the plan job may run on a machine without them, and a cell
// skipped on the benchmark machine only shrinks the family (the forks stay sufficient).
const everyAllocator = (name: AllocatorName): Availability => ({ available: true, name, path: null });
const first = pairedPlan(suite, command.options, 0.05, everyAllocator);
// Plan with the forks the family needs (never fewer than the suite's own), then say so.
const forks = Math.max(first.forks, pairedForksNeeded(first.familyCells));
const plan = pairedPlan(suite, { ...command.options, forks }, 0.05, everyAllocator);
process.stderr.write(plan.message + '\n');
process.stdout.write(`forks=${plan.forks}\ncells=${plan.familyCells}\ncells_per_shard=${plan.shardCells}\n`);
