/**
 * The compact answer path (`RRset.wire`, the owner as a pointer to the question) must write the
 * very bytes the generic path writes (rdata parts through the name compressor): the zone is answered
 * twice, once as built and once with every compact form removed, and the answers compared byte for byte.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DnsServer } from '../../../stack/dns/server.js';
import * as W from '../../../stack/dns/wire.js';
import { loadZone, parseZoneText } from '../../../stack/dns/zone-parser.js';
import { Zone } from '../../../stack/dns/zone.js';
import { nameFromText } from '../../../stack/dns/name.js';
import { generateQueryMix, generateZoneText } from '../../../workloads/dns/zone-generator.js';
import { encode, queryMessage } from './helpers.js';

const EXAMPLE = new URL('../../../workloads/dns/example.zone', import.meta.url);

function answerAll(zone: Zone, queries: Array<{ name: string; type: number; edns: boolean }>, maxUdp = 1232): Uint8Array[] {
  const server = new DnsServer(zone, { maxUdpPayloadBytes: maxUdp });
  return queries.map((q, i) => {
    const bytes = encode(queryMessage(q.name, q.type, q.edns ? { id: i, ednsBytes: 1232 } : { id: i }));
    const cap = server.prepare(bytes, 0, bytes.length);
    const out = new Uint8Array(cap);
    // Stale bytes, so that a write that relies on zeroed memory would show.
    out.fill(0xa5);
    return out.slice(0, server.write(out, 0, cap));
  });
}

/** The zone of `text` built without compact forms (set wire, node blocks, the answer index's blocks): the server takes the generic path. */
function genericZone(text: string, fileName: string): Zone {
  const parsed = parseZoneText(text, { fileName });
  return Zone.build(parsed.origin, parsed.records, { compactForms: false });
}

/** How many RRsets of `zone` have a compact form, and how many nodes' blocks hold a set. */
function compactCounts(zone: Zone): { sets: number; blocks: number } {
  let sets = 0;
  let blocks = 0;
  zone.forEachNode((node) => {
    for (const set of node.rrsets) if (set.wire !== null) sets++;
    if (node.block.length > 1 + node.name.length) blocks++;
  });
  return { sets, blocks };
}

describe('compact RRsets', () => {
  it('Zone.build fills the compact form for sets without names and only for those', () => {
    const zone = loadZone(readFileSync(EXAMPLE, 'utf8'), { fileName: 'example.zone' });
    const www = zone.find(nameFromText('www.example.test.'), 0)!;
    const a = Zone.rrset(www, W.TYPE_A)!;
    expect(a.rdatas.length).toBe(2);
    expect(a.wireEnds).toEqual(Int32Array.of(14, 28));
    // TYPE A, CLASS IN, TTL 3600, RDLENGTH 4, 192.0.2.80 — then the second record.
    expect([...a.wire!.subarray(0, 14)]).toEqual([0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 80]);
    expect([...a.wire!.subarray(24, 28)]).toEqual([192, 0, 2, 81]);
    expect(zone.soa.wire).toBeNull();
    // The node's block: name length, name, then the A set (TYPE, SETBYTES, and RECBYTES + record twice).
    const nameBytes = www.name.length;
    expect(www.block[0]).toBe(nameBytes);
    expect([...www.block.subarray(1, 1 + nameBytes)]).toEqual([...www.name]);
    const sets = www.block.subarray(1 + nameBytes);
    expect([...sets.subarray(0, 6)]).toEqual([0, 1, 0, 32, 0, 14]);
    expect([...sets.subarray(6, 20)]).toEqual([...a.wire!.subarray(0, 14)]);
    const compactSets = www.rrsets.filter((s) => s.wire !== null);
    expect(sets.length).toBe(compactSets.reduce((n, s) => n + 4 + 2 * s.rdatas.length + s.wire!.length, 0));
    const mx = Zone.rrset(zone.apex, W.TYPE_MX);
    if (mx !== null) expect(mx.wire).toBeNull();
  });

  it('answers byte-identical to the generic path on the example zone (A, AAAA, TXT, MX, CNAME, wildcard, NXDOMAIN, ANY, TC)', () => {
    const text = readFileSync(EXAMPLE, 'utf8');
    const names = ['big.example.test.', 'mail.example.test.', 'quoted.example.test.', 'deep.ent.sub.example.test.', 'www.example.test.', 'WWW.Example.TEST.', 'example.test.', 'chain1.example.test.', 'x.wild.example.test.', 'nope.example.test.', 'alias.example.test.', 'sub.example.test.'];
    const types = [W.TYPE_A, W.TYPE_AAAA, W.TYPE_TXT, W.TYPE_MX, W.TYPE_ANY, W.TYPE_CNAME, W.TYPE_SOA, W.TYPE_NS];
    const queries = names.flatMap((name) => types.flatMap((type) => [true, false].map((edns) => ({ name, type, edns }))));
    const fastZone = loadZone(text, { fileName: 'example.zone' });
    const fast = answerAll(fastZone, queries);
    const slowZone = genericZone(text, 'example.zone');
    expect(compactCounts(fastZone).sets).toBeGreaterThan(5);
    expect(compactCounts(slowZone)).toEqual({ sets: 0, blocks: 0 });
    expect(slowZone.compactAnswerCount).toBe(0);
    expect(fastZone.compactAnswerCount).toBeGreaterThan(5);
    const slow = answerAll(slowZone, queries);
    expect(fast.length).toBe(queries.length);
    for (let i = 0; i < queries.length; i++) expect([i, ...fast[i]!]).toEqual([i, ...slow[i]!]);
    // A TXT set too big for 512 bytes is truncated the same way on both paths.
    const big = fast[queries.findIndex((q) => q.name === 'big.example.test.' && q.type === W.TYPE_TXT && !q.edns)]!;
    expect(W.getFlags(big, 0) & W.FLAG_TC).toBe(W.FLAG_TC);
    // The fast path really ran: an A answer's owner is a pointer to the question (0xc00c).
    const www = fast[queries.findIndex((q) => q.name === 'www.example.test.' && q.type === W.TYPE_A && !q.edns)]!;
    const afterQuestion = 12 + 'www.example.test.'.length + 1 + 4;
    expect([...www.subarray(afterQuestion, afterQuestion + 4)]).toEqual([0xc0, 12, 0, W.TYPE_A]);
  });

  it('answers from record templates (negative SOA, CNAME to a compact set) are byte-identical to the compressor, whatever the question shares with the names', () => {
    // SOA shapes: names below the origin (sharing a label with each other), the apex itself, names
    // outside the zone (one sharing only the TLD), deeper names; questions that are MNAME, below it,
    // the apex, in other case, deep, CNAME chains ending in NXDOMAIN (the compressor then remembers more).
    const soas = [
      'ns1.example.test. hostmaster.example.test.',
      'example.test. ns1.example.test.',
      'ns.other.test. admin.mail.example.org.',
      'a.b.ns.example.test. c.b.ns.example.test.',
      'ns1.example.test. ns1.example.test.',
      'NS1.Example.Test. b.ns1.example.test.',
    ];
    for (const soa of soas) {
      const text = [
        '$ORIGIN example.test.',
        '$TTL 300',
        `@ IN SOA ${soa} 1 3600 600 86400 60`,
        'ns1 IN A 192.0.2.1',
        'www IN A 192.0.2.2',
        'alias IN CNAME gone',
        'b.ns IN TXT "x"',
        'www IN TXT "y"',
        'cn IN CNAME www',
        'cn2 IN CNAME b.ns',
        'cn3 IN CNAME ns1',
        'x.cn4 IN A 192.0.2.3',
        'cn4 IN CNAME x.cn4',
        'out IN CNAME www.example.org.',
        '*.wc IN CNAME WWW',
        'mx IN MX 10 ns1',
        'mx IN MX 20 mail.example.org.',
        'mx IN MX 30 Mx',
        'mx2 IN MX 5 b.ns.example.test.',
        'srv IN SRV 1 2 53 ns1.example.test.',
        'srv IN SRV 1 2 54 b.ns.example.test.',
        'ns1 IN NS ns1',
        '',
      ].join('\n');
      const names = [
        'nope.example.test.',
        'ns1.example.test.',
        'x.ns1.example.test.',
        'NS1.EXAMPLE.TEST.',
        'example.test.',
        'b.ns.example.test.',
        'x.b.ns.example.test.',
        'q.a.b.ns.example.test.',
        'www.example.test.',
        'alias.example.test.',
        'ns.example.test.',
        `${'l.'.repeat(60)}example.test.`,
        'cn.example.test.',
        'CN.example.test.',
        'cn2.example.test.',
        'cn3.example.test.',
        'cn4.example.test.',
        'out.example.test.',
        'a.wc.example.test.',
        'www.wc.example.test.',
        'mx.example.test.',
        'MX.example.test.',
        'mx2.example.test.',
        'srv.example.test.',
      ];
      const queries = names.flatMap((name) => [W.TYPE_A, W.TYPE_MX, W.TYPE_AAAA, W.TYPE_TXT, W.TYPE_SRV, W.TYPE_NS, W.TYPE_CNAME].flatMap((type) => [true, false].map((edns) => ({ name, type, edns }))));
      const fastZone = loadZone(text, { fileName: 'soa.zone' });
      expect(fastZone.soaTemplate).not.toBeNull();
      expect(fastZone.find(nameFromText('cn.example.test.'), 0)!.cnameTemplates!.map((t) => t.type)).toEqual([W.TYPE_A, W.TYPE_TXT]);
      expect(fastZone.find(nameFromText('alias.example.test.'), 0)!.cnameTemplates).toBeNull();
      const fast = answerAll(fastZone, queries);
      const slow = answerAll(genericZone(text, 'soa.zone'), queries);
      for (let i = 0; i < queries.length; i++) expect([soa, i, ...fast[i]!]).toEqual([soa, i, ...slow[i]!]);
    }
  });

  it('answers byte-identical on a generated zone (mixed and txt-only queries)', () => {
    const opts = { hosts: 200, txtBytes: 300 };
    const text = generateZoneText(7, opts);
    const mix = generateQueryMix(7, 'mixed', 400, opts).map((q) => ({ name: q.name, type: W.parseTypeName(q.type), edns: false }));
    const txt = generateQueryMix(7, 'txt-only', 50, opts).map((q) => ({ name: q.name, type: W.parseTypeName(q.type), edns: false }));
    const queries = [...mix, ...txt];
    const fastZone = loadZone(text, { fileName: 'g' });
    const slowZone = genericZone(text, 'g');
    expect(compactCounts(fastZone).blocks).toBeGreaterThan(100);
    expect(compactCounts(slowZone)).toEqual({ sets: 0, blocks: 0 });
    const fast = answerAll(fastZone, queries, 512);
    const slow = answerAll(slowZone, queries, 512);
    for (let i = 0; i < queries.length; i++) expect([i, ...fast[i]!]).toEqual([i, ...slow[i]!]);
  });
});
