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
  let sum = initial;
  let i = start;
  const last = end - 1;
  for (; i < last; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  // Fold often enough that the double never loses precision (it cannot before 2^53, but folding
  // keeps it a small integer, which V8 keeps as a Smi).
  return foldSum(sum);
}

/** Folds carries until the sum fits in 16 bits (still not complemented). */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
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
