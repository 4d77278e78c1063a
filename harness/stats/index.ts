export * from './prng.js';
export * from './bootstrap.js';
export * from './summarize.js';
export * from './changepoint.js';
export * from './warmup-class.js';
