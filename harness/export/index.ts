export * from './exporters.js';
export * from './export-command.js';
