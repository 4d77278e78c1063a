/**
 * Paper figure `gc-share-vs-throughput`: see notebooks/README.md for the data it needs and the command that
 * produced that data. Run alone: `npx tsx notebooks/figures/gc-share-vs-throughput.ts [DATA_DIR] [--out DIR]`.
 */
import { fileURLToPath } from 'node:url';
import { gcShareFigure } from '../../reports/charts/paper-figures.js';
import { parseFigureArgs, runFigures } from '../lib/figure-script.js';

export const figure = gcShareFigure;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runFigures([figure], parseFigureArgs(process.argv.slice(2)));
}
