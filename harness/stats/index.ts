export * from './prng.js';
export * from './bootstrap.js';
export * from './summarize.js';
