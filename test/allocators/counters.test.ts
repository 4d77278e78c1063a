/** Exact counter values: the numbers CI gates on must be what each strategy really did. */
import { describe, expect, it } from 'vitest';
import { emptyCounters, newRxCursor, newTxFrame, type StrategyCounters } from '../../allocators/buffer-strategy.js';
import { OneBigStructStrategy, regionBytesFor } from '../../allocators/one-big-struct.js';
import { POOL_GUARD_BYTES, POOL_MAX_CLASS_BYTES, PooledStrategy, sizeClassOf } from '../../allocators/pooled.js';
import { Uint8ArrayStrategy } from '../../allocators/uint8array.js';
import { RANGE_COPY_PATH } from '../../allocators/strategy-common.js';
import { execFileSync } from 'node:child_process';

const LAYOUT = { headroomBytes: 64, tailroomBytes: 16 };

function counters(over: Partial<StrategyCounters>): StrategyCounters {
  return { ...emptyCounters(), ...over };
}

describe('uint8array counters', () => {
  it('a frame with 3 prepends is 4 allocations and 3 copies of the growing contents', () => {
    const s = new Uint8ArrayStrategy();
    const f = newTxFrame();
    s.beginTx(f, 100, LAYOUT);
    s.prepend(f, 8);
    s.prepend(f, 20);
    s.prepend(f, 14);
    expect(f.end - f.start).toBe(142);
    expect(f.buf.length).toBe(142);
    s.releaseTx(f);
    expect(s.counters).toEqual(
      counters({ allocations: 4, allocatedBytes: 100 + 108 + 128 + 142, copies: 3, copiedBytes: 100 + 108 + 128, releases: 1 }),
    );
  });

  it('append is one allocation and one copy; truncate is neither', () => {
    const s = new Uint8ArrayStrategy();
    const f = newTxFrame();
    s.beginTx(f, 50, LAYOUT);
    s.append(f, 16);
    s.truncate(f, 60);
    s.append(f, 4);
    expect(s.counters).toEqual(counters({ allocations: 3, allocatedBytes: 50 + 66 + 64, copies: 2, copiedBytes: 50 + 60 }));
  });

  it('handUp copies: one allocation and one copy per layer; retain the same', () => {
    const s = new Uint8ArrayStrategy();
    const rx = newRxCursor();
    s.allocRx(1000, rx);
    s.handUp(rx.buf, 14, 1000, rx);
    s.handUp(rx.buf, 20, rx.end, rx);
    const kept = newRxCursor();
    s.retain(rx.buf, 8, rx.end, kept);
    expect(s.counters).toEqual(
      counters({ allocations: 4, allocatedBytes: 1000 + 986 + 966 + 958, copies: 3, copiedBytes: 986 + 966 + 958 }),
    );
  });

  it('a partial-range copy longer than 64 bytes counts a view exactly when the path makes one', () => {
    const s = new Uint8ArrayStrategy();
    const src = Uint8Array.from({ length: 200 }, (_, i) => i);
    const dst = new Uint8Array(200);
    s.copy(src, 0, 200, dst, 0);
    s.copy(src, 10, 74, dst, 0);
    expect(s.counters.views).toBe(0);
    dst.fill(0);
    s.copy(src, 10, 75, dst, 3);
    expect(s.counters.views).toBe(RANGE_COPY_PATH === 'subarray' ? 1 : 0);
    expect([...dst.subarray(0, 70)]).toEqual([0, 0, 0, ...Array.from({ length: 65 }, (_, i) => i + 10), 0, 0]);
    expect(s.counters.copies).toBe(3);
    expect(s.counters.copiedBytes).toBe(200 + 64 + 65);
  });

  it('BUFLAB_RANGE_COPY=subarray forces the view path, and its view is counted (child process)', () => {
    const script = [
      "import { Uint8ArrayStrategy } from './allocators/uint8array.js';",
      "import { RANGE_COPY_PATH } from './allocators/strategy-common.js';",
      'const s = new Uint8ArrayStrategy();',
      'const src = Uint8Array.from({ length: 200 }, (_, i) => i);',
      'const dst = new Uint8Array(200);',
      's.copy(src, 10, 75, dst, 3);',
      'console.log(JSON.stringify({ path: RANGE_COPY_PATH, views: s.counters.views, copied: Array.from(dst.subarray(2, 69)) }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, BUFLAB_RANGE_COPY: 'subarray' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(JSON.parse(out.trim())).toEqual({ path: 'subarray', views: 1, copied: [0, ...Array.from({ length: 65 }, (_, i) => i + 10), 0] });
  });
});

describe('pooled counters', () => {
  it('a first use is a miss that carves one slab; further takes from that slab and reuse after release are hits', () => {
    const s = new PooledStrategy({ slabBytes: 64 + 4 * 1024 });
    const a = newRxCursor();
    const b = newRxCursor();
    s.alloc(1000, a);
    expect(s.counters).toEqual(counters({ allocations: 1, allocatedBytes: 64 + 4 * 1024, views: 4, poolMisses: 1 }));
    s.alloc(1000, b);
    expect(s.counters.poolHits).toBe(1);
    const aBuf = a.buf;
    s.release(a);
    s.alloc(700, a);
    expect(a.buf).toBe(aBuf);
    expect(s.counters).toEqual(counters({ allocations: 1, allocatedBytes: 64 + 4 * 1024, views: 4, poolMisses: 1, poolHits: 2, releases: 1 }));
  });

  it('a steady send loop after warm-up allocates nothing and creates no view', () => {
    const s = new PooledStrategy();
    const f = newTxFrame();
    s.beginTx(f, 1400, LAYOUT);
    s.releaseTx(f);
    s.resetCounters();
    for (let i = 0; i < 1000; i++) {
      s.beginTx(f, 1400, LAYOUT);
      s.prepend(f, 8);
      s.prepend(f, 20);
      s.append(f, 16);
      s.releaseTx(f);
    }
    expect(s.counters).toEqual(counters({ poolHits: 1000, releases: 1000 }));
  });

  it('buffers are views with a non-zero byteOffset and the class size as length', () => {
    const s = new PooledStrategy();
    const c = newRxCursor();
    for (const bytes of [0, 1, 64, 65, 1500, 65536]) {
      s.alloc(bytes, c);
      expect(c.buf.byteOffset).toBeGreaterThan(0);
      expect(c.buf.length).toBe(Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(bytes, 1)))));
      expect(c.end - c.start).toBe(bytes);
      s.release(c);
    }
  });

  it('sizeClassOf maps bytes to the smallest power-of-two class that holds them', () => {
    expect([0, 64, 65, 128, 129, 65536, 65537].map(sizeClassOf)).toEqual([0, 0, 1, 1, 2, 10, -1]);
  });

  it('an oversize request is a counted miss with a dedicated allocation, dropped on release', () => {
    const s = new PooledStrategy();
    const c = newRxCursor();
    s.alloc(POOL_MAX_CLASS_BYTES + 1, c);
    expect(c.buf.byteOffset).toBe(POOL_GUARD_BYTES);
    expect(s.counters).toEqual(counters({ allocations: 1, allocatedBytes: POOL_GUARD_BYTES + POOL_MAX_CLASS_BYTES + 1, views: 1, poolMisses: 1 }));
    s.release(c);
    expect(s.counters.releases).toBe(1);
    s.alloc(POOL_MAX_CLASS_BYTES + 1, c);
    expect(s.counters.poolMisses).toBe(2);
  });

  it('handUp makes one counted view per call', () => {
    const s = new PooledStrategy();
    const rx = newRxCursor();
    s.allocRx(1500, rx);
    s.resetCounters();
    const up = newRxCursor();
    s.handUp(rx.buf, rx.start + 14, rx.end, up);
    s.handUp(up.buf, up.start + 20, up.end, up);
    expect(s.counters).toEqual(counters({ views: 2 }));
    expect(up.end - up.start).toBe(1500 - 34);
  });

  it('headroom and tailroom are exactly what the layout announced', () => {
    const s = new PooledStrategy();
    const f = newTxFrame();
    s.beginTx(f, 100, { headroomBytes: 10, tailroomBytes: 4 });
    expect(() => s.prepend(f, 11)).toThrow(expect.objectContaining({ code: 'E_NO_HEADROOM' }));
    s.prepend(f, 10);
    expect(() => s.append(f, 5)).toThrow(expect.objectContaining({ code: 'E_NO_TAILROOM' }));
    s.append(f, 4);
    expect(f.end - f.start).toBe(114);
    s.releaseTx(f);
  });

  it('double release and foreign buffers are E_BAD_RELEASE', () => {
    const s = new PooledStrategy();
    const c = newRxCursor();
    s.alloc(10, c);
    const copy = { ...c };
    s.release(c);
    expect(() => s.release(copy)).toThrow(expect.objectContaining({ code: 'E_BAD_RELEASE' }));
    expect(() => s.release({ buf: new Uint8Array(64), start: 0, end: 64 })).toThrow(expect.objectContaining({ code: 'E_BAD_RELEASE' }));
    const f = newTxFrame();
    s.beginTx(f, 10, LAYOUT);
    const stale = { ...f };
    s.releaseTx(f);
    expect(() => s.releaseTx(stale)).toThrow(expect.objectContaining({ code: 'E_BAD_RELEASE' }));
  });
});

describe('one-big-struct counters', () => {
  it('allocates its arena once, then nothing in steady state: no allocation, no view, no copy', () => {
    const s = new OneBigStructStrategy({ arenaBytes: 1 << 20 });
    expect(s.counters).toEqual(counters({ allocations: 1, allocatedBytes: 1 << 20, views: 1 }));
    s.resetCounters();
    const f = newTxFrame();
    const rx = newRxCursor();
    const up = newRxCursor();
    for (let i = 0; i < 5000; i++) {
      s.beginTx(f, 1400, LAYOUT);
      s.prepend(f, 8);
      s.prepend(f, 20);
      s.prepend(f, 14);
      s.append(f, 16);
      expect(f.buf).toBe(s.arena);
      s.releaseTx(f);
      s.allocRx(1458, rx);
      s.handUp(rx.buf, rx.start + 14, rx.end, up);
      s.handUp(up.buf, up.start + 20, up.end, up);
      expect(up.buf).toBe(s.arena);
      s.release(rx);
    }
    expect(s.counters).toEqual(counters({ releases: 10000 }));
    expect(s.liveRegions).toBe(0);
  });

  it('retain within the arena copies without a view', () => {
    const s = new OneBigStructStrategy({ arenaBytes: 1 << 16 });
    const rx = newRxCursor();
    s.allocRx(1000, rx);
    s.resetCounters();
    const kept = newRxCursor();
    s.retain(rx.buf, rx.start + 100, rx.end, kept);
    expect(s.counters).toEqual(counters({ copies: 1, copiedBytes: 900 }));
  });

  it('a request bigger than the arena is E_TOO_LARGE with advice', () => {
    const s = new OneBigStructStrategy({ arenaBytes: 4096 });
    expect(() => s.alloc(4096, newRxCursor())).toThrow(/E?raise the strategy option arenaBytes/);
    expect(() => s.alloc(4096, newRxCursor())).toThrow(expect.objectContaining({ code: 'E_TOO_LARGE' }));
    expect(() => s.alloc(4096 - 8, newRxCursor())).not.toThrow();
  });

  it('never overwrites live data: the ring throws E_ARENA_FULL instead, and wraps once the oldest is released', () => {
    const region = regionBytesFor(1000);
    const s = new OneBigStructStrategy({ arenaBytes: region * 4 });
    const cs = [newRxCursor(), newRxCursor(), newRxCursor(), newRxCursor()];
    cs.forEach((c) => s.alloc(1000, c));
    expect(() => s.alloc(1000, newRxCursor())).toThrow(expect.objectContaining({ code: 'E_ARENA_FULL' }));
    // Releasing a younger region frees nothing: space is reclaimed oldest-first.
    const first = cs[0]!.start;
    s.release(cs[2]!);
    expect(() => s.alloc(1000, newRxCursor())).toThrow(/oldest unreleased region at offset 0/);
    s.release(cs[0]!);
    const again = newRxCursor();
    s.alloc(1000, again);
    expect(again.start).toBe(first);
    expect(s.liveRegions).toBe(4);
  });

  it('release rejects cursors it did not hand out, moved cursors and double releases', () => {
    const s = new OneBigStructStrategy({ arenaBytes: 4096 });
    const c = newRxCursor();
    s.alloc(100, c);
    expect(() => s.release({ buf: c.buf, start: c.start + 8, end: c.end })).toThrow(expect.objectContaining({ code: 'E_BAD_RELEASE' }));
    expect(() => s.release({ buf: new Uint8Array(4096), start: c.start, end: c.end })).toThrow(expect.objectContaining({ code: 'E_BAD_RELEASE' }));
    const copy = { ...c };
    s.release(c);
    expect(() => s.release(copy)).toThrow(expect.objectContaining({ code: 'E_BAD_RELEASE' }));
  });
});

describe('copy between overlapping views of one buffer', () => {
  it.each([20, 50, 80])('moves %i bytes like memmove, whichever way the views overlap', (n) => {
    const s = new Uint8ArrayStrategy();
    const whole = Uint8Array.from({ length: 200 }, (_, i) => i);
    const a = whole.subarray(0, 150);
    const b = whole.subarray(10, 160);
    s.copy(a, 0, n, b, 0); // forwards onto itself, destination after source
    expect([...whole.subarray(10, 10 + n)]).toEqual(Array.from({ length: n }, (_, i) => i));
    const fresh = Uint8Array.from({ length: 200 }, (_, i) => i);
    s.copy(fresh.subarray(10, 160), 0, n, fresh.subarray(0, 150), 0); // destination before source
    expect([...fresh.subarray(0, n)]).toEqual(Array.from({ length: n }, (_, i) => i + 10));
  });
});

describe('one-big-struct tx frames', () => {
  it('a stale copy of a released frame is rejected even after its record is reused', () => {
    const s = new OneBigStructStrategy({ arenaBytes: 64 * 1024 });
    const f = newTxFrame();
    s.beginTx(f, 100, LAYOUT);
    const stale = { ...f };
    s.releaseTx(f);
    const g = newTxFrame();
    s.beginTx(g, 100, LAYOUT);
    expect(() => s.releaseTx(stale)).toThrow(expect.objectContaining({ code: 'E_BAD_RELEASE' }));
    expect(() => s.prepend(stale, 4)).toThrow(expect.objectContaining({ code: 'E_BAD_RELEASE' }));
    s.releaseTx(g);
    expect(s.liveRegions).toBe(0);
  });
});
