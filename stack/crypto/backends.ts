/** The crypto backends by name: the one place a backend is chosen. */
import { CryptoConfigError, type CryptoBackend } from './crypto-backend.js';
import { NodeCryptoBackend } from './node-backend.js';
import { NullCryptoBackend } from './null-backend.js';

export const CRYPTO_BACKEND_NAMES = ['node', 'none'] as const;
export type CryptoBackendName = (typeof CRYPTO_BACKEND_NAMES)[number];

/** A fresh backend instance (each has its own `viewsCreated` counter). */
export function makeCryptoBackend(name: string): CryptoBackend {
  switch (name) {
    case 'node':
      return new NodeCryptoBackend();
    case 'none':
      return new NullCryptoBackend();
    default:
      throw new CryptoConfigError('E_CRYPTO_BACKEND', `unknown crypto backend '${name}': use one of ${CRYPTO_BACKEND_NAMES.join(', ')}`);
  }
}
