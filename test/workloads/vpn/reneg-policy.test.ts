/** When the server renegotiates (--reneg-sec/-bytes/-pkts), and the reset-reply token bucket. */
import { describe, expect, it } from 'vitest';
import { RenegotiationPolicy } from '../../../workloads/vpn/reneg-policy.js';
import { ResetRateLimiter } from '../../../workloads/vpn/session-limits.js';

describe('RenegotiationPolicy', () => {
  it('names the first limit reached, starts over with each new key, and ignores limits set to 0', () => {
    const p = new RenegotiationPolicy({ seconds: 10, bytes: 3000, packets: 5, transitionWindowS: 60 });
    p.newKey(1000);
    expect(p.due(10_999)).toBeNull();
    expect(p.due(11_000)).toBe('seconds');
    p.newKey(11_000);
    for (let i = 0; i < 2; i++) p.count(1500);
    expect(p.due(11_001)).toBe('bytes');
    p.newKey(11_001);
    for (let i = 0; i < 4; i++) p.count(10);
    expect(p.due(11_002)).toBeNull();
    p.count(10);
    expect(p.due(11_002)).toBe('packets');
    const off = new RenegotiationPolicy({ seconds: 0, bytes: 0, packets: 0, transitionWindowS: 60 });
    off.newKey(0);
    for (let i = 0; i < 1000; i++) off.count(1500);
    expect(off.due(1e9)).toBeNull();
  });
});

describe('ResetRateLimiter', () => {
  it('gives a second’s worth at once, then refills at the rate', () => {
    const l = new ResetRateLimiter(10);
    let granted = 0;
    for (let i = 0; i < 50; i++) if (l.take(0)) granted++;
    expect(granted).toBe(10);
    expect(l.take(50)).toBe(false);
    expect(l.take(100)).toBe(true);
    expect(l.take(100)).toBe(false);
  });
});
