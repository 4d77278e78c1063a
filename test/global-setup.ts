/**
 * Before any test: when running as root (as CI does) install the Debian peers the tests need,
 * so `npm test` on a fresh root machine tests against real dig, openvpn, openssl, chromium…
 * Otherwise print one loud line per missing peer; the tests that need it skip (or fail under CI=true).
 */
import { execFileSync } from 'node:child_process';
import { DEBIAN_PEERS } from '../scripts/debian-packages.js';
import { hasExecutable } from './peers.js';

export default function setup(): void {
  const missing = DEBIAN_PEERS.filter((p) => !hasExecutable(p.probe));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((p) => p.pkg))];
  if (process.getuid?.() === 0 && process.env.BUFLAB_NO_APT !== '1') {
    console.warn(`test setup: installing Debian peers: ${pkgs.join(' ')}`);
    execFileSync('bash', ['scripts/setup.sh'], { stdio: 'inherit' });
    return;
  }
  for (const p of missing) console.warn(`!!! peer missing: ${p.probe} (Debian package ${p.pkg}, for ${p.why}): run 'npm run setup'`);
}
