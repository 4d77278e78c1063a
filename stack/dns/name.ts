/**
 * Domain names on the wire (RFC 1035 §3.1, §4.1.4): decoding with compression pointers, encoding
 * with compression, hashing and case-insensitive comparison — all on `(buf, offset)` with no
 * allocation on the data path — plus text ↔ wire conversion for zone files and tools.
 *
 * An uncompressed wire name is a sequence of length-prefixed labels ending in a zero byte.
 */

/** RFC 1035 §2.3.4: "labels 63 octets or less", "names 255 octets or less". */
export const MAX_LABEL_BYTES = 63;
export const MAX_NAME_BYTES = 255;

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
  let h = 0x811c9dc5;
  let i = start;
  for (;;) {
    const n = bytes[i]!;
    h = Math.imul(h ^ n, 0x01000193);
    if (n === 0) return h >>> 0;
    for (let k = 1; k <= n; k++) h = Math.imul(h ^ lower(bytes[i + k]!), 0x01000193);
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
export class NameCompressor {
  private readonly offsets = new Int32Array(128);
  private count = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private msgStart = 0;

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
          buf[p] = 0xc0 | (target >>> 8);
          buf[p + 1] = target & 0xff;
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
