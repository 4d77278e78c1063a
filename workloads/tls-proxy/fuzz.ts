/**
 * `npm run fuzz -- tls [--count N] [--seed S]`: random and mutated inputs into the TLS 1.3 handshake
 * decoders and into live endpoints (a server fed mutated ClientHellos, a client fed a mutated
 * server flight, both fed mutated application records).
 *
 * Laws checked (the cstruct fuzz law, adapted):
 * 1. no exception escapes a decoder or `TlsConnection.receive`;
 * 2. decoders read nothing outside `[start, end)`: each input is decoded inside a larger buffer
 *    twice, with different bytes around it, and both results must be equal;
 * 3. an endpoint that gives up does so with an alert it sent (`closeInfo.byPeer === false`) whose
 *    code is one RFC 8446 §6 defines — never silently, never by throwing.
 */
import { makeStrategy } from '../../allocators/registry.js';
import { seededRandom } from '../../allocators/prng.js';
import { TlsConnection, type TlsConfig } from '../../stack/tls/connection.js';
import {
  decodeCertificate,
  decodeCertificateVerify,
  decodeClientHello,
  decodeEncryptedExtensions,
  decodeKeyUpdate,
  decodeServerHello,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeKeyUpdate,
  encodeServerHello,
  type Decoded,
} from '../../stack/tls/handshake.js';
import { ALERT } from '../../stack/tls/wire.js';
import { testCa, testCredentials } from './test-pki.js';
import { parseCountSeed } from '../fuzz-args.js';

export interface TlsFuzzOptions {
  /** Decoder inputs; endpoint runs are `count / 50` (each costs a key exchange and a signature). */
  count: number;
  seed: number;
}

export interface TlsFuzzReport {
  decoderInputs: number;
  decodedOk: number;
  endpointRuns: number;
  /** Alerts our endpoints sent, by name. */
  alertsSent: Record<string, number>;
  /** Endpoint runs whose handshake still completed despite the mutation (e.g. a flipped bit in random). */
  completedAnyway: number;
  failures: string[];
}

function mutate(input: Uint8Array, r: () => number): Uint8Array {
  const b = input.slice();
  const kind = Math.floor(r() * 6);
  const at = Math.floor(r() * Math.max(1, b.length));
  switch (kind) {
    case 0: // bit flips
      for (let i = 0, n = 1 + Math.floor(r() * 4); i < n && b.length > 0; i++) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
      return b;
    case 1: // a byte set to an edge value (lengths!)
      if (b.length > 0) b[at] = [0, 1, 0x7f, 0x80, 0xff][Math.floor(r() * 5)]!;
      return b;
    case 2: // truncation
      return b.slice(0, at);
    case 3: // random bytes appended
      return Uint8Array.from([...b, ...Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 256))]);
    case 4: // a random run overwritten
      for (let i = at; i < Math.min(b.length, at + 1 + Math.floor(r() * 16)); i++) b[i] = Math.floor(r() * 256);
      return b;
    default: // pure noise of a plausible size
      return Uint8Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256));
  }
}

type Decoder = (buf: Uint8Array, start: number, end: number) => Decoded<unknown>;

function sampleMessages(): { name: string; body: Uint8Array; decode: Decoder }[] {
  const creds = testCredentials('ec');
  const body = (m: Uint8Array): Uint8Array => m.slice(4);
  const ch = encodeClientHello({
    random: new Uint8Array(32).fill(7),
    sessionId: new Uint8Array(32).fill(9),
    cipherSuites: [0x1301, 0x1302, 0x1303],
    serverName: 'localhost',
    supportedGroups: [0x1d, 0x17],
    signatureAlgorithms: [0x0403, 0x0807, 0x0804],
    supportedVersions: [0x0304],
    keyShares: [{ group: 0x1d, keyExchange: new Uint8Array(32).fill(3) }],
    alpn: ['h2', 'http/1.1'],
    cookie: new Uint8Array(16).fill(1),
  });
  const sh = encodeServerHello({ random: new Uint8Array(32).fill(5), sessionId: new Uint8Array(32).fill(9), cipherSuite: 0x1301, selectedVersion: 0x0304, keyShare: { group: 0x1d, keyExchange: new Uint8Array(32).fill(4) }, selectedGroup: 0, cookie: null, isHelloRetryRequest: false });
  const hrr = encodeServerHello({ random: new Uint8Array(0), sessionId: new Uint8Array(0), cipherSuite: 0x1302, selectedVersion: 0x0304, keyShare: null, selectedGroup: 0x17, cookie: new Uint8Array(8).fill(2), isHelloRetryRequest: true });
  return [
    { name: 'ClientHello', body: body(ch), decode: decodeClientHello },
    { name: 'ServerHello', body: body(sh), decode: decodeServerHello },
    { name: 'HelloRetryRequest', body: body(hrr), decode: decodeServerHello },
    { name: 'EncryptedExtensions', body: body(encodeEncryptedExtensions({ alpn: 'h2', serverNameAcknowledged: true })), decode: decodeEncryptedExtensions },
    { name: 'Certificate', body: body(encodeCertificate({ context: new Uint8Array(0), certificates: creds.chain })), decode: decodeCertificate },
    { name: 'CertificateVerify', body: body(encodeCertificateVerify({ scheme: 0x0403, signature: new Uint8Array(71).fill(6) })), decode: decodeCertificateVerify },
    { name: 'KeyUpdate', body: body(encodeKeyUpdate(true)), decode: decodeKeyUpdate },
  ];
}

const KNOWN_ALERTS = new Set<number>(Object.values(ALERT));

function stringify(d: Decoded<unknown>): string {
  return JSON.stringify(d, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
}

export function runTlsFuzz(o: TlsFuzzOptions): TlsFuzzReport {
  const r = seededRandom(o.seed);
  const report: TlsFuzzReport = { decoderInputs: 0, decodedOk: 0, endpointRuns: 0, alertsSent: {}, completedAnyway: 0, failures: [] };
  const fail = (msg: string): void => {
    if (report.failures.length < 20) report.failures.push(msg);
  };
  const samples = sampleMessages();
  const PAD = 64;
  for (let i = 0; i < o.count; i++) {
    const s = samples[i % samples.length]!;
    const input = i < samples.length ? s.body : mutate(s.body, r);
    report.decoderInputs++;
    const a = new Uint8Array(input.length + 2 * PAD).fill(0x00);
    const b = new Uint8Array(input.length + 2 * PAD).fill(0xff);
    a.set(input, PAD);
    b.set(input, PAD);
    let ra: Decoded<unknown>;
    let rb: Decoded<unknown>;
    try {
      ra = s.decode(a, PAD, PAD + input.length);
      rb = s.decode(b, PAD, PAD + input.length);
    } catch (err) {
      fail(`${s.name} decoder threw on ${Buffer.from(input).toString('hex')}: ${(err as Error).message}`);
      continue;
    }
    if (ra.ok) report.decodedOk++;
    if (stringify(ra) !== stringify(rb)) fail(`${s.name} decoder read outside its input: ${Buffer.from(input).toString('hex')}`);
  }
  const runs = Math.max(1, Math.floor(o.count / 50));
  const ca = testCa();
  const creds = [testCredentials('ec'), testCredentials('ed25519')];
  for (let i = 0; i < runs; i++) {
    report.endpointRuns++;
    endpointRun(i, r, ca, creds[i % 2]!, report, fail);
  }
  return report;
}

/** One handshake + exchange where one record in flight (chosen at random) is mutated. */
function endpointRun(i: number, r: () => number, ca: ReturnType<typeof testCa>, credentials: ReturnType<typeof testCredentials>, report: TlsFuzzReport, fail: (m: string) => void): void {
  const queues: Record<'client' | 'server', Uint8Array[]> = { client: [], server: [] };
  const mk = (cfg: TlsConfig, who: 'client' | 'server'): TlsConnection =>
    new TlsConnection(cfg, { strategy: makeStrategy(i % 3 === 0 ? 'uint8array' : i % 3 === 1 ? 'pooled' : 'one-big-struct'), output: (b, s, e) => void queues[who].push(b.slice(s, e)), onData: () => undefined });
  const client = mk({ role: 'client', serverName: 'localhost', ca: [ca], groups: i % 4 === 0 ? ['x25519', 'secp256r1'] : ['x25519'] }, 'client');
  const server = mk({ role: 'server', credentials, groups: i % 4 === 0 ? ['secp256r1'] : ['x25519', 'secp256r1'] }, 'server');
  const target = Math.floor(r() * 6);
  let index = 0;
  const data = Uint8Array.of(1, 2, 3, 4, 5);
  try {
    client.start();
    let sentData = false;
    for (let guard = 0; guard < 100; guard++) {
      let moved = false;
      for (const [from, to] of [['client', server], ['server', client]] as const) {
        const rec = queues[from].shift();
        if (rec === undefined) continue;
        moved = true;
        const input = index++ === target ? mutate(rec, r) : rec;
        if (!to.isClosed) to.receive(input, 0, input.length);
      }
      if (!moved) {
        if (client.isConnected && !sentData) {
          sentData = true;
          client.write(data, 0, data.length);
          continue;
        }
        break;
      }
    }
  } catch (err) {
    fail(`endpoint run ${i}: exception escaped: ${(err as Error).stack ?? String(err)}`);
    return;
  }
  for (const c of [client, server]) {
    const info = c.closeInfo;
    if (info !== null && !info.byPeer) {
      if (!KNOWN_ALERTS.has(info.alert)) fail(`endpoint run ${i}: closed with unknown alert ${info.alert}`);
      report.alertsSent[info.alertName] = (report.alertsSent[info.alertName] ?? 0) + 1;
    }
  }
  if (client.isConnected && server.isConnected) report.completedAnyway++;
  client.dispose();
  server.dispose();
}

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseCountSeed('tls', argv, { count: 100_000, seed: 1 }, 'usage: npm run fuzz -- tls [--count N (default 100000 decoder inputs; N/50 endpoint runs)] [--seed S (default 1)]\nexample: npm run fuzz -- tls --count 20000 --seed 7');
  if (args === null) return;
  const { count, seed } = args;
  const t0 = performance.now();
  const rep = runTlsFuzz({ count, seed });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `fuzz tls: ${rep.decoderInputs} decoder inputs (${rep.decodedOk} decoded ok), ${rep.endpointRuns} endpoint runs (${rep.completedAnyway} completed anyway) in ${s} s (seed ${seed}); alerts sent ${JSON.stringify(rep.alertsSent)}`,
  );
  if (rep.failures.length > 0) {
    for (const f of rep.failures) console.error(`FAIL ${f}`);
    process.exitCode = 1;
  } else console.log('fuzz tls: all laws held (no exception, no read outside the input, every give-up is a known alert)');
}
