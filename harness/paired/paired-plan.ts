/**
 * How many forks a paired run (`--baseline`) needs so that compare can use its paired design.
 *
 * compare compares paired (Wilcoxon signed-rank over fork pairs) only when the smallest p-value n
 * pairs can give, 2/2^n, times Holm's factor (the cells compared) is below alpha; otherwise it falls
 * back to the unpaired design, which cannot cancel drift (compare-results.ts chooseDesign). The
 * family compare corrects over is every cell it compares: with `--shard K/N` the CI workflow merges
 * the shards first, so the family is the whole (filtered) suite, not the shard. The plan therefore
 * counts the runnable cells of the suite before sharding.
 */
import type { BenchOptions } from '../run/bench-options.js';
import { pairedCellsReachable, pairedForksNeeded } from '../compare/compare-results.js';
import { applyShard, expandCells, resolvePlan, type AvailabilityCheck } from '../run/matrix.js';
import type { SuiteDefinition } from '../suite.js';

export interface PairedPlan {
  /** Runnable cells compare will correct over (the suite after filters, all shards). */
  familyCells: number;
  /** Runnable cells of this shard. */
  shardCells: number;
  /** Forks per side the run will use. */
  forks: number;
  /** The fewest forks (pairs) with which the paired design can reach significance over familyCells. */
  forksNeeded: number;
  /** The most cells these forks can compare paired. */
  cellsReachable: number;
  ok: boolean;
  /** One sentence for the log. */
  message: string;
}

export function pairedPlan(suite: SuiteDefinition, options: BenchOptions, alpha = 0.05, available?: AvailabilityCheck): PairedPlan {
  const all = expandCells(suite, options, available).filter((p) => p.skip === null);
  const shard = applyShard(all, options.shard);
  const forks = resolvePlan(suite, options).forks;
  const forksNeeded = pairedForksNeeded(all.length, alpha);
  const cellsReachable = pairedCellsReachable(forks, alpha);
  const ok = forks >= forksNeeded;
  const family = options.shard === null ? `${all.length} cells` : `${all.length} cells (all ${options.shard.count} shards, merged before compare; this shard runs ${shard.length})`;
  const message = ok
    ? `paired plan: ${forks} fork pairs can reach p < ${alpha} over ${family} (signed-rank floor 2/2^${forks} x ${all.length} = ${((2 / 2 ** forks) * all.length).toPrecision(2)}): compare will use the paired design`
    : `paired plan: ${forks} fork pairs cannot reach p < ${alpha} over ${family} (2/2^${forks} x ${all.length} = ${((2 / 2 ** forks) * all.length).toPrecision(2)}); compare would fall back to the unpaired design: use --forks ${forksNeeded}, or compare at most ${cellsReachable} cells`;
  return { familyCells: all.length, shardCells: shard.length, forks, forksNeeded, cellsReachable, ok, message };
}
