/**
 * Key method 2 (ssl.c `key_method_2_write` / `key_method_2_read`): the first message each side
 * writes into the TLS tunnel once the handshake is done, and the control messages that follow.
 *
 *     u32 0 | u8 key method (2) | key source | options string | username | password | peer info
 *     key source: client = pre_master (48) ‖ random1 (32) ‖ random2 (32); server = random1 ‖ random2
 *     string: u16 length including the trailing NUL, the bytes, NUL (length 0 = empty)
 *
 * Later control messages (PUSH_REQUEST, PUSH_REPLY, AUTH_FAILED, EXIT …) are NUL-terminated text.
 * Decoders never throw on wire bytes: they return 'incomplete' (wait for more plaintext) or an
 * error string.
 */
import { getU16, getU32, setU16 } from '../bytes.js';
import type { KeySource } from './prf.js';

export const KEY_METHOD_2 = 2;
/** ssl.h KEY_METHOD_MASK: the low bits are the method, the high bits flags. */
const KEY_METHOD_MASK = 0x0f;
const PRE_MASTER_BYTES = 48;
const RANDOM_BYTES = 32;
/** ssl_common.h TLS_OPTIONS_LEN: the longest options string OpenVPN reads. */
export const MAX_OPTIONS_STRING_BYTES = 2048;

/** IV_PROTO bits (ssl.h) this server reads. */
export const IV_PROTO_DATA_V2 = 1 << 1;
export const IV_PROTO_TLS_KEY_EXPORT = 1 << 3;

export interface KeyMethod2 {
  keySource: KeySource;
  options: string;
  username: string;
  password: string;
  /** `KEY=value` lines (IV_VER, IV_PROTO, IV_CIPHERS …); empty when the peer sent none. */
  peerInfo: string;
}

export type KeyMethodDecoded = { ok: true; value: KeyMethod2; bytes: number } | { ok: false; error: 'incomplete' | string };

/** Decodes the client's key method 2 message at the start of `buf[start, end)`. */
export function decodeClientKeyMethod2(buf: Uint8Array, start: number, end: number): KeyMethodDecoded {
  let at = start;
  const need = (n: number): boolean => end - at >= n;
  if (!need(5)) return { ok: false, error: 'incomplete' };
  if (getU32(buf, at) !== 0) return { ok: false, error: 'key method message does not start with a zero u32' };
  const method = buf[at + 4]! & KEY_METHOD_MASK;
  if (method !== KEY_METHOD_2) return { ok: false, error: `key method ${method}: only method 2 exists since OpenVPN 2.5` };
  at += 5;
  if (!need(PRE_MASTER_BYTES + 2 * RANDOM_BYTES)) return { ok: false, error: 'incomplete' };
  const keySource: KeySource = {
    preMaster: buf.slice(at, at + PRE_MASTER_BYTES),
    random1: buf.slice(at + PRE_MASTER_BYTES, at + PRE_MASTER_BYTES + RANDOM_BYTES),
    random2: buf.slice(at + PRE_MASTER_BYTES + RANDOM_BYTES, at + PRE_MASTER_BYTES + 2 * RANDOM_BYTES),
  };
  at += PRE_MASTER_BYTES + 2 * RANDOM_BYTES;
  const strings: string[] = [];
  for (let i = 0; i < 4; i++) {
    if (!need(2)) return { ok: false, error: 'incomplete' };
    const n = getU16(buf, at);
    at += 2;
    if (i === 0 && n > MAX_OPTIONS_STRING_BYTES) return { ok: false, error: `options string of ${n} bytes (limit ${MAX_OPTIONS_STRING_BYTES})` };
    if (!need(n)) return { ok: false, error: 'incomplete' };
    // The length counts the trailing NUL; read_string stops at it.
    strings.push(n === 0 ? '' : Buffer.from(buf.subarray(at, at + n - 1)).toString('latin1').replace(/\0.*$/s, ''));
    at += n;
  }
  return { ok: true, value: { keySource, options: strings[0]!, username: strings[1]!, password: strings[2]!, peerInfo: strings[3]! }, bytes: at - start };
}

function writeString(out: number[], s: string): void {
  if (s.length === 0) {
    out.push(0, 0);
    return;
  }
  const b = Buffer.from(s + '\0', 'latin1');
  const len = new Uint8Array(2);
  setU16(len, 0, b.length);
  out.push(...len, ...b);
}

/** The server's key method 2 message: its random1/random2, its options string, empty user, password and peer info. */
export function encodeServerKeyMethod2(source: KeySource, options: string): Uint8Array {
  const out: number[] = [0, 0, 0, 0, KEY_METHOD_2, ...source.random1, ...source.random2];
  writeString(out, options);
  writeString(out, '');
  writeString(out, '');
  writeString(out, '');
  return Uint8Array.from(out);
}

/** Reads `KEY=value` from peer info text; undefined when absent. */
export function peerInfoValue(peerInfo: string, key: string): string | undefined {
  for (const line of peerInfo.split('\n')) {
    if (line.startsWith(key + '=')) return line.slice(key.length + 1);
  }
  return undefined;
}

/** A NUL-terminated control message as bytes. */
export function controlMessage(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text + '\0', 'latin1'));
}
