export * from './prng.js';
export * from './bootstrap.js';
export * from './summarize.js';
export * from './axis-ratios.js';
export * from './modes.js';
