/** fast-check generators of DNS names and messages in the typed model of stack/dns/message.ts. */
import fc from 'fast-check';
import type { DnsMessage, DnsRecord } from '../../../stack/dns/message.js';
import type { RecordData } from '../../../stack/dns/rdata.js';
import * as W from '../../../stack/dns/wire.js';

const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,14}$/);
/** Absolute names of 1–4 labels from a small alphabet so that compression finds shared suffixes. */
export const nameArb = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.') + '.'),
  fc.array(fc.constantFrom('www', 'mail', 'a', 'b'), { minLength: 0, maxLength: 2 }).map((ls) => [...ls, 'example', 'test'].join('.') + '.'),
);

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const ipv6 = fc.array(u16, { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));

export const typedData: fc.Arbitrary<{ type: number; data: RecordData }> = fc.oneof(
  ipv4.map((address) => ({ type: W.TYPE_A, data: { kind: 'a' as const, address } })),
  ipv6.map((address) => ({ type: W.TYPE_AAAA, data: { kind: 'aaaa' as const, address } })),
  fc.tuple(fc.constantFrom(W.TYPE_NS, W.TYPE_CNAME, W.TYPE_PTR), nameArb).map(([type, name]) => ({ type, data: { kind: 'name' as const, name } })),
  fc.tuple(u16, nameArb).map(([preference, exchange]) => ({ type: W.TYPE_MX, data: { kind: 'mx' as const, preference, exchange } })),
  fc
    .tuple(nameArb, nameArb, u32, u32, u32, u32, u32)
    .map(([mname, rname, serial, refresh, retry, expire, minimum]) => ({
      type: W.TYPE_SOA,
      data: { kind: 'soa' as const, mname, rname, serial, refresh, retry, expire, minimum },
    })),
  fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 3 }).map((strings) => ({ type: W.TYPE_TXT, data: { kind: 'txt' as const, strings } })),
  fc.tuple(u16, u16, u16, nameArb).map(([priority, weight, port, target]) => ({ type: W.TYPE_SRV, data: { kind: 'srv' as const, priority, weight, port, target } })),
  fc
    .tuple(fc.constantFrom(0, 128), fc.constantFrom('issue', 'issuewild', 'iodef'), fc.stringMatching(/^[a-z0-9.;=]{0,30}$/))
    .map(([flags, tag, value]) => ({ type: W.TYPE_CAA, data: { kind: 'caa' as const, flags, tag, value: Uint8Array.from(Buffer.from(value)) } })),
);

export const recordArb: fc.Arbitrary<DnsRecord> = fc
  .tuple(nameArb, typedData, fc.integer({ min: 0, max: 0x7fffffff }))
  .map(([name, td, ttl]) => ({ name, type: td.type, class: W.CLASS_IN, ttl, data: td.data }));

export const messageArb: fc.Arbitrary<DnsMessage> = fc.record({
  id: u16,
  // Opcode QUERY, any flag bits, RCODE 0–5.
  flags: fc.tuple(fc.boolean(), fc.nat(0x7f), fc.nat(5)).map(([qr, bits, rcode]) => (qr ? 0x8000 : 0) | ((bits << 4) & 0x07f0) | rcode),
  questions: fc.array(
    fc.record({ name: nameArb, type: fc.constantFrom(1, 2, 5, 6, 12, 15, 16, 28, 33, 257), class: fc.constant(1) }),
    { minLength: 0, maxLength: 2 },
  ),
  answers: fc.array(recordArb, { maxLength: 5 }),
  authorities: fc.array(recordArb, { maxLength: 2 }),
  additionals: fc.array(recordArb, { maxLength: 2 }),
});
