/**
 * Everything a reader should doubt, in one list: the run's own warnings, each cell's and fork's,
 * and checks the report makes itself (unverified allocator, wide intervals, results close to the
 * no-op baseline, negative heap deltas). Each says what to do about it where there is a remedy.
 */
import type { ResultFile } from '../contract/result-schema.js';
import type { CellRow } from './cell-rows.js';
import { fmtNs, fmtPercent } from './format.js';

/** Relative width of the 95% CI of the median above which a cell is flagged. */
export const WIDE_CI_SHARE = 0.1;

/** One warning; `cellId` is null for warnings about the whole run. */
export interface ReportWarning {
  cellId: string | null;
  text: string;
}

/** Warnings that say the same thing about different cells (numbers aside), shown once with their cells. */
export interface WarningGroup {
  /** The first warning of the group, as written. */
  example: ReportWarning;
  count: number;
  cellIds: string[];
  all: ReportWarning[];
}

export function groupWarnings(warnings: readonly ReportWarning[]): WarningGroup[] {
  const groups = new Map<string, WarningGroup>();
  for (const w of warnings) {
    const key = w.text.replace(/-?\d+(\.\d+)?/g, '#');
    const g = groups.get(key);
    if (g) {
      g.count++;
      if (w.cellId && !g.cellIds.includes(w.cellId)) g.cellIds.push(w.cellId);
      g.all.push(w);
    } else {
      groups.set(key, { example: w, count: 1, cellIds: w.cellId ? [w.cellId] : [], all: [w] });
    }
  }
  return [...groups.values()];
}

/** A warning as one line: `cell: text`. */
export function warningLine(w: ReportWarning): string {
  return w.cellId ? `${w.cellId}: ${w.text}` : w.text;
}

export function collectWarnings(result: ResultFile, rows: readonly CellRow[]): ReportWarning[] {
  const out: ReportWarning[] = [];
  const run = (text: string) => out.push({ cellId: null, text });
  if (result.interrupted) run('The run was interrupted: cells not reached are absent or partial. Re-run the suite for a complete matrix.');
  for (const w of result.warnings) run(w);
  const rowById = new Map(rows.map((r) => [r.id, r]));
  for (const c of result.cells) {
    const cellWarnings = c.warnings ?? [];
    const cell = (text: string) => out.push({ cellId: c.id, text });
    for (const w of cellWarnings) cell(w);
    for (const f of c.forks) {
      for (const w of f.warnings ?? []) {
        if (!cellWarnings.some((cw) => cw.includes(w))) cell(`fork ${f.forkIndex}: ${w}`);
      }
    }
    if (c.state !== 'completed') continue;
    const unverified = (c.allocatorInfo && !c.allocatorInfo.verified) || c.forks.some((f) => f.allocator && !f.allocator.verified);
    if (unverified) cell(`allocator '${c.allocator}' was not verified as mapped in the child; its numbers may be glibc's. Check LD_PRELOAD and the library path.`);
    const r = rowById.get(c.id);
    if (!r || r.opsPerSecMedian === null) continue;
    if (r.opsPerSecLo !== null && r.opsPerSecHi !== null && r.opsPerSecMedian > 0) {
      const share = (r.opsPerSecHi - r.opsPerSecLo) / r.opsPerSecMedian;
      if (share > WIDE_CI_SHARE) cell(`95% CI of ops/s spans ${fmtPercent(share, 0)} of the median: noisy; run more forks (--forks) on a quieter machine.`);
    }
    if (r.heapBytesPerOp !== null && r.heapBytesPerOp < 0) cell(`JS-heap bytes/op is negative (${r.heapBytesPerOp}): heap statistics noise; drawn as 0.`);
    if (r.arrayBufferBytesPerOp !== null && r.arrayBufferBytesPerOp < 0) cell(`ArrayBuffer bytes/op is negative (${r.arrayBufferBytesPerOp}); drawn as 0.`);
    if (r.baselineNsPerOp !== null && r.opsPerSecMedian > 0) {
      const nsPerOp = 1e9 / r.opsPerSecMedian;
      if (nsPerOp < 2 * r.baselineNsPerOp) cell(`${fmtNs(nsPerOp)}/op is within 2× of the no-op baseline (${fmtNs(r.baselineNsPerOp)}): the operation may be optimised away or dominated by harness cost.`);
    }
  }
  return out;
}
