/**
 * The compact answer path (`RRset.wire`, the owner as a pointer to the question) must write the
 * very bytes the generic path writes (rdata parts through the name compressor): the zone is answered
 * twice, once as built and once with every compact form removed, and the answers compared byte for byte.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DnsServer } from '../../../stack/dns/server.js';
import * as W from '../../../stack/dns/wire.js';
import { loadZone } from '../../../stack/dns/zone-parser.js';
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

/** Every RRset of `zone` with its compact forms (set wire, node block) removed: the server takes the generic path. Returns how many had one. */
function withoutCompact(zone: Zone): number {
  let compact = 0;
  zone.forEachNode((node) => {
    node.block = Uint8Array.of(node.name.length, ...node.name);
    for (const set of node.rrsets) {
      if (set.wire !== null) compact++;
      set.wire = null;
      set.wireEnds = null;
    }
  });
  return compact;
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
    const fast = answerAll(loadZone(text, { fileName: 'example.zone' }), queries);
    const slowZone = loadZone(text, { fileName: 'example.zone' });
    expect(withoutCompact(slowZone)).toBeGreaterThan(5);
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

  it('answers byte-identical on a generated zone (mixed and txt-only queries)', () => {
    const opts = { hosts: 200, txtBytes: 300 };
    const text = generateZoneText(7, opts);
    const mix = generateQueryMix(7, 'mixed', 400, opts).map((q) => ({ name: q.name, type: W.parseTypeName(q.type), edns: false }));
    const txt = generateQueryMix(7, 'txt-only', 50, opts).map((q) => ({ name: q.name, type: W.parseTypeName(q.type), edns: false }));
    const queries = [...mix, ...txt];
    const fastZone = loadZone(text, { fileName: 'g' });
    const slowZone = loadZone(text, { fileName: 'g' });
    expect(withoutCompact(slowZone)).toBeGreaterThan(100);
    const fast = answerAll(fastZone, queries, 512);
    const slow = answerAll(slowZone, queries, 512);
    for (let i = 0; i < queries.length; i++) expect([i, ...fast[i]!]).toEqual([i, ...slow[i]!]);
  });
});
