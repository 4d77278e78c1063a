/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of the
 * 16-bit words. Used by IPv4 (header) and UDP (pseudo-header + datagram, RFC 768).
 *
 * Works on `(buf, start, end)` so that callers never make a view; no allocation.
 */

/**
 * Adds `buf[start, end)` as big-endian 16-bit words to `initial` (an unfolded 32-bit-safe sum) and
 * returns the unfolded sum. An odd trailing byte is padded with a zero byte on the right (RFC 1071
 * §4.1). Reads only inside `[start, end)`.
 */
export function sumWords(buf: Uint8Array, start: number, end: number, initial: number): number {
  if (end - start >= WIDE_MIN_BYTES && LITTLE_ENDIAN) {
    const words = wordView(buf.buffer);
    if (words !== null) return sumWordsWide(buf, words, start, end, initial);
  }
  // The high bytes (even offsets from `start`) and the low bytes are summed apart, eight bytes per
  // iteration, and joined once: sum of words = 256 × Σ high + Σ low. About half the work of a
  // word-by-word loop; the totals stay below 2^31 for any IP datagram (≤ 65,535 bytes).
  let hi = 0;
  let lo = 0;
  let i = start;
  const end8 = start + ((end - start) & ~7);
  for (; i < end8; i += 8) {
    hi += buf[i]! + buf[i + 2]! + buf[i + 4]! + buf[i + 6]!;
    lo += buf[i + 1]! + buf[i + 3]! + buf[i + 5]! + buf[i + 7]!;
  }
  for (; i + 1 < end; i += 2) {
    hi += buf[i]!;
    lo += buf[i + 1]!;
  }
  if (i < end) hi += buf[i]!;
  // Fold so that the result is a small integer again (V8 keeps it a Smi).
  return foldSum(initial + hi * 256 + lo);
}

/**
 * The 32-bit path (RFC 1071 §2 (B) and (C): the sum is independent of byte order, and may be
 * taken over wider words, then folded): a range of at least `WIDE_MIN_BYTES` in an ArrayBuffer of
 * at least `WIDE_MIN_BUFFER_BYTES` is summed as aligned little-endian 32-bit words, about four times
 * fewer loads than bytes (a TCP segment's checksum was 12% of the tunnel server's CPU). The word
 * view is made once per ArrayBuffer and kept, so only long-lived buffers get one — a strategy's
 * arena or slab — and no call allocates as long as the buffers are long-lived: a fresh small array
 * per packet (`uint8array`) takes the byte loop below. A fresh buffer of 64 KiB or more per packet
 * would get a view per call (an allocation), and the views kept hold their ArrayBuffers alive (at
 * most `WIDE_VIEWS` of them); no cell does that today (the 64 KiB sizes do not checksum).
 */
const WIDE_MIN_BYTES = 128;
const WIDE_MIN_BUFFER_BYTES = 64 * 1024;
const WIDE_VIEWS = 8;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const wideBuffers: (ArrayBufferLike | null)[] = new Array<ArrayBufferLike | null>(WIDE_VIEWS).fill(null);
const wideWords: (Uint32Array | null)[] = new Array<Uint32Array | null>(WIDE_VIEWS).fill(null);
let wideNext = 0;

/** The kept 32-bit view of `ab` (made on first sight when `ab` is large enough), or null. */
function wordView(ab: ArrayBufferLike): Uint32Array | null {
  for (let k = 0; k < WIDE_VIEWS; k++) if (wideBuffers[k] === ab) return wideWords[k]!;
  if (ab.byteLength < WIDE_MIN_BUFFER_BYTES) return null;
  const words = new Uint32Array(ab, 0, ab.byteLength >>> 2);
  wideBuffers[wideNext] = ab;
  wideWords[wideNext] = words;
  wideNext = (wideNext + 1) % WIDE_VIEWS;
  return words;
}

function sumWordsWide(buf: Uint8Array, words: Uint32Array, start: number, end: number, initial: number): number {
  // Bytes at even distance from `start` are high bytes of the big-endian words, odd ones low bytes.
  let hi = 0;
  let lo = 0;
  let i = start;
  const base = buf.byteOffset;
  for (; ((base + i) & 3) !== 0; i++) {
    if (((i - start) & 1) === 0) hi += buf[i]!;
    else lo += buf[i]!;
  }
  const first = (base + i) >>> 2;
  const count = (end - i) >>> 2;
  // Doubles: at most 2^14 words of < 2^32 each, far below 2^53; two sums for two load chains.
  let a = 0;
  let b = 0;
  let w = first;
  const pairsEnd = first + (count & ~1);
  for (; w < pairsEnd; w += 2) {
    a += words[w]!;
    b += words[w + 1]!;
  }
  if (w < first + count) a += words[w]!;
  // A little-endian word holds its first byte in the low 8 bits: folded, it is the sum of the
  // byte-swapped big-endian words when that first byte is a high byte (even distance), and the
  // sum itself otherwise.
  let folded = foldSum(a + b);
  if (((i - start) & 1) === 0) folded = ((folded & 0xff) << 8) | (folded >>> 8);
  for (i += count * 4; i < end; i++) {
    if (((i - start) & 1) === 0) hi += buf[i]!;
    else lo += buf[i]!;
  }
  return foldSum(initial + hi * 256 + lo + folded);
}

/** Folds carries until the sum fits in 16 bits (still not complemented). */
export function foldSum(sum: number): number {
  // `>>> 16` for sums below 2^32 (all of an IP datagram's), division beyond.
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum <= 0xffff_ffff ? sum >>> 16 : Math.floor(sum / 0x10000));
  return sum;
}

/** The checksum field value for data whose unfolded sum is `sum`: `~fold(sum) & 0xffff`. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** The Internet checksum of `buf[start, end)`. */
export function internetChecksum(buf: Uint8Array, start: number, end: number): number {
  return finishChecksum(sumWords(buf, start, end, 0));
}

/**
 * The checksum field after one 16-bit word it covers changed from `oldWord` to `newWord`, without
 * re-summing the data: RFC 1624 §3, eqn. 3, `HC' = ~(~HC + ~m + m')` (eqn. 2 of RFC 1141 gets −0
 * wrong). All arguments and the result are 16-bit values. The result may be 0x0000 where a full
 * recomputation gives 0xffff (the two zeros of one's complement); a UDP caller maps 0 to 0xffff
 * (RFC 768: a computed zero is sent as all ones, 0 meaning "no checksum").
 */
export function adjustChecksum(checksum: number, oldWord: number, newWord: number): number {
  let sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
