/**
 * `npm run report -- RESULTS.json [--out DIR]`: renders the report directory of one result file.
 * Default DIR: reports/out/<result file name without .json>.
 */
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ReportError } from './errors.js';
import { BuflabError } from '../contract/errors.js';
import { renderReport } from './render.js';

const HELP = `usage: npm run report -- RESULTS.json [--out DIR] [--no-raster]

Renders a self-contained HTML report (index.html), summary.md, cells.csv and every chart as
SVG, PNG and PDF (PNG/PDF need rsvg-convert: npm run setup).

  --out DIR      output directory (default: reports/out/<name of RESULTS>)
  --no-raster    write SVG charts only (no PNG/PDF)
  -h, --help     this help

example: npm run report -- results/vpn.json --out /tmp/vpn-report`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, 'no-raster': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    throw new ReportError('REPORT_BAD_ARGS', `${(err as Error).message}\n\n${HELP}`, { cause: err });
  }
  if (parsed.values.help) {
    console.log(HELP);
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new ReportError('REPORT_BAD_ARGS', `expected exactly one result file, got ${parsed.positionals.length}\n\n${HELP}`);
  const input = parsed.positionals[0]!;
  const outDir = parsed.values.out ?? join('reports', 'out', basename(input).replace(/\.json$/, ''));
  const started = Date.now();
  const { indexHtml, files } = await renderReport(input, outDir, { rasterize: parsed.values['no-raster'] ? false : undefined });
  console.log(`report: ${indexHtml} (${files.length} files in ${outDir}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof BuflabError) {
      console.error(`report: ${err.code}: ${err.message}`);
      // A chart that fails to render is a failure of this run (1); bad arguments or an unusable
      // result file are refused before anything is written (2), as with every buflab command.
      process.exit(err.code === 'RENDER_FAILED' ? 1 : 2);
    }
    throw err;
  },
);
