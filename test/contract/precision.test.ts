import { describe, expect, it } from 'vitest';
import { precisionFindings } from '../../contract/precision.js';
import type { CellResult, ForkRecord, ResultFile, WarmupClass } from '../../contract/result-schema.js';
import { fakeRecord } from '../harness/run/fake-child.js';

function fileWith(classes: Array<WarmupClass | undefined>, rounds?: ResultFile['rounds']): ResultFile {
  const forks: ForkRecord[] = classes.map((k, i) => {
    const f = fakeRecord('w/a/glibc/1', i, 1e6);
    return { ...f, warmup: { ...f.warmup, ...(k === undefined ? {} : { class: k }) } };
  });
  const cell: CellResult = { id: 'w/a/glibc/1', workload: 'w', strategy: 'a', allocator: 'glibc', size: 1, params: {}, v8Flags: [], state: 'completed', forks, warnings: [] };
  return { schemaVersion: 1, suite: 'w', environment: {} as ResultFile['environment'], options: {}, cells: [cell], warnings: [], interrupted: false, ...(rounds === undefined ? {} : { rounds }) };
}

describe('precisionFindings', () => {
  it('counts the forks that ended in a steady segment and says plainly what the others are', () => {
    const p = precisionFindings(fileWith(['flat', 'warmup', 'no-steady-state', 'slowdown']));
    expect(p.warmup).toBe(
      "3 of 4 forks ended in a steady segment (flat 1, warmup 1, slowdown 1, no-steady-state 1): 2 warmed up into it (flat or warmup), 1 slowed down into it (their figure is that final, slower segment); the 1 no-steady-state forks' figures are their whole measured phase, not a steady state: lengthen --warmup and --duration, or use the full plan.",
    );
    expect(precisionFindings(fileWith(['flat', 'flat'])).warmup).toBe('2 of 2 forks ended in a steady segment (flat 2).');
  });

  it('says nothing about warm-up for records without a class, and notes a mix', () => {
    expect(precisionFindings(fileWith([undefined, undefined])).warmup).toBeNull();
    expect(precisionFindings(fileWith(['warmup', undefined])).warmup).toBe('1 of 1 forks ended in a steady segment (warmup 1). 1 forks carry no class (older records).');
  });

  it('words the rounds: adaptive with a budget, or fixed', () => {
    const adaptive = precisionFindings(fileWith(['flat'], { completed: 9, minRounds: 7, maxRounds: 30, targetHalfWidth: 0.02, budgetMs: 35 * 60_000, stoppedBecause: 'budget', cellsOutOfBudget: ['x'] }));
    expect(adaptive.rounds).toBe("9 rounds; stopped because the time budget ended; target ±2.0% (95% interval of each cell's median and of each within-run ratio), budget 35 min.");
    expect(adaptive.outOfBudget).toEqual(['x']);
    const fixed = precisionFindings(fileWith(['flat'], { completed: 2, minRounds: 2, maxRounds: 2, targetHalfWidth: 0.02, budgetMs: null, stoppedBecause: 'max-rounds', cellsOutOfBudget: [] }));
    expect(fixed.rounds).toBe('2 rounds; stopped because a fixed number of rounds was asked for; no target applied (fixed rounds).');
  });

  it('says how far the machine moved between blocks and what that means for the intervals', () => {
    expect(precisionFindings(fileWith(['flat'])).drift).toBeNull();
    const f = { ...fileWith(['flat']), drift: { method: 'm', blocks: 15, adjustedForks: 170, forks: 180, effectSd: 0.123, effectRange: [0.8, 1.25] as [number, number] } };
    expect(precisionFindings(f).drift).toBe(
      "the machine's shared state moved between blocks of forks that ran together by a standard deviation of 12.3% (×0.80 to ×1.25 of the median block, 15 blocks). Each cell's interval includes it (its speed on this machine is not known more closely); within-run ratios cancel it, and summary.driftAdjusted gives each cell with it divided out (170 of 180 forks), for comparing cells of one group.",
    );
  });
});
