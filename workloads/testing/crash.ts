/**
 * Test-only workload `crash`: the process dies abruptly in the middle of the measured phase, as a
 * crashing native allocator or an out-of-memory kill would: `mode` `exit` → process.exit(134),
 * `abort` → process.abort() (SIGABRT), `kill` → SIGKILL. No record is written; the parent must
 * report an errored cell. `bad-size` throws a strategy's `E_BAD_SIZE` from the op instead, as a
 * stack bug computing a wrong length would: a failed run, not a configuration error.
 *
 * Params: `afterOps` (default 1000) operations into the measured phase — or into the whole run
 * with `during` = `any` (default `measurement`); `mode` (default `exit`). The measured phase is
 * recognised by the harness's `buflab:measured-phase` diagnostics channel, subscribed by name so
 * that this workload imports nothing from the harness.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { emptyCounters, StrategyError } from '../../allocators/buffer-strategy.js';
import { WorkloadConfigError, type WorkloadDefinition, type WorkloadInstance, type WorkloadSetup } from '../workload.js';
import { numberParam } from './params.js';

const MODES = ['exit', 'abort', 'kill', 'bad-size'] as const;
const DURING = ['measurement', 'any'] as const;
/** The channel harness/profile/measured-phase.ts publishes on. */
const MEASURED_PHASE_CHANNEL = 'buflab:measured-phase';

export const crashWorkload: WorkloadDefinition = {
  name: 'crash',
  description: 'test only: kills its own process `afterOps` operations into the measured phase',
  extraStrategies: ['none'],
  create(setup: WorkloadSetup): WorkloadInstance {
    const afterOps = numberParam(setup, 'afterOps', 1000);
    const mode = String(setup.params.mode ?? 'exit');
    if (!(MODES as readonly string[]).includes(mode)) throw new WorkloadConfigError(`param mode must be one of ${MODES.join(', ')}, got ${mode}`);
    const during = String(setup.params.during ?? 'measurement');
    if (!(DURING as readonly string[]).includes(during)) throw new WorkloadConfigError(`param during must be one of ${DURING.join(', ')}, got ${during}`);
    let counting = during === 'any';
    const onPhase = (message: unknown): void => {
      if ((message as { phase?: string }).phase === 'start') counting = true;
    };
    if (!counting) diagnosticsChannel.subscribe(MEASURED_PHASE_CHANNEL, onPhase);
    let ops = 0;
    let counted = 0;
    return {
      op(): void {
        ops++;
        if (!counting || ++counted < afterOps) return;
        if (mode === 'abort') process.abort();
        if (mode === 'kill') process.kill(process.pid, 'SIGKILL');
        if (mode === 'bad-size') throw new StrategyError('E_BAD_SIZE', 'crash: a length computed wrong on purpose');
        process.exit(134);
      },
      payloadBytesPerOp: 0,
      strategyCounters: emptyCounters,
      counters: () => ({ ops, counted }),
      verify(): void {
        throw new Error(`crash: the process should have died before verify() (${counted} ops counted, afterOps ${afterOps})`);
      },
      close(): void {
        diagnosticsChannel.unsubscribe(MEASURED_PHASE_CHANNEL, onPhase);
      },
    };
  },
};
