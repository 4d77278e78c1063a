/**
 * The strategies every stack codec test runs under: the three measured ones and `poisoning`
 * (scribbles over released memory) wrapped around each of the two strategies that reuse memory.
 */
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';

export interface StrategyCase {
  name: string;
  /** The strategy's registry name and, for `poisoning`, the strategy it wraps (a workload's set-up needs both). */
  strategy: string;
  inner?: 'pooled' | 'one-big-struct';
  make: () => BufferStrategy;
}

export const STRATEGY_CASES: readonly StrategyCase[] = [
  { name: 'uint8array', strategy: 'uint8array', make: () => makeStrategy('uint8array') },
  { name: 'pooled', strategy: 'pooled', make: () => makeStrategy('pooled') },
  { name: 'one-big-struct', strategy: 'one-big-struct', make: () => makeStrategy('one-big-struct') },
  { name: 'poisoning(pooled)', strategy: 'poisoning', inner: 'pooled', make: () => makeStrategy('poisoning', { inner: 'pooled' }) },
  { name: 'poisoning(one-big-struct)', strategy: 'poisoning', inner: 'one-big-struct', make: () => makeStrategy('poisoning', { inner: 'one-big-struct' }) },
];
