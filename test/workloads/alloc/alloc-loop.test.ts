import { describe, expect, it } from 'vitest';
import { newRxCursor, STRATEGY_NAMES, type BufferStrategy, type RxCursor } from '../../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../../allocators/registry.js';
import { loadWorkload } from '../../../workloads/registry.js';
import { allocLoop, findBadStamp, lastByteStamp, stampBuffer, stampByte, StrategyAllocLoop } from '../../../workloads/alloc/alloc-loop.js';
import type { WorkloadSetup } from '../../../workloads/workload.js';

function setup(strategy: string, sizeBytes: number, params: WorkloadSetup['params'] = {}, make?: () => BufferStrategy): WorkloadSetup {
  return { strategy, sizeBytes, params, seed: 1, makeStrategy: make ?? (() => makeStrategy(strategy)) };
}

describe('alloc workload', () => {
  it('is registered as alloc and declares the string variant', async () => {
    expect(await loadWorkload('alloc')).toBe(allocLoop);
    expect(allocLoop.extraStrategies).toEqual(['string']);
  });

  it.each(STRATEGY_NAMES)('%s: ops allocate through the strategy, the ring stays intact and is verified', (name) => {
    const w = allocLoop.create(setup(name, 1000, { ring: 100 }));
    const before = w.strategyCounters();
    for (let i = 0; i < 3000; i++) w.op();
    w.verify();
    expect(w.counters()).toEqual({ ops: 3000, verifiedBuffers: 100 });
    expect(w.payloadBytesPerOp).toBe(1000);
    const c = w.strategyCounters();
    expect(c.releases - before.releases).toBe(2900);
    if (name === 'uint8array') {
      expect(c.allocations - before.allocations).toBe(3000);
      expect(c.allocatedBytes - before.allocatedBytes).toBe(3000 * 1000);
    } else if (name === 'pooled') {
      // 100 live 1 KiB chunks: 100 first uses (misses only when a slab runs out), the rest hits.
      expect(c.poolHits + c.poolMisses).toBe(3000);
      expect(c.poolMisses).toBe(Math.ceil(100 / Math.floor((256 * 1024 - 64) / 1024)));
    } else {
      expect(c.allocations - before.allocations).toBe(0);
      expect(c.views - before.views).toBe(0);
    }
    w.close();
  });

  it('uint8array: sizes of 64 bytes or less are allocated too (on the V8 heap), and counted', () => {
    const w = allocLoop.create(setup('uint8array', 16, { ring: 8 }));
    for (let i = 0; i < 100; i++) w.op();
    w.verify();
    expect(w.strategyCounters().allocations).toBe(100);
  });

  it('one-big-struct gets an arena that holds the whole ring, even for large buffers', () => {
    const w = allocLoop.create(setup('one-big-struct', 64 * 1024, { ring: 200 }));
    for (let i = 0; i < 1000; i++) w.op();
    w.verify();
    expect(w.counters().verifiedBuffers).toBe(200);
    w.close();
  });

  it('string: a fresh string per op, counted by the workload, kept in the ring', () => {
    const w = allocLoop.create(setup('string', 300, { ring: 50 }, () => {
      throw new Error('the string variant must not ask for a strategy');
    }));
    for (let i = 0; i < 500; i++) w.op();
    w.verify();
    expect(w.counters()).toEqual({ ops: 500, verifiedBuffers: 50 });
    expect(w.strategyCounters()).toMatchObject({ allocations: 500, allocatedBytes: 500 * 300, releases: 0 });
  });

  it('verify catches a strategy that hands out memory that is still live', () => {
    // Broken on purpose: gives each buffer back to the pool as soon as it is handed out.
    const leaky = (): BufferStrategy => {
      const inner = makeStrategy('pooled');
      const spare: RxCursor = newRxCursor();
      return Object.assign(Object.create(inner) as BufferStrategy, {
        alloc(bytes: number, out: RxCursor) {
          inner.alloc(bytes, out);
          spare.buf = out.buf;
          spare.start = out.start;
          spare.end = out.end;
          inner.release(spare);
        },
        release() {},
      });
    };
    const w = allocLoop.create(setup('pooled', 500, { ring: 10 }, leaky));
    for (let i = 0; i < 50; i++) w.op();
    expect(() => w.verify()).toThrow(/was overwritten.*still live/);
  });

  it('stamps one byte per 64-byte line plus the last byte, and finds a changed one', () => {
    const buf = new Uint8Array(300);
    stampBuffer(buf, 10, 210, 7);
    expect([10, 74, 138, 202, 209].map((i) => buf[i])).toEqual([0, 1, 2, 3].map((l) => stampByte(7, l)).concat(lastByteStamp(7)));
    const others = [...buf.keys()].filter((i) => ![10, 74, 138, 202, 209].includes(i) && buf[i] !== 0);
    expect(others).toEqual([]);
    expect(findBadStamp(buf, 10, 210, 7)).toBe(null);
    expect(findBadStamp(buf, 10, 210, 8)).not.toBe(null);
    buf[10 + 128] = buf[10 + 128]! ^ 1;
    expect(findBadStamp(buf, 10, 210, 7)).toMatch(/^line 2:/);
  });

  it('the loop releases the oldest buffer when its slot is reused, and drain releases the rest', () => {
    const s = makeStrategy('one-big-struct', { arenaBytes: 8 * 1024 });
    const loop = new StrategyAllocLoop(s, 100, 4);
    for (let i = 0; i < 10; i++) loop.op();
    expect(s.counters.releases).toBe(6);
    loop.drain();
    expect(s.counters.releases).toBe(10);
  });

  it('rejects bad params with a configuration error', () => {
    expect(() => allocLoop.create(setup('pooled', 100, { ring: 0 }))).toThrow(expect.objectContaining({ code: 'E_WORKLOAD_CONFIG' }));
    expect(() => allocLoop.create(setup('pooled', 100, { rings: 5 }))).toThrow(/unknown param 'rings'/);
    expect(() => allocLoop.create(setup('string', 1))).toThrow(expect.objectContaining({ code: 'E_WORKLOAD_CONFIG' }));
    expect(allocLoop.create(setup('pooled', 100, { ring: '16' })).counters()).toEqual({ ops: 0, verifiedBuffers: 0 });
  });
});
