/**
 * The TLS-mode server's protocol hardening against the real OpenVPN 2.6 client through a tun
 * device, in a network namespace this test creates and removes (topology as in ./tls-tunnel.test.ts:
 * servers and clients inside the namespace, `lo` up, the client's tun0 there too).
 *
 * 1. Server-started renegotiation: servers with --reneg-sec 3 (and --tran-window 2), --reneg-bytes
 *    and --reneg-pkts; the client (its own reneg-sec left at 3600) follows every soft reset we send,
 *    pings and a curl through the tunnel keep working across new key ids, the lame duck key expires.
 * 2. --tls-crypt-v2: a client key the server issued tunnels; one issued by another server key starts
 *    nothing (dropped on its wrapped key, counted, no reply, no state).
 * 3. The client's hard reset replayed from another source port is dropped (`reset-replayed`) and the
 *    tunnel survives; a forged reset with a new session id gets a stateless reply and no state; a
 *    made-up cookie is dropped (`cookie-invalid`).
 * 4. The client's captured P_DATA_V2 packets sent again from the tunnel's own address: bit-flipped
 *    (bad tag), unchanged (replay), with another key id (bad key id), cut short — all dropped and
 *    counted, the tunnel keeps answering.
 * 5. Half-open handshakes from other source addresses fill the per-source limit and the session
 *    limit (counted refusals in the status line) while the real client's tunnel comes up and stays up.
 *
 * Traffic is relayed by ./udp-tamper-relay.ts (a helper process in the namespace), which captures
 * the client's datagrams and forges from them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../peers.js';
import { makeTestPki, type TestPki } from '../../stack/tls/test-pki.js';
import { waitFor } from '../../wait-for.js';
import { expectedSha256, nsCommands, stop, type Proc } from './netns-procs.js';

const IS_ROOT = process.getuid?.() === 0;
if (!IS_ROOT && process.env.CI === 'true') throw new Error('tls-hardening test: needs root (ip netns, tun) and CI=true forbids skipping it');
if (!IS_ROOT) console.warn('\n!!! SKIPPING the real-openvpn hardening test: it needs root (ip netns add, /dev/net/tun)\n');
const HAS_PEERS = IS_ROOT && peer('openvpn') && peer('openssl') && peer('curl') && peer('ping') && peer('ip');
const NS = `buflab-vpnh-${process.pid}`;
const { startInNs, inNs } = nsCommands(NS);
const RENEG_SEC_PORT = 1194;
const RENEG_BYTES_PORT = 1195;
const RENEG_PKTS_PORT = 1196;
const V2_PORT = 1197;
const GUARD_PORT = 1198;
const RELAY_PORT = 1298;






function curlSha256(bytes: number): string {
  const body = execFileSync('ip', ['netns', 'exec', NS, 'curl', '-s', '--fail', '-m', '60', `http://10.8.0.1/bytes/${bytes}`], { timeout: 70_000, maxBuffer: 2 * bytes + 1024 });
  expect(body.length).toBe(bytes);
  return createHash('sha256').update(body).digest('hex');
}

/** The newest status line of a server (printed every 5 s). */
function status(p: Proc): string {
  return p.out().split('\n').filter((l) => l.startsWith('sessions started')).pop() ?? '';
}

/**
 * `count` pings to 10.8.0.1 from the client's namespace, every one answered. On a loss the message
 * carries what would say why: the client's log tail and the server's newest status line (key ids,
 * renegotiations, drops by reason).
 */
function expectAllPings(count: number, intervalS: string, client: { log: () => string }, server: Proc, timeoutMs = 20_000): void {
  const out = inNs('ping', ['-c', String(count), '-i', intervalS, '-W', '2', '10.8.0.1'], timeoutMs);
  expect(out, `client log (tail):\n${client.log().slice(-3000)}\nserver status: ${status(server)}`).toMatch(new RegExp(`${count} packets transmitted, ${count} received`));
}

/** A counter of the newest status line, by the words before it (−1 when absent). */
function counter(p: Proc, name: string): number {
  const m = new RegExp(`${name.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')} (\\d+)`).exec(status(p));
  return m === null ? -1 : Number(m[1]);
}

/** Waits for the status line to show `name` at least `atLeast` (a status line comes every 5 s). */
async function counterReaches(p: Proc, name: string, atLeast: number, timeoutMs = 15_000): Promise<number> {
  await waitFor(() => counter(p, name) >= atLeast, timeoutMs, 100);
  return counter(p, name);
}

describe.runIf(HAS_PEERS)('real openvpn 2.6 client against serve -- vpn --tls: renegotiation, tls-crypt-v2, replays, limits (own network namespace)', () => {
  let pki: TestPki;
  const servers: Proc[] = [];
  let renegSec: Proc;
  let renegBytes: Proc;
  let renegPkts: Proc;
  let v2: Proc;
  let guard: Proc;
  let v2ServerKey = '';
  let v2ClientKey = '';
  let v2ForeignClientKey = '';

  beforeAll(async () => {
    pki = makeTestPki();
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
    v2ServerKey = join(pki.dir, 'tc2-server.key');
    const otherServerKey = join(pki.dir, 'tc2-other-server.key');
    v2ClientKey = join(pki.dir, 'tc2-client.key');
    v2ForeignClientKey = join(pki.dir, 'tc2-foreign-client.key');
    execFileSync('openvpn', ['--genkey', 'tls-crypt-v2-server', v2ServerKey]);
    execFileSync('openvpn', ['--genkey', 'tls-crypt-v2-server', otherServerKey]);
    execFileSync('openvpn', ['--tls-crypt-v2', v2ServerKey, '--genkey', 'tls-crypt-v2-client', v2ClientKey]);
    execFileSync('openvpn', ['--tls-crypt-v2', otherServerKey, '--genkey', 'tls-crypt-v2-client', v2ForeignClientKey]);
    const serve = (port: number, extra: string[]): Proc => {
      const p = startInNs(process.execPath, ['--import', 'tsx', join(process.cwd(), 'harness/cli/serve.ts'), 'vpn', '--tls', '--ca', pki.caFile, '--cert', pki.server.ec.certFile, '--key', pki.server.ec.keyFile, '--port', String(port), ...extra]);
      servers.push(p);
      return p;
    };
    renegSec = serve(RENEG_SEC_PORT, ['--strategy', 'one-big-struct', '--reneg-sec', '3', '--tran-window', '2']);
    renegBytes = serve(RENEG_BYTES_PORT, ['--strategy', 'pooled', '--reneg-bytes', '3000000']);
    renegPkts = serve(RENEG_PKTS_PORT, ['--strategy', 'uint8array', '--reneg-pkts', '400']);
    v2 = serve(V2_PORT, ['--strategy', 'pooled', '--tls-crypt-v2', v2ServerKey]);
    guard = serve(GUARD_PORT, ['--strategy', 'one-big-struct', '--max-handshakes-per-source', '3', '--max-sessions', '8']);
    for (const p of servers) {
      const up = await waitFor(() => p.out().includes('OpenVPN TLS server on 127.0.0.1'), 30_000);
      if (!up) throw new Error(`server did not start:\n${p.out()}`);
    }
  }, 60_000);

  afterAll(async () => {
    for (const p of servers) await stop(p);
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    pki?.cleanup();
  }, 30_000);

  function startClient(name: string, port: number, extra: string[] = []): { proc: Proc; log: () => string } {
    const config = join(pki.dir, `client-${name}.ovpn`);
    const logFile = join(pki.dir, `client-${name}-${Date.now()}.log`);
    writeFileSync(config, ['client', 'dev tun', 'proto udp', `remote 127.0.0.1 ${port}`, `ca ${pki.caFile}`, `cert ${pki.client.certFile}`, `key ${pki.client.keyFile}`, 'data-ciphers AES-256-GCM:CHACHA20-POLY1305', 'nobind', 'tls-version-min 1.3', 'verb 3', `log ${logFile}`, ...extra, ''].join('\n'));
    writeFileSync(logFile, '');
    return { proc: startInNs('openvpn', ['--config', config]), log: () => readFileSync(logFile, 'latin1') };
  }

  async function up(c: { log: () => string }): Promise<void> {
    expect(await waitFor(() => c.log().includes('Initialization Sequence Completed'), 30_000, 100), c.log()).toBe(true);
  }

  it('server-started renegotiation (--reneg-sec 3, --tran-window 2): the client follows each soft reset, 40 pings over 12 s all answered, lame ducks expire', async () => {
    const c = startClient('reneg-sec', RENEG_SEC_PORT);
    try {
      await up(c);
      expectAllPings(40, '0.3', c, renegSec, 30_000);
      expect(curlSha256(1 << 20)).toBe(expectedSha256(1 << 20));
      expect(await counterReaches(renegSec, 'server renegotiations', 3)).toBeGreaterThanOrEqual(3);
      expect(counter(renegSec, 'by-sec')).toBeGreaterThanOrEqual(3);
      // Each renegotiation we started was finished by the client (a new key made and installed).
      expect(counter(renegSec, 'renegotiations')).toBeGreaterThanOrEqual(counter(renegSec, 'server renegotiations') - 1);
      expect(counter(renegSec, 'lame ducks expired')).toBeGreaterThanOrEqual(1);
      // The client ran a new TLS handshake for each of our soft resets (its own reneg-sec is 3600 s) and never failed.
      expect((c.log().match(/Control Channel: TLSv1\.3/g) ?? []).length).toBeGreaterThanOrEqual(4);
      expect(c.log()).not.toMatch(/TLS Error|AUTH_FAILED|SIGUSR1/);
      expect(counter(renegSec, 'sessions started')).toBe(1);
    } finally {
      await stop(c.proc);
    }
  }, 90_000);

  it('--reneg-bytes 3000000: a 10 MiB curl crosses several renegotiations and keeps its sha256', async () => {
    const c = startClient('reneg-bytes', RENEG_BYTES_PORT);
    try {
      await up(c);
      expect(curlSha256(10 << 20)).toBe(expectedSha256(10 << 20));
      expect(await counterReaches(renegBytes, 'by-bytes', 3)).toBeGreaterThanOrEqual(3);
      expect(counter(renegBytes, 'by-sec')).toBe(0);
      expectAllPings(5, '0.2', c, renegBytes);
      expect(c.log()).not.toMatch(/TLS Error|AUTH_FAILED|SIGUSR1/);
    } finally {
      await stop(c.proc);
    }
  }, 120_000);

  it('--reneg-pkts 400: a 2 MiB curl and pings cross renegotiations started by packet count', async () => {
    const c = startClient('reneg-pkts', RENEG_PKTS_PORT);
    try {
      await up(c);
      expect(curlSha256(2 << 20)).toBe(expectedSha256(2 << 20));
      // A key's packet count starts at zero when its successor is installed, after a TLS handshake
      // with the client. On a loaded machine (the CI's parallel tests) the 2 MiB (~2,200 packets)
      // can be through before the first handshake ends; the new key then carries fewer than 400
      // packets and the count stays at 1 (as in a CI run of 2026-12-04). So more checked downloads until the second
      // renegotiation by packets shows in the status line (every 5 s), three at most.
      let byPkts = await counterReaches(renegPkts, 'by-pkts', 2, 6_000);
      for (let more = 0; byPkts < 2 && more < 3; more++) {
        expect(curlSha256(1 << 20)).toBe(expectedSha256(1 << 20));
        byPkts = await counterReaches(renegPkts, 'by-pkts', 2, 6_000);
      }
      expect(byPkts, `server status: ${status(renegPkts)}`).toBeGreaterThanOrEqual(2);
      expectAllPings(5, '0.2', c, renegPkts);
      expect(c.log()).not.toMatch(/TLS Error|AUTH_FAILED|SIGUSR1/);
    } finally {
      await stop(c.proc);
    }
  }, 120_000);

  it('--tls-crypt-v2: a client key the server issued tunnels; one from another server key gets no reply and no state', async () => {
    const good = startClient('tc2-good', V2_PORT, [`tls-crypt-v2 ${v2ClientKey}`]);
    try {
      await up(good);
      expectAllPings(5, '0.2', good, v2);
      expect(curlSha256(1 << 20)).toBe(expectedSha256(1 << 20));
      // The session came through our stateless reset with the resend-WKc flag (P_CONTROL_WKC_V1).
      expect(await counterReaches(v2, 'stateless resets', 1)).toBeGreaterThanOrEqual(1);
    } finally {
      await stop(good.proc);
    }
    expect(await counterReaches(v2, 'sessions started', 1)).toBe(1);
    const resetsBefore = counter(v2, 'stateless resets');
    const bad = startClient('tc2-foreign', V2_PORT, [`tls-crypt-v2 ${v2ForeignClientKey}`]);
    try {
      expect(await counterReaches(v2, 'bad-wkc', 2)).toBeGreaterThanOrEqual(2);
      expect(bad.log()).not.toContain('Initialization Sequence Completed');
      expect(counter(v2, 'sessions started')).toBe(1);
      expect(counter(v2, 'stateless resets')).toBe(resetsBefore);
      expect(counter(v2, 'handshakes in progress')).toBe(0);
    } finally {
      await stop(bad.proc);
    }
  }, 90_000);

  it('replayed and spoofed resets, tampered, replayed and mis-keyed data packets, half-open floods: all dropped and counted, the tunnel survives', async () => {
    const relay = startInNs(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/workloads/vpn/udp-tamper-relay.ts'), 'relay', String(RELAY_PORT), String(GUARD_PORT)], 'pipe');
    servers.push(relay);
    const lines = (): string[] => relay.out().split('\n');
    const command = async (cmd: string): Promise<string> => {
      const before = lines().filter((l) => l.startsWith('ok ')).length;
      relay.child.stdin!.write(`${cmd}\n`);
      expect(await waitFor(() => lines().filter((l) => l.startsWith('ok ')).length > before, 5_000, 20), relay.out()).toBe(true);
      return lines().filter((l) => l.startsWith('ok ')).pop()!;
    };
    const halfOpen = (address: string, count: number): string => inNs(process.execPath, ['--import', 'tsx', join(process.cwd(), 'test/workloads/vpn/udp-tamper-relay.ts'), 'half-open', String(GUARD_PORT), address, String(count)], 30_000);
    expect(await waitFor(() => relay.out().includes('ok relay'), 20_000), relay.out()).toBe(true);

    // 5 (per source): 5 half-open handshakes from 127.0.0.2 — 3 admitted, 2 refused.
    expect(halfOpen('127.0.0.2', 5)).toContain('ok half-open replies 5');
    expect(await counterReaches(guard, 'limit per-source', 2)).toBe(2);
    expect(counter(guard, 'handshakes in progress')).toBe(3);

    // The real client (from 127.0.0.1, through the relay) is not held back by 127.0.0.2's handshakes.
    const c = startClient('guarded', RELAY_PORT);
    try {
      await up(c);
      expectAllPings(10, '0.2', c, guard);

      // 3: the client's own reset from another port — dropped, no reply; a forged new reset — a
      // stateless reply and no state; a made-up cookie — dropped.
      expect(await command('replay-reset')).toBe('ok replay-reset sent reply none');
      expect(await command('forge-reset')).toMatch(/^ok forge-reset reply \d+$/);
      expect(await command('bad-cookie')).toBe('ok bad-cookie sent');
      // 4: the client's captured data packets, forged from the tunnel's own address.
      expect(await command('flip 20')).toBe('ok flip 20');
      expect(await command('replay 20')).toBe('ok replay 20');
      expect(await command('keyid 20')).toBe('ok keyid 20');
      expect(await command('short 5')).toBe('ok short 5');

      expect(await counterReaches(guard, 'reset-replayed', 1)).toBe(1);
      expect(await counterReaches(guard, 'cookie-invalid', 1)).toBe(1);
      // Each waits for a status line (printed every 5 s) that has seen its packets: one printed
      // between the flipped and the short packets shows 'tag 20' and 'too-short 0' (seen in CI).
      expect(await counterReaches(guard, 'drops tag', 20)).toBe(20);
      expect(await counterReaches(guard, 'replay', 20)).toBeGreaterThanOrEqual(20);
      expect(await counterReaches(guard, 'bad-key-id', 20)).toBe(20);
      expect(await counterReaches(guard, 'too-short', 5)).toBe(5);
      expect(counter(guard, 'handshakes in progress')).toBe(3);

      // 5 (sessions): 8 slots, 4 taken (3 half-open + the tunnel); 3 from 127.0.0.3 fit, of 3 from
      // 127.0.0.4 one fits and two are refused.
      expect(halfOpen('127.0.0.3', 3)).toContain('ok half-open replies 3');
      expect(halfOpen('127.0.0.4', 3)).toContain('ok half-open replies 3');
      expect(await counterReaches(guard, 'limit sessions', 2)).toBe(2);
      expect(counter(guard, 'handshakes in progress')).toBe(7);

      // The tunnel survived all of it: same session, no replacement, still answering.
      expectAllPings(10, '0.2', c, guard);
      expect(curlSha256(1 << 20)).toBe(expectedSha256(1 << 20));
      expect(counter(guard, 'established')).toBe(1);
      expect(status(guard)).toMatch(/closed 0/);
      expect(c.log()).not.toMatch(/TLS Error|SIGUSR1|SIGHUP/);
    } finally {
      await stop(c.proc);
    }
  }, 150_000);
});
