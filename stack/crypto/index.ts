export * from './crypto-backend.js';
export * from './node-backend.js';
export * from './null-backend.js';
export * from './backends.js';
