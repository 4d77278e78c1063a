/**
 * The VPN workload end to end in memory, under every strategy (poisoning included), every cipher,
 * both inner protocols: every packet verified, allocation counts as designed, tampering detected.
 */
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { VPN_CIPHERS } from '../../../workloads/vpn/ciphers.js';
import { VpnTunnel, vpnOptionsFromParams, vpnWorkload } from '../../../workloads/vpn/vpn-tunnel.js';
import { runVpnFuzz } from '../../../workloads/vpn/fuzz.js';
import { loadWorkload } from '../../../workloads/registry.js';
import type { WorkloadSetup } from '../../../workloads/workload.js';
import { MAKEABLE_STRATEGY_NAMES } from '../../../allocators/registry.js';

function setup(strategy: string, sizeBytes: number, params: WorkloadSetup['params']): WorkloadSetup {
  return { strategy, makeStrategy: () => makeStrategy(strategy), sizeBytes, params, seed: 3 };
}

describe('vpn workload', () => {
  it('is registered', async () => {
    expect(await loadWorkload('vpn')).toBe(vpnWorkload);
  });

  for (const strategy of MAKEABLE_STRATEGY_NAMES) {
    for (const cipher of VPN_CIPHERS) {
      it(`${strategy} / ${cipher}: 64, 512, 1400-byte udp and tcp packets all arrive intact`, () => {
        for (const size of [64, 512, 1400]) {
          for (const inner of ['udp', 'tcp']) {
            const w = vpnWorkload.create(setup(strategy, size, { cipher, inner }));
            for (let i = 0; i < 1100; i++) w.op();
            w.verify();
            const c = w.counters();
            expect(c['verified']).toBe(1101);
            expect(c['fullyVerified']).toBe(3); // packets 0 and 1024, and verify()'s own
            expect(c['dropped']).toBe(0);
            expect(w.payloadBytesPerOp).toBe(size);
            w.close();
          }
        }
      });
    }
  }

  it('one-big-struct with the null cipher allocates nothing per packet; node AEAD costs 5 foreign buffers', () => {
    const w = vpnWorkload.create(setup('one-big-struct', 1400, { cipher: 'none' }));
    for (let i = 0; i < 100; i++) w.op();
    const a = w.strategyCounters();
    for (let i = 0; i < 1000; i++) w.op();
    const b = w.strategyCounters();
    expect(b.allocations - a.allocations).toBe(0);
    expect(b.foreignAllocations - a.foreignAllocations).toBe(0);
    // The tun copy of the template and the link's copy into the receive buffer.
    expect(b.copies - a.copies).toBe(2000);

    const g = vpnWorkload.create(setup('one-big-struct', 1400, { cipher: 'aes-256-gcm' }));
    for (let i = 0; i < 10; i++) g.op();
    const c = g.strategyCounters();
    for (let i = 0; i < 100; i++) g.op();
    const d = g.strategyCounters();
    expect(d.allocations - c.allocations).toBe(0);
    // seal: update, final, getAuthTag; open: final, update.
    expect(d.foreignAllocations - c.foreignAllocations).toBe(500);
  });

  it('verify() fails when the link corrupts packets (dropped by the tag) or the null cipher lets a change through', () => {
    const w = vpnWorkload.create(setup('pooled', 512, { cipher: 'aes-256-gcm' })) as VpnTunnel;
    const link = (w as unknown as { link: { a: { transmit: (f: { buf: Uint8Array; end: number }) => boolean } } }).link;
    const transmit = link.a.transmit.bind(link.a);
    let n = 0;
    link.a.transmit = (f) => {
      if (n++ === 5) f.buf[f.end - 3]! ^= 0x10;
      return transmit(f);
    };
    for (let i = 0; i < 20; i++) w.op();
    expect(() => w.verify()).toThrow(/1 packets dropped/);

    const z = vpnWorkload.create(setup('pooled', 512, { cipher: 'none' })) as VpnTunnel;
    const zl = (z as unknown as { link: { a: { transmit: (f: { buf: Uint8Array; end: number }) => boolean } } }).link;
    const zt = zl.a.transmit.bind(zl.a);
    let m = 0;
    zl.a.transmit = (f) => {
      // Byte 1 after the end of the inner headers: the counter (checked on every packet).
      if (m++ === 7) f.buf[f.end - 512 + 28]! ^= 0x01;
      return zt(f);
    };
    for (let i = 0; i < 20; i++) z.op();
    expect(() => z.verify()).toThrow(/differed from what was sent/);
  });

  it('rejects unknown params and sizes that do not fit the MTU', () => {
    expect(() => vpnOptionsFromParams({ cipher: 'rot13' })).toThrow(/unknown vpn cipher/);
    expect(() => vpnOptionsFromParams({ inner: 'sctp' })).toThrow(/unknown inner protocol/);
    expect(() => vpnWorkload.create(setup('pooled', 1480, { cipher: 'aes-256-cbc-hmac' }))).toThrow(/1500-byte MTU/);
  });
});

describe('vpn decoder fuzzing (short)', () => {
  for (const strategy of MAKEABLE_STRATEGY_NAMES) {
    it(`${strategy}: 20k packets, the law holds`, () => {
      const r = runVpnFuzz({ packets: 20_000, seed: 11, strategy });
      expect(r.violations).toEqual([]);
      expect(r.packets).toBe(20_000);
      expect(r.accepted).toBeGreaterThan(0);
      expect(r.dropped).toBeGreaterThan(10_000);
    });
  }
});
