/**
 * DNS message layout (RFC 1035 §4.1): header offsets, flag bits, type and class numbers, and
 * accessors at `(buf, offset)`. No checks, no allocation.
 */
import { getU16, setU16 } from '../bytes.js';

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
export function setId(buf: Uint8Array, msg: number, v: number): void {
  setU16(buf, msg + OFF_ID, v);
}
export function getFlags(buf: Uint8Array, msg: number): number {
  return getU16(buf, msg + OFF_FLAGS);
}
export function setFlags(buf: Uint8Array, msg: number, v: number): void {
  setU16(buf, msg + OFF_FLAGS, v);
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
export function setCounts(buf: Uint8Array, msg: number, qd: number, an: number, ns: number, ar: number): void {
  setU16(buf, msg + OFF_QDCOUNT, qd);
  setU16(buf, msg + OFF_ANCOUNT, an);
  setU16(buf, msg + OFF_NSCOUNT, ns);
  setU16(buf, msg + OFF_ARCOUNT, ar);
}
