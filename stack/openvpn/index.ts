export * from './wire.js';
export * from './replay-window.js';
export * from './static-key.js';
export * from './data-channel.js';
