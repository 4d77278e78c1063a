/**
 * The order in which forks run: in rounds. Every round visits every unfinished cell once, in a
 * fresh seeded shuffle (randomized multiple interleaved trials, Abedi & Brecht, ICPE 2017;
 * tachometer's rounds; JMH's forks, pyperf's interleaving), so forks of the same cell are spread
 * over the whole run, machine drift (thermal, other load) spreads evenly over the cells, and the
 * forks of two cells with the same round index ran close in time: their ratio cancels the drift
 * between rounds (harness/stats/axis-ratios.ts). The fork index of a cell is its round index.
 * Within one (cell, round) the sides of a paired run follow each other, so base and head see the
 * same machine state; their order alternates between rounds (A B, then B A), so that whatever
 * running second does (a warmer page cache, a CPU still boosted or throttled) falls on both sides
 * equally.
 */
import { seededRandom, shuffled, type Random } from '../stats/prng.js';

export interface ScheduleEntry {
  cellIndex: number;
  forkIndex: number;
  sideIndex: number;
}

/**
 * One round: each of `cellIndices` once, shuffled with `random`, every side per cell (alternating
 * by `roundIndex`). `lastCellIndex` (the previous round's last cell) is never run first, so no
 * cell runs twice in a row across a round boundary.
 */
export function buildRound(cellIndices: readonly number[], roundIndex: number, sideCount: number, random: Random, lastCellIndex = -1): ScheduleEntry[] {
  const order = shuffled(cellIndices, random);
  if (order.length > 1 && order[0] === lastCellIndex) [order[0], order[1]] = [order[1]!, order[0]!];
  const out: ScheduleEntry[] = [];
  for (const cellIndex of order) {
    for (let k = 0; k < sideCount; k++) {
      const sideIndex = roundIndex % 2 === 0 ? k : sideCount - 1 - k;
      out.push({ cellIndex, forkIndex: roundIndex, sideIndex });
    }
  }
  return out;
}

/** A fixed schedule of `forks` full rounds over `cellCount` cells (`--forks N`, and the tests). */
export function buildSchedule(cellCount: number, forks: number, sideCount: number, seed: number): ScheduleEntry[] {
  const random = seededRandom(seed);
  const indices = Array.from({ length: cellCount }, (_, i) => i);
  const out: ScheduleEntry[] = [];
  for (let round = 0; round < forks; round++) out.push(...buildRound(indices, round, sideCount, random, out.at(-1)?.cellIndex ?? -1));
  return out;
}
