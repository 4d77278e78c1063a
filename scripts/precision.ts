/**
 * Precision of result files, one line each, for side-by-side comparisons of run designs (README
 * "Time-sliced rounds"): `npx tsx scripts/precision.ts R1.json [R2.json …]`. Per file: minutes,
 * cells, forks; the median and p90 over cells of the relative 95% half-width of the median ops/s
 * (the summary's own interval) and of the forks' coefficient of variation; the median relative
 * half-width of the single-axis within-run ratios, by axis (harness/stats/axis-ratios.ts, the
 * result's own `axisRatios`); the forks' warm-up classes; and where the spread lives: each fork's
 * ln(ops/s / its cell's median) split into the round's shared effect (the median over the round's
 * forks) and the rest, with the standard deviation of each — the round part is what within-round
 * pairing cancels, the rest is the fork's own process; and the drift model's view (harness/stats/drift.ts,
 * refitted on the file: blocks are slice groups, or rounds in files without `block`): the standard
 * deviation of the blocks' shared effect and the median half-width of `summary.driftAdjusted`, the
 * conditional interval; and how steady the forks' other per-fork figures are (median half-width of the
 * cell median of: ops per second of the measuring thread's CPU time, `cpu.threadCpuNsPerOp`; p50
 * latency) with the correlation, over all forks, of a fork's ln deviation from its cell's median ops/s
 * and its deviation in `cpu.threadCpuShare` (the share of wall time its thread was on the CPU: steal
 * and run-queue waits are what it lacks); and how the measured phase starts (the median over forks of
 * its first 100 ms of windows' ns/op against its later windows': a harness-made transient shows
 * there); and the forks' longest waits for a turn with the scavenges per 1,000 ops before and after
 * that wait, split at a 5 s wait (V8 halves the new space of a process idle that long:
 * harness/run/slice-coordinator.ts DEFAULT_MAX_WAIT_MS). With `--ratios AXIS` it also prints
 * that axis's ratios themselves (cell A, cell B, ratio b/a of ops/s and its 95% interval): `strategy`
 * or `allocator` from the result's `axisRatios`, any other name as a parameter axis (cells equal but
 * for `params[AXIS]`, paired by round as axisRatios pairs them), e.g. `--ratios thp`.
 */
import { median, quantileSorted, sampleCorrelation, sampleStandardDeviation, mean } from 'simple-statistics';
import { readResultFile } from '../contract/read-result.js';
import { checkedSamples, estimate, relativeHalfWidth } from '../harness/stats/bootstrap.js';
import { pairedCellRatio, RATIO_AXES } from '../harness/stats/axis-ratios.js';
import { withDriftAdjustment } from '../harness/stats/summarize.js';
import { lnPercent } from '../harness/stats/warmup-class.js';
import { V8_IDLE_SHRINK_MS } from '../harness/child/slice-gate.js';
import { isTurnWait } from '../harness/child/fork-series.js';
import type { AxisRatio, ResultFile } from '../contract/result-schema.js';

/** Ratios between cells equal but for parameter `axis`, in the result's cell order. */
function paramRatios(r: ResultFile, axis: string): AxisRatio[] {
  const groups = new Map<string, ResultFile['cells']>();
  for (const c of r.cells) {
    if (c.state !== 'completed' || !(axis in c.params)) continue;
    const { [axis]: _value, ...rest } = c.params;
    const key = JSON.stringify([c.workload, c.strategy, c.allocator, c.size, c.v8Flags, rest, c.runtime ?? null]);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const out: AxisRatio[] = [];
  for (const list of groups.values()) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const e = pairedCellRatio(list[i]!, list[j]!, { seed: r.options.seed as number });
        if (e !== null) out.push({ axis, a: String(list[i]!.params[axis]), b: String(list[j]!.params[axis]), ...e });
      }
    }
  }
  return out;
}

const args = process.argv.slice(2);
const at = args.indexOf('--ratios');
const ratioAxis = at >= 0 ? args[at + 1] : undefined;
const files = at >= 0 ? [...args.slice(0, at), ...args.slice(at + 2)] : args;
if (files.length === 0 || (at >= 0 && ratioAxis === undefined)) {
  process.stderr.write('usage: npx tsx scripts/precision.ts [--ratios AXIS] RESULT.json [RESULT.json …]\n');
  process.exit(2);
}
/** Length of the measured phase's start that the phase-start line compares with the rest, ms of the fork's own timed time. */
const START_MS = 100;
const pct = (xs: number[], q: number): string => (xs.length === 0 ? '-' : `${(quantileSorted([...xs].sort((a, b) => a - b), q) * 100).toFixed(1)}%`);
for (const file of files) {
  const r = readResultFile(file);
  const cells = r.cells.filter((c) => c.state === 'completed' && c.summary !== undefined);
  const halfWidths = cells.map((c) => relativeHalfWidth(c.summary!.opsPerSec.median, c.summary!.opsPerSec.ci95));
  const cvs = cells.filter((c) => c.forks.length > 1).map((c) => {
    const ops = c.forks.map((f) => f.opsPerSec);
    return sampleStandardDeviation(ops) / mean(ops);
  });
  const byAxis = new Map<string, number[]>();
  for (const x of r.axisRatios ?? []) {
    const list = byAxis.get(x.axis) ?? [];
    list.push(relativeHalfWidth(x.ratio, x.ci95));
    byAxis.set(x.axis, list);
  }
  const classes = new Map<string, number>();
  for (const c of cells) for (const f of c.forks) classes.set(f.warmup.class ?? 'unclassified', (classes.get(f.warmup.class ?? 'unclassified') ?? 0) + 1);
  const forks = cells.reduce((n, c) => n + c.forks.length, 0);
  // Round effect and per-process rest of each fork's log deviation from its cell's median.
  const devs = cells.flatMap((c) => {
    const m = median(c.forks.map((f) => f.opsPerSec));
    return c.forks.map((f) => ({ round: f.forkIndex, d: Math.log(f.opsPerSec / m) }));
  });
  const roundEffect = new Map<number, number>();
  for (const round of new Set(devs.map((x) => x.round))) roundEffect.set(round, median(devs.filter((x) => x.round === round).map((x) => x.d)));
  const sd = (xs: number[]): string => (xs.length < 2 ? '-' : `${(sampleStandardDeviation(xs) * 100).toFixed(1)}%`);
  const spreadParts = `round effect sd ${sd([...roundEffect.values()])}, per-process sd ${sd(devs.map((x) => x.d - roundEffect.get(x.round)!))}`;
  // Merged shards number their blocks each from the start: no refit across them.
  const merged = 'mergedFrom' in r.options;
  const refit = merged ? null : withDriftAdjustment(r.cells, r.options.seed as number);
  const adjustedHw = (refit?.cells ?? []).flatMap((c) => (c.summary?.driftAdjusted === undefined ? [] : [relativeHalfWidth(c.summary.driftAdjusted.opsPerSec.median, c.summary.driftAdjusted.opsPerSec.ci95)]));
  const driftPart =
    refit === null
      ? 'drift: not refitted (a merged file: block numbers repeat across shards)'
      : refit.drift === null
        ? 'drift: no block holds 7 cells'
        : `drift: block effect sd ${(refit.drift.effectSd * 100).toFixed(1)}% (x${refit.drift.effectRange[0].toFixed(2)} to x${refit.drift.effectRange[1].toFixed(2)}) over ${refit.drift.blocks} blocks, driftAdjusted half-width p50 ${pct(adjustedHw, 0.5)} p90 ${pct(adjustedHw, 0.9)} (${adjustedHw.length} cells)`;
  // Other per-fork figures, through the summary's own estimator.
  const seed = typeof r.options.seed === 'number' ? r.options.seed : 1;
  const hwOf = (read: (f: (typeof cells)[number]['forks'][number]) => number | undefined): number[] =>
    cells.flatMap((c) => {
      const xs = c.forks.map(read).filter((x): x is number => x !== undefined && Number.isFinite(x) && x > 0);
      if (xs.length < 3) return [];
      const e = estimate(checkedSamples(xs, c.id), seed);
      return [relativeHalfWidth(e.median, e.ci95)];
    });
  const cpuHw = hwOf((f) => (f.cpu === undefined || !(f.cpu.threadCpuNsPerOp > 0) ? undefined : 1e9 / f.cpu.threadCpuNsPerOp));
  const p50Hw = hwOf((f) => f.latencyNs.p50);
  const pairs = cells.flatMap((c) => {
    const withCpu = c.forks.filter((f) => f.cpu !== undefined && f.cpu.threadCpuShare > 0 && f.opsPerSec > 0);
    if (withCpu.length < 3) return [];
    const m = median(withCpu.map((f) => f.opsPerSec));
    const ms = median(withCpu.map((f) => f.cpu!.threadCpuShare));
    return withCpu.map((f) => [Math.log(f.opsPerSec / m), Math.log(f.cpu!.threadCpuShare / ms)] as const);
  });
  const corr = pairs.length < 3 ? NaN : sampleCorrelation(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
  // Where a fork's measured wall time went: its thread on the CPU, waiting on the run queue, the rest (steal, blocking).
  const forksWithCpu = cells.flatMap((c) => c.forks.filter((f) => f.cpu !== undefined && f.elapsedNs > 0));
  const shares = forksWithCpu.map((f) => f.cpu!.threadCpuShare);
  // Over the figure's timed time (the whole measured phase unless the figure is a later steady segment).
  const runq = forksWithCpu.map((f) => (f.cpu!.runQueueWaitMs * 1e6) / f.elapsedNs);
  const neither = forksWithCpu.map((f, i) => 1 - shares[i]! - runq[i]!);
  const share = (xs: number[]): string => [0.1, 0.5, 0.9].map((q) => (xs.length === 0 ? '-' : quantileSorted([...xs].sort((a, b) => a - b), q).toFixed(2))).join('/');
  const otherPart =
    `per-fork figures: thread-CPU ops/s half-width p50 ${pct(cpuHw, 0.5)}, p50 latency ${pct(p50Hw, 0.5)}; thread CPU share of wall time p10/p50/p90 ${share(shares)}, ` +
    `run-queue wait share ${share(runq)}, neither running nor queued (steal, blocking) ${share(neither)}; corr(ops/s, thread CPU share) ${corr.toFixed(2)} over ${pairs.length} forks`;
  // How the measured phase starts: the median ns/op of its first START_MS (timed) of windows against the
  // fork's later measured windows (a harness artefact once showed here: +25% decaying over 80 ms
  // after the forced GC and the no-op baseline, before the settling run; README "Hygiene").
  const startDevs = cells.flatMap((c) => c.forks.flatMap((f) => {
    const s = f.series;
    if (s === undefined || s.measuredFromIndex >= s.nsPerOp.length) return [];
    // By the fork's own timed time (the series clock runs on through other forks' turns).
    const early: number[] = [];
    const later: number[] = [];
    let timed = 0;
    for (let i = s.measuredFromIndex; i < s.nsPerOp.length; i++) {
      if (s.nsPerOp[i]! > 0) (timed < START_MS ? early : later).push(Math.log(s.nsPerOp[i]!));
      timed += s.timedMs?.[i] ?? s.windowMs;
    }
    return early.length === 0 || later.length === 0 ? [] : [median(early) - median(later)];
  }));
  const startPart =
    startDevs.length === 0
      ? `phase start: no fork with measured windows on both sides of ${START_MS} ms`
      : `phase start: first ${START_MS} ms of the measured phase ${lnPercent(median(startDevs), true)} ns/op against the rest (median over ${startDevs.length} forks)`;
  // Turn waits and the young generation (README "Time-sliced rounds"): V8 halves the new space of a
  // process that allocated nothing for 5 s, so the scavenges per op before and after each fork's
  // longest wait, for the forks whose longest wait reached that and for the rest. The longest wait
  // is `slicing.longestPauseMs`, or in files from before it the largest gap between the measured
  // windows' starts (a wait by isTurnWait).
  const waits: number[] = [];
  const scavengeRates = { long: [[], []] as number[][], short: [[], []] as number[][] };
  for (const f of cells.flatMap((c) => c.forks)) {
    const s = f.series;
    if (f.slicing === undefined || s?.ops === undefined || s.measuredFromIndex >= s.ops.length) continue;
    const t0 = s.startMs[s.measuredFromIndex]!;
    let widest = -1;
    let widestGap = 0;
    for (let i = s.measuredFromIndex + 1; i < s.ops.length; i++) {
      const gap = s.startMs[i]! - s.startMs[i - 1]!;
      if (isTurnWait(gap, s.windowMs, f.slicing.sliceMs) && gap > widestGap) {
        widest = i;
        widestGap = gap;
      }
    }
    if (widest < 0) continue;
    const longest = f.slicing.longestPauseMs ?? widestGap;
    waits.push(longest);
    // Scavenges split at the wait (gc.pauses are ms since the phase start; none starts while the fork waits).
    const splitMs = s.startMs[widest]! - t0;
    let opsBefore = 0;
    let opsAfter = 0;
    for (let i = s.measuredFromIndex; i < s.ops.length; i++) {
      if (i < widest) opsBefore += s.ops[i]!;
      else opsAfter += s.ops[i]!;
    }
    const scavenges = f.gc.pauses.filter((p) => p.kind === 'scavenge');
    const side = scavengeRates[longest >= V8_IDLE_SHRINK_MS ? 'long' : 'short'];
    side[0]!.push((scavenges.filter((p) => p.startMs < splitMs).length / opsBefore) * 1000);
    side[1]!.push((scavenges.filter((p) => p.startMs >= splitMs).length / opsAfter) * 1000);
  }
  const rates = (xs: number[][]): string => (xs[0]!.length === 0 ? '-' : `${median(xs[0]!).toFixed(2)} -> ${median(xs[1]!).toFixed(2)} (${xs[0]!.length} forks)`);
  const waitPart =
    waits.length === 0
      ? 'turn waits: none (no fork waited for a turn in its measured phase)'
      : `turn waits: longest p50 ${median(waits).toFixed(0)} ms, max ${Math.max(...waits).toFixed(0)} ms (${waits.length} forks); ` +
        `scavenges per 1,000 ops before -> after a fork's longest wait: forks whose longest wait reached ${V8_IDLE_SHRINK_MS / 1000} s ${rates(scavengeRates.long)}, the rest ${rates(scavengeRates.short)}`;
  const minutes = r.environment.finishedAt === undefined ? NaN : (Date.parse(r.environment.finishedAt) - Date.parse(r.environment.startedAt)) / 60_000;
  process.stdout.write(
    `${file}: ${minutes.toFixed(1)} min, ${cells.length} cells, ${forks} forks; cell half-width p50 ${pct(halfWidths, 0.5)} p90 ${pct(halfWidths, 0.9)}; ` +
      `fork CV p50 ${pct(cvs, 0.5)} (${spreadParts}); ratio half-width p50 ${[...byAxis].map(([axis, v]) => `${axis} ${pct(v, 0.5)} (${v.length})`).join(', ')}; ` +
      `warm-up ${[...classes].map(([k, n]) => `${k} ${n}`).join(', ')}; ${startPart}; ${waitPart}; ${driftPart}; ${otherPart}\n`,
  );
  if (ratioAxis === undefined) continue;
  const ratios = (RATIO_AXES as readonly string[]).includes(ratioAxis) || ratioAxis.includes('+') ? (r.axisRatios ?? []).filter((a) => a.axis === ratioAxis) : paramRatios(r, ratioAxis);
  for (const x of ratios) {
    process.stdout.write(`  ${x.axis} ${x.b}/${x.a}: ${x.ratio.toFixed(3)} [${x.ci95[0].toFixed(3)}, ${x.ci95[1].toFixed(3)}] over ${x.pairs} rounds (${x.cellA} → ${x.cellB})\n`);
  }
}
