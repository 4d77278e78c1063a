/**
 * Resource record data: the typed form used by the message codec and the zone parser, and its
 * *prepared* form — wire bytes split into raw parts and compressible names — which the server
 * precomputes once per zone and writes straight into a frame per answer.
 */
import { ipv4ToBytes, ipv4ToText, ipv6ToBytes, ipv6ToText } from './ip-text.js';
import { nameFromText, nameToText, newNameScratch, readName, type NameCompressor } from './name.js';
import * as T from './wire.js';

export type RecordData =
  | { kind: 'a'; address: string }
  | { kind: 'aaaa'; address: string }
  /** NS, CNAME, PTR. */
  | { kind: 'name'; name: string }
  | { kind: 'mx'; preference: number; exchange: string }
  | { kind: 'soa'; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number }
  | { kind: 'txt'; strings: Uint8Array[] }
  | { kind: 'srv'; priority: number; weight: number; port: number; target: string }
  | { kind: 'caa'; flags: number; tag: string; value: Uint8Array }
  /** Any other type (and OPT): the rdata bytes as they are. */
  | { kind: 'raw'; bytes: Uint8Array };

/**
 * Wire rdata as a list of parts: `parts[i]` is raw bytes, or an uncompressed wire name when
 * `isName[i]`; names are compressed when `compressNames` (RFC 3597 §4: only the RFC 1035 types
 * NS, CNAME, SOA, MX, PTR may be compressed; SRV's target must not be, RFC 2782).
 */
export interface PreparedRdata {
  parts: Uint8Array[];
  isName: boolean[];
  compressNames: boolean;
  /** Length without compression. */
  uncompressedBytes: number;
}

/** Bad rdata given by a caller (zone file, typed message): a configuration error. */
export class RdataError extends Error {
  readonly code = 'E_DNS_RDATA';
  constructor(message: string) {
    super(message);
    this.name = 'RdataError';
  }
}

function u16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}
function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

const COMPRESSIBLE = new Set([T.TYPE_NS, T.TYPE_CNAME, T.TYPE_SOA, T.TYPE_MX, T.TYPE_PTR]);

/** Typed data → prepared wire parts. Throws `RdataError` / `NameSyntaxError` on bad values. */
export function prepareRdata(type: number, data: RecordData): PreparedRdata {
  const parts: Uint8Array[] = [];
  const isName: boolean[] = [];
  const raw = (xs: number[] | Uint8Array): void => {
    parts.push(Uint8Array.from(xs));
    isName.push(false);
  };
  const name = (text: string): void => {
    parts.push(nameFromText(text.endsWith('.') ? text : text + '.'));
    isName.push(true);
  };
  switch (data.kind) {
    case 'a': {
      const b = ipv4ToBytes(data.address);
      if (b === null) throw new RdataError(`bad IPv4 address '${data.address}'`);
      raw(b);
      break;
    }
    case 'aaaa': {
      const b = ipv6ToBytes(data.address);
      if (b === null) throw new RdataError(`bad IPv6 address '${data.address}'`);
      raw(b);
      break;
    }
    case 'name':
      name(data.name);
      break;
    case 'mx':
      raw(u16(data.preference));
      name(data.exchange);
      break;
    case 'soa':
      name(data.mname);
      name(data.rname);
      raw([...u32(data.serial), ...u32(data.refresh), ...u32(data.retry), ...u32(data.expire), ...u32(data.minimum)]);
      break;
    case 'txt': {
      const out: number[] = [];
      for (const s of data.strings) {
        if (s.length > 255) throw new RdataError('TXT character-string longer than 255 bytes: split it into several strings');
        out.push(s.length, ...s);
      }
      raw(out);
      break;
    }
    case 'srv':
      raw([...u16(data.priority), ...u16(data.weight), ...u16(data.port)]);
      name(data.target);
      break;
    case 'caa': {
      const tag = Buffer.from(data.tag, 'latin1');
      if (tag.length < 1 || tag.length > 255) throw new RdataError(`CAA tag '${data.tag}' must be 1-255 bytes`);
      raw([data.flags & 0xff, tag.length, ...tag, ...data.value]);
      break;
    }
    case 'raw':
      raw(data.bytes);
      break;
  }
  const uncompressedBytes = parts.reduce((n, p) => n + p.length, 0);
  if (uncompressedBytes > 0xffff) throw new RdataError('rdata longer than 65535 bytes');
  return { parts, isName, compressNames: COMPRESSIBLE.has(type), uncompressedBytes };
}

/**
 * Writes prepared rdata at `buf[pos]` (the compressor must have been reset on `buf`). Returns the
 * offset after it or -1 when it would pass `limit`. No allocation.
 */
export function writePreparedRdata(p: PreparedRdata, c: NameCompressor, buf: Uint8Array, pos: number, limit: number): number {
  let at = pos;
  const parts = p.parts;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (p.isName[i]) {
      at = c.write(part, 0, at, limit, p.compressNames);
      if (at < 0) return -1;
    } else {
      const n = part.length;
      if (at + n > limit) return -1;
      for (let k = 0; k < n; k++) buf[at + k] = part[k]!;
      at += n;
    }
  }
  return at;
}

const scratch = newNameScratch();

/**
 * Decodes the rdata `buf[start, end)` of a record of `type` in the message starting at `msgStart`
 * (compression pointers in rdata refer to the message). Returns null when malformed. Allocates
 * (typed output): for tools, tests and the client, not the server's data path.
 */
export function decodeRdata(type: number, buf: Uint8Array, msgStart: number, start: number, end: number): RecordData | null {
  const len = end - start;
  const nameAt = (off: number): [string, number] | null => {
    const after = readName(buf, msgStart, end, off, scratch);
    if (after < 0 || after > end) return null;
    return [nameToText(scratch.bytes, 0), after];
  };
  const g16 = (o: number): number => (buf[o]! << 8) | buf[o + 1]!;
  const g32 = (o: number): number => ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
  switch (type) {
    case T.TYPE_A:
      return len === 4 ? { kind: 'a', address: ipv4ToText(buf, start) } : null;
    case T.TYPE_AAAA:
      return len === 16 ? { kind: 'aaaa', address: ipv6ToText(buf, start) } : null;
    case T.TYPE_NS:
    case T.TYPE_CNAME:
    case T.TYPE_PTR: {
      const n = nameAt(start);
      return n !== null && n[1] === end ? { kind: 'name', name: n[0] } : null;
    }
    case T.TYPE_MX: {
      if (len < 3) return null;
      const n = nameAt(start + 2);
      return n !== null && n[1] === end ? { kind: 'mx', preference: g16(start), exchange: n[0] } : null;
    }
    case T.TYPE_SOA: {
      const m = nameAt(start);
      if (m === null) return null;
      const r = nameAt(m[1]);
      if (r === null || r[1] + 20 !== end) return null;
      const o = r[1];
      return { kind: 'soa', mname: m[0], rname: r[0], serial: g32(o), refresh: g32(o + 4), retry: g32(o + 8), expire: g32(o + 12), minimum: g32(o + 16) };
    }
    case T.TYPE_TXT: {
      const strings: Uint8Array[] = [];
      let o = start;
      while (o < end) {
        const n = buf[o]!;
        if (o + 1 + n > end) return null;
        strings.push(Uint8Array.from(buf.subarray(o + 1, o + 1 + n)));
        o += 1 + n;
      }
      return { kind: 'txt', strings };
    }
    case T.TYPE_SRV: {
      if (len < 7) return null;
      const n = nameAt(start + 6);
      return n !== null && n[1] === end ? { kind: 'srv', priority: g16(start), weight: g16(start + 2), port: g16(start + 4), target: n[0] } : null;
    }
    case T.TYPE_CAA: {
      if (len < 2) return null;
      const tagLen = buf[start + 1]!;
      if (tagLen < 1 || start + 2 + tagLen > end) return null;
      const tag = Buffer.from(buf.buffer, buf.byteOffset + start + 2, tagLen).toString('latin1');
      return { kind: 'caa', flags: buf[start]!, tag, value: Uint8Array.from(buf.subarray(start + 2 + tagLen, end)) };
    }
    default:
      return { kind: 'raw', bytes: Uint8Array.from(buf.subarray(start, end)) };
  }
}
