/**
 * Our TLS 1.3 stack against peers no one here wrote: `openssl s_client` / `s_server` and node:tls,
 * over real loopback TCP with certificates made at test time by the openssl CLI.
 */
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerCredentials } from '../../../stack/tls/certificates.js';
import { CIPHER_SUITE_NAMES } from '../../../stack/tls/key-schedule.js';
import { ALERT } from '../../../stack/tls/wire.js';
import { startTlsProxy, type RunningProxy } from '../../../workloads/tls-proxy/serve.js';
import { peer } from '../../peers.js';
import { waitFor } from '../../wait-for.js';
import { makeTestPki, type TestKeyType, type TestPki } from '../../stack/tls/test-pki.js';
import { freePort, ourClient, run, startEchoBackend, startPipeBackend, startUntil } from './net-helpers.js';

const HAS_OPENSSL = peer('openssl');

describe.runIf(HAS_OPENSSL)('TLS proxy and client against openssl and node:tls', () => {
  let pki: TestPki;
  let backend: Awaited<ReturnType<typeof startEchoBackend>>;
  const proxies: RunningProxy[] = [];

  let pipeBackend: Awaited<ReturnType<typeof startPipeBackend>>;

  async function proxy(keyType: TestKeyType = 'ec', groups: ('x25519' | 'secp256r1')[] = ['x25519', 'secp256r1'], strategy = 'pooled', backendPort = backend.port): Promise<RunningProxy> {
    const p = await startTlsProxy({
      port: 0,
      backendHost: '127.0.0.1',
      backendPort,
      credentials: loadServerCredentials(pki.server[keyType].certPem, pki.server[keyType].keyPem),
      strategy,
      cipherSuites: [...CIPHER_SUITE_NAMES],
      groups,
      alpn: [],
      recordBytes: 16384,
    });
    proxies.push(p);
    return p;
  }

  function proxyTo(backendPort: number, strategy: string): Promise<RunningProxy> {
    return proxy('ec', ['x25519'], strategy, backendPort);
  }

  function sClient(port: number, extra: string[], input: string): ReturnType<typeof run> {
    return run('openssl', ['s_client', '-tls1_3', '-connect', `127.0.0.1:${port}`, '-CAfile', pki.caFile, '-servername', 'localhost', '-verify_return_error', '-ign_eof', ...extra], input);
  }

  beforeAll(async () => {
    pki = makeTestPki();
    backend = await startEchoBackend();
    pipeBackend = await startPipeBackend();
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    backend?.server.close();
    pipeBackend?.server.close();
    pki?.cleanup();
  });

  for (const suite of CIPHER_SUITE_NAMES) {
    for (const [group, opensslGroup] of [['x25519', 'X25519'], ['secp256r1', 'P-256']] as const) {
      it(`openssl s_client -> our proxy -> backend: ${suite}, ${group}`, async () => {
        const p = await proxy();
        const r = await sClient(p.port, ['-ciphersuites', suite, '-groups', opensslGroup], `hello ${suite}\n`);
        expect(r.stdout).toContain(`echo:hello ${suite}`);
        expect(r.stdout).toContain(`Cipher is ${suite}`);
        expect(r.stdout).toContain('Verify return code: 0 (ok)');
        expect(r.stdout).toContain(group === 'x25519' ? 'Server Temp Key: X25519' : 'Server Temp Key: ECDH, prime256v1');
        expect(p.counters.handshakes).toBe(1);
      });
    }
  }

  for (const keyType of ['ed25519', 'rsa'] as const) {
    it(`openssl s_client verifies our ${keyType} CertificateVerify`, async () => {
      const p = await proxy(keyType);
      const r = await sClient(p.port, [], 'ping\n');
      expect(r.stdout).toContain('echo:ping');
      expect(r.stdout).toContain(keyType === 'rsa' ? 'Peer signature type: RSA-PSS' : 'Peer signature type: ed25519');
    });
  }

  it('padded records from openssl (-record_padding 512) are accepted', async () => {
    const p = await proxy();
    const r = await sClient(p.port, ['-record_padding', '512'], 'padded\n');
    expect(r.stdout).toContain('echo:padded');
    await waitFor(() => p.counters.paddedRecordsIn >= 1, 5_000);
    expect(p.counters.paddedRecordsIn).toBeGreaterThanOrEqual(1);
  });

  it('HelloRetryRequest: s_client shares X25519, the proxy wants secp256r1', async () => {
    const p = await proxy('ec', ['secp256r1']);
    const r = await sClient(p.port, ['-groups', 'X25519:P-256'], 'hrr\n');
    expect(r.stdout).toContain('echo:hrr');
    expect(r.stdout).toContain('Server Temp Key: ECDH, prime256v1');
  });

  it("KeyUpdate from openssl (s_client's K command asks us to update too): data still flows", async () => {
    const p = await proxy();
    // s_client reads commands only without -ign_eof; stdin stays open until the echo is back.
    const r = await run('openssl', ['s_client', '-tls1_3', '-connect', `127.0.0.1:${p.port}`, '-CAfile', pki.caFile, '-servername', 'localhost'], [
      [300, 'K\n'],
      [300, 'after key update\n'],
      [700, ''],
    ]);
    expect(r.stdout + r.stderr).toContain('KEYUPDATE');
    expect(r.stdout).toContain('echo:after key update');
  });

  it('unknown CA: s_client refuses our proxy when given another CA', async () => {
    const p = await proxy();
    const r = await run('openssl', ['s_client', '-tls1_3', '-connect', `127.0.0.1:${p.port}`, '-CAfile', pki.server.rsa.certFile, '-servername', 'localhost', '-verify_return_error'], 'x\n');
    expect(r.stdout + r.stderr).toMatch(/unable to get local issuer certificate|verify error/);
    expect(r.stdout).not.toContain('echo:x');
    // s_client sends its unknown_ca alert before switching keys (plaintext); the proxy hears it.
    await waitFor(() => p.counters.alertsReceived >= 1, 5_000);
    expect(p.counters.alertsReceived).toBe(1);
  });

  for (const suite of CIPHER_SUITE_NAMES) {
    it(`our client -> openssl s_server -www: ${suite}`, async () => {
      const port = await freePort();
      const srv = await startUntil('openssl', ['s_server', '-tls1_3', '-accept', String(port), '-cert', pki.server.ec.certFile, '-key', pki.server.ec.keyFile, '-www', '-naccept', '1', '-ciphersuites', suite], /ACCEPT/);
      try {
        const r = await ourClient(port, pki.caPem, 'GET / HTTP/1.0\r\n\r\n', { cipherSuites: [suite] });
        expect(r.handshake).toBe(true);
        expect(r.cipherSuite).toBe(suite);
        expect(r.data).toContain('HTTP/1.0 200 ok');
        expect(r.data).toContain(`Cipher is ${suite}`);
      } finally {
        srv.proc.kill();
      }
    });
  }

  it('our client -> openssl s_server that wants P-256: HelloRetryRequest', async () => {
    const port = await freePort();
    const srv = await startUntil('openssl', ['s_server', '-tls1_3', '-accept', String(port), '-cert', pki.server.ed25519.certFile, '-key', pki.server.ed25519.keyFile, '-www', '-naccept', '1', '-groups', 'P-256'], /ACCEPT/);
    try {
      const r = await ourClient(port, pki.caPem, 'GET / HTTP/1.0\r\n\r\n', { groups: ['x25519', 'secp256r1'] });
      expect(r.helloRetryRequests).toBe(1);
      expect(r.group).toBe('secp256r1');
      expect(r.data).toContain('HTTP/1.0 200 ok');
    } finally {
      srv.proc.kill();
    }
  });

  it('node:tls client -> our proxy', async () => {
    const p = await proxy('rsa');
    const got = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: p.port, ca: pki.caPem, servername: 'localhost', minVersion: 'TLSv1.3' }, () => s.write('from node'));
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('end', () => resolve(data));
      s.on('error', reject);
    });
    expect(got).toBe('echo:from node');
  });

  it('our client -> node:tls server, with ALPN', async () => {
    const server = createTlsServer({ cert: pki.server.ec.certPem, key: pki.server.ec.keyPem, minVersion: 'TLSv1.3', ALPNProtocols: ['h2', 'buflab'] }, (s) => {
      s.on('data', (d) => s.end(`node saw ${d} via ${s.alpnProtocol}`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await ourClient(port, pki.caPem, 'ping', { alpn: ['buflab'] });
      expect(r.data).toBe('node saw ping via buflab');
      expect(r.closes[0]?.alert).toBe(0);
    } finally {
      server.close();
    }
  });

  it('wrong host name and unknown CA fail verification against the proxy', async () => {
    const p = await proxy();
    const wrong = await ourClient(p.port, pki.caPem, 'x', { serverName: 'not-localhost.example' });
    expect(wrong.handshake).toBe(false);
    expect(wrong.closes[0]).toMatchObject({ byPeer: false, alert: ALERT.badCertificate });
    const unknown = await ourClient(p.port, pki.otherCaPem, 'x');
    expect(unknown.closes[0]).toMatchObject({ byPeer: false, alert: ALERT.unknownCa });
    // the proxy heard both alerts
    await waitFor(() => p.counters.alertsReceived >= 2, 5_000);
    expect(p.counters.alertsReceived).toBe(2);
  });

  it('a corrupted record in flight -> the proxy answers bad_record_mac and closes', async () => {
    const p = await proxy();
    const r = await ourClient(p.port, pki.caPem, 'this record gets a bit flipped', {}, true);
    expect(r.handshake).toBe(true);
    expect(r.data).toBe('');
    expect(r.closes[0]).toMatchObject({ byPeer: true, alert: ALERT.badRecordMac });
    expect(p.counters.alertsSent).toBe(1);
  });

  for (const strategy of ['uint8array', 'one-big-struct', 'poisoning']) {
    it(`round trip through the proxy under ${strategy}`, async () => {
      const p = await proxyTo(pipeBackend.port, strategy);
      const big = Array.from({ length: 40_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
      const r = await ourClient(p.port, pki.caPem, big, { maxFragmentBytes: 1000 }, false, big.length);
      expect(r.data.length).toBe(big.length);
      expect(r.data === big).toBe(true);
      expect(r.closes.map((c) => [c.byPeer, c.alert])).toEqual([[true, 0]]);
    });
  }

  it('npm run serve -- tls: the CLI listens and proxies', async () => {
    // node itself (not npx) so that the PID we signal is the server's own.
    const srv = await startUntil(process.execPath, ['--import', 'tsx', 'harness/cli/serve.ts', 'tls', '--port', '0', '--backend', `127.0.0.1:${backend.port}`, '--cert', pki.server.ec.certFile, '--key', pki.server.ec.keyFile, '--seconds', '20'], /listening on 127\.0\.0\.1:(\d+)/, 30_000);
    try {
      const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(srv.output())![1]);
      const r = await sClient(port, [], 'via cli\n');
      expect(r.stdout).toContain('echo:via cli');
    } finally {
      const exited = new Promise((res) => srv.proc.once('exit', res));
      srv.proc.kill('SIGTERM');
      await exited; // SIGTERM stops the proxy and the process ends on its own
    }
    expect(srv.output()).toMatch(/tls-proxy: stopped; \{"connections":1,.*"handshakes":1/);
  });
});
