/**
 * Review of the answer index / record template change (stack/dns/name.ts, zone.ts, server.ts): the
 * cases a fast path is most likely to get wrong, each checked against an oracle that does not share
 * the code under test — the generic path (zone built without compact forms: the name compressor),
 * hand-computed expectations, and `dns-packet` plus our strict decoder (pointers only backwards).
 *
 * - full 32-bit hash collisions between names of the same length (the word compare must decide);
 * - names of 255 bytes / 127 labels, labels of 63 bytes, 256-byte names (FORMERR);
 * - bytes >= 0x80 (never case-folded) and uppercase in the zone vs in the query, the question's case echoed;
 * - RFC 4592 wildcards: closest encloser, no match for existing names or empty non-terminals;
 * - templates whose names overlap the question, and the compressor's 128-slot limit;
 * - EDNS sizes and TC on template answers; a root zone;
 * - a property: random zones and queries, rcode and answer count from an independent model.
 */
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DnsMessage } from '../../../stack/dns/message.js';
import { hashName, nameFromText } from '../../../stack/dns/name.js';
import { DnsServer } from '../../../stack/dns/server.js';
import * as W from '../../../stack/dns/wire.js';
import { loadZone, parseZoneText } from '../../../stack/dns/zone-parser.js';
import { Zone } from '../../../stack/dns/zone.js';
import { STRATEGY_CASES } from '../strategies.js';
import { decodeOk, stackClient } from './helpers.js';

/** A query in wire form: header (QDCOUNT 1, ARCOUNT 0/1), the uncompressed name given as wire bytes, QTYPE, QCLASS IN, optional OPT. */
function rawQuery(name: Uint8Array, type: number, o: { id?: number; ednsBytes?: number } = {}): Uint8Array {
  const opt = o.ednsBytes === undefined ? [] : [0, 0, W.TYPE_OPT, o.ednsBytes >>> 8, o.ednsBytes & 0xff, 0, 0, 0, 0, 0, 0];
  const id = o.id ?? 0x4321;
  return Uint8Array.of(id >>> 8, id & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, opt.length > 0 ? 1 : 0, ...name, type >>> 8, type & 0xff, 0, 1, ...opt);
}

const wire = (text: string): Uint8Array => nameFromText(text);

/** The answer of a zone built without compact forms: every section through the name compressor. */
function genericAnswer(text: string, query: Uint8Array, maxUdp: number, capacity?: number): Uint8Array {
  const parsed = parseZoneText(text, { fileName: 'generic.zone' });
  const server = new DnsServer(Zone.build(parsed.origin, parsed.records, { compactForms: false }), { maxUdpPayloadBytes: maxUdp });
  const cap = server.prepare(query, 0, query.length);
  const out = new Uint8Array(cap).fill(0x5a);
  return out.slice(0, server.write(out, 0, capacity ?? cap));
}

/** Decodes with both decoders (ours rejects forward pointers and loops) and returns ours. */
function decodeBoth(bytes: Uint8Array): DnsMessage {
  const m = decodeOk(bytes);
  const p = dnsPacket.decode(Buffer.from(bytes));
  expect(p.answers?.length ?? 0).toBe(m.answers.length);
  expect(p.authorities?.length ?? 0).toBe(m.authorities.length);
  return m;
}

const rcodeOf = (m: DnsMessage): number => m.flags & 0xf;
const tcOf = (m: DnsMessage): boolean => (m.flags & W.FLAG_TC) !== 0;

interface Case {
  what: string;
  zone: string;
  query: Uint8Array;
  /** Checks on the decoded answer (beyond equality with the generic path). */
  check(m: DnsMessage): void;
}

const COLLIDING = ['8647mxp6vitb.example.test.', 'ev312mqiiry7.example.test.'] as const;

const HEAD = ['$ORIGIN example.test.', '$TTL 300', '@ IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60', 'ns1 IN A 192.0.2.1'];

/** Labels of `n` bytes of `c`, then example.test.: for long names. */
function longName(labels: number, labelBytes: number, c = 'l'): string {
  return `${Array.from({ length: labels }, (_, i) => (i === 0 ? c.toUpperCase() : c).repeat(labelBytes)).join('.')}.example.test.`;
}

function cases(): Case[] {
  const out: Case[] = [];
  // --- Full 32-bit hash collisions: same length, same FNV-1a, different names.
  const both = [...HEAD, `${COLLIDING[0]} IN A 192.0.2.10`, `${COLLIDING[1]} IN A 192.0.2.11`, `${COLLIDING[1]} IN MX 5 ns1`, ''].join('\n');
  const onlyFirst = [...HEAD, `${COLLIDING[0]} IN A 192.0.2.10`, `${COLLIDING[0]} IN MX 5 ns1`, '*.example.test. IN TXT "wild"', ''].join('\n');
  out.push(
    { what: 'collision: first name', zone: both, query: rawQuery(wire(COLLIDING[0]), W.TYPE_A), check: (m) => expect(m.answers.map((r) => r.data)).toEqual([{ kind: 'a', address: '192.0.2.10' }]) },
    { what: 'collision: second name (upper case)', zone: both, query: rawQuery(wire(COLLIDING[1].toUpperCase()), W.TYPE_A), check: (m) => expect(m.answers.map((r) => [r.name, r.data])).toEqual([[COLLIDING[1].toUpperCase(), { kind: 'a', address: '192.0.2.11' }]]) },
    { what: 'collision: second name MX template', zone: both, query: rawQuery(wire(COLLIDING[1]), W.TYPE_MX), check: (m) => expect(m.answers.map((r) => r.data)).toEqual([{ kind: 'mx', preference: 5, exchange: 'ns1.example.test.' }]) },
    { what: 'collision: absent twin is NXDOMAIN', zone: [...HEAD, `${COLLIDING[0]} IN A 192.0.2.10`, ''].join('\n'), query: rawQuery(wire(COLLIDING[1]), W.TYPE_A), check: (m) => expect([rcodeOf(m), m.answers.length]).toEqual([W.RCODE_NXDOMAIN, 0]) },
    { what: 'collision: absent twin takes the wildcard, not the twin', zone: onlyFirst, query: rawQuery(wire(COLLIDING[1]), W.TYPE_MX), check: (m) => expect([rcodeOf(m), m.answers.length, m.authorities.length]).toEqual([0, 0, 1]) },
  );
  // --- Long names: 63-byte labels; a 255-byte question (the wildcard answers it); 127 labels.
  const wildMx = [...HEAD, '*.example.test. IN MX 10 mail.example.org.', '*.example.test. IN MX 20 ns1', '*.example.test. IN A 192.0.2.99', `${longName(3, 63)} IN TXT "long"`, ''].join('\n');
  // example.test. is 14 bytes on the wire: 120 one-byte labels make 254 bytes (122 labels).
  const name254 = `${'a.'.repeat(120)}example.test.`;
  const name115 = `${'b.'.repeat(113)}example.test.`;
  for (const type of [W.TYPE_A, W.TYPE_MX, W.TYPE_TXT, W.TYPE_AAAA]) {
    out.push({ what: `254-byte question, type ${type}`, zone: wildMx, query: rawQuery(wire(name254), type, { ednsBytes: 4096 }), check: (m) => expect(m.questions[0]!.name).toBe(name254) });
    out.push({ what: `115-label question, type ${type}`, zone: wildMx, query: rawQuery(wire(name115), type), check: (m) => expect(rcodeOf(m)).toBe(0) });
  }
  out.push({ what: '63-byte labels, exact node, mixed case', zone: wildMx, query: rawQuery(wire(longName(3, 63)), W.TYPE_TXT), check: (m) => expect(m.answers.map((r) => r.name)).toEqual([longName(3, 63)]) });
  out.push({ what: '63-byte labels, NODATA', zone: wildMx, query: rawQuery(wire(longName(3, 63)), W.TYPE_MX), check: (m) => expect([rcodeOf(m), m.answers.length, m.authorities.length]).toEqual([0, 0, 1]) });
  out.push({ what: '63-byte labels below an existing name: NXDOMAIN (no wildcard at the closest encloser)', zone: wildMx, query: rawQuery(wire(`x.${longName(3, 63)}`), W.TYPE_A), check: (m) => expect(rcodeOf(m)).toBe(W.RCODE_NXDOMAIN) });
  // --- Bytes >= 0x80 are not letters: 0xC1 and 0xE1 differ (0xC1 | 0x20 === 0xE1); ASCII case folds.
  const high = [...HEAD, '\\193x IN A 192.0.2.20', 'MiXeD IN A 192.0.2.21', 'MiXeD IN MX 1 \\193x', 'up IN CNAME MiXeD', ''].join('\n');
  out.push(
    { what: '0xC1 label found by itself', zone: high, query: rawQuery(wire('\\193X.example.test.'), W.TYPE_A), check: (m) => expect(m.answers.map((r) => r.name)).toEqual(['\\193X.example.test.']) },
    { what: '0xE1 is not 0xC1 lowercased', zone: high, query: rawQuery(wire('\\225x.example.test.'), W.TYPE_A), check: (m) => expect(rcodeOf(m)).toBe(W.RCODE_NXDOMAIN) },
    { what: 'zone upper case, query lower case, echoed as asked', zone: high, query: rawQuery(wire('mixed.EXAMPLE.test.'), W.TYPE_A), check: (m) => expect(m.answers.map((r) => r.name)).toEqual(['mixed.EXAMPLE.test.']) },
    { what: 'MX template with a 0xC1 target', zone: high, query: rawQuery(wire('MIXED.example.test.'), W.TYPE_MX), check: (m) => expect(m.answers.map((r) => r.data)).toEqual([{ kind: 'mx', preference: 1, exchange: '\\193x.example.test.' }]) },
    { what: 'CNAME template to an upper-case target', zone: high, query: rawQuery(wire('UP.example.test.'), W.TYPE_A), check: (m) => expect(m.answers.map((r) => r.name)).toEqual(['UP.example.test.', 'MiXeD.example.test.']) },
  );
  // --- RFC 4592: closest encloser; existing names and empty non-terminals block the wildcard.
  const wild = [...HEAD, '*.w IN A 192.0.2.30', '*.w IN MX 1 ns1', 'host.w IN TXT "h"', 'deep.ent.w IN A 192.0.2.31', '*.a.b.w IN TXT "ab"', ''].join('\n');
  const expectRcode = (rcode: number, answers: number) => (m: DnsMessage): void => expect([rcodeOf(m), m.answers.length]).toEqual([rcode, answers]);
  out.push(
    { what: 'wildcard: one label below', zone: wild, query: rawQuery(wire('x.w.example.test.'), W.TYPE_A), check: expectRcode(0, 1) },
    { what: 'wildcard: several labels below (closest encloser w)', zone: wild, query: rawQuery(wire('x.y.z.W.example.test.'), W.TYPE_MX), check: expectRcode(0, 1) },
    { what: 'wildcard: existing name is not synthesised (NODATA)', zone: wild, query: rawQuery(wire('host.w.example.test.'), W.TYPE_A), check: expectRcode(0, 0) },
    { what: 'wildcard: empty non-terminal is not synthesised (NODATA)', zone: wild, query: rawQuery(wire('ent.w.example.test.'), W.TYPE_A), check: expectRcode(0, 0) },
    { what: 'wildcard: below an existing name, no wildcard there (NXDOMAIN)', zone: wild, query: rawQuery(wire('x.host.w.example.test.'), W.TYPE_A), check: expectRcode(W.RCODE_NXDOMAIN, 0) },
    { what: 'wildcard: below the ENT b.w, closest encloser b.w has no * (NXDOMAIN)', zone: wild, query: rawQuery(wire('x.b.w.example.test.'), W.TYPE_TXT), check: expectRcode(W.RCODE_NXDOMAIN, 0) },
    { what: 'wildcard: *.a.b.w', zone: wild, query: rawQuery(wire('q.a.b.w.example.test.'), W.TYPE_TXT), check: expectRcode(0, 1) },
    { what: 'wildcard: the * name itself', zone: wild, query: rawQuery(wire('*.w.example.test.'), W.TYPE_A), check: expectRcode(0, 1) },
    { what: 'wildcard: below the * name (closest encloser *.w, no *.*.w)', zone: wild, query: rawQuery(wire('x.*.w.example.test.'), W.TYPE_A), check: expectRcode(W.RCODE_NXDOMAIN, 0) },
  );
  // --- Templates whose names overlap the question (the guard must fall back to the compressor).
  const overlap = [
    '$ORIGIN example.test.',
    '$TTL 300',
    '@ IN SOA q.ns.example.test. h.q.ns.example.test. 1 3600 600 86400 60',
    'q.ns IN A 192.0.2.1',
    'a.b IN CNAME b',
    'b IN A 192.0.2.2',
    'c.d IN MX 1 d',
    'c.d IN MX 2 x.c.d',
    'd IN A 192.0.2.3',
    'e IN CNAME example.test.',
    'f IN CNAME q.ns',
    'x.q.ns IN SRV 0 0 53 q.ns',
    '',
  ].join('\n');
  for (const [name, type] of [
    ['a.b.example.test.', W.TYPE_A],
    ['A.B.example.test.', W.TYPE_TXT],
    ['c.d.example.test.', W.TYPE_MX],
    ['e.example.test.', W.TYPE_A],
    ['e.example.test.', W.TYPE_TXT],
    ['f.example.test.', W.TYPE_A],
    ['F.example.test.', W.TYPE_MX],
    ['x.q.ns.example.test.', W.TYPE_SRV],
    ['x.q.NS.example.test.', W.TYPE_A],
    ['zz.q.ns.example.test.', W.TYPE_A],
    ['h.q.ns.example.test.', W.TYPE_A],
    ['example.test.', W.TYPE_MX],
  ] as const) {
    out.push({ what: `overlap: ${name} ${type}`, zone: overlap, query: rawQuery(wire(name), type), check: (m) => expect(m.questions[0]!.name).toBe(name) });
  }
  // --- The compressor remembers 128 suffixes: a 115-label question leaves too few for a template of 15 labels.
  const manyNames = [...HEAD, ...Array.from({ length: 20 }, (_, i) => `mx IN MX ${i} mailhost${i}.net${i}.example.test.`), `*.mx IN MX 1 ${'k.'.repeat(14)}h.example.test.`, ''].join('\n');
  out.push(
    { what: 'slots: MX set with 20 names, short question', zone: manyNames, query: rawQuery(wire('mx.example.test.'), W.TYPE_MX, { ednsBytes: 4096 }), check: expectRcode(0, 20) },
    { what: 'slots: wildcard MX, 115-label question', zone: manyNames, query: rawQuery(wire(`${'b.'.repeat(112)}mx.example.test.`), W.TYPE_MX, { ednsBytes: 4096 }), check: expectRcode(0, 1) },
    { what: 'slots: NXDOMAIN, 122-label question', zone: manyNames, query: rawQuery(wire(name254), W.TYPE_A), check: expectRcode(W.RCODE_NXDOMAIN, 0) },
  );
  // --- TC: a template answer too big for 512 bytes; the same with EDNS room.
  out.push(
    { what: 'TC: MX template over 512 bytes without EDNS', zone: manyNames, query: rawQuery(wire('mx.example.test.'), W.TYPE_MX), check: (m) => expect([tcOf(m), m.answers.length, m.authorities.length]).toEqual([true, 0, 0]) },
    { what: 'TC: MX template over 512 bytes, EDNS 512', zone: manyNames, query: rawQuery(wire('mx.example.test.'), W.TYPE_MX, { ednsBytes: 100 }), check: (m) => expect([tcOf(m), m.answers.length, m.additionals.length]).toEqual([true, 0, 1]) },
  );
  // --- A root zone (origin "."): no name below the origin is special.
  const root = ['$ORIGIN .', '$TTL 300', '. IN SOA a.root-servers.net. nstld.example. 1 3600 600 86400 60', '. IN NS a.root-servers.net.', 'a.root-servers.net. IN A 198.41.0.4', 'net. IN MX 1 a.root-servers.net.', '*.example. IN A 192.0.2.9', ''].join('\n');
  for (const [name, type] of [['.', W.TYPE_NS], ['.', W.TYPE_A], ['com.', W.TYPE_A], ['net.', W.TYPE_MX], ['root-servers.net.', W.TYPE_A], ['x.example.', W.TYPE_A], ['nstld.example.', W.TYPE_TXT], ['A.ROOT-SERVERS.NET.', W.TYPE_A]] as const) {
    out.push({ what: `root zone: ${name} ${type}`, zone: root, query: rawQuery(wire(name), type), check: (m) => expect(m.questions[0]!.name).toBe(name) });
  }
  return out;
}

describe('review edge cases: test inputs are what they claim', () => {
  it('the colliding names have the same length and the same 32-bit hash', () => {
    const [a, b] = COLLIDING.map((n) => wire(n));
    expect(a!.length).toBe(b!.length);
    expect(hashName(a!, 0)).toBe(hashName(b!, 0));
    expect(hashName(wire(COLLIDING[1].toUpperCase()), 0)).toBe(hashName(b!, 0));
  });

  it('the long names are 254 and 255 bytes', () => {
    expect(wire(`${'a.'.repeat(120)}example.test.`).length).toBe(254);
    // 254 + one more byte of label: the maximum.
    expect(wire(`${'a.'.repeat(119)}aa.example.test.`).length).toBe(255);
  });
});

for (const sc of STRATEGY_CASES) {
  describe(`review edge cases over Ethernet/IPv4/UDP — ${sc.name}`, () => {
    it('every case: same bytes as the generic path, decodes strictly and with dns-packet, meets its check', () => {
      const servers = new Map<string, ReturnType<typeof stackClient>>();
      for (const c of cases()) {
        let client = servers.get(c.zone);
        if (client === undefined) {
          client = stackClient(sc.make, new DnsServer(loadZone(c.zone, { fileName: 'review.zone' }), { maxUdpPayloadBytes: 1232 }));
          servers.set(c.zone, client);
        }
        const got = client.ask(c.query);
        expect(got, c.what).not.toBeNull();
        // The stack's frame carries at most 1472 bytes of UDP payload at MTU 1500 (the DnsUdpService's capacity).
        const want = genericAnswer(c.zone, c.query, 1232, 1472);
        expect([c.what, ...got!]).toEqual([c.what, ...want]);
        const m = decodeBoth(got!);
        expect(m.id, c.what).toBe(0x4321);
        expect((m.flags & W.FLAG_AA) !== 0 || rcodeOf(m) === W.RCODE_REFUSED, c.what).toBe(true);
        c.check(m);
      }
    });
  });
}

describe('review edge cases: names at and over the limits', () => {
  const zone = [...HEAD, '*.example.test. IN A 192.0.2.99', ''].join('\n');
  it('a 255-byte question is answered (wildcard), echoed byte for byte; a 256-byte one is FORMERR', () => {
    const server = new DnsServer(loadZone(zone, { fileName: 'z' }));
    const out = new Uint8Array(1232);
    const max = wire(`${'A.'.repeat(119)}aa.example.test.`);
    expect(max.length).toBe(255);
    const q = rawQuery(max, W.TYPE_A);
    const end = server.respond(q, 0, q.length, out);
    const m = decodeBoth(out.slice(0, end));
    expect([rcodeOf(m), m.answers.length]).toEqual([0, 1]);
    expect([...out.subarray(12, 12 + 255)]).toEqual([...max]);
    // One more byte: a 2-byte label in place of a 1-byte one.
    const over = Uint8Array.of(...max.subarray(0, 2), 1, 0x61, ...max.subarray(2));
    const tooLong = rawQuery(over, W.TYPE_A);
    const end2 = server.respond(tooLong, 0, tooLong.length, out);
    expect(rcodeOf(decodeOk(out.slice(0, end2)))).toBe(W.RCODE_FORMERR);
  });

  it('a question name that is a compression pointer to a name in the header is read like readName (here: FORMERR, bad pointer loop)', () => {
    const server = new DnsServer(loadZone(zone, { fileName: 'z' }));
    const out = new Uint8Array(1232);
    const q = Uint8Array.of(0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1);
    const end = server.respond(q, 0, q.length, out);
    expect(rcodeOf(decodeOk(out.slice(0, end)))).toBe(W.RCODE_FORMERR);
  });
});

/**
 * An independent model of lookup (RFC 1034 §4.3.2 without CNAMEs, RFC 4592 wildcards): names as
 * lowercased text (only ASCII letters fold), nodes are owners and all their ancestors down to the origin.
 */
function modelAnswer(origin: string, owners: Map<string, Map<number, number>>, qname: string, qtype: number): { rcode: number; answers: number } {
  const key = (n: string): string => n.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const nodes = new Set<string>();
  for (const o of owners.keys()) {
    let n = o;
    for (;;) {
      nodes.add(n);
      if (n === origin) break;
      n = n.slice(n.indexOf('.') + 1);
    }
  }
  const q = key(qname);
  let node: string | null = nodes.has(q) ? q : null;
  if (node === null) {
    let p = q;
    while (!nodes.has(p)) p = p.slice(p.indexOf('.') + 1);
    const w = `*.${p}`;
    node = nodes.has(w) ? w : null;
  }
  if (node === null) return { rcode: W.RCODE_NXDOMAIN, answers: 0 };
  return { rcode: 0, answers: owners.get(node)?.get(qtype) ?? 0 };
}

describe('review edge cases: random zones against an independent lookup model', () => {
  it('rcode, answer count, owner = question as asked; bytes equal to the generic path (property)', () => {
    const origin = 'ex.test.';
    const label = fc.constantFrom('a', 'b', 'A', 'B', 'ns', '\\193', '\\225', 'c-d', '*');
    const owner = fc.array(label, { minLength: 0, maxLength: 3 }).map((ls) => (ls.length === 0 ? origin : `${ls.map((l, i) => (l === '*' && i > 0 ? 'a' : l)).join('.')}.${origin}`));
    const record = fc.tuple(owner, fc.constantFrom('A', 'TXT', 'MX'), fc.nat(200));
    const query = fc.tuple(fc.array(label, { minLength: 0, maxLength: 4 }), fc.constantFrom(W.TYPE_A, W.TYPE_TXT, W.TYPE_MX, W.TYPE_AAAA), fc.boolean());
    fc.assert(
      fc.property(fc.array(record, { minLength: 0, maxLength: 15 }), fc.array(query, { minLength: 1, maxLength: 20 }), (records, queries) => {
        const lines = [`$ORIGIN ${origin}`, '$TTL 60', `@ IN SOA ns.${origin} h.a.${origin} 1 2 3 4 5`];
        const owners = new Map<string, Map<number, number>>();
        const seen = new Set<string>();
        for (const [o, t, n] of records) {
          const rdata = t === 'A' ? `192.0.2.${n}` : t === 'TXT' ? `"${n}"` : `${n} ${n % 2 === 0 ? 'ns' : 'a.b'}.${origin}`;
          const k = `${o.toLowerCase()} ${t} ${rdata}`;
          if (seen.has(k)) continue;
          seen.add(k);
          lines.push(`${o} IN ${t} ${rdata}`);
          const key = o.replace(/[A-Z]/g, (c) => c.toLowerCase());
          const byType = owners.get(key) ?? new Map<number, number>();
          const type = t === 'A' ? W.TYPE_A : t === 'TXT' ? W.TYPE_TXT : W.TYPE_MX;
          byType.set(type, (byType.get(type) ?? 0) + 1);
          owners.set(key, byType);
        }
        owners.set(origin, owners.get(origin) ?? new Map());
        const text = `${lines.join('\n')}\n`;
        const server = new DnsServer(loadZone(text, { fileName: 'p' }));
        const out = new Uint8Array(1232).fill(0xa5);
        for (const [labels, type, edns] of queries) {
          const qname = labels.length === 0 ? origin : `${labels.join('.')}.${origin}`;
          const q = rawQuery(wire(qname), type, edns ? { ednsBytes: 1232 } : {});
          const end = server.respond(q, 0, q.length, out);
          const got = out.slice(0, end);
          expect([...got]).toEqual([...genericAnswer(text, q, 1232)]);
          const m = decodeBoth(got);
          const want = modelAnswer(origin, owners, qname, type);
          expect([qname, type, rcodeOf(m), m.answers.length]).toEqual([qname, type, want.rcode, want.answers]);
          for (const r of m.answers) expect(r.name).toBe(qname);
          expect(m.authorities.length).toBe(want.answers === 0 ? 1 : 0);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('review edge cases: a truncated answer carries its own RCODE, not the previous query\'s', () => {
  // Each path that runs out of room must still answer NOERROR + TC — found in review: the fast paths
  // (compact answer from the index, name template, CNAME template) returned -1 before setting the
  // RCODE, and so did two older paths (ANY, a CNAME record that does not fit), so the header took
  // whatever the query before had (here NXDOMAIN, then REFUSED).
  const long = (c: string, last: string): string => `${c.repeat(63)}.${c.repeat(63)}.${c.repeat(63)}.${last.repeat(46)}.example.test.`;
  const zone = [
    ...HEAD,
    ...Array.from({ length: 4 }, (_, i) => `big IN TXT "${String(i).repeat(200)}"`),
    ...Array.from({ length: 20 }, (_, i) => `mx IN MX ${i} mailhost${i}.net${i}.example.test.`),
    'cn IN CNAME big',
    // A 253-byte name whose CNAME to another 253-byte name alone passes 512 bytes.
    `${long('x', 'q')} IN CNAME ${long('y', 'r')}`,
    `${long('y', 'r')} IN A 192.0.2.5`,
    '',
  ].join('\n');
  const asked: Array<[string, number]> = [
    ['big.example.test.', W.TYPE_TXT],
    ['mx.example.test.', W.TYPE_MX],
    ['cn.example.test.', W.TYPE_TXT],
    ['big.example.test.', W.TYPE_ANY],
    [long('x', 'q'), W.TYPE_A],
  ];
  for (const sc of STRATEGY_CASES) {
    it(`${sc.name}: compact answer, MX template, CNAME template, ANY, long CNAME: NOERROR + TC after NXDOMAIN and after REFUSED`, () => {
      const server = new DnsServer(loadZone(zone, { fileName: 'tc.zone' }));
      const client = stackClient(sc.make, server);
      expect(wire(long('x', 'q')).length).toBe(253);
      for (const [name, type] of asked) {
        for (const before of ['nope.example.test.', 'example.org.']) {
          const first = decodeOk(client.ask(rawQuery(wire(before), W.TYPE_A))!);
          expect(rcodeOf(first)).toBe(before === 'example.org.' ? W.RCODE_REFUSED : W.RCODE_NXDOMAIN);
          const got = client.ask(rawQuery(wire(name), type))!;
          const m = decodeBoth(got);
          expect([name, before, rcodeOf(m), tcOf(m), m.answers.length, m.authorities.length]).toEqual([name, before, W.RCODE_NOERROR, true, 0, 0]);
          expect([...got]).toEqual([...genericAnswer(zone, rawQuery(wire(name), type), 1232)]);
        }
      }
      expect(server.counters.truncated).toBe(2 * asked.length);
      expect(server.counters.nxDomain).toBe(asked.length);
      expect(server.counters.refused).toBe(asked.length);
      // The data exists but did not fit: NOERROR, not NODATA.
      expect(server.counters.noData).toBe(0);
      expect(server.counters.noError).toBe(2 * asked.length);
    });
  }
});
