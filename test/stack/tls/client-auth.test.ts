/**
 * Our TLS 1.3 server requiring client certificates (RFC 8446 §4.3.2, §4.4.2.4) and its §7.5
 * exporter, against node:tls (OpenSSL) as the client: the handshake completes with a certificate
 * from the trusted CA, both ends export the same keying material (OpenVPN's TLS-EKM label), and a
 * certificate from another CA or none at all is refused with the RFC's alert.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { loadServerCredentials } from '../../../stack/tls/certificates.js';
import { TlsConnection, type TlsCloseInfo } from '../../../stack/tls/connection.js';
import { ALERT } from '../../../stack/tls/wire.js';
import { peer } from '../../peers.js';
import { makeTestPki, type TestPki } from './test-pki.js';

const HAS_OPENSSL = peer('openssl');
const LABEL = 'EXPORTER-OpenVPN-datakeys';

interface Served {
  server: Server;
  port: number;
  conns: TlsConnection[];
  closes: TlsCloseInfo[];
}

async function serve(pki: TestPki): Promise<Served> {
  const conns: TlsConnection[] = [];
  const closes: TlsCloseInfo[] = [];
  const server = createServer((sock: Socket) => {
    const conn = new TlsConnection(
      { role: 'server', credentials: loadServerCredentials(pki.server.ec.certPem, pki.server.ec.keyPem), clientCa: [new X509Certificate(pki.caPem)] },
      {
        strategy: makeStrategy('pooled'),
        output: (b, s, e) => void sock.write(Buffer.from(b.subarray(s, e))),
        // Echo: proves application data flows both ways after client authentication.
        onData: (b, s, e) => conn.write(b, s, e),
        onClose: (info) => {
          closes.push(info);
          sock.end();
        },
      },
    );
    conns.push(conn);
    sock.on('data', (d: Buffer) => conn.receive(d, 0, d.length));
    sock.on('error', () => sock.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { server, port: addr.port, conns, closes };
}

function connect(port: number, pki: TestPki, client: { certFile: string; keyFile: string } | null): Promise<{ sock: TLSSocket; error: Error | null; echoed: string }> {
  return new Promise((resolve) => {
    let echoed = '';
    let error: Error | null = null;
    const sock = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: pki.caPem,
      minVersion: 'TLSv1.3',
      ...(client === null ? {} : { cert: readFileSync(client.certFile, 'utf8'), key: readFileSync(client.keyFile, 'utf8') }),
    });
    sock.on('secureConnect', () => sock.write('hello'));
    sock.on('data', (d: Buffer) => {
      echoed += d.toString();
      if (echoed === 'hello') resolve({ sock, error, echoed });
    });
    sock.on('error', (e) => {
      error = e;
      resolve({ sock, error, echoed });
    });
    sock.on('close', () => resolve({ sock, error, echoed }));
  });
}

describe.runIf(HAS_OPENSSL)('TLS 1.3 server with client certificates, against node:tls', () => {
  let pki: TestPki;
  let s: Served;
  beforeAll(async () => {
    pki = makeTestPki();
    s = await serve(pki);
  });
  afterAll(async () => {
    await new Promise<void>((r) => s?.server.close(() => r()));
    pki?.cleanup();
  });

  it('accepts a certificate from the trusted CA; both ends export the same keying material (RFC 8446 §7.5)', async () => {
    const r = await connect(s.port, pki, pki.client);
    expect(r.error).toBeNull();
    expect(r.echoed).toBe('hello');
    const ours = s.conns[s.conns.length - 1]!;
    expect(ours.peerCertificate?.subject).toBe('CN=client');
    // Without a context argument, as OpenVPN calls SSL_export_keying_material (use_context = 0);
    // node's typings demand one, its implementation does not.
    const exportNoContext = r.sock.exportKeyingMaterial.bind(r.sock) as (length: number, label: string) => Buffer;
    const theirs = new Uint8Array(exportNoContext(256, LABEL));
    expect(Buffer.from(ours.exportKeyingMaterial(LABEL, new Uint8Array(0), 256)).toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
    // Another label gives other bytes (the label is really mixed in).
    expect(Buffer.from(ours.exportKeyingMaterial('EXPORTER-other', new Uint8Array(0), 32))).not.toEqual(Buffer.from(theirs.subarray(0, 32)));
    r.sock.destroy();
  });

  it('refuses a certificate from another CA with unknown_ca', async () => {
    const before = s.closes.length;
    const r = await connect(s.port, pki, pki.otherClient);
    expect(r.echoed).toBe('');
    await waitUntil(() => s.closes.length > before);
    expect(s.closes[before]).toMatchObject({ byPeer: false, alert: ALERT.unknownCa });
    r.sock.destroy();
  });

  it('refuses a client without a certificate with certificate_required (§4.4.2.4)', async () => {
    const before = s.closes.length;
    const r = await connect(s.port, pki, null);
    expect(r.echoed).toBe('');
    await waitUntil(() => s.closes.length > before);
    expect(s.closes[before]).toMatchObject({ byPeer: false, alert: ALERT.certificateRequired });
    r.sock.destroy();
  });

  it('exportKeyingMaterial before the handshake is a typed error', () => {
    const conn = new TlsConnection({ role: 'server', credentials: loadServerCredentials(pki.server.ec.certPem, pki.server.ec.keyPem) }, { strategy: makeStrategy('pooled'), output: () => undefined, onData: () => undefined });
    expect(() => conn.exportKeyingMaterial(LABEL, new Uint8Array(0), 16)).toThrow(expect.objectContaining({ code: 'E_TLS_STATE' }));
  });
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}
