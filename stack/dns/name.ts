/**
 * Domain names on the wire (RFC 1035 §3.1, §4.1.4): decoding with compression pointers, encoding
 * with compression, hashing and case-insensitive comparison — all on `(buf, offset)` with no
 * allocation on the data path — plus text ↔ wire conversion for zone files and tools.
 *
 * An uncompressed wire name is a sequence of length-prefixed labels ending in a zero byte.
 */
import { writePointer } from './wire.js';

/** RFC 1035 §2.3.4: "labels 63 octets or less", "names 255 octets or less". */
export const MAX_LABEL_BYTES = 63;
export const MAX_NAME_BYTES = 255;

/** FNV-1a (32-bit) parameters. `0x811c9dc5 | 0`: the offset basis as an int32. */
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

export const NAME_ERR_TRUNCATED = -1;
/** RFC 1035 §4.1.4: label types 0b01 and 0b10 are reserved for future use. */
export const NAME_ERR_BAD_LABEL_TYPE = -2;
/** A compression pointer that does not point strictly before the labels it was found among. */
export const NAME_ERR_BAD_POINTER = -3;
export const NAME_ERR_TOO_LONG = -4;

/** A caller-owned buffer holding one uncompressed wire name: `bytes[0, length)`. */
export interface NameScratch {
  bytes: Uint8Array;
  length: number;
}

export function newNameScratch(): NameScratch {
  return { bytes: new Uint8Array(MAX_NAME_BYTES), length: 0 };
}

/**
 * Reads the (possibly compressed) name at `buf[off]` of the message `buf[msgStart, end)` into
 * `out` (uncompressed, case preserved). Returns the offset just after the name *at its original
 * position* (after the first pointer, if any), or a negative `NAME_ERR_*`.
 *
 * Pointers: RFC 1035 §4.1.4 says "the pointer ... specifies an offset from the start of the
 * message"; compressors only ever point at names written earlier. We require every pointer to point
 * strictly before the start of the label run that contains it, so forward pointers and loops are
 * rejected and decoding terminates after at most 255 output bytes. Reads only inside `[msgStart, end)`.
 */
export function readName(buf: Uint8Array, msgStart: number, end: number, off: number, out: NameScratch): number {
  let pos = off;
  let runStart = off;
  let after = -1;
  let len = 0;
  const dst = out.bytes;
  for (;;) {
    if (pos >= end) return NAME_ERR_TRUNCATED;
    const b = buf[pos]!;
    if (b === 0) {
      if (len + 1 > MAX_NAME_BYTES) return NAME_ERR_TOO_LONG;
      dst[len++] = 0;
      out.length = len;
      return after === -1 ? pos + 1 : after;
    }
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) return NAME_ERR_TRUNCATED;
      const target = msgStart + (((b & 0x3f) << 8) | buf[pos + 1]!);
      if (target >= runStart) return NAME_ERR_BAD_POINTER;
      if (after === -1) after = pos + 2;
      pos = target;
      runStart = target;
      continue;
    }
    if (kind !== 0) return NAME_ERR_BAD_LABEL_TYPE;
    if (pos + 1 + b > end) return NAME_ERR_TRUNCATED;
    if (len + 1 + b + 1 > MAX_NAME_BYTES) return NAME_ERR_TOO_LONG;
    dst[len++] = b;
    for (let i = 1; i <= b; i++) dst[len++] = buf[pos + i]!;
    pos += 1 + b;
  }
}

/**
 * The question's name as the server needs it, filled in one pass by {@link readQueryName}: the name
 * as received (case preserved, echoed in the answer), an ASCII-lowercased copy (what lookups compare),
 * where each label starts, and the {@link hashName} of the whole name — so the lookup neither copies,
 * lowercases nor hashes the name again. Preallocated by {@link newQueryName}; reused per query.
 */
export interface QueryName {
  /**
   * The uncompressed name, case preserved: `bytes[0, length)`. 260 bytes long, so that the caller
   * may put the question's QTYPE and QCLASS right after the name and copy the whole question out
   * with one `set`.
   */
  readonly bytes: Uint8Array;
  /** The same name ASCII-lowercased: `lower[0, length)`, followed by at least 3 zero bytes. */
  readonly lower: Uint8Array;
  /** `lower` as 32-bit words (same memory), for comparisons four bytes at a time. */
  readonly lowerWords: Int32Array;
  length: number;
  /** Labels, not counting the root. */
  labels: number;
  /** `labelStarts[i]`: offset of label `i` in `bytes`; `labelStarts[labels]` is the root's zero byte. */
  readonly labelStarts: Uint8Array;
  /** `hashName(bytes, 0) | 0` (an int32, so that it stays a small integer in V8). */
  hash: number;
}

/** Bytes of `QueryName.bytes` and `.lower`: a maximal name, then QTYPE QCLASS (or zero padding). */
export const QUERY_NAME_BYTES = 260;

export function newQueryName(): QueryName {
  const lowerMemory = new ArrayBuffer(QUERY_NAME_BYTES);
  return {
    bytes: new Uint8Array(QUERY_NAME_BYTES),
    lower: new Uint8Array(lowerMemory),
    lowerWords: new Int32Array(lowerMemory),
    length: 0,
    labels: 0,
    // A 255-byte name has at most 127 labels plus the root.
    labelStarts: new Uint8Array(128),
    hash: 0,
  };
}

/**
 * `readName` for the question: same result, checks and bounds (see {@link readName}), and also fills
 * `out.lower`, `out.labelStarts`, `out.labels` and `out.hash` (FNV-1a of the lowercased name, equal
 * to `hashName(out.bytes, 0) | 0`) while copying.
 */
export function readQueryName(buf: Uint8Array, msgStart: number, end: number, off: number, out: QueryName): number {
  let pos = off;
  let runStart = off;
  let after = -1;
  let len = 0;
  let labels = 0;
  let h = FNV_OFFSET;
  const dst = out.bytes;
  const low = out.lower;
  const starts = out.labelStarts;
  for (;;) {
    if (pos >= end) return NAME_ERR_TRUNCATED;
    const b = buf[pos]!;
    if (b === 0) {
      if (len + 1 > MAX_NAME_BYTES) return NAME_ERR_TOO_LONG;
      starts[labels] = len;
      dst[len] = 0;
      low[len++] = 0;
      // Zero padding up to the next word, so that whole words of `lower` compare equal.
      low[len] = 0;
      low[len + 1] = 0;
      low[len + 2] = 0;
      out.length = len;
      out.labels = labels;
      out.hash = Math.imul(h, FNV_PRIME);
      return after === -1 ? pos + 1 : after;
    }
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) return NAME_ERR_TRUNCATED;
      const target = msgStart + (((b & 0x3f) << 8) | buf[pos + 1]!);
      if (target >= runStart) return NAME_ERR_BAD_POINTER;
      if (after === -1) after = pos + 2;
      pos = target;
      runStart = target;
      continue;
    }
    if (kind !== 0) return NAME_ERR_BAD_LABEL_TYPE;
    if (pos + 1 + b > end) return NAME_ERR_TRUNCATED;
    if (len + 1 + b + 1 > MAX_NAME_BYTES) return NAME_ERR_TOO_LONG;
    starts[labels++] = len;
    dst[len] = b;
    low[len] = b;
    h = Math.imul(h ^ b, FNV_PRIME);
    // The label's bytes, four per iteration where possible: V8 checks each array once per
    // iteration rather than once per byte.
    let i = pos + 1;
    let d = len + 1;
    const stop = pos + 1 + b;
    for (; i + 4 <= stop; i += 4, d += 4) {
      const c0 = buf[i]!;
      const c1 = buf[i + 1]!;
      const c2 = buf[i + 2]!;
      const c3 = buf[i + 3]!;
      dst[d] = c0;
      dst[d + 1] = c1;
      dst[d + 2] = c2;
      dst[d + 3] = c3;
      const l0 = c0 >= 0x41 && c0 <= 0x5a ? c0 | 0x20 : c0;
      const l1 = c1 >= 0x41 && c1 <= 0x5a ? c1 | 0x20 : c1;
      const l2 = c2 >= 0x41 && c2 <= 0x5a ? c2 | 0x20 : c2;
      const l3 = c3 >= 0x41 && c3 <= 0x5a ? c3 | 0x20 : c3;
      low[d] = l0;
      low[d + 1] = l1;
      low[d + 2] = l2;
      low[d + 3] = l3;
      h = Math.imul(Math.imul(Math.imul(Math.imul(h ^ l0, FNV_PRIME) ^ l1, FNV_PRIME) ^ l2, FNV_PRIME) ^ l3, FNV_PRIME);
    }
    for (; i < stop; i++, d++) {
      const c = buf[i]!;
      const l = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
      dst[d] = c;
      low[d] = l;
      h = Math.imul(h ^ l, FNV_PRIME);
    }
    len = d;
    pos = stop;
  }
}

/** Skips the name at `buf[off]` without copying it; same result and checks as `readName`. */
export function skipName(buf: Uint8Array, msgStart: number, end: number, off: number): number {
  let pos = off;
  let runStart = off;
  let after = -1;
  let len = 0;
  for (;;) {
    if (pos >= end) return NAME_ERR_TRUNCATED;
    const b = buf[pos]!;
    if (b === 0) {
      if (len + 1 > MAX_NAME_BYTES) return NAME_ERR_TOO_LONG;
      return after === -1 ? pos + 1 : after;
    }
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= end) return NAME_ERR_TRUNCATED;
      const target = msgStart + (((b & 0x3f) << 8) | buf[pos + 1]!);
      if (target >= runStart) return NAME_ERR_BAD_POINTER;
      if (after === -1) after = pos + 2;
      pos = target;
      runStart = target;
      continue;
    }
    if (kind !== 0) return NAME_ERR_BAD_LABEL_TYPE;
    if (pos + 1 + b > end) return NAME_ERR_TRUNCATED;
    len += 1 + b;
    if (len + 1 > MAX_NAME_BYTES) return NAME_ERR_TOO_LONG;
    pos += 1 + b;
  }
}

function lower(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

/** FNV-1a (32-bit) of the ASCII-lowercased uncompressed name `bytes[start, …]` (up to its zero byte). */
export function hashName(bytes: Uint8Array, start: number): number {
  let h = FNV_OFFSET;
  let i = start;
  for (;;) {
    const n = bytes[i]!;
    h = Math.imul(h ^ n, FNV_PRIME);
    if (n === 0) return h >>> 0;
    for (let k = 1; k <= n; k++) h = Math.imul(h ^ lower(bytes[i + k]!), FNV_PRIME);
    i += 1 + n;
  }
}

/** Case-insensitive equality of two uncompressed wire names (RFC 1035 §2.3.3, ASCII only). */
export function namesEqual(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number): boolean {
  let i = aStart;
  let j = bStart;
  for (;;) {
    const n = a[i]!;
    if (n !== b[j]) return false;
    if (n === 0) return true;
    for (let k = 1; k <= n; k++) if (lower(a[i + k]!) !== lower(b[j + k]!)) return false;
    i += 1 + n;
    j += 1 + n;
  }
}

/** Offset of the next label (the parent name) of the uncompressed name at `bytes[start]`. */
export function parentOffset(bytes: Uint8Array, start: number): number {
  return start + 1 + bytes[start]!;
}

/** Number of labels (not counting the root) of the uncompressed name at `bytes[start]`. */
export function labelCount(bytes: Uint8Array, start: number): number {
  let n = 0;
  let i = start;
  while (bytes[i]! !== 0) {
    n++;
    i += 1 + bytes[i]!;
  }
  return n;
}

/** Length in bytes (including the final zero) of the uncompressed name at `bytes[start]`. */
export function nameLength(bytes: Uint8Array, start: number): number {
  let i = start;
  while (bytes[i]! !== 0) i += 1 + bytes[i]!;
  return i - start + 1;
}

/** Whether uncompressed `name` equals `ancestor` or lies below it (case-insensitive). */
export function isSubdomain(name: Uint8Array, nameStart: number, ancestor: Uint8Array, ancestorStart: number): boolean {
  const extra = labelCount(name, nameStart) - labelCount(ancestor, ancestorStart);
  if (extra < 0) return false;
  let i = nameStart;
  for (let k = 0; k < extra; k++) i += 1 + name[i]!;
  return namesEqual(name, i, ancestor, ancestorStart);
}

/**
 * Writes names into one message with compression (RFC 1035 §4.1.4). Remembers where each name
 * suffix it wrote starts; a later name whose suffix matches (case-insensitively) is written as a
 * pointer. Preallocated table; no allocation per name.
 */
/** How many name suffixes one message's `NameCompressor` remembers (later ones are written out, never pointed to). */
export const NAME_COMPRESSOR_SLOTS = 128;

export class NameCompressor {
  private readonly offsets = new Int32Array(NAME_COMPRESSOR_SLOTS);
  private count = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private msgStart = 0;

  /** How many name suffixes are remembered (candidates for a pointer) in the current message. */
  get remembered(): number {
    return this.count;
  }

  /** Starts a new message at `buf[msgStart]`. */
  reset(buf: Uint8Array, msgStart: number): void {
    this.buf = buf;
    this.msgStart = msgStart;
    this.count = 0;
  }

  /**
   * Writes the uncompressed name `src[srcStart, …]` at `this.buf[pos]`; with `compress`, as a
   * pointer to an earlier copy of its longest known suffix. Returns the offset after it, or -1 when
   * it would pass `limit`. Suffixes written at message offsets < 0x4000 are remembered either way.
   */
  write(src: Uint8Array, srcStart: number, pos: number, limit: number, compress: boolean): number {
    const buf = this.buf;
    let i = srcStart;
    let p = pos;
    // Only names completed before this call may be pointed at: the labels this call writes are
    // followed by bytes not yet written (stale memory under non-zeroing strategies).
    const known = this.count;
    for (;;) {
      const n = src[i]!;
      if (n === 0) {
        if (p + 1 > limit) return -1;
        buf[p] = 0;
        return p + 1;
      }
      if (compress) {
        const target = this.find(src, i, known);
        if (target >= 0) {
          if (p + 2 > limit) return -1;
          writePointer(buf, p, target);
          return p + 2;
        }
      }
      if (p + 1 + n > limit) return -1;
      const rel = p - this.msgStart;
      if (rel < 0x4000 && this.count < this.offsets.length) this.offsets[this.count++] = p;
      buf[p] = n;
      for (let k = 1; k <= n; k++) buf[p + k] = src[i + k]!;
      p += 1 + n;
      i += 1 + n;
    }
  }

  /**
   * Remembers a name already written uncompressed at `this.buf[pos]` (e.g. the question, copied in
   * one piece) whose labels start at `pos + labelStarts[i]`, `i < labels`: afterwards the compressor
   * knows exactly what `write(name, 0, pos, limit, false)` would have taught it.
   */
  remember(pos: number, labelStarts: Uint8Array, labels: number): void {
    for (let i = 0; i < labels; i++) {
      const at = pos + labelStarts[i]!;
      if (at - this.msgStart < 0x4000 && this.count < this.offsets.length) this.offsets[this.count++] = at;
    }
  }

  /** Message-relative offset of a remembered name equal to `src[i, …]`, or -1. */
  private find(src: Uint8Array, i: number, known: number): number {
    for (let e = 0; e < known; e++) {
      const at = this.offsets[e]!;
      if (this.matchesAt(src, i, at)) return at - this.msgStart;
    }
    return -1;
  }

  /** Compares `src[i, …]` with the (possibly compressed, self-written) name at `buf[at]`. */
  private matchesAt(src: Uint8Array, i: number, at: number): boolean {
    const buf = this.buf;
    let a = i;
    let b = at;
    for (let guard = 0; guard < 128; guard++) {
      let n = buf[b]!;
      if ((n & 0xc0) === 0xc0) {
        b = this.msgStart + (((n & 0x3f) << 8) | buf[b + 1]!);
        n = buf[b]!;
      }
      if (n !== src[a]) return false;
      if (n === 0) return true;
      for (let k = 1; k <= n; k++) if (lower(src[a + k]!) !== lower(buf[b + k]!)) return false;
      a += 1 + n;
      b += 1 + n;
    }
    return false;
  }
}

/** Misuse / bad configuration: a name given as text that is not a valid domain name. */
export class NameSyntaxError extends Error {
  readonly code = 'E_DNS_NAME_SYNTAX';
  constructor(message: string) {
    super(message);
    this.name = 'NameSyntaxError';
  }
}

/**
 * Presentation format → uncompressed wire name. `text` is absolute when it ends in `.`; otherwise
 * `origin` (a wire name) is appended, and a relative name without origin is an error. `@` is the
 * origin. Supports `\.`, `\\` and `\DDD` escapes (RFC 1035 §5.1). Throws `NameSyntaxError`.
 */
export function nameFromText(text: string, origin?: Uint8Array): Uint8Array {
  if (text === '@') {
    if (origin === undefined) throw new NameSyntaxError("'@' used with no origin: set $ORIGIN or give an absolute name");
    return origin;
  }
  if (text === '.') return Uint8Array.of(0);
  const out: number[] = [];
  let label: number[] = [];
  let absolute = false;
  const flush = (): void => {
    if (label.length === 0) throw new NameSyntaxError(`empty label in '${text}'`);
    if (label.length > MAX_LABEL_BYTES) throw new NameSyntaxError(`label longer than 63 bytes in '${text}'`);
    out.push(label.length, ...label);
    label = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) {
      const d = text.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        const v = Number(d);
        if (v > 255) throw new NameSyntaxError(`escape \\${d} above 255 in '${text}'`);
        label.push(v);
        i += 3;
      } else if (i + 1 < text.length) {
        label.push(text.charCodeAt(i + 1));
        i += 1;
      } else throw new NameSyntaxError(`dangling backslash in '${text}'`);
    } else if (c === 0x2e) {
      flush();
      if (i === text.length - 1) absolute = true;
    } else if (c > 0x7e || c < 0x21) {
      throw new NameSyntaxError(`character ${JSON.stringify(text[i])} in '${text}' must be escaped as \\DDD`);
    } else label.push(c);
  }
  if (!absolute) {
    if (label.length > 0) flush();
    if (origin === undefined) throw new NameSyntaxError(`relative name '${text}' with no origin: end it with '.' or set $ORIGIN`);
    for (let i = 0; i < origin.length; i++) out.push(origin[i]!);
  } else out.push(0);
  if (out.length > MAX_NAME_BYTES) throw new NameSyntaxError(`name '${text}' is longer than 255 bytes on the wire`);
  return Uint8Array.from(out);
}

/** Uncompressed wire name → presentation format with a trailing dot (`.` for the root). */
export function nameToText(bytes: Uint8Array, start = 0): string {
  let s = '';
  let i = start;
  for (;;) {
    const n = bytes[i]!;
    if (n === 0) return s === '' ? '.' : s;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k]!;
      if (c === 0x2e || c === 0x5c || c === 0x22 || c === 0x3b || c === 0x28 || c === 0x29 || c === 0x40 || c === 0x24) s += '\\' + String.fromCharCode(c);
      else if (c < 0x21 || c > 0x7e) s += '\\' + String(c).padStart(3, '0');
      else s += String.fromCharCode(c);
    }
    s += '.';
    i += 1 + n;
  }
}
