/**
 * Test certificates made at test time with the `openssl` CLI (a real peer: call only after
 * `peer('openssl')`): a P-256 CA and server certificates for `localhost` / 127.0.0.1 with an ECDSA
 * P-256, Ed25519 or RSA key, plus a second, unrelated CA for unknown-CA tests, and P-256 client
 * certificates (`CN=client`) from each CA (client authentication: OpenVPN's TLS mode).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TestKeyType = 'ec' | 'ed25519' | 'rsa';

export interface TestPki {
  dir: string;
  caPem: string;
  caFile: string;
  otherCaPem: string;
  /** A client certificate from `ca` and one from the unrelated `other-ca`. */
  client: { certFile: string; keyFile: string; certPem: string; keyPem: string };
  otherClient: { certFile: string; keyFile: string; certPem: string; keyPem: string };
  server: Record<TestKeyType, { certPem: string; keyPem: string; certFile: string; keyFile: string }>;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '3', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'], dir);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'buflab-tls-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  const keyArgs: Record<TestKeyType, string[]> = {
    ec: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    ed25519: ['-algorithm', 'ed25519'],
    rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  };
  const server = {} as TestPki['server'];
  for (const t of Object.keys(keyArgs) as TestKeyType[]) {
    openssl(['genpkey', ...keyArgs[t], '-out', `${t}.key`], dir);
    openssl(['req', '-new', '-key', `${t}.key`, '-out', `${t}.csr`, '-subj', '/CN=localhost'], dir);
    openssl(['x509', '-req', '-in', `${t}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${t}.pem`, '-days', '2', '-extfile', 'ext.cnf'], dir);
    server[t] = {
      certPem: readFileSync(join(dir, `${t}.pem`), 'utf8'),
      keyPem: readFileSync(join(dir, `${t}.key`), 'utf8'),
      certFile: join(dir, `${t}.pem`),
      keyFile: join(dir, `${t}.key`),
    };
  }
  writeFileSync(join(dir, 'client.cnf'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  const client = (name: string, ca: string): TestPki['client'] => {
    openssl(['genpkey', ...keyArgs.ec, '-out', `${name}.key`], dir);
    openssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=client'], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', 'client.cnf'], dir);
    return { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`), certPem: readFileSync(join(dir, `${name}.pem`), 'utf8'), keyPem: readFileSync(join(dir, `${name}.key`), 'utf8') };
  };
  return {
    dir,
    client: client('client', 'ca'),
    otherClient: client('other-client', 'other-ca'),
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    otherCaPem: readFileSync(join(dir, 'other-ca.pem'), 'utf8'),
    server,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
