/**
 * The one place where a strategy name becomes a strategy: the harness, the workloads and the tests
 * all call `makeStrategy`, so adding a strategy means adding one line here.
 */
import { STRATEGY_NAMES, StrategyError, type BufferStrategy, type StrategyName, type StrategyOptions } from './buffer-strategy.js';
import { OneBigStructStrategy } from './one-big-struct.js';
import { PoisoningStrategy } from './poisoning.js';
import { PooledStrategy } from './pooled.js';
import { Uint8ArrayStrategy } from './uint8array.js';

/** Every name `makeStrategy` accepts: the three measured strategies and the test-only `poisoning`. */
export const MAKEABLE_STRATEGY_NAMES = [...STRATEGY_NAMES, 'poisoning'] as const;
export type MakeableStrategyName = (typeof MAKEABLE_STRATEGY_NAMES)[number];

export interface MakeStrategyOptions extends StrategyOptions {
  /** `poisoning`: the strategy it wraps (default `pooled`, the one that reuses memory soonest). */
  inner?: StrategyName;
}

/** Whether `s` is one of the three measured strategies (`uint8array`, `pooled`, `one-big-struct`). */
export function isStrategyName(s: string): s is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(s);
}

/** Whether `makeStrategy` accepts `s` (the measured strategies plus `poisoning`). */
export function isMakeableStrategyName(s: string): s is MakeableStrategyName {
  return (MAKEABLE_STRATEGY_NAMES as readonly string[]).includes(s);
}

/**
 * A fresh strategy instance (one per endpoint). Throws `StrategyError` `E_UNKNOWN_STRATEGY` for a
 * name it does not know, and `E_BAD_SIZE` for a bad `arenaBytes` / `slabBytes`.
 */
export function makeStrategy(name: string, options: MakeStrategyOptions = {}): BufferStrategy {
  switch (name) {
    case 'uint8array':
      return new Uint8ArrayStrategy();
    case 'pooled':
      return new PooledStrategy(options);
    case 'one-big-struct':
      return new OneBigStructStrategy(options);
    case 'poisoning': {
      const inner = options.inner ?? 'pooled';
      if (!isStrategyName(inner)) {
        throw new StrategyError('E_UNKNOWN_STRATEGY', `poisoning: inner strategy '${String(inner)}' is unknown; use one of ${STRATEGY_NAMES.join(', ')}`);
      }
      return new PoisoningStrategy(makeStrategy(inner, options));
    }
    default:
      throw new StrategyError('E_UNKNOWN_STRATEGY', `unknown buffer strategy '${name}'; use one of ${MAKEABLE_STRATEGY_NAMES.join(', ')}`);
  }
}
