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

/**
 * Splits one round's entries into slice groups (time-sliced rounds, ./slice-coordinator.ts): forks
 * whose cells share `keyOf` (the cells a run compares: same workload, size and parameters, any
 * strategy/allocator/runtime; both sides of a paired run) always share a group, and whole key sets
 * are packed in round order into groups of at most `maxSize` forks, so that a group is as large as
 * allowed (each fork's figure then spans more of the machine's time). A key set larger than
 * `maxSize` is cut into consecutive pieces. Entries keep their round order inside a group, which is
 * the order the turns go round in. `maxSize` ≤ 1 gives one entry per group (forks run alone).
 */
export function sliceGroups(entries: readonly ScheduleEntry[], keyOf: (entry: ScheduleEntry) => string, maxSize: number): ScheduleEntry[][] {
  if (maxSize <= 1) return entries.map((e) => [e]);
  const byKey = new Map<string, ScheduleEntry[]>();
  for (const e of entries) {
    const k = keyOf(e);
    const list = byKey.get(k);
    if (list === undefined) byKey.set(k, [e]);
    else list.push(e);
  }
  const pieces: ScheduleEntry[][] = [];
  for (const list of byKey.values()) {
    for (let i = 0; i < list.length; i += maxSize) pieces.push(list.slice(i, i + maxSize));
  }
  const groups: ScheduleEntry[][] = [];
  let current: ScheduleEntry[] = [];
  for (const piece of pieces) {
    if (current.length + piece.length > maxSize) {
      groups.push(current);
      current = [];
    }
    current.push(...piece);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
