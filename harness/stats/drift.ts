/**
 * How far the machine's shared state moved during a run, and each cell with it divided out: a
 * two-way model of a run's forks.
 *
 * Why. On the 2-core VMs this project runs on, the machine's speed moves over minutes: the
 * hypervisor steals 8–22% of a busy vCPU in stretches of seconds (measured 2026-12-03: a 3 s busy
 * loop's wall time minus its thread CPU time and run-queue wait matched /proc/stat's steal of its
 * CPU, 230–670 ms of 3000), and the host's memory traffic comes and goes. Forks that ran together
 * (one group, or one round when forks run alone) share that state; forks of other groups do not.
 * In a 12-cell vpn run of 10 rounds (1.6 s measured per fork) the groups' shared effect had a
 * standard deviation of 22% while each fork's own part was 7%: a cell's interval measured the
 * machine, not the cell. Pairing cancels the shared part of a *ratio* of two cells of one group
 * (./axis-ratios.ts); this model says how large that shared part was (`result.drift`) and gives
 * each cell's figure with it divided out (`summary.driftAdjusted`).
 *
 * Model: ln(ops/s of cell c in block b) = cell level + block effect + the fork's own rest. Block
 * effects and cell levels come from Tukey's median polish over the run's forks (Tukey 1977,
 * "Exploratory Data Analysis", ch. 11: robust to a fork in a mode of its own, unlike least squares)
 * — the within-run analogue of compare's median-of-ratios shift between runs (../compare/shared-shift.ts).
 * A fork is adjusted by its block's effect estimated **without its own cell** (leave one out): the
 * block's median residual over the other cells. Estimated with its own fork, the effect would
 * absorb part of that fork's own noise (with one cell in a block, all of it).
 *
 * What the adjusted interval means, and what it does not. Effects are relative to the median block
 * of the cells' connected set (cells linked by sharing blocks: one slice-group key's cells in a
 * time-sliced run), so an adjusted figure is the cell at *this run's* median machine state. Its
 * bootstrap over the cell's forks cannot see the error of that median state (≈ 1.25 × the blocks'
 * spread / √blocks), which every cell of the set shares: it is a conditional interval, right for
 * comparing cells of one set and too narrow for "how fast is this cell on this machine" — a rerun
 * at another hour would scatter outside it. So the measured interval stays the cell's
 * `summary.opsPerSec`, and adaptive stopping uses that. Between sets the two zeros differ, so
 * adjusted figures of different sets are not comparable either.
 *
 * Which forks: a block's effect is estimated only from at least {@link MIN_OTHER_CELLS} other
 * cells, and a cell is adjusted only when every one of its forks is (never a mix of scales); a run
 * of a few cells per group is not adjusted at all. Ratios, latency, GC and allocation figures are
 * untouched.
 */
import { sampleStandardDeviation } from 'simple-statistics';
import { median } from './sample-stats.js';

/**
 * Fewest other cells a block's effect is estimated from. A median of k residuals, each with the
 * forks' own spread σ, has an error of about 1.25σ/√k: at 6, about half of σ, so an adjustment
 * can still add noise where the shared effect is small next to σ (a quiet machine); at the vpn
 * suite's 11 others about 0.38σ.
 */
export const MIN_OTHER_CELLS = 6;
/** Median-polish sweeps (Tukey's procedure converges in a few; 10 is far past where it moves). */
const SWEEPS = 10;

/** What the model needs of a fork: its block (ran-together id; the round in records without one) and its ops/s. */
export interface DriftFork {
  forkIndex: number;
  block?: number;
  opsPerSec: number;
}

export interface DriftCell {
  id: string;
  forks: readonly DriftFork[];
}

export interface DriftModel {
  /** Per adjusted cell id: the factor each fork's ops/s is multiplied by, in the order of its `forks` (cells not adjusted are absent). */
  factors: Map<string, number[]>;
  /** Blocks whose effect was estimated (from ≥ MIN_OTHER_CELLS other cells for at least one fork). */
  blocks: number;
  /** Forks adjusted / all forks. */
  adjustedForks: number;
  forks: number;
  /** Standard deviation of the estimated block effects (ln scale ≈ relative), and their range as factors. */
  effectSd: number;
  effectRange: [number, number];
}

/** The block a fork ran in: `block` when recorded, else its round. */
export function blockOf(f: DriftFork): number {
  return f.block ?? f.forkIndex;
}

/** The model over `cells` (only forks with a positive ops/s take part; a cell with another is not adjusted). */
export function driftModel(cells: readonly DriftCell[]): DriftModel {
  type Obs = { cell: number; block: number; x: number };
  const obs: Obs[] = [];
  cells.forEach((c, ci) => {
    for (const f of c.forks) if (f.opsPerSec > 0 && Number.isFinite(f.opsPerSec)) obs.push({ cell: ci, block: blockOf(f), x: Math.log(f.opsPerSec) });
  });
  const byCell = new Map<number, Obs[]>();
  const byBlock = new Map<number, Obs[]>();
  const push = <K>(m: Map<K, Obs[]>, k: K, o: Obs): void => {
    const list = m.get(k);
    if (list === undefined) m.set(k, [o]);
    else list.push(o);
  };
  for (const o of obs) {
    push(byCell, o.cell, o);
    push(byBlock, o.block, o);
  }
  // Median polish: cell levels and block effects, alternately.
  const level = new Map<number, number>();
  const effect = new Map<number, number>();
  for (const [b] of byBlock) effect.set(b, 0);
  // Blocks whose effect can be estimated: every fork in them has MIN_OTHER_CELLS other cells beside it.
  const estimable = new Set([...byBlock].filter(([, list]) => distinctCells(list) > MIN_OTHER_CELLS).map(([b]) => b));
  // A block too small to estimate has no known effect: its forks do not set their cell's level
  // (unless the cell has no other), so an unadjusted machine state does not leak into it.
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    for (const [c, list] of byCell) {
      const known = list.filter((o) => estimable.has(o.block));
      level.set(c, median((known.length > 0 ? known : list).map((o) => o.x - effect.get(o.block)!)));
    }
    for (const [b, list] of byBlock) effect.set(b, estimable.has(b) ? median(list.map((o) => o.x - level.get(o.cell)!)) : 0);
  }
  // Each connected set of cells gets its own zero: the median effect of its estimable blocks.
  const zeroOfBlock = componentZeros(byCell, byBlock, effect, estimable);

  const factors = new Map<string, number[]>();
  let adjusted = 0;
  cells.forEach((c, ci) => {
    const own = c.forks.map((f) => {
      if (!(f.opsPerSec > 0 && Number.isFinite(f.opsPerSec))) return null;
      const others = (byBlock.get(blockOf(f)) ?? []).filter((o) => o.cell !== ci);
      if (distinctCells(others) < MIN_OTHER_CELLS) return null;
      const loo = median(others.map((o) => o.x - level.get(o.cell)!)) - zeroOfBlock.get(blockOf(f))!;
      return Math.exp(-loo);
    });
    // All or nothing: a cell whose forks were not all adjustable keeps every fork as measured.
    if (own.length === 0 || own.some((x) => x === null)) return;
    adjusted += own.length;
    factors.set(c.id, own as number[]);
  });
  const estimated = [...estimable].map((b) => effect.get(b)! - zeroOfBlock.get(b)!);
  return {
    factors,
    blocks: estimated.length,
    adjustedForks: adjusted,
    forks: obs.length,
    effectSd: estimated.length < 2 ? 0 : sampleStandardDeviation(estimated),
    effectRange: estimated.length === 0 ? [1, 1] : [Math.exp(Math.min(...estimated)), Math.exp(Math.max(...estimated))],
  };
}

function distinctCells(list: ReadonlyArray<{ cell: number }>): number {
  return new Set(list.map((o) => o.cell)).size;
}

/** Per block: the median effect of the estimable blocks of its connected set of cells (0 when none). */
function componentZeros(
  byCell: ReadonlyMap<number, ReadonlyArray<{ block: number }>>,
  byBlock: ReadonlyMap<number, ReadonlyArray<{ cell: number }>>,
  effect: ReadonlyMap<number, number>,
  estimable: ReadonlySet<number>,
): Map<number, number> {
  const zero = new Map<number, number>();
  for (const start of byBlock.keys()) {
    if (zero.has(start)) continue;
    // Walk blocks and cells linked to `start`.
    const blocks = new Set<number>([start]);
    const seenCells = new Set<number>();
    const queue = [start];
    while (queue.length > 0) {
      const b = queue.pop()!;
      for (const { cell } of byBlock.get(b)!) {
        if (seenCells.has(cell)) continue;
        seenCells.add(cell);
        for (const { block } of byCell.get(cell)!) {
          if (blocks.has(block)) continue;
          blocks.add(block);
          queue.push(block);
        }
      }
    }
    const effects = [...blocks].filter((b) => estimable.has(b)).map((b) => effect.get(b)!);
    const z = effects.length === 0 ? 0 : median(effects);
    for (const b of blocks) zero.set(b, z);
  }
  return zero;
}
