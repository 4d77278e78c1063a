/**
 * An authoritative DNS server for one zone, on bytes: `prepare` parses a query, `write` builds the
 * answer straight into the caller's buffer (the strategy's frame) — header, question, records,
 * compression — with no intermediate arrays and no allocation: owner names and rdata were encoded
 * once when the zone was loaded (`Zone`), the answer itself is built per query.
 *
 * Behaviour (RFC sentences quoted where enforced):
 * - AA on answers from the zone; NXDOMAIN and NODATA with the SOA in authority (RFC 2308 §3);
 *   CNAME chains followed inside the zone (RFC 1034 §4.3.2 step 3a), up to 16 links, a loop stopping at the first repeated name; wildcards
 *   synthesised from the closest encloser (RFC 4592 §3.3); empty non-terminals answer NODATA.
 * - REFUSED outside the zone and for classes other than IN/ANY; FORMERR for malformed queries;
 *   NOTIMP for opcodes other than QUERY and for AXFR/IXFR over UDP; responses (QR=1) and packets
 *   shorter than a header are dropped and counted (no ID to answer to, or not a query at all).
 * - EDNS(0) (RFC 6891): one OPT in the query, honoured UDP size (at least 512), OPT echoed in the
 *   answer with our size, BADVERS for versions other than 0; without EDNS the limit is 512 bytes.
 *   An answer that does not fit is sent with TC set and empty answer/authority sections.
 * - ANY: every RRset of the node, or with `minimalAny` one RRset (RFC 8482 §4.1).
 * - Not implemented: delegations (NS below the apex are served as plain data, no referrals),
 *   additional-section processing (no glue for MX/SRV/NS targets), DNSSEC, EDNS options (ignored).
 */
import { NAME_COMPRESSOR_SLOTS, NameCompressor, newQueryName, readQueryName, skipName } from './name.js';
import { writePreparedRdata } from './rdata.js';
import * as W from './wire.js';
import { Zone, type RecordTemplate, type RRset, type ZoneNode } from './zone.js';

export interface DnsServerOptions {
  /** UDP payload size we advertise in OPT and the most we send (default 1232, RFC 9715 advice). */
  maxUdpPayloadBytes?: number;
  /**
   * Answer QTYPE=ANY with one RRset instead of all of them (RFC 8482 §4.1), so that an exposed
   * server is no amplifier for ANY. Default false: the in-memory workload keeps the full answer.
   */
  minimalAny?: boolean;
}

export interface DnsServerCounters {
  queries: number;
  responses: number;
  noError: number;
  /** NOERROR with an empty answer (name exists, type does not). */
  noData: number;
  nxDomain: number;
  refused: number;
  formErr: number;
  notImp: number;
  badVers: number;
  truncated: number;
  wildcardAnswers: number;
  cnameAnswers: number;
  ednsQueries: number;
  /** Shorter than a DNS header: dropped (no ID to answer to). */
  droppedShort: number;
  /** QR=1: a response, not a query: dropped. */
  droppedResponse: number;
  /** ANY queries answered with one RRset (RFC 8482 §4.1; only with `minimalAny`). */
  minimalAny: number;
}

/** RFC 1035 §4.2.1: "Messages carried by UDP are restricted to 512 bytes (not counting the IP or UDP headers)." */
export const CLASSIC_UDP_LIMIT_BYTES = 512;
const MAX_CNAME_LINKS = 16;

/** Misuse of `respond` (a caller's buffer too small), never bad bytes. Still a `RangeError`, with a stable `code`. */
export class DnsServerError extends RangeError {
  readonly code = 'E_DNS_OUTPUT_TOO_SMALL';
  constructor(message: string) {
    super(message);
    this.name = 'DnsServerError';
  }
}

export class DnsServer {
  readonly zone: Zone;
  readonly maxUdpPayloadBytes: number;
  readonly minimalAny: boolean;
  readonly counters: DnsServerCounters = {
    queries: 0,
    responses: 0,
    noError: 0,
    noData: 0,
    nxDomain: 0,
    refused: 0,
    formErr: 0,
    notImp: 0,
    badVers: 0,
    truncated: 0,
    wildcardAnswers: 0,
    cnameAnswers: 0,
    ednsQueries: 0,
    droppedShort: 0,
    droppedResponse: 0,
    minimalAny: 0,
  };
  /** The question's name, its lowercased copy, label offsets and hash (see `readQueryName`). */
  private readonly q = newQueryName();
  private readonly wild = new Uint8Array(256);
  private readonly compressor = new NameCompressor();
  /** CNAME nodes already followed for the current query (loop detection without allocation). */
  private readonly visited: Array<ZoneNode | null> = new Array<ZoneNode | null>(MAX_CNAME_LINKS + 1).fill(null);
  // The parsed query, between prepare() and write().
  private id = 0;
  private opcode = 0;
  private rd = 0;
  private cd = 0;
  private qtype = 0;
  private qclass = 0;
  /** RCODE decided while parsing (FORMERR, NOTIMP, BADVERS), or -1 to answer from the zone. */
  private earlyRcode = -1;
  private hasQuestion = false;
  private edns = false;
  private dnssecOk = false;
  private limitBytes = CLASSIC_UDP_LIMIT_BYTES;
  /** Where the message being written starts (pointers are relative to it). */
  private msgStart = 0;

  constructor(zone: Zone, options: DnsServerOptions = {}) {
    this.zone = zone;
    this.maxUdpPayloadBytes = Math.max(CLASSIC_UDP_LIMIT_BYTES, options.maxUdpPayloadBytes ?? 1232);
    this.minimalAny = options.minimalAny ?? false;
  }

  /**
   * Parses the query `buf[start, end)`. Returns the largest response this query may receive, in
   * bytes (the size of buffer to give `write`), or -1 when no response must be sent (counted).
   * Reads only inside `[start, end)`; never throws on bad bytes.
   */
  prepare(buf: Uint8Array, start: number, end: number): number {
    this.counters.queries++;
    if (end - start < W.DNS_HEADER_BYTES) {
      this.counters.droppedShort++;
      return -1;
    }
    const flags = W.getFlags(buf, start);
    if ((flags & W.FLAG_QR) !== 0) {
      this.counters.droppedResponse++;
      return -1;
    }
    this.id = W.getId(buf, start);
    this.opcode = (flags & W.OPCODE_MASK) >>> W.OPCODE_SHIFT;
    this.rd = flags & W.FLAG_RD;
    this.cd = flags & W.FLAG_CD;
    this.earlyRcode = -1;
    this.hasQuestion = false;
    this.edns = false;
    this.dnssecOk = false;
    this.limitBytes = CLASSIC_UDP_LIMIT_BYTES;
    if (this.opcode !== W.OPCODE_QUERY) {
      // RFC 1035 §4.1.1 RCODE 4: "Not Implemented - The name server does not support the requested kind of query."
      this.earlyRcode = W.RCODE_NOTIMP;
      return this.limitBytes;
    }
    if (W.getQdcount(buf, start) !== 1) {
      // RFC 1035 §4.1.1 RCODE 1: "Format error - The name server was unable to interpret the query."
      this.earlyRcode = W.RCODE_FORMERR;
      return this.limitBytes;
    }
    let pos = readQueryName(buf, start, end, start + W.DNS_HEADER_BYTES, this.q);
    if (pos < 0 || pos + 4 > end) {
      this.earlyRcode = W.RCODE_FORMERR;
      return this.limitBytes;
    }
    this.qtype = (buf[pos]! << 8) | buf[pos + 1]!;
    this.qclass = (buf[pos + 2]! << 8) | buf[pos + 3]!;
    // QTYPE and QCLASS after the name, so that write() copies the question in one piece.
    const qb = this.q.bytes;
    const qlen = this.q.length;
    qb[qlen] = buf[pos]!;
    qb[qlen + 1] = buf[pos + 1]!;
    qb[qlen + 2] = buf[pos + 2]!;
    qb[qlen + 3] = buf[pos + 3]!;
    this.hasQuestion = true;
    pos += 4;
    const records = W.getAncount(buf, start) + W.getNscount(buf, start);
    const arcount = W.getArcount(buf, start);
    let opts = 0;
    for (let i = 0; i < records + arcount; i++) {
      const nameStart = pos;
      pos = skipName(buf, start, end, pos);
      if (pos < 0 || pos + 10 > end) {
        this.earlyRcode = W.RCODE_FORMERR;
        return this.limitBytes;
      }
      const type = (buf[pos]! << 8) | buf[pos + 1]!;
      const rdlength = (buf[pos + 8]! << 8) | buf[pos + 9]!;
      if (pos + 10 + rdlength > end) {
        this.earlyRcode = W.RCODE_FORMERR;
        return this.limitBytes;
      }
      if (i >= records && type === W.TYPE_OPT) {
        opts++;
        // RFC 6891 §6.1.1: "If a query message with more than one OPT RR is received, a FORMERR
        // (RCODE=1) MUST be returned." §6.1.2: the OWNER NAME "MUST be 0 (root domain)".
        if (opts > 1 || buf[nameStart] !== 0) {
          this.earlyRcode = W.RCODE_FORMERR;
          this.edns = false;
          return this.limitBytes;
        }
        this.edns = true;
        const size = (buf[pos + 2]! << 8) | buf[pos + 3]!;
        // RFC 6891 §6.2.5: "Values lower than 512 MUST be treated as equal to 512."
        this.limitBytes = Math.min(this.maxUdpPayloadBytes, Math.max(CLASSIC_UDP_LIMIT_BYTES, size));
        const version = buf[pos + 5]!;
        this.dnssecOk = (buf[pos + 6]! & 0x80) !== 0;
        // RFC 6891 §6.1.3: "If a responder does not implement the VERSION level of the request,
        // then it MUST respond with RCODE=BADVERS."
        if (version !== 0) this.earlyRcode = W.RCODE_BADVERS;
      }
      pos += 10 + rdlength;
    }
    if (pos !== end) {
      this.earlyRcode = W.RCODE_FORMERR;
      return this.limitBytes;
    }
    if (this.edns) this.counters.ednsQueries++;
    return this.limitBytes;
  }

  /**
   * Writes the response to the query last given to `prepare` at `out[start, start + capacity)`.
   * `capacityBytes` (default: what `prepare` returned) may be smaller when the transport carries
   * less (e.g. 1472 bytes of UDP payload in one Ethernet frame); it must be at least 512.
   * Returns the response's end offset.
   */
  write(out: Uint8Array, start: number, capacityBytes = this.limitBytes): number {
    this.counters.responses++;
    const c = this.compressor;
    c.reset(out, start);
    this.msgStart = start;
    const limit = start + Math.min(this.limitBytes, capacityBytes);
    // Room for the OPT RR is kept back so that it always fits.
    const bodyLimit = this.edns ? limit - W.OPT_RR_BYTES : limit;
    let pos = start + W.DNS_HEADER_BYTES;
    if (this.hasQuestion) {
      // The question as received (name uncompressed, case preserved, QTYPE, QCLASS), copied in one
      // native `set` of the whole scratch: the bytes after the question are garbage until the
      // sections below overwrite them, and never sent (the answer ends at the returned offset).
      // The scratch fits in any capacity of at least 512 bytes (minus OPT) after the header.
      const q = this.q;
      const qbytes = q.bytes;
      if (pos + qbytes.length <= bodyLimit) out.set(qbytes, pos);
      else for (let k = 0; k < q.length + 4; k++) out[pos + k] = qbytes[k]!;
      c.remember(pos, q.labelStarts, q.labels);
      pos += q.length + 4;
    }
    const questionEnd = pos;
    let rcode = this.earlyRcode;
    let aa = 0;
    let an = 0;
    let ns = 0;
    if (rcode < 0) {
      const r = this.answer(out, pos, bodyLimit);
      rcode = this.rcodeOut;
      aa = this.aaOut;
      an = this.anOut;
      ns = this.nsOut;
      pos = r;
    }
    let tc = 0;
    if (pos < 0) {
      // RFC 1035 §4.1.1: "TC TrunCation - specifies that this message was truncated due to length
      // greater than that permitted on the transmission channel." Sections are emptied (RFC 2181 §9
      // lets a resolver retry over TCP; partial RRsets are never sent).
      tc = W.FLAG_TC;
      pos = questionEnd;
      an = 0;
      ns = 0;
      this.counters.truncated++;
    }
    // A truncated NOERROR answer had data (it did not fit): counted as NOERROR, not NODATA.
    this.countRcode(rcode, an > 0 || tc !== 0);
    let ar = 0;
    if (this.edns) {
      pos = this.writeOpt(out, pos, rcode);
      ar = 1;
    }
    const flags = W.FLAG_QR | (this.opcode << W.OPCODE_SHIFT) | aa | tc | this.rd | this.cd | (rcode & W.RCODE_MASK);
    W.writeHeader(out, start, this.id, flags, this.hasQuestion ? 1 : 0, an, ns, ar);
    return pos;
  }

  /** Convenience for tests and the socket server: `prepare` + `write` into `out` from offset 0. Throws {@link DnsServerError} when `out` is smaller than `prepare`'s bound. */
  respond(query: Uint8Array, start: number, end: number, out: Uint8Array): number {
    const cap = this.prepare(query, start, end);
    if (cap < 0) return -1;
    if (out.length < cap) throw new DnsServerError(`respond: output buffer of ${out.length} bytes is smaller than the ${cap} this query may need; pass a buffer of at least ${cap} bytes (prepare() returns the bound)`);
    return this.write(out, 0);
  }

  // Results of answer(), kept in fields so that it returns a number and allocates nothing.
  private rcodeOut = 0;
  private aaOut = 0;
  private anOut = 0;
  private nsOut = 0;

  /** Answer and authority sections from the zone. Returns the end offset, or -1 when they do not fit. */
  private answer(out: Uint8Array, pos: number, limit: number): number {
    const zone = this.zone;
    this.anOut = 0;
    this.nsOut = 0;
    this.aaOut = 0;
    // NOERROR unless a path below decides otherwise: a path that returns -1 (does not fit, TC)
    // before setting it must not leave the previous query's RCODE in the header.
    this.rcodeOut = W.RCODE_NOERROR;
    const qtype = this.qtype;
    if (this.qclass !== W.CLASS_IN && this.qclass !== W.CLASS_ANY) {
      // RFC 1035 §4.1.1 RCODE 5: "Refused - The name server refuses to perform the specified operation for policy reasons."
      this.rcodeOut = W.RCODE_REFUSED;
      return pos;
    }
    const q = this.q;
    // The question's node in the answer index. Every node lies at or below the origin (Zone.build
    // refuses anything else), so only a name not found needs the in-zone check.
    const found = zone.findQuery(q);
    if (found < 0 && !zone.containsQuery(q)) {
      this.rcodeOut = W.RCODE_REFUSED;
      return pos;
    }
    if (qtype === W.TYPE_AXFR || qtype === W.TYPE_IXFR || qtype === W.TYPE_OPT) {
      this.rcodeOut = qtype === W.TYPE_OPT ? W.RCODE_FORMERR : W.RCODE_NOTIMP;
      return pos;
    }
    // RFC 1035 §4.1.1 AA: "the responding name server is an authority for the domain name in question section."
    this.aaOut = W.FLAG_AA;
    let name: Uint8Array = q.bytes;
    let nameStart = 0;
    for (let link = 0; link <= MAX_CNAME_LINKS; link++) {
      // The question's name is looked up in the answer index (hash and lowercased copy from
      // prepare); a CNAME target through the nodes. `index` is the node's record in the index, or
      // -1 for a target.
      let index = -1;
      let node: ZoneNode | null;
      if (link === 0) {
        index = found;
        if (index < 0) {
          index = zone.findWildcardQuery(q, this.wild);
          if (index >= 0) this.counters.wildcardAnswers++;
        }
        if (index >= 0 && qtype !== W.TYPE_ANY && name[0] !== 0) {
          // The owner is the question's name: a compact set's answer section is copied from the
          // answer index in one piece (records owned by pointers to the question), without
          // touching the node's objects.
          const a = zone.compactAnswer(index, qtype);
          if (a >= 0) {
            const end = zone.writeCompactAnswer(a, out, pos, limit);
            if (end < 0) return -1;
            this.anOut += zone.answerRecords(a);
            this.rcodeOut = W.RCODE_NOERROR;
            return end;
          }
        }
        node = index < 0 ? null : zone.recordNode(index);
      } else {
        node = zone.find(name, nameStart);
        if (node === null) {
          node = zone.findWildcard(name, nameStart, this.wild);
          if (node !== null) this.counters.wildcardAnswers++;
        }
      }
      if (node === null) {
        // RFC 1035 §4.1.1 RCODE 3: "Name Error - ... this code signifies that the domain name
        // referenced in the query does not exist." RFC 2308 §3: the SOA goes in the authority section.
        this.rcodeOut = W.RCODE_NXDOMAIN;
        return this.writeSoa(out, pos, limit);
      }
      if (qtype === W.TYPE_ANY && this.minimalAny && node.rrsets.length > 0) {
        // RFC 8482 §4.1: "A DNS responder can choose to select one or a larger subset of the
        // available RRsets at the QNAME." One: the set with the fewest records (the first such in
        // zone order), so that the answer stays small whatever the node holds.
        let pick = node.rrsets[0]!;
        for (let i = 1; i < node.rrsets.length; i++) if (node.rrsets[i]!.rdatas.length < pick.rdatas.length) pick = node.rrsets[i]!;
        this.counters.minimalAny++;
        this.rcodeOut = W.RCODE_NOERROR;
        return this.writeRRset(pick, name, nameStart, out, pos, limit);
      }
      if (qtype === W.TYPE_ANY) {
        for (let i = 0; i < node.rrsets.length; i++) {
          pos = this.writeRRset(node.rrsets[i]!, name, nameStart, out, pos, limit);
          if (pos < 0) return -1;
        }
        this.rcodeOut = W.RCODE_NOERROR;
        return node.rrsets.length === 0 ? this.writeSoa(out, pos, limit) : pos;
      }
      // Whether the node surely has no set of `qtype`: with compact forms built, every set but the
      // SOA has a compact answer (looked for above) or a name template.
      let absent = false;
      if (index >= 0 && name[0] !== 0 && zone.compactForms) {
        // A set with names in its rdata, owned by the question's name: its template (RecordTemplate).
        const named = node.nameTemplates;
        let listed = false;
        if (named !== null) {
          for (let i = 0; i < named.length; i++) {
            const t = named[i]!;
            if (t.type !== qtype) continue;
            listed = true;
            if (!this.templateFits(t)) break;
            const end = this.writeTemplate(t, out, pos, limit);
            if (end < 0) return -1;
            this.anOut += t.records;
            this.rcodeOut = W.RCODE_NOERROR;
            return end;
          }
        }
        absent = !listed && qtype !== W.TYPE_SOA && zone.compactAnswer(index, qtype) < 0;
      }
      const set: RRset | null = absent ? null : Zone.rrset(node, qtype);
      if (set !== null) {
        this.rcodeOut = W.RCODE_NOERROR;
        return this.writeRRset(set, name, nameStart, out, pos, limit);
      }
      const cname = node.cname;
      if (cname === null) {
        // NODATA: RFC 2308 §2.2 "the name exists but there are no records of the requested type";
        // the SOA goes in the authority section (RFC 2308 §3).
        this.rcodeOut = W.RCODE_NOERROR;
        return this.writeSoa(out, pos, limit);
      }
      // RFC 1034 §4.3.2 step 3a: "If the data at the node is a CNAME, and QTYPE doesn't match
      // CNAME, copy the CNAME RR into the answer section of the response, change QNAME to the
      // canonical name in the CNAME RR, and go back to step 1."
      // A node seen before means a CNAME loop: the chain written so far is the answer.
      for (let v = 0; v < link; v++) {
        if (this.visited[v] === node) {
          this.rcodeOut = W.RCODE_NOERROR;
          return pos;
        }
      }
      this.visited[link] = node;
      this.counters.cnameAnswers++;
      const templates = node.cnameTemplates;
      if (link === 0 && templates !== null && name[0] !== 0) {
        // The CNAME and its target's records in one piece (see RecordTemplate).
        for (let i = 0; i < templates.length; i++) {
          const t = templates[i]!;
          if (t.type !== qtype || !this.templateFits(t)) continue;
          const end = this.writeTemplate(t, out, pos, limit);
          if (end < 0) return -1;
          this.anOut += t.records;
          this.rcodeOut = W.RCODE_NOERROR;
          return end;
        }
      }
      pos = this.writeRRset(cname, name, nameStart, out, pos, limit);
      if (pos < 0) return -1;
      name = cname.rdatas[0]!.parts[0]!;
      nameStart = 0;
      if (!zone.contains(name, 0)) {
        this.rcodeOut = W.RCODE_NOERROR;
        return pos;
      }
    }
    // A CNAME chain longer than MAX_CNAME_LINKS (or a loop): answer what we have.
    this.rcodeOut = W.RCODE_NOERROR;
    return pos;
  }

  private writeRRset(set: RRset, owner: Uint8Array, ownerStart: number, out: Uint8Array, pos: number, limit: number): number {
    const c = this.compressor;
    const rdatas = set.rdatas;
    // When the owner is the question's name (not a CNAME target), it is a pointer to the question,
    // written uncompressed right after the header: the bytes the compressor would find and write.
    // The root name is one byte, shorter than a pointer, and stays with the compressor.
    const ownerIsQname = this.hasQuestion && owner === this.q.bytes && ownerStart === 0 && owner[0] !== 0;
    const wire = set.wire;
    if (ownerIsQname && wire !== null) {
      // Compact set (no names in rdata): pointer + one copy of TYPE CLASS TTL RDLENGTH RDATA per record.
      const ends = set.wireEnds!;
      let from = 0;
      for (let i = 0; i < ends.length; i++) {
        const to = ends[i]!;
        if (pos + 2 + (to - from) > limit) return -1;
        W.writePointer(out, pos, W.DNS_HEADER_BYTES);
        pos += 2;
        for (let k = from; k < to; k++) out[pos++] = wire[k]!;
        from = to;
        this.anOut++;
      }
      return pos;
    }
    for (let i = 0; i < rdatas.length; i++) {
      if (ownerIsQname) {
        if (pos + 2 > limit) return -1;
        W.writePointer(out, pos, W.DNS_HEADER_BYTES);
        pos += 2;
      } else {
        pos = c.write(owner, ownerStart, pos, limit, true);
      }
      if (pos < 0 || pos + 10 > limit) return -1;
      pos = W.writeRecordHeader(out, pos, set.type, W.CLASS_IN, set.ttl);
      const rdEnd = writePreparedRdata(rdatas[i]!, c, out, pos + 2, limit);
      if (rdEnd < 0) return -1;
      W.setRdlength(out, pos, rdEnd - pos - 2);
      pos = rdEnd;
      this.anOut++;
    }
    return pos;
  }

  private writeSoa(out: Uint8Array, pos: number, limit: number): number {
    const zone = this.zone;
    const c = this.compressor;
    const t = zone.soaTemplate;
    if (t !== null && this.templateFits(t)) {
      const end = this.writeTemplate(t, out, pos, limit);
      if (end >= 0) this.nsOut++;
      return end;
    }
    pos = c.write(zone.origin, 0, pos, limit, true);
    if (pos < 0 || pos + 10 > limit) return -1;
    pos = W.writeRecordHeader(out, pos, W.TYPE_SOA, W.CLASS_IN, zone.negativeTtl);
    const rdEnd = writePreparedRdata(zone.soa.rdatas[0]!, c, out, pos + 2, limit);
    if (rdEnd < 0) return -1;
    W.setRdlength(out, pos, rdEnd - pos - 2);
    this.nsOut++;
    return rdEnd;
  }

  /**
   * Whether `t` writes what the compressor would (see `RecordTemplate`): it remembers exactly the
   * question's labels (nothing else written that it could point to), has room for the template's
   * labels, and the question's label just below the origin is none of the template's guard labels.
   */
  private templateFits(t: RecordTemplate): boolean {
    const q = this.q;
    if (this.compressor.remembered !== q.labels || q.labels + t.labels > NAME_COMPRESSOR_SLOTS) return false;
    const below = q.labels - this.zone.originLabels - 1;
    if (below < 0) return true;
    const at = q.labelStarts[below]!;
    const lower = q.lower;
    const guards = t.guardLabels;
    for (let g = 0; g < guards.length; g += 1 + guards[g]!) {
      const n = guards[g]!;
      if (lower[at] !== n) continue;
      let k = 1;
      while (k <= n && lower[at + k] === guards[g + k]) k++;
      if (k > n) return false;
    }
    return true;
  }

  /** Writes template `t` at `out[pos]` with its pointers filled in; returns the end, or -1 when it passes `limit`. */
  private writeTemplate(t: RecordTemplate, out: Uint8Array, pos: number, limit: number): number {
    const n = t.bytes.length;
    if (pos + n > limit) return -1;
    out.set(t.bytes, pos);
    const q = this.q;
    for (let i = 0; i < t.questionAt.length; i++) {
      const target = W.DNS_HEADER_BYTES + q.labelStarts[q.labels - t.questionDepth[i]!]!;
      W.writePointer(out, pos + t.questionAt[i]!, target);
    }
    for (let i = 0; i < t.selfAt.length; i++) {
      const target = pos - this.msgStart + t.selfTarget[i]!;
      W.writePointer(out, pos + t.selfAt[i]!, target);
    }
    return pos + n;
  }

  private writeOpt(out: Uint8Array, pos: number, rcode: number): number {
    // RFC 3225 §3: "The DO bit of the query MUST be copied in the response." Version 0.
    return W.writeOptRecord(out, pos, this.maxUdpPayloadBytes, rcode, 0, this.dnssecOk);
  }

  private countRcode(rcode: number, hadAnswer: boolean): void {
    const k = this.counters;
    switch (rcode) {
      case W.RCODE_NOERROR:
        if (!hadAnswer) k.noData++;
        else k.noError++;
        break;
      case W.RCODE_NXDOMAIN:
        k.nxDomain++;
        break;
      case W.RCODE_REFUSED:
        k.refused++;
        break;
      case W.RCODE_FORMERR:
        k.formErr++;
        break;
      case W.RCODE_NOTIMP:
        k.notImp++;
        break;
      case W.RCODE_BADVERS:
        k.badVers++;
        break;
    }
  }
}
