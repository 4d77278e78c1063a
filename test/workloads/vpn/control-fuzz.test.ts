/** A bounded run of the control-channel fuzzer (`npm run fuzz -- vpn --target control`) under poisoning. */
import { describe, expect, it } from 'vitest';
import { runControlFuzz } from '../../../workloads/vpn/control-fuzz.js';

function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

describe('control-channel fuzz', () => {
  it('20 000 mutated datagrams: no throw, payloads inside, every datagram we write decodes as ours, sessions really ran', () => {
    const r = runControlFuzz(20_000, rng(5), 'poisoning');
    expect(r.violations).toEqual([]);
    expect(r.packets).toBe(20_000);
    // The templates decode often and sessions were made: the fuzzer reached past the decoder.
    expect(r.decoded).toBeGreaterThan(5_000);
    expect(r.sessions).toBeGreaterThan(5);
  });
});
