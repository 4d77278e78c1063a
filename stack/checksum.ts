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
