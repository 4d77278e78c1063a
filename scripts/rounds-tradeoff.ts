/**
 * Half-width against minutes, from one result file: `npx tsx scripts/rounds-tradeoff.ts R.json
 * [CELLS]`. For k = 3 … the most rounds any cell got, it keeps each cell's forks of rounds < k and
 * prints the median and p90 of the cells' relative 95% half-widths (median ops/s as measured, and
 * in brackets `driftAdjusted`'s: harness/stats/drift.ts refitted over the kept forks, of completed
 * cells as the run fits it) and of the
 * single-axis within-run ratios, with the minutes k rounds of CELLS cells would take at this run's
 * mean wall time per fork (default CELLS: the run's own cell count; 180 is the default vpn run
 * with four allocators). Run it on a `--forks N` or long `--budget` run of a subset to choose a
 * budget (README "How precise a run is").
 *
 * Then the other way to spend time, a longer measured phase: for k = 1 … 4 turns of a time-sliced
 * run, each fork's figure recomputed from the first k turns of its measured phase (all rounds, forks
 * with at least 4 turns; harness/child/fork-series.ts measuredTurns), with the same half-widths. The
 * figure here is the turns' ops over their timed ms, not the steady segment the run reported; the
 * last line (k = the forks' own figure over the same forks) says how much that changes.
 */
import { readFileSync } from 'node:fs';
import { quantileSorted } from 'simple-statistics';
import type { ResultFile } from '../contract/result-schema.js';
import { axisRatios } from '../harness/stats/axis-ratios.js';
import { checkedSamples, estimate, relativeHalfWidth } from '../harness/stats/bootstrap.js';
import { driftModel } from '../harness/stats/drift.js';
import { measuredTurns } from '../harness/child/fork-series.js';

const [file, cellsArg] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: npx tsx scripts/rounds-tradeoff.ts RESULT.json [CELLS]\n');
  process.exit(2);
}
const r = JSON.parse(readFileSync(file, 'utf8')) as ResultFile;
const cells = r.cells.filter((c) => c.state === 'completed' || c.forks.length > 0);
const forks = cells.reduce((n, c) => n + c.forks.length, 0);
if (r.environment.finishedAt === undefined || forks === 0) {
  process.stderr.write(`${file}: no finished run with forks\n`);
  process.exit(2);
}
const wallMs = Date.parse(r.environment.finishedAt) - Date.parse(r.environment.startedAt);
const perForkMs = wallMs / forks;
const target = cellsArg === undefined ? cells.length : Number(cellsArg);
const p = (xs: number[], q: number): string => (xs.length === 0 ? '-' : `${(quantileSorted([...xs].sort((a, b) => a - b), q) * 100).toFixed(1)}%`);
const seed = r.options.seed as number;
/** Relative 95% half-width of a cell's median ops/s, each fork's figure times `factors[i]` (drift-adjusted) when given. */
const halfWidth = (c: { id: string; forks: readonly { opsPerSec: number }[] }, factors?: readonly number[]): number => {
  const e = estimate(checkedSamples(c.forks.map((f, i) => f.opsPerSec * (factors?.[i] ?? 1)), c.id), seed);
  return relativeHalfWidth(e.median, e.ci95);
};
const maxRounds = Math.max(...cells.map((c) => Math.max(...c.forks.map((f) => f.forkIndex + 1))));
process.stdout.write(`${file}: ${cells.length} cells, ${forks} forks, ${(perForkMs / 1000).toFixed(2)} s wall per fork; minutes for ${target} cells\n`);
process.stdout.write('rounds | minutes | cell half-width p50 (drift-adjusted) | p90 (drift-adjusted) | ratio half-width p50 | p90\n');
for (let k = 3; k <= maxRounds; k++) {
  const sub = cells.map((c) => ({ ...c, forks: c.forks.filter((f) => f.forkIndex < k) })).filter((c) => c.forks.length > 0);
  // Merged shards number their blocks each from the start: no model across them.
  const drift = driftModel('mergedFrom' in r.options ? [] : sub.filter((c) => c.state === 'completed'));
  const cellHw = sub.filter((c) => drift.factors.has(c.id)).map((c) => halfWidth(c, drift.factors.get(c.id)));
  const measuredHw = sub.map((c) => halfWidth(c));
  const ratioHw = axisRatios(sub, { seed, singleAxisOnly: true }).map((x) => relativeHalfWidth(x.ratio, x.ci95));
  process.stdout.write(`${k} | ${((k * target * perForkMs) / 60_000).toFixed(1)} | ${p(measuredHw, 0.5)} (${p(cellHw, 0.5)} of ${cellHw.length}) | ${p(measuredHw, 0.9)} (${p(cellHw, 0.9)}) | ${p(ratioHw, 0.5)} | ${p(ratioHw, 0.9)}\n`);
}

// The run's own within-run ratios (all rounds), by axis: the issue-18 target is stated for the
// strategy axis (two strategies, same other axes).
const byAxis = new Map<string, number[]>();
for (const x of r.axisRatios ?? []) {
  const list = byAxis.get(x.axis) ?? [];
  list.push(relativeHalfWidth(x.ratio, x.ci95));
  byAxis.set(x.axis, list);
}
for (const [axis, hw] of byAxis) process.stdout.write(`axis ${axis}: ${hw.length} ratios, half-width p50 ${p(hw, 0.5)} p90 ${p(hw, 0.9)}\n`);

// Half-width against the measured phase's length: figures from each fork's first k turns.
const TURNS = 4;
// Each fork's turns, split once.
const turned = cells
  .map((c) => ({ ...c, forks: c.forks.map((f) => ({ f, turns: measuredTurns(f) })).filter((x) => x.turns.length >= TURNS) }))
  .filter((c) => c.forks.length >= 3);
if (turned.length > 0) {
  process.stdout.write(`turns per fork | cell half-width p50 | p90 | strategy ratio half-width p50 | allocator ratio p50 (${turned.length} cells, forks with >= ${TURNS} turns)\n`);
  for (const k of [1, 2, 3, TURNS, 'figure'] as const) {
    const sub = turned.map((c) => ({
      ...c,
      forks: c.forks
        .map(({ f, turns }) => {
          if (k === 'figure') return f;
          const t = turns.slice(0, k);
          return { ...f, opsPerSec: t.reduce((a, x) => a + x.ops, 0) / (t.reduce((a, x) => a + x.timedMs, 0) / 1000) };
        })
        .filter((f) => Number.isFinite(f.opsPerSec) && f.opsPerSec > 0),
    }));
    const hw = sub.map((c) => halfWidth(c));
    const ratios = axisRatios(sub, { seed, singleAxisOnly: true });
    const axisHw = (axis: string): number[] => ratios.filter((x) => x.axis === axis).map((x) => relativeHalfWidth(x.ratio, x.ci95));
    process.stdout.write(`${k === 'figure' ? 'the forks\' own figures' : k} | ${p(hw, 0.5)} | ${p(hw, 0.9)} | ${p(axisHw('strategy'), 0.5)} | ${p(axisHw('allocator'), 0.5)}\n`);
  }
}
