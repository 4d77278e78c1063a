/** summary.md: the headline, environment, table of every cell, failures and warnings, for a PR or a lab notebook. */
import type { ResultFile } from '../contract/result-schema.js';
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

/** How the rounds went, which cells ran out of budget, and which cells' forks fall into modes (and why). */
function precisionSection(result: ResultFile): string[] {
  const out: string[] = [];
  const r = result.rounds;
  const modal = result.cells.filter((c) => c.consistency?.modes !== undefined);
  if (r === undefined && modal.length === 0) return out;
  out.push('', '## Precision', '');
  if (r !== undefined) {
    const why = { 'target-met': 'every cell reached the target', budget: 'the time budget ended', 'max-rounds': r.minRounds === r.maxRounds ? 'a fixed number of rounds was asked for' : 'the maximum number of rounds was reached', interrupted: 'the run was interrupted' }[r.stoppedBecause];
    out.push(`- ${r.completed} rounds; stopped because ${why}. Target: ±${(r.targetHalfWidth * 100).toFixed(1)}% (95% interval of each cell's median and of each within-run ratio)${r.budgetMs === null ? '' : `, budget ${Math.round(r.budgetMs / 60_000)} min`}.`);
    if (r.cellsOutOfBudget.length > 0) out.push(`- **${r.cellsOutOfBudget.length} cell${r.cellsOutOfBudget.length === 1 ? '' : 's'} ran out of budget** before reaching the target: ${r.cellsOutOfBudget.map((id) => `\`${id}\``).join(', ')}.`);
  }
  for (const c of modal) out.push(`- \`${c.id}\`: ${c.consistency!.modes!.explanation}`);
  return out;
}
