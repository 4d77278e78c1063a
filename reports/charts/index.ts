export * from './chart-types.js';
export * from './theme.js';
export * from './report-charts.js';
export * from './paper-figures.js';
