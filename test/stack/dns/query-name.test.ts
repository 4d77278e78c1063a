/**
 * `readQueryName` (the server's one pass over the question's name) must agree with `readName` on
 * every input — result, copied bytes, errors — and fill the lowercased copy, label offsets and hash
 * that the answer index relies on: `hash === hashName(name) | 0`, `lower` zero-padded to a word.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashName, nameFromText, newNameScratch, newQueryName, readName, readQueryName } from '../../../stack/dns/name.js';
import { nameArb } from './arbitraries.js';

function lowerAscii(bytes: Uint8Array): number[] {
  return [...bytes].map((b) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b));
}

describe('readQueryName', () => {
  it('agrees with readName and fills lower, labelStarts and hash (property, mixed case)', () => {
    const q = newQueryName();
    const scratch = newNameScratch();
    fc.assert(
      fc.property(nameArb, fc.array(fc.boolean(), { maxLength: 300 }), (text, upper) => {
        const wire = nameFromText(text);
        const mixed = wire.map((b, i) => (upper[i % Math.max(1, upper.length)] && b >= 0x61 && b <= 0x7a ? b & 0xdf : b));
        const msg = new Uint8Array(12 + mixed.length + 4);
        msg.set(mixed, 12);
        const got = readQueryName(msg, 0, msg.length, 12, q);
        expect(got).toBe(readName(msg, 0, msg.length, 12, scratch));
        expect(q.length).toBe(scratch.length);
        expect([...q.bytes.subarray(0, q.length)]).toEqual([...mixed]);
        expect([...q.lower.subarray(0, q.length + 3)]).toEqual([...lowerAscii(mixed), 0, 0, 0]);
        expect(q.hash).toBe(hashName(mixed, 0) | 0);
        const starts: number[] = [];
        for (let i = 0; mixed[i] !== 0; i += 1 + mixed[i]!) starts.push(i);
        expect(q.labels).toBe(starts.length);
        expect([...q.labelStarts.subarray(0, q.labels + 1)]).toEqual([...starts, q.length - 1]);
      }),
      { numRuns: 300 },
    );
  });

  it('follows a compression pointer like readName and rejects the same malformed names', () => {
    const q = newQueryName();
    const scratch = newNameScratch();
    // "ab" at 12, then at 16 the label "x" and a pointer to 12: x.ab.
    const msg = Uint8Array.of(...new Array<number>(12).fill(0), 2, 0x41, 0x42, 0, 1, 0x78, 0xc0, 12, 0, 1, 0, 1);
    expect(readQueryName(msg, 0, msg.length, 16, q)).toBe(20);
    expect([...q.lower.subarray(0, q.length)]).toEqual([1, 0x78, 2, 0x61, 0x62, 0]);
    expect(q.hash).toBe(hashName(q.bytes, 0) | 0);
    for (const bad of [Uint8Array.of(...new Array<number>(12).fill(0), 5, 0x61), Uint8Array.of(...new Array<number>(12).fill(0), 0x40, 0), Uint8Array.of(...new Array<number>(12).fill(0), 0xc0, 12)]) {
      expect(readQueryName(bad, 0, bad.length, 12, q)).toBe(readName(bad, 0, bad.length, 12, scratch));
      expect(readQueryName(bad, 0, bad.length, 12, q)).toBeLessThan(0);
    }
  });
});
