/**
 * Every workload by name. A workload folder adds one line here; the harness looks workloads up only
 * through this map.
 */
import type { WorkloadDefinition } from './workload.js';

const definitions: WorkloadDefinition[] = [
  // one import + one entry per workload, e.g. allocLoop from './alloc/alloc-loop.js'
];

export const WORKLOADS: ReadonlyMap<string, WorkloadDefinition> = new Map(definitions.map((d) => [d.name, d]));
