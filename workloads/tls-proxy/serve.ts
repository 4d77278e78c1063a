/**
 * `npm run serve -- tls --port N --backend HOST:PORT [--cert FILE --key FILE] [flags]`: a
 * TLS-terminating proxy on 127.0.0.1 over real TCP sockets (node:net gives the byte stream; our
 * TLS 1.3 stack runs over it), forwarding plaintext to a backend. For real clients:
 * `openssl s_client -tls1_3`, node:tls, curl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMakeableStrategyName, makeStrategy } from '../../allocators/registry.js';
import { loadServerCredentials, type ServerCredentials } from '../../stack/tls/certificates.js';
import { DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES } from '../../stack/tls/connection.js';
import { CIPHER_SUITE_NAMES, isCipherSuiteName, type CipherSuiteName } from '../../stack/tls/key-schedule.js';
import { GROUP_NAMES, type GroupName } from '../../stack/tls/wire.js';
import { attachSocketTls, SocketBufferPool } from './socket-transport.js';
import { FlagReader } from '../serve-flags.js';

export class TlsServeUsageError extends Error {
  readonly code = 'E_SERVE_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'TlsServeUsageError';
  }
}

/** Default limits of the proxy (each a flag; see TLS_SERVE_HELP). */
export const TLS_SERVE_LIMITS = {
  maxConnections: 2048,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  maxPendingBytes: 256 * 1024,
  maxHandshakeMessageBytes: DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES.server,
} as const;

export type TlsServeLimits = { -readonly [K in keyof typeof TLS_SERVE_LIMITS]: number };

export const TLS_SERVE_HELP = `usage: npm run serve -- tls --backend HOST:PORT [--port 8443] [--cert FILE --key FILE] [--strategy pooled]
                          [--cipher-suites A,B] [--groups x25519,secp256r1] [--alpn P,Q] [--record-bytes N] [--seconds N]
  --backend HOST:PORT  plaintext backend every decrypted byte is forwarded to (required)
  --port N             TCP port on 127.0.0.1 (default 8443; 0 = any free port, printed on start)
  --cert FILE          PEM certificate chain, leaf first (ECDSA P-256, Ed25519 or RSA key)
  --key FILE           PEM private key of the leaf; without --cert/--key a self-signed P-256
                       certificate for localhost is made with the openssl CLI (paths printed)
  --strategy S         buffer strategy: uint8array, pooled, one-big-struct, poisoning (default pooled)
  --cipher-suites L    server preference, from ${CIPHER_SUITE_NAMES.join(', ')} (default all, in that order)
  --groups L           server preference, from ${GROUP_NAMES.join(', ')} (default x25519,secp256r1)
  --alpn L             ALPN protocols the proxy accepts, preferred first (default none)
  --record-bytes N     largest plaintext per record we send, 1-16384 (default 16384)
  --seconds N          stop after N seconds (default: run until Ctrl-C)
  --max-connections N  client connections open at once (default ${TLS_SERVE_LIMITS.maxConnections}); more are closed at accept, counted
  --handshake-timeout-ms N  a client that has not finished its handshake by then is closed, counted (default ${TLS_SERVE_LIMITS.handshakeTimeoutMs})
  --idle-timeout-ms N  a connection with no traffic either way for that long is closed, counted (default ${TLS_SERVE_LIMITS.idleTimeoutMs})
  --max-pending-bytes N  plaintext held per direction before the other leg is paused (default ${TLS_SERVE_LIMITS.maxPendingBytes})
  --max-handshake-bytes N  largest handshake message a client may send (default ${TLS_SERVE_LIMITS.maxHandshakeMessageBytes})
  --status-seconds N   print a status line (connections, drops by reason, RSS) every N seconds (default 10; 0 = only at exit)
example: npm run serve -- tls --port 8443 --backend 127.0.0.1:8080 --cert cert.pem --key key.pem &
         openssl s_client -tls1_3 -connect 127.0.0.1:8443 -CAfile cert.pem -servername localhost`;

export interface TlsServeOptions {
  port: number;
  backendHost: string;
  backendPort: number;
  certFile: string | null;
  keyFile: string | null;
  strategy: string;
  cipherSuites: CipherSuiteName[];
  groups: GroupName[];
  alpn: string[];
  recordBytes: number;
  seconds: number | null;
  limits: TlsServeLimits;
  statusSeconds: number;
}

export function parseTlsServeArgs(argv: readonly string[]): TlsServeOptions | 'help' {
  const o: TlsServeOptions = {
    port: 8443,
    backendHost: '',
    backendPort: 0,
    certFile: null,
    keyFile: null,
    strategy: 'pooled',
    cipherSuites: [...CIPHER_SUITE_NAMES],
    groups: [...GROUP_NAMES],
    alpn: [],
    recordBytes: 16384,
    seconds: null,
    limits: { ...TLS_SERVE_LIMITS },
    statusSeconds: 10,
  };
  const flags = new FlagReader(argv, TLS_SERVE_HELP, (m) => new TlsServeUsageError(m));
  for (let flag = flags.next(); flag !== undefined; flag = flags.next()) {
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--port':
        o.port = flags.int(0, 65535);
        break;
      case '--backend': {
        const v = flags.value();
        const m = /^(.+):(\d+)$/.exec(v);
        if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new TlsServeUsageError(`--backend ${v}: expected HOST:PORT, e.g. 127.0.0.1:8080`);
        o.backendHost = m[1]!;
        o.backendPort = Number(m[2]);
        break;
      }
      case '--cert':
        o.certFile = flags.value();
        break;
      case '--key':
        o.keyFile = flags.value();
        break;
      case '--strategy': {
        const s = flags.value();
        if (!isMakeableStrategyName(s)) throw new TlsServeUsageError(`--strategy ${s}: use uint8array, pooled, one-big-struct or poisoning`);
        o.strategy = s;
        break;
      }
      case '--cipher-suites': {
        const list = flags.value().split(',');
        for (const s of list) if (!isCipherSuiteName(s)) throw new TlsServeUsageError(`--cipher-suites: unknown '${s}'; use ${CIPHER_SUITE_NAMES.join(', ')}`);
        o.cipherSuites = list as CipherSuiteName[];
        break;
      }
      case '--groups': {
        const list = flags.value().split(',');
        for (const g of list) if (!(GROUP_NAMES as string[]).includes(g)) throw new TlsServeUsageError(`--groups: unknown '${g}'; use ${GROUP_NAMES.join(', ')}`);
        o.groups = list as GroupName[];
        break;
      }
      case '--alpn':
        o.alpn = flags.value().split(',').filter((p) => p.length > 0);
        break;
      case '--record-bytes':
        o.recordBytes = flags.int(1, 16384);
        break;
      case '--seconds':
        o.seconds = flags.int(1, 86_400);
        break;
      case '--max-connections':
        o.limits.maxConnections = flags.int(1, 1_000_000);
        break;
      case '--handshake-timeout-ms':
        o.limits.handshakeTimeoutMs = flags.int(1, 3_600_000);
        break;
      case '--idle-timeout-ms':
        o.limits.idleTimeoutMs = flags.int(1, 86_400_000);
        break;
      case '--max-pending-bytes':
        o.limits.maxPendingBytes = flags.int(1024, 1 << 30);
        break;
      case '--max-handshake-bytes':
        o.limits.maxHandshakeMessageBytes = flags.int(1024, 1 << 24);
        break;
      case '--status-seconds':
        o.statusSeconds = flags.int(0, 86_400);
        break;
      default:
        throw new TlsServeUsageError(`unknown flag ${flag}\n${TLS_SERVE_HELP}`);
    }
  }
  if (o.backendPort === 0) throw new TlsServeUsageError(`--backend HOST:PORT is required\n${TLS_SERVE_HELP}`);
  if ((o.certFile === null) !== (o.keyFile === null)) throw new TlsServeUsageError('--cert and --key go together (or leave both out for a generated self-signed certificate)');
  return o;
}

/**
 * Sizes of a connection's own record-buffer strategy: room for the one 16 KiB + 261-byte record
 * buffer (a 32 KiB pool class), not the 256 KiB slabs / 4 MiB arena a whole endpoint gets, so a
 * handshake does not pay for zeroing memory it never uses.
 */
export const RECORD_BUFFER_STRATEGY_OPTIONS = { slabBytes: 64 + 32 * 1024, arenaBytes: 64 * 1024 } as const;

export interface ProxyCounters {
  /** Client connections accepted (refused ones not included). */
  connections: number;
  /** Client connections open now. */
  open: number;
  /** Closed at accept: `maxConnections` were open. */
  refusedMaxConnections: number;
  /** Closed: no finished handshake within `handshakeTimeoutMs`. */
  handshakeTimeouts: number;
  /** Closed: no traffic either way for `idleTimeoutMs`. */
  idleTimeouts: number;
  /** Times a leg was paused because the other held `maxPendingBytes` (or its socket buffer was full). */
  backpressurePauses: number;
  handshakes: number;
  alertsSent: number;
  alertsReceived: number;
  bytesToBackend: number;
  bytesFromBackend: number;
  /** Records that came with TLS 1.3 padding (summed when each connection closes). */
  paddedRecordsIn: number;
}

export interface RunningProxy {
  port: number;
  counters: ProxyCounters;
  /** One line: connections, drops by reason, RSS (see {@link formatProxyStatus}). */
  status(): string;
  close(): Promise<void>;
}

/** `tls-proxy: key=value …` with every counter and the process RSS, so scripts can read it back. */
export function formatProxyStatus(c: ProxyCounters, rssBytes: number): string {
  return `tls-proxy: ${Object.entries(c)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')} rssBytes=${rssBytes}`;
}

/**
 * Starts the proxy; resolves once it listens. Limits (`o.limits`, default {@link TLS_SERVE_LIMITS}),
 * each counted in {@link ProxyCounters}: connections beyond `maxConnections` are closed at accept; a
 * handshake not finished within `handshakeTimeoutMs` (an absolute deadline, so a trickle of bytes
 * does not extend it) and a connection idle both ways for `idleTimeoutMs` are closed; plaintext
 * waiting for the backend to connect is bounded by `maxPendingBytes` (plus one TCP read) by pausing
 * the client; after that each leg pauses the other while its socket buffer is full.
 */
export async function startTlsProxy(
  o: Omit<TlsServeOptions, 'certFile' | 'keyFile' | 'seconds' | 'limits' | 'statusSeconds'> & { credentials: ServerCredentials; limits?: Partial<TlsServeLimits> },
): Promise<RunningProxy> {
  const limits: TlsServeLimits = { ...TLS_SERVE_LIMITS, ...o.limits };
  const counters: ProxyCounters = {
    connections: 0,
    open: 0,
    refusedMaxConnections: 0,
    handshakeTimeouts: 0,
    idleTimeouts: 0,
    backpressurePauses: 0,
    handshakes: 0,
    alertsSent: 0,
    alertsReceived: 0,
    bytesToBackend: 0,
    bytesFromBackend: 0,
    paddedRecordsIn: 0,
  };
  const sockets = new Set<Socket>();
  // One strategy for the records of every connection (frames live for one record, so they are
  // reused across connections, as a server's buffer pool would be); each connection's long-lived
  // record buffer comes from a small instance of its own (RECORD_BUFFER_STRATEGY_OPTIONS).
  const recordStrategy = makeStrategy(o.strategy);
  // Buffers handed to the sockets, reused once written (see SocketBufferPool).
  const pool = new SocketBufferPool();
  const server: Server = createServer((client) => {
    if (counters.open >= limits.maxConnections) {
      counters.refusedMaxConnections++;
      client.destroy();
      return;
    }
    counters.connections++;
    counters.open++;
    // Records and echoes are small and latency-bound: no Nagle delay on either leg.
    client.setNoDelay(true);
    sockets.add(client);
    const pending: Buffer[] = [];
    let pendingBytes = 0;
    let backend: Socket | null = null;
    let backendReady = false;
    const handshakeTimer = setTimeout(() => {
      counters.handshakeTimeouts++;
      client.destroy();
    }, limits.handshakeTimeoutMs);
    // node:net's inactivity timer: reset by reads and by completed writes on the client socket, so
    // a download (backend -> client) keeps it alive as an upload does.
    client.setTimeout(limits.idleTimeoutMs, () => {
      counters.idleTimeouts++;
      client.destroy();
    });
    // Backpressure both ways, as `pipe` does: a leg whose socket buffer is full pauses the other
    // leg's reading until 'drain' (without it a fast sender fills the proxy's memory).
    const resumeClient = (): void => {
      client.resume();
    };
    const resumeBackend = (): void => {
      backend?.resume();
    };
    const tls = attachSocketTls(
      client,
      {
        role: 'server',
        credentials: o.credentials,
        cipherSuites: o.cipherSuites,
        groups: o.groups,
        alpn: o.alpn,
        maxFragmentBytes: o.recordBytes,
        maxHandshakeMessageBytes: limits.maxHandshakeMessageBytes,
      },
      recordStrategy,
      {
        onHandshakeDone: () => {
          clearTimeout(handshakeTimer);
          counters.handshakes++;
          const b = createConnection({ host: o.backendHost, port: o.backendPort, noDelay: true });
          backend = b;
          sockets.add(b);
          b.on('connect', () => {
            backendReady = true;
            for (const chunk of pending) b.write(chunk);
            pending.length = 0;
            pendingBytes = 0;
            if (b.writableNeedDrain) {
              if (!client.isPaused()) counters.backpressurePauses++;
              client.pause();
              b.once('drain', resumeClient);
            } else if (client.isPaused()) {
              client.resume();
            }
          });
          b.on('data', (chunk: Buffer) => {
            counters.bytesFromBackend += chunk.length;
            if (conn.isConnected && !conn.writeClosed) {
              // A chunk becomes several records, gathered into one socket write.
              if (!tls.write(chunk, 0, chunk.length) && !client.destroyed && !b.isPaused()) {
                counters.backpressurePauses++;
                b.pause();
                client.once('drain', resumeBackend);
              }
            }
          });
          b.on('end', () => {
            // The backend is done: send close_notify and end our side of the TCP stream.
            conn.close();
            client.end();
          });
          b.on('error', (err) => {
            console.error(`tls-proxy: backend ${o.backendHost}:${o.backendPort}: ${err.message}`);
            client.destroy();
          });
          b.on('close', () => sockets.delete(b));
        },
        // The plaintext of each TCP chunk arrives in a Buffer of its own: no further copy.
        onDataOwned: (data, release) => {
          counters.bytesToBackend += data.length;
          if (!backendReady) {
            // Kept until the backend connects (not given back to the pool: `release` not called);
            // at maxPendingBytes the client is paused, so at most one more TCP read comes in.
            pending.push(data);
            pendingBytes += data.length;
            if (pendingBytes >= limits.maxPendingBytes && !client.isPaused()) {
              counters.backpressurePauses++;
              client.pause();
            }
            return;
          }
          if (!backend!.write(data, release) && !client.isPaused()) {
            counters.backpressurePauses++;
            client.pause();
            backend!.once('drain', resumeClient);
          }
        },
        onClose: (info) => {
          if (info.alert === 0) {
            // close_notify from the client: half-close towards the backend; its end closes us.
            if (backend !== null) backend.end();
            else client.end();
          } else {
            if (info.byPeer) counters.alertsReceived++;
            else counters.alertsSent++;
            console.error(`tls-proxy: connection closed with ${info.alertName} (${info.byPeer ? 'from client' : 'sent'}): ${info.reason}`);
            backend?.destroy();
          }
        },
        onSocketClose: () => {
          clearTimeout(handshakeTimer);
          counters.open--;
          counters.paddedRecordsIn += conn.counters.paddedRecordsIn;
          sockets.delete(client);
          backend?.destroy();
        },
      },
      // The record buffer lives as long as the connection: its own strategy instance (see
      // SocketTlsOptions.bufferStrategy; with the shared one, `one-big-struct` ran out of arena).
      { bufferStrategy: makeStrategy(o.strategy, RECORD_BUFFER_STRATEGY_OPTIONS), pool },
    );
    const conn = tls.conn;
    client.on('error', (err) => {
      // A client that resets the connection is routine for a proxy: log and clean up.
      console.error(`tls-proxy: client socket: ${err.message}`);
      backend?.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  return {
    port,
    counters,
    status: () => formatProxyStatus(counters, process.memoryUsage.rss()),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A self-signed P-256 certificate for localhost / 127.0.0.1, made with the openssl CLI. */
export function makeSelfSigned(): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'buflab-tls-serve-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { certFile, keyFile };
}

export async function main(argv: readonly string[]): Promise<void> {
  const o = parseTlsServeArgs(argv);
  if (o === 'help') {
    console.log(TLS_SERVE_HELP);
    return;
  }
  let certFile = o.certFile;
  let keyFile = o.keyFile;
  if (certFile === null || keyFile === null) {
    ({ certFile, keyFile } = makeSelfSigned());
    console.log(`tls-proxy: generated a self-signed certificate: ${certFile} (key ${keyFile}); pass it to clients as the CA`);
  }
  const credentials = loadServerCredentials(readFileSync(certFile, 'utf8'), readFileSync(keyFile, 'utf8'));
  const proxy = await startTlsProxy({ ...o, credentials });
  const l = o.limits;
  console.log(
    `tls-proxy: listening on 127.0.0.1:${proxy.port} -> backend ${o.backendHost}:${o.backendPort} (strategy ${o.strategy}; ` +
      `max ${l.maxConnections} connections, handshake timeout ${l.handshakeTimeoutMs} ms, idle timeout ${l.idleTimeoutMs} ms, pending ${l.maxPendingBytes} bytes)`,
  );
  const timer = o.statusSeconds > 0 ? setInterval(() => console.log(proxy.status()), o.statusSeconds * 1000) : null;
  const stop = async (): Promise<void> => {
    if (timer !== null) clearInterval(timer);
    console.log(proxy.status());
    await proxy.close();
    console.log(`tls-proxy: stopped; ${JSON.stringify(proxy.counters)}`);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  if (o.seconds !== null) setTimeout(() => void stop(), o.seconds * 1000).unref();
}
