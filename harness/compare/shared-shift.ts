/**
 * The shift shared by all cells of two separate runs, for metrics that scale with the machine's
 * speed (contract/metrics.ts `timed`).
 *
 * Why: two runs made at different times see different machines. Measured on this project's 2-core
 * VM: two separate runs of the same two cells, 50 forks each, differed by 9% in the untouched cell,
 * and an unpaired per-cell test called it "faster" (p 0.02) — a verdict on identical code. A shift
 * that moves every cell of one run alike is indistinguishable from a change that slows every cell
 * alike, so an unpaired comparison cannot judge it (the geometric-mean rows already say so); what
 * it can judge is each cell *relative to* the others. This is the median-of-ratios normalisation of
 * differential expression analysis (Anders & Huber 2010, DESeq: the size factor of a sample is the
 * median over genes of its ratio to the reference), with cells as genes: robust as long as fewer
 * than half of the cells changed in the same direction.
 *
 * What it costs: a change common to every cell is removed from the per-cell verdicts (it stays in
 * the geometric-mean row, which says it cannot be attributed in separate runs); the shift's own
 * sampling error (about 1.25·σ/√m for m cells of log-spread σ) is not added to the cells' intervals,
 * which is small from {@link MIN_CELLS_FOR_SHIFT} cells up (half a cell's error at 6, a fifth at 48).
 * A paired run (`--baseline`: base and head forks interleaved) has no run-level shift and needs none.
 */
import { median } from '../stats/sample-stats.js';

/**
 * Fewest cells from which the shift is estimated. Below, per-cell verdicts of a timed metric in
 * separate runs are withheld (inconclusive): with one or two cells the "shift" is the cells' own
 * change. Six is also the fewest cells whose signed-rank test can reach p < 0.05.
 */
export const MIN_CELLS_FOR_SHIFT = 6;

export interface SharedShift {
  /** Cells whose medians were positive on both sides (the estimate's units). */
  cells: number;
  /** head/base factor shared by the cells (median of the cells' ratios); null: too few cells. */
  factor: number | null;
}

/** The shared shift of cells given as [base values, head values]; cells without positive medians are left out. */
export function sharedShift(cells: ReadonlyArray<{ base: readonly number[]; head: readonly number[] }>, minCells = MIN_CELLS_FOR_SHIFT): SharedShift {
  const logs: number[] = [];
  for (const c of cells) {
    if (c.base.length === 0 || c.head.length === 0) continue;
    const b = median(c.base);
    const h = median(c.head);
    if (b > 0 && h > 0) logs.push(Math.log(h / b));
  }
  return { cells: logs.length, factor: logs.length >= minCells ? Math.exp(median(logs)) : null };
}
