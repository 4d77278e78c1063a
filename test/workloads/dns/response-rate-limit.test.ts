import { describe, expect, it } from 'vitest';
import { ResponseRateLimiter } from '../../../workloads/dns/response-rate-limit.js';

describe('ResponseRateLimiter (token bucket per source)', () => {
  it('allows a burst of N, then N per second, per source', () => {
    const r = new ResponseRateLimiter(4);
    const at0 = [1, 2, 3, 4, 5].map(() => r.allow('192.0.2.1', 0));
    expect(at0).toEqual([true, true, true, true, false]);
    // Another source has its own bucket.
    expect(r.allow('192.0.2.2', 0)).toBe(true);
    // 250 ms refill one token at 4/s.
    expect(r.allow('192.0.2.1', 250)).toBe(true);
    expect(r.allow('192.0.2.1', 250)).toBe(false);
    // A long pause refills to the burst size, not beyond.
    const later = [1, 2, 3, 4, 5].map(() => r.allow('192.0.2.1', 60_000));
    expect(later).toEqual([true, true, true, true, false]);
  });

  it('forgets the oldest source when the table is full, counted', () => {
    const r = new ResponseRateLimiter(1, 2);
    expect(r.allow('a', 0)).toBe(true);
    expect(r.allow('b', 0)).toBe(true);
    expect(r.allow('c', 0)).toBe(true);
    expect(r.sources).toBe(2);
    expect(r.evictedSources).toBe(1);
    // 'a' was forgotten: it starts with a full bucket again; 'c' is still empty.
    expect(r.allow('c', 0)).toBe(false);
    expect(r.allow('a', 0)).toBe(true);
  });
});
