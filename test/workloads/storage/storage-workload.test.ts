/**
 * The storage workload under every strategy (poisoning included: SQLite must have copied a record
 * before the strategy scribbles over its buffer), its exact allocation per iteration, and the loud
 * failure when a record read back is not what was written.
 */
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { loadWorkload } from '../../../workloads/registry.js';
import { StorageCorruptionError, StorageWorkload, storageOptionsFromParams, storageWorkload } from '../../../workloads/storage/storage-workload.js';
import type { WorkloadSetup } from '../../../workloads/workload.js';
import { STRATEGY_NAMES } from '../../../allocators/buffer-strategy.js';
import { STRATEGY_CASES } from '../../stack/strategies.js';

function setup(strategy: string, sizeBytes: number, inner?: 'pooled' | 'one-big-struct'): WorkloadSetup {
  return { strategy, makeStrategy: () => makeStrategy(strategy, inner ? { inner } : {}), sizeBytes, params: {}, seed: 5 };
}

describe('storage workload', () => {
  it('is registered', async () => {
    expect(await loadWorkload('storage')).toBe(storageWorkload);
  });

  for (const { name, strategy, inner } of STRATEGY_CASES) {
    it(`${name}: 1, 100, 5000 and 70000-byte records over 60 iterations, every record checked each time`, () => {
      for (const size of [1, 100, 5000, 70_000]) {
        const w = new StorageWorkload(setup(strategy, size, inner), { records: 8 });
        for (let i = 0; i < 60; i++) w.op();
        w.verify();
        expect(w.counters()).toMatchObject({ iterations: 60, inserted: 68, updated: 60, deleted: 60, read: 61 * 8, verifiedRecords: 61 * 8, liveRecords: 8 });
        w.close();
      }
    });
  }

  it('allocates per iteration as designed', () => {
    const perOp = (strategy: string): Record<string, number> => {
      const w = storageWorkload.create(setup(strategy, 1000));
      for (let i = 0; i < 20; i++) w.op();
      const a = w.strategyCounters();
      for (let i = 0; i < 50; i++) w.op();
      const b = w.strategyCounters();
      const views = w.counters()['bindViews']!;
      w.close();
      return { allocations: (b.allocations - a.allocations) / 50, copies: (b.copies - a.copies) / 50, foreign: (b.foreignAllocations - a.foreignAllocations) / 50, bindViews: views };
    };
    // Two records written: uint8array's payload array and its header concatenation each; 32 BLOBs read back (sql.js's copies).
    expect(perOp('uint8array')).toEqual({ allocations: 4, copies: 2, foreign: 32, bindViews: 0 });
    // The others build records in place and bind them through a view (32 prefilled + 2 per iteration).
    expect(perOp('pooled')).toEqual({ allocations: 0, copies: 0, foreign: 32, bindViews: 32 + 2 * 70 });
    expect(perOp('one-big-struct')).toEqual({ allocations: 0, copies: 0, foreign: 32, bindViews: 32 + 2 * 70 });
  });

  it('fails loudly, naming the record, when one record read back differs from what was written', () => {
    for (const strategy of STRATEGY_NAMES) {
      const w = new StorageWorkload(setup(strategy, 300), { records: 6 });
      for (let i = 0; i < 5; i++) w.op();
      // Record 7 (live: ids 5..10), its stored bytes with one payload bit flipped.
      const good = captureRecord(w, 7);
      const bad = Uint8Array.from(good);
      bad[16 + 123]! ^= 0x08;
      w.store.corruptForTest(7, bad);
      let err: unknown;
      try {
        w.op();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StorageCorruptionError);
      expect((err as StorageCorruptionError).code).toBe('E_STORAGE_CORRUPT');
      expect((err as Error).message).toMatch(/record 7 version \d+: payload byte 123 differs/);
      // A truncated record and a lost one are caught too.
      const t = new StorageWorkload(setup(strategy, 300), { records: 6 });
      t.store.corruptForTest(3, captureRecord(t, 3).subarray(0, 200));
      expect(() => t.op()).toThrow(/record 3: bad-length/);
      const l = new StorageWorkload(setup(strategy, 300), { records: 6 });
      l.store.delete(4);
      expect(() => l.op()).toThrow(/read record 5 where record 4 was expected/);
    }
  });

  it('refuses bad params', () => {
    expect(() => storageOptionsFromParams({ records: 1 })).toThrow(/records=1/);
    expect(() => storageWorkload.create(setup('pooled', 0))).toThrow(/record payload of 0 bytes/);
  });
});

/** The stored bytes of record `id` (read through a scan). */
function captureRecord(w: StorageWorkload, id: number): Uint8Array {
  let out: Uint8Array | null = null;
  w.store.scan((rid, _v, buf, start, end) => {
    if (rid === id) out = Uint8Array.from(buf.subarray(start, end));
  });
  if (out === null) throw new Error(`no record ${id}`);
  return out;
}
