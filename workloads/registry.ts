/**
 * Every workload by name. A workload folder adds one line here; the harness looks workloads up only
 * through this map.
 *
 * Each entry is a loader (a dynamic import), not the definition itself: a child process measures one
 * cell of one workload, so it loads only that workload's module graph. Through tsx that saves
 * transpiling every other protocol stack at each child's start-up, and a module that fails to load
 * (a syntax error in the TLS stack, say) fails only the cells of its own workload, as an errored cell
 * that names the import, instead of every child of every suite.
 */
import type { WorkloadDefinition } from './workload.js';

type Loader = () => Promise<WorkloadDefinition>;

const loaders: ReadonlyArray<readonly [string, Loader]> = [
  // one entry per workload: name → import of the module that defines it
  ['noop', async () => (await import('./testing/noop.js')).noopWorkload], // test only
  ['scaled', async () => (await import('./testing/scaled.js')).scaledWorkload], // test only
  ['crash', async () => (await import('./testing/crash.js')).crashWorkload], // test only
  ['hang', async () => (await import('./testing/hang.js')).hangWorkload], // test only
  ['vpn', async () => (await import('./vpn/vpn-tunnel.js')).vpnWorkload],
  ['dns', async () => (await import('./dns/dns-workload.js')).dnsWorkload],
  ['alloc', async () => (await import('./alloc/alloc-loop.js')).allocLoop],
  ['tls-proxy', async () => (await import('./tls-proxy/tls-proxy-workload.js')).tlsWorkload],
  ['firewall', async () => (await import('./firewall/firewall-workload.js')).firewallWorkload],
  ['storage', async () => (await import('./storage/storage-workload.js')).storageWorkload],
  ['alloc-mt', async () => (await import('./alloc-mt/alloc-mt-workload.js')).allocMtWorkload],
];

const LOADERS: ReadonlyMap<string, Loader> = new Map(loaders);

/** The registered workload names. */
export const WORKLOAD_NAMES: readonly string[] = loaders.map(([name]) => name);

/**
 * The definition of workload `name`, or undefined when no workload has that name. Throws when the
 * module fails to load, or when it defines a workload under another name (a registry typo).
 */
export async function loadWorkload(name: string): Promise<WorkloadDefinition | undefined> {
  const load = LOADERS.get(name);
  if (load === undefined) return undefined;
  const def = await load();
  if (def.name !== name) throw new Error(`workloads/registry.ts: entry '${name}' loads a workload named '${def.name}'; make the two names agree`);
  return def;
}
