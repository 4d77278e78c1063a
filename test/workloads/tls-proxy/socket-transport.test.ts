/**
 * The socket transport's gathering (one socket write per application write, one owned Buffer of
 * plaintext per TCP chunk), its Buffer pool, and bulk transfers through the proxy over loopback TCP
 * with a node:tls client (no external peer needed: the committed test PKI).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { fillSeededBytes } from '../../../allocators/prng.js';
import { makeStrategy } from '../../../allocators/registry.js';
import { startTlsProxy, type RunningProxy } from '../../../workloads/tls-proxy/serve.js';
import { attachSocketTls, SocketBufferPool, type SocketTls } from '../../../workloads/tls-proxy/socket-transport.js';
import { TEST_CA_PEM, testCredentials } from '../../../workloads/tls-proxy/test-pki.js';
import { startPipeBackend } from './net-helpers.js';

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  fillSeededBytes(b, 0, n, seed);
  return b;
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function nodeClient(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca: TEST_CA_PEM, servername: 'localhost', minVersion: 'TLSv1.3' }, () => resolve(s));
    s.once('error', reject);
  });
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  // Last in, first out: sockets go before the servers they belong to (close() waits for them).
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('SocketBufferPool', () => {
  it('reuses given-back Buffers of its class, never oversize ones, and keeps at most maxFree', () => {
    const pool = new SocketBufferPool(2);
    const a = pool.take(100);
    expect(a.length).toBe(SocketBufferPool.BUFFER_BYTES);
    const b = pool.take(SocketBufferPool.BUFFER_BYTES);
    const c = pool.take(5);
    expect(pool.created).toBe(3);
    pool.give(a);
    pool.give(b);
    pool.give(c); // beyond maxFree: dropped
    expect(pool.take(1)).toBe(b);
    expect(pool.take(1)).toBe(a);
    expect(pool.reused).toBe(2);
    const big = pool.take(SocketBufferPool.BUFFER_BYTES + 1);
    expect(big.length).toBe(SocketBufferPool.BUFFER_BYTES + 1);
    pool.give(big);
    expect(pool.take(1)).not.toBe(big);
    expect(pool.created).toBe(5);
  });
});

describe('attachSocketTls over loopback with a node:tls peer', () => {
  /** A server running our TLS on each connection; resolves the first connection's transport. */
  async function ourServer(onData: (data: Buffer, release: () => void) => void, onClose: () => void): Promise<{ port: number; ready: Promise<{ tls: SocketTls; socket: Socket }> }> {
    let resolveReady!: (v: { tls: SocketTls; socket: Socket }) => void;
    const ready = new Promise<{ tls: SocketTls; socket: Socket }>((r) => (resolveReady = r));
    const server: Server = createServer((socket) => {
      const tls: SocketTls = attachSocketTls(socket, { role: 'server', credentials: testCredentials('ec') }, makeStrategy('pooled'), {
        onHandshakeDone: () => resolveReady({ tls, socket }),
        onDataOwned: onData,
        onClose,
      });
      cleanups.push(() => void socket.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return { port: (server.address() as { port: number }).port, ready };
  }

  it('one write of 64 KiB + 100 B is one socket write of 5 records, decoded intact by node:tls', async () => {
    const srv = await ourServer(
      () => {},
      () => {},
    );
    const client = await nodeClient(srv.port);
    cleanups.push(() => void client.destroy());
    const { tls, socket } = await srv.ready;
    const writes: number[] = [];
    const realWrite = socket.write.bind(socket);
    socket.write = ((chunk: Uint8Array, cb?: () => void) => {
      writes.push(chunk.length);
      return realWrite(chunk, cb);
    }) as typeof socket.write;
    const data = pattern(65536 + 100, 7);
    const got: Buffer[] = [];
    let gotBytes = 0;
    const done = new Promise<void>((resolve) =>
      client.on('data', (d: Buffer) => {
        got.push(d);
        gotBytes += d.length;
        if (gotBytes >= data.length) resolve();
      }),
    );
    const recordsBefore = tls.conn.counters.recordsOut;
    tls.write(data, 0, data.length);
    await done;
    expect(tls.conn.counters.recordsOut - recordsBefore).toBe(5);
    expect(writes).toEqual([tls.conn.protectedBytesFor(data.length)]);
    expect(sha(Buffer.concat(got))).toBe(sha(data));
  });

  it('plaintext comes up in owned Buffers, all of it before the close_notify that follows it', async () => {
    const events: Array<string | Buffer> = [];
    const releases: Array<() => void> = [];
    const srv = await ourServer(
      (d, release) => {
        events.push(Buffer.from(d)); // a copy: the test gives the Buffer back below
        releases.push(release);
      },
      () => events.push('close'),
    );
    const client = await nodeClient(srv.port);
    cleanups.push(() => void client.destroy());
    await srv.ready;
    const data = pattern(40_000, 3);
    client.end(data); // data records, then close_notify
    const deadline = Date.now() + 5000;
    while (!events.includes('close') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const closeAt = events.indexOf('close');
    expect(closeAt).toBe(events.length - 1);
    const received = Buffer.concat(events.slice(0, closeAt) as Buffer[]);
    expect(sha(received)).toBe(sha(data));
    for (const r of releases) {
      r();
      r(); // twice is harmless
    }
  });
});

describe('the proxy over loopback: bulk both ways', () => {
  const proxies: RunningProxy[] = [];
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.close();
  });

  // one-big-struct threw E_ARENA_FULL after ~4 MiB before the record buffer got a strategy of its own.
  for (const strategy of ['pooled', 'one-big-struct', 'uint8array']) {
    it(`6 MiB in 64 KiB writes come back intact under ${strategy}`, async () => {
      const backend = await startPipeBackend();
      cleanups.push(() => void backend.server.close());
      const p = await startTlsProxy({ port: 0, backendHost: '127.0.0.1', backendPort: backend.port, credentials: testCredentials('ec'), strategy, cipherSuites: ['TLS_AES_128_GCM_SHA256'], groups: ['x25519'], alpn: [], recordBytes: 16384 });
      proxies.push(p);
      const client = await nodeClient(p.port);
      cleanups.push(() => void client.destroy());
      const data = pattern(6 << 20, 11);
      const got: Buffer[] = [];
      let gotBytes = 0;
      const done = new Promise<void>((resolve, reject) => {
        client.on('data', (d: Buffer) => {
          got.push(d);
          gotBytes += d.length;
          if (gotBytes >= data.length) resolve();
        });
        client.once('error', reject);
        setTimeout(() => reject(new Error(`timed out with ${gotBytes} of ${data.length} bytes back`)), 20_000).unref();
      });
      for (let at = 0; at < data.length; at += 65536) {
        if (!client.write(data.subarray(at, at + 65536))) await new Promise((r) => client.once('drain', r));
      }
      await done;
      expect(gotBytes).toBe(data.length);
      expect(sha(Buffer.concat(got))).toBe(sha(data));
      expect(p.counters.bytesToBackend).toBe(data.length);
    });
  }
});
