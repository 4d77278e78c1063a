/**
 * The TLS 1.3 record layer on the `native` crypto backend (issue 15): the RFC 8448 records byte for
 * byte, a corrupted twin refused (the record still holds its ciphertext, the sequence number does
 * not move), and full handshakes + round trips under every strategy (poisoning included), every
 * cipher suite, and across backends (a native client with a node server and the reverse).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { NativeCryptoBackend } from '../../../stack/crypto/native-backend.js';
import { NodeCryptoBackend } from '../../../stack/crypto/node-backend.js';
import { CIPHER_SUITES, CIPHER_SUITE_NAMES, finishedVerifyData, Transcript } from '../../../stack/tls/key-schedule.js';
import { RecordProtection } from '../../../stack/tls/record.js';
import { ALERT } from '../../../stack/tls/wire.js';
import { peer } from '../../peers.js';
import { nativeAeadBuilt } from '../crypto/native-available.js';
import { STRATEGY_CASES } from '../strategies.js';
import { makePair } from './helpers.js';
import { hex, RFC8448, toHex } from './rfc8448.js';
import { makeTestPki, type TestPki } from './test-pki.js';

const suite = CIPHER_SUITES.TLS_AES_128_GCM_SHA256;
const HAS_OPENSSL = peer('openssl');

describe.runIf(nativeAeadBuilt())('RFC 8448 records on the native backend', () => {
  const strategy = makeStrategy('pooled');

  function sealRecord(secret: Uint8Array, seq: number, type: number, content: Uint8Array): Uint8Array {
    const p = new RecordProtection(suite, secret, new NativeCryptoBackend());
    p.seq = seq;
    const len = content.length + 1 + 16;
    const rec = new Uint8Array(5 + len);
    rec.set([23, 3, 3, len >> 8, len & 0xff]);
    rec.set(content, 5);
    rec[5 + content.length] = type;
    p.seal(rec, 0, rec.length - 16, strategy);
    return rec;
  }

  it("the client's Finished and application records come out byte for byte", () => {
    const clientHs = hex(RFC8448.clientHandshakeSecret);
    const t = new Transcript();
    t.begin('sha256');
    for (const m of [RFC8448.clientHello, RFC8448.serverHello, RFC8448.encryptedExtensions, RFC8448.certificate, RFC8448.certificateVerify, RFC8448.serverFinished]) t.add(m);
    const fin = Uint8Array.from([20, 0, 0, 32, ...finishedVerifyData(suite, clientHs, t.current())]);
    expect(toHex(sealRecord(clientHs, 0, 22, fin))).toBe(toHex(RFC8448.clientFinishedRecord));
    const data = Uint8Array.from({ length: 50 }, (_, i) => i);
    expect(toHex(sealRecord(hex(RFC8448.clientApplicationSecret), 0, 23, data))).toBe(toHex(RFC8448.clientApplicationRecord));
  });

  it("opens the server's application record (sequence 1); a corrupted twin fails and keeps its ciphertext", () => {
    const rec = RFC8448.serverApplicationRecord.slice();
    const p = new RecordProtection(suite, hex(RFC8448.serverApplicationSecret), new NativeCryptoBackend());
    p.seq = 1;
    expect(p.open(rec, 0, rec.length, strategy)).toBe(true);
    expect(Array.from(rec.subarray(5, 55))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(rec[55]).toBe(23);
    const bad = RFC8448.serverApplicationRecord.slice();
    bad[20]! ^= 1;
    const before = toHex(bad);
    const q = new RecordProtection(suite, hex(RFC8448.serverApplicationSecret), new NativeCryptoBackend());
    q.seq = 1;
    expect(q.open(bad, 0, bad.length, strategy)).toBe(false);
    expect(q.seq).toBe(1);
    expect(toHex(bad)).toBe(before);
  });
});

describe.runIf(nativeAeadBuilt() && HAS_OPENSSL)('TLS 1.3 in memory on the native backend', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki?.cleanup());

  const roundTrip = (p: ReturnType<typeof makePair>, n: number): void => {
    const up = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 3) & 0xff);
    const down = Uint8Array.from({ length: n + 7 }, (_, i) => (i * 17 + 5) & 0xff);
    p.client.conn.write(up, 0, up.length);
    p.pump();
    p.server.conn.write(down, 0, down.length);
    p.pump();
    expect(p.server.received).toEqual(Array.from(up));
    expect(p.client.received).toEqual(Array.from(down));
  };

  for (const s of STRATEGY_CASES) {
    it(`handshake + round trip under ${s.name}, records split at 700 bytes`, () => {
      const backend = new NativeCryptoBackend();
      const p = makePair({ pki, clientStrategy: s.make(), serverStrategy: s.make(), clientBackend: backend, serverBackend: backend, client: { maxFragmentBytes: 700 }, server: { maxFragmentBytes: 700 } });
      p.client.conn.start();
      p.pump();
      expect([p.client.handshakeDone, p.server.handshakeDone]).toEqual([true, true]);
      roundTrip(p, 5000);
      expect(backend.viewsCreated).toBe(0);
    });
  }

  for (const name of CIPHER_SUITE_NAMES) {
    it(`${name}: a native client and a node server, then a node client and a native server`, () => {
      for (const [clientBackend, serverBackend] of [
        [new NativeCryptoBackend(), new NodeCryptoBackend()],
        [new NodeCryptoBackend(), new NativeCryptoBackend()],
      ]) {
        const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('one-big-struct'), clientBackend, serverBackend, client: { cipherSuites: [name] } });
        p.client.conn.start();
        p.pump();
        expect(p.client.conn.cipherSuite?.name).toBe(name);
        roundTrip(p, 1000);
      }
    });
  }

  it('a corrupted record -> bad_record_mac, counted, nothing delivered', () => {
    const backend = new NativeCryptoBackend();
    const p = makePair({ pki, clientStrategy: makeStrategy('pooled'), serverStrategy: makeStrategy('pooled'), clientBackend: backend, serverBackend: backend });
    p.client.conn.start();
    p.pump();
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    p.client.conn.write(data, 0, data.length);
    p.pump((from, rec) => {
      if (from !== 'client') return rec;
      const bad = rec.slice();
      bad[bad.length - 3]! ^= 0x40;
      return bad;
    });
    expect(p.server.conn.counters.badRecordMac).toBe(1);
    expect(p.server.conn.closeInfo?.alert).toBe(ALERT.badRecordMac);
    expect(p.server.received).toEqual([]);
  });
});
