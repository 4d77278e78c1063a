/**
 * measureCell under `plan.countedWork` (`--count-instructions`): the fork does fixed work whatever
 * its timing — the plan's batch size, exactly the planned ops in the measured phase (rounded up to
 * whole batches), the planned extra warm-up — and announces the measured phase around that work only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { emptyCounters } from '../../../allocators/buffer-strategy.js';
import { measureCell, type Timeable } from '../../../harness/child/measure-cell.js';
import { onMeasuredPhase, type MeasuredPhaseEvent } from '../../../harness/profile/measured-phase.js';
import { countedWorkPlan } from '../../../harness/measure/instruction-counting.js';

function countingOp(): Timeable & { ops: number } {
  let x = 1;
  const w = {
    ops: 0,
    payloadBytesPerOp: 0,
    op(): void {
      for (let i = 0; i < 50; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
      w.ops += x === 0.5 ? 2 : 1;
    },
    strategyCounters: emptyCounters,
  };
  return w;
}

let unsubscribe: (() => void) | null = null;
afterEach(() => unsubscribe?.());

describe('measureCell with counted work', () => {
  it('runs exactly the planned ops at the planned batch size, and announces exactly them', async () => {
    const events: MeasuredPhaseEvent[] = [];
    let opsAtStart = -1;
    let opsAtEnd = -1;
    const w = countingOp();
    unsubscribe = onMeasuredPhase((e) => {
      events.push(e);
      if (e.phase === 'start') opsAtStart = w.ops;
      else opsAtEnd = w.ops;
    });
    // 1000 ops round up to 63 batches of 16 = 1008.
    const work = { ...countedWorkPlan(1000), warmupOps: 320 };
    const m = await measureCell(w, { warmupMs: 20, durationMs: 5, seed: 1, countedWork: work });
    expect(m.batchSize).toBe(16);
    expect(m.ops).toBe(1008);
    expect(events).toEqual([{ phase: 'start' }, { phase: 'end', ops: 1008 }]);
    // The counter sees the measured ops and nothing else of the workload.
    expect(opsAtEnd - opsAtStart).toBe(1008);
    expect(m.warnings.some((x) => x.includes('timed samples'))).toBe(false);
  });

  it('without counted work the phase is timed and announced by measureCell as before', async () => {
    const events: MeasuredPhaseEvent[] = [];
    unsubscribe = onMeasuredPhase((e) => events.push(e));
    const m = await measureCell(countingOp(), { warmupMs: 20, durationMs: 30, seed: 1 });
    expect(events.map((e) => e.phase)).toEqual(['start', 'end']);
    expect(events[1]).toEqual({ phase: 'end', ops: m.ops });
  });
});
