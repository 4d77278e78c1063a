/**
 * The order in which forks run. Every fork round visits every cell once, in a fresh seeded shuffle,
 * so forks of the same cell are spread over the whole run and machine drift (thermal, other load)
 * spreads evenly over the cells (JMH's forks, pyperf's interleaving). Within one (cell, fork) the
 * sides of a paired run follow each other A B, so base and head see the same machine state.
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
      for (let sideIndex = 0; sideIndex < sideCount; sideIndex++) out.push({ cellIndex, forkIndex, sideIndex });
    }
    last = order[order.length - 1] ?? -1;
  }
  return out;
}
