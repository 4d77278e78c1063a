import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { CIPHER_SUITE_NAMES } from '../../../stack/tls/key-schedule.js';
import { loadWorkload } from '../../../workloads/registry.js';
import { TlsProxyScenario, tlsWorkload } from '../../../workloads/tls-proxy/tls-proxy-workload.js';
import { STRATEGY_CASES } from '../../stack/strategies.js';

function create(strategy: () => ReturnType<typeof makeStrategy>, op: string, sizeBytes: number, params: Record<string, string> = {}) {
  return tlsWorkload.create({ strategy: 'x', makeStrategy: strategy, sizeBytes, params: { op, ...params }, seed: 5 });
}

describe('tls workload: client -> TLS proxy -> echo backend over TCP in memory', () => {
  it('is registered as `tls-proxy` (the `tls` suite runs it)', async () => {
    expect(await loadWorkload('tls-proxy')).toBe(tlsWorkload);
  });

  for (const s of STRATEGY_CASES) {
    it(`request and connection ops under ${s.name}`, () => {
      const w = create(s.make, 'request', 3000);
      for (let i = 0; i < 30; i++) w.op();
      w.verify();
      const c = w.counters();
      expect(c.requests).toBe(31); // one warm-up exchange at creation
      expect(c.mismatchedBytes).toBe(0);
      expect(c['tls.plaintextBytesIn']).toBe(31 * 3000 * 2); // proxy in + client in
      expect(w.payloadBytesPerOp).toBe(6000);
      w.close();
      const k = create(s.make, 'connection', 100);
      for (let i = 0; i < 3; i++) k.op();
      k.verify();
      expect(k.counters().connections).toBe(4);
      expect(k.counters()['tcp.connectionsClosed']).toBe(4 * 4); // client, proxy front, proxy back, backend
      k.close();
    });
  }

  it('one-big-struct and pooled allocate no ArrayBuffer per request in steady state; uint8array does', () => {
    const perRequest = (name: string): number => {
      const w = create(() => makeStrategy(name), 'request', 1024);
      for (let i = 0; i < 10; i++) w.op();
      const before = w.strategyCounters().allocations;
      for (let i = 0; i < 50; i++) w.op();
      const n = (w.strategyCounters().allocations - before) / 50;
      w.close();
      return n;
    };
    expect(perRequest('one-big-struct')).toBe(0);
    expect(perRequest('pooled')).toBe(0);
    expect(perRequest('uint8array')).toBeGreaterThan(20);
  });

  for (const cipher of CIPHER_SUITE_NAMES) {
    it(`connection op with ${cipher}, secp256r1, ed25519 and rsa certificates`, () => {
      for (const cert of ['ed25519', 'rsa']) {
        const w = create(() => makeStrategy('pooled'), 'connection', 500, { cipher, group: 'secp256r1', cert });
        w.op();
        w.verify();
        expect(w.counters()['tls.helloRetryRequests']).toBe(0);
        w.close();
      }
    });
  }

  it('rejects bad params with a configuration error', () => {
    expect(() => create(() => makeStrategy('pooled'), 'request', 100, { cipher: 'TLS_RC4' })).toThrow(expect.objectContaining({ code: 'E_WORKLOAD_CONFIG' }));
    expect(() => create(() => makeStrategy('pooled'), 'flood', 100)).toThrow(expect.objectContaining({ code: 'E_WORKLOAD_CONFIG' }));
    expect(() => create(() => makeStrategy('pooled'), 'request', 20_000)).toThrow(expect.objectContaining({ code: 'E_WORKLOAD_CONFIG' }));
  });

  it('a frame corrupted on the link is caught: TCP drops it, the op fails loudly instead of measuring nonsense', () => {
    const sc = new TlsProxyScenario({ op: 'request', cipher: 'TLS_AES_128_GCM_SHA256', group: 'x25519', cert: 'ec', crypto: 'node' }, 800, () => makeStrategy('pooled'), 1);
    sc.request();
    const inner = sc.link1.a.transmit.bind(sc.link1.a);
    let armed = true;
    sc.link1.a.transmit = (frame) => {
      if (armed && frame.end - frame.start > 500) {
        armed = false;
        frame.buf[frame.end - 20]! ^= 0x10;
      }
      return inner(frame);
    };
    expect(() => sc.request()).toThrow(expect.objectContaining({ code: 'E_TLS_WORKLOAD' }));
    expect(sc.tcpCounters()['tcp.droppedBadChecksum']).toBe(1);
  });
});
