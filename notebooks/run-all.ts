/**
 * `npm run figures [-- DATA_DIR] [--out DIR]`: regenerates every paper figure from archived result
 * files (default notebooks/data/) into notebooks/out/. Figures whose data is absent are skipped
 * with a message; the exit code is 0 unless a figure failed to render.
 */
import { figure as allocatorEffect } from './figures/allocator-effect.js';
import { figure as gcShare } from './figures/gc-share-vs-throughput.js';
import { figure as latencyPercentiles } from './figures/latency-percentiles.js';
import { figure as throughputVsSize } from './figures/throughput-vs-size.js';
import { parseFigureArgs, runFigures } from './lib/figure-script.js';

export const ALL_FIGURES = [throughputVsSize, allocatorEffect, gcShare, latencyPercentiles];

const started = Date.now();
const outcomes = await runFigures(ALL_FIGURES, parseFigureArgs(process.argv.slice(2)));
const written = outcomes.filter((o) => 'written' in o).length;
console.log(`figures: ${written} written, ${outcomes.length - written} skipped, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
