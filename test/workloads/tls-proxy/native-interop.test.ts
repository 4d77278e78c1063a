/**
 * Our TLS proxy with the `native` crypto backend (issue 15) against peers no one here wrote:
 * `openssl s_client` for every cipher suite, and a node:tls client moving 256 KiB both ways through
 * the proxy to a pipe backend, over real loopback TCP.
 */
import { createHash } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerCredentials } from '../../../stack/tls/certificates.js';
import { CIPHER_SUITE_NAMES } from '../../../stack/tls/key-schedule.js';
import { startTlsProxy, type RunningProxy } from '../../../workloads/tls-proxy/serve.js';
import { peer } from '../../peers.js';
import { nativeAeadBuilt } from '../../stack/crypto/native-available.js';
import { makeTestPki, type TestPki } from '../../stack/tls/test-pki.js';
import { run, startEchoBackend, startPipeBackend } from './net-helpers.js';

const HAS_OPENSSL = peer('openssl');

describe.runIf(HAS_OPENSSL && nativeAeadBuilt())('TLS proxy on the native backend against openssl s_client and node:tls', () => {
  let pki: TestPki;
  let echo: Awaited<ReturnType<typeof startEchoBackend>>;
  let pipe: Awaited<ReturnType<typeof startPipeBackend>>;
  const proxies: RunningProxy[] = [];

  async function proxy(backendPort: number): Promise<RunningProxy> {
    const p = await startTlsProxy({
      port: 0,
      backendHost: '127.0.0.1',
      backendPort,
      credentials: loadServerCredentials(pki.server.ec.certPem, pki.server.ec.keyPem),
      strategy: 'one-big-struct',
      cipherSuites: [...CIPHER_SUITE_NAMES],
      groups: ['x25519', 'secp256r1'],
      alpn: [],
      recordBytes: 16384,
      crypto: 'native',
    });
    proxies.push(p);
    return p;
  }

  beforeAll(async () => {
    pki = makeTestPki();
    echo = await startEchoBackend();
    pipe = await startPipeBackend();
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    echo?.server.close();
    pipe?.server.close();
    pki?.cleanup();
  });

  for (const suite of CIPHER_SUITE_NAMES) {
    it(`openssl s_client -> our proxy (native) -> backend: ${suite}`, async () => {
      const p = await proxy(echo.port);
      const r = await run(
        'openssl',
        ['s_client', '-tls1_3', '-connect', `127.0.0.1:${p.port}`, '-CAfile', pki.caFile, '-servername', 'localhost', '-verify_return_error', '-ign_eof', '-ciphersuites', suite],
        `hello ${suite}\n`,
      );
      expect(r.stdout).toContain(`echo:hello ${suite}`);
      expect(r.stdout).toContain(`Cipher is ${suite}`);
      expect(r.stdout).toContain('Verify return code: 0 (ok)');
      expect(p.counters.handshakes).toBe(1);
    });
  }

  it('node:tls client -> our proxy (native) -> pipe backend: 256 KiB come back intact', async () => {
    const p = await proxy(pipe.port);
    const data = Buffer.alloc(256 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 8)) & 0xff;
    const got = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let n = 0;
      const s = tlsConnect({ host: '127.0.0.1', port: p.port, ca: pki.caPem, servername: 'localhost', minVersion: 'TLSv1.3' }, () => s.write(data));
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        n += d.length;
        if (n >= data.length) {
          s.destroy();
          resolve(Buffer.concat(chunks));
        }
      });
      s.once('error', reject);
      setTimeout(() => reject(new Error(`timed out with ${n} of ${data.length} bytes back`)), 15_000).unref();
    });
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    expect(got.length).toBe(data.length);
    expect(sha(got)).toBe(sha(data));
    expect(p.counters.bytesToBackend).toBe(data.length);
  });
});
