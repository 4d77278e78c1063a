/**
 * The end-of-run warnings, condensed: cells often share a warning that differs only in its numbers
 * (too few forks, warm-up not steady…). Each kind is printed once, with one full example and the
 * cells it concerns; every warning stays in full in the result file.
 */
import type { CellResult } from '../../contract/result-schema.js';

export interface WarningKind {
  example: string;
  exampleCell: string;
  cells: string[];
}

/** The text with every number replaced by `#` and a leading `fork N: ` dropped. */
export function warningKey(text: string): string {
  return text.replace(/^fork \d+: /, '').replace(/\d+(\.\d+)?[kMG]?/g, '#');
}

export function digestWarnings(cells: readonly CellResult[]): WarningKind[] {
  const kinds = new Map<string, WarningKind>();
  for (const c of cells) {
    for (const w of c.warnings) {
      const key = warningKey(w);
      const k = kinds.get(key);
      if (k === undefined) kinds.set(key, { example: w, exampleCell: c.id, cells: [c.id] });
      else if (!k.cells.includes(c.id)) k.cells.push(c.id);
    }
  }
  return [...kinds.values()];
}

export function renderWarningDigest(cells: readonly CellResult[], maxCellsListed = 3): string[] {
  return digestWarnings(cells).map((k) => {
    if (k.cells.length === 1) return `warning: ${k.exampleCell}: ${k.example}`;
    const listed = k.cells.slice(0, maxCellsListed).join(', ');
    const more = k.cells.length > maxCellsListed ? `, … ${k.cells.length - maxCellsListed} more` : '';
    return `warning (${k.cells.length} cells: ${listed}${more}): e.g. ${k.exampleCell}: ${k.example}`;
  });
}
