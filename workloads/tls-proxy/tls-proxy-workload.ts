/**
 * The `tls-proxy` workload (suite `tls`): a TLS 1.3 client, a TLS-terminating proxy and a plaintext echo backend in one
 * process, each with its own TCP/IPv4/Ethernet stack and strategy instance, over two in-memory
 * links (client ⇄ proxy front NIC, proxy back NIC ⇄ backend). The TCP clock is a fake one that the
 * workload advances only to expire TIME-WAIT; the links are lossless, so a retransmission is a bug
 * `verify()` reports.
 *
 * Params: `op` — `request` (one round trip on an established connection: the client sends one
 * record of `size` bytes, the proxy decrypts and forwards it, the backend echoes it, the proxy
 * encrypts the answer, the client decrypts and checks every byte) or `connection` (TCP handshake +
 * TLS handshake + one such exchange + close_notify + FIN both ways + TIME-WAIT);
 * `cipher` — a TLS 1.3 cipher suite name; `group` — x25519 | secp256r1; `cert` — ec | ed25519 | rsa
 * (the proxy's certificate, from the committed test-only PKI in test-pki/).
 * Size axis: application payload bytes per request = the client's record size.
 */
import { sumCounters, type BufferStrategy, type StrategyCounters } from '../../allocators/buffer-strategy.js';
import { parseMac } from '../../stack/ethernet/wire.js';
import { parseIpv4 } from '../../stack/ipv4/wire.js';
import { NodeCryptoBackend } from '../../stack/crypto/node-backend.js';
import { MemoryLink } from '../../stack/link/memory-link.js';
import type { TcpConnection } from '../../stack/tcp/connection.js';
import { buildTcpStack, type TcpStack } from '../../stack/tcp/tcp-stack.js';
import { TlsConnection, type TlsCounters } from '../../stack/tls/connection.js';
import { CIPHER_SUITE_NAMES, isCipherSuiteName, type CipherSuiteName } from '../../stack/tls/key-schedule.js';
import { GROUP_NAMES, type GroupName } from '../../stack/tls/wire.js';
import { WorkloadConfigError, type WorkloadDefinition, type WorkloadInstance, type WorkloadSetup } from '../workload.js';
import { TEST_KEY_TYPES, testCa, testCredentials, type TestKeyType } from './test-pki.js';

export const TLS_OPS = ['request', 'connection'] as const;
export type TlsOp = (typeof TLS_OPS)[number];

const IP = { client: parseIpv4('10.0.1.1'), front: parseIpv4('10.0.1.2'), back: parseIpv4('10.0.2.2'), backend: parseIpv4('10.0.2.3') };
const MAC = { client: parseMac('02:00:00:00:01:01'), front: parseMac('02:00:00:00:01:02'), back: parseMac('02:00:00:00:02:02'), backend: parseMac('02:00:00:00:02:03') };
const PROXY_PORT = 443;
const BACKEND_PORT = 8080;
const TIME_WAIT_MS = 10;

export interface TlsWorkloadParams {
  op: TlsOp;
  cipher: CipherSuiteName;
  group: GroupName;
  cert: TestKeyType;
}

export function parseTlsParams(p: WorkloadSetup['params']): TlsWorkloadParams {
  const op = String(p.op ?? 'request');
  const cipher = String(p.cipher ?? 'TLS_AES_128_GCM_SHA256');
  const group = String(p.group ?? 'x25519');
  const cert = String(p.cert ?? 'ec');
  if (!(TLS_OPS as readonly string[]).includes(op)) throw new WorkloadConfigError(`tls: op '${op}': use ${TLS_OPS.join(' or ')}`);
  if (!isCipherSuiteName(cipher)) throw new WorkloadConfigError(`tls: cipher '${cipher}': use one of ${CIPHER_SUITE_NAMES.join(', ')}`);
  if (!(GROUP_NAMES as string[]).includes(group)) throw new WorkloadConfigError(`tls: group '${group}': use ${GROUP_NAMES.join(' or ')}`);
  if (!(TEST_KEY_TYPES as readonly string[]).includes(cert)) throw new WorkloadConfigError(`tls: cert '${cert}': use ${TEST_KEY_TYPES.join(', ')}`);
  return { op: op as TlsOp, cipher, group: group as GroupName, cert: cert as TestKeyType };
}

/** Thrown from the operation when the in-memory exchange did not complete: an errored fork. */
export class TlsWorkloadError extends Error {
  readonly code = 'E_TLS_WORKLOAD';
  constructor(message: string) {
    super(message);
    this.name = 'TlsWorkloadError';
  }
}

interface ClientSide {
  tcp: TcpConnection;
  tls: TlsConnection;
  received: number;
  mismatches: number;
  closed: boolean;
}

export class TlsProxyScenario {
  readonly clock = { nowMs: 0 };
  readonly link1 = new MemoryLink({ mtuBytes: 1500, queueFrames: 256 });
  readonly link2 = new MemoryLink({ mtuBytes: 1500, queueFrames: 256 });
  readonly client: TcpStack;
  readonly front: TcpStack;
  readonly back: TcpStack;
  readonly backend: TcpStack;
  /** Packet strategies (client, proxy, backend), then the three connection-buffer strategies. */
  readonly strategies: BufferStrategy[];
  private readonly connectionBuffers: BufferStrategy[];
  readonly payload: Uint8Array;
  /** TLS endpoints ever made, for their counters (closed ones are folded into `closedTls`). */
  private readonly liveTls = new Set<TlsConnection>();
  private readonly closedTls: TlsCounters[] = [];
  private current: ClientSide | null = null;
  readonly stats = { requests: 0, connections: 0, mismatches: 0, proxyAlerts: 0, sendBufferFull: 0 };
  /**
   * One crypto backend for every TLS endpoint, so that the views it makes for node:crypto (JS-heap
   * objects the strategies cannot see) are counted in one place and reported (`cryptoViews`).
   */
  readonly crypto = new NodeCryptoBackend();

  constructor(
    readonly params: TlsWorkloadParams,
    readonly payloadBytes: number,
    makeStrategy: () => BufferStrategy,
    seed: number,
  ) {
    // Per endpoint: one strategy for packets and one for connection-lifetime buffers (TCP send and
    // receive buffers, the TLS record buffer): one-big-struct reclaims oldest-first, so buffers that
    // live as long as a connection must not sit in the packet ring. Counters are summed over all six.
    const clientStrategy = makeStrategy();
    const proxyStrategy = makeStrategy();
    const backendStrategy = makeStrategy();
    this.connectionBuffers = [makeStrategy(), makeStrategy(), makeStrategy()];
    this.strategies = [clientStrategy, proxyStrategy, backendStrategy, ...this.connectionBuffers];
    const tcp = (i: number) => ({ clock: () => this.clock.nowMs, timeWaitMs: TIME_WAIT_MS, isn: seqSource(seed + i), bufferStrategy: this.connectionBuffers[i === 3 ? 2 : i === 2 ? 1 : i]! });
    this.client = buildTcpStack({ strategy: clientStrategy, device: this.link1.a, mac: MAC.client, ip: IP.client, neighbours: [[IP.front, MAC.front]], tcp: tcp(0) });
    this.front = buildTcpStack({ strategy: proxyStrategy, device: this.link1.b, mac: MAC.front, ip: IP.front, neighbours: [[IP.client, MAC.client]], tcp: tcp(1) });
    this.back = buildTcpStack({ strategy: proxyStrategy, device: this.link2.a, mac: MAC.back, ip: IP.back, neighbours: [[IP.backend, MAC.backend]], tcp: tcp(2) });
    this.backend = buildTcpStack({ strategy: backendStrategy, device: this.link2.b, mac: MAC.backend, ip: IP.backend, neighbours: [[IP.back, MAC.back]], tcp: tcp(3) });
    this.payload = new Uint8Array(payloadBytes);
    for (let i = 0; i < payloadBytes; i++) this.payload[i] = (i * 131 + seed) & 0xff;
    this.startBackend();
    this.startProxy(proxyStrategy);
  }

  private startBackend(): void {
    this.backend.tcp.listen(BACKEND_PORT, (conn) => ({
      onData: (buf, start, end) => writeAllOrThrow(conn, buf, start, end),
      onEnd: () => conn.close(),
    }));
  }

  private startProxy(strategy: BufferStrategy): void {
    const credentials = testCredentials(this.params.cert);
    this.front.tcp.listen(PROXY_PORT, (front) => {
      let backConn: TcpConnection | null = null;
      let backReady = false;
      const pending: Uint8Array[] = [];
      const tls: TlsConnection = this.trackTls(
        new TlsConnection(
          { role: 'server', credentials, cipherSuites: [this.params.cipher], groups: [this.params.group] },
          {
            strategy,
            bufferStrategy: this.connectionBuffers[1]!,
            backend: this.crypto,
            lowerHeadroomBytes: 0,
            output: (buf, start, end) => writeAllOrThrow(front, buf, start, end),
            onHandshakeDone: () => {
              backConn = this.back.tcp.connect(IP.backend, BACKEND_PORT, {
                onConnect: (c) => {
                  backReady = true;
                  for (const p of pending) writeAllOrThrow(c, p, 0, p.length);
                  pending.length = 0;
                },
                onData: (buf, start, end) => {
                  if (tls.isConnected && !tls.writeClosed) tls.write(buf, start, end);
                },
                onEnd: () => {
                  tls.close();
                  front.close();
                },
              });
            },
            onData: (buf, start, end) => {
              if (backReady) writeAllOrThrow(backConn!, buf, start, end);
              else pending.push(buf.slice(start, end)); // only before the backend connection is up
            },
            onClose: (info) => {
              if (info.alert !== 0) {
                this.stats.proxyAlerts++;
                backConn?.abort();
                front.abort();
              } else if (backConn !== null) backConn.close();
              else front.close();
            },
          },
        ),
      );
      return {
        onData: (buf, start, end) => tls.receive(buf, start, end),
        onClose: () => this.untrackTls(tls),
      };
    });
  }

  private trackTls(t: TlsConnection): TlsConnection {
    this.liveTls.add(t);
    return t;
  }

  private untrackTls(t: TlsConnection): void {
    if (this.liveTls.delete(t)) {
      this.closedTls.push({ ...t.counters });
      t.dispose();
    }
  }

  /** Opens a client connection and runs both handshakes to completion. */
  openClient(): ClientSide {
    const side = { received: 0, mismatches: 0, closed: false } as ClientSide;
    side.tcp = this.client.tcp.connect(IP.front, PROXY_PORT, {
      onConnect: () => side.tls.start(),
      onData: (buf, start, end) => side.tls.receive(buf, start, end),
      onClose: () => {
        side.closed = true;
        this.untrackTls(side.tls);
      },
    });
    side.tls = this.trackTls(
      new TlsConnection(
        { role: 'client', serverName: 'localhost', ca: [testCa()], cipherSuites: [this.params.cipher], groups: [this.params.group], maxFragmentBytes: Math.min(16384, Math.max(1, this.payloadBytes)) },
        {
          strategy: this.strategies[0]!,
          bufferStrategy: this.connectionBuffers[0]!,
          backend: this.crypto,
          output: (buf, start, end) => writeAllOrThrow(side.tcp, buf, start, end),
          onData: (buf, start, end) => {
            const p = this.payload;
            let at = side.received;
            for (let i = start; i < end; i++) if (buf[i] !== p[at++]) side.mismatches++;
            side.received += end - start;
          },
          onClose: (info) => {
            if (info.alert !== 0) throw new TlsWorkloadError(`client TLS closed with ${info.alertName}: ${info.reason}`);
            side.tcp.close();
          },
        },
      ),
    );
    this.pump();
    if (!side.tls.isConnected) throw new TlsWorkloadError(`handshake did not complete (client TLS ${side.tls.state}, TCP ${side.tcp.state})`);
    return side;
  }

  /** One request: `payload` up, echoed back, every byte checked. */
  exchange(side: ClientSide): void {
    side.received = 0;
    side.tls.write(this.payload, 0, this.payload.length);
    this.pump();
    if (side.received !== this.payload.length) throw new TlsWorkloadError(`echo incomplete: ${side.received} of ${this.payload.length} bytes`);
    this.stats.mismatches += side.mismatches;
    side.mismatches = 0;
    this.stats.requests++;
  }

  /** close_notify both ways, FIN both ways, TIME-WAIT expired: every stack back to no connection. */
  closeClient(side: ClientSide): void {
    side.tls.close();
    this.pump();
    this.clock.nowMs += TIME_WAIT_MS;
    for (const s of [this.client, this.front, this.back, this.backend]) s.tcp.tick();
    if (!side.closed) throw new TlsWorkloadError(`client connection not closed (TCP ${side.tcp.state})`);
    for (const st of [this.client, this.front, this.back, this.backend]) {
      if (st.tcp.connectionCount !== 0) throw new TlsWorkloadError(`a TCP connection outlived the close (${st.tcp.connectionCount} left at ${st.ipv4.address >>> 0})`);
    }
  }

  request(): void {
    if (this.current === null) this.current = this.openClient();
    this.exchange(this.current);
  }

  connection(): void {
    const side = this.openClient();
    this.exchange(side);
    this.closeClient(side);
    this.stats.connections++;
  }

  /** Drains both links until neither moves a frame. */
  pump(): void {
    for (let i = 0; i < 10_000; i++) {
      if (this.link1.drain() + this.link2.drain() === 0) return;
    }
    throw new TlsWorkloadError('links still busy after 10000 drains');
  }

  tlsCounters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of [...this.closedTls, ...[...this.liveTls].map((t) => t.counters)]) {
      for (const [k, v] of Object.entries(c)) out[`tls.${k}`] = (out[`tls.${k}`] ?? 0) + v;
    }
    return out;
  }

  tcpCounters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of [this.client, this.front, this.back, this.backend]) {
      for (const [k, v] of Object.entries(s.tcp.counters)) out[`tcp.${k}`] = (out[`tcp.${k}`] ?? 0) + v;
    }
    for (const l of [this.link1.a, this.link1.b, this.link2.a, this.link2.b]) {
      out['link.droppedQueueFull'] = (out['link.droppedQueueFull'] ?? 0) + l.counters.droppedQueueFull;
      out['link.droppedOversize'] = (out['link.droppedOversize'] ?? 0) + l.counters.droppedOversize;
    }
    return out;
  }

  close(): void {
    if (this.current !== null && !this.current.closed) this.closeClient(this.current);
    this.current = null;
  }
}

function writeAllOrThrow(conn: TcpConnection, buf: Uint8Array, start: number, end: number): void {
  const n = conn.write(buf, start, end);
  // The send buffer (64 KiB) holds far more than one exchange; a short write means the peer's
  // window stayed closed, which on this lossless, always-drained link is a bug.
  if (n !== end - start) throw new TlsWorkloadError(`TCP send buffer full: wrote ${n} of ${end - start} bytes`);
}

function seqSource(seed: number): () => number {
  let x = (seed * 2654435761) >>> 0 || 1;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    return x;
  };
}

export const tlsWorkload: WorkloadDefinition = {
  name: 'tls-proxy',
  description: 'TLS 1.3 client -> TLS-terminating proxy -> echo backend over TCP/IPv4/Ethernet in memory: one request or one whole connection per op',
  create(setup: WorkloadSetup): WorkloadInstance {
    const params = parseTlsParams(setup.params);
    if (!Number.isInteger(setup.sizeBytes) || setup.sizeBytes < 1 || setup.sizeBytes > 16384) {
      throw new WorkloadConfigError(`tls: size ${setup.sizeBytes}: the payload is one TLS record, 1-16384 bytes`);
    }
    const sc = new TlsProxyScenario(params, setup.sizeBytes, setup.makeStrategy, setup.seed);
    // Warm the path once so that a broken configuration fails at creation, not mid-measurement.
    if (params.op === 'request') sc.request();
    else sc.connection();
    return {
      op: params.op === 'request' ? () => sc.request() : () => sc.connection(),
      payloadBytesPerOp: 2 * setup.sizeBytes,
      strategyCounters(): StrategyCounters {
        return sumCounters(sc.strategies.map((s) => s.counters));
      },
      counters: () => ({ requests: sc.stats.requests, connections: sc.stats.connections, mismatchedBytes: sc.stats.mismatches, proxyAlerts: sc.stats.proxyAlerts, cryptoViews: sc.crypto.viewsCreated, ...sc.tlsCounters(), ...sc.tcpCounters() }),
      verify(): void {
        const t = sc.tcpCounters();
        const problems: string[] = [];
        if (sc.stats.mismatches > 0) problems.push(`${sc.stats.mismatches} echoed bytes differed from what was sent`);
        if (sc.stats.proxyAlerts > 0) problems.push(`the proxy closed ${sc.stats.proxyAlerts} connections with an alert`);
        for (const k of ['tcp.retransmitTimeouts', 'tcp.fastRetransmits', 'tcp.droppedBadChecksum', 'tcp.droppedOutOfOrder', 'tcp.queuedOutOfOrder', 'tcp.droppedOutOfWindow', 'link.droppedQueueFull', 'link.droppedOversize']) {
          if ((t[k] ?? 0) > 0) problems.push(`${k} = ${t[k]} on a lossless in-memory link`);
        }
        if (problems.length > 0) throw new TlsWorkloadError(`tls workload did not do what it claims: ${problems.join('; ')}`);
      },
      close: () => sc.close(),
    };
  },
};
