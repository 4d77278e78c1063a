/**
 * An authoritative zone held in memory, prepared for answering: every owner name and rdata is
 * encoded to wire form once at load time, and names are found through an open hash table keyed by
 * the lowercased wire name, so a lookup allocates nothing.
 */
import { hashName, isSubdomain, labelCount, nameLength, namesEqual, nameToText, parentOffset } from './name.js';
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
   * What a lookup touches, in one array so that answering a query reads one place in memory rather
   * than a chain of objects: `[nameBytes, name…, then per compact RRset: TYPE(2) SETBYTES(2), then per
   * record RECBYTES(2) and its TYPE CLASS TTL RDLENGTH RDATA]` (big-endian). Only sets with a compact
   * form (see {@link RRset.wire}) of at most 65535 bytes appear; the others are found in `rrsets`.
   */
  block: Uint8Array;
}

/** Where the name starts in {@link ZoneNode.block} (after its length byte). */
export const BLOCK_NAME_OFFSET = 1;

/** A zone that cannot be served as given (no SOA, data outside the origin, CNAME and other data). */
export class ZoneError extends Error {
  readonly code = 'E_ZONE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ZoneError';
  }
}

const WILDCARD_LABEL = Uint8Array.of(1, 0x2a);

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

  private constructor(origin: Uint8Array, nodes: ZoneNode[], recordCount: number) {
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
    const apex = this.find(origin, 0);
    const soa = apex?.rrsets.find((r) => r.type === T.TYPE_SOA);
    if (apex === null || soa === undefined) throw new ZoneError(`zone ${nameToText(origin)} has no SOA record at its apex: add one (RFC 1035 §5.2)`);
    if (soa.rdatas.length !== 1) throw new ZoneError(`zone ${nameToText(origin)} has ${soa.rdatas.length} SOA records: exactly one is allowed`);
    this.apex = apex;
    this.soa = soa;
    const fixed = soa.rdatas[0]!.parts[2]!;
    const minimum = ((fixed[16]! << 24) | (fixed[17]! << 16) | (fixed[18]! << 8) | fixed[19]!) >>> 0;
    this.negativeTtl = Math.min(soa.ttl, minimum);
  }

  /**
   * Builds a zone from records (all at or below `origin`). Empty non-terminals (names that exist
   * only because a name below them exists) become nodes without data, so that they answer NODATA
   * rather than NXDOMAIN (RFC 4592 §2.2.2, RFC 8020). Throws `ZoneError`.
   */
  static build(origin: Uint8Array, records: readonly ZoneRecord[]): Zone {
    const byKey = new Map<string, ZoneNode>();
    const nodes: ZoneNode[] = [];
    const keyOf = (name: Uint8Array, start: number): string => nameToText(name, start).toLowerCase();
    const ensure = (name: Uint8Array, start: number): ZoneNode => {
      const key = keyOf(name, start);
      let node = byKey.get(key);
      if (node === undefined) {
        const own = Uint8Array.from(name.subarray(start, start + nameLength(name, start)));
        node = { name: own, hash: hashName(own, 0), rrsets: [], cname: null, next: null, block: own };
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
    for (const n of nodes) {
      for (const set of n.rrsets) compactRRset(set);
      n.block = nodeBlock(n);
      count += n.rrsets.reduce((a, s) => a + s.rdatas.length, 0);
      if (n.cname !== null && (n.rrsets.length > 1 || n.cname.rdatas.length > 1)) {
        throw new ZoneError(
          `${nameToText(n.name)}${lastLine.has(n) ? ` (line ${lastLine.get(n)})` : ''} has a CNAME and other data: RFC 1034 §3.6.2 "If a CNAME RR is present at a node, no other data should be present"`,
        );
      }
    }
    return new Zone(Uint8Array.from(origin), nodes, count);
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
    wire[at] = set.type >>> 8;
    wire[at + 1] = set.type & 0xff;
    wire[at + 2] = 0;
    wire[at + 3] = T.CLASS_IN;
    wire[at + 4] = set.ttl >>> 24;
    wire[at + 5] = (set.ttl >>> 16) & 0xff;
    wire[at + 6] = (set.ttl >>> 8) & 0xff;
    wire[at + 7] = set.ttl & 0xff;
    wire[at + 8] = d.uncompressedBytes >>> 8;
    wire[at + 9] = d.uncompressedBytes & 0xff;
    at += 10;
    for (const part of d.parts) {
      wire.set(part, at);
      at += part.length;
    }
    ends[i] = at;
  });
  set.wire = wire;
  set.wireEnds = ends;
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
