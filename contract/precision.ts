/**
 * What a result file says about its own precision, in sentences: how the rounds went, which cells
 * ran out of budget, how many forks reached a steady state, and which cells' forks fall into modes.
 * One wording for the console at the end of a run (harness/run/console-run.ts) and for the report's
 * summary.md (reports/summary-md.ts), so the two never disagree.
 */
import { WARMUP_CLASSES, type ResultFile, type WarmupClass } from './result-schema.js';

export interface PrecisionFindings {
  /** How the rounds went; null for files without `rounds`. */
  rounds: string | null;
  /** Cells that ran out of budget before their interval reached the target. */
  outOfBudget: string[];
  /**
   * How many forks of completed cells ended in a steady segment, by warm-up class, and what the
   * others' figures are; null when no fork carries a class (files from before issue 18).
   */
  warmup: string | null;
  /** Cells whose forks fall into modes, with the explanation (the separating factor, if any). */
  modes: Array<{ id: string; explanation: string }>;
  /** How far the machine's shared state moved between blocks, and what that means for the intervals; null without a drift model. */
  drift: string | null;
}

const STOPPED_BECAUSE: Record<NonNullable<ResultFile['rounds']>['stoppedBecause'], string> = {
  'target-met': 'every cell reached the target',
  budget: 'the time budget ended',
  'max-rounds': 'the maximum number of rounds was reached',
  interrupted: 'the run was interrupted',
};

export function precisionFindings(result: ResultFile): PrecisionFindings {
  const r = result.rounds;
  let rounds: string | null = null;
  if (r !== undefined) {
    const fixed = r.minRounds === r.maxRounds;
    const why = fixed && r.stoppedBecause === 'max-rounds' ? 'a fixed number of rounds was asked for' : STOPPED_BECAUSE[r.stoppedBecause];
    const budget = r.budgetMs === null ? '' : `, budget ${Math.round(r.budgetMs / 60_000)} min`;
    const target = fixed ? 'no target applied (fixed rounds)' : `target ±${(r.targetHalfWidth * 100).toFixed(1)}% (95% interval of each cell's median and of each within-run ratio)${budget}`;
    rounds = `${r.completed} rounds; stopped because ${why}; ${target}.`;
  }
  const classes = new Map<WarmupClass, number>();
  let classified = 0;
  let forks = 0;
  for (const c of result.cells) {
    if (c.state !== 'completed') continue;
    for (const f of c.forks) {
      forks++;
      const k = f.warmup.class;
      if (k === undefined) continue;
      classified++;
      classes.set(k, (classes.get(k) ?? 0) + 1);
    }
  }
  let warmup: string | null = null;
  if (classified > 0) {
    // Every class but no-steady-state ends in a steady segment, the fork's figure: flat and warmup
    // forks got there by warming up (Barrett et al.'s good classes), slowdown forks by slowing down.
    const notSteady = classes.get('no-steady-state') ?? 0;
    const slowdown = classes.get('slowdown') ?? 0;
    const by = WARMUP_CLASSES.filter((k) => classes.has(k)).map((k) => `${k} ${classes.get(k)}`).join(', ');
    warmup =
      `${classified - notSteady} of ${classified} forks ended in a steady segment (${by})` +
      (slowdown === 0 ? '' : `: ${classified - notSteady - slowdown} warmed up into it (flat or warmup), ${slowdown} slowed down into it (their figure is that final, slower segment)`) +
      (notSteady === 0 ? '.' : `; the ${notSteady} no-steady-state forks' figures are their whole measured phase, not a steady state: lengthen --warmup and --duration, or use the full plan.`) +
      (classified < forks ? ` ${forks - classified} forks carry no class (older records).` : '');
  }
  const modes = result.cells.filter((c) => c.consistency?.modes !== undefined).map((c) => ({ id: c.id, explanation: c.consistency!.modes!.explanation }));
  const d = result.drift;
  const drift =
    d === undefined
      ? null
      : `the machine's shared state moved between blocks of forks that ran together by a standard deviation of ${(d.effectSd * 100).toFixed(1)}% ` +
        `(×${d.effectRange[0].toFixed(2)} to ×${d.effectRange[1].toFixed(2)} of the median block, ${d.blocks} blocks). Each cell's interval includes it ` +
        `(its speed on this machine is not known more closely); within-run ratios cancel it, and summary.driftAdjusted gives each cell with it divided out ` +
        `(${d.adjustedForks} of ${d.forks} forks), for comparing cells of one group.`;
  return { rounds, outOfBudget: r?.cellsOutOfBudget ?? [], warmup, modes, drift };
}
