/**
 * Reads every result file (`*.json`) of a directory into chart rows. When several files are read,
 * each cell's group and id are prefixed with its suite so cells of different runs never merge —
 * or, when two files hold the same suite (`alloc.json` and `alloc-allocators.json`), with the
 * file's name, since the suite alone would give both runs' cells the same id.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { CellRow } from '../../reports/cell-rows.js';
import { cellRows } from '../../reports/cell-rows.js';
import { readResultFile } from '../../contract/read-result.js';

export interface FigureData {
  dir: string;
  files: string[];
  rows: CellRow[];
}

export function loadDataDir(dir: string): FigureData {
  if (!existsSync(dir)) return { dir, files: [], rows: [] };
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
  const rows: CellRow[] = [];
  const results = files.map((f) => readResultFile(f, { requireSummaries: true }));
  const multi = results.length > 1;
  const suiteFiles = new Map<string, number>();
  for (const result of results) suiteFiles.set(result.suite, (suiteFiles.get(result.suite) ?? 0) + 1);
  results.forEach((result, i) => {
    const label = suiteFiles.get(result.suite) === 1 ? result.suite : basename(files[i]!, '.json');
    for (const r of cellRows(result)) {
      rows.push(multi ? { ...r, id: `${label}:${r.id}`, groupLabel: `${label} · ${r.groupLabel}`, cellLabel: `${label} · ${r.cellLabel}` } : r);
    }
  });
  return { dir, files, rows };
}
