import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES } from '../../../stack/tls/connection.js';
import { CIPHER_SUITE_NAMES } from '../../../stack/tls/key-schedule.js';
import { ALERT } from '../../../stack/tls/wire.js';
import { peer } from '../../peers.js';
import { STRATEGY_CASES } from '../strategies.js';
import { makePair, type Pair } from './helpers.js';
import { makeTestPki, type TestPki } from './test-pki.js';

const HAS_OPENSSL = peer('openssl');

function bytes(n: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

function exchange(p: Pair, n: number): void {
  const up = bytes(n, 3);
  const down = bytes(n + 7, 5);
  p.client.conn.write(up, 0, up.length);
  p.pump();
  p.server.conn.write(down, 0, down.length);
  p.pump();
  expect(p.server.received).toEqual(Array.from(up));
  expect(p.client.received).toEqual(Array.from(down));
}

describe.runIf(HAS_OPENSSL)('TLS 1.3 client and server in memory', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki?.cleanup());

  for (const s of STRATEGY_CASES) {
    it(`handshake + round trip under ${s.name}, with records split at 700 bytes`, () => {
      const p = makePair({ pki, clientStrategy: s.make(), serverStrategy: s.make(), client: { maxFragmentBytes: 700 }, server: { maxFragmentBytes: 700 } });
      p.client.conn.start();
      p.pump();
      expect([p.client.handshakeDone, p.server.handshakeDone]).toEqual([true, true]);
      exchange(p, 5000);
      // ClientHello, Finished, then 5000 bytes in 700-byte records
      expect(p.client.conn.counters.recordsOut).toBe(2 + Math.ceil(5000 / 700));
      p.client.conn.close();
      p.pump();
      expect(p.server.closes.map((c) => [c.byPeer, c.alert])).toEqual([[true, 0]]);
      p.server.conn.close();
      p.pump();
      expect([p.client.conn.isClosed, p.server.conn.isClosed]).toEqual([true, true]);
    });
  }

  for (const suite of CIPHER_SUITE_NAMES) {
    for (const group of ['x25519', 'secp256r1'] as const) {
      for (const keyType of ['ec', 'ed25519', 'rsa'] as const) {
        it(`${suite} / ${group} / ${keyType} certificate`, () => {
          const p = makePair({ pki, keyType, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('one-big-struct'), client: { cipherSuites: [suite], groups: [group] } });
          p.client.conn.start();
          p.pump();
          expect(p.client.conn.cipherSuite?.name).toBe(suite);
          expect(p.server.conn.group).toBe(group);
          expect(p.client.conn.peerCertificate?.subject).toBe('CN=localhost');
          exchange(p, 100);
        });
      }
    }
  }

  it('HelloRetryRequest when the client guessed the wrong group', () => {
    const p = makePair({ pki, clientStrategy: makeStrategy('uint8array'), serverStrategy: makeStrategy('pooled'), client: { groups: ['x25519', 'secp256r1'] }, server: { groups: ['secp256r1'] } });
    p.client.conn.start();
    p.pump();
    expect([p.client.conn.counters.helloRetryRequests, p.server.conn.counters.helloRetryRequests]).toEqual([1, 1]);
    expect([p.client.conn.group, p.server.conn.group]).toEqual(['secp256r1', 'secp256r1']);
    exchange(p, 64);
  });

  it('SNI and ALPN: the server sees the name and picks its preferred common protocol', () => {
    const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled'), client: { alpn: ['http/1.1', 'h2'] }, server: { alpn: ['h2', 'http/1.1'] } });
    p.client.conn.start();
    p.pump();
    expect([p.server.conn.serverName, p.server.conn.alpn, p.client.conn.alpn]).toEqual(['localhost', 'h2', 'h2']);
  });

  it('no common ALPN protocol -> no_application_protocol', () => {
    const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled'), client: { alpn: ['spdy/1'] }, server: { alpn: ['h2'] } });
    p.client.conn.start();
    p.pump();
    expect(p.server.conn.closeInfo?.alert).toBe(ALERT.noApplicationProtocol);
    expect(p.client.closes.map((c) => [c.byPeer, c.alert])).toEqual([[true, ALERT.noApplicationProtocol]]);
  });

  it('KeyUpdate with update_requested: both directions re-key and data still flows', () => {
    const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled') });
    p.client.conn.start();
    p.pump();
    p.client.conn.keyUpdate(true);
    p.pump();
    expect([p.client.conn.counters.keyUpdatesSent, p.server.conn.counters.keyUpdatesReceived, p.server.conn.counters.keyUpdatesSent, p.client.conn.counters.keyUpdatesReceived]).toEqual([1, 1, 1, 1]);
    exchange(p, 300);
  });

  it('padded records are accepted', () => {
    const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled'), client: { recordPaddingBytes: 200 } });
    p.client.conn.start();
    p.pump();
    exchange(p, 50);
    // the client's Finished and its data record, both padded
    expect(p.server.conn.counters.paddedRecordsIn).toBe(2);
    expect(p.client.conn.counters.paddedRecordsIn).toBe(0);
  });

  it('byte-at-a-time delivery', () => {
    const p = makePair({ pki, clientStrategy: makeStrategy('one-big-struct'), serverStrategy: makeStrategy('uint8array'), chunkBytes: 1 });
    p.client.conn.start();
    p.pump();
    exchange(p, 2000);
  });

  it('a corrupted record -> bad_record_mac, and the peer learns it', () => {
    const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled') });
    p.client.conn.start();
    p.pump();
    const data = bytes(100);
    p.client.conn.write(data, 0, data.length);
    p.pump((from, rec) => {
      if (from !== 'client') return rec;
      const bad = rec.slice();
      bad[bad.length - 3]! ^= 0x40;
      return bad;
    });
    expect(p.server.conn.counters.badRecordMac).toBe(1);
    expect(p.server.conn.closeInfo?.alert).toBe(ALERT.badRecordMac);
    expect(p.client.closes.map((c) => [c.byPeer, c.alert])).toEqual([[true, ALERT.badRecordMac]]);
    expect(p.server.received).toEqual([]);
  });

  it('wrong host name -> bad_certificate; unknown CA -> unknown_ca', () => {
    const wrongName = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled'), client: { serverName: 'example.org' } });
    wrongName.client.conn.start();
    wrongName.pump();
    expect(wrongName.client.conn.closeInfo?.alert).toBe(ALERT.badCertificate);
    expect(wrongName.client.conn.closeInfo?.reason).toMatch(/example\.org/);
    expect(wrongName.server.closes[0]?.alert).toBe(ALERT.badCertificate);
    const unknownCa = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled'), client: { ca: [new X509Certificate(pki.otherCaPem)] } });
    unknownCa.client.conn.start();
    unknownCa.pump();
    expect(unknownCa.client.conn.closeInfo?.alert).toBe(ALERT.unknownCa);
    expect(unknownCa.client.handshakeDone).toBe(false);
  });

  it('IP address SAN matches when the client connects by address', () => {
    const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled'), client: { serverName: '127.0.0.1' } });
    p.client.conn.start();
    p.pump();
    expect(p.client.handshakeDone).toBe(true);
  });

  it('alerts for malformed input: unexpected_message, decode_error, illegal_parameter', () => {
    const mk = () => makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled') });
    // application data before any handshake
    const a = mk();
    a.server.conn.receive(Uint8Array.of(23, 3, 3, 0, 2, 1, 2), 0, 7);
    expect(a.server.conn.closeInfo?.alert).toBe(ALERT.unexpectedMessage);
    // a truncated ClientHello body inside a complete handshake message
    const b = mk();
    b.server.conn.receive(Uint8Array.of(22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0), 0, 13);
    expect(b.server.conn.closeInfo?.alert).toBe(ALERT.decodeError);
    // a real ClientHello with compression methods [1]
    const c = mk();
    c.client.conn.start();
    const ch = c.client.queue.shift()!;
    const sidLen = ch[5 + 4 + 2 + 32]!;
    const suitesAt = 5 + 4 + 2 + 32 + 1 + sidLen;
    const compAt = suitesAt + 2 + ((ch[suitesAt]! << 8) | ch[suitesAt + 1]!) + 1;
    ch[compAt] = 1;
    c.server.conn.receive(ch, 0, ch.length);
    expect(c.server.conn.closeInfo?.alert).toBe(ALERT.illegalParameter);
    // the client got the alert in plaintext
    c.pump();
    expect(c.client.closes[0]?.alert).toBe(ALERT.illegalParameter);
  });

  it('handshake reassembly is bounded: a server refuses a ClientHello announced above 16 KiB before gathering it (issue 16)', () => {
    const mk = (server = {}) => makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled'), server });
    // A ClientHello header announcing 16385 bytes, in the first record: decode_error at once.
    const a = mk();
    const len = DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES.server + 1;
    a.server.conn.receive(Uint8Array.of(22, 3, 1, 0, 4, 1, len >>> 16, (len >>> 8) & 0xff, len & 0xff), 0, 9);
    expect(a.server.conn.closeInfo).toMatchObject({ alert: ALERT.decodeError, reason: 'handshake message of 16385 bytes (limit 16384)' });
    // Exactly the limit is still gathered (the connection waits for more bytes).
    const b = mk();
    const at = DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES.server;
    b.server.conn.receive(Uint8Array.of(22, 3, 1, 0, 4, 1, at >>> 16, (at >>> 8) & 0xff, at & 0xff), 0, 9);
    expect(b.server.conn.closeInfo).toBeNull();
    expect(b.server.conn.isClosed).toBe(false);
    // The bound is configurable, and a real handshake fits a small one.
    const c = mk({ maxHandshakeMessageBytes: 1024 });
    c.client.conn.start();
    c.pump();
    expect(c.server.handshakeDone).toBe(true);
    expect(() => mk({ maxHandshakeMessageBytes: 10 })).toThrow(/maxHandshakeMessageBytes 10/);
  });

  it('records go through the strategy: uint8array concatenates per piece, pooled writes in place', () => {
    const counts = (name: string): { allocations: number; copies: number } => {
      const strategy = makeStrategy(name);
      const p = makePair({ pki, clientStrategy: strategy, serverStrategy: makeStrategy('pooled') });
      p.client.conn.start();
      p.pump();
      const data = bytes(1000);
      p.client.conn.write(data, 0, data.length); // settle pools
      p.pump();
      const before = { ...strategy.counters };
      p.client.conn.write(data, 0, data.length);
      const out = { allocations: strategy.counters.allocations - before.allocations, copies: strategy.counters.copies - before.copies };
      p.pump();
      expect(p.server.received.length).toBe(2000);
      return out;
    };
    // beginTx, append(type), append(tag), prepend(header): four arrays, three concatenating copies
    // plus the plaintext copy and the two copies of node:crypto's output (ciphertext, tag)
    expect(counts('uint8array')).toEqual({ allocations: 4, copies: 6 });
    expect(counts('pooled')).toEqual({ allocations: 0, copies: 3 });
    expect(counts('one-big-struct')).toEqual({ allocations: 0, copies: 3 });
  });

  it('write before the handshake is a typed misuse error', () => {
    const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled') });
    expect(() => p.client.conn.write(bytes(1), 0, 1)).toThrow(expect.objectContaining({ code: 'E_TLS_STATE' }));
  });
});

describe.runIf(HAS_OPENSSL)('TlsConnection.protectedBytesFor and bufferedBytes (for transports that gather records)', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki?.cleanup());

  for (const [maxFragmentBytes, recordPaddingBytes] of [
    [16384, 0],
    [700, 0],
    [1000, 37],
  ] as const) {
    it(`equals the bytes write() outputs (fragments of ${maxFragmentBytes}, padding ${recordPaddingBytes})`, () => {
      const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled'), server: { maxFragmentBytes, recordPaddingBytes } });
      p.client.conn.start();
      p.pump();
      for (const n of [0, 1, maxFragmentBytes - recordPaddingBytes, 5000, 70_000]) {
        expect(p.server.queue.length).toBe(0);
        const data = bytes(n, n);
        p.server.conn.write(data, 0, n);
        const sent = p.server.queue.reduce((a, r) => a + r.length, 0);
        expect(p.server.conn.protectedBytesFor(n)).toBe(sent);
        p.client.received.length = 0;
        p.pump();
        expect(p.client.received.length).toBe(n);
      }
    });
  }

  it('bufferedBytes counts the bytes of an incomplete record held back', () => {
    const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled') });
    p.client.conn.start();
    p.pump();
    p.server.conn.write(bytes(3000), 0, 3000);
    const rec = p.server.queue.shift()!;
    expect(p.client.conn.bufferedBytes).toBe(0);
    p.client.conn.receive(rec, 0, 1000);
    expect(p.client.conn.bufferedBytes).toBe(1000);
    expect(p.client.received.length).toBe(0);
    p.client.conn.receive(rec, 1000, rec.length);
    expect(p.client.conn.bufferedBytes).toBe(0);
    expect(p.client.received).toEqual(Array.from(bytes(3000)));
  });

  it('dispose() from inside onData, with more records in the same receive(): the rest are ignored, the released buffer is never read again', () => {
    // What the OpenVPN server session does on EXIT: its close disposes the TLS connection from inside
    // the data callback. Under poisoning, reading the released record buffer shows as garbage.
    const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('poisoning') });
    p.client.conn.start();
    p.pump();
    expect(p.server.handshakeDone).toBe(true);
    const srv = p.server.conn;
    const seen: string[] = [];
    (srv as unknown as { options: { onData: (b: Uint8Array, s: number, e: number) => void } }).options.onData = (b, s, e) => {
      const t = Buffer.from(b.subarray(s, e)).toString('latin1');
      seen.push(t);
      if (t === 'EXIT') srv.dispose();
    };
    p.client.conn.write(Buffer.from('EXIT'), 0, 4);
    p.client.conn.write(Buffer.from('PUSH_REQUEST'), 0, 12);
    const both = Buffer.concat(p.client.queue.splice(0));
    srv.receive(both, 0, both.length);
    expect({ seen, closed: srv.isClosed, closeInfo: srv.closeInfo }).toEqual({ seen: ['EXIT'], closed: true, closeInfo: null });
  });
});
