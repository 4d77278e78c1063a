/**
 * The verdict at the top of a report: per comparison group (cells of equal size and extra axes),
 * which strategy × allocator won, by how much (ratio of medians of ops/s), and how confident that
 * is, stated as whether the cells' 95% intervals of the median overlap. Overlapping intervals do
 * not prove equality, and disjoint ones are a conservative sign of a real difference
 * (Schenker & Gentleman 2001, "On judging the significance of differences by examining the
 * overlap between confidence intervals"); `npm run compare` does the formal test.
 */
import type { CellRow } from './cell-rows.js';
import { completedRows } from './cell-rows.js';
import { fmtRatio, fmtSi } from './format.js';

export interface PairVerdict {
  better: CellRow;
  worse: CellRow;
  /** better.median / worse.median of ops/s. */
  ratio: number;
  /** True when the two 95% intervals of the median overlap. */
  overlap: boolean;
}

export interface GroupVerdict {
  groupLabel: string;
  cellCount: number;
  winner: CellRow;
  vsRunnerUp: PairVerdict | null;
  vsSlowest: PairVerdict | null;
  /** The winning strategy's best cell against the best cell of the next-best strategy. */
  strategyMargin: PairVerdict | null;
  /** Within the winner's strategy: the best allocator against glibc (null if glibc absent or the winner is glibc-only). */
  allocatorEffect: PairVerdict | null;
}

export interface Headline {
  /** Markdown lines (only `**bold**` markup) summarising the whole run. */
  lines: string[];
  /** The same lines split by role: the run-wide verdict, one line per group, and caveats. */
  overall: string[];
  perGroup: string[];
  notes: string[];
  groups: GroupVerdict[];
}

function pair(better: CellRow, worse: CellRow): PairVerdict {
  return {
    better,
    worse,
    ratio: better.opsPerSecMedian! / worse.opsPerSecMedian!,
    overlap: better.opsPerSecLo! <= worse.opsPerSecHi! && worse.opsPerSecLo! <= better.opsPerSecHi!,
  };
}

const name = (r: CellRow): string => `${r.strategy} + ${r.allocator}`;
const confidence = (p: PairVerdict): string =>
  p.overlap ? '95% CIs overlap: not a confident difference' : '95% CIs do not overlap: a clear difference';

export function groupVerdicts(rows: readonly CellRow[]): GroupVerdict[] {
  const byGroup = new Map<string, CellRow[]>();
  for (const r of completedRows(rows)) {
    const list = byGroup.get(r.groupLabel) ?? [];
    list.push(r);
    byGroup.set(r.groupLabel, list);
  }
  const out: GroupVerdict[] = [];
  for (const [groupLabel, list] of byGroup) {
    // Ties broken by id so the verdict is deterministic.
    const sorted = [...list].sort((a, b) => b.opsPerSecMedian! - a.opsPerSecMedian! || a.id.localeCompare(b.id));
    const winner = sorted[0]!;
    const runnerUp = sorted[1];
    const slowest = sorted.length > 2 ? sorted[sorted.length - 1]! : undefined;
    const otherStrategyBest = sorted.find((r) => r.strategy !== winner.strategy);
    const glibcSame = sorted.find((r) => r.strategy === winner.strategy && r.allocator === 'glibc');
    const bestSame = sorted.find((r) => r.strategy === winner.strategy && r.allocator !== 'glibc');
    let allocatorEffect: PairVerdict | null = null;
    if (glibcSame && bestSame) {
      allocatorEffect = bestSame.opsPerSecMedian! >= glibcSame.opsPerSecMedian! ? pair(bestSame, glibcSame) : pair(glibcSame, bestSame);
    }
    out.push({
      groupLabel,
      cellCount: list.length,
      winner,
      vsRunnerUp: runnerUp ? pair(winner, runnerUp) : null,
      vsSlowest: slowest ? pair(winner, slowest) : null,
      strategyMargin: otherStrategyBest ? pair(winner, otherStrategyBest) : null,
      allocatorEffect,
    });
  }
  return out;
}

export function headline(rows: readonly CellRow[]): Headline {
  const groups = groupVerdicts(rows);
  const overall: string[] = [];
  const perGroup: string[] = [];
  const notes: string[] = [];
  if (groups.length === 0) {
    overall.push('**No completed cells**: nothing to compare (see the errored and skipped cells below).');
    return { lines: overall, overall, perGroup, notes, groups };
  }
  const strategyWins = new Map<string, number>();
  const comboWins = new Map<string, number>();
  for (const g of groups) {
    strategyWins.set(g.winner.strategy, (strategyWins.get(g.winner.strategy) ?? 0) + 1);
    comboWins.set(name(g.winner), (comboWins.get(name(g.winner)) ?? 0) + 1);
  }
  const n = groups.length;
  const ranked = (wins: Map<string, number>) => [...wins].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const strategies = ranked(strategyWins);
  const combos = ranked(comboWins);
  const top = (list: Array<[string, number]>) => list.filter(([, w]) => w === list[0]![1]);
  const topStrategies = top(strategies);
  const topCombos = top(combos);
  if (n === 1) {
    overall.push(`**Winner: ${topCombos[0]![0]}.**`);
  } else {
    let line: string;
    if (topStrategies.length === 1) {
      const [topStrategy, wins] = topStrategies[0]!;
      const clear = groups.filter((g) => g.winner.strategy === topStrategy && g.strategyMargin && !g.strategyMargin.overlap).length;
      line = `**Best strategy: ${topStrategy}** — fastest in ${wins} of ${n} comparison groups (clear margin over every other strategy, CIs disjoint, in ${clear} of them).`;
    } else {
      line = `**No single best strategy**: ${topStrategies.map(([s, w]) => `${s} fastest in ${w} of ${n}`).join(', ')} comparison groups.`;
    }
    if (topCombos.length === 1) line += ` **Best strategy + allocator: ${topCombos[0]![0]}** (fastest in ${topCombos[0]![1]} of ${n}).`;
    else line += ` Strategy + allocator winners differ by group: ${topCombos.map(([c, w]) => `${c} (${w} of ${n})`).join(', ')}.`;
    overall.push(line);
  }
  for (const g of groups) {
    let line = `**${g.groupLabel}**: **${name(g.winner)}** won at ${fmtSi(g.winner.opsPerSecMedian)} ops/s`;
    if (g.vsRunnerUp) line += ` — ${fmtRatio(g.vsRunnerUp.ratio)} the runner-up ${name(g.vsRunnerUp.worse)} (${confidence(g.vsRunnerUp)})`;
    if (g.strategyMargin && g.strategyMargin.worse !== g.vsRunnerUp?.worse) {
      line += `; ${fmtRatio(g.strategyMargin.ratio)} the best other strategy, ${name(g.strategyMargin.worse)} (${confidence(g.strategyMargin)})`;
    }
    if (g.vsSlowest) line += `; ${fmtRatio(g.vsSlowest.ratio)} the slowest, ${name(g.vsSlowest.worse)} (${confidence(g.vsSlowest)})`;
    line += '.';
    if (g.allocatorEffect) {
      const a = g.allocatorEffect;
      const glibcRow = a.better.allocator === 'glibc' ? a.better : a.worse;
      const alt = a.better.allocator === 'glibc' ? a.worse : a.better;
      const rel = alt.opsPerSecMedian! / glibcRow.opsPerSecMedian!;
      line += ` Allocator effect for ${g.winner.strategy}: ${alt.allocator} is ${(Math.abs(rel - 1) * 100).toFixed(1)}% ${rel >= 1 ? 'faster' : 'slower'} than glibc (${confidence(a)}).`;
    }
    perGroup.push(line);
  }
  const minForks = Math.min(...completedRows(rows).map((r) => r.forkCount));
  if (minForks < 5) notes.push(`Confidence is limited: some cells have only ${minForks} fork${minForks === 1 ? '' : 's'}; intervals from fewer than 5 forks are coarse.`);
  return { lines: [...overall, ...perGroup, ...notes], overall, perGroup, notes, groups };
}
