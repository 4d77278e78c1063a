/**
 * Issue 14, item 4: the typed-array-on-heap threshold, checked on the running node. The strategies
 * rely on it (allocators/strategy-common.ts: range copies longer than LOOP_COPY_MAX_BYTES go to
 * memmove on arrays that are off-heap, so no hidden backing store is materialised; the uint8array
 * strategy's small headers live on the JS heap). V8 keeps a typed array of at most 64 bytes inside
 * the JS heap (V8_TYPED_ARRAY_MAX_SIZE_IN_HEAP, a build constant: not in `--v8-options` of Node 20–26)
 * and gives a longer one an off-heap backing store. Measured with `process.memoryUsage().arrayBuffers`
 * between forced GCs.
 */
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { LOOP_COPY_MAX_BYTES } from '../../allocators/strategy-common.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const ARRAYS = 20_000;

/**
 * `arrayBuffers` after two full GCs: V8 frees dead backing stores on a sweeper thread after a GC, and
 * the next GC waits for that sweep, so only live buffers remain counted.
 */
function settledArrayBuffers(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

/** Off-heap bytes per array, from `ARRAYS` live arrays of `bytes`. */
function offHeapBytes(bytes: number): number {
  const keep: Uint8Array[] = [];
  const a0 = settledArrayBuffers();
  for (let i = 0; i < ARRAYS; i++) keep.push(new Uint8Array(bytes));
  const a1 = settledArrayBuffers();
  expect(keep.length).toBe(ARRAYS);
  return (a1 - a0) / ARRAYS;
}

describe(`typed arrays on ${process.version} (V8 ${process.versions.v8})`, () => {
  it(`keeps arrays of up to ${LOOP_COPY_MAX_BYTES} bytes on the JS heap`, () => {
    expect(offHeapBytes(LOOP_COPY_MAX_BYTES)).toBeLessThan(4);
  });

  it(`gives arrays of ${LOOP_COPY_MAX_BYTES + 1} bytes an off-heap backing store`, () => {
    expect(offHeapBytes(LOOP_COPY_MAX_BYTES + 1)).toBeGreaterThan((LOOP_COPY_MAX_BYTES + 1) * 0.9);
  });
});
