import { describe, expect, it } from 'vitest';
import { auditExternalBytes, gcOverlaps } from '../../../harness/measure/external-audit.js';

describe('auditExternalBytes', () => {
  it('measures exactly the backing-store bytes an op allocates, and what was counted', async () => {
    const keep: Uint8Array[] = [];
    let counted = 0;
    const audit = await auditExternalBytes(
      () => {
        keep.push(new Uint8Array(4096));
        if (keep.length > 4) keep.length = 0;
        counted += 100;
      },
      () => counted,
    );
    expect(audit).not.toBeNull();
    expect(audit!.bytesPerOp).toBe(4096);
    expect(audit!.countedBytesPerOp).toBe(100);
    expect(audit!.ops).toBeGreaterThan(0);
  });

  it('sees nothing for an op that allocates only on the JS heap', async () => {
    let sink: unknown = null;
    const audit = await auditExternalBytes(
      () => {
        sink = { a: 1, b: [1, 2, 3] };
      },
      () => 0,
    );
    expect(audit?.bytesPerOp).toBe(0);
    expect(sink).not.toBeNull();
  });

  it('stops a window early once maxBytes were allocated', async () => {
    const keep: Uint8Array[] = [];
    const audit = await auditExternalBytes(
      () => {
        keep.push(new Uint8Array(1 << 20));
        if (keep.length > 2) keep.length = 0;
      },
      () => 0,
      { maxOps: 2000, maxBytes: 8 << 20, attempts: 6 },
    );
    expect(audit).not.toBeNull();
    expect(audit!.ops).toBeLessThanOrEqual(16); // checked every 16 ops
    expect(audit!.bytesPerOp).toBe(1 << 20);
  });
});

describe('gcOverlaps', () => {
  it('detects a GC pause overlapping the window', () => {
    expect(gcOverlaps([1, 2], 3, 4)).toBe(false);
    expect(gcOverlaps([1, 3.5], 3, 4)).toBe(true);
    expect(gcOverlaps([3.2, 3.3], 3, 4)).toBe(true);
    expect(gcOverlaps([5, 6, 1, 2], 3, 4)).toBe(false);
    expect(gcOverlaps([], 3, 4)).toBe(false);
  });
});
