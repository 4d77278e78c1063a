/**
 * index.html: one self-contained page (inline SVG charts and CSS, a small inline script only for
 * sorting the table). Opens from disk with the network off; charts need no script to show.
 */
import type { ResultFile } from '../contract/result-schema.js';
import type { CellRow } from './cell-rows.js';
import { cellColumns } from './cell-table.js';
import { environmentEntries } from './environment.js';
import { fmtRatio, fmtSi } from './format.js';
import type { GroupVerdict, Headline, PairVerdict } from './headline.js';
import type { ReportWarning } from './warnings.js';
import { groupWarnings, warningLine } from './warnings.js';

export interface RenderedChart {
  name: string;
  title: string;
  description: string;
  /** Inline SVG (ids already prefixed), or null when the chart was skipped. */
  svg: string | null;
  skipped?: string;
  /** Files written for this chart, relative to the report directory. */
  files: string[];
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Escapes, then turns the headline's `**bold**` into <strong>. */
function inlineMarkdown(s: string): string {
  return escapeHtml(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
}

const CSS = `
:root { color-scheme: light; }
body { font-family: 'DejaVu Sans', Verdana, sans-serif; margin: 0 auto; max-width: 1400px; padding: 16px 28px 48px; color: #1a1a1a; background: #fff; line-height: 1.45; }
h1 { font-size: 24px; margin: 8px 0 2px; } h2 { font-size: 19px; margin: 30px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 4px; } .sub { color: #555; margin: 0 0 12px; font-size: 13px; }
.headline { background: #f3f7fb; border-left: 5px solid #08306b; padding: 10px 18px; margin: 12px 0; }
.headline li { margin: 6px 0; font-size: 14.5px; } .headline ul { padding-left: 18px; margin: 6px 0; }
nav { font-size: 13px; margin: 8px 0 0; } nav a { margin-right: 14px; color: #08519c; }
figure.chart { margin: 18px 0 26px; } figure.chart p.desc { font-size: 13px; color: #444; margin: 0 0 6px; max-width: 980px; }
figure.chart .svg { overflow-x: auto; } figure.chart svg { max-width: 100%; height: auto; }
figure.chart p.files { font-size: 12px; color: #666; margin: 2px 0 0; } figure.chart p.files a { color: #08519c; margin-right: 8px; }
figure.skipped p.skip { font-size: 13px; color: #8a4b00; background: #fff6e5; padding: 6px 10px; display: inline-block; }
table { border-collapse: collapse; font-size: 12.5px; } th, td { border-bottom: 1px solid #e3e3e3; padding: 3px 8px; text-align: left; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.cells th { cursor: pointer; background: #f4f4f4; position: sticky; top: 0; user-select: none; }
table.cells th[aria-sort="ascending"]::after { content: ' ▲'; } table.cells th[aria-sort="descending"]::after { content: ' ▼'; }
table.cells tr.errored td { background: #fdecea; } table.cells tr.skipped td { background: #fff8e1; }
.table-wrap { overflow-x: auto; max-width: 100%; }
ul.failures li, ul.warnings li { font-size: 13px; margin: 3px 0; } details summary { cursor: pointer; color: #08519c; font-size: 12px; } code { font-size: 12px; background: #f4f4f4; padding: 0 3px; }
pre { font-size: 11.5px; background: #f7f7f7; padding: 6px; overflow-x: auto; margin: 4px 0 8px; }
table.env td:first-child { color: #555; }
table.winners { margin: 10px 0 4px; background: #fff; font-size: 13px; } table.winners td, table.winners th { white-space: normal; vertical-align: top; }
details.in-words { font-size: 13px; margin: 6px 0 0; } details.in-words li { font-size: 13px; } table.winners th { background: #e8eef5; }
table.winners td.clear { background: #e6f4ea; } table.winners td.overlap { background: #f1f1f1; color: #444; }
table.winners .note { color: #555; font-size: 12px; } .clear-key { background: #e6f4ea; padding: 0 4px; } .overlap-key { background: #f1f1f1; padding: 0 4px; }
`;

/** Sorts the cells table on header click; numbers numerically, empty values last. */
const SORT_SCRIPT = `
(function () {
  var table = document.getElementById('cells-table');
  if (!table) return;
  var heads = table.querySelectorAll('th');
  heads.forEach(function (th, col) {
    th.addEventListener('click', function () {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
      heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir);
      var numeric = th.classList.contains('num');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
        if (x === '' && y === '') return 0; if (x === '') return 1; if (y === '') return -1;
        var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        return dir === 'ascending' ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
`;

function pairCell(p: PairVerdict | null): string {
  if (!p) return '<td>–</td>';
  const cls = p.clear ? 'clear' : 'overlap';
  const note = p.ratioCi95 === null ? (p.overlap ? 'CIs overlap' : 'CIs disjoint') : `95% CI [${p.ratioCi95[0].toFixed(2)}, ${p.ratioCi95[1].toFixed(2)}]${p.clear ? '' : ', includes 1'}`;
  return `<td class="${cls}"><strong>${fmtRatio(p.ratio)}</strong> vs ${escapeHtml(`${p.worse.strategy} + ${p.worse.allocator}`)} <span class="note">(${note})</span></td>`;
}

function allocatorCell(g: GroupVerdict): string {
  const a = g.allocatorEffect;
  if (!a) return '<td>–</td>';
  const glibcRow = a.better.allocator === 'glibc' ? a.better : a.worse;
  const alt = a.better.allocator === 'glibc' ? a.worse : a.better;
  const rel = a.ratioCi95 === null ? alt.opsPerSecMedian! / glibcRow.opsPerSecMedian! : a.better === alt ? a.ratio : 1 / a.ratio;
  const pct = `${rel >= 1 ? '+' : '−'}${(Math.abs(rel - 1) * 100).toFixed(1)}%`;
  const note = a.ratioCi95 === null ? (a.overlap ? 'CIs overlap' : 'CIs disjoint') : a.clear ? 'paired 95% CI excludes 1' : 'paired 95% CI includes 1';
  return `<td class="${a.clear ? 'clear' : 'overlap'}"><strong>${escapeHtml(alt.allocator)} ${pct}</strong> <span class="note">(${note})</span></td>`;
}

/** The headline at a glance: one row per comparison group. */
function winnerTable(headline: Headline): string {
  if (headline.groups.length === 0) return '';
  const rows = headline.groups.map(
    (g) =>
      `<tr><td>${escapeHtml(g.groupLabel)}</td><td><strong>${escapeHtml(`${g.winner.strategy} + ${g.winner.allocator}`)}</strong></td><td class="num">${fmtSi(g.winner.opsPerSecMedian)}</td>` +
      pairCell(g.vsRunnerUp) + pairCell(g.strategyMargin) + pairCell(g.vsSlowest) + allocatorCell(g) + '</tr>',
  );
  return (
    '<table class="winners"><thead><tr><th>comparison group</th><th>winner</th><th class="num">median ops/s</th><th>ahead of the runner-up</th><th>ahead of the best other strategy</th><th>ahead of the slowest</th><th>allocator effect vs glibc (winning strategy)</th></tr></thead><tbody>' +
    rows.join('') +
    '</tbody></table><p class="sub">Within-run paired ratios of ops/s (per-round ratios of the two cells\' forks, median with a bootstrap 95% interval): <span class="clear-key">clear</span> when the interval excludes 1, <span class="overlap-key">not confident</span> when it includes 1. Results without paired ratios show the ratio of medians and whether the medians\' 95% intervals overlap.</p>'
  );
}

export interface HtmlInput {
  result: ResultFile;
  rows: readonly CellRow[];
  headline: Headline;
  charts: readonly RenderedChart[];
  warnings: readonly ReportWarning[];
  /** Files of the report other than index.html, for the "files" line. */
  extraFiles: readonly string[];
}

export function reportHtml(input: HtmlInput): string {
  const { result, rows, headline, charts, warnings } = input;
  const done = rows.filter((r) => r.state === 'completed').length;
  const failed = rows.filter((r) => r.state !== 'completed');
  const e = result.environment;
  const h: string[] = [];
  h.push('<!doctype html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  h.push(`<meta name="viewport" content="width=device-width, initial-scale=1">`);
  h.push(`<title>buflab report: ${escapeHtml(result.suite)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  h.push(`<h1>buflab report — suite <code>${escapeHtml(result.suite)}</code></h1>`);
  h.push(`<p class="sub">${rows.length} cells (${done} completed, ${failed.length} errored or skipped) · ${escapeHtml(e.node)} on ${escapeHtml(e.cpuModel)} · ${escapeHtml(e.startedAt)}${result.interrupted ? ' · <strong>interrupted run</strong>' : ''}</p>`);
  h.push('<nav><a href="#headline">headline</a>' + charts.map((c) => `<a href="#chart-${c.name}">${escapeHtml(c.title)}</a>`).join('') + `<a href="#cells">all cells</a><a href="#failures">errored / skipped (${failed.length})</a><a href="#warnings">warnings (${warnings.length})</a><a href="#environment">environment</a></nav>`);
  h.push('<section id="headline" class="headline"><h2>Headline</h2><ul>');
  for (const line of [...headline.overall, ...headline.notes]) h.push(`<li>${inlineMarkdown(line)}</li>`);
  h.push('</ul>');
  h.push(winnerTable(headline));
  if (headline.perGroup.length > 0) {
    h.push('<details class="in-words"><summary>The same, in words</summary><ul>');
    for (const line of headline.perGroup) h.push(`<li>${inlineMarkdown(line)}</li>`);
    h.push('</ul></details>');
  }
  h.push('</section>');
  h.push('<section id="charts"><h2>Charts</h2>');
  for (const c of charts) {
    h.push(`<figure class="chart${c.svg ? '' : ' skipped'}" id="chart-${c.name}" data-chart="${c.name}"><h3>${escapeHtml(c.title)}</h3><p class="desc">${escapeHtml(c.description)}</p>`);
    if (c.svg) h.push(`<div class="svg">${c.svg}</div>`);
    else h.push(`<p class="skip">Not drawn: ${escapeHtml(c.skipped ?? 'no data')}</p>`);
    if (c.files.length > 0) h.push(`<p class="files">${c.files.map((f) => `<a href="${escapeHtml(f)}">${escapeHtml(f.split('.').pop()!.toUpperCase())}</a>`).join('')}</p>`);
    h.push('</figure>');
  }
  h.push('</section>');
  h.push(`<section id="cells"><h2>All cells (${rows.length})</h2><p class="sub">Click a column to sort. Also as <a href="summary.md">summary.md</a> and <a href="cells.csv">cells.csv</a>.</p><div class="table-wrap"><table id="cells-table" class="cells"><thead><tr>`);
  const columns = cellColumns(rows);
  for (const col of columns) h.push(`<th${col.numeric ? ' class="num"' : ''} data-key="${col.key}">${escapeHtml(col.title)}</th>`);
  h.push('</tr></thead><tbody>');
  for (const r of rows) {
    h.push(`<tr class="${r.state}" data-cell-id="${escapeHtml(r.id)}" title="${escapeHtml(r.id)}">`);
    for (const col of columns) {
      const raw = col.raw(r);
      h.push(`<td${col.numeric ? ' class="num"' : ''} data-v="${raw === null ? '' : escapeHtml(String(raw))}">${escapeHtml(col.text(r))}</td>`);
    }
    h.push('</tr>');
  }
  h.push('</tbody></table></div></section>');
  h.push(`<section id="failures"><h2>Errored and skipped cells (${failed.length})</h2>`);
  if (failed.length === 0) h.push('<p>None: every cell completed.</p>');
  else {
    h.push('<ul class="failures">');
    for (const r of failed) {
      const cell = result.cells.find((c) => c.id === r.id);
      h.push(`<li><code>${escapeHtml(r.id)}</code> — <strong>${r.state}</strong>: ${escapeHtml(r.reason)}`);
      if (cell?.error?.stderrTail) h.push(`<pre>${escapeHtml(cell.error.stderrTail)}</pre>`);
      h.push('</li>');
    }
    h.push('</ul>');
  }
  h.push('</section>');
  h.push(`<section id="warnings"><h2>Warnings (${warnings.length})</h2>`);
  if (warnings.length === 0) h.push('<p>None.</p>');
  else {
    // Same message for many cells (numbers aside): shown once, the full list folded underneath.
    h.push('<ul class="warnings">');
    for (const g of groupWarnings(warnings)) {
      h.push(`<li>${escapeHtml(warningLine(g.example))}`);
      if (g.count > 1) {
        h.push(`<details><summary>${g.count} warnings of this kind${g.cellIds.length > 0 ? ` in ${g.cellIds.length} cell${g.cellIds.length === 1 ? '' : 's'}` : ''}</summary><ul>`);
        for (const w of g.all) h.push(`<li>${escapeHtml(warningLine(w))}</li>`);
        h.push('</ul></details>');
      }
      h.push('</li>');
    }
    h.push('</ul>');
  }
  h.push('</section>');
  h.push('<section id="environment"><h2>Environment</h2><table class="env"><tbody>');
  for (const [k, v] of environmentEntries(result)) h.push(`<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`);
  h.push('</tbody></table></section>');
  h.push(`<script>${SORT_SCRIPT}</script>`, '</body>', '</html>');
  return h.join('\n') + '\n';
}
