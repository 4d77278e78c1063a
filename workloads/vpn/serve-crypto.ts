/**
 * `npm run serve -- vpn --crypto node|native`: which crypto backend the real server's data channel
 * runs (issue 15), decided once at start-up and said loudly, so a throughput figure can never be
 * taken with a backend other than the one the user believes is running.
 *
 * Default (no flag): `native` when its addon is built and loads, else `node` with a banner that
 * names the build command. `--crypto native` without the addon is an error (E_SERVE_CRYPTO) with
 * the build command: never silently node:crypto.
 */
import { nativeAeadAvailability, type NativeAeadAvailability } from '../../stack/crypto/native-addon.js';

export const SERVE_CRYPTO_NAMES = ['node', 'native'] as const;
export type ServeCryptoName = (typeof SERVE_CRYPTO_NAMES)[number];

export class VpnServeCryptoError extends Error {
  readonly code = 'E_SERVE_CRYPTO';
  constructor(message: string) {
    super(message);
    this.name = 'VpnServeCryptoError';
  }
}

export function isServeCryptoName(s: string): s is ServeCryptoName {
  return (SERVE_CRYPTO_NAMES as readonly string[]).includes(s);
}

export interface ServeCryptoChoice {
  name: ServeCryptoName;
  /** The start-up line: the backend, and why it was chosen. */
  banner: string;
}

/**
 * The backend for `requested` (null: no `--crypto` flag). Throws `VpnServeCryptoError` when
 * `native` is asked for and its addon is not built or does not load. `availability` is this
 * process's (tests pass another).
 */
export function chooseServeCrypto(requested: ServeCryptoName | null, availability: NativeAeadAvailability = nativeAeadAvailability()): ServeCryptoChoice {
  const a = availability;
  if (requested === 'node') {
    return { name: 'node', banner: 'crypto: NODE (node:crypto, a fresh cipher object and Buffers per packet; asked for with --crypto node)' };
  }
  if (a.available) {
    const why = requested === 'native' ? 'asked for with --crypto native' : 'the default when the addon is built';
    return { name: 'native', banner: `crypto: NATIVE (in-place AEAD addon over ${a.addon.opensslVersion}, ${a.path}; ${why})` };
  }
  if (requested === 'native') {
    throw new VpnServeCryptoError(`--crypto native: ${a.problem}; build it with '${a.fix}' (needs gcc and libssl-dev), or run with --crypto node`);
  }
  return { name: 'node', banner: `crypto: NODE (node:crypto) — the native backend is NOT available: ${a.problem}; build it with '${a.fix}' for in-place AEAD` };
}
