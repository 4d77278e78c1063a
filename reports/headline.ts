/**
 * The verdict at the top of a report: per comparison group (cells of equal size and extra axes),
 * which strategy × allocator won, by how much, and how confident that is.
 *
 * Where the run recorded within-run paired ratios (`ResultFile.axisRatios`: per-round ratios of
 * the two cells' forks, median with a bootstrap 95% interval; harness/stats/axis-ratios.ts), the
 * margin is that ratio with its interval, and the difference is confident when the interval
 * excludes 1. Results without them (older files) fall back to the ratio of medians and to whether
 * the two medians' intervals overlap — a weaker reading: overlapping intervals do not prove
 * equality, disjoint ones are a conservative sign of a real difference (Schenker & Gentleman
 * 2001, "On judging the significance of differences by examining the overlap between confidence
 * intervals"), and drift between the two cells' forks stays in both intervals.
 */
import type { AxisRatio } from '../contract/result-schema.js';
import type { CellRow } from './cell-rows.js';
import { completedRows } from './cell-rows.js';
import { fmtRatio, fmtSi } from './format.js';

export interface PairVerdict {
  better: CellRow;
  worse: CellRow;
  /** better / worse ops/s: the within-run paired ratio where recorded, else the ratio of medians. */
  ratio: number;
  /** 95% interval of the paired ratio; null when the run recorded none for this pair. */
  ratioCi95: [number, number] | null;
  /** True when the two 95% intervals of the median overlap. */
  overlap: boolean;
  /** The verdict: the paired ratio's interval excludes 1, or (no paired ratio) the medians' intervals are disjoint. */
  clear: boolean;
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

/** Paired ratios by `cellA|cellB`. */
type RatioIndex = ReadonlyMap<string, AxisRatio>;

function indexRatios(ratios: readonly AxisRatio[]): RatioIndex {
  return new Map(ratios.map((r) => [`${r.cellA}|${r.cellB}`, r]));
}

/** better/worse with its interval from the recorded B/A ratio in either orientation, or null. */
function pairedRatio(better: CellRow, worse: CellRow, ratios: RatioIndex): { ratio: number; ci95: [number, number] } | null {
  const direct = ratios.get(`${worse.id}|${better.id}`);
  if (direct !== undefined) return { ratio: direct.ratio, ci95: direct.ci95 };
  const inverse = ratios.get(`${better.id}|${worse.id}`);
  if (inverse !== undefined) return { ratio: 1 / inverse.ratio, ci95: [1 / inverse.ci95[1], 1 / inverse.ci95[0]] };
  return null;
}

function pair(better: CellRow, worse: CellRow, ratios: RatioIndex): PairVerdict {
  const overlap = better.opsPerSecLo! <= worse.opsPerSecHi! && worse.opsPerSecLo! <= better.opsPerSecHi!;
  const paired = pairedRatio(better, worse, ratios);
  if (paired === null) return { better, worse, ratio: better.opsPerSecMedian! / worse.opsPerSecMedian!, ratioCi95: null, overlap, clear: !overlap };
  return { better, worse, ratio: paired.ratio, ratioCi95: paired.ci95, overlap, clear: paired.ci95[0] > 1 || paired.ci95[1] < 1 };
}

const name = (r: CellRow): string => `${r.strategy} + ${r.allocator}`;
const confidence = (p: PairVerdict): string => {
  if (p.ratioCi95 === null) return p.overlap ? '95% CIs overlap: not a confident difference' : '95% CIs do not overlap: a clear difference';
  return p.clear ? 'paired within-run ratio, 95% CI excludes 1: a clear difference' : 'paired within-run ratio, 95% CI includes 1: not a confident difference';
};
/** `1.05× [1.02, 1.08]` (paired) or `1.05×` (ratio of medians). */
const margin = (p: PairVerdict): string => (p.ratioCi95 === null ? fmtRatio(p.ratio) : `${fmtRatio(p.ratio)} [${p.ratioCi95[0].toFixed(2)}, ${p.ratioCi95[1].toFixed(2)}]`);

/** `ratios`: the run's within-run paired ratios (`ResultFile.axisRatios`); empty for older files. */
export function groupVerdicts(rows: readonly CellRow[], ratios: readonly AxisRatio[] = []): GroupVerdict[] {
  const index = indexRatios(ratios);
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
      allocatorEffect = bestSame.opsPerSecMedian! >= glibcSame.opsPerSecMedian! ? pair(bestSame, glibcSame, index) : pair(glibcSame, bestSame, index);
    }
    out.push({
      groupLabel,
      cellCount: list.length,
      winner,
      vsRunnerUp: runnerUp ? pair(winner, runnerUp, index) : null,
      vsSlowest: slowest ? pair(winner, slowest, index) : null,
      strategyMargin: otherStrategyBest ? pair(winner, otherStrategyBest, index) : null,
      allocatorEffect,
    });
  }
  return out;
}

export function headline(rows: readonly CellRow[], ratios: readonly AxisRatio[] = []): Headline {
  const groups = groupVerdicts(rows, ratios);
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
      const clear = groups.filter((g) => g.winner.strategy === topStrategy && g.strategyMargin && g.strategyMargin.clear).length;
      line = `**Best strategy: ${topStrategy}** — fastest in ${wins} of ${n} comparison groups (a clear margin over every other strategy in ${clear} of them).`;
    } else {
      line = `**No single best strategy**: ${topStrategies.map(([s, w]) => `${s} fastest in ${w} of ${n}`).join(', ')} comparison groups.`;
    }
    if (topCombos.length === 1) line += ` **Best strategy + allocator: ${topCombos[0]![0]}** (fastest in ${topCombos[0]![1]} of ${n}).`;
    else line += ` Strategy + allocator winners differ by group: ${topCombos.map(([c, w]) => `${c} (${w} of ${n})`).join(', ')}.`;
    overall.push(line);
  }
  for (const g of groups) {
    let line = `**${g.groupLabel}**: **${name(g.winner)}** won at ${fmtSi(g.winner.opsPerSecMedian)} ops/s`;
    if (g.vsRunnerUp) line += ` — ${margin(g.vsRunnerUp)} the runner-up ${name(g.vsRunnerUp.worse)} (${confidence(g.vsRunnerUp)})`;
    if (g.strategyMargin && g.strategyMargin.worse !== g.vsRunnerUp?.worse) {
      line += `; ${margin(g.strategyMargin)} the best other strategy, ${name(g.strategyMargin.worse)} (${confidence(g.strategyMargin)})`;
    }
    if (g.vsSlowest) line += `; ${margin(g.vsSlowest)} the slowest, ${name(g.vsSlowest.worse)} (${confidence(g.vsSlowest)})`;
    line += '.';
    if (g.allocatorEffect) {
      const a = g.allocatorEffect;
      const alt = a.better.allocator === 'glibc' ? a.worse : a.better;
      // alt / glibc, and its interval when paired
      const rel = a.better === alt ? a.ratio : 1 / a.ratio;
      const ci = a.ratioCi95 === null ? null : a.better === alt ? a.ratioCi95 : [1 / a.ratioCi95[1], 1 / a.ratioCi95[0]];
      const pct = (x: number): string => `${x >= 1 ? '+' : '−'}${(Math.abs(x - 1) * 100).toFixed(1)}%`;
      line += ` Allocator effect for ${g.winner.strategy}: ${alt.allocator} is ${(Math.abs(rel - 1) * 100).toFixed(1)}% ${rel >= 1 ? 'faster' : 'slower'} than glibc${ci === null ? '' : ` [${pct(ci[0]!)}, ${pct(ci[1]!)}]`} (${confidence(a)}).`;
    }
    perGroup.push(line);
  }
  const minForks = Math.min(...completedRows(rows).map((r) => r.forkCount));
  if (minForks < 5) notes.push(`Confidence is limited: some cells have only ${minForks} fork${minForks === 1 ? '' : 's'}; intervals from fewer than 5 forks are coarse.`);
  return { lines: [...overall, ...perGroup, ...notes], overall, perGroup, notes, groups };
}
