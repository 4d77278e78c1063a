import { describe, expect, it } from 'vitest';
import { STRATEGY_NAMES } from '../../allocators/buffer-strategy.js';
import { isMakeableStrategyName, isStrategyName, MAKEABLE_STRATEGY_NAMES, makeStrategy } from '../../allocators/registry.js';
import { OneBigStructStrategy } from '../../allocators/one-big-struct.js';
import { PooledStrategy } from '../../allocators/pooled.js';

describe('registry', () => {
  it('makes each named strategy, fresh every call', () => {
    for (const name of MAKEABLE_STRATEGY_NAMES) {
      const a = makeStrategy(name);
      expect(a.name).toBe(name);
      expect(makeStrategy(name) === a).toBe(false);
    }
    expect(MAKEABLE_STRATEGY_NAMES).toEqual(['uint8array', 'pooled', 'one-big-struct', 'poisoning']);
  });

  it('passes options through', () => {
    const obs = makeStrategy('one-big-struct', { arenaBytes: 8192 }) as OneBigStructStrategy;
    expect(obs.arenaBytes).toBe(8192);
    expect((makeStrategy('pooled', { slabBytes: 4096 }) as PooledStrategy).slabBytes).toBe(4096);
    expect(makeStrategy('one-big-struct') instanceof OneBigStructStrategy && (makeStrategy('one-big-struct') as OneBigStructStrategy).arenaBytes).toBe(4 * 1024 * 1024);
  });

  it('tells names apart', () => {
    expect(STRATEGY_NAMES.every(isStrategyName)).toBe(true);
    expect(isStrategyName('poisoning')).toBe(false);
    expect(isMakeableStrategyName('poisoning')).toBe(true);
    expect(isStrategyName('string')).toBe(false);
    expect(isMakeableStrategyName('Pooled')).toBe(false);
  });

  it('rejects unknown names and bad options with a typed error that lists the valid names', () => {
    expect(() => makeStrategy('slab')).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_STRATEGY' }));
    expect(() => makeStrategy('slab')).toThrow(/uint8array, pooled, one-big-struct, poisoning/);
    expect(() => makeStrategy('poisoning', { inner: 'poisoning' as never })).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_STRATEGY' }));
    expect(() => makeStrategy('one-big-struct', { arenaBytes: 1000.5 })).toThrow(expect.objectContaining({ code: 'E_BAD_SIZE' }));
    expect(() => makeStrategy('pooled', { slabBytes: 10 })).toThrow(expect.objectContaining({ code: 'E_BAD_SIZE' }));
  });
});
