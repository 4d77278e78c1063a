/**
 * An authoritative zone held in memory, prepared for answering: every owner name and rdata is
 * encoded to wire form once at load time, and names are found through an open hash table keyed by
 * the lowercased wire name, so a lookup allocates nothing.
 *
 * Two views of the same nodes: the `ZoneNode` objects (names, RRsets; for tools, the generic answer
 * path and CNAME targets), and a flat *answer index* that the server's common path reads instead —
 * an open-addressing table keyed by the name's hash, pointing at one record per node that holds its
 * lowercased name (word-aligned, compared four bytes at a time) and the answer section of each of
 * its compact RRsets ready to copy: every record as a pointer to the question's name (0xc00c)
 * followed by TYPE CLASS TTL RDLENGTH RDATA — so that a lookup and its answer read one stretch of
 * one typed array rather than a chain of heap objects
 * (each a cache miss when the kernel's work between queries has evicted them); the query's hash,
 * lowercased copy and label offsets come from `readQueryName`, computed while parsing. Answers
 * whose names need compression (negative answers' SOA, sets with names in their rdata, a CNAME and
 * its target's records) are prepared as {@link RecordTemplate}s: the compressor's output with the
 * few pointers that depend on the question left to fill in.
 */
import { hashName, isSubdomain, labelCount, nameLength, namesEqual, nameToText, parentOffset, type QueryName } from './name.js';
import { prepareRdata, type PreparedRdata, type RecordData } from './rdata.js';
import * as T from './wire.js';

export interface ZoneRecord {
  /** Uncompressed wire name (absolute). */
  name: Uint8Array;
  type: number;
  ttl: number;
  data: RecordData;
  /** Source line, for error messages (0 when built in code). */
  line?: number;
}

export interface RRset {
  type: number;
  /** RFC 2181 §5.2: all records of an RRset have the same TTL; we keep the smallest given. */
  ttl: number;
  rdatas: PreparedRdata[];
  /**
   * The compact form the server copies from when no rdata of the set holds a name (A, AAAA, TXT, …):
   * all records' `TYPE CLASS TTL RDLENGTH RDATA` back to back in one array, record `i` at
   * `wire[wireEnds[i - 1] ?? 0, wireEnds[i])` — so answering writes an owner and copies bytes from one
   * contiguous array instead of walking rdata parts. Null when a name needs compression on output.
   * Filled by `Zone.build` once the set is complete.
   */
  wire: Uint8Array | null;
  wireEnds: Int32Array | null;
}

export interface ZoneNode {
  /** Uncompressed wire name as written in the zone (case preserved). */
  readonly name: Uint8Array;
  readonly hash: number;
  readonly rrsets: RRset[];
  /** The CNAME RRset, if any (then the node has no other data, RFC 1034 §3.6.2). */
  cname: RRset | null;
  /** Next node in the same hash bucket. */
  next: ZoneNode | null;
  /**
   * For a CNAME node whose target is a node of the zone: per compact set of the target, the whole
   * answer (CNAME, then the target's records) as a {@link RecordTemplate}; null otherwise.
   */
  cnameTemplates: RecordTemplate[] | null;
  /**
   * Per RRset of the node whose rdata holds names (MX, NS, SRV, a CNAME asked for itself, …), its
   * answer when the owner is the question's name, as a {@link RecordTemplate}; null when none.
   */
  nameTemplates: RecordTemplate[] | null;
  /**
   * The node's name and compact sets in one array: `[nameBytes, name…, then per compact RRset:
   * TYPE(2) SETBYTES(2), then per record RECBYTES(2) and its TYPE CLASS TTL RDLENGTH RDATA]`
   * (big-endian). Only sets with a compact form (see {@link RRset.wire}) of at most 65535 bytes
   * appear. A self-contained view of the node for tools and tests; the server answers from the
   * zone's answer index instead (see the module comment), built from the same compact forms.
   */
  block: Uint8Array;
}

/** Where the name starts in {@link ZoneNode.block} (after its length byte). */
export const BLOCK_NAME_OFFSET = 1;

export interface ZoneBuildOptions {
  /**
   * Whether to build the compact forms (`RRset.wire`, the sets in `ZoneNode.block`, the answer
   * index's answers and the negative answers' SOA template). Default true; false makes the server
   * take the generic path for every record (the compact path's tests compare the two byte for byte).
   */
  compactForms?: boolean;
}

/**
 * Records as the name compressor writes them into a message that so far holds only the question,
 * with the pointers left to fill: only where the question's name ends in the message changes from
 * query to query. Used for the SOA of negative answers (RFC 2308 §3: owner the origin, MNAME and
 * RNAME pointing into the question's suffixes or back into the record), for a set with names in its
 * rdata owned by the question's name (MX, NS, SRV, …), and for a CNAME's answer when its target is
 * a node of the zone with a compact set of the asked type (the CNAME record owned by a pointer to
 * the question, then the target's records owned by a pointer to the target name in the CNAME's rdata).
 * The compact-rrset tests check every kind byte for byte against the compressor.
 *
 * Valid when the compressor remembers only the question's labels, and when the question shares no
 * suffix longer than the origin with a name the template writes: that is, its label just below the
 * origin is none of `guardLabels` (the label just below the origin of each such name below it).
 */
export interface RecordTemplate {
  readonly bytes: Uint8Array;
  /** Offsets in `bytes` of pointers to the question's suffix of `questionDepth[i]` labels. */
  readonly questionAt: Int32Array;
  readonly questionDepth: Int32Array;
  /** Offsets in `bytes` of pointers to `selfTarget[i]` bytes after the template's start. */
  readonly selfAt: Int32Array;
  readonly selfTarget: Int32Array;
  /** Labels the template writes out (each one a name the compressor then remembers). */
  readonly labels: number;
  /**
   * Lowercased labels (each length byte first, back to back in one array so that checking them
   * touches one object) a question may not have just below the origin.
   */
  readonly guardLabels: Uint8Array;
  /** Records in the template. */
  readonly records: number;
  /** For a CNAME node's templates: the QTYPE this one answers (0 for the SOA). */
  readonly type: number;
}

/** A zone that cannot be served as given (no SOA, data outside the origin, CNAME and other data). */
export class ZoneError extends Error {
  readonly code = 'E_ZONE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ZoneError';
  }
}

const WILDCARD_LABEL = Uint8Array.of(1, 0x2a);
/** First byte of a compression pointer to message offset 12 (the question's name). */

export class Zone {
  readonly origin: Uint8Array;
  readonly apex: ZoneNode;
  readonly soa: RRset;
  /** RFC 2308 §3: negative answers carry the SOA with TTL min(SOA TTL, SOA MINIMUM). */
  readonly negativeTtl: number;
  readonly nodeCount: number;
  readonly recordCount: number;
  private readonly buckets: Array<ZoneNode | null>;
  private readonly mask: number;
  // The answer index (see the module comment). Slots are shared with `buckets`' size and mask.
  private readonly nodes: ZoneNode[];
  // Laid out so that a lookup touches few cache lines: what one step reads sits side by side.
  /** Per slot `s`: `[2s]` the node's `hash | 0`, `[2s + 1]` its record (below) + 1, or 0 when empty (linear probing, load factor at most 1/2). */
  private readonly slots: Int32Array;
  /**
   * One record per node, back to back, each starting on a word: `[r]` the node's number, `[r + 1]`
   * its name's length in bytes, `[r + 2]` how many compact answers follow, then the lowercased name
   * (zero-padded to a word), then per compact answer `[type, records, bytes]` and its answer
   * section's bytes (zero-padded to a word) — so that finding a name and copying its answer reads
   * one stretch of memory. "Record" arguments below are word offsets `r` into this array.
   */
  private readonly records: Int32Array;
  /** `records` as bytes. */
  private readonly recordBytes: Uint8Array;
  /** Per node: its record. */
  private readonly recordOf: Int32Array;
  /** Compact answers in the index (0 without compact forms). */
  readonly compactAnswerCount: number;
  private readonly originLower: Uint8Array;
  readonly originLabels: number;
  /** Whether the compact forms were built (see {@link ZoneBuildOptions.compactForms}). */
  readonly compactForms: boolean;
  /** The SOA of negative answers (see {@link RecordTemplate}); null without compact forms. */
  readonly soaTemplate: RecordTemplate | null;

  private constructor(origin: Uint8Array, nodes: ZoneNode[], recordCount: number, compactForms: boolean) {
    this.origin = origin;
    let size = 16;
    while (size < nodes.length * 2) size *= 2;
    this.buckets = new Array<ZoneNode | null>(size).fill(null);
    this.mask = size - 1;
    for (const n of nodes) {
      const b = n.hash & this.mask;
      n.next = this.buckets[b]!;
      this.buckets[b] = n;
    }
    this.nodeCount = nodes.length;
    this.recordCount = recordCount;
    this.nodes = nodes;
    this.slots = new Int32Array(2 * size);
    this.recordOf = new Int32Array(nodes.length);
    const answers = nodes.map((n) => n.rrsets.flatMap((set) => {
      const bytes = compactAnswer(set);
      return bytes === null ? [] : [{ type: set.type, records: set.rdatas.length, bytes }];
    }));
    const padded = (bytes: number): number => (bytes + 3) >>> 2;
    let words = 0;
    nodes.forEach((n, i) => {
      words += 3 + padded(n.name.length);
      for (const a of answers[i]!) words += 3 + padded(a.bytes.length);
    });
    this.records = new Int32Array(words);
    this.recordBytes = new Uint8Array(this.records.buffer);
    let r = 0;
    let compactCount = 0;
    nodes.forEach((n, i) => {
      this.recordOf[i] = r;
      this.records[r] = i;
      this.records[r + 1] = n.name.length;
      this.records[r + 2] = answers[i]!.length;
      for (let k = 0; k < n.name.length; k++) this.recordBytes[4 * (r + 3) + k] = lowerByte(n.name[k]!);
      let at = r + 3 + padded(n.name.length);
      for (const a of answers[i]!) {
        this.records[at] = a.type;
        this.records[at + 1] = a.records;
        this.records[at + 2] = a.bytes.length;
        this.recordBytes.set(a.bytes, 4 * (at + 3));
        at += 3 + padded(a.bytes.length);
        compactCount++;
      }
      let slot = n.hash & this.mask;
      while (this.slots[2 * slot + 1] !== 0) slot = (slot + 1) & this.mask;
      this.slots[2 * slot] = n.hash | 0;
      this.slots[2 * slot + 1] = r + 1;
      r = at;
    });
    this.compactAnswerCount = compactCount;
    this.originLower = Uint8Array.from(origin.subarray(0, nameLength(origin, 0)), lowerByte);
    this.originLabels = labelCount(origin, 0);
    const apex = this.find(origin, 0);
    const soa = apex?.rrsets.find((r) => r.type === T.TYPE_SOA);
    if (apex === null || soa === undefined) throw new ZoneError(`zone ${nameToText(origin)} has no SOA record at its apex: add one (RFC 1035 §5.2)`);
    if (soa.rdatas.length !== 1) throw new ZoneError(`zone ${nameToText(origin)} has ${soa.rdatas.length} SOA records: exactly one is allowed`);
    this.apex = apex;
    this.soa = soa;
    const fixed = soa.rdatas[0]!.parts[2]!;
    const minimum = ((fixed[16]! << 24) | (fixed[17]! << 16) | (fixed[18]! << 8) | fixed[19]!) >>> 0;
    this.negativeTtl = Math.min(soa.ttl, minimum);
    this.compactForms = compactForms;
    this.soaTemplate = compactForms ? soaTemplate(this.origin, soa, this.negativeTtl) : null;
    if (compactForms) {
      for (const n of nodes) {
        if (n.cname !== null) n.cnameTemplates = this.cnameTemplates(n.cname);
        const withNames = n.rrsets.filter((set) => set.wire === null && set.type !== T.TYPE_SOA);
        if (withNames.length > 0) n.nameTemplates = withNames.map((set) => this.nameTemplate(set));
      }
    }
  }

  /**
   * Builds a zone from records (all at or below `origin`). Empty non-terminals (names that exist
   * only because a name below them exists) become nodes without data, so that they answer NODATA
   * rather than NXDOMAIN (RFC 4592 §2.2.2, RFC 8020). Throws `ZoneError`.
   */
  static build(origin: Uint8Array, records: readonly ZoneRecord[], options: ZoneBuildOptions = {}): Zone {
    const byKey = new Map<string, ZoneNode>();
    const nodes: ZoneNode[] = [];
    const keyOf = (name: Uint8Array, start: number): string => nameToText(name, start).toLowerCase();
    const ensure = (name: Uint8Array, start: number): ZoneNode => {
      const key = keyOf(name, start);
      let node = byKey.get(key);
      if (node === undefined) {
        const own = Uint8Array.from(name.subarray(start, start + nameLength(name, start)));
        node = { name: own, hash: hashName(own, 0), rrsets: [], cname: null, next: null, block: own, cnameTemplates: null, nameTemplates: null };
        byKey.set(key, node);
        nodes.push(node);
      }
      return node;
    };
    ensure(origin, 0);
    const originLabels = labelCount(origin, 0);
    const lastLine = new Map<ZoneNode, number>();
    for (const r of records) {
      const where = r.line ? ` (line ${r.line})` : '';
      if (!isSubdomain(r.name, 0, origin, 0)) {
        throw new ZoneError(`record ${nameToText(r.name)}${where} is outside the zone ${nameToText(origin)}: remove it or fix $ORIGIN`);
      }
      if (r.type === T.TYPE_OPT || r.type === T.TYPE_ANY || r.type === T.TYPE_AXFR || r.type === T.TYPE_IXFR) {
        throw new ZoneError(`record ${nameToText(r.name)}${where}: type ${T.typeName(r.type)} cannot appear in a zone`);
      }
      const node = ensure(r.name, 0);
      if (r.line) lastLine.set(node, r.line);
      // Empty non-terminals between the record and the apex.
      let p = parentOffset(r.name, 0);
      for (let k = labelCount(r.name, 0) - 1; k > originLabels; k--) {
        ensure(r.name, p);
        p = parentOffset(r.name, p);
      }
      const prepared = prepareRdata(r.type, r.data);
      let set = node.rrsets.find((s) => s.type === r.type);
      if (set === undefined) {
        set = { type: r.type, ttl: r.ttl, rdatas: [], wire: null, wireEnds: null };
        node.rrsets.push(set);
      }
      set.ttl = Math.min(set.ttl, r.ttl);
      if (!set.rdatas.some((d) => sameRdata(d, prepared))) set.rdatas.push(prepared);
      if (r.type === T.TYPE_CNAME) node.cname = set;
    }
    let count = 0;
    const compact = options.compactForms ?? true;
    for (const n of nodes) {
      if (compact) for (const set of n.rrsets) compactRRset(set);
      n.block = nodeBlock(n);
      count += n.rrsets.reduce((a, s) => a + s.rdatas.length, 0);
      if (n.cname !== null && (n.rrsets.length > 1 || n.cname.rdatas.length > 1)) {
        throw new ZoneError(
          `${nameToText(n.name)}${lastLine.has(n) ? ` (line ${lastLine.get(n)})` : ''} has a CNAME and other data: RFC 1034 §3.6.2 "If a CNAME RR is present at a node, no other data should be present"`,
        );
      }
    }
    return new Zone(Uint8Array.from(origin), nodes, count, compact);
  }

  /** The node whose name equals the uncompressed name at `name[start]` (any case), or null. */
  find(name: Uint8Array, start: number): ZoneNode | null {
    const h = hashName(name, start);
    let n: ZoneNode | null = this.buckets[h & this.mask]!;
    while (n !== null) {
      if (n.hash === h && namesEqual(n.block, BLOCK_NAME_OFFSET, name, start)) return n;
      n = n.next;
    }
    return null;
  }

  /** Templates of the answers to a CNAME (see {@link ZoneNode.cnameTemplates}), or null when its target is not a node of this zone. */
  private cnameTemplates(cname: RRset): RecordTemplate[] | null {
    const target = cname.rdatas[0]!.parts[0]!;
    if (cname.rdatas.length !== 1 || !this.contains(target, 0)) return null;
    const node = this.find(target, 0);
    if (node === null || node.cname !== null) return null;
    const out: RecordTemplate[] = [];
    for (const set of node.rrsets) {
      if (set.wire === null || set.wireEnds === null || set.type === T.TYPE_CNAME) continue;
      const b = new TemplateBuilder(this.origin);
      b.questionPointer();
      b.fixed(T.TYPE_CNAME, cname.ttl);
      const rd = b.rdlengthStart();
      b.name(target);
      b.rdlengthEnd(rd);
      let from = 0;
      for (const to of set.wireEnds) {
        b.name(target);
        b.raw(set.wire.subarray(from, to));
        from = to;
      }
      out.push(b.build(1 + set.wireEnds.length, set.type));
    }
    return out;
  }

  /** The answer of an RRset with names in its rdata, owned by the question's name (see {@link ZoneNode.nameTemplates}). */
  private nameTemplate(set: RRset): RecordTemplate {
    const b = new TemplateBuilder(this.origin);
    for (const rdata of set.rdatas) {
      b.questionPointer();
      b.fixed(set.type, set.ttl);
      const rd = b.rdlengthStart();
      rdata.parts.forEach((part, i) => {
        if (!rdata.isName[i]) b.raw(part);
        else if (rdata.compressNames) b.name(part);
        else b.nameUncompressed(part);
      });
      b.rdlengthEnd(rd);
    }
    return b.build(set.rdatas.length, set.type);
  }

  /**
   * The record (see `records`) of the node whose lowercased name is `lower[start, start + length)`
   * with `hash === hashName(name) | 0`, or -1. The answer index's lookup: no object is touched.
   */
  findIndex(lower: Uint8Array, start: number, length: number, hash: number): number {
    const mask = this.mask;
    const slots = this.slots;
    const records = this.records;
    const bytes = this.recordBytes;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const r = slots[2 * slot + 1]! - 1;
      if (r < 0) return -1;
      if (slots[2 * slot] !== hash || records[r + 1] !== length) continue;
      const at = 4 * (r + 3) - start;
      let k = start;
      const stop = start + length;
      while (k < stop && bytes[at + k] === lower[k]) k++;
      if (k === stop) return r;
    }
  }

  /** The node of record `r` (from {@link findIndex}, {@link findQuery}, {@link findWildcardQuery}). */
  recordNode(r: number): ZoneNode {
    return this.nodes[this.records[r]!]!;
  }

  /** {@link findIndex} of the query's whole name, comparing names a word at a time. */
  findQuery(q: QueryName): number {
    const mask = this.mask;
    const hash = q.hash;
    const length = q.length;
    const words = (length + 3) >>> 2;
    const mine = q.lowerWords;
    const slots = this.slots;
    const records = this.records;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const r = slots[2 * slot + 1]! - 1;
      if (r < 0) return -1;
      if (slots[2 * slot] !== hash || records[r + 1] !== length) continue;
      const at = r + 3;
      let k = 0;
      while (k < words && records[at + k] === mine[k]) k++;
      if (k === words) return r;
    }
  }

  /** The compact answer of `type` in record `r` (a word offset, for {@link writeCompactAnswer}), or -1. */
  compactAnswer(r: number, type: number): number {
    const records = this.records;
    let at = r + 3 + ((records[r + 1]! + 3) >>> 2);
    for (let e = records[r + 2]!; e > 0; e--) {
      if (records[at] === type) return at;
      at += 3 + ((records[at + 2]! + 3) >>> 2);
    }
    return -1;
  }

  /** Records in compact answer `a` (from {@link compactAnswer}). */
  answerRecords(a: number): number {
    return this.records[a + 1]!;
  }

  /**
   * Copies compact answer `a` (the answer section when the owner is the question's name) to
   * `out[pos]`. Returns the end, or -1 when it would pass `limit`.
   */
  writeCompactAnswer(a: number, out: Uint8Array, pos: number, limit: number): number {
    const n = this.records[a + 2]!;
    if (pos + n > limit) return -1;
    const src = this.recordBytes;
    const from = 4 * (a + 3);
    let k = 0;
    // Four bytes per iteration: V8 checks each array once per iteration rather than per byte.
    for (; k + 4 <= n; k += 4) {
      const b0 = src[from + k]!;
      const b1 = src[from + k + 1]!;
      const b2 = src[from + k + 2]!;
      const b3 = src[from + k + 3]!;
      out[pos + k] = b0;
      out[pos + k + 1] = b1;
      out[pos + k + 2] = b2;
      out[pos + k + 3] = b3;
    }
    for (; k < n; k++) out[pos + k] = src[from + k]!;
    return pos + n;
  }

  /** {@link contains} for a query name, from its label offsets: one comparison of the origin's bytes. */
  containsQuery(q: QueryName): boolean {
    const skip = q.labels - this.originLabels;
    if (skip < 0) return false;
    const at = q.labelStarts[skip]!;
    const origin = this.originLower;
    if (q.length - at !== origin.length) return false;
    const lower = q.lower;
    for (let k = 0; k < origin.length; k++) if (lower[at + k] !== origin[k]) return false;
    return true;
  }

  /**
   * {@link findWildcard} for a query name (same precondition: in the zone, no node of its own):
   * the closest encloser is looked up by suffix in the answer index, then `*.<encloser>` (built in
   * `wild`, lowercased). Returns the wildcard's record (see {@link findIndex}) or -1.
   */
  findWildcardQuery(q: QueryName, wild: Uint8Array): number {
    const lower = q.lower;
    for (let label = 1; label <= q.labels; label++) {
      const p = q.labelStarts[label]!;
      if (this.findIndex(lower, p, q.length - p, hashName(lower, p) | 0) < 0) continue;
      wild[0] = WILDCARD_LABEL[0]!;
      wild[1] = WILDCARD_LABEL[1]!;
      const n = q.length - p;
      for (let k = 0; k < n; k++) wild[2 + k] = lower[p + k]!;
      return this.findIndex(wild, 0, n + 2, hashName(wild, 0) | 0);
    }
    return -1;
  }

  /** Calls `fn` once per node (names, empty non-terminals and wildcards), in no particular order. */
  forEachNode(fn: (node: ZoneNode) => void): void {
    for (let n of this.buckets) {
      for (; n !== null; n = n.next) fn(n);
    }
  }

  /** Whether the name at `name[start]` is at or below the origin. */
  contains(name: Uint8Array, start: number): boolean {
    return isSubdomain(name, start, this.origin, 0);
  }

  /**
   * RFC 4592 §3.3.1: for a name that does not exist, the closest encloser is the longest existing
   * ancestor; the source of synthesis is `*.<closest encloser>`. Returns the wildcard node or null.
   * `wild` is a caller-owned 255-byte scratch buffer. Precondition: `contains(name)` and no node
   * for `name` itself.
   */
  findWildcard(name: Uint8Array, start: number, wild: Uint8Array): ZoneNode | null {
    let p = parentOffset(name, start);
    for (;;) {
      if (this.find(name, p) !== null) {
        // Closest encloser found: build "*." + encloser in the scratch buffer.
        wild[0] = WILDCARD_LABEL[0]!;
        wild[1] = WILDCARD_LABEL[1]!;
        let i = p;
        let j = 2;
        for (;;) {
          const n = name[i]!;
          wild[j++] = n;
          if (n === 0) break;
          for (let k = 1; k <= n; k++) wild[j++] = name[i + k]!;
          i += 1 + n;
        }
        return this.find(wild, 0);
      }
      if (name[p] === 0) return null;
      p = parentOffset(name, p);
    }
  }

  /** The RRset of `type` at `node`, or null. */
  static rrset(node: ZoneNode, type: number): RRset | null {
    const sets = node.rrsets;
    for (let i = 0; i < sets.length; i++) if (sets[i]!.type === type) return sets[i]!;
    return null;
  }
}

/** Fills `set.wire`/`set.wireEnds` when no rdata of the set holds a name (see {@link RRset.wire}). */
function compactRRset(set: RRset): void {
  if (set.rdatas.some((d) => d.isName.some((x) => x))) return;
  const total = set.rdatas.reduce((n, d) => n + 10 + d.uncompressedBytes, 0);
  const wire = new Uint8Array(total);
  const ends = new Int32Array(set.rdatas.length);
  let at = 0;
  set.rdatas.forEach((d, i) => {
    const rdlengthAt = T.writeRecordHeader(wire, at, set.type, T.CLASS_IN, set.ttl);
    T.setRdlength(wire, rdlengthAt, d.uncompressedBytes);
    at = rdlengthAt + 2;
    for (const part of d.parts) {
      wire.set(part, at);
      at += part.length;
    }
    ends[i] = at;
  });
  set.wire = wire;
  set.wireEnds = ends;
}

/**
 * Builds a {@link RecordTemplate} by emulating `NameCompressor` after a question whose name ends in
 * the origin and shares nothing longer with the names written here: each suffix of a name written
 * is, in the compressor's order, (1) one of the question's suffixes — possible only for a suffix of
 * the origin, which the question ends in — then (2) a suffix written earlier in the template, else
 * its label is written out and remembered.
 */
class TemplateBuilder {
  private readonly bytes: number[] = [];
  /** Where wire.ts's writers put a piece before it is appended to `bytes`. */
  private readonly scratch = new Uint8Array(T.RR_FIXED_BYTES);
  /** RDLENGTH fields to fill in `build` (offset, value). */
  private readonly rdlengths: number[] = [];
  private readonly questionAt: number[] = [];
  private readonly questionDepth: number[] = [];
  private readonly selfAt: number[] = [];
  private readonly selfTarget: number[] = [];
  private readonly written: Array<{ at: number; name: Uint8Array; start: number }> = [];
  private readonly guardLabels: number[] = [];
  private readonly originLabels: number;

  constructor(private readonly origin: Uint8Array) {
    this.originLabels = labelCount(origin, 0);
  }

  /** A name written with compression (`NameCompressor.write(…, true)`). */
  name(name: Uint8Array): void {
    const extra = labelCount(name, 0) - this.originLabels;
    if (extra > 0 && isSubdomain(name, 0, this.origin, 0)) {
      let o = 0;
      for (let k = 0; k < extra - 1; k++) o = parentOffset(name, o);
      for (let k = 0; k <= name[o]!; k++) this.guardLabels.push(lowerByte(name[o + k]!));
    }
    for (let i = 0; ; i += 1 + name[i]!) {
      if (name[i] === 0) {
        this.bytes.push(0);
        return;
      }
      const depth = labelCount(name, i);
      if (depth <= this.originLabels) {
        let o = 0;
        for (let k = 0; k < this.originLabels - depth; k++) o = parentOffset(this.origin, o);
        if (namesEqual(name, i, this.origin, o)) {
          this.questionAt.push(this.bytes.length);
          this.questionDepth.push(depth);
          this.pointer(0); // filled per question by the server
          return;
        }
      }
      const earlier = this.written.find((w) => namesEqual(w.name, w.start, name, i));
      if (earlier !== undefined) {
        this.selfAt.push(this.bytes.length);
        this.selfTarget.push(earlier.at);
        this.pointer(0); // filled per answer by the server
        return;
      }
      this.written.push({ at: this.bytes.length, name, start: i });
      for (let k = 0; k <= name[i]!; k++) this.bytes.push(name[i + k]!);
    }
  }

  /** A name written without compression (`NameCompressor.write(…, false)`): every label written out and remembered. */
  nameUncompressed(name: Uint8Array): void {
    const extra = labelCount(name, 0) - this.originLabels;
    if (extra > 0 && isSubdomain(name, 0, this.origin, 0)) {
      let o = 0;
      for (let k = 0; k < extra - 1; k++) o = parentOffset(name, o);
      for (let k = 0; k <= name[o]!; k++) this.guardLabels.push(lowerByte(name[o + k]!));
    }
    for (let i = 0; name[i] !== 0; i += 1 + name[i]!) {
      this.written.push({ at: this.bytes.length, name, start: i });
      for (let k = 0; k <= name[i]!; k++) this.bytes.push(name[i + k]!);
    }
    this.bytes.push(0);
  }

  /** The pointer to the question's name (offset 12) the server writes for an owner that is the question. */
  questionPointer(): void {
    this.pointer(T.DNS_HEADER_BYTES);
  }

  private pointer(target: number): void {
    T.writePointer(this.scratch, 0, target);
    this.bytes.push(this.scratch[0]!, this.scratch[1]!);
  }

  /** TYPE, CLASS IN, TTL. */
  fixed(type: number, ttl: number): void {
    const end = T.writeRecordHeader(this.scratch, 0, type, T.CLASS_IN, ttl);
    for (let k = 0; k < end; k++) this.bytes.push(this.scratch[k]!);
  }

  raw(part: Uint8Array): void {
    for (const b of part) this.bytes.push(b);
  }

  /** Reserves RDLENGTH (filled by `rdlengthEnd`); returns where the rdata starts. */
  rdlengthStart(): number {
    this.bytes.push(0, 0);
    return this.bytes.length;
  }

  rdlengthEnd(rdStart: number): void {
    this.rdlengths.push(rdStart - 2, this.bytes.length - rdStart);
  }

  build(records: number, type: number): RecordTemplate {
    const bytes = Uint8Array.from(this.bytes);
    for (let i = 0; i < this.rdlengths.length; i += 2) T.setRdlength(bytes, this.rdlengths[i]!, this.rdlengths[i + 1]!);
    return {
      bytes,
      questionAt: Int32Array.from(this.questionAt),
      questionDepth: Int32Array.from(this.questionDepth),
      selfAt: Int32Array.from(this.selfAt),
      selfTarget: Int32Array.from(this.selfTarget),
      labels: this.written.length,
      guardLabels: Uint8Array.from(this.guardLabels),
      records,
      type,
    };
  }
}

/** The SOA record of negative answers: owner the origin, TTL `ttl`, the SOA's rdata. */
function soaTemplate(origin: Uint8Array, soa: RRset, ttl: number): RecordTemplate {
  const b = new TemplateBuilder(origin);
  b.name(origin);
  b.fixed(T.TYPE_SOA, ttl);
  const rd = b.rdlengthStart();
  const rdata = soa.rdatas[0]!;
  rdata.parts.forEach((part, i) => {
    if (rdata.isName[i]) b.name(part);
    else b.raw(part);
  });
  b.rdlengthEnd(rd);
  return b.build(1, 0);
}

/**
 * The answer section of a compact set whose owner is the question's name: per record a pointer to
 * offset 12 and the record's TYPE CLASS TTL RDLENGTH RDATA. Null when the set has no compact form.
 */
function compactAnswer(set: RRset): Uint8Array | null {
  if (set.wire === null || set.wireEnds === null) return null;
  const wire = set.wire;
  const out = new Uint8Array(wire.length + 2 * set.wireEnds.length);
  let at = 0;
  let from = 0;
  for (const to of set.wireEnds) {
    T.writePointer(out, at, T.DNS_HEADER_BYTES);
    out.set(wire.subarray(from, to), at + 2);
    at += 2 + to - from;
    from = to;
  }
  return out;
}


/** Builds {@link ZoneNode.block} from the node's name and compact RRsets. */
function nodeBlock(node: ZoneNode): Uint8Array {
  const sets = node.rrsets.filter((s) => s.wire !== null && s.wire.length + 2 * s.rdatas.length <= 0xffff);
  const total = BLOCK_NAME_OFFSET + node.name.length + sets.reduce((n, s) => n + 4 + 2 * s.rdatas.length + s.wire!.length, 0);
  const block = new Uint8Array(total);
  block[0] = node.name.length;
  block.set(node.name, BLOCK_NAME_OFFSET);
  let at = BLOCK_NAME_OFFSET + node.name.length;
  for (const s of sets) {
    const setBytes = 2 * s.rdatas.length + s.wire!.length;
    block[at] = s.type >>> 8;
    block[at + 1] = s.type & 0xff;
    block[at + 2] = setBytes >>> 8;
    block[at + 3] = setBytes & 0xff;
    at += 4;
    let from = 0;
    for (const to of s.wireEnds!) {
      block[at] = (to - from) >>> 8;
      block[at + 1] = (to - from) & 0xff;
      block.set(s.wire!.subarray(from, to), at + 2);
      at += 2 + to - from;
      from = to;
    }
  }
  return block;
}

function lowerByte(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

function sameRdata(a: PreparedRdata, b: PreparedRdata): boolean {
  if (a.parts.length !== b.parts.length) return false;
  for (let i = 0; i < a.parts.length; i++) {
    const x = a.parts[i]!;
    const y = b.parts[i]!;
    if (a.isName[i] !== b.isName[i]) return false;
    if (a.isName[i] ? !namesEqual(x, 0, y, 0) : Buffer.compare(x, y) !== 0) return false;
  }
  return true;
}
