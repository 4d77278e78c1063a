/**
 * Exact text widths for DejaVu Sans, read from the installed TrueType files, so that vega lays out
 * labels and legends as they will really render (without a canvas, vega guesses 0.8 em per
 * character, which leaves wide gaps and overflowing legends). Reads only what is needed: `head`
 * (units per em), `hhea` + `hmtx` (advance widths) and the Windows BMP `cmap` (format 4).
 * Kerning is ignored (a few tenths of a percent for labels).
 */
import { existsSync, readFileSync } from 'node:fs';

export const DEJAVU_SANS_PATH = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
export const DEJAVU_SANS_BOLD_PATH = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

export interface FontMetrics {
  /** Advance width of `text` in em units (multiply by the font size in px). */
  widthEm(text: string): number;
}

export function parseTrueType(bytes: Uint8Array): FontMetrics {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = new Map<string, number>();
  const numTables = view.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + i * 16;
    const tag = String.fromCharCode(bytes[rec]!, bytes[rec + 1]!, bytes[rec + 2]!, bytes[rec + 3]!);
    tables.set(tag, view.getUint32(rec + 8));
  }
  const need = (tag: string): number => {
    const off = tables.get(tag);
    if (off === undefined) throw new Error(`TrueType font has no '${tag}' table`);
    return off;
  };
  const unitsPerEm = view.getUint16(need('head') + 18);
  const numberOfHMetrics = view.getUint16(need('hhea') + 34);
  const hmtx = need('hmtx');
  const advance = (glyph: number): number => view.getUint16(hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1));
  const cmap = need('cmap');
  let sub = -1;
  for (let i = 0; i < view.getUint16(cmap + 2); i++) {
    const rec = cmap + 4 + i * 8;
    if (view.getUint16(rec) === 3 && view.getUint16(rec + 2) === 1) sub = cmap + view.getUint32(rec + 4);
  }
  if (sub < 0 || view.getUint16(sub) !== 4) throw new Error('TrueType font has no Windows BMP cmap (format 4)');
  const segCount = view.getUint16(sub + 6) / 2;
  const endCodes = sub + 14;
  const startCodes = endCodes + 2 * segCount + 2;
  const idDeltas = startCodes + 2 * segCount;
  const idRangeOffsets = idDeltas + 2 * segCount;
  const glyphOf = (code: number): number => {
    for (let i = 0; i < segCount; i++) {
      if (view.getUint16(endCodes + 2 * i) < code) continue;
      const start = view.getUint16(startCodes + 2 * i);
      if (start > code) return 0;
      const delta = view.getUint16(idDeltas + 2 * i);
      const rangeOffset = view.getUint16(idRangeOffsets + 2 * i);
      if (rangeOffset === 0) return (code + delta) & 0xffff;
      const g = view.getUint16(idRangeOffsets + 2 * i + rangeOffset + 2 * (code - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  const cache = new Map<number, number>();
  return {
    widthEm(text: string): number {
      let units = 0;
      for (const ch of text) {
        const code = ch.codePointAt(0)!;
        let w = cache.get(code);
        if (w === undefined) {
          w = code > 0xffff ? unitsPerEm * 0.6 : advance(glyphOf(code));
          cache.set(code, w);
        }
        units += w;
      }
      return units / unitsPerEm;
    },
  };
}

let loaded: { regular: FontMetrics; bold: FontMetrics } | null | undefined;

/** DejaVu Sans regular and bold metrics, or null when fonts-dejavu-core is not installed. */
export function dejaVuMetrics(): { regular: FontMetrics; bold: FontMetrics } | null {
  if (loaded !== undefined) return loaded;
  if (!existsSync(DEJAVU_SANS_PATH)) {
    loaded = null;
    return loaded;
  }
  const regular = parseTrueType(readFileSync(DEJAVU_SANS_PATH));
  const bold = existsSync(DEJAVU_SANS_BOLD_PATH) ? parseTrueType(readFileSync(DEJAVU_SANS_BOLD_PATH)) : regular;
  loaded = { regular, bold };
  return loaded;
}
