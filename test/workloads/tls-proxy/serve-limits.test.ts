/**
 * `serve tls` limits (issue 16), on real loopback sockets with openssl and curl as clients: the
 * connection cap, the handshake deadline (a client trickling bytes does not extend it), the idle
 * timeout, backpressure towards a backend that stopped reading, and the bound on a handshake
 * message. Each is counted in the proxy's counters and shown in its status line.
 */
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadServerCredentials } from '../../../stack/tls/certificates.js';
import { CIPHER_SUITE_NAMES } from '../../../stack/tls/key-schedule.js';
import { ALERT } from '../../../stack/tls/wire.js';
import { startTlsProxy, type RunningProxy, type TlsServeLimits } from '../../../workloads/tls-proxy/serve.js';
import { peer } from '../../peers.js';
import { waitFor } from '../../wait-for.js';
import { makeTestPki, type TestPki } from '../../stack/tls/test-pki.js';
import { run, startEchoBackend } from './net-helpers.js';

const HAS_OPENSSL = peer('openssl');
const HAS_CURL = peer('curl');

describe.runIf(HAS_OPENSSL && HAS_CURL)('serve tls: limits, counted', () => {
  let pki: TestPki;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;
  let proxy: RunningProxy | null = null;
  const open: Socket[] = [];

  const start = async (limits: Partial<TlsServeLimits>, backendPort = backend.port): Promise<RunningProxy> => {
    proxy = await startTlsProxy({
      port: 0,
      backendHost: '127.0.0.1',
      backendPort,
      credentials: loadServerCredentials(pki.server.ec.certPem, pki.server.ec.keyPem),
      strategy: 'pooled',
      cipherSuites: [...CIPHER_SUITE_NAMES],
      groups: ['x25519', 'secp256r1'],
      alpn: [],
      recordBytes: 16384,
      limits,
    });
    return proxy;
  };
  /** A raw TCP connection that records when the server closed it. */
  const raw = async (port: number): Promise<{ s: Socket; closedAt: () => number | null; openedAt: number; received: () => Buffer }> => {
    const s = netConnect({ host: '127.0.0.1', port });
    open.push(s);
    let closedAt: number | null = null;
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined); // a reset is one way the proxy closes us
    s.on('close', () => (closedAt = performance.now()));
    await new Promise<void>((r) => s.once('connect', () => r()));
    return { s, closedAt: () => closedAt, openedAt: performance.now(), received: () => Buffer.concat(chunks) };
  };
  const curl = (port: number): Promise<{ code: number | null; stdout: string }> =>
    run('curl', ['-s', '--http0.9', '--cacert', pki.caFile, '--resolve', `localhost:${port}:127.0.0.1`, '--max-time', '10', '-d', 'ping', `https://localhost:${port}/`], '');

  beforeAll(async () => {
    pki = makeTestPki();
    backend = await startEchoBackend();
  });
  afterEach(async () => {
    for (const s of open) s.destroy();
    open.length = 0;
    await proxy?.close();
    proxy = null;
  });
  afterAll(() => {
    backend?.server.close();
    pki?.cleanup();
  });

  it('max connections: the third client is closed at accept and counted; curl is served once one leaves', async () => {
    const p = await start({ maxConnections: 2 });
    const a = await raw(p.port);
    await raw(p.port);
    expect(await waitFor(() => p.counters.open === 2, 5_000)).toBe(true);
    const c = await raw(p.port);
    expect(await waitFor(() => c.closedAt() !== null, 5_000)).toBe(true);
    expect(p.counters.refusedMaxConnections).toBe(1);
    expect(p.counters.connections).toBe(2);
    a.s.destroy();
    expect(await waitFor(() => p.counters.open === 1, 5_000)).toBe(true);
    const r = await curl(p.port);
    expect(r.stdout).toMatch(/^echo:POST \/ HTTP\/1\.1/);
    expect(p.status()).toMatch(/connections=3 open=\d refusedMaxConnections=1 /);
  });

  it('handshake timeout: a client trickling a byte every 100 ms is closed at the deadline, counted', async () => {
    const p = await start({ handshakeTimeoutMs: 500 });
    const c = await raw(p.port);
    // A plausible record header, then one byte at a time: each byte is activity, none completes anything.
    c.s.write(Uint8Array.of(22, 3, 1, 0x02, 0x00));
    const trickle = setInterval(() => c.s.writable && c.s.write(Uint8Array.of(1)), 100);
    try {
      expect(await waitFor(() => c.closedAt() !== null, 5_000)).toBe(true);
    } finally {
      clearInterval(trickle);
    }
    expect(c.closedAt()! - c.openedAt).toBeGreaterThanOrEqual(400);
    expect(p.counters.handshakeTimeouts).toBe(1);
    expect(p.counters.handshakes).toBe(0);
  });

  it('idle timeout: an openssl s_client that handshakes and then stays silent is closed, counted', async () => {
    const p = await start({ idleTimeoutMs: 600 });
    const t0 = performance.now();
    // stdin stays open for 5 s: only the proxy's idle timeout can end the session sooner.
    const r = await run('openssl', ['s_client', '-tls1_3', '-connect', `127.0.0.1:${p.port}`, '-CAfile', pki.caFile, '-servername', 'localhost', '-ign_eof'], [[5_000, '']], 15_000);
    expect(performance.now() - t0).toBeLessThan(4_500);
    expect(r.stdout).toMatch(/Verify return code: 0 \(ok\)/);
    expect(p.counters.handshakes).toBe(1);
    expect(p.counters.idleTimeouts).toBe(1);
  });

  it('backpressure: a backend that stops reading pauses the client; what the proxy forwards stays bounded', async () => {
    const stalled: Socket[] = [];
    const sink: Server = createServer((s) => {
      s.pause(); // never reads: the kernel buffers fill, then the proxy must stop reading the client
      stalled.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
    try {
      const p = await start({}, (sink.address() as { port: number }).port);
      const client = tlsConnect({ host: '127.0.0.1', port: p.port, servername: 'localhost', ca: pki.caPem });
      client.on('error', () => undefined);
      await new Promise<void>((r) => client.once('secureConnect', () => r()));
      const TOTAL = 64 * 1024 * 1024;
      const chunk = Buffer.alloc(1024 * 1024, 7);
      let written = 0;
      const pump = (): void => {
        while (written < TOTAL && client.write(chunk)) written += chunk.length;
        if (written < TOTAL) client.once('drain', () => ((written += chunk.length), pump()));
      };
      pump();
      // Wait until nothing moves any more: the client's writes are blocked by TCP, not by us.
      let last = -1;
      await waitFor(() => {
        const moved = p.counters.bytesToBackend !== last;
        last = p.counters.bytesToBackend;
        return !moved && last > 0;
      }, 20_000, 500);
      expect(p.counters.backpressurePauses).toBeGreaterThan(0);
      // Forwarded at most what the loopback socket buffers between proxy and backend hold (a few
      // MiB with Linux autotuning), far from the 64 MiB the client wanted to send.
      expect(p.counters.bytesToBackend).toBeLessThan(TOTAL / 4);
      client.destroy();
    } finally {
      for (const s of stalled) s.destroy();
      sink.close();
    }
  });

  it('a ClientHello announced above the handshake bound is refused with decode_error before it is gathered', async () => {
    const p = await start({ maxHandshakeMessageBytes: 4096 });
    const c = await raw(p.port);
    c.s.write(Uint8Array.of(22, 3, 1, 0, 4, 1, 0, 0x10, 0x01)); // a 4097-byte ClientHello is coming
    expect(await waitFor(() => c.closedAt() !== null, 5_000)).toBe(true);
    // The plaintext alert record: fatal decode_error.
    expect([...c.received()]).toEqual([21, 3, 3, 0, 2, 2, ALERT.decodeError]);
    expect(p.counters.alertsSent).toBe(1);
  });
});
