/**
 * Text (terminal) and Markdown (PR comment) renderings of a ComparisonReport. Pure functions of the
 * report, so golden tests pin them exactly.
 */
import type { CellComparison, ComparisonReport, MetricComparison, SuiteSummary } from './compare-results.js';
import { formatChange, formatP, formatPct, formatValue } from './format-values.js';
import { COUNT_LABELS, METRICS } from '../../contract/metrics.js';
import { MIN_CELLS_FOR_SHIFT } from './shared-shift.js';

/** The hidden marker CI uses to find (and update) its own PR comment. */
export const PR_COMMENT_MARKER = '<!-- buflab-compare -->';

function changeCell(m: MetricComparison): string {
  if (m.ratio === null) return m.baseMedian === 0 && m.headMedian === 0 ? '0 both' : 'n/a (median 0)';
  return `${formatChange(m.ratio.ratio)} [${formatChange(m.ratio.ci95[0])}, ${formatChange(m.ratio.ci95[1])}]`;
}

/** The minimum detectable effect: "±4.1%", or "none" when these forks cannot reach significance. */
function mdeCell(m: MetricComparison): string {
  return m.mde === null ? 'none' : `±${formatPct(m.mde)}`;
}

const CELL_HEADER = ['cell', 'metric', 'base', 'head', 'change [95% CI]', 'p(adj)', 'MDE', 'verdict'];

function metricRow(cell: CellComparison, m: MetricComparison): string[] {
  const unit = METRICS[m.metric].unit;
  return [cell.id, METRICS[m.metric].label, formatValue(m.baseMedian, unit), formatValue(m.headMedian, unit), changeCell(m), formatP(m.pAdjusted), mdeCell(m), m.verdictLabel];
}

function notComparedRow(cell: CellComparison): string[] {
  const what = cell.state === 'errored-in-head' ? `FAILS: ${cell.note ?? 'errored in head'}` : `not compared: ${cell.note ?? cell.state}`;
  return [cell.id, '-', '-', '-', '-', '-', '-', what];
}

/** The geomean table; the reasons column only when the rows' reasons differ (else one line below it). */
function summaryTable(summaries: readonly SuiteSummary[]): { header: string[]; rows: string[][]; note: string | null } {
  const shared = summaries.every((s) => s.why === summaries[0]!.why);
  const header = ['suite', 'metric', 'cells', 'geomean change [95% CI]', 'verdict', ...(shared ? [] : ['why'])];
  const rows = summaries.map((s) => [
    s.suite,
    METRICS[s.metric].label,
    String(s.cells),
    `${formatChange(s.geomean.ratio)} [${formatChange(s.geomean.ci95[0])}, ${formatChange(s.geomean.ci95[1])}]`,
    s.verdictLabel,
    ...(shared ? [] : [s.why]),
  ]);
  return { header, rows, note: shared ? `Geometric-mean verdicts: ${summaries[0]!.why}.` : null };
}

/** One line per metric: how small a change the run could see, and the forks a target change needs. */
function detectionLines(report: ComparisonReport): string[] {
  const parts = report.detection.map((d) => {
    const label = METRICS[d.metric].label;
    const mde = d.medianMde === null ? 'none (no row can reach significance)' : `±${formatPct(d.medianMde)} (median of ${d.rows - d.blindRows} row(s))`;
    const blind = d.blindRows > 0 && d.medianMde !== null ? `, ${d.blindRows} row(s) none` : '';
    const need = d.forksForTarget === null ? '' : `; ${formatPct(d.target)} needs about --forks ${d.forksForTarget}`;
    return `${label} ${mde}${blind} at ${d.forks} fork(s)${need}`;
  });
  if (parts.length === 0) return [];
  return [`Smallest change detectable with 80% power (MDE, per row in the table): ${parts.join('; ')}.`];
}

function methodLine(report: ComparisonReport): string {
  const correction = report.correction === 'holm' ? 'Holm-Bonferroni' : 'Benjamini-Hochberg';
  const compared = report.cells.filter((c) => c.state === 'compared').length;
  // An optional metric (instructions/op, only in --count-instructions runs) is listed only when some row compares it.
  const present = new Set(report.cells.flatMap((c) => c.metrics.map((m) => m.metric)));
  const thresholds = Object.entries(report.thresholds)
    .filter(([name]) => METRICS[name as keyof typeof METRICS].optional !== true || present.has(name as keyof typeof METRICS))
    .map(([name, t]) => `${METRICS[name as keyof typeof METRICS].label} ${formatPct(t.threshold)}`)
    .join(', ');
  const sources = [...new Set(Object.values(report.thresholds).map((t) => t.source))].join('; ');
  const unpairedRows = report.cells.some((c) => c.metrics.some((m) => m.design === 'unpaired'));
  const method =
    report.design.kind === 'paired'
      ? `Paired design (${report.design.why}): median of the per-pair ratios head/base with a bootstrap 95% interval (pairs resampled); ` +
        `Wilcoxon signed-rank p-values` +
        (unpairedRows ? ' (rows with a zero value fall back to the ratio of medians and Mann-Whitney U)' : '')
      : `Unpaired design (${report.design.why}): ratio of medians head/base with a bootstrap 95% interval (forks resampled within each side); ` +
        `Mann-Whitney U p-values`;
  return `${method}, ${correction}-corrected across ${compared} cell(s) per metric, alpha ${report.alpha}. ` + `Noise thresholds: ${thresholds} (from ${sources}).`;
}

/** Separate runs: what was done about the shift all cells share (shared-shift.ts), one sentence or none. */
function sharedShiftLine(report: ComparisonReport): string | null {
  const removed = report.sharedShifts.filter((s) => s.factor !== null);
  const withheld = report.sharedShifts.filter((s) => s.factor === null);
  const parts: string[] = [];
  if (removed.length > 0) {
    const list = removed.map((s) => `${METRICS[s.metric].label} ${formatChange(s.factor!)}`).join(', ');
    parts.push(
      `Separate runs: each cell is judged against the shift all ${removed[0]!.cells} cells share (${list}; head/base, divided out before each cell's change, test and verdict), ` +
        'because a machine that was faster during one run moves every cell alike; a change common to all cells shows only in the geometric-mean rows, which separate runs cannot attribute (a paired run, --baseline, can). ' +
        'This holds while fewer than half of the cells changed the same way: a change to most cells would show as the opposite change in the rest — compare such a change in a paired run.',
    );
  }
  if (withheld.length > 0) {
    parts.push(
      `Separate runs with ${withheld[0]!.cells} cell(s): no verdict on ${withheld.map((s) => METRICS[s.metric].label).join(', ')} — with fewer than ${MIN_CELLS_FOR_SHIFT} cells a machine shift between the runs cannot be told from a change; ` +
        'compare a paired run (npm run bench -- --baseline REF …) or more cells.',
    );
  }
  if (report.design.separateRuns && report.runShift === 'assume-none') {
    parts.push('Separate runs compared as if both had seen the same machine (--assume-no-run-shift): a shift of the machine between the runs shows as a change in every cell.');
  }
  return parts.length === 0 ? null : parts.join(' ');
}

function fileLine(side: ComparisonReport['base']): string {
  const commit = side.commit === null ? 'no commit' : side.commit.slice(0, 12);
  return `${side.label} (suite ${side.suite}, ${commit})`;
}

function padTable(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
}

function statusLine(report: ComparisonReport): string {
  const n = report.regressions.length;
  const c = report.countRegressions.length;
  const e = report.erroredInHead.length;
  const parts: string[] = [];
  // A cell that crashed in head is said first: it is the worst regression and has no row of numbers.
  if (e > 0) parts.push(`${e} cell(s) completed in base and ERRORED in head (${report.erroredInHead.map((r) => r.id).join(', ')})`);
  parts.push(n === 0 ? 'no significant regression' : `${n} significant regression(s)`);
  if (c > 0) parts.push(`${c} exact count increase(s)${report.gateCounts ? ' (gating)' : ' (not gating: --no-gate-counts)'}`);
  return parts.join('; ');
}

export function formatText(report: ComparisonReport): string {
  const out: string[] = [];
  out.push(`buflab compare: ${fileLine(report.base)} -> ${fileLine(report.head)}`);
  out.push(`Result: ${statusLine(report)} (exit ${report.exitCode})`);
  out.push('');
  if (report.summaries.length > 0) {
    out.push('Geometric mean of head/base over cells:');
    const t = summaryTable(report.summaries);
    out.push(...padTable([t.header, ...t.rows]).map((l) => `  ${l}`));
    if (t.note !== null) out.push(`  ${t.note}`);
    out.push('');
  }
  const shiftLine = sharedShiftLine(report);
  if (shiftLine !== null) out.push(shiftLine, '');
  const rows: string[][] = [CELL_HEADER];
  for (const cell of report.cells) {
    if (cell.state !== 'compared') {
      rows.push(notComparedRow(cell));
      continue;
    }
    for (const m of cell.metrics) rows.push(metricRow(cell, m));
  }
  out.push(...padTable(rows));
  const countRows = report.cells.flatMap((cell) =>
    cell.counts.filter((c) => c.status !== 'equal').map((c) => [cell.id, COUNT_LABELS[c.count], String(c.base), String(c.head), c.status]),
  );
  out.push('');
  if (countRows.length === 0) out.push('Deterministic counts (strategy allocations, copies, views per op): all equal.');
  else {
    out.push('Deterministic counts that differ:');
    out.push(...padTable([['cell', 'count', 'base', 'head', 'status'], ...countRows]).map((l) => `  ${l}`));
  }
  out.push('');
  out.push(methodLine(report));
  out.push(...detectionLines(report));
  for (const w of report.warnings) out.push(`warning: ${w}`);
  return out.join('\n') + '\n';
}

function mdRow(cells: string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
}

function mdTable(header: string[], rows: string[][]): string[] {
  return [mdRow(header), mdRow(header.map(() => '---')), ...rows.map(mdRow)];
}

export function formatMarkdown(report: ComparisonReport): string {
  const out: string[] = [PR_COMMENT_MARKER];
  const failed = report.exitCode === 1;
  const crashed = report.erroredInHead.length > 0;
  out.push(`### buflab compare: ${crashed ? 'a cell errored in head' : failed ? 'regression' : 'no significant regression'}`);
  out.push('');
  out.push(`\`${fileLine(report.base)}\` → \`${fileLine(report.head)}\` — ${statusLine(report)}.`);
  out.push('');
  if (report.summaries.length > 0) {
    const t = summaryTable(report.summaries);
    out.push(...mdTable(t.header, t.rows));
    if (t.note !== null) out.push('', t.note);
    out.push('');
  }
  const shiftNote = sharedShiftLine(report);
  if (shiftNote !== null) out.push(shiftNote, '');
  const significant: string[][] = [];
  for (const cell of report.cells) {
    for (const m of cell.metrics) {
      if (m.verdict === 'improved' || m.verdict === 'regressed') significant.push(metricRow(cell, m));
    }
  }
  if (significant.length > 0) {
    out.push('**Significant changes**');
    out.push('');
    out.push(...mdTable(CELL_HEADER, significant));
    out.push('');
  }
  const countRows = report.cells.flatMap((cell) =>
    cell.counts.filter((c) => c.status !== 'equal').map((c) => [cell.id, COUNT_LABELS[c.count], String(c.base), String(c.head), c.status]),
  );
  if (countRows.length > 0) {
    out.push(`**Deterministic counts that differ**${report.gateCounts ? ' (gating)' : ''}`);
    out.push('');
    out.push(...mdTable(['cell', 'count', 'base', 'head', 'status'], countRows));
    out.push('');
  }
  const rows: string[][] = [];
  for (const cell of report.cells) {
    if (cell.state !== 'compared') {
      rows.push(notComparedRow(cell));
      continue;
    }
    for (const m of cell.metrics) rows.push(metricRow(cell, m));
  }
  out.push(`<details><summary>Full table (${report.cells.length} cells)</summary>`);
  out.push('');
  out.push(...mdTable(CELL_HEADER, rows));
  out.push('');
  out.push('</details>');
  out.push('');
  out.push(`<sub>${[methodLine(report), ...detectionLines(report)].join(' ')}</sub>`);
  if (report.warnings.length > 0) {
    out.push('');
    for (const w of report.warnings) out.push(`> warning: ${w}`);
  }
  return out.join('\n') + '\n';
}

export function formatJson(report: ComparisonReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
