/**
 * `serve dns` under overload and abuse (issue 16): a stalled send queue and a tiny arena force
 * drops under every strategy; the drops are counted by reason, nothing throws out of the message
 * handler, and dig is answered once the overload is over. Response-rate limiting and minimal ANY
 * are checked against real clients too. Servers bind 127.0.0.1 on ephemeral ports.
 */
import { execFile } from 'node:child_process';
import { createSocket, Socket } from 'node:dgram';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { peer } from '../../peers.js';
import { waitFor } from '../../wait-for.js';
import { startDnsServer, type DnsServeOptions, type RunningDnsServer } from '../../../workloads/dns/serve.js';
import { encode, queryMessage } from '../../stack/dns/helpers.js';
import * as W from '../../../stack/dns/wire.js';
import { MAKEABLE_STRATEGY_NAMES } from '../../../allocators/registry.js';

const run = promisify(execFile);
const ZONE = new URL('../../fixtures/dns/example.zone', import.meta.url).pathname;
const HAS_DIG = peer('dig');
const HAS_KDIG = peer('kdig');

const base: DnsServeOptions = { zoneFile: ZONE, port: 0, address: '127.0.0.1', strategy: 'pooled', maxUdpPayloadBytes: 1232 };

/** Sends `count` copies of `query` from one client socket (bounded burst); resolves when all are handed to the kernel. */
async function flood(port: number, query: Uint8Array, count: number): Promise<{ answers: () => number; close: () => void }> {
  const client = createSocket('udp4');
  let answers = 0;
  client.on('message', () => answers++);
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  for (let i = 0; i < count; i++) await new Promise<void>((r) => client.send(query, port, '127.0.0.1', () => r()));
  return { answers: () => answers, close: () => client.close() };
}

async function dig(port: number, ...args: string[]): Promise<string> {
  return (await run('dig', ['@127.0.0.1', '-p', String(port), '+norec', '+tries=1', '+time=2', ...args], { timeout: 10_000 })).stdout;
}

let running: RunningDnsServer | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await running?.close();
  running = null;
});

describe.runIf(HAS_DIG)('serve dns: a stalled send queue and a full arena are counted drops, and the server keeps serving', () => {
  // The big TXT answer (about 700 bytes) with EDNS 1232: each held frame takes a real share of a tiny arena.
  const query = encode(queryMessage('big.example.test.', W.TYPE_TXT, { ednsBytes: 1232 }));
  const QUERIES = 200;
  const HELD = 8;
  for (const strategy of MAKEABLE_STRATEGY_NAMES) {
    it(`${strategy}: ${QUERIES} queries into a stalled socket (send queue ${HELD} frames${strategy === 'one-big-struct' ? ', 8 KiB arena' : ''})`, async () => {
      running = await startDnsServer({ ...base, strategy, sendQueueFrames: HELD, ...(strategy === 'one-big-struct' ? { arenaBytes: 8192 } : {}) });
      const srv = running;
      // Stall: libuv reports every send as still queued (the kernel's socket buffer full), so the
      // server must hold each answer's frame (loopback never really fills a UDP send buffer).
      const stall = vi.spyOn(Socket.prototype, 'getSendQueueCount').mockReturnValue(1);
      const c = await flood(srv.port, query, QUERIES);
      // Wait on the sum asserted below: a query whose answer frame the arena refuses is counted in
      // `queries` and in `strategyExhausted`, so waiting on `queries + drops` could stop early.
      const accounted = () => srv.server.counters.responses + srv.drops.sendQueueFull + srv.drops.strategyExhausted;
      expect(await waitFor(() => accounted() >= QUERIES, 10_000)).toBe(true);
      const { sendQueueFull, strategyExhausted, rateLimited } = srv.drops;
      expect(rateLimited).toBe(0);
      expect(srv.sender.heldFrames).toBeLessThanOrEqual(HELD);
      // Every query is either answered (frame held) or dropped for a counted reason.
      expect(accounted()).toBe(QUERIES);
      if (strategy === 'one-big-struct') {
        // 8 KiB hold fewer than 8 answers of 1232 bytes: the arena runs out before the queue bound.
        expect(strategyExhausted).toBeGreaterThan(0);
        expect(srv.sender.heldFrames).toBeLessThan(HELD);
      } else {
        expect(sendQueueFull).toBe(QUERIES - HELD);
        expect(srv.sender.heldFrames).toBe(HELD);
      }
      expect(srv.status()).toMatch(new RegExp(`sendQueueFull=${sendQueueFull} strategyExhausted=${strategyExhausted} rateLimited=0`));
      c.close();
      // The queue drains: held frames are released and real clients are answered again.
      stall.mockRestore();
      const out = await dig(srv.port, 'www.example.test', 'A');
      expect(out).toMatch(/status: NOERROR/);
      expect(out).toMatch(/ANSWER: 2/);
      expect(srv.sender.heldFrames).toBe(0);
      const after = await dig(srv.port, '+bufsize=1232', 'big.example.test', 'TXT');
      expect(after).toMatch(/flags: qr aa; QUERY: 1, ANSWER: 2/);
    });
  }
});

describe('serve dns: response-rate limiting (--rrl)', () => {
  it('answers a burst of at most N per second from one source and counts the rest', async () => {
    running = await startDnsServer({ ...base, rrlPerSecond: 5 });
    const srv = running;
    const c = await flood(srv.port, encode(queryMessage('www.example.test.', W.TYPE_A)), 60);
    expect(await waitFor(() => srv.server.counters.queries + srv.drops.rateLimited >= 60, 10_000)).toBe(true);
    // The bucket starts full (5) and refills at 5/s while the 60 queries arrive: a handful more at most.
    expect(srv.server.counters.queries).toBeGreaterThanOrEqual(5);
    expect(srv.server.counters.queries).toBeLessThan(20);
    expect(srv.drops.rateLimited).toBe(60 - srv.server.counters.queries);
    expect(await waitFor(() => c.answers() === srv.server.counters.responses, 5_000)).toBe(true);
    c.close();
  });
});

describe.runIf(HAS_KDIG)('serve dns: minimal ANY (RFC 8482) for kdig', () => {
  it('answers ANY at the apex with one RRset (SOA), counted', async () => {
    running = await startDnsServer(base);
    const out = (await run('kdig', ['@127.0.0.1', '-p', String(running.port), '+norec', '+retry=0', '+time=2', 'example.test', 'ANY'], { timeout: 10_000 })).stdout;
    expect(out).toMatch(/Flags: qr aa; QUERY: 1; ANSWER: 1; AUTHORITY: 0/);
    expect(out).toMatch(/example\.test\.\s+3600\s+IN\s+SOA\s+ns1\.example\.test\./);
    expect(running.server.counters.minimalAny).toBe(1);
  });
});

describe('serve dns: binding and payload limits', () => {
  it('refuses 0.0.0.0 without --expose, saying why; a hostname is refused too', async () => {
    await expect(startDnsServer({ ...base, address: '0.0.0.0' })).rejects.toThrow(/not loopback.*every interface.*reflection amplifier.*--expose/s);
    await expect(startDnsServer({ ...base, address: 'localhost' })).rejects.toMatchObject({ code: 'E_SERVE_USAGE' });
    await expect(startDnsServer({ ...base, maxUdpPayloadBytes: 8192 })).rejects.toThrow(/at most 4096 \(RFC 6891/);
  });
});
