import { describe, expect, it } from 'vitest';
import { MAX_MEMORY_SAMPLES, MemorySampler, peakRssBytes } from '../../../harness/measure/memory-sampler.js';

function fakeUsage(i: number): NodeJS.MemoryUsage {
  return { rss: 1000 + i, heapTotal: 500, heapUsed: 200 + i, external: 30 + i, arrayBuffers: 10 + i };
}

describe('MemorySampler', () => {
  it('samples at most once per interval, relative to its origin', () => {
    let calls = 0;
    const s = new MemorySampler(1000, 100, () => fakeUsage(calls++));
    s.maybeSample(1000, true);
    s.maybeSample(1050); // too soon
    s.maybeSample(1100);
    s.maybeSample(1150); // too soon
    s.maybeSample(1230);
    expect(s.timeline()).toEqual([
      { tMs: 0, rssBytes: 1000, heapUsedBytes: 200, arrayBuffersBytes: 10, externalBytes: 30 },
      { tMs: 100, rssBytes: 1001, heapUsedBytes: 201, arrayBuffersBytes: 11, externalBytes: 31 },
      { tMs: 230, rssBytes: 1002, heapUsedBytes: 202, arrayBuffersBytes: 12, externalBytes: 32 },
    ]);
  });

  it('caps the timeline and counts what it dropped', () => {
    let calls = 0;
    const s = new MemorySampler(0, 1, () => fakeUsage(calls++));
    for (let i = 0; i < MAX_MEMORY_SAMPLES + 7; i++) s.maybeSample(i * 2);
    expect(s.timeline().length).toBe(MAX_MEMORY_SAMPLES);
    expect(s.dropped).toBe(7);
  });

  it('reports the peak RSS in bytes (maxRSS is KiB)', () => {
    const peak = peakRssBytes();
    expect(peak).toBe(process.resourceUsage().maxRSS * 1024);
    expect(peak).toBeGreaterThanOrEqual(process.memoryUsage().rss * 0.5);
  });
});
