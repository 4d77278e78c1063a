import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { WorkloadConfigError } from '../../../workloads/workload.js';
import { loadWorkload } from '../../../workloads/registry.js';
import { createDnsWorkload } from '../../../workloads/dns/dns-workload.js';
import { generateQueryMix, generateZoneText, toQueryFile } from '../../../workloads/dns/zone-generator.js';
import { runDnsFuzz } from '../../../workloads/dns/fuzz.js';
import { MAKEABLE_STRATEGY_NAMES } from '../../../allocators/registry.js';

const setup = (strategy: string, params: Record<string, string | number>, sizeBytes = 64) => ({
  strategy,
  makeStrategy: () => makeStrategy(strategy),
  sizeBytes,
  params: { hosts: 300, ...params },
  seed: 3,
});

describe('dns workload', () => {
  it('is registered', async () => {
    expect((await loadWorkload('dns'))?.name).toBe('dns');
  });

  for (const strategy of MAKEABLE_STRATEGY_NAMES) {
    for (const mix of ['a-only', 'mixed', 'txt-only']) {
      it(`${strategy} × ${mix}: every answer checks out, nothing dropped`, () => {
        const w = createDnsWorkload(setup(strategy, { mix }, 700));
        for (let i = 0; i < 3000; i++) w.op();
        w.verify();
        const c = w.counters();
        expect(c.queriesSent).toBe(3000);
        expect(c.answersOk).toBe(3000);
        expect(c.framesDropped).toBe(0);
        if (mix === 'mixed') {
          expect(c.serverNxDomain).toBeGreaterThan(0);
          expect(c.serverCname).toBeGreaterThan(0);
          expect(c.serverWildcard).toBeGreaterThan(0);
          expect(c.serverNoData).toBeGreaterThan(0);
        }
        expect(w.payloadBytesPerOp).toBeGreaterThan(mix === 'txt-only' ? 700 : 40);
        const sc = w.strategyCounters();
        // Every frame is copied once into the receiver's buffer (the link's DMA): 2 per operation at least.
        expect(sc.copies).toBeGreaterThanOrEqual(6000);
        if (strategy === 'one-big-struct') expect(sc.allocations).toBe(0);
        if (strategy === 'uint8array') expect(sc.allocations).toBeGreaterThanOrEqual(3000 * 2);
        w.close();
      });
    }
  }

  it('also runs without EDNS', () => {
    const w = createDnsWorkload(setup('pooled', { mix: 'mixed', edns: 'false' }, 300));
    for (let i = 0; i < 500; i++) w.op();
    w.verify();
  });

  it('rejects bad configuration with WorkloadConfigError', () => {
    expect(() => createDnsWorkload(setup('pooled', { mix: 'bogus' }))).toThrow(WorkloadConfigError);
    expect(() => createDnsWorkload(setup('pooled', { mix: 'mixed' }, 5000))).toThrow(WorkloadConfigError);
    expect(() => createDnsWorkload(setup('pooled', { mix: 'mixed', hosts: 3 }))).toThrow(WorkloadConfigError);
  });

  it('generates the same zone and query mix from the same seed, different from another seed', () => {
    expect(generateZoneText(9, { hosts: 100 })).toBe(generateZoneText(9, { hosts: 100 }));
    expect(generateZoneText(9, { hosts: 100 })).not.toBe(generateZoneText(10, { hosts: 100 }));
    const q = toQueryFile(generateQueryMix(9, 'mixed', 50, { hosts: 100 }));
    expect(q).toBe(toQueryFile(generateQueryMix(9, 'mixed', 50, { hosts: 100 })));
    expect(q.split('\n')[0]).toMatch(/^[a-z0-9.]+\.bench\.test\. (A|AAAA|MX|TXT)$/);
  });
});

describe('dns fuzz (short)', () => {
  it('30,000 random and mutated packets: no exception, no read outside the input, no write past capacity', () => {
    const r = runDnsFuzz({ count: 30_000, seed: 11 });
    expect(r.failures).toEqual([]);
    expect(r.packets).toBe(30_000);
    expect(r.decodedOk).toBeGreaterThan(1000);
    expect(r.serverAnswered).toBeGreaterThan(1000);
    expect(Object.keys(r.decodeErrors).length).toBeGreaterThan(3);
  });
});
