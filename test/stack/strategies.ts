/**
 * The strategies every stack codec test runs under: the three measured ones and `poisoning`
 * (scribbles over released memory) wrapped around each of the two strategies that reuse memory.
 */
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';

export interface StrategyCase {
  name: string;
  make: () => BufferStrategy;
}

export const STRATEGY_CASES: readonly StrategyCase[] = [
  { name: 'uint8array', make: () => makeStrategy('uint8array') },
  { name: 'pooled', make: () => makeStrategy('pooled') },
  { name: 'one-big-struct', make: () => makeStrategy('one-big-struct') },
  { name: 'poisoning(pooled)', make: () => makeStrategy('poisoning', { inner: 'pooled' }) },
  { name: 'poisoning(one-big-struct)', make: () => makeStrategy('poisoning', { inner: 'one-big-struct' }) },
];
