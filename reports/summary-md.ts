/** summary.md: the headline, environment, table of every cell, failures and warnings, for a PR or a lab notebook. */
import type { ResultFile } from '../contract/result-schema.js';
import { precisionFindings } from '../contract/precision.js';
import type { CellRow } from './cell-rows.js';
import { sortRows } from './cell-rows.js';
import { cellsMarkdown } from './cell-table.js';
import { environmentEntries } from './environment.js';
import { headline } from './headline.js';
import { collectWarnings, groupWarnings, warningLine } from './warnings.js';

export function summaryMarkdown(result: ResultFile, rows: readonly CellRow[]): string {
  const sorted = sortRows(rows);
  const out: string[] = [];
  out.push(`# buflab report: suite \`${result.suite}\``, '');
  out.push('## Headline', '');
  for (const line of headline(sorted, result.axisRatios ?? []).lines) out.push(`- ${line}`);
  out.push(...precisionSection(result));
  out.push('', '## Environment', '', '| | |', '| --- | --- |');
  for (const [k, v] of environmentEntries(result)) out.push(`| ${k} | ${v.replace(/\|/g, '\\|')} |`);
  const done = sorted.filter((r) => r.state === 'completed').length;
  out.push('', `## Cells (${sorted.length}: ${done} completed, ${sorted.length - done} errored or skipped)`, '');
  out.push(cellsMarkdown(sorted).trimEnd());
  const failed = sorted.filter((r) => r.state !== 'completed');
  out.push('', '## Errored and skipped cells', '');
  if (failed.length === 0) out.push('None.');
  for (const r of failed) out.push(`- \`${r.id}\` — **${r.state}**: ${r.reason}`);
  const warnings = collectWarnings(result, rows);
  const groups = groupWarnings(warnings);
  out.push('', `## Warnings (${warnings.length}${groups.length < warnings.length ? `, ${groups.length} kinds` : ''})`, '');
  if (warnings.length === 0) out.push('None.');
  for (const g of groups) {
    const others = g.cellIds.filter((id) => id !== g.example.cellId);
    const more = others.length === 0 ? '' : ` _(also ${others.length} more cell${others.length === 1 ? '' : 's'}: ${others.slice(0, 6).map((id) => `\`${id}\``).join(', ')}${others.length > 6 ? ', …' : ''})_`;
    out.push(`- ${warningLine(g.example)}${g.count > 1 && others.length === 0 ? ` _(×${g.count})_` : ''}${more}`);
  }
  return out.join('\n') + '\n';
}

/** How the rounds went, which cells ran out of budget, how many forks warmed up, which cells' forks fall into modes (and why). */
function precisionSection(result: ResultFile): string[] {
  const p = precisionFindings(result);
  if (p.rounds === null && p.warmup === null && p.modes.length === 0 && p.drift === null) return [];
  const out: string[] = ['', '## Precision', ''];
  if (p.rounds !== null) out.push(`- ${p.rounds}`);
  if (p.outOfBudget.length > 0) out.push(`- **${p.outOfBudget.length} cell${p.outOfBudget.length === 1 ? '' : 's'} ran out of budget** before reaching the target: ${p.outOfBudget.map((id) => `\`${id}\``).join(', ')}.`);
  if (p.warmup !== null) out.push(`- Warm-up: ${p.warmup}`);
  if (p.drift !== null) out.push(`- Drift: ${p.drift}`);
  for (const m of p.modes) out.push(`- \`${m.id}\`: ${m.explanation}`);
  return out;
}
