/**
 * Precision of result files, one line each, for side-by-side comparisons of run designs (README
 * "Time-sliced rounds"): `npx tsx scripts/precision.ts R1.json [R2.json …]`. Per file: minutes,
 * cells, forks; the median and p90 over cells of the relative 95% half-width of the median ops/s
 * (the summary's own interval) and of the forks' coefficient of variation; the median relative
 * half-width of the single-axis within-run ratios, by axis (harness/stats/axis-ratios.ts, the
 * result's own `axisRatios`); and the forks' warm-up classes.
 */
import { quantileSorted, sampleStandardDeviation, mean } from 'simple-statistics';
import { readResultFile } from '../contract/read-result.js';
import { relativeHalfWidth } from '../harness/stats/bootstrap.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: npx tsx scripts/precision.ts RESULT.json [RESULT.json …]\n');
  process.exit(2);
}
const pct = (xs: number[], q: number): string => (xs.length === 0 ? '-' : `${(quantileSorted([...xs].sort((a, b) => a - b), q) * 100).toFixed(1)}%`);
for (const file of files) {
  const r = readResultFile(file);
  const cells = r.cells.filter((c) => c.state === 'completed' && c.summary !== undefined);
  const halfWidths = cells.map((c) => relativeHalfWidth(c.summary!.opsPerSec.median, c.summary!.opsPerSec.ci95));
  const cvs = cells.filter((c) => c.forks.length > 1).map((c) => {
    const ops = c.forks.map((f) => f.opsPerSec);
    return sampleStandardDeviation(ops) / mean(ops);
  });
  const byAxis = new Map<string, number[]>();
  for (const x of r.axisRatios ?? []) {
    const list = byAxis.get(x.axis) ?? [];
    list.push(relativeHalfWidth(x.ratio, x.ci95));
    byAxis.set(x.axis, list);
  }
  const classes = new Map<string, number>();
  for (const c of cells) for (const f of c.forks) classes.set(f.warmup.class ?? 'unclassified', (classes.get(f.warmup.class ?? 'unclassified') ?? 0) + 1);
  const forks = cells.reduce((n, c) => n + c.forks.length, 0);
  const minutes = r.environment.finishedAt === undefined ? NaN : (Date.parse(r.environment.finishedAt) - Date.parse(r.environment.startedAt)) / 60_000;
  process.stdout.write(
    `${file}: ${minutes.toFixed(1)} min, ${cells.length} cells, ${forks} forks; cell half-width p50 ${pct(halfWidths, 0.5)} p90 ${pct(halfWidths, 0.9)}; ` +
      `fork CV p50 ${pct(cvs, 0.5)}; ratio half-width p50 ${[...byAxis].map(([axis, v]) => `${axis} ${pct(v, 0.5)} (${v.length})`).join(', ')}; ` +
      `warm-up ${[...classes].map(([k, n]) => `${k} ${n}`).join(', ')}\n`,
  );
}
