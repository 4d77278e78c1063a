/**
 * DNS message layout (RFC 1035 §4.1): header offsets, flag bits, type and class numbers, and
 * accessors at `(buf, offset)`. No checks, no allocation.
 */
import { getU16 } from '../bytes.js';

export const DNS_HEADER_BYTES = 12;
export const OFF_ID = 0;
export const OFF_FLAGS = 2;
export const OFF_QDCOUNT = 4;
export const OFF_ANCOUNT = 6;
export const OFF_NSCOUNT = 8;
export const OFF_ARCOUNT = 10;

export const FLAG_QR = 0x8000;
export const OPCODE_SHIFT = 11;
export const OPCODE_MASK = 0x7800;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_AD = 0x0020;
export const FLAG_CD = 0x0010;
export const RCODE_MASK = 0x000f;

export const OPCODE_QUERY = 0;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;
/** Extended RCODE 16 (RFC 6891 §9): upper 8 bits go in the OPT TTL. */
export const RCODE_BADVERS = 16;

export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_CNAME = 5;
export const TYPE_SOA = 6;
export const TYPE_PTR = 12;
export const TYPE_MX = 15;
export const TYPE_TXT = 16;
export const TYPE_AAAA = 28;
export const TYPE_SRV = 33;
export const TYPE_OPT = 41;
export const TYPE_IXFR = 251;
export const TYPE_AXFR = 252;
export const TYPE_ANY = 255;
export const TYPE_CAA = 257;

export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export const TYPE_NAMES: ReadonlyMap<string, number> = new Map([
  ['A', TYPE_A],
  ['NS', TYPE_NS],
  ['CNAME', TYPE_CNAME],
  ['SOA', TYPE_SOA],
  ['PTR', TYPE_PTR],
  ['MX', TYPE_MX],
  ['TXT', TYPE_TXT],
  ['AAAA', TYPE_AAAA],
  ['SRV', TYPE_SRV],
  ['OPT', TYPE_OPT],
  ['IXFR', TYPE_IXFR],
  ['AXFR', TYPE_AXFR],
  ['ANY', TYPE_ANY],
  ['CAA', TYPE_CAA],
]);

export function typeName(type: number): string {
  for (const [k, v] of TYPE_NAMES) if (v === type) return k;
  return `TYPE${type}`;
}

/** `A` / `aaaa` / `TYPE65` → number, or -1 when unknown. */
export function parseTypeName(text: string): number {
  const up = text.toUpperCase();
  const known = TYPE_NAMES.get(up);
  if (known !== undefined) return known;
  const m = /^TYPE(\d{1,5})$/.exec(up);
  if (m !== null && Number(m[1]) <= 0xffff) return Number(m[1]);
  return -1;
}

export function getId(buf: Uint8Array, msg: number): number {
  return getU16(buf, msg + OFF_ID);
}
export function getFlags(buf: Uint8Array, msg: number): number {
  return getU16(buf, msg + OFF_FLAGS);
}
export function getQdcount(buf: Uint8Array, msg: number): number {
  return getU16(buf, msg + OFF_QDCOUNT);
}
export function getAncount(buf: Uint8Array, msg: number): number {
  return getU16(buf, msg + OFF_ANCOUNT);
}
export function getNscount(buf: Uint8Array, msg: number): number {
  return getU16(buf, msg + OFF_NSCOUNT);
}
export function getArcount(buf: Uint8Array, msg: number): number {
  return getU16(buf, msg + OFF_ARCOUNT);
}

// Writers: each piece of the message layout below is written by exactly one function here, called
// by the server's answer path (`server.ts`), the general encoder (`message.ts`) and the zone's
// precomputed answers (`zone.ts`). Plain byte stores (a Uint8Array store keeps the low 8 bits).

/** Writes the 12-byte header at `buf[msg, msg + 12)` (RFC 1035 §4.1.1). */
export function writeHeader(buf: Uint8Array, msg: number, id: number, flags: number, qd: number, an: number, ns: number, ar: number): void {
  // Literal offsets (the OFF_* above): fewer bytecodes, inlined within V8's budget.
  buf[msg] = id >>> 8;
  buf[msg + 1] = id;
  buf[msg + 2] = flags >>> 8;
  buf[msg + 3] = flags;
  buf[msg + 4] = qd >>> 8;
  buf[msg + 5] = qd;
  buf[msg + 6] = an >>> 8;
  buf[msg + 7] = an;
  buf[msg + 8] = ns >>> 8;
  buf[msg + 9] = ns;
  buf[msg + 10] = ar >>> 8;
  buf[msg + 11] = ar;
}

/** QTYPE and QCLASS after a question's name (RFC 1035 §4.1.2); returns `pos + 4`. */
export function writeQuestionTail(buf: Uint8Array, pos: number, type: number, qclass: number): number {
  buf[pos] = type >>> 8;
  buf[pos + 1] = type;
  buf[pos + 2] = qclass >>> 8;
  buf[pos + 3] = qclass;
  return pos + 4;
}

/** Bytes of TYPE, CLASS, TTL and RDLENGTH after a record's owner name. */
export const RR_FIXED_BYTES = 10;

/**
 * TYPE, CLASS and TTL (unsigned 32-bit) after a record's owner name (RFC 1035 §4.1.3); returns
 * `pos + 8`, the offset of RDLENGTH (written with `setRdlength` once the rdata's size is known).
 */
export function writeRecordHeader(buf: Uint8Array, pos: number, type: number, rclass: number, ttl: number): number {
  buf[pos] = type >>> 8;
  buf[pos + 1] = type;
  buf[pos + 2] = rclass >>> 8;
  buf[pos + 3] = rclass;
  buf[pos + 4] = ttl >>> 24;
  buf[pos + 5] = ttl >>> 16;
  buf[pos + 6] = ttl >>> 8;
  buf[pos + 7] = ttl;
  return pos + 8;
}

/** RDLENGTH at `buf[at, at + 2)` (the offset `writeRecordHeader` returned). */
export function setRdlength(buf: Uint8Array, at: number, rdlength: number): void {
  buf[at] = rdlength >>> 8;
  buf[at + 1] = rdlength;
}

/** Bytes of an OPT record without options: root owner, TYPE, CLASS, TTL, RDLENGTH. */
export const OPT_RR_BYTES = 11;

/**
 * An OPT pseudo-record without options (RFC 6891 §6.1.2-6.1.3) at `buf[pos, pos + 11)`: root owner,
 * TYPE 41, CLASS = the UDP payload size, TTL = extended RCODE (the upper 8 bits of the 12-bit
 * RCODE), version and the DO bit, RDLENGTH 0. Returns `pos + 11`.
 */
export function writeOptRecord(buf: Uint8Array, pos: number, udpPayloadBytes: number, rcode: number, version: number, dnssecOk: boolean): number {
  buf[pos] = 0; // root owner
  buf[pos + 1] = 0; // TYPE 41 (TYPE_OPT)
  buf[pos + 2] = 41;
  buf[pos + 3] = udpPayloadBytes >>> 8;
  buf[pos + 4] = udpPayloadBytes;
  buf[pos + 5] = rcode >>> 4;
  buf[pos + 6] = version;
  buf[pos + 7] = dnssecOk ? 0x80 : 0;
  buf[pos + 8] = 0;
  buf[pos + 9] = 0; // rdlength 0: no options
  buf[pos + 10] = 0;
  return pos + OPT_RR_BYTES;
}

/** The first byte of a compression pointer: its two high bits set (RFC 1035 §4.1.4). */
export const POINTER_HI = 0xc0;

/** A compression pointer to message offset `target` (< 0x4000) at `buf[pos, pos + 2)` (RFC 1035 §4.1.4). */
export function writePointer(buf: Uint8Array, pos: number, target: number): void {
  buf[pos] = POINTER_HI | (target >>> 8);
  buf[pos + 1] = target;
}
