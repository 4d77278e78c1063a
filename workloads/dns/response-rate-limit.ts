/**
 * Response-rate limiting for `serve dns`: a token bucket per source address, so that a spoofed
 * source (a reflection victim) gets at most `ratePerSecond` answers a second from us, whoever asks.
 * The idea is BIND 9's RRL (Vixie and Schryver, "DNS Response Rate Limiting", 2012); this is the
 * simplest form of it — per source address, no per-answer buckets, no "slip" of truncated answers.
 *
 * The table is bounded (`maxSources`): when it is full the oldest source is forgotten (a Map keeps
 * insertion order), so a flood of spoofed sources costs bounded memory and only resets buckets.
 */
export class ResponseRateLimiter {
  private readonly tokens = new Map<string, Bucket>();
  /** Sources forgotten because the table was full. */
  evictedSources = 0;

  /**
   * @param ratePerSecond answers per second each source may receive (also the burst size); > 0.
   * @param maxSources most sources remembered at once.
   */
  constructor(
    readonly ratePerSecond: number,
    readonly maxSources = 65_536,
  ) {}

  /** Whether an answer to `source` may be sent at `nowMs` (a monotonic clock); takes a token if so. */
  allow(source: string, nowMs: number): boolean {
    let b = this.tokens.get(source);
    if (b === undefined) {
      if (this.tokens.size >= this.maxSources) {
        const oldest = this.tokens.keys().next();
        if (oldest.done !== true) this.tokens.delete(oldest.value);
        this.evictedSources++;
      }
      b = { tokens: this.ratePerSecond, atMs: nowMs };
      this.tokens.set(source, b);
    } else {
      b.tokens = Math.min(this.ratePerSecond, b.tokens + ((nowMs - b.atMs) * this.ratePerSecond) / 1000);
      b.atMs = nowMs;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Sources currently remembered. */
  get sources(): number {
    return this.tokens.size;
  }
}

interface Bucket {
  tokens: number;
  atMs: number;
}
