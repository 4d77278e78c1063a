/**
 * Reads every result file (`*.json`) of a directory into chart rows. When several files are read,
 * each cell's group and id are prefixed with its suite so cells of different runs never merge.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CellRow } from '../../reports/cell-rows.js';
import { cellRows } from '../../reports/cell-rows.js';
import { loadResult } from '../../reports/load-result.js';

export interface FigureData {
  dir: string;
  files: string[];
  rows: CellRow[];
}

export function loadDataDir(dir: string): FigureData {
  if (!existsSync(dir)) return { dir, files: [], rows: [] };
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
  const rows: CellRow[] = [];
  const results = files.map((f) => loadResult(f));
  const multi = results.length > 1;
  for (const result of results) {
    for (const r of cellRows(result)) {
      rows.push(multi ? { ...r, id: `${result.suite}:${r.id}`, groupLabel: `${result.suite} · ${r.groupLabel}`, cellLabel: `${result.suite} · ${r.cellLabel}` } : r);
    }
  }
  return { dir, files, rows };
}
