/**
 * The order in which forks run. Every fork round visits every cell once, in a fresh seeded shuffle,
 * so forks of the same cell are spread over the whole run and machine drift (thermal, other load)
 * spreads evenly over the cells (JMH's forks, pyperf's interleaving). Within one (cell, fork) the
 * sides of a paired run follow each other, so base and head see the same machine state; their order
 * alternates between fork rounds (A B, then B A), so that whatever running second does (a warmer
 * page cache, a CPU still boosted or throttled) falls on both sides equally.
 */
import { seededRandom, shuffled } from '../stats/prng.js';

export interface ScheduleEntry {
  cellIndex: number;
  forkIndex: number;
  sideIndex: number;
}

export function buildSchedule(cellCount: number, forks: number, sideCount: number, seed: number): ScheduleEntry[] {
  const random = seededRandom(seed);
  const indices = Array.from({ length: cellCount }, (_, i) => i);
  const out: ScheduleEntry[] = [];
  let last = -1;
  for (let forkIndex = 0; forkIndex < forks; forkIndex++) {
    const order = shuffled(indices, random);
    // Never run the same cell twice in a row across a round boundary.
    if (order.length > 1 && order[0] === last) [order[0], order[1]] = [order[1]!, order[0]!];
    for (const cellIndex of order) {
      for (let k = 0; k < sideCount; k++) {
        const sideIndex = forkIndex % 2 === 0 ? k : sideCount - 1 - k;
        out.push({ cellIndex, forkIndex, sideIndex });
      }
    }
    last = order[order.length - 1] ?? -1;
  }
  return out;
}
