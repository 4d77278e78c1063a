import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import dnsPacket from 'dns-packet';
import { newRxCursor } from '../../../allocators/buffer-strategy.js';
import { decodeMessage, encodeMessage, type DnsMessage, type DnsRecord } from '../../../stack/dns/message.js';
import {
  NAME_ERR_BAD_LABEL_TYPE,
  NAME_ERR_BAD_POINTER,
  NAME_ERR_TOO_LONG,
  NAME_ERR_TRUNCATED,
  nameFromText,
  nameToText,
  newNameScratch,
  readName,
} from '../../../stack/dns/name.js';
import { ipv6ToBytes, ipv6ToText } from '../../../stack/dns/ip-text.js';
import * as W from '../../../stack/dns/wire.js';
import { STRATEGY_CASES } from '../strategies.js';
import { messageArb } from './arbitraries.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('names (RFC 1035 §4.1.4)', () => {
  const scratch = newNameScratch();
  // header(12) + "a.example." at 12 + "www" + pointer to 12 at 23
  const msg = hex('000000000000000000000000 01610665786d706c6500 03777777c00c');

  it('decodes a compressed name and returns the offset after the pointer', () => {
    expect(readName(msg, 0, msg.length, 22, scratch)).toBe(msg.length);
    expect(nameToText(scratch.bytes)).toBe('www.a.exmple.');
  });

  it('rejects forward pointers, self pointers and pointer loops', () => {
    const fwd = hex('000000000000000000000000 c00e 0161 00');
    expect(readName(fwd, 0, fwd.length, 12, scratch)).toBe(NAME_ERR_BAD_POINTER);
    const self = hex('000000000000000000000000 c00c');
    expect(readName(self, 0, self.length, 12, scratch)).toBe(NAME_ERR_BAD_POINTER);
    // "a" at 12, pointer at 14 back to 12: a loop through its own labels.
    const loop = hex('000000000000000000000000 0161 c00c');
    expect(readName(loop, 0, loop.length, 12, scratch)).toBe(NAME_ERR_BAD_POINTER);
    // Two names pointing at each other: 12 → (label) → pointer to 16; 16 → pointer to 12.
    const mutual = hex('000000000000000000000000 0161 c010 c00c');
    expect(readName(mutual, 0, mutual.length, 16, scratch)).toBe(NAME_ERR_BAD_POINTER);
  });

  it('rejects reserved label types, over-long names and truncation', () => {
    expect(readName(hex('4001'), 0, 2, 0, scratch)).toBe(NAME_ERR_BAD_LABEL_TYPE);
    const long = new Uint8Array(300);
    for (let i = 0; i < 290; i += 2) long[i] = 1;
    expect(readName(long, 0, long.length, 0, scratch)).toBe(NAME_ERR_TOO_LONG);
    expect(readName(hex('03777777'), 0, 4, 0, scratch)).toBe(NAME_ERR_TRUNCATED);
    expect(readName(hex('c0'), 0, 1, 0, scratch)).toBe(NAME_ERR_TRUNCATED);
  });

  it('converts text with escapes and relative names', () => {
    const origin = nameFromText('example.test.');
    expect(nameToText(nameFromText('www', origin))).toBe('www.example.test.');
    expect(nameToText(nameFromText('@', origin))).toBe('example.test.');
    expect(nameToText(nameFromText('a\\.b.c.'))).toBe('a\\.b.c.');
    expect([...nameFromText('\\065.')]).toEqual([1, 65, 0]);
    expect(() => nameFromText('www')).toThrow(/no origin/);
    expect(() => nameFromText('a..b.')).toThrow(/empty label/);
  });

  it('formats IPv6 canonically (RFC 5952)', () => {
    expect(ipv6ToText(ipv6ToBytes('2001:0db8:0:0:0:0:0:1')!)).toBe('2001:db8::1');
    expect(ipv6ToText(ipv6ToBytes('::ffff:192.0.2.1')!)).toBe('::ffff:c000:201');
    expect(ipv6ToText(ipv6ToBytes('1:0:0:2:0:0:0:3')!)).toBe('1:0:0:2::3');
    expect(ipv6ToBytes('1::2::3')).toBeNull();
  });
});

/** dns-packet's view of our typed record, for the differential test. */
function toPacketRecord(r: DnsRecord): dnsPacket.Answer {
  const name = r.name.replace(/\.$/, '');
  const strip = (n: string): string => n.replace(/\.$/, '');
  const d = r.data;
  const base = { name, ttl: r.ttl, class: 'IN' as const };
  switch (d.kind) {
    case 'a':
      return { ...base, type: 'A', data: d.address };
    case 'aaaa':
      return { ...base, type: 'AAAA', data: d.address };
    case 'name':
      return { ...base, type: W.typeName(r.type) as 'NS', data: strip(d.name) };
    case 'mx':
      return { ...base, type: 'MX', data: { preference: d.preference, exchange: strip(d.exchange) } };
    case 'soa':
      return {
        ...base,
        type: 'SOA',
        data: { mname: strip(d.mname), rname: strip(d.rname), serial: d.serial, refresh: d.refresh, retry: d.retry, expire: d.expire, minimum: d.minimum },
      };
    case 'txt':
      return { ...base, type: 'TXT', data: d.strings.map((s) => Buffer.from(s)) };
    case 'srv':
      return { ...base, type: 'SRV', data: { priority: d.priority, weight: d.weight, port: d.port, target: strip(d.target) } };
    case 'caa':
      return { ...base, type: 'CAA', data: { flags: d.flags, tag: d.tag as 'issue', value: Buffer.from(d.value).toString() } };
    case 'raw':
      throw new Error('no raw records are generated');
  }
}

function toPacket(m: DnsMessage): dnsPacket.Packet {
  return {
    id: m.id,
    type: m.flags & 0x8000 ? 'response' : 'query',
    flags: m.flags & 0x7fff,
    questions: m.questions.map((q) => ({ name: q.name.replace(/\.$/, ''), type: W.typeName(q.type) as 'A', class: 'IN' })),
    answers: m.answers.map(toPacketRecord),
    authorities: m.authorities.map(toPacketRecord),
    additionals: m.additionals.map(toPacketRecord),
  };
}

/** Normalises our decoded message for comparison with the generated one (IPv6 canonical form). */
function canonical(m: DnsMessage): DnsMessage {
  const fix = (r: DnsRecord): DnsRecord =>
    r.data.kind === 'aaaa' ? { ...r, data: { kind: 'aaaa', address: ipv6ToText(ipv6ToBytes(r.data.address)!) } } : r;
  return { ...m, answers: m.answers.map(fix), authorities: m.authorities.map(fix), additionals: m.additionals.map(fix) };
}

for (const sc of STRATEGY_CASES) {
  describe(`message codec under ${sc.name}`, () => {
    it('decode(encode(m)) == m for generated messages, in strategy buffers at non-zero offsets', () => {
      const strategy = sc.make();
      const out = newRxCursor();
      const view = newRxCursor();
      fc.assert(
        fc.property(messageArb, (m) => {
          strategy.alloc(4096, out);
          const end = encodeMessage(m, out.buf, out.start, out.end);
          expect(end).toBeGreaterThan(out.start);
          strategy.handUp(out.buf, out.start, end, view);
          const r = decodeMessage(view.buf, view.start, view.end);
          strategy.release(out);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.message).toEqual(canonical(m));
        }),
        { numRuns: 150 },
      );
    });
  });
}

describe('differential against dns-packet', () => {
  it('dns-packet decodes what we encode to the same message', () => {
    const buf = new Uint8Array(8192);
    fc.assert(
      fc.property(messageArb, (m) => {
        const end = encodeMessage(m, buf, 0, buf.length);
        const theirs = dnsPacket.decode(Buffer.from(buf.subarray(0, end)));
        const expected = toPacket(canonical(m));
        expect(theirs.id).toBe(expected.id);
        expect(theirs.flags).toBe(expected.flags);
        expect(theirs.questions).toEqual(expected.questions);
        for (const sec of ['answers', 'authorities', 'additionals'] as const) {
          const norm = (xs: dnsPacket.Answer[] | undefined): unknown[] =>
            (xs ?? []).map((x) => {
              const y = { ...x } as Record<string, unknown>;
              delete y.flush;
              if (x.type === 'CAA') {
                const d = { ...(x.data as unknown as Record<string, unknown>) };
                delete d.issuerCritical;
                y.data = d;
              }
              if (x.type === 'AAAA') y.data = ipv6ToText(ipv6ToBytes(x.data as string)!);
              return y;
            });
          expect(norm(theirs[sec])).toEqual(norm(expected[sec]));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('we decode what dns-packet encodes to the same message', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const bytes = dnsPacket.encode(toPacket(m));
        const r = decodeMessage(bytes, 0, bytes.length);
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.message).toEqual(canonical(m));
      }),
      { numRuns: 200 },
    );
  });

  it('compresses: a repeated owner name costs a 2-byte pointer', () => {
    const rec = (address: string): DnsRecord => ({ name: 'www.example.test.', type: 1, class: 1, ttl: 60, data: { kind: 'a', address } });
    const m: DnsMessage = { id: 1, flags: 0x8400, questions: [{ name: 'www.example.test.', type: 1, class: 1 }], answers: [rec('192.0.2.1'), rec('192.0.2.2')], authorities: [], additionals: [] };
    const buf = new Uint8Array(512);
    const end = encodeMessage(m, buf, 0, buf.length);
    expect(end).toBe(12 + 18 + 4 + 2 * (2 + 10 + 4));
    expect(buf[34]).toBe(0xc0);
    expect(buf[35]).toBe(12);
    expect(dnsPacket.decode(Buffer.from(buf.subarray(0, end))).answers?.map((a) => (a as { data: unknown }).data)).toEqual(['192.0.2.1', '192.0.2.2']);
  });

  it('returns -1 instead of writing past the limit', () => {
    const m: DnsMessage = { id: 1, flags: 0, questions: [{ name: 'www.example.test.', type: 1, class: 1 }], answers: [], authorities: [], additionals: [] };
    const buf = new Uint8Array(64).fill(0xaa);
    expect(encodeMessage(m, buf, 0, 20)).toBe(-1);
    expect(buf.subarray(20).every((b) => b === 0xaa)).toBe(true);
  });
});

describe('decoding never throws and reads only inside [start, end)', () => {
  it('random and mutated messages decode to the same result whatever surrounds them', () => {
    const wire = new Uint8Array(4096);
    fc.assert(
      fc.property(messageArb, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }), fc.nat(64), (m, muts, cut) => {
        const len = encodeMessage(m, wire, 0, wire.length);
        const msg = Uint8Array.from(wire.subarray(0, len));
        for (const [at, v] of muts) if (msg.length > 0) msg[at % msg.length] = v;
        const end = Math.max(0, msg.length - cut);
        const results = [0x00, 0xff, 0xc0].map((fill) => {
          const big = new Uint8Array(end + 200).fill(fill);
          big.set(msg.subarray(0, end), 100);
          const r = decodeMessage(big, 100, 100 + end);
          return r.ok ? { ok: true, message: r.message } : { ok: false, error: r.error, offset: r.offset - 100 };
        });
        expect(results[1]).toEqual(results[0]);
        expect(results[2]).toEqual(results[0]);
      }),
      { numRuns: 300 },
    );
  });
});
