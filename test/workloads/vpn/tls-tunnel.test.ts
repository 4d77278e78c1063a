/**
 * The real OpenVPN 2.6 client through a real tun device against `npm run serve -- vpn --tls`, in a
 * network namespace this test creates and removes (`ip netns add`).
 *
 * Topology: the server and the client both run inside the namespace (`ip netns exec`), with `lo`
 * brought up there, so the stock client config's `remote 127.0.0.1 N` reaches the server without a
 * veth pair and nothing touches the host's own network; the client's tun0 (10.8.0.2/24) lives in
 * the namespace too, and `ping` / `curl` run there against the host at 10.8.0.1 on our stack.
 *
 * Per data cipher: the client connects with `data-ciphers X` (and `tls-version-min 1.3`), `ping -c 20
 * 10.8.0.1` gets 20 replies, a datagram to UDP port 7 comes back, and a 10 MiB `curl http://10.8.0.1/bytes/N` has the sha256 of bytes
 * i mod 256. A client certificate from another CA never gets a tunnel, and the server says why. A
 * second server with `--key-derivation openvpn-prf` makes the same client use the OpenVPN PRF (the
 * path of peers without TLS-EKM) for its data-channel keys. A client with `reneg-sec 4` renegotiates
 * (soft reset, new key id, new TLS session and keys) while pings keep being answered. With
 * `--tls-crypt` the client with the key tunnels and one with another key starts no session.
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
import { nativeAeadBuilt } from '../../stack/crypto/native-available.js';

const IS_ROOT = process.getuid?.() === 0;
// Namespaces and tun devices need root; CI runs as root, so there a non-root run is a failure, not a skip.
if (!IS_ROOT && process.env.CI === 'true') throw new Error('tls-tunnel test: needs root (ip netns, tun) and CI=true forbids skipping it');
if (!IS_ROOT) console.warn('\n!!! SKIPPING the real-openvpn tunnel test: it needs root (ip netns add, /dev/net/tun)\n');
const HAS_PEERS = IS_ROOT && peer('openvpn') && peer('openssl') && peer('curl') && peer('ping') && peer('ip');
const NS = `buflab-vpn-${process.pid}`;
const { startInNs, inNs } = nsCommands(NS);
const PORT = 1194;
const PRF_PORT = 1195;
const TLS_CRYPT_PORT = 1196;
const CURL_BYTES = 10 * 1024 * 1024;
const CIPHERS = ['AES-256-GCM', 'AES-128-GCM', 'CHACHA20-POLY1305'] as const;
/**
 * The main server (the three ciphers, renegotiation, the foreign CA) runs the `native` backend
 * (issue 15); the PRF and --tls-crypt servers run `node`, so both backends meet the real client
 * without a second round of the 10 MiB transfers. Without the addon (outside CI: warned) the main
 * server runs `node` too.
 */
const MAIN_CRYPTO = HAS_PEERS && nativeAeadBuilt() ? 'native' : 'node';


/** Sends one datagram to 10.8.0.1:7 and prints what comes back (exits 1 after 5 s without an answer). */
const UDP_ECHO_CLIENT = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m) => { console.log('echo:' + m.toString()); s.close(); });
s.send('buflab-udp-echo', 7, '10.8.0.1');
setTimeout(() => process.exit(1), 5000).unref();`;





describe.runIf(HAS_PEERS)('real openvpn 2.6 client through tun against serve -- vpn --tls (own network namespace)', () => {
  let pki: TestPki;
  let server: Proc | undefined;
  let prfServer: Proc | undefined;
  let tlsCryptServer: Proc | undefined;
  let tlsCryptKey = '';
  let otherTlsCryptKey = '';

  beforeAll(async () => {
    pki = makeTestPki();
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
    const serve = (port: number, extra: string[]): Proc =>
      startInNs(process.execPath, ['--import', 'tsx', join(process.cwd(), 'harness/cli/serve.ts'), 'vpn', '--tls', '--ca', pki.caFile, '--cert', pki.server.ec.certFile, '--key', pki.server.ec.keyFile, '--port', String(port), ...extra]);
    server = serve(PORT, ['--strategy', 'one-big-struct', '--crypto', MAIN_CRYPTO]);
    // This one sends through node's dgram (the main server, by default, through the addon's sendto).
    prfServer = serve(PRF_PORT, ['--strategy', 'pooled', '--crypto', 'node', '--udp', 'dgram', '--key-derivation', 'openvpn-prf', '--data-ciphers', 'AES-256-GCM']);
    tlsCryptKey = join(pki.dir, 'tls-crypt.key');
    otherTlsCryptKey = join(pki.dir, 'tls-crypt-other.key');
    execFileSync('openvpn', ['--genkey', 'tls-crypt', tlsCryptKey]);
    execFileSync('openvpn', ['--genkey', 'tls-crypt', otherTlsCryptKey]);
    tlsCryptServer = serve(TLS_CRYPT_PORT, ['--strategy', 'uint8array', '--crypto', 'node', '--tls-crypt', tlsCryptKey]);
    for (const p of [server, prfServer, tlsCryptServer]) {
      const up = await waitFor(() => p.out().includes('OpenVPN TLS server on 127.0.0.1'), 30_000);
      if (!up) throw new Error(`server did not start:\n${p.out()}`);
    }
    // Each server says which backend it runs: the one asked for, never a silent substitute.
    expect(server.out()).toContain(`crypto: ${MAIN_CRYPTO.toUpperCase()} (`);
    expect(prfServer.out()).toContain('crypto: NODE (');
    expect(prfServer.out()).toContain('udp: DGRAM (');
    expect(server.out()).toContain(MAIN_CRYPTO === 'native' ? 'udp: NATIVE (' : 'udp: DGRAM (');
  }, 60_000);

  afterAll(async () => {
    await stop(server);
    await stop(prfServer);
    await stop(tlsCryptServer);
    // Removing the namespace also removes any tun device left in it.
    execFileSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
    pki?.cleanup();
  }, 20_000);

  function startClient(cipher: string, cert: { certFile: string; keyFile: string }, port = PORT, extra: string[] = []): { proc: Proc; logFile: string } {
    const config = join(pki.dir, `client-${cipher}.ovpn`);
    const logFile = join(pki.dir, `client-${cipher}-${Date.now()}.log`);
    // A stock client config (the fixed names), plus TLS 1.3 as the minimum: our TLS is 1.3 only.
    writeFileSync(config, ['client', 'dev tun', 'proto udp', `remote 127.0.0.1 ${port}`, `ca ${pki.caFile}`, `cert ${cert.certFile}`, `key ${cert.keyFile}`, `data-ciphers ${cipher}`, 'nobind', 'tls-version-min 1.3', 'verb 3', `log ${logFile}`, ...extra, ''].join('\n'));
    writeFileSync(logFile, '');
    return { proc: startInNs('openvpn', ['--config', config]), logFile };
  }

  for (const cipher of CIPHERS) {
    it(`${cipher} (crypto ${MAIN_CRYPTO}): tunnel up, ping -c 20 10.8.0.1 gets 20 replies, UDP echo, 10 MiB curl has the right sha256`, async () => {
      const { proc, logFile } = startClient(cipher, pki.client);
      try {
        const log = (): string => readFileSync(logFile, 'latin1');
        const up = await waitFor(() => log().includes('Initialization Sequence Completed'), 30_000, 100);
        expect(up, log()).toBe(true);
        expect(log()).toContain(`Data Channel: cipher '${cipher}', peer-id: 0`);
        expect(log()).toContain('protocol-flags tls-ekm');

        const ping = inNs('ping', ['-c', '20', '-i', '0.2', '-W', '2', '10.8.0.1'], 30_000);
        expect(ping).toMatch(/20 packets transmitted, 20 received/);

        // UDP echo on port 7 (RFC 862), from a node process in the namespace.
        const echoed = inNs(process.execPath, ['-e', UDP_ECHO_CLIENT], 10_000);
        expect(echoed.trim()).toBe('echo:buflab-udp-echo');

        const body = execFileSync('ip', ['netns', 'exec', NS, 'curl', '-s', '--fail', '-m', '60', `http://10.8.0.1/bytes/${CURL_BYTES}`], { timeout: 70_000, maxBuffer: 2 * CURL_BYTES });
        expect(body.length).toBe(CURL_BYTES);
        expect(createHash('sha256').update(body).digest('hex')).toBe(expectedSha256(CURL_BYTES));
      } finally {
        await stop(proc);
      }
    }, 150_000);
  }

  it('OpenVPN PRF key derivation (server pushes no tls-ekm): ping and 1 MiB curl through the tunnel', async () => {
    const { proc, logFile } = startClient('AES-256-GCM', pki.client, PRF_PORT);
    try {
      const log = (): string => readFileSync(logFile, 'latin1');
      expect(await waitFor(() => log().includes('Initialization Sequence Completed'), 30_000, 100), log()).toBe(true);
      expect(log()).not.toContain('tls-ekm');
      expect(inNs('ping', ['-c', '5', '-i', '0.2', '-W', '2', '10.8.0.1'], 20_000)).toMatch(/5 packets transmitted, 5 received/);
      const body = execFileSync('ip', ['netns', 'exec', NS, 'curl', '-s', '--fail', '-m', '30', 'http://10.8.0.1/bytes/1048576'], { timeout: 40_000, maxBuffer: 4 << 20 });
      expect(createHash('sha256').update(body).digest('hex')).toBe(expectedSha256(1 << 20));
    } finally {
      await stop(proc);
    }
  }, 90_000);

  it('renegotiation (reneg-sec 4): the client soft-resets to new key ids and the tunnel keeps answering', async () => {
    const { proc, logFile } = startClient('AES-128-GCM', pki.client, PORT, ['reneg-sec 4']);
    try {
      const log = (): string => readFileSync(logFile, 'latin1');
      expect(await waitFor(() => log().includes('Initialization Sequence Completed'), 30_000, 100), log()).toBe(true);
      // 40 pings over 12 s span at least two renegotiations; every one must be answered.
      expect(inNs('ping', ['-c', '40', '-i', '0.3', '-W', '2', '10.8.0.1'], 30_000)).toMatch(/40 packets transmitted, 40 received/);
      expect((log().match(/TLS: soft reset/g) ?? []).length).toBeGreaterThanOrEqual(2);
      expect(log()).not.toMatch(/TLS Error|AUTH_FAILED/);
      const body = execFileSync('ip', ['netns', 'exec', NS, 'curl', '-s', '--fail', '-m', '30', 'http://10.8.0.1/bytes/1048576'], { timeout: 40_000, maxBuffer: 4 << 20 });
      expect(createHash('sha256').update(body).digest('hex')).toBe(expectedSha256(1 << 20));
    } finally {
      await stop(proc);
    }
    await waitFor(() => /renegotiations [1-9]/.test(server!.out()), 10_000, 100);
    expect(server!.out()).toMatch(/renegotiations [1-9]/);
  }, 90_000);

  it('--tls-crypt: a client with the key tunnels; one with another key gets no session and costs no state', async () => {
    const good = startClient('CHACHA20-POLY1305', pki.client, TLS_CRYPT_PORT, [`tls-crypt ${tlsCryptKey}`]);
    try {
      const log = (): string => readFileSync(good.logFile, 'latin1');
      expect(await waitFor(() => log().includes('Initialization Sequence Completed'), 30_000, 100), log()).toBe(true);
      expect(inNs('ping', ['-c', '5', '-i', '0.2', '-W', '2', '10.8.0.1'], 20_000)).toMatch(/5 packets transmitted, 5 received/);
      const body = execFileSync('ip', ['netns', 'exec', NS, 'curl', '-s', '--fail', '-m', '30', 'http://10.8.0.1/bytes/1048576'], { timeout: 40_000, maxBuffer: 4 << 20 });
      expect(createHash('sha256').update(body).digest('hex')).toBe(expectedSha256(1 << 20));
    } finally {
      await stop(good.proc);
    }
    const started = (): number => Number(/sessions started (\d+)/.exec(tlsCryptServer!.out().split('\n').filter((l) => l.startsWith('sessions')).pop() ?? '')?.[1] ?? -1);
    await waitFor(() => started() >= 1, 10_000, 100);
    const before = started();
    const bad = startClient('CHACHA20-POLY1305', pki.client, TLS_CRYPT_PORT, [`tls-crypt ${otherTlsCryptKey}`]);
    try {
      // The server drops every packet on its tag; the report (every 5 s) counts them.
      expect(await waitFor(() => /tls-crypt bad [1-9]/.test(tlsCryptServer!.out()), 15_000, 100), tlsCryptServer!.out()).toBe(true);
      expect(readFileSync(bad.logFile, 'latin1')).not.toContain('Initialization Sequence Completed');
      expect(started()).toBe(before);
    } finally {
      await stop(bad.proc);
    }
  }, 90_000);

  it('a client certificate from another CA gets no tunnel; the server refuses it with unknown_ca', async () => {
    const { proc, logFile } = startClient('AES-256-GCM', pki.otherClient);
    try {
      const log = (): string => readFileSync(logFile, 'latin1');
      // openvpn logs our alert as "Received fatal SSL alert: unknown CA".
      const refused = await waitFor(() => /fatal SSL alert: unknown CA/.test(log()), 20_000, 100);
      expect(refused, log()).toBe(true);
      expect(log()).not.toContain('Initialization Sequence Completed');
      await waitFor(() => server!.out().includes('unknownCa'), 10_000, 100);
      expect(server!.out()).toMatch(/last: TLS: client certificate: certificate chain does not end at a trusted CA \(unknownCa\)/);
    } finally {
      await stop(proc);
    }
  }, 60_000);
});
