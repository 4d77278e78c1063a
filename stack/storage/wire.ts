/**
 * The stored record: a 16-byte header, then the payload. Offsets and accessors at `(buf, offset)`
 * where `offset` is the record's first byte; no checks, no allocation (the `wire.ts` of this layer).
 *
 *     0        4        8         12               16
 *     | magic  | id     | version | payload bytes  | payload ...      (big-endian u32s)
 */
import { getU32, setU32 } from '../bytes.js';

export const RECORD_HEADER_BYTES = 16;
/** 'BREC': tells a record from stray bytes. */
export const RECORD_MAGIC = 0x4252_4543;
export const OFF_MAGIC = 0;
export const OFF_ID = 4;
export const OFF_VERSION = 8;
export const OFF_PAYLOAD_BYTES = 12;

export function setRecordHeader(buf: Uint8Array, at: number, id: number, version: number, payloadBytes: number): void {
  setU32(buf, at + OFF_MAGIC, RECORD_MAGIC);
  setU32(buf, at + OFF_ID, id);
  setU32(buf, at + OFF_VERSION, version);
  setU32(buf, at + OFF_PAYLOAD_BYTES, payloadBytes);
}
export const getRecordMagic = (buf: Uint8Array, at: number): number => getU32(buf, at + OFF_MAGIC);
export const getRecordId = (buf: Uint8Array, at: number): number => getU32(buf, at + OFF_ID);
export const getRecordVersion = (buf: Uint8Array, at: number): number => getU32(buf, at + OFF_VERSION);
export const getRecordPayloadBytes = (buf: Uint8Array, at: number): number => getU32(buf, at + OFF_PAYLOAD_BYTES);

/**
 * `ok` when `buf[start, end)` is one whole record: magic, and a payload length that fills the rest
 * exactly. Reads only inside `[start, end)`.
 */
export function recordStatus(buf: Uint8Array, start: number, end: number): 'ok' | 'truncated' | 'bad-magic' | 'bad-length' {
  if (end - start < RECORD_HEADER_BYTES) return 'truncated';
  if (getRecordMagic(buf, start) !== RECORD_MAGIC) return 'bad-magic';
  if (getRecordPayloadBytes(buf, start) !== end - start - RECORD_HEADER_BYTES) return 'bad-length';
  return 'ok';
}
