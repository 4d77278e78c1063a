/**
 * What the profile CLI and the agent it preloads into the child (./child-agent.ts) say to each
 * other: the agent's configuration, passed as JSON in an environment variable, and the result file
 * it writes at exit. Kept apart from the agent so that importing these never starts an agent.
 */
import { join } from 'node:path';
import type { MallocCounts } from './malloc-counters.js';

export const PROFILE_AGENT_ENV = 'BUFLAB_PROFILE';

export type AgentTool = 'cpu' | 'heap' | 'malloc';

/** What the CLI hands the agent, as JSON in {@link PROFILE_AGENT_ENV}. */
export interface AgentConfig {
  tool: AgentTool;
  outDir: string;
  /** File name stem of the artifacts, e.g. `alloc-uint8array-glibc-1500`. */
  stem: string;
  /** CPU profiler sampling interval, µs. */
  cpuSamplingIntervalUs: number;
  /** Heap profiler: mean bytes between samples. */
  heapSamplingIntervalBytes: number;
  /** malloc: the shim's counter file. */
  mallocCountFile?: string;
}

/** Written by the agent at process exit to `<outDir>/<stem>.agent.json`. */
export interface AgentResult {
  tool: AgentTool;
  /** `measured-phase`: start and end hooks seen; `whole-process`: no hook seen; `unterminated`: start without end. */
  scope: 'measured-phase' | 'whole-process' | 'unterminated';
  /** Operations reported by the end hook (null when it did not fire). */
  ops: number | null;
  /** Wall time the instrument ran, ms. */
  elapsedMs: number;
  /** The .cpuprofile / .heapprofile written (null for malloc). */
  artifact: string | null;
  malloc: { before: MallocCounts; after: MallocCounts; delta: MallocCounts } | null;
  error: string | null;
}

export function agentResultPath(config: Pick<AgentConfig, 'outDir' | 'stem'>): string {
  return join(config.outDir, `${config.stem}.agent.json`);
}
