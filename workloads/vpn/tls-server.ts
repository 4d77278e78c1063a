/**
 * Our OpenVPN 2.6 server in TLS mode on a real UDP socket (127.0.0.1 only), for
 * `npm run serve -- vpn --tls …` and the tests with the real `openvpn` client through a tun device.
 *
 * One tunnel at a time (the one the issue's fixed names describe: it gets 10.8.0.2/24), several
 * handshakes in progress. A client's hard reset is answered statelessly (OpenVPN 2.6's HMAC
 * session-id cookie, stack/openvpn/session-cookie.ts); per-client state starts only when the client
 * completes that three-way handshake, and a new session replaces the tunnel only once it is
 * established (certificate checked, keys made; counted as `sessionsReplaced`) — so a replayed or
 * spoofed reset never touches the live tunnel (a reset naming a live session's client session id
 * from another address is dropped and counted as `resetReplayed`). The control channel is
 * `OpenVpnServerSession`; once it yields keys, P_DATA_V2 packets are opened by an `AeadDataChannel`
 * and their IPv4 packets go to the host at 10.8.0.1 (./tunnel-host.ts), whose answers are sealed in
 * place and sent back.
 *
 * Renegotiation: the client may start one (its --reneg-sec); we start one when the current key
 * reaches --reneg-sec / --reneg-bytes / --reneg-pkts (./reneg-policy.ts); the previous key stays
 * valid for receiving for --tran-window.
 *
 * Control-channel wrapping: none, --tls-crypt (one key) or --tls-crypt-v2 (a server key; each
 * client's key arrives wrapped in its first packet, stack/openvpn/tls-crypt-v2.ts; a key the server
 * did not issue is dropped and counted, no reply).
 *
 * node's dgram hands every datagram over as a fresh Buffer (counted as a foreign allocation) which
 * is copied once into a receive buffer of the data strategy, like a NIC's DMA; outgoing datagrams
 * go out by `--udp` (./native-udp.ts): sendto(2) straight from the strategy's buffer (native), or
 * copied once into a Buffer dgram may keep (counted likewise, as ./udp-endpoint.ts does).
 *
 * Limits (./session-limits.ts; every refusal counted): handshakes in progress per source address,
 * sessions in all, stateless reset replies per second. Control packets that fail to decode, come
 * from no known client, or name another session are dropped and counted; data packets before keys,
 * from another address, tampered, replayed or on an unknown key id likewise. `pingRestartS` without
 * any authenticated packet ends the tunnel.
 */
import { X509Certificate } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { newRxCursor, newTxFrame, StrategyError, type BufferStrategy, type TxFrame } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';
import { AEAD_TAG_BYTES, type AeadAlgorithm } from '../../stack/crypto/crypto-backend.js';
import { makeCryptoBackend } from '../../stack/crypto/backends.js';
import { decodeControlPacket, sameSessionId, type ControlDecodeError, type ControlPacket } from '../../stack/openvpn/control-packet.js';
import { AeadDataChannel, OpenResult, emptyDataChannelStats, type DataChannelStats } from '../../stack/openvpn/data-channel.js';
import { OpenVpnServerSession, type DataChannelKeys } from '../../stack/openvpn/server-session.js';
import { EARLY_NEG_MASK, EARLY_NEG_START, SessionCookies, encodeStatelessReset } from '../../stack/openvpn/session-cookie.js';
import {
  DATA_V2_HEADER_BYTES,
  P_ACK_V1,
  P_CONTROL_HARD_RESET_CLIENT_V2,
  P_CONTROL_HARD_RESET_CLIENT_V3,
  P_CONTROL_SOFT_RESET_V1,
  P_CONTROL_V1,
  P_CONTROL_WKC_V1,
  P_DATA_V1,
  P_DATA_V2,
  PACKET_ID_BYTES,
  PING_MAGIC,
  getKeyId,
  getOpcode,
} from '../../stack/openvpn/wire.js';
import { loadServerCredentials } from '../../stack/tls/certificates.js';
import { ReplayWindow } from '../../stack/openvpn/replay-window.js';
import type { StaticKey } from '../../stack/openvpn/static-key.js';
import { TlsCrypt } from '../../stack/openvpn/tls-crypt.js';
import { splitWkc, unwrapClientKey, type TlsCryptV2ServerKey } from '../../stack/openvpn/tls-crypt-v2.js';
import { DEFAULT_RENEGOTIATION_LIMITS, RenegotiationPolicy, type RenegotiationLimits } from './reneg-policy.js';
import { DEFAULT_SESSION_LIMITS, ResetRateLimiter, type SessionLimits } from './session-limits.js';
import { TunnelHost } from './tunnel-host.js';
import { chooseServeUdp, DatagramDrain, DatagramSender, DRAIN_MAX_DATAGRAMS, type DatagramDrainCounters, type ServeUdpChoice } from './native-udp.js';
import { formatIpv4, parseIpv4 } from '../../stack/ipv4/wire.js';
import { bindLoopbackUdp, numericLookup } from './udp-endpoint.js';

/** Headroom the data channel needs in front of an inner packet (P_DATA_V2 header, packet id, tag). */
export const DATA_CHANNEL_HEADROOM_BYTES = DATA_V2_HEADER_BYTES + PACKET_ID_BYTES + AEAD_TAG_BYTES;
/**
 * The TLS record buffers live as long as the session: with `one-big-struct` (reclaimed oldest-first)
 * they would pin the data path's ring, so each client session's control channel gets a small
 * strategy instance of its own (one per endpoint, as makeStrategy asks). One instance shared by
 * every session was pinned the same way by the tunnel's session: the space of later sessions came
 * back only after it, and a bench run's 13th client session failed E_ARENA_FULL.
 */
const CONTROL_STRATEGY_OPTIONS = { slabBytes: 64 + 32 * 1024, arenaBytes: 256 * 1024 } as const;
/** --hand-window default (s): the cookie's time slots are half of it. */
const HAND_WINDOW_S = 60;

export interface VpnTlsServerOptions {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Buffer strategy name of the data path (and, as separate instances, control and TCP buffers). */
  strategy: string;
  dataCiphers: readonly AeadAlgorithm[];
  /** UDP port on 127.0.0.1 (0 = any free port). */
  port: number;
  /**
   * `--tls-crypt` key: every control packet must authenticate under it before anything else reads
   * it (a packet that does not costs one HMAC and no state: no session, no address learnt).
   */
  tlsCrypt?: StaticKey;
  /** `--tls-crypt-v2` server key (exclusive with `tlsCrypt`): clients bring their own wrapped keys. */
  tlsCryptV2?: TlsCryptV2ServerKey;
  /** See ServerSessionOptions.keyDerivation (default `auto`). */
  keyDerivation?: 'auto' | 'openvpn-prf';
  /** Crypto backend of the data channel (default `node`). */
  crypto?: string;
  /** How datagrams are sent (./native-udp.ts; default dgram). */
  udp?: ServeUdpChoice;
  /** The tunnel host's TCP send buffer per connection, bytes (default TUNNEL_TCP_SEND_BUFFER_BYTES). */
  tcpSendBufferBytes?: number;
  /** Pushed `ping` / `ping-restart` (seconds); we send our pings at `pingS` too. Defaults 10 / 60. */
  pingS?: number;
  pingRestartS?: number;
  /** Server-started renegotiation and the lame-duck window (default OpenVPN's: 3600 s, no byte/packet limit). */
  renegotiation?: Partial<RenegotiationLimits>;
  /** Admission limits (defaults in ./session-limits.ts). */
  limits?: Partial<SessionLimits>;
}

export interface VpnTlsServerCounters {
  datagramsIn: number;
  datagramsOut: number;
  /** Per-client state created (a client completed the three-way handshake). */
  sessionsStarted: number;
  sessionsEstablished: number;
  /** Tunnels ended because another session of a (restarted) client was established. */
  sessionsReplaced: number;
  sessionsClosed: number;
  sessionsTimedOut: number;
  /** Renegotiations completed (new data-channel keys on a new key id), by either side. */
  renegotiations: number;
  /** Renegotiations we started (a --reneg-* limit reached), and which limit. */
  renegotiationsByServer: number;
  renegotiationReasons: { seconds: number; bytes: number; packets: number };
  /** Previous keys retired when their --tran-window ran out. */
  lameDucksExpired: number;
  /** Hard resets answered with a stateless cookie reset (no state kept). */
  statelessResets: number;
  /** Hard resets naming a live session's client session id from another address: dropped. */
  resetReplayed: number;
  /** Packets for no session that did not complete the three-way handshake (bad or stale cookie, wrong ids). */
  cookieInvalid: number;
  /** Refused by a limit: handshakes in progress from one address, sessions in all, reset replies per second. */
  limitHandshakesPerSource: number;
  limitSessions: number;
  limitResetRate: number;
  /** Control packets that did not decode, by reason. */
  controlMalformed: Record<ControlDecodeError, number>;
  /** Control packets for no session, another session, or from another address. */
  controlStray: number;
  /** --tls-crypt / --tls-crypt-v2: control packets that did not authenticate (no state kept) or were replays. */
  tlsCryptBadTag: number;
  tlsCryptTooShort: number;
  tlsCryptReplay: number;
  /** --tls-crypt-v2: wrapped client keys that were malformed or not issued by our server key; resets of clients without early negotiation. */
  tlsCryptV2BadWkc: number;
  tlsCryptV2NoEarlyNeg: number;
  /** Resets we do not speak (V1; V3 without --tls-crypt-v2). */
  controlUnsupported: number;
  /** Data packets before keys, or from another address than the tunnel's. */
  dataStray: number;
  /** P_DATA_V1 (pre-2.4 peers; we push peer-id, so 2.6 clients send V2). */
  dataV1: number;
  /** Inner packets handed to the host at 10.8.0.1. */
  innerPackets: number;
  /** Datagrams (or timer ticks' packets) dropped because a buffer strategy had no room (E_ARENA_FULL). */
  droppedNoBuffer: number;
}

/** Per-client state, created once the client completed the three-way handshake. */
interface ClientConn {
  readonly peer: { address: string; port: number };
  /** `peer.address` as a 32-bit number (the native drain compares senders by it). */
  readonly peerIp: number;
  readonly session: OpenVpnServerSession;
  /** The control-channel wrap of this client (--tls-crypt's key, or its own --tls-crypt-v2 key). */
  readonly wrap: TlsCrypt | null;
  /** The client's wrapper packet ids (tls_crypt_unwrap → crypto_check_replay). */
  readonly replay: ReplayWindow | null;
  lastHeardMs: number;
}

export class VpnTlsServer {
  readonly host: TunnelHost;
  readonly strategy: BufferStrategy;
  readonly counters: VpnTlsServerCounters;
  /** The reason the last session ended (for logs and tests). */
  lastCloseReason: string | null = null;
  keys: DataChannelKeys | null = null;
  /** The client whose tunnel is up. */
  private active: ClientConn | null = null;
  /** Clients with state, by `address:port` (the active one and handshakes in progress). */
  private readonly conns = new Map<string, ClientConn>();
  /** The data channel we send with (the newest key) and its key id. */
  private channel: AeadDataChannel | null = null;
  private channelKeyId = 0;
  /** After a renegotiation: the previous key's channel, still accepted on receive until `previousUntilMs`. */
  private previous: AeadDataChannel | null = null;
  private previousKeyId = -1;
  private previousUntilMs = 0;
  private readonly socket: Socket;
  readonly sender: DatagramSender;
  private readonly drainer: DatagramDrain | null;
  private readonly credentials;
  private readonly clientCa: X509Certificate[];
  private readonly rx = newRxCursor();
  private readonly plain = newRxCursor();
  private readonly pingFrame: TxFrame = newTxFrame();
  private ticker: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private readonly pingS: number;
  private readonly pingRestartS: number;
  /** Stats of data channels of sessions already replaced, so the counters stay cumulative. */
  private readonly pastStats: DataChannelStats[] = [];
  private readonly tlsCrypt: TlsCrypt | null;
  private readonly tlsCryptV2: TlsCryptV2ServerKey | null;
  /** Wrapper packet ids we send (long form: id and time), one sequence for all clients and the stateless replies. */
  private wrapSendId = 1;
  private readonly wrapSendTime = Math.floor(Date.now() / 1000);
  private readonly cookies = new SessionCookies(HAND_WINDOW_S);
  private readonly renegLimits: RenegotiationLimits;
  private readonly reneg: RenegotiationPolicy;
  private readonly limits: SessionLimits;
  private readonly resetLimiter: ResetRateLimiter;

  constructor(private readonly o: VpnTlsServerOptions) {
    this.strategy = makeStrategy(o.strategy);
    this.credentials = loadServerCredentials(o.certPem, o.keyPem);
    this.clientCa = (o.caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b));
    this.tlsCrypt = o.tlsCrypt === undefined ? null : new TlsCrypt(o.tlsCrypt, 'server');
    this.tlsCryptV2 = o.tlsCryptV2 ?? null;
    this.pingS = o.pingS ?? 10;
    this.pingRestartS = o.pingRestartS ?? 60;
    this.renegLimits = { ...DEFAULT_RENEGOTIATION_LIMITS, ...o.renegotiation };
    this.reneg = new RenegotiationPolicy(this.renegLimits);
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...o.limits };
    this.resetLimiter = new ResetRateLimiter(this.limits.resetRepliesPerSecond);
    this.counters = {
      datagramsIn: 0,
      datagramsOut: 0,
      sessionsStarted: 0,
      sessionsEstablished: 0,
      sessionsReplaced: 0,
      sessionsClosed: 0,
      sessionsTimedOut: 0,
      renegotiations: 0,
      renegotiationsByServer: 0,
      renegotiationReasons: { seconds: 0, bytes: 0, packets: 0 },
      lameDucksExpired: 0,
      statelessResets: 0,
      resetReplayed: 0,
      cookieInvalid: 0,
      limitHandshakesPerSource: 0,
      limitSessions: 0,
      limitResetRate: 0,
      controlMalformed: { truncated: 0, 'not-control': 0, 'too-many-acks': 0, 'payload-in-ack': 0 },
      controlStray: 0,
      tlsCryptBadTag: 0,
      tlsCryptTooShort: 0,
      tlsCryptReplay: 0,
      tlsCryptV2BadWkc: 0,
      tlsCryptV2NoEarlyNeg: 0,
      controlUnsupported: 0,
      dataStray: 0,
      dataV1: 0,
      innerPackets: 0,
      droppedNoBuffer: 0,
    };
    this.host = new TunnelHost({
      strategy: this.strategy,
      tcpBufferStrategy: makeStrategy(o.strategy),
      localIp: 0x0a08_0001,
      peerIp: 0x0a08_0002,
      mtuBytes: 1500,
      carrierHeadroomBytes: DATA_CHANNEL_HEADROOM_BYTES,
      transmit: (frame) => this.sendInner(frame),
      ...(o.tcpSendBufferBytes === undefined ? {} : { tcpSendBufferBytes: o.tcpSendBufferBytes }),
    });
    this.socket = createSocket({ type: 'udp4', lookup: numericLookup });
    this.sender = new DatagramSender(this.socket, this.strategy, o.udp ?? chooseServeUdp('dgram'));
    const addon = this.sender.choice.addon;
    this.drainer = addon === null ? null : new DatagramDrain(this.sender, addon);
    this.socket.on('message', (msg, rinfo) =>
      this.withinLimits(() => {
        this.receive(msg, rinfo);
        if (this.drainer !== null) this.drain(this.drainer);
      }),
    );
  }

  /** Datagrams the native drain read (./native-udp.ts); zeros with `--udp dgram`. */
  get drainCounters(): DatagramDrainCounters {
    return this.drainer?.counters ?? { drained: 0, drainErrors: 0 };
  }

  /** Binds 127.0.0.1:port and starts the timers; resolves with the bound port. */
  async start(): Promise<number> {
    await bindLoopbackUdp(this.socket, this.o.port);
    this.sender.bound();
    // 10 ms: TCP's timers (RTO floor 200 ms) and control retransmissions (1 s and up) both fit.
    this.ticker = setInterval(() => this.withinLimits(() => this.tick()), 10);
    this.pinger = setInterval(() => this.withinLimits(() => this.sendPing()), this.pingS * 1000);
    return this.socket.address().port;
  }

  /** The session whose tunnel is up (null when none). */
  get session(): OpenVpnServerSession | null {
    return this.active?.session ?? null;
  }

  /** Clients with state whose session is not established yet. */
  get handshakesInProgress(): number {
    let n = 0;
    for (const c of this.conns.values()) if (c.session.state !== 'established') n++;
    return n;
  }

  /** Data-channel counters summed over every session so far. */
  get dataStats(): DataChannelStats {
    const sum = emptyDataChannelStats();
    const keys = Object.keys(sum) as (keyof DataChannelStats)[];
    const live = [this.channel, this.previous].filter((c): c is AeadDataChannel => c !== null).map((c) => c.stats);
    for (const s of [...this.pastStats, ...live]) for (const k of keys) sum[k] += s[k];
    return sum;
  }

  async close(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    if (this.pinger) clearInterval(this.pinger);
    this.sender.closed();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  /**
   * Runs one event's work (a datagram, a timer tick). A strategy out of room (E_ARENA_FULL) costs
   * that work — the datagram or the tick's packets, counted in `droppedNoBuffer` — never the server.
   */
  private withinLimits(work: () => void): void {
    try {
      work();
    } catch (e) {
      if (!(e instanceof StrategyError) || e.code !== 'E_ARENA_FULL') throw e;
      this.counters.droppedNoBuffer++;
      this.lastCloseReason = `dropped for want of a buffer: ${e.message}`;
    }
  }

  private tick(): void {
    const now = performance.now();
    this.host.tick();
    for (const c of [...this.conns.values()]) c.session.tick(now);
    const a = this.active;
    if (a === null || this.channel === null) return;
    if (now - a.lastHeardMs > this.pingRestartS * 1000) {
      this.counters.sessionsTimedOut++;
      this.endConn(a, `no packet for ${this.pingRestartS} s (ping-restart)`);
      return;
    }
    if (this.previous !== null && now >= this.previousUntilMs) {
      // --tran-window ran out: the lame duck key is no longer accepted (its packets count as badKeyId).
      this.counters.lameDucksExpired++;
      this.pastStats.push(this.previous.stats);
      this.previous = null;
      this.previousKeyId = -1;
    }
    const due = this.reneg.due(now);
    if (due !== null && a.session.renegotiate(now)) {
      this.counters.renegotiationsByServer++;
      this.counters.renegotiationReasons[due]++;
    }
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.datagramsIn++;
    this.strategy.countForeign(msg.length);
    if (msg.length === 0) {
      this.counters.controlMalformed.truncated++;
      return;
    }
    const opcode = getOpcode(msg, 0);
    if (opcode === P_DATA_V2) return this.receiveData(msg, rinfo);
    if (opcode === P_DATA_V1) {
      this.counters.dataV1++;
      return;
    }
    const conn = this.conns.get(connKey(rinfo));
    const unwrapped = this.unwrapControl(msg, opcode, conn);
    if (unwrapped === null) return;
    const { wire, wrap, wrapId } = unwrapped;
    const d = decodeControlPacket(wire, 0, wire.length);
    if (!d.ok) {
      this.counters.controlMalformed[d.error]++;
      return;
    }
    const p = d.value;
    // tls_crypt_v2_extract_client_key: with WKc removed, a P_CONTROL_WKC_V1 is a P_CONTROL_V1.
    if (opcode === P_CONTROL_WKC_V1) p.opcode = P_CONTROL_V1;
    const now = performance.now();
    if (opcode === P_CONTROL_HARD_RESET_CLIENT_V2 || opcode === P_CONTROL_HARD_RESET_CLIENT_V3) return this.onReset(p, wire, rinfo, conn, wrap, wrapId, now);
    if (p.opcode !== P_CONTROL_V1 && p.opcode !== P_ACK_V1 && p.opcode !== P_CONTROL_SOFT_RESET_V1) {
      this.counters.controlUnsupported++;
      return;
    }
    if (conn !== undefined && sameSessionId(p.sessionId, conn.session.remoteSessionId)) {
      if (!acceptWrapId(conn.replay, wrapId)) {
        this.counters.tlsCryptReplay++;
        return;
      }
      conn.lastHeardMs = now;
      conn.session.input(p, wire, now);
      return;
    }
    if (p.opcode === P_CONTROL_SOFT_RESET_V1) {
      this.counters.controlStray++;
      return;
    }
    // No state for this client session: only the packet that completes the three-way handshake creates it.
    if (!this.cookies.completesHandshake(p, rinfo.address, rinfo.port, Date.now() / 1000)) {
      this.counters.cookieInvalid++;
      return;
    }
    if (!this.admit(rinfo.address)) return;
    if (conn !== undefined) this.endConn(conn, 'replaced by a new session from the same address and port');
    const replay = wrap === null ? null : new ReplayWindow();
    if (!acceptWrapId(replay, wrapId)) {
      this.counters.tlsCryptReplay++;
      return;
    }
    this.startConn(p, wire, rinfo, wrap, replay, now);
  }

  /**
   * The plain control packet of `msg`, and the wrap it came under; null when it was dropped
   * (counted). --tls-crypt-v2: a V3 reset or WKC_V1 carries the client's wrapped key, any other
   * packet is unwrapped with the key of the client's state (none: dropped as stray).
   */
  private unwrapControl(msg: Buffer, opcode: number, conn: ClientConn | undefined): { wire: Uint8Array; wrap: TlsCrypt | null; wrapId: { id: number; time: number } | null } | null {
    let wrap = this.tlsCrypt;
    let packet: Uint8Array = msg;
    if (this.tlsCryptV2 !== null) {
      if (opcode === P_CONTROL_HARD_RESET_CLIENT_V3 || opcode === P_CONTROL_WKC_V1) {
        const s = splitWkc(msg);
        if (!s.ok) {
          this.counters.tlsCryptV2BadWkc++;
          return null;
        }
        packet = msg.subarray(0, s.packetEnd);
        if (opcode === P_CONTROL_WKC_V1 && conn?.wrap != null) {
          // A resent WKC_V1 for a client we already have: its key is set up, the WKc part is ignored.
          wrap = conn.wrap;
        } else {
          const u = unwrapClientKey(this.tlsCryptV2, s.wkc);
          if (!u.ok) {
            this.counters.tlsCryptV2BadWkc++;
            return null;
          }
          wrap = new TlsCrypt(u.clientKey, 'server');
        }
      } else {
        wrap = conn?.wrap ?? null;
        if (wrap === null) {
          this.counters.controlStray++;
          return null;
        }
      }
    }
    if (wrap === null) return { wire: msg, wrap: null, wrapId: null };
    const u = wrap.unwrap(packet);
    if (!u.ok) {
      if (u.error === 'bad-tag') this.counters.tlsCryptBadTag++;
      else this.counters.tlsCryptTooShort++;
      return null;
    }
    return { wire: u.packet, wrap, wrapId: { id: u.packetId, time: u.time } };
  }

  /** A client's hard reset: answered statelessly with a cookie reset, or dropped (counted). */
  private onReset(p: ControlPacket, wire: Uint8Array, rinfo: RemoteInfo, conn: ClientConn | undefined, wrap: TlsCrypt | null, wrapId: { id: number; time: number } | null, now: number): void {
    if (conn !== undefined && sameSessionId(p.sessionId, conn.session.remoteSessionId)) {
      // A retransmitted reset of a client we have state for: its session acks it again.
      if (!acceptWrapId(conn.replay, wrapId)) {
        this.counters.tlsCryptReplay++;
        return;
      }
      conn.session.input(p, wire, now);
      return;
    }
    for (const c of this.conns.values()) {
      if (sameSessionId(c.session.remoteSessionId, p.sessionId)) {
        // The reset of a session we hold, from another address: a replay or a spoof, never a restart
        // (a restarted client picks a new random session id).
        this.counters.resetReplayed++;
        return;
      }
    }
    const v3 = p.opcode === P_CONTROL_HARD_RESET_CLIENT_V3;
    if (p.keyId !== 0 || (v3 && this.tlsCryptV2 === null)) {
      this.counters.controlUnsupported++;
      return;
    }
    // mudp.c: a tls-crypt-v2 client that cannot resend its wrapped key would need state now; like
    // --tls-crypt-v2-force-cookie we refuse it (OpenVPN 2.6 clients all announce early negotiation).
    if (v3 && (wrapId === null || ((wrapId.id & EARLY_NEG_MASK) >>> 0) !== EARLY_NEG_START)) {
      this.counters.tlsCryptV2NoEarlyNeg++;
      return;
    }
    if (!this.resetLimiter.take(now)) {
      this.counters.limitResetRate++;
      return;
    }
    this.counters.statelessResets++;
    const cookie = this.cookies.cookie(rinfo.address, rinfo.port, p.sessionId, Date.now() / 1000);
    const reply = encodeStatelessReset(cookie, p.sessionId, v3);
    this.sendDatagram(wrap === null ? reply : wrap.wrap(reply, this.wrapSendId++, this.wrapSendTime), { address: rinfo.address, port: rinfo.port });
  }

  /** Per-source and total limits on per-client state (counted when they refuse). */
  private admit(address: string): boolean {
    let fromSource = 0;
    for (const c of this.conns.values()) if (c.peer.address === address && c.session.state !== 'established') fromSource++;
    if (fromSource >= this.limits.handshakesPerSource) {
      this.counters.limitHandshakesPerSource++;
      return false;
    }
    if (this.conns.size >= this.limits.sessions) {
      this.counters.limitSessions++;
      return false;
    }
    return true;
  }

  private startConn(first: ControlPacket, wire: Uint8Array, rinfo: RemoteInfo, wrap: TlsCrypt | null, replay: ReplayWindow | null, now: number): ClientConn {
    const peer = { address: rinfo.address, port: rinfo.port };
    this.counters.sessionsStarted++;
    const box: { conn: ClientConn | null } = { conn: null };
    const session = new OpenVpnServerSession(
      {
        credentials: this.credentials,
        clientCa: this.clientCa,
        strategy: makeStrategy(this.o.strategy, CONTROL_STRATEGY_OPTIONS),
        dataCiphers: this.o.dataCiphers,
        keyDerivation: this.o.keyDerivation ?? 'auto',
        push: { gatewayIp: '10.8.0.1', clientIp: '10.8.0.2', netmask: '255.255.255.0', peerId: 0, pingS: this.pingS, pingRestartS: this.pingRestartS },
        output: (packet) => this.sendDatagram(wrap === null ? packet : wrap.wrap(packet, this.wrapSendId++, this.wrapSendTime), peer),
        onEstablished: (keys) => {
          const c = box.conn;
          if (c === null || this.conns.get(connKey(c.peer)) !== c) return;
          this.counters.sessionsEstablished++;
          if (this.active !== null && this.active !== c) {
            this.counters.sessionsReplaced++;
            this.endConn(this.active, 'replaced by a new client session');
          }
          this.active = c;
          this.installKeys(keys, performance.now());
        },
        onRekeyed: (keys) => {
          if (box.conn === null || this.active !== box.conn) return;
          this.counters.renegotiations++;
          this.installKeys(keys, performance.now());
        },
        onClosed: (reason) => {
          if (box.conn !== null) this.endConn(box.conn, reason);
          else this.lastCloseReason = reason;
        },
      },
      first,
      wire,
      now,
      first.ackedSessionId ?? undefined,
    );
    const conn: ClientConn = { peer, peerIp: parseIpv4(peer.address), session, wrap, replay, lastHeardMs: now };
    if (session.state === 'closed') {
      this.counters.sessionsClosed++;
      return conn;
    }
    box.conn = conn;
    this.conns.set(connKey(peer), conn);
    return conn;
  }

  /** New keys: a channel for them becomes the sending one; the one before stays for receiving (--tran-window). */
  private installKeys(keys: DataChannelKeys, nowMs: number): void {
    this.keys = keys;
    if (this.previous !== null) this.pastStats.push(this.previous.stats);
    this.previous = this.channel;
    this.previousKeyId = this.channelKeyId;
    this.previousUntilMs = nowMs + this.renegLimits.transitionWindowS * 1000;
    this.channel = new AeadDataChannel({
      backend: makeCryptoBackend(this.o.crypto ?? 'node'),
      strategy: this.strategy,
      algorithm: keys.algorithm,
      send: keys.send,
      receive: keys.receive,
      keyId: keys.keyId,
      peerId: keys.peerId,
      expectPeerId: keys.peerId,
    });
    this.channelKeyId = keys.keyId;
    this.reneg.newKey(nowMs);
  }

  /** Drops a client's state; ending the active one takes the tunnel down. */
  private endConn(conn: ClientConn, reason: string): void {
    const key = connKey(conn.peer);
    if (this.conns.get(key) !== conn) return;
    this.conns.delete(key);
    this.counters.sessionsClosed++;
    this.lastCloseReason = reason;
    conn.session.close(reason);
    if (conn !== this.active) return;
    for (const c of [this.previous, this.channel]) if (c !== null) this.pastStats.push(c.stats);
    this.channel = null;
    this.previous = null;
    this.previousKeyId = -1;
    this.active = null;
    this.keys = null;
  }

  /**
   * Native mode: the datagrams already waiting after the one dgram delivered. Data from the tunnel's
   * peer is opened straight from the drain's area; anything else goes the ordinary way, as a Buffer
   * with an `rinfo` of its own (so every check of `receive` applies to it).
   */
  private drain(d: DatagramDrain): void {
    for (let k = 0; k < DRAIN_MAX_DATAGRAMS; k++) {
      const n = d.next();
      if (n < 0) return;
      const a = this.active;
      if (n > 0 && a !== null && d.fromIp === a.peerIp && d.fromPort === a.peer.port && getOpcode(d.area, 0) === P_DATA_V2) {
        this.counters.datagramsIn++;
        this.openData(d.area, n, a);
        continue;
      }
      const msg = Buffer.from(d.area.subarray(0, n));
      this.receive(msg, { address: formatIpv4(d.fromIp), family: 'IPv4', port: d.fromPort, size: n });
    }
  }

  private receiveData(msg: Buffer, rinfo: RemoteInfo): void {
    const a = this.active;
    if (a === null || a.peer.address !== rinfo.address || a.peer.port !== rinfo.port) {
      this.counters.dataStray++;
      return;
    }
    this.openData(msg, msg.length, a);
  }

  /** A P_DATA_V2 datagram `wire[0, bytes)` from the active client: copied into the strategy's buffer, opened, its packet handed to the host. */
  private openData(wire: Uint8Array, bytes: number, a: ClientConn): void {
    // By key id: the newest key, or the previous one during its transition window (an unknown id
    // goes to the newest channel, which drops and counts it as badKeyId).
    const ch = this.previous !== null && getKeyId(wire, 0) === this.previousKeyId ? this.previous : this.channel;
    if (ch === null) {
      this.counters.dataStray++;
      return;
    }
    const st = this.strategy;
    st.allocRx(bytes, this.rx);
    // Released however the packet ends: an E_ARENA_FULL from the host's TCP (caught by the message
    // handler, counted) must not leak this region — in one-big-struct's FIFO ring a leaked region
    // would keep every later one from being reused, and the server would drop everything after.
    try {
      st.copy(wire, 0, bytes, this.rx.buf, this.rx.start);
      const pkt = { buf: this.rx.buf, start: this.rx.start, end: this.rx.start + bytes };
      const code = ch.open(pkt, this.plain);
      if (code !== OpenResult.DROPPED) {
        a.lastHeardMs = performance.now();
        if (ch === this.channel) this.reneg.count(bytes);
      }
      if (code === OpenResult.DATA) {
        this.counters.innerPackets++;
        this.host.input(this.plain);
      }
    } finally {
      st.release(this.rx);
    }
  }

  /** The host's outgoing IPv4 packet: sealed in place and sent; always releases `frame`. */
  private sendInner(frame: TxFrame): boolean {
    const ch = this.channel;
    const a = this.active;
    if (ch === null || a === null || !ch.seal(frame)) {
      this.strategy.releaseTx(frame);
      return false;
    }
    this.transmitFrame(frame, a.peer);
    return true;
  }

  private sendPing(): void {
    const ch = this.channel;
    const a = this.active;
    if (ch === null || a === null) return;
    const st = this.strategy;
    st.beginTx(this.pingFrame, PING_MAGIC.length, ch.layout);
    if (!ch.sealPing(this.pingFrame)) {
      st.releaseTx(this.pingFrame);
      return;
    }
    this.transmitFrame(this.pingFrame, a.peer);
  }

  private transmitFrame(f: TxFrame, peer: { address: string; port: number }): void {
    const bytes = f.end - f.start;
    this.counters.datagramsOut++;
    // The sender reads the frame during the call (native) or copies it for dgram: release after.
    this.sender.send(f.buf, f.start, f.end, peer.address, peer.port);
    this.strategy.releaseTx(f);
    this.reneg.count(bytes);
  }

  private sendDatagram(packet: Uint8Array, peer: { address: string; port: number }): void {
    this.counters.datagramsOut++;
    this.sender.sendOwned(packet, peer.address, peer.port);
  }
}

function connKey(peer: { address: string; port: number }): string {
  return `${peer.address}:${peer.port}`;
}

/** Wrapper replay protection (tls_crypt_unwrap → crypto_check_replay); true without a wrap. */
function acceptWrapId(window: ReplayWindow | null, wrapId: { id: number; time: number } | null): boolean {
  if (wrapId === null || window === null) return true;
  return window.check(wrapId.id, wrapId.time);
}
