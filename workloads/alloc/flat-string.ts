/**
 * Fresh flat JS strings for the allocation loop's `string` variant.
 *
 * `Buffer.prototype.toString('latin1', 0, n)` copies n bytes into a new sequential one-byte string
 * (V8 type ONE_BYTE_STRING_TYPE) allocated on the V8 heap: not a rope (ConsString, what `+` and
 * `'x'.repeat(n)` build), not a slice of an existing string, and not a constant. Two exceptions,
 * checked with `%DebugPrint` (test/workloads/alloc/flat-string.test.ts) and refused here:
 * - lengths 0 and 1 return V8's shared internalized strings (nothing is allocated);
 * - from {@link EXTERNAL_STRING_MIN_BYTES} on, Node returns an *external* string whose characters
 *   live in memory from the native allocator (node's EXTERN_APEX), which is a different experiment.
 */
import { WorkloadConfigError } from '../workload.js';

export const STRING_MIN_BYTES = 2;
/** Node's EXTERN_APEX (src/string_bytes.cc): from this length on, latin1 decoding makes external strings. */
export const EXTERNAL_STRING_MIN_BYTES = 0xfbee9;
export const STRING_MAX_BYTES = EXTERNAL_STRING_MIN_BYTES - 1;

export function checkStringBytes(bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < STRING_MIN_BYTES || bytes > STRING_MAX_BYTES) {
    throw new WorkloadConfigError(
      `alloc/string: size ${bytes} is outside ${STRING_MIN_BYTES}..${STRING_MAX_BYTES}: shorter strings are V8 constants (no allocation), ` +
        'longer ones are external strings backed by the native allocator; pick a size in range',
    );
  }
}

/** A source of fresh flat strings of one length; write the content into `bytes`, then call `fresh()`. */
export class FlatStringSource {
  readonly bytes: Buffer;

  constructor(readonly lengthBytes: number) {
    checkStringBytes(lengthBytes);
    // allocUnsafeSlow: a buffer of its own, not a slice of Node's shared pool.
    this.bytes = Buffer.allocUnsafeSlow(lengthBytes).fill(0x61);
  }

  /** A new flat sequential one-byte string holding `bytes` as latin1. */
  fresh(): string {
    return this.bytes.toString('latin1', 0, this.lengthBytes);
  }
}
