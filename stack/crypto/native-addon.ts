/**
 * Loading the in-place AEAD addon of the `native` crypto backend (stack/crypto/native/aead-addon.c,
 * built by stack/crypto/native/build.sh into stack/crypto/native/buflab-aead.node; never committed).
 * One place decides whether the backend can run: {@link nativeAeadAvailability}. A missing or
 * unloadable addon is reported with the command that fixes it, never replaced by node:crypto.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installNativeRangeCopy } from '../../allocators/strategy-common.js';

/** The command that builds the addon (also run by `npm ci` and `npm run setup`). */
export const NATIVE_AEAD_BUILD_COMMAND = 'bash stack/crypto/native/build.sh';
/** Where the build puts the addon, relative to the repository root. */
export const NATIVE_AEAD_ADDON_PATH = 'stack/crypto/native/buflab-aead.node';

/** An OpenSSL context pair owned by the addon (freed when the handle is garbage-collected). */
export type NativeContext = { readonly __nativeContext: unique symbol };

/**
 * The addon's functions (aead-addon.c). Offsets are byte offsets into `buf`; every range is checked
 * against the array (a RangeError/TypeError with `code` E_CRYPTO_RANGE / E_CRYPTO_ARG otherwise).
 * None of the per-packet calls allocates on the JS heap or with malloc.
 */
export interface AeadAddon {
  /** `algorithmId`: 0 aes-256-gcm, 1 aes-128-gcm, 2 chacha20-poly1305. The key is copied into OpenSSL. */
  aeadContext(algorithmId: number, key: Uint8Array): NativeContext;
  /** Encrypts `buf[start, end)` in place, AAD `buf[aadStart, aadEnd)`, tag written at `buf[tagAt, tagAt + 16)`. */
  aeadSeal(ctx: NativeContext, nonce: Uint8Array, buf: Uint8Array, aadStart: number, aadEnd: number, start: number, end: number, tagAt: number): void;
  /** Decrypts in place; false on a bad tag, and then `buf[start, end)` holds the ciphertext again. */
  aeadOpen(ctx: NativeContext, nonce: Uint8Array, buf: Uint8Array, aadStart: number, aadEnd: number, start: number, end: number, tagAt: number): boolean;
  /** AES-256-CBC (32-byte key, OpenSSL padding off) and HMAC-SHA256 (32-byte key). */
  cbcHmacContext(cipherKey: Uint8Array, hmacKey: Uint8Array): NativeContext;
  cbcEncrypt(ctx: NativeContext, iv: Uint8Array, buf: Uint8Array, start: number, end: number): void;
  cbcDecrypt(ctx: NativeContext, iv: Uint8Array, buf: Uint8Array, start: number, end: number): void;
  /** Writes HMAC-SHA256(`buf[start, end)`) at `out[outAt, outAt + 32)`. */
  hmac(ctx: NativeContext, buf: Uint8Array, start: number, end: number, out: Uint8Array, outAt: number): void;
  randomFill(buf: Uint8Array, start: number, bytes: number): void;
  /** `dst[dstStart …] = src[srcStart, srcEnd)` as memmove; the strategies' range copy on Node 20. */
  copyRange(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number): void;
  /**
   * Sends `buf[start, end)` as one datagram to `ipv4:port` (`ipv4` a 32-bit number) on the UDP
   * socket `fd` (sendto(2), MSG_DONTWAIT): the bytes sent, or minus the errno (−11 EAGAIN when the
   * socket buffer is full). The vpn server's send path (workloads/vpn/native-udp.ts).
   */
  udpSendto(fd: number, buf: Uint8Array, start: number, end: number, ipv4: number, port: number): number;
  /**
   * Reads one waiting datagram into `buf[start, end)` (recvfrom(2), MSG_DONTWAIT): its length, or
   * minus the errno (−11 EAGAIN: none waiting; −90 EMSGSIZE: longer than the range, dropped); the
   * sender's address and port big-endian at `from[0, 4)` and `from[4, 6)`.
   */
  udpRecvfrom(fd: number, buf: Uint8Array, start: number, end: number, from: Uint8Array): number;
  /** `OpenSSL_version(OPENSSL_VERSION)` of the OpenSSL linked into the addon (Debian's, not node's). */
  readonly opensslVersion: string;
}

/** Every function aead-addon.c exports (checked at load). */
const ADDON_FUNCTIONS = ['aeadContext', 'aeadSeal', 'aeadOpen', 'cbcHmacContext', 'cbcEncrypt', 'cbcDecrypt', 'hmac', 'randomFill', 'copyRange', 'udpSendto', 'udpRecvfrom'] as const satisfies readonly (keyof AeadAddon)[];

export type NativeAeadAvailability =
  | { available: true; addon: AeadAddon; path: string }
  | { available: false; path: string; problem: string; fix: string };

/** The repository root: the first directory above this file holding package.json (works from dist/ too). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    dir = up;
  }
}

let cached: NativeAeadAvailability | null = null;

/**
 * Whether the addon is built and loads in this process (decided once per process). When it is not,
 * `problem` says why and `fix` is the command to run.
 */
export function nativeAeadAvailability(): NativeAeadAvailability {
  if (cached === null) {
    cached = loadNativeAeadAddon(join(repoRoot(), NATIVE_AEAD_ADDON_PATH));
    // Loaded: the strategies' range copies on Node 20 go through its memmove instead of a view.
    if (cached.available) installNativeRangeCopy(cached.addon.copyRange);
  }
  return cached;
}

/** Loads the addon at `path` (uncached; tests give other paths to see the failure answers). */
export function loadNativeAeadAddon(path: string): NativeAeadAvailability {
  if (!existsSync(path)) {
    return { available: false, path, problem: `the native AEAD addon is not built (${path} is missing)`, fix: NATIVE_AEAD_BUILD_COMMAND };
  }
  try {
    const addon = createRequire(import.meta.url)(path) as AeadAddon;
    // A binary built from an older aead-addon.c lacks newer functions: rebuilding is the fix.
    const missing = ADDON_FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
    if (missing.length > 0) {
      return { available: false, path, problem: `the native AEAD addon at ${path} is out of date (no ${missing.join(', ')})`, fix: NATIVE_AEAD_BUILD_COMMAND };
    }
    return { available: true, addon, path };
  } catch (e) {
    // A stale or foreign binary (another architecture, a libc mismatch): rebuilding is the fix.
    return { available: false, path, problem: `the native AEAD addon at ${path} does not load: ${(e as Error).message}`, fix: NATIVE_AEAD_BUILD_COMMAND };
  }
}
