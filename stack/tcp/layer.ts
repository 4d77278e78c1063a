/**
 * The TCP layer of one host (RFC 9293) over `Ipv4Layer`: demultiplexing by (local port, remote
 * address, remote port), passive open (`listen`) and active open (`connect`), RST for segments
 * that belong to no connection (§3.10.7.1), and the clock that drives every connection's timers.
 *
 * Time comes from an injectable clock (`clock()` in milliseconds) and advances only when the
 * caller says so (`tick()`): tests and the in-memory workload drive retransmission and TIME-WAIT
 * with a fake clock, deterministically. Bad segments are dropped and counted, never thrown.
 */
import type { BufferStrategy, RxCursor } from '../../allocators/buffer-strategy.js';
import { newTxFrame } from '../../allocators/buffer-strategy.js';
import type { Ipv4Layer, Ipv4Upper } from '../ipv4/layer.js';
import { PROTOCOL_TCP } from '../ipv4/wire.js';
import { TcpConnection, type TcpAcceptor, type TcpConnectionHost, type TcpHandlers } from './connection.js';
import { decodeTcp, fillTcpChecksum, newTcpHeader } from './packet.js';
import type { TcpConnectionOptions, TcpCounters } from './types.js';
import { FLAG_ACK, FLAG_RST, FLAG_SYN, FLAG_FIN, seqAdd, TCP_MIN_HEADER_BYTES, writeTcpHeader } from './wire.js';

/**
 * Misuse of the layer's ports (a bug in the caller, never bad bytes). Still a `RangeError`, as
 * before, now with a stable `code`.
 */
export class TcpPortError extends RangeError {
  constructor(
    readonly code: 'E_TCP_PORT_IN_USE' | 'E_TCP_NO_EPHEMERAL_PORT',
    message: string,
  ) {
    super(message);
    this.name = 'TcpPortError';
  }
}

export interface TcpLayerOptions extends Partial<TcpConnectionOptions> {
  /**
   * Where each connection's send and receive buffers come from (allocated at open, released at
   * CLOSED). Default: the stack's strategy. `one-big-struct` reclaims its ring oldest-first, so a
   * buffer that lives as long as a connection would pin the ring: give such long-lived buffers a
   * strategy instance of their own.
   */
  bufferStrategy?: BufferStrategy;
  /** Milliseconds, monotonic. Default `performance.now`. */
  clock?: () => number;
  /** Initial sequence numbers (RFC 9293 §3.4.1 / RFC 6528). Default: random. */
  isn?: () => number;
}

export const DEFAULT_CONNECTION_OPTIONS: TcpConnectionOptions = {
  sendBufferBytes: 65536,
  receiveBufferBytes: 65535,
  windowScale: 2,
  timestamps: true,
  sackPermitted: true,
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 60_000,
  maxRetransmits: 8,
  // RFC 9293 §3.4.2 asks for 2 MSL (minutes); an in-memory link has no old duplicates to wait for.
  timeWaitMs: 10,
};

export class TcpLayer implements Ipv4Upper, TcpConnectionHost {
  readonly counters: TcpCounters = {
    received: 0,
    sent: 0,
    droppedTruncated: 0,
    droppedBadDataOffset: 0,
    droppedBadChecksum: 0,
    droppedBadOptions: 0,
    droppedNoConnection: 0,
    droppedOutOfWindow: 0,
    queuedOutOfOrder: 0,
    droppedOutOfOrder: 0,
    droppedUnacceptable: 0,
    resetsSent: 0,
    resetsReceived: 0,
    retransmitTimeouts: 0,
    segmentsRetransmitted: 0,
    fastRetransmits: 0,
    windowProbes: 0,
    shortSegmentsDeferred: 0,
    connectionsOpened: 0,
    connectionsAccepted: 0,
    connectionsClosed: 0,
    connectionsTimedOut: 0,
  };
  readonly clock: () => number;
  readonly options: TcpConnectionOptions;
  readonly bufferStrategy: BufferStrategy;
  /** Largest segment payload our MTU allows (MSS we announce). */
  readonly mssBytes: number;
  private readonly isn: () => number;
  private readonly rx = newTcpHeader();
  private readonly up: RxCursor = { buf: new Uint8Array(0), start: 0, end: 0 };
  /** localPort → (remoteIp * 65536 + remotePort) → connection. */
  private readonly connections = new Map<number, Map<number, TcpConnection>>();
  private readonly listeners = new Map<number, TcpAcceptor>();
  private readonly all = new Set<TcpConnection>();
  private readonly ctlFrame = newTxFrame();
  private nextEphemeralPort = 49152;

  constructor(
    readonly ipv4: Ipv4Layer,
    options: TcpLayerOptions = {},
  ) {
    this.clock = options.clock ?? (() => performance.now());
    this.isn = options.isn ?? (() => Math.floor(Math.random() * 0x100000000) >>> 0);
    this.options = { ...DEFAULT_CONNECTION_OPTIONS, ...options };
    this.bufferStrategy = options.bufferStrategy ?? ipv4.strategy;
    this.mssBytes = ipv4.maxPayloadBytes - TCP_MIN_HEADER_BYTES;
    ipv4.register(PROTOCOL_TCP, this);
  }

  get address(): number {
    return this.ipv4.address;
  }

  /** Connections not yet CLOSED. */
  get connectionCount(): number {
    return this.all.size;
  }

  /** Accepts connections on `port`. Throws {@link TcpPortError} `E_TCP_PORT_IN_USE` when the port already listens. */
  listen(port: number, acceptor: TcpAcceptor): void {
    if (this.listeners.has(port)) throw new TcpPortError('E_TCP_PORT_IN_USE', `TCP port ${port} already listens: close the listener first`);
    this.listeners.set(port, acceptor);
  }

  unlisten(port: number): void {
    this.listeners.delete(port);
  }

  /** Active open: sends a SYN now; `handlers.onConnect` runs once established. */
  connect(remoteIp: number, remotePort: number, handlers: TcpHandlers, localPort = this.ephemeralPort(remoteIp, remotePort)): TcpConnection {
    const conn = new TcpConnection(this, localPort, remoteIp, remotePort, this.isn(), handlers);
    this.add(conn);
    this.counters.connectionsOpened++;
    conn.openActive();
    return conn;
  }

  /** Runs due timers (retransmission, persist, TIME-WAIT) at the clock's current time. */
  tick(): void {
    const now = this.clock();
    for (const c of this.all) c.tick(now);
  }

  input(cur: RxCursor, srcIp: number, dstIp: number): void {
    this.counters.received++;
    const h = this.rx;
    const status = decodeTcp(cur.buf, cur.start, cur.end, srcIp, dstIp, h);
    switch (status) {
      case 'truncated':
        this.counters.droppedTruncated++;
        return;
      case 'bad-data-offset':
        this.counters.droppedBadDataOffset++;
        return;
      case 'bad-checksum':
        this.counters.droppedBadChecksum++;
        return;
      case 'bad-options':
        this.counters.droppedBadOptions++;
        return;
      case 'ok':
        break;
    }
    const conn = this.connections.get(h.dstPort)?.get(srcIp * 65536 + h.srcPort);
    if (conn !== undefined) {
      conn.input(h, cur.buf, cur.start + h.headerBytes, cur.end);
      return;
    }
    const acceptor = this.listeners.get(h.dstPort);
    if (acceptor !== undefined && (h.flags & (FLAG_SYN | FLAG_ACK | FLAG_RST)) === FLAG_SYN) {
      const c = new TcpConnection(this, h.dstPort, srcIp, h.srcPort, this.isn(), null, acceptor);
      this.add(c);
      c.openPassive(h);
      return;
    }
    this.counters.droppedNoConnection++;
    // §3.10.7.1: a segment for a CLOSED connection is answered with a RST unless it is one.
    if ((h.flags & FLAG_RST) !== 0) return;
    if ((h.flags & FLAG_ACK) !== 0) this.sendControl(h.dstPort, srcIp, h.srcPort, h.ack, 0, FLAG_RST);
    else {
      const len = h.payloadBytes + ((h.flags & FLAG_SYN) !== 0 ? 1 : 0) + ((h.flags & FLAG_FIN) !== 0 ? 1 : 0);
      this.sendControl(h.dstPort, srcIp, h.srcPort, 0, seqAdd(h.seq, len), FLAG_RST | FLAG_ACK);
    }
  }

  /** A bare control segment (RST) outside any connection. */
  sendControl(srcPort: number, dstIp: number, dstPort: number, seq: number, ack: number, flags: number): void {
    const s = this.ipv4.strategy;
    const f = this.ctlFrame;
    this.ipv4.beginPacket(f, 0, TCP_MIN_HEADER_BYTES, 0);
    s.prepend(f, TCP_MIN_HEADER_BYTES);
    writeTcpHeader(f.buf, f.start, srcPort, dstPort, seq, ack, TCP_MIN_HEADER_BYTES, flags, 0);
    fillTcpChecksum(f.buf, f.start, f.end, this.ipv4.address, dstIp);
    if ((flags & FLAG_RST) !== 0) this.counters.resetsSent++;
    if (this.ipv4.send(f, PROTOCOL_TCP, dstIp)) this.counters.sent++;
  }

  /** @internal the receive cursor connections hand payloads up in. */
  get upCursor(): RxCursor {
    return this.up;
  }

  /** @internal called by a connection once it reaches CLOSED. */
  remove(conn: TcpConnection): void {
    this.connections.get(conn.localPort)?.delete(conn.remoteIp * 65536 + conn.remotePort);
    if (this.all.delete(conn)) this.counters.connectionsClosed++;
  }

  private add(conn: TcpConnection): void {
    let m = this.connections.get(conn.localPort);
    if (m === undefined) {
      m = new Map();
      this.connections.set(conn.localPort, m);
    }
    m.set(conn.remoteIp * 65536 + conn.remotePort, conn);
    this.all.add(conn);
  }

  private ephemeralPort(remoteIp: number, remotePort: number): number {
    // RFC 6335 §6: the dynamic range 49152–65535.
    for (let i = 0; i < 16384; i++) {
      const p = this.nextEphemeralPort;
      this.nextEphemeralPort = p === 65535 ? 49152 : p + 1;
      if (this.connections.get(p)?.has(remoteIp * 65536 + remotePort) !== true && !this.listeners.has(p)) return p;
    }
    throw new TcpPortError('E_TCP_NO_EPHEMERAL_PORT', 'no free ephemeral TCP port: close connections first');
  }
}
