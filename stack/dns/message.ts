/**
 * The typed DNS message codec (RFC 1035 §4): decode any message into plain objects, encode plain
 * objects with name compression. Allocates (it builds objects): used by the workload's client
 * checks, tools, tests and the fuzzer. The server's data path uses `server.ts`, which decodes only
 * what it needs and writes answers straight into the frame.
 *
 * Decoding never throws on bad bytes: it returns `{ ok: false, error }`, and reads only inside
 * `[start, end)`.
 */
import { nameFromText, nameToText, NameCompressor, newNameScratch, readName } from './name.js';
import { decodeRdata, prepareRdata, writePreparedRdata, type RecordData } from './rdata.js';
import * as W from './wire.js';

export interface DnsQuestion {
  /** Presentation form with trailing dot, e.g. `www.example.com.` */
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  /** For OPT: the requestor's UDP payload size (RFC 6891 §6.1.2). */
  class: number;
  /** For OPT: extended RCODE, version and flags (RFC 6891 §6.1.3). */
  ttl: number;
  data: RecordData;
}

export interface DnsMessage {
  id: number;
  /** The 16-bit flags word: QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE. */
  flags: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

export type DnsDecodeError =
  | 'truncated-header'
  | 'bad-name'
  | 'truncated-question'
  | 'truncated-record'
  | 'bad-rdata'
  | 'trailing-bytes';

export type DnsDecodeResult = { ok: true; message: DnsMessage } | { ok: false; error: DnsDecodeError; offset: number };

const scratch = newNameScratch();

/** Decodes the whole message `buf[start, end)`. Trailing bytes after the last record are an error. */
export function decodeMessage(buf: Uint8Array, start: number, end: number): DnsDecodeResult {
  if (end - start < W.DNS_HEADER_BYTES) return { ok: false, error: 'truncated-header', offset: start };
  const counts = [W.getQdcount(buf, start), W.getAncount(buf, start), W.getNscount(buf, start), W.getArcount(buf, start)];
  const message: DnsMessage = {
    id: W.getId(buf, start),
    flags: W.getFlags(buf, start),
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
  };
  let pos = start + W.DNS_HEADER_BYTES;
  for (let i = 0; i < counts[0]!; i++) {
    const after = readName(buf, start, end, pos, scratch);
    if (after < 0) return { ok: false, error: 'bad-name', offset: pos };
    if (after + 4 > end) return { ok: false, error: 'truncated-question', offset: after };
    message.questions.push({
      name: nameToText(scratch.bytes, 0),
      type: (buf[after]! << 8) | buf[after + 1]!,
      class: (buf[after + 2]! << 8) | buf[after + 3]!,
    });
    pos = after + 4;
  }
  const sections = [message.answers, message.authorities, message.additionals];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const after = readName(buf, start, end, pos, scratch);
      if (after < 0) return { ok: false, error: 'bad-name', offset: pos };
      if (after + 10 > end) return { ok: false, error: 'truncated-record', offset: after };
      const type = (buf[after]! << 8) | buf[after + 1]!;
      const cls = (buf[after + 2]! << 8) | buf[after + 3]!;
      const ttl = ((buf[after + 4]! << 24) | (buf[after + 5]! << 16) | (buf[after + 6]! << 8) | buf[after + 7]!) >>> 0;
      const rdlength = (buf[after + 8]! << 8) | buf[after + 9]!;
      const rdStart = after + 10;
      if (rdStart + rdlength > end) return { ok: false, error: 'truncated-record', offset: rdStart };
      const name = nameToText(scratch.bytes, 0);
      const data = decodeRdata(type, buf, start, rdStart, rdStart + rdlength);
      if (data === null) return { ok: false, error: 'bad-rdata', offset: rdStart };
      sections[s]!.push({ name, type, class: cls, ttl, data });
      pos = rdStart + rdlength;
    }
  }
  if (pos !== end) return { ok: false, error: 'trailing-bytes', offset: pos };
  return { ok: true, message };
}

/**
 * Encodes `m` at `buf[start, limit)` with name compression for owner names and the rdata names of
 * NS, CNAME, SOA, MX and PTR. Returns the end offset, or -1 when the message does not fit.
 * Throws `NameSyntaxError` / `RdataError` for invalid names or data in `m` (caller's error).
 */
export function encodeMessage(m: DnsMessage, buf: Uint8Array, start: number, limit: number): number {
  if (start + W.DNS_HEADER_BYTES > limit) return -1;
  const c = new NameCompressor();
  c.reset(buf, start);
  W.writeHeader(buf, start, m.id, m.flags, m.questions.length, m.answers.length, m.authorities.length, m.additionals.length);
  let pos = start + W.DNS_HEADER_BYTES;
  for (const q of m.questions) {
    pos = c.write(nameFromText(absolute(q.name)), 0, pos, limit, true);
    if (pos < 0 || pos + 4 > limit) return -1;
    pos = W.writeQuestionTail(buf, pos, q.type, q.class);
  }
  for (const section of [m.answers, m.authorities, m.additionals]) {
    for (const r of section) {
      pos = c.write(nameFromText(absolute(r.name)), 0, pos, limit, true);
      if (pos < 0 || pos + 10 > limit) return -1;
      const rdlengthAt = W.writeRecordHeader(buf, pos, r.type, r.class, r.ttl);
      const rdStart = rdlengthAt + 2;
      const end = writePreparedRdata(prepareRdata(r.type, r.data), c, buf, rdStart, limit);
      if (end < 0) return -1;
      W.setRdlength(buf, rdlengthAt, end - rdStart);
      pos = end;
    }
  }
  return pos;
}

function absolute(name: string): string {
  return name.endsWith('.') ? name : name + '.';
}
