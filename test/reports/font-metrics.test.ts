import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEJAVU_SANS_PATH, parseTrueType } from '../../reports/font-metrics.js';
import { peer } from '../peers.js';

const HAS_FONT = peer(DEJAVU_SANS_PATH);

describe.runIf(HAS_FONT)('DejaVu Sans metrics', () => {
  const m = parseTrueType(readFileSync(DEJAVU_SANS_PATH));
  it('reads advance widths through the cmap', () => {
    // DejaVu Sans (2048 units/em): digits are tabular, 1303 units; space 651; 'M' 1767; 'i' 569.
    expect(m.widthEm('0') * 2048).toBeCloseTo(1303, 6);
    expect(m.widthEm('7') * 2048).toBeCloseTo(1303, 6);
    expect(m.widthEm(' ') * 2048).toBeCloseTo(651, 6);
    expect(m.widthEm('M') * 2048).toBeCloseTo(1767, 6);
    expect(m.widthEm('i') * 2048).toBeCloseTo(569, 6);
  });
  it('adds up per character, including non-ASCII (µ, ×, ·)', () => {
    expect(m.widthEm('Mi')).toBeCloseTo(m.widthEm('M') + m.widthEm('i'), 12);
    for (const ch of ['µ', '×', '·', '–']) expect(m.widthEm(ch)).toBeGreaterThan(0.2);
  });
  it('rejects bytes that are not a TrueType font', () => {
    expect(() => parseTrueType(new Uint8Array(64))).toThrow(/no 'head' table/);
  });
});

it('the font file probe matches the path the metrics read', () => {
  expect(existsSync(DEJAVU_SANS_PATH)).toBe(HAS_FONT);
});
