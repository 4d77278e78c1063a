/**
 * OpenVPN static key files (`openvpn --genkey secret FILE`) and key directions (`crypto.c`,
 * `read_key_file`, `key_direction_state_init`).
 *
 * The file holds 256 bytes in hex between `-----BEGIN OpenVPN Static key V1-----` and
 * `-----END OpenVPN Static key V1-----` (lines starting with `#` are comments). Those bytes are two
 * keys, each `cipher[64] || hmac[64]`. A cipher uses the first bytes of `cipher` it needs (32 for
 * AES-256), HMAC-SHA256 the first 32 bytes of `hmac`; in AEAD mode the implicit IV is the first
 * `12 − 4` bytes of `hmac`.
 *
 * Directions: without a direction (bidirectional) both sides send and receive with key 0; with
 * direction 0 a side sends with key 0 and receives with key 1; direction 1 is the inverse.
 */

export const STATIC_KEY_BYTES = 256;
export const KEY_HALF_BYTES = 64;
const BEGIN = '-----BEGIN OpenVPN Static key V1-----';
const END = '-----END OpenVPN Static key V1-----';

/** One of the two keys in a static key file. Views into the file's 256 bytes. */
export interface KeyPair {
  cipher: Uint8Array;
  hmac: Uint8Array;
}

export interface StaticKey {
  /** The 256 raw bytes. */
  bytes: Uint8Array;
  keys: readonly [KeyPair, KeyPair];
}

export type KeyDirection = 'bidirectional' | 0 | 1;

export class StaticKeyError extends Error {
  readonly code = 'E_STATIC_KEY';
  constructor(message: string) {
    super(message);
    this.name = 'StaticKeyError';
  }
}

/** Parses a static key file's text. Throws `StaticKeyError` (configuration) on a malformed file. */
export function parseStaticKey(text: string): StaticKey {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const begin = lines.indexOf(BEGIN);
  const end = lines.indexOf(END);
  if (begin < 0 || end < begin) {
    throw new StaticKeyError(`not an OpenVPN static key file: expected '${BEGIN}' … '${END}'; generate one with 'openvpn --genkey secret FILE'`);
  }
  const hex = lines
    .slice(begin + 1, end)
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .join('');
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== STATIC_KEY_BYTES * 2) {
    throw new StaticKeyError(`static key must hold exactly ${STATIC_KEY_BYTES} bytes of hex between the BEGIN/END lines, found ${hex.length / 2}`);
  }
  return staticKeyFromBytes(Uint8Array.from(Buffer.from(hex, 'hex')));
}

export function staticKeyFromBytes(bytes: Uint8Array): StaticKey {
  if (bytes.length !== STATIC_KEY_BYTES) {
    throw new StaticKeyError(`a static key is ${STATIC_KEY_BYTES} bytes, got ${bytes.length}`);
  }
  const pair = (i: number): KeyPair => ({
    cipher: bytes.subarray(i * 128, i * 128 + KEY_HALF_BYTES),
    hmac: bytes.subarray(i * 128 + KEY_HALF_BYTES, (i + 1) * 128),
  });
  return { bytes, keys: [pair(0), pair(1)] };
}

/** Formats 256 bytes as a static key file, 16 bytes per line as `openvpn --genkey` writes it. */
export function formatStaticKey(bytes: Uint8Array): string {
  if (bytes.length !== STATIC_KEY_BYTES) {
    throw new StaticKeyError(`a static key is ${STATIC_KEY_BYTES} bytes, got ${bytes.length}`);
  }
  const hex = Buffer.from(bytes).toString('hex');
  const lines = ['#', '# 2048 bit OpenVPN static key', '#', BEGIN];
  for (let i = 0; i < hex.length; i += 32) lines.push(hex.slice(i, i + 32));
  lines.push(END, '');
  return lines.join('\n');
}

/** The keys a side sends and receives with, for a direction. */
export function keysForDirection(key: StaticKey, direction: KeyDirection): { send: KeyPair; receive: KeyPair } {
  if (direction === 'bidirectional') return { send: key.keys[0], receive: key.keys[0] };
  if (direction === 0) return { send: key.keys[0], receive: key.keys[1] };
  return { send: key.keys[1], receive: key.keys[0] };
}
