export * from './buffer-strategy.js';
export * from './native-allocators.js';
export * from './strategy-common.js';
export * from './uint8array.js';
export * from './pooled.js';
export * from './one-big-struct.js';
export * from './poisoning.js';
export * from './registry.js';
