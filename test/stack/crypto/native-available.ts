/**
 * Whether the `native` crypto backend's addon is built, for tests: like test/peers.ts's `peer()`,
 * absent → a failure under CI=true (never a silent pass), otherwise the test is skipped with a loud
 * message naming the build command.
 */
import { nativeAeadAvailability } from '../../../stack/crypto/native-addon.js';

export function nativeAeadBuilt(): boolean {
  const a = nativeAeadAvailability();
  if (a.available) return true;
  const msg = `${a.problem}: build it with '${a.fix}' (needs gcc and libssl-dev)`;
  if (process.env.CI === 'true') throw new Error(`${msg} — CI=true, so a missing native backend is a failure`);
  console.warn(`\n!!! SKIPPING native crypto tests: ${msg}\n`);
  return false;
}
