/**
 * Every workload by name. A workload folder adds one line here; the harness looks workloads up only
 * through this map.
 */
import type { WorkloadDefinition } from './workload.js';
import { noopWorkload } from './testing/noop.js'; // test only
import { scaledWorkload } from './testing/scaled.js'; // test only
import { crashWorkload } from './testing/crash.js'; // test only
import { hangWorkload } from './testing/hang.js'; // test only
import { vpnWorkload } from './vpn/vpn-tunnel.js';
import { dnsWorkload } from './dns/dns-workload.js';
import { allocLoop } from './alloc/alloc-loop.js';
import { tlsWorkload } from './tls-proxy/tls-proxy-workload.js';

const definitions: WorkloadDefinition[] = [
  // one import + one entry per workload, e.g. allocLoop from './alloc/alloc-loop.js'
  noopWorkload, // test only
  scaledWorkload, // test only
  crashWorkload, // test only
  hangWorkload, // test only
  vpnWorkload,
  dnsWorkload,
  allocLoop,
  tlsWorkload,
];

export const WORKLOADS: ReadonlyMap<string, WorkloadDefinition> = new Map(definitions.map((d) => [d.name, d]));
