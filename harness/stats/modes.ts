/**
 * Modes of a cell's forks: forks that fall into separate groups of ops/s, and the recorded per-fork
 * factors that separate those groups (issue 18 item 4; DESIGN.md "Warm-up is classified, not
 * assumed"). A warning that "forks disagree" is not a result; which forks disagree and why is.
 *
 * Rule (on log ops/s, so a mode is a ratio and the rule does not depend on the cell's speed):
 * sort the forks; for every split point k with at least {@link MIN_FORKS_PER_MODE} forks on each
 * side, take the gap between the two neighbours divided by the pooled within-group standard
 * deviation of the two sides. The largest such ratio is the split's evidence. A unimodal sample
 * also has a largest gap, and after splitting at it the groups look tight, so the critical value
 * is the null distribution's upper 0.1% point for n forks drawn from one normal (a parametric
 * bootstrap: {@link CRITICAL_SIMULATIONS} seeded samples per n; at n = 10 it is about 6.4, at
 * n = 20 about 2.9 — a fixed "gap > k × spread" would flag most unimodal cells of 4–6 forks and miss
 * real modes at 20). A split also needs a gap of at least {@link MIN_RELATIVE_GAP} (3%) in ops/s:
 * smaller groups would not change a conclusion. Groups are split again with the same rule, so a
 * cell can have more than two modes. (The rule is Hartigan & Hartigan's idea of testing a gap in
 * the sorted sample, with the critical value simulated for this statistic instead of the dip.)
 *
 * Separating factors: a factor separates the modes completely when the ranges of its values in
 * the modes do not overlap (numbers) or the sets of its values are disjoint (booleans, strings).
 * With few forks per mode a factor can do so by chance (two modes of two forks: one time in three
 * for any continuous factor), so each separating factor is tested by permutation: the share of
 * {@link PERMUTATIONS} seeded reshufflings of its values over the forks that separate the modes as
 * well. Factors with a permutation p ≤ {@link SEPARATION_P} are named in `separatedBy`; others that
 * separate are mentioned in the explanation as possibly chance.
 */
import type { CellConsistency, ForkModes, ForkRecord, WarmupClass } from '../../contract/result-schema.js';
import { relativeHalfWidth } from './bootstrap.js';
import { seededRandom, shuffled, type Random } from './prng.js';

export const MIN_FORKS_PER_MODE = 2;
export const MIN_RELATIVE_GAP = 0.03;
export const NULL_QUANTILE = 0.999;
export const CRITICAL_SIMULATIONS = 20_000;
export const PERMUTATIONS = 2_000;
export const SEPARATION_P = 0.05;
/** More modes than this are not looked for (each split needs 2 × MIN_FORKS_PER_MODE forks anyway). */
const MAX_MODES = 4;

type FactorValue = number | boolean | string;

/** The per-fork factors that can separate modes, by the names the result uses. */
export const MODE_FACTORS: ReadonlyArray<{ name: string; of: (r: ForkRecord) => FactorValue | null | undefined }> = [
  { name: 'batchSize', of: (r) => r.batchSize },
  { name: 'jit.opOptimized', of: (r) => r.jit?.opOptimized },
  // Maglev and TurboFan code of one op can differ several-fold (issue 14): the tier separates such modes.
  { name: 'jit.opTier', of: (r) => r.jit?.opTier },
  { name: 'jit.loopTier', of: (r) => r.jit?.loopTier },
  { name: 'jit.deopts', of: (r) => r.jit?.deopts },
  { name: 'cpu.processor', of: (r) => r.cpu?.processor },
  { name: 'cpu.threadCpuShare', of: (r) => r.cpu?.threadCpuShare },
  { name: 'cpu.stealMs', of: (r) => r.cpu?.stealMs },
  { name: 'cpu.involuntaryContextSwitches', of: (r) => r.cpu?.involuntaryContextSwitches },
  { name: 'gc.count', of: (r) => r.gc.count },
  { name: 'warmup.class', of: (r) => r.warmup.class },
];

/** The best split of sorted values `s` (log scale): index of the first value of the upper group and its gap/spread ratio. */
function bestSplit(s: readonly number[]): { at: number; evidence: number; gap: number } | null {
  const n = s.length;
  if (n < 2 * MIN_FORKS_PER_MODE) return null;
  const prefix = [0];
  const prefixSq = [0];
  for (const v of s) {
    prefix.push(prefix.at(-1)! + v);
    prefixSq.push(prefixSq.at(-1)! + v * v);
  }
  const ss = (from: number, to: number): number => {
    const k = to - from;
    const sum = prefix[to]! - prefix[from]!;
    return Math.max(0, prefixSq[to]! - prefixSq[from]! - (sum * sum) / k);
  };
  let best: { at: number; evidence: number; gap: number } | null = null;
  for (let at = MIN_FORKS_PER_MODE; at <= n - MIN_FORKS_PER_MODE; at++) {
    const gap = s[at]! - s[at - 1]!;
    const sd = Math.sqrt((ss(0, at) + ss(at, n)) / (n - 2));
    const evidence = sd > 0 ? gap / sd : gap > 0 ? Number.POSITIVE_INFINITY : 0;
    if (best === null || evidence > best.evidence) best = { at, evidence, gap };
  }
  return best;
}

function randomNormal(random: Random): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const criticalCache = new Map<number, number>();

/** The {@link NULL_QUANTILE} point of the split evidence for `n` forks from one normal (cached per n). */
export function criticalEvidence(n: number): number {
  const cached = criticalCache.get(n);
  if (cached !== undefined) return cached;
  const random = seededRandom(0x6d6f6465 + n);
  const stats = new Float64Array(CRITICAL_SIMULATIONS);
  const xs = new Array<number>(n);
  for (let i = 0; i < CRITICAL_SIMULATIONS; i++) {
    for (let j = 0; j < n; j++) xs[j] = randomNormal(random);
    xs.sort((a, b) => a - b);
    stats[i] = bestSplit(xs)?.evidence ?? 0;
  }
  stats.sort();
  const value = stats[Math.min(CRITICAL_SIMULATIONS - 1, Math.floor(NULL_QUANTILE * CRITICAL_SIMULATIONS))]!;
  criticalCache.set(n, value);
  return value;
}

/** Groups of indices into `logValues` (ascending by value), split while the rule finds a mode boundary. */
function splitModes(items: ReadonlyArray<{ index: number; log: number }>): Array<Array<{ index: number; log: number }>> {
  const sorted = [...items].sort((a, b) => a.log - b.log);
  const split = bestSplit(sorted.map((x) => x.log));
  if (split === null || split.gap < Math.log1p(MIN_RELATIVE_GAP) || !(split.evidence > criticalEvidence(sorted.length))) return [sorted];
  return [...splitModes(sorted.slice(0, split.at)), ...splitModes(sorted.slice(split.at))];
}

function separates(values: readonly FactorValue[], modeOf: readonly number[], modeCount: number): boolean {
  if (typeof values[0] === 'number') {
    const ranges = Array.from({ length: modeCount }, () => [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    values.forEach((v, i) => {
      const r = ranges[modeOf[i]!]!;
      r[0] = Math.min(r[0]!, v as number);
      r[1] = Math.max(r[1]!, v as number);
    });
    const sorted = ranges.sort((a, b) => a[0]! - b[0]!);
    return sorted.every((r, i) => i === 0 || r[0]! > sorted[i - 1]![1]!);
  }
  const owner = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    const key = String(values[i]);
    const m = owner.get(key);
    if (m !== undefined && m !== modeOf[i]) return false;
    owner.set(key, modeOf[i]!);
  }
  return true;
}

export interface SeparatingFactor {
  name: string;
  /** Share of random reassignments of the factor's values that separate the modes as well. */
  permutationP: number;
}

/** Factors recorded on every fork whose values separate the modes completely, with their permutation p. */
export function separatingFactors(forks: readonly ForkRecord[], modeOf: readonly number[], modeCount: number, seed: number): SeparatingFactor[] {
  const out: SeparatingFactor[] = [];
  for (const f of MODE_FACTORS) {
    const values = forks.map(f.of);
    if (values.some((v) => v === null || v === undefined)) continue;
    const vs = values as FactorValue[];
    if (new Set(vs.map((v) => typeof v)).size !== 1) continue;
    if (!separates(vs, modeOf, modeCount)) continue;
    const random = seededRandom(seed);
    let asGood = 0;
    for (let i = 0; i < PERMUTATIONS; i++) if (separates(shuffled(vs, random), modeOf, modeCount)) asGood++;
    out.push({ name: f.name, permutationP: asGood / PERMUTATIONS });
  }
  return out;
}

/** The modes of a cell's forks, or null when they form one group (or there are too few forks to tell). */
export function detectModes(forks: readonly ForkRecord[], seed: number): ForkModes | null {
  const items = forks.filter((r) => r.opsPerSec > 0).map((r, index) => ({ index, log: Math.log(r.opsPerSec) }));
  if (items.length !== forks.length) return null;
  const groups = splitModes(items).slice(0, MAX_MODES).reverse(); // fastest first
  if (groups.length < 2) return null;
  const modeOf = new Array<number>(forks.length);
  groups.forEach((g, m) => g.forEach((x) => (modeOf[x.index] = m)));
  const factors = separatingFactors(forks, modeOf, groups.length, seed);
  const named = factors.filter((f) => f.permutationP <= SEPARATION_P);
  const chance = factors.filter((f) => f.permutationP > SEPARATION_P);
  const opsPerSec = groups.map((g) => Math.exp(medianOf(g.map((x) => x.log))));
  const sizes = groups.map((g) => g.length).join(' + ');
  const spread = opsPerSec[0]! / opsPerSec.at(-1)!;
  let explanation = `${groups.length} modes (${sizes} forks), the fastest ${spread.toFixed(2)}× the slowest; `;
  if (named.length > 0) explanation += `separated by ${named.map((f) => `${f.name} (permutation p ${f.permutationP.toFixed(3)})`).join(', ')}`;
  else explanation += 'no recorded factor separates them';
  if (chance.length > 0) explanation += `; ${chance.map((f) => f.name).join(', ')} also separate${chance.length === 1 ? 's' : ''} them, but with this few forks that happens by chance (p ${chance.map((f) => f.permutationP.toFixed(2)).join(', ')})`;
  return {
    forks: groups.map((g) => g.map((x) => forks[x.index]!.forkIndex).sort((a, b) => a - b)),
    opsPerSec,
    separatedBy: named.map((f) => f.name),
    explanation: explanation + '.',
  };
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const STEADY: ReadonlySet<WarmupClass> = new Set(['flat', 'warmup']);

/**
 * Do the forks agree: warm-up classes (forks without a class, from a child that does not classify,
 * are not counted and make the cell not consistent), modes, and the relative half-width of the
 * median's interval `ci95`.
 */
export function cellConsistency(forks: readonly ForkRecord[], median: number, ci95: readonly [number, number], seed: number): CellConsistency {
  const classes: CellConsistency['classes'] = {};
  for (const r of forks) if (r.warmup.class !== undefined) classes[r.warmup.class] = (classes[r.warmup.class] ?? 0) + 1;
  const modes = detectModes(forks, seed);
  const allSteady = forks.length > 0 && forks.every((r) => r.warmup.class !== undefined && STEADY.has(r.warmup.class));
  return {
    classes,
    consistent: allSteady && modes === null,
    halfWidth: relativeHalfWidth(median, ci95),
    ...(modes === null ? {} : { modes }),
  };
}
