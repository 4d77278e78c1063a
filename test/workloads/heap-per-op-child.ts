/**
 * Child process for the allocation tests (`allocation.test.ts`): measures the JS-heap bytes one
 * operation leaves behind, for one case per process (one strategy per process keeps V8's call
 * sites as monomorphic as in a harness cell). Run as
 *
 *   node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 --import tsx \
 *     test/workloads/heap-per-op-child.ts CASE [OPS]
 *
 * CASE: `dns:STRATEGY:MIX`, `vpn:STRATEGY:CIPHER[:CRYPTO]` (crypto backend, default node), `udp-high:STRATEGY` (a UDP echo between two
 * stacks whose IPv4 addresses are ≥ 128.0.0.0 and whose MACs have the top bits set: values that are
 * not V8 small integers as 32- or 48-bit numbers), or `bare-gcm` (node:crypto alone sealing and
 * opening 1400-byte packets: what the crypto API itself allocates).
 *
 * Method: warm up (the JIT settles), force a full GC, run OPS operations, read `heapUsed` again.
 * The semi-space is made large enough that no scavenge runs inside the window, so the difference is
 * everything allocated; a GC inside the window would hide garbage, so the child counts GCs there
 * and reports them (the test fails rather than trusting such a figure). Prints one JSON line.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import { newTxFrame, type RxCursor } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';
import { RANGE_COPY_PATH, type RangeCopyPath } from '../../allocators/strategy-common.js';
import { parseMac } from '../../stack/ethernet/wire.js';
import { parseIpv4 } from '../../stack/ipv4/wire.js';
import { MemoryLink } from '../../stack/link/memory-link.js';
import { buildUdpStack } from '../../stack/udp/udp-stack.js';
import { createDnsWorkload } from '../../workloads/dns/dns-workload.js';
import { vpnWorkload } from '../../workloads/vpn/vpn-tunnel.js';

export interface HeapPerOpResult {
  case: string;
  ops: number;
  heapBytesPerOp: number;
  /** GCs that ran inside the measured window (0 for a figure to be trusted). */
  gcsInWindow: number;
  /** How this child's strategies copied byte ranges (read after the case was built: loading the native addon changes it). */
  rangeCopyPath: RangeCopyPath;
}

function udpHighEcho(strategy: string): () => void {
  const ipA = parseIpv4('192.0.2.1');
  const ipB = parseIpv4('198.51.100.7');
  const macA = parseMac('fe:ff:ff:00:00:0a');
  const macB = parseMac('fe:ff:ff:ff:ff:0b');
  const link = new MemoryLink();
  const a = buildUdpStack({ strategy: makeStrategy(strategy), device: link.a, mac: macA, ip: ipA, neighbours: [[ipB, macB]] });
  const b = buildUdpStack({ strategy: makeStrategy(strategy), device: link.b, mac: macB, ip: ipB, neighbours: [[ipA, macA]] });
  const reply = newTxFrame();
  b.udp.bind(53, {
    onDatagram(p: RxCursor, srcIp: number, srcPort: number): void {
      b.udp.beginDatagram(reply, p.end - p.start);
      b.strategy.copy(p.buf, p.start, p.end, reply.buf, reply.start);
      b.udp.sendTo(reply, 53, srcIp, srcPort);
    },
  });
  let echoed = 0;
  a.udp.bind(1000, {
    onDatagram(): void {
      echoed++;
    },
  });
  const f = newTxFrame();
  let sent = 0;
  return () => {
    a.udp.beginDatagram(f, 100);
    f.buf.fill(sent & 0xff, f.start, f.end);
    a.udp.sendTo(f, 1000, ipB, 53);
    link.drain();
    if (++sent !== echoed) throw new Error(`udp-high: ${sent} sent, ${echoed} echoed`);
  };
}

function bareGcm(): () => void {
  const key = Buffer.alloc(32, 7);
  const nonce = Buffer.alloc(12, 1);
  const aad = Buffer.alloc(8, 2);
  const packet = Buffer.alloc(1400, 3);
  const options = { authTagLength: 16 } as const;
  let pid = 0;
  return () => {
    nonce.writeUInt32BE(++pid >>> 0, 0);
    const c = createCipheriv('aes-256-gcm', key, nonce, options);
    c.setAAD(aad);
    const ct = c.update(packet);
    c.final();
    const tag = c.getAuthTag();
    const d = createDecipheriv('aes-256-gcm', key, nonce, options);
    d.setAAD(aad);
    d.setAuthTag(tag);
    d.update(ct);
    d.final();
  };
}

function makeOp(spec: string): { op: () => void; verify: () => void } {
  const [kind, strategy = 'one-big-struct', param = '', crypto = 'node'] = spec.split(':');
  const setup = (sizeBytes: number, params: Record<string, string>) => ({ strategy, makeStrategy: () => makeStrategy(strategy), sizeBytes, params, seed: 1 });
  switch (kind) {
    case 'dns': {
      const w = createDnsWorkload(setup(64, { mix: param, hosts: '1000' }));
      return { op: () => w.op(), verify: () => w.verify() };
    }
    case 'vpn': {
      const w = vpnWorkload.create(setup(1400, { cipher: param, crypto }));
      return { op: () => w.op(), verify: () => w.verify() };
    }
    case 'udp-high':
      return { op: udpHighEcho(strategy), verify: () => {} };
    case 'bare-gcm':
      return { op: bareGcm(), verify: () => {} };
    default:
      throw new Error(`heap-per-op-child: unknown case '${spec}'`);
  }
}

async function main(): Promise<void> {
  const spec = process.argv[2] ?? '';
  const ops = Number(process.argv[3] ?? 20_000);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('heap-per-op-child: run node with --expose-gc');
  const { op, verify } = makeOp(spec);
  for (let i = 0; i < 50_000; i++) op();
  let windowStart = 0;
  let windowEnd = Number.POSITIVE_INFINITY;
  let gcsInWindow = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.startTime >= windowStart && e.startTime <= windowEnd) gcsInWindow++;
  });
  obs.observe({ entryTypes: ['gc'] });
  gc();
  windowStart = performance.now();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < ops; i++) op();
  const after = process.memoryUsage().heapUsed;
  windowEnd = performance.now();
  // GC entries are delivered asynchronously: give the observer a turn before reading the count.
  await new Promise((resolve) => setTimeout(resolve, 50));
  obs.disconnect();
  verify();
  const result: HeapPerOpResult = { case: spec, ops, heapBytesPerOp: (after - before) / ops, gcsInWindow, rangeCopyPath: RANGE_COPY_PATH };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
