import { describe, expect, it } from 'vitest';
import type { DnsMessage, DnsRecord } from '../../../stack/dns/message.js';
import { DnsServer } from '../../../stack/dns/server.js';
import * as W from '../../../stack/dns/wire.js';
import { loadZone } from '../../../stack/dns/zone-parser.js';
import { STRATEGY_CASES } from '../strategies.js';
import { decodeOk, encode, exampleServer, queryMessage, stackClient } from './helpers.js';

const rcode = (m: DnsMessage): number => m.flags & 0xf;
const aa = (m: DnsMessage): boolean => (m.flags & W.FLAG_AA) !== 0;
const tc = (m: DnsMessage): boolean => (m.flags & W.FLAG_TC) !== 0;
const show = (rs: DnsRecord[]): string[] =>
  rs.map((r) => `${r.name} ${r.ttl} ${W.typeName(r.type)} ${r.data.kind === 'a' || r.data.kind === 'aaaa' ? r.data.address : r.data.kind === 'name' ? r.data.name : r.data.kind}`);

for (const sc of STRATEGY_CASES) {
  describe(`authoritative server over Ethernet/IPv4/UDP — ${sc.name}`, () => {
    const server = exampleServer();
    const client = stackClient(sc.make, server);
    const ask = (name: string, type: number, o = {}): DnsMessage => {
      const a = client.ask(encode(queryMessage(name, type, o)));
      if (a === null) throw new Error('no answer');
      return decodeOk(a);
    };

    it('answers A with AA, the question echoed and the ID kept', () => {
      const m = ask('WWW.example.test.', W.TYPE_A, { id: 4242, flags: W.FLAG_RD });
      expect(m.id).toBe(4242);
      expect(m.flags & W.FLAG_QR).toBe(W.FLAG_QR);
      expect(m.flags & W.FLAG_RD).toBe(W.FLAG_RD);
      expect(aa(m)).toBe(true);
      expect(rcode(m)).toBe(0);
      expect(m.questions).toEqual([{ name: 'WWW.example.test.', type: 1, class: 1 }]);
      expect(show(m.answers)).toEqual(['WWW.example.test. 3600 A 192.0.2.80', 'WWW.example.test. 3600 A 192.0.2.81']);
    });

    it('NXDOMAIN with the SOA in authority, TTL = min(SOA TTL, MINIMUM) (RFC 2308 §3)', () => {
      const m = ask('nope.example.test.', W.TYPE_A);
      expect(rcode(m)).toBe(W.RCODE_NXDOMAIN);
      expect(aa(m)).toBe(true);
      expect(m.answers).toEqual([]);
      expect(show(m.authorities)).toEqual(['example.test. 300 SOA soa']);
    });

    it('NODATA: NOERROR, empty answer, SOA in authority; also for an empty non-terminal', () => {
      for (const [name, type] of [['www.example.test.', W.TYPE_MX], ['sub.example.test.', W.TYPE_A], ['ent.sub.example.test.', W.TYPE_A]] as const) {
        const m = ask(name, type);
        expect(rcode(m)).toBe(0);
        expect(m.answers).toEqual([]);
        expect(show(m.authorities)).toEqual(['example.test. 300 SOA soa']);
      }
    });

    it('follows a CNAME chain inside the zone and stops at one leaving it', () => {
      const m = ask('chain1.example.test.', W.TYPE_A);
      expect(show(m.answers)).toEqual([
        'chain1.example.test. 3600 CNAME chain2.example.test.',
        'chain2.example.test. 3600 CNAME alias.example.test.',
        'alias.example.test. 3600 CNAME www.example.test.',
        'www.example.test. 3600 A 192.0.2.80',
        'www.example.test. 3600 A 192.0.2.81',
      ]);
      const out = ask('outside.example.test.', W.TYPE_A);
      expect(rcode(out)).toBe(0);
      expect(show(out.answers)).toEqual(['outside.example.test. 3600 CNAME www.example.org.']);
      expect(show(ask('alias.example.test.', W.TYPE_CNAME).answers)).toEqual(['alias.example.test. 3600 CNAME www.example.test.']);
    });

    it('synthesises wildcard answers with the query name as owner (RFC 4592), NODATA for other types', () => {
      const m = ask('x.y.wild.example.test.', W.TYPE_A);
      expect(show(m.answers)).toEqual(['x.y.wild.example.test. 3600 A 192.0.2.99']);
      const nodata = ask('foo.wild.example.test.', W.TYPE_AAAA);
      expect(rcode(nodata)).toBe(0);
      expect(nodata.answers).toEqual([]);
      // The wildcard does not match the closest encloser itself (RFC 4592 §2.2.1): wild.example.test exists as an ENT.
      expect(ask('wild.example.test.', W.TYPE_A).answers).toEqual([]);
    });

    it('REFUSED outside the zone and for other classes, without AA', () => {
      const m = ask('example.org.', W.TYPE_A);
      expect(rcode(m)).toBe(W.RCODE_REFUSED);
      expect(aa(m)).toBe(false);
      const q = queryMessage('www.example.test.', W.TYPE_A);
      q.questions[0]!.class = 3; // CHAOS
      expect(rcode(decodeOk(client.ask(encode(q))!))).toBe(W.RCODE_REFUSED);
    });

    it('FORMERR for malformed queries, NOTIMP for other opcodes, silence for responses', () => {
      const good = encode(queryMessage('www.example.test.', W.TYPE_A));
      const truncated = good.slice(0, good.length - 2);
      const f = decodeOk(client.ask(truncated)!);
      expect(rcode(f)).toBe(W.RCODE_FORMERR);
      expect(f.id).toBe(0x1234);
      const two = queryMessage('www.example.test.', W.TYPE_A);
      two.questions.push({ name: 'a.example.test.', type: 1, class: 1 });
      expect(rcode(decodeOk(client.ask(encode(two))!))).toBe(W.RCODE_FORMERR);
      const forward = Uint8Array.from(good);
      forward[12] = 0xc0;
      forward[13] = 0x20; // forward pointer as the question name
      expect(rcode(decodeOk(client.ask(forward)!))).toBe(W.RCODE_FORMERR);
      const notify = encode(queryMessage('example.test.', W.TYPE_SOA, { flags: 4 << 11 }));
      const n = decodeOk(client.ask(notify)!);
      expect(rcode(n)).toBe(W.RCODE_NOTIMP);
      expect((n.flags >> 11) & 0xf).toBe(4);
      expect(client.ask(encode(queryMessage('www.example.test.', W.TYPE_A, { flags: W.FLAG_QR })))).toBeNull();
      expect(client.ask(good.slice(0, 11))).toBeNull();
      expect(server.counters.droppedResponse).toBeGreaterThan(0);
      expect(server.counters.droppedShort).toBeGreaterThan(0);
    });

    it('EDNS(0): echoes OPT with our size, honours the client size, sets TC when the answer does not fit', () => {
      const big = ask('big.example.test.', W.TYPE_TXT, { ednsBytes: 4096 });
      expect(tc(big)).toBe(false);
      expect(big.answers).toHaveLength(2);
      expect(big.additionals).toEqual([{ name: '.', type: 41, class: 1232, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array(0) } }]);
      const classic = ask('big.example.test.', W.TYPE_TXT);
      expect(tc(classic)).toBe(true);
      expect(classic.answers).toEqual([]);
      expect(classic.additionals).toEqual([]);
      expect(classic.questions).toHaveLength(1);
      // RFC 6891 §6.2.5: sizes below 512 count as 512.
      const tiny = ask('big.example.test.', W.TYPE_TXT, { ednsBytes: 100 });
      expect(tc(tiny)).toBe(true);
      expect(tiny.additionals).toHaveLength(1);
      expect(tc(ask('www.example.test.', W.TYPE_A, { ednsBytes: 100 }))).toBe(false);
    });

    it('BADVERS for EDNS version 1, FORMERR for two OPT records', () => {
      const m = ask('www.example.test.', W.TYPE_A, { ednsBytes: 1232, ednsVersion: 1 });
      expect(rcode(m)).toBe(0);
      expect(m.additionals[0]!.ttl >>> 24).toBe(1); // extended RCODE 16 = 1 << 4 | 0
      const q = queryMessage('www.example.test.', W.TYPE_A, { ednsBytes: 1232 });
      q.additionals.push(q.additionals[0]!);
      expect(rcode(decodeOk(client.ask(encode(q))!))).toBe(W.RCODE_FORMERR);
    });

    it('answers MX, TXT, AAAA, SRV, CAA, PTR and ANY', () => {
      expect(show(ask('example.test.', W.TYPE_MX).answers)).toEqual(['example.test. 3600 MX mx', 'example.test. 3600 MX mx']);
      const txt = ask('quoted.example.test.', W.TYPE_TXT).answers[0]!.data;
      expect(txt.kind === 'txt' && txt.strings.map((s) => Buffer.from(s).toString())).toEqual(['a "quoted" string; with semicolon', 'second part']);
      expect(show(ask('www.example.test.', W.TYPE_AAAA).answers)).toEqual(['www.example.test. 3600 AAAA 2001:db8::80']);
      expect(ask('_sip._udp.example.test.', W.TYPE_SRV).answers[0]!.data).toEqual({ kind: 'srv', priority: 10, weight: 60, port: 5060, target: 'sipserver.example.test.' });
      expect(ask('example.test.', W.TYPE_CAA).answers[0]!.data).toEqual({ kind: 'caa', flags: 0, tag: 'issue', value: Uint8Array.from(Buffer.from('letsencrypt.org')) });
      expect(show(ask('1.2.0.192.in-addr.example.test.', W.TYPE_PTR).answers)).toEqual(['1.2.0.192.in-addr.example.test. 3600 PTR www.example.test.']);
      expect(ask('example.test.', W.TYPE_ANY).answers.map((r) => W.typeName(r.type))).toEqual(['SOA', 'NS', 'NS', 'MX', 'MX', 'TXT', 'A', 'AAAA', 'CAA']);
    });

    it('counts what it did', () => {
      const c = server.counters;
      expect(c.nxDomain).toBeGreaterThan(0);
      expect(c.cnameAnswers).toBeGreaterThan(0);
      expect(c.wildcardAnswers).toBeGreaterThan(0);
      expect(c.truncated).toBeGreaterThan(0);
      expect(client.pair.b.udp.counters.droppedBadChecksum).toBe(0);
    });
  });
}

describe('CNAME loops', () => {
  it('stop at the first repeated node: each CNAME appears once', () => {
    const server = new DnsServer(loadZone('$ORIGIN l.test.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\na CNAME b\nb CNAME c\nc CNAME a\n'));
    const client = stackClient(STRATEGY_CASES[0]!.make, server);
    const m = decodeOk(client.ask(encode(queryMessage('a.l.test.', W.TYPE_A)))!);
    expect(rcode(m)).toBe(0);
    expect(show(m.answers)).toEqual(['a.l.test. 60 CNAME b.l.test.', 'b.l.test. 60 CNAME c.l.test.', 'c.l.test. 60 CNAME a.l.test.']);
  });
});

describe('minimal ANY (RFC 8482 §4.1)', () => {
  const zone = (): ReturnType<typeof loadZone> => exampleServer().zone;
  for (const sc of STRATEGY_CASES) {
    it(`${sc.name}: one RRset, the one with the fewest records, counted; NXDOMAIN unchanged`, () => {
      const server = new DnsServer(zone(), { minimalAny: true });
      const client = stackClient(sc.make, server);
      const apex = decodeOk(client.ask(encode(queryMessage('example.test.', W.TYPE_ANY)))!);
      expect(rcode(apex)).toBe(W.RCODE_NOERROR);
      expect(aa(apex)).toBe(true);
      // The apex holds SOA (1), NS (2), MX (2), TXT (1), A (1), AAAA (1), CAA (1): the SOA comes first.
      expect(apex.answers.map((r) => W.typeName(r.type))).toEqual(['SOA']);
      const www = decodeOk(client.ask(encode(queryMessage('www.example.test.', W.TYPE_ANY)))!);
      expect(www.answers.map((r) => W.typeName(r.type))).toEqual(['AAAA']);
      const nx = decodeOk(client.ask(encode(queryMessage('nope.example.test.', W.TYPE_ANY)))!);
      expect(rcode(nx)).toBe(W.RCODE_NXDOMAIN);
      expect(server.counters.minimalAny).toBe(2);
      // Other types are untouched.
      expect(decodeOk(client.ask(encode(queryMessage('www.example.test.', W.TYPE_A)))!).answers).toHaveLength(2);
    });
  }
});
