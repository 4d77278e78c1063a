/** The crypto backends by name: the one place a backend is chosen. */
import { CryptoConfigError, type CryptoBackend } from './crypto-backend.js';
import { nativeAeadAvailability } from './native-addon.js';
import { NativeCryptoBackend } from './native-backend.js';
import { NodeCryptoBackend } from './node-backend.js';
import { NullCryptoBackend } from './null-backend.js';

export const CRYPTO_BACKEND_NAMES = ['node', 'native', 'none'] as const;
export type CryptoBackendName = (typeof CRYPTO_BACKEND_NAMES)[number];

export function isCryptoBackendName(name: string): name is CryptoBackendName {
  return (CRYPTO_BACKEND_NAMES as readonly string[]).includes(name);
}

/**
 * A fresh backend instance (each has its own `viewsCreated` counter). Throws `E_CRYPTO_BACKEND` for
 * an unknown name and `E_CRYPTO_NATIVE_MISSING` (with the fix) when `native` cannot load.
 */
export function makeCryptoBackend(name: string): CryptoBackend {
  switch (name) {
    case 'node':
      return new NodeCryptoBackend();
    case 'native':
      return new NativeCryptoBackend();
    case 'none':
      return new NullCryptoBackend();
    default:
      throw new CryptoConfigError('E_CRYPTO_BACKEND', `unknown crypto backend '${name}': use one of ${CRYPTO_BACKEND_NAMES.join(', ')}`);
  }
}

/**
 * Why a backend cannot run on this machine, or null when it can: what the harness turns into a
 * skipped cell (with the fix in the message) before spawning anything. Only `native` can be missing.
 */
export function cryptoBackendUnavailable(name: string): { code: 'E_CRYPTO_NATIVE_MISSING'; message: string } | null {
  if (name !== 'native') return null;
  const a = nativeAeadAvailability();
  return a.available ? null : { code: 'E_CRYPTO_NATIVE_MISSING', message: `crypto backend 'native': ${a.problem}; build it with '${a.fix}'` };
}
