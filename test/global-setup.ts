/**
 * Before any test: when running as root (as CI does) install the Debian peers the tests need,
 * so `npm test` on a fresh root machine tests against real dig, openvpn, openssl, chromium…
 * Otherwise print one loud line per missing peer; the tests that need it skip (or fail under CI=true).
 *
 * And one temporary directory for the whole run: TMPDIR points into it (test workers, the
 * harness's children and the peers they start inherit it, and `os.tmpdir()` reads it), and the
 * teardown removes it. Tests make dozens of `mkdtemp` directories (result files, fake repositories,
 * worktrees) and not every one removes its own: before this, each `npm test` left ~40 directories
 * in /tmp (a machine that ran the suite 26 times held 1,100 of them, 0.9 GB).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_PEERS } from '../scripts/debian-packages.js';
import { hasExecutable } from './peers.js';

export default function setup(): () => void {
  // Peers first: apt drops to its own user, which cannot enter a 0700 directory of root's.
  installPeers();
  const outer = process.env.TMPDIR;
  const runDir = mkdtempSync(join(tmpdir(), 'buflab-test-'));
  process.env.TMPDIR = runDir;
  return () => {
    rmSync(runDir, { recursive: true, force: true });
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
  };
}

function installPeers(): void {
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
