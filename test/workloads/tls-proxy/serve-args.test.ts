import { describe, expect, it } from 'vitest';
import { parseTlsServeArgs } from '../../../workloads/tls-proxy/serve.js';

describe('npm run serve -- tls: argument parsing', () => {
  it('parses every flag', () => {
    const o = parseTlsServeArgs(['--port', '0', '--backend', '127.0.0.1:8080', '--cert', 'c.pem', '--key', 'k.pem', '--strategy', 'one-big-struct', '--cipher-suites', 'TLS_CHACHA20_POLY1305_SHA256', '--groups', 'secp256r1', '--alpn', 'h2,http/1.1', '--record-bytes', '1400', '--seconds', '5']);
    expect(o).toEqual({
      port: 0,
      backendHost: '127.0.0.1',
      backendPort: 8080,
      certFile: 'c.pem',
      keyFile: 'k.pem',
      strategy: 'one-big-struct',
      cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'],
      groups: ['secp256r1'],
      alpn: ['h2', 'http/1.1'],
      recordBytes: 1400,
      seconds: 5,
      limits: { maxConnections: 2048, handshakeTimeoutMs: 10_000, idleTimeoutMs: 60_000, maxPendingBytes: 256 * 1024, maxHandshakeMessageBytes: 16 * 1024 },
      statusSeconds: 10,
    });
    const l = parseTlsServeArgs(['--backend', 'h:1', '--max-connections', '10', '--handshake-timeout-ms', '500', '--idle-timeout-ms', '700', '--max-pending-bytes', '65536', '--max-handshake-bytes', '4096', '--status-seconds', '0']);
    expect(l).toMatchObject({ limits: { maxConnections: 10, handshakeTimeoutMs: 500, idleTimeoutMs: 700, maxPendingBytes: 65536, maxHandshakeMessageBytes: 4096 }, statusSeconds: 0 });
    expect(parseTlsServeArgs(['--help'])).toBe('help');
  });

  it('refuses bad input with a usage error that says what to do', () => {
    const bad: [string[], RegExp][] = [
      [[], /--backend HOST:PORT is required/],
      [['--backend', 'nohost'], /expected HOST:PORT/],
      [['--backend', 'h:1', '--cipher-suites', 'TLS_RC4'], /unknown 'TLS_RC4'/],
      [['--backend', 'h:1', '--groups', 'x448'], /unknown 'x448'/],
      [['--backend', 'h:1', '--record-bytes', '20000'], /1-16384/],
      [['--backend', 'h:1', '--cert', 'c.pem'], /--cert and --key go together/],
      [['--backend', 'h:1', '--strategy', 'magic'], /--strategy magic/],
      [['--backend', 'h:1', '--bogus'], /unknown flag --bogus/],
      [['--backend', 'h:1', '--max-connections', '0'], /--max-connections 0: expected an integer 1-/],
      [['--backend', 'h:1', '--max-pending-bytes', '10'], /--max-pending-bytes 10: expected an integer 1024-/],
    ];
    for (const [argv, msg] of bad) expect(() => parseTlsServeArgs(argv)).toThrow(expect.objectContaining({ code: 'E_SERVE_USAGE', message: expect.stringMatching(msg) }));
  });
});
