import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { internetChecksum, sumWords, foldSum } from '../../stack/checksum.js';

describe('internet checksum (RFC 1071)', () => {
  it('matches the worked example of RFC 1071 §3', () => {
    const bytes = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
    expect(foldSum(sumWords(bytes, 0, bytes.length, 0))).toBe(0xddf2);
    expect(internetChecksum(bytes, 0, bytes.length)).toBe(0x220d);
  });

  it('matches a real IPv4 header (192.168.0.1 → 192.168.0.199, checksum 0xb861)', () => {
    const hdr = Uint8Array.from(Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex'));
    expect(internetChecksum(hdr, 0, hdr.length)).toBe(0xb861);
    hdr[10] = 0xb8;
    hdr[11] = 0x61;
    expect(internetChecksum(hdr, 0, hdr.length)).toBe(0);
  });

  it('pads an odd trailing byte with zero and reads only inside the range', () => {
    const buf = Uint8Array.from([0xff, 0x12, 0x34, 0x56, 0xff]);
    expect(internetChecksum(buf, 1, 4)).toBe(internetChecksum(Uint8Array.from([0x12, 0x34, 0x56, 0x00]), 0, 4));
  });

  it('a buffer with its checksum appended sums to zero (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (data) => {
        const even = data.length % 2 === 0 ? data : Uint8Array.from([...data, 0]);
        const c = internetChecksum(even, 0, even.length);
        const withSum = Uint8Array.from([...even, c >>> 8, c & 0xff]);
        expect(internetChecksum(withSum, 0, withSum.length)).toBe(0);
      }),
    );
  });

  it('sumWords equals a word-by-word reference sum for any range, odd starts and lengths included (property)', () => {
    const reference = (b: Uint8Array, start: number, end: number, initial: number): number => {
      let sum = initial;
      for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
      return foldSum(sum);
    };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1600 }), fc.nat(20), fc.nat(20), fc.nat(0x3ffff), (data, cutStart, cutEnd, initial) => {
        const start = Math.min(cutStart, data.length);
        const end = Math.max(start, data.length - cutEnd);
        expect(sumWords(data, start, end, initial)).toBe(reference(data, start, end, initial));
      }),
    );
    const max = new Uint8Array(65_535).fill(0xff);
    expect(sumWords(max, 0, max.length, 0x3ffff)).toBe(reference(max, 0, max.length, 0x3ffff));
  });

  it('the 32-bit path over a large ArrayBuffer (a strategy arena) equals the reference, any alignment of view, start and end (property)', () => {
    const reference = (b: Uint8Array, start: number, end: number, initial: number): number => {
      let sum = initial;
      for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
      return foldSum(sum);
    };
    const arena = new Uint8Array(96 * 1024);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 128, maxLength: 3000 }), fc.nat(70_000), fc.nat(7), fc.nat(7), fc.nat(0x3ffff), (data, at, cutStart, cutEnd, initial) => {
        // A view with a non-zero byteOffset, as strategies hand out, holding `data` at `at`.
        const view = arena.subarray(at % 1000, arena.length - 4000);
        view.set(data, at % (view.length - data.length));
        const start = (at % (view.length - data.length)) + cutStart;
        const end = start + data.length - cutStart - cutEnd;
        expect(sumWords(view, start, end, initial)).toBe(reference(view, start, end, initial));
      }),
      { numRuns: 500 },
    );
    // All ones over the longest IP datagram: the widest sum the fold must carry.
    const ones = new Uint8Array(1 << 17).fill(0xff);
    expect(sumWords(ones, 3, 3 + 65_535, 0x3ffff)).toBe(reference(ones, 3, 3 + 65_535, 0x3ffff));
    expect(sumWords(ones, 0, 1 << 17, 0)).toBe(reference(ones, 0, 1 << 17, 0));
  });
});

describe('foldSum: `>>> 16` below 2^32, division above', () => {
  it('folds to the same 16-bit value as a reference modulo-0xffff fold, for sums up to 2^40 (property)', () => {
    // One's complement fold of a non-zero sum is its residue modulo 0xffff, written 1..0xffff.
    const ref = (x: number): number => (x === 0 ? 0 : x % 0xffff === 0 ? 0xffff : x % 0xffff);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (x) => {
        expect(foldSum(x)).toBe(ref(x));
      }),
    );
    expect(foldSum(0xffff_ffff)).toBe(0xffff);
    expect(foldSum(0x1_0000_0000)).toBe(1);
    expect(foldSum(0x1_2345_6789)).toBe(ref(0x1_2345_6789));
  });
});
