/**
 * The shared main of every figure script: `tsx notebooks/figures/NAME.ts [DATA_DIR] [--out DIR]`.
 * Defaults: data from notebooks/data/, output to notebooks/out/.
 */
import { parseArgs } from 'node:util';
import type { CellRow } from '../../reports/cell-rows.js';
import type { PaperFigure } from '../../reports/charts/paper-figures.js';
import { loadDataDir } from './load-data.js';
import type { FigureOutcome } from './write-figure.js';
import { writeFigure } from './write-figure.js';

export const DEFAULT_DATA_DIR = 'notebooks/data';
export const DEFAULT_OUT_DIR = 'notebooks/out';

export interface FigureArgs {
  dataDir: string;
  outDir: string;
}

export function parseFigureArgs(argv: string[]): FigureArgs {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' } } });
  return { dataDir: positionals[0] ?? DEFAULT_DATA_DIR, outDir: values.out ?? DEFAULT_OUT_DIR };
}

/** Loads the data directory and writes the given figures; prints one line per figure. */
export async function runFigures(makers: ReadonlyArray<(rows: CellRow[]) => PaperFigure>, args: FigureArgs, log: (m: string) => void = console.error): Promise<FigureOutcome[]> {
  const data = loadDataDir(args.dataDir);
  if (data.files.length === 0) {
    log(`figures: no result files (*.json) in ${args.dataDir}: every figure is skipped. Archive runs there (see notebooks/README.md) or pass a directory: npm run figures -- DIR`);
  } else {
    log(`figures: ${data.files.length} result file(s) from ${args.dataDir}: ${data.files.join(', ')}`);
  }
  const outcomes: FigureOutcome[] = [];
  for (const make of makers) {
    const figure = make(data.rows);
    const outcome = await writeFigure(figure, args.outDir, log);
    if ('written' in outcome) log(`figure ${outcome.name}: ${outcome.widthIn.toFixed(2)} × ${outcome.heightIn.toFixed(2)} in → ${outcome.written.join(', ')}`);
    outcomes.push(outcome);
  }
  return outcomes;
}
