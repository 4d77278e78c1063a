/**
 * Locks in the hot-path hygiene of the DNS and VPN workloads without timing anything:
 *  1. exact strategy counters per operation (in process): what each strategy allocates, copies and
 *     views per query / per packet is a design number, so any change to it is deliberate;
 *  2. JS-heap bytes per operation measured in a child process (`heap-per-op-child.ts`, with
 *     `--expose-gc` and a semi-space large enough that no scavenge runs in the window): the
 *     `one-big-struct` paths must leave (almost) nothing on the heap — a single view (≈ 96 B) or a
 *     boxed number (16 B) per operation would break the bound — and the meter itself is checked
 *     against a known allocation (the forced `subarray` copy path) so that the bound can fail.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { emptyCounters, type StrategyCounters } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';
import { createDnsWorkload } from '../../workloads/dns/dns-workload.js';
import { vpnWorkload } from '../../workloads/vpn/vpn-tunnel.js';
import type { WorkloadInstance } from '../../workloads/workload.js';
import type { HeapPerOpResult } from './heap-per-op-child.js';
import { nativeAeadBuilt } from '../stack/crypto/native-available.js';
import { RANGE_COPY_PATH } from '../../allocators/strategy-common.js';

/**
 * Views that range copies add per operation (issue 14) on a copy path: none on `buffer-copy` (Node
 * 22 and later) and `native-copy` (Node 20 once the native addon is loaded, as it is in this
 * process when built: `nativeAeadBuilt()` below loads it), one per partial-range copy over 64 bytes
 * on `subarray` (Node 20 without the addon, or BUFLAB_RANGE_COPY=subarray), where the public API
 * needs a view and counts it. In-process tests read this process's path, child tests their child's.
 */
const copyViewsOn = (path: string, rangeCopiesPerOp: number): number => (path === 'subarray' ? rangeCopiesPerOp : 0);
const copyViews = (rangeCopiesPerOp: number): number => copyViewsOn(RANGE_COPY_PATH, rangeCopiesPerOp);
/** JS-heap bytes of one counted copy view, at most: ≈ 96 B each (2 views measured at 193 B per udp echo on Node 20). */
const VIEW_BYTES_MAX = 112;

const run = promisify(execFile);
const OPS = 1000;

function delta(w: WorkloadInstance, ops: number): StrategyCounters {
  const a = w.strategyCounters();
  for (let i = 0; i < ops; i++) w.op();
  const b = w.strategyCounters();
  const d = emptyCounters();
  for (const k of Object.keys(d) as Array<keyof StrategyCounters>) d[k] = b[k] - a[k];
  return d;
}

function perOp(over: Partial<StrategyCounters>): Partial<StrategyCounters> {
  const out: Partial<StrategyCounters> = {};
  for (const [k, v] of Object.entries(over) as Array<[keyof StrategyCounters, number]>) out[k] = v * OPS;
  return out;
}

describe('strategy counters per operation are exactly as designed', () => {
  const dns = (strategy: string) =>
    createDnsWorkload({ strategy, makeStrategy: () => makeStrategy(strategy), sizeBytes: 64, params: { mix: 'a-only', hosts: 300 }, seed: 3 });

  it('dns one-big-struct: no allocation and no view; one link copy per frame; 4 releases per query', () => {
    const w = dns('one-big-struct');
    expect(delta(w, OPS)).toMatchObject(perOp({ allocations: 0, allocatedBytes: 0, views: copyViews(2), copies: 2, releases: 4, poolHits: 0, poolMisses: 0, foreignAllocations: 0 }));
    w.verify();
  });

  it('dns pooled: no allocation, all pool hits; views only where each layer hands up (3 per frame)', () => {
    const w = dns('pooled');
    expect(delta(w, OPS)).toMatchObject(perOp({ allocations: 0, views: 6 + copyViews(2), copies: 2, poolHits: 4, poolMisses: 0, releases: 4 }));
    w.verify();
  });

  it('dns uint8array stays the concatenating writer: 16 fresh arrays and 14 copies per query, no view', () => {
    const w = dns('uint8array');
    expect(delta(w, OPS)).toMatchObject(perOp({ allocations: 16, copies: 14, views: copyViews(0.215), releases: 4 }));
    w.verify();
  });

  /** A tunnel past its first packets (the pool carves its slabs there): steady state from here on. */
  const vpn = (strategy: string, cipher: string, crypto = 'node'): WorkloadInstance => {
    const w = vpnWorkload.create({ strategy, makeStrategy: () => makeStrategy(strategy), sizeBytes: 1400, params: { cipher, crypto }, seed: 3 });
    w.op();
    return w;
  };

  it('vpn one-big-struct, null cipher: no allocation, no view; the tun copy and the link copy', () => {
    const w = vpn('one-big-struct', 'none');
    expect(delta(w, OPS)).toMatchObject(perOp({ allocations: 0, views: copyViews(1), copies: 2, copiedBytes: 1400 + 1450, releases: 2, foreignAllocations: 0 }));
    w.verify();
  });

  it('vpn one-big-struct, AES-256-GCM: no allocation, no view; node:crypto output counted as foreign, and its message views reused', () => {
    const w = vpn('one-big-struct', 'aes-256-gcm');
    const viewsAfterFirst = w.counters()['cryptoViews']!;
    expect(delta(w, OPS)).toMatchObject(perOp({ allocations: 0, views: copyViews(1), copies: 8, releases: 2, foreignAllocations: 5, foreignBytes: 2 * 1400 + 16 }));
    // The seal and open views are made once, at the first packet, then reused at the same offsets.
    expect(viewsAfterFirst).toBe(2);
    expect(w.counters()['cryptoViews']).toBe(2);
    w.verify();
  });

  it.runIf(nativeAeadBuilt())('vpn one-big-struct, AES-256-GCM on the native backend: nothing foreign, no view at all (on Node 20 too: the addon\'s range copy), the two copies of the null cipher (the link copy 16 tag bytes longer) (issue 15)', () => {
    const w = vpn('one-big-struct', 'aes-256-gcm', 'native');
    expect(RANGE_COPY_PATH).not.toBe('subarray');
    expect(delta(w, OPS)).toMatchObject(perOp({ allocations: 0, views: 0, copies: 2, copiedBytes: 1400 + 1450 + 16, releases: 2, foreignAllocations: 0, foreignBytes: 0 }));
    expect(w.counters()['cryptoViews']).toBe(0);
    w.verify();
  });

  it('vpn pooled, null cipher: all pool hits, a view per layer handing up (4)', () => {
    const w = vpn('pooled', 'none');
    expect(delta(w, OPS)).toMatchObject(perOp({ allocations: 0, views: 4 + copyViews(1), copies: 2, poolHits: 2, poolMisses: 0, releases: 2 }));
    w.verify();
  });
});

async function heapPerOp(spec: string, ops: number, env: Record<string, string> = {}): Promise<HeapPerOpResult> {
  const child = new URL('./heap-per-op-child.ts', import.meta.url).pathname;
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', '--import', 'tsx', child, spec, String(ops)],
    { cwd: new URL('../..', import.meta.url).pathname, env: { ...process.env, ...env }, timeout: 60_000 },
  );
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as HeapPerOpResult;
  // A GC inside the window would hide garbage: refuse the figure rather than pass on it.
  expect(r.gcsInWindow, `${spec}: a GC ran inside the measured window`).toBe(0);
  return r;
}

/** Below one boxed number per operation: a view (≈ 96 B) or a heap number (16 B) per op fails it. */
const NEAR_ZERO_BYTES_PER_OP = 8;

describe('JS-heap bytes per operation (child process, --expose-gc)', () => {
  it('the meter sees a known allocation: the forced subarray copy path shows its two views per query', async () => {
    const r = await heapPerOp('dns:one-big-struct:a-only', 20_000, { BUFLAB_RANGE_COPY: 'subarray' });
    expect(r.heapBytesPerOp).toBeGreaterThan(150);
  });

  // On the subarray path (Node 20) the range copies' counted views are the only allocation allowed.
  it('dns one-big-struct (mixed queries): full client + server stack round trip allocates nothing (but its 2 copy views on the subarray path)', async () => {
    const r = await heapPerOp('dns:one-big-struct:mixed', 50_000);
    expect(r.heapBytesPerOp).toBeLessThan(NEAR_ZERO_BYTES_PER_OP + copyViewsOn(r.rangeCopyPath, 2) * VIEW_BYTES_MAX);
  });

  it('vpn one-big-struct, null cipher: a 1400-byte packet through the tunnel allocates nothing (but its copy view on the subarray path)', async () => {
    const r = await heapPerOp('vpn:one-big-struct:none', 50_000);
    expect(r.heapBytesPerOp).toBeLessThan(NEAR_ZERO_BYTES_PER_OP + copyViewsOn(r.rangeCopyPath, 1) * VIEW_BYTES_MAX);
  });

  it('udp echo with addresses ≥ 128.0.0.0 and high MACs: no heap number per packet (beside its 2 copy views on the subarray path)', async () => {
    const r = await heapPerOp('udp-high:one-big-struct', 50_000);
    expect(r.heapBytesPerOp).toBeLessThan(NEAR_ZERO_BYTES_PER_OP + copyViewsOn(r.rangeCopyPath, 2) * VIEW_BYTES_MAX);
  });

  it.runIf(nativeAeadBuilt())('vpn one-big-struct, AES-256-GCM on the native backend: a 1400-byte packet through the tunnel allocates nothing, on Node 20 too (issue 15)', async () => {
    const r = await heapPerOp('vpn:one-big-struct:aes-256-gcm:native', 50_000);
    // The addon that seals also copies ranges on Node 20 (native-copy): no view left anywhere.
    expect(r.rangeCopyPath).not.toBe('subarray');
    expect(r.heapBytesPerOp).toBeLessThan(NEAR_ZERO_BYTES_PER_OP);
  });

  it('vpn one-big-struct, AES-256-GCM: no more than node:crypto itself allocates (bare seal+open loop)', async () => {
    // Few ops: node:crypto's output Buffers are external memory, which triggers GCs of its own.
    const [tunnel, bare] = [await heapPerOp('vpn:one-big-struct:aes-256-gcm', 3000), await heapPerOp('bare-gcm', 3000)];
    expect(bare.heapBytesPerOp).toBeGreaterThan(500);
    expect(tunnel.heapBytesPerOp).toBeLessThan(bare.heapBytesPerOp + 256);
  });
});
