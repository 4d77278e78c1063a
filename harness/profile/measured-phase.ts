/**
 * The hook between the child that measures a cell (harness/child) and the profiler attached to it
 * (`npm run profile`): the child announces where its measured phase begins and ends, so that a CPU
 * profile, a heap-allocation profile or native malloc counts cover exactly the operations it times —
 * not start-up, warm-up or the no-op baseline.
 *
 * The child calls {@link measuredPhaseStart} immediately before its measured loop and
 * {@link measuredPhaseEnd} immediately after it, outside any timed region. Both publish on a
 * `node:diagnostics_channel` channel and cost one boolean check when nobody listens (every ordinary
 * `npm run bench` child), so the child needs no knowledge of profiling and imports nothing else.
 * The profiler's agent (./child-agent.ts, preloaded with `--import` by `npm run profile`) subscribes
 * by channel name.
 */
import diagnosticsChannel from 'node:diagnostics_channel';

/** The channel's name: a stable contract between harness/child and harness/profile. */
export const MEASURED_PHASE_CHANNEL = 'buflab:measured-phase';

export type MeasuredPhaseEvent =
  | { phase: 'start' }
  | {
      phase: 'end';
      /** Operations timed between start and end (the whole measured phase: measuredPhaseOps of the ForkRecord). */
      ops: number;
    };

const channel = diagnosticsChannel.channel(MEASURED_PHASE_CHANNEL);

/** Call right before the first timed operation of the measured phase. */
export function measuredPhaseStart(): void {
  if (channel.hasSubscribers) channel.publish({ phase: 'start' } satisfies MeasuredPhaseEvent);
}

/** Call right after the last timed operation of the measured phase, with the number of operations. */
export function measuredPhaseEnd(ops: number): void {
  if (channel.hasSubscribers) channel.publish({ phase: 'end', ops } satisfies MeasuredPhaseEvent);
}

/** Subscribes `listener`; returns the function that unsubscribes it. */
export function onMeasuredPhase(listener: (event: MeasuredPhaseEvent) => void): () => void {
  const wrapped = (message: unknown): void => listener(message as MeasuredPhaseEvent);
  channel.subscribe(wrapped);
  return () => {
    channel.unsubscribe(wrapped);
  };
}
