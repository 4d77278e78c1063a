export * from './noise-estimate.js';
export * from './repeated-pairs.js';
export * from './scaling-executor.js';
export * from './validation.js';
export * from './validation-suite.js';
