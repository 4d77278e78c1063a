/**
 * Real peers for tests. A test that needs `dig` asks `peer('dig')`: present → the test runs;
 * absent → under CI=true the test fails (a missing peer must never pass silently in CI), otherwise
 * the test is skipped with a loud message naming the package and the install command.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { DEBIAN_PEERS, SETUP_COMMAND } from '../scripts/debian-packages.js';

export function hasExecutable(name: string): boolean {
  if (name.startsWith('/')) return existsSync(name);
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    // `command -v` exits non-zero when the program is absent: that is the answer, not an error.
    return false;
  }
}

/** Returns true when the peer exists; see the module comment for what happens otherwise. */
export function peer(probe: string): boolean {
  if (hasExecutable(probe)) return true;
  const entry = DEBIAN_PEERS.find((p) => p.probe === probe || p.probe.endsWith('/' + probe));
  const pkg = entry?.pkg ?? probe;
  const msg = `peer '${probe}' missing: install Debian package '${pkg}' (${SETUP_COMMAND}, or apt-get install ${pkg} as root)`;
  if (process.env.CI === 'true') throw new Error(`${msg} — CI=true, so a missing peer is a failure`);
  console.warn(`\n!!! SKIPPING: ${msg}\n`);
  return false;
}
