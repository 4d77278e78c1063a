/** Rule matching against a plainly written reference matcher, and refusals of malformed rules. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnTable } from '../../../stack/firewall/conn-table.js';
import { FirewallConfigError, RuleSet, prefixContains, type FirewallRule } from '../../../stack/firewall/rules.js';
import { parseIpv4 } from '../../../stack/ipv4/wire.js';

/** Prefix test by division, independent of the bit masks under test. */
function inPrefix(addr: number, p: { addr: number; bits: number } | undefined): boolean {
  if (p === undefined) return true;
  const unit = 2 ** (32 - p.bits);
  return Math.floor(addr / unit) === Math.floor(p.addr / unit);
}

function reference(rules: FirewallRule[], iface: number, protocol: number, src: number, sport: number, dst: number, dport: number): number {
  return rules.findIndex(
    (r) =>
      (r.iface === undefined || r.iface === iface) &&
      (r.protocol === undefined || r.protocol === protocol) &&
      inPrefix(src, r.src) &&
      inPrefix(dst, r.dst) &&
      (r.srcPorts === undefined || (sport >= r.srcPorts.lo && sport <= r.srcPorts.hi)) &&
      (r.dstPorts === undefined || (dport >= r.dstPorts.lo && dport <= r.dstPorts.hi)),
  );
}

const net = (text: string, bits: number) => ({ addr: parseIpv4(text), bits });

describe('RuleSet', () => {
  it('first match wins; absent fields match anything; addresses above 2^31 compare exactly', () => {
    const rules: FirewallRule[] = [
      { iface: 1, protocol: 6, dst: net('203.0.113.0', 24), dstPorts: { lo: 22, hi: 22 }, action: { kind: 'drop' } },
      { protocol: 6, dst: net('203.0.113.0', 24), action: { kind: 'accept' } },
      { src: net('192.168.0.0', 16), action: { kind: 'accept' } },
    ];
    const rs = new RuleSet(rules);
    const dst = parseIpv4('203.0.113.9');
    expect(rs.match(1, 6, parseIpv4('198.51.100.1'), 5000, dst, 22)).toBe(0);
    expect(rs.match(0, 6, parseIpv4('198.51.100.1'), 5000, dst, 22)).toBe(1);
    expect(rs.match(1, 17, parseIpv4('198.51.100.1'), 5000, dst, 22)).toBe(-1);
    expect(rs.match(1, 17, parseIpv4('192.168.255.255'), 1, parseIpv4('255.255.255.255'), 2)).toBe(2);
    expect(rs.match(1, 17, parseIpv4('192.169.0.0'), 1, dst, 2)).toBe(-1);
    expect(rs.defaultAction).toBe(1);
  });

  it('agrees with the reference matcher on random rule sets and packets', () => {
    const prefix = fc.option(fc.record({ addr: fc.nat({ max: 0xffff_ffff }), bits: fc.integer({ min: 0, max: 32 }) }).map((p) => ({ bits: p.bits, addr: p.bits === 0 ? 0 : Math.floor(p.addr / 2 ** (32 - p.bits)) * 2 ** (32 - p.bits) })), { nil: undefined });
    const ports = fc.option(fc.tuple(fc.nat({ max: 65535 }), fc.nat({ max: 65535 })).map(([a, b]) => ({ lo: Math.min(a, b), hi: Math.max(a, b) })), { nil: undefined });
    const rule = fc.record({ iface: fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }), protocol: fc.constantFrom(6, 17), src: prefix, dst: prefix, srcPorts: ports, dstPorts: ports });
    const packet = fc.tuple(fc.integer({ min: 0, max: 1 }), fc.constantFrom(6, 17), fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 65535 }), fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 65535 }));
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 20 }), fc.array(packet, { minLength: 1, maxLength: 20 }), (raw, packets) => {
        const rules: FirewallRule[] = raw.map((r) => {
          const out: FirewallRule = { protocol: r.protocol, action: { kind: 'accept' } };
          if (r.iface !== undefined) out.iface = r.iface;
          if (r.src !== undefined) out.src = r.src;
          if (r.dst !== undefined) out.dst = r.dst;
          if (r.srcPorts !== undefined) out.srcPorts = r.srcPorts;
          if (r.dstPorts !== undefined) out.dstPorts = r.dstPorts;
          return out;
        });
        const rs = new RuleSet(rules);
        for (const [i, p, s, sp, d, dp] of packets) {
          // Packets near some rule's prefixes too, not only uniformly random ones.
          const s2 = rules[0]?.src ? rules[0].src.addr : s;
          for (const src of [s, s2]) expect(rs.match(i, p, src, sp, d, dp)).toBe(reference(rules, i, p, src, sp, d, dp));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses malformed rules with E_FIREWALL_CONFIG, naming the rule', () => {
    const bad: Array<[FirewallRule, RegExp]> = [
      [{ dstPorts: { lo: 53, hi: 53 }, action: { kind: 'accept' } }, /rule 0: port ranges need protocol 6/],
      [{ protocol: 17, dstPorts: { lo: 9, hi: 8 }, action: { kind: 'accept' } }, /lo <= hi/],
      [{ src: net('10.1.2.3', 16), action: { kind: 'drop' } }, /bits set beyond \/16/],
      [{ src: { addr: 0, bits: 33 }, action: { kind: 'drop' } }, /prefix length 33/],
      [{ protocol: 1, action: { kind: 'snat', addr: 1, ports: { lo: 1, hi: 2 } } }, /snat rewrites ports/],
      [{ protocol: 6, action: { kind: 'snat', addr: 1, ports: { lo: 0, hi: 2 } } }, /must not include port 0/],
    ];
    for (const [r, msg] of bad) {
      let err: unknown;
      try {
        new RuleSet([r]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FirewallConfigError);
      expect((err as FirewallConfigError).code).toBe('E_FIREWALL_CONFIG');
      expect((err as Error).message).toMatch(msg);
    }
    expect(prefixContains(net('10.0.0.0', 8), parseIpv4('10.255.0.1'))).toBe(true);
  });
});

describe('ConnTable', () => {
  it('finds both directions of a connection, refuses clashes and a full table', () => {
    const t = new ConnTable(4);
    const a = parseIpv4('10.1.0.10');
    const b = parseIpv4('203.0.113.1');
    const pub = parseIpv4('198.51.100.254');
    expect(t.addConnection(17, a, 40000, b, 53, pub, 20000, b, 53)).toBe(true);
    const fwd = t.lookup(17, a, 40000, b, 53);
    expect([t.newSrc(fwd) >>> 0, t.newSrcPort(fwd), t.newDst(fwd) >>> 0, t.newDstPort(fwd)]).toEqual([pub, 20000, b, 53]);
    const rev = t.lookup(17, b, 53, pub, 20000);
    expect([t.newSrc(rev) >>> 0, t.newSrcPort(rev), t.newDst(rev) >>> 0, t.newDstPort(rev)]).toEqual([b, 53, a, 40000]);
    expect(t.lookup(6, a, 40000, b, 53)).toBe(-1);
    // The same reply key for another inside host: a NAT clash, refused.
    expect(t.addConnection(17, a + 1, 40000, b, 53, pub, 20000, b, 53)).toBe(false);
    expect(t.addConnection(17, a + 1, 40000, b, 53, pub, 20001, b, 53)).toBe(true);
    expect(t.entries).toBe(4);
    expect(t.addConnection(17, a + 2, 40000, b, 53, pub, 20002, b, 53)).toBe(false);
    t.clear();
    expect(t.lookup(17, a, 40000, b, 53)).toBe(-1);
    expect(() => new ConnTable(1)).toThrow(FirewallConfigError);
  });

  it('agrees with a Map over thousands of random connections', () => {
    const t = new ConnTable(8192);
    const ref = new Map<string, number[]>();
    let x = 12345;
    const rnd = (): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return x;
    };
    for (let i = 0; i < 4000; i++) {
      const k = [rnd() % 2 ? 6 : 17, rnd(), rnd() & 0xffff, rnd(), rnd() & 0xffff] as const;
      const v = [rnd(), rnd() & 0xffff, rnd(), rnd() & 0xffff] as const;
      const fwdKey = k.join(',');
      const revKey = [k[0], v[2], v[3], v[0], v[1]].join(',');
      const ok = t.addConnection(k[0], k[1], k[2], k[3], k[4], v[0], v[1], v[2], v[3]);
      expect(ok).toBe(!ref.has(fwdKey) && !ref.has(revKey) && fwdKey !== revKey);
      if (ok) {
        ref.set(fwdKey, [v[0], v[1], v[2], v[3]]);
        ref.set(revKey, [k[3], k[4], k[1], k[2]]);
      }
    }
    for (const [key, v] of ref) {
      const [p, s, sp, d, dp] = key.split(',').map(Number) as [number, number, number, number, number];
      const slot = t.lookup(p, s, sp, d, dp);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect([t.newSrc(slot) >>> 0, t.newSrcPort(slot), t.newDst(slot) >>> 0, t.newDstPort(slot)]).toEqual(v);
    }
    expect(t.entries).toBe(ref.size);
  });
});
