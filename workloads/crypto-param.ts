/**
 * The `crypto` axis shared by the vpn and tls workloads (`--param crypto=node,native,none`): which
 * crypto backend (stack/crypto/backends.ts) the stack's ciphers run on. Checked when the workload is
 * set up, so a bad or unavailable backend is a configuration error of the cell (the child exits 3
 * with the fix) rather than a crash mid-measurement, and never a silent switch to another backend.
 */
import { CRYPTO_BACKEND_NAMES, cryptoBackendUnavailable, isCryptoBackendName, type CryptoBackendName } from '../stack/crypto/backends.js';
import { WorkloadConfigError, type WorkloadParams } from './workload.js';

/** The backend a cell asks for (`node` when the param is absent), checked to be usable here. */
export function cryptoBackendFromParams(params: WorkloadParams): CryptoBackendName {
  const name = String(params['crypto'] ?? 'node');
  if (!isCryptoBackendName(name)) throw new WorkloadConfigError(`unknown crypto backend '${name}': use one of ${CRYPTO_BACKEND_NAMES.join(', ')}`);
  const missing = cryptoBackendUnavailable(name);
  if (missing !== null) throw new WorkloadConfigError(missing.message);
  return name;
}
