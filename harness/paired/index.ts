export * from './run-paired.js';
export * from './worktree.js';
