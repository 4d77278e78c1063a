/**
 * Our OpenVPN 2.6 server in TLS mode on a real UDP socket (127.0.0.1 only), for
 * `npm run serve -- vpn --tls …` and the tests with the real `openvpn` client through a tun device.
 *
 * One client at a time (the one the fixed names describe: it gets 10.8.0.2/24): a new
 * P_CONTROL_HARD_RESET_CLIENT_V2 with another session id replaces the current session (a restarted
 * client; counted as `sessionsReplaced`). The control channel is `OpenVpnServerSession`; once it
 * yields keys, P_DATA_V2 packets are opened by an `AeadDataChannel` and their IPv4 packets go to the
 * host at 10.8.0.1 (./tunnel-host.ts), whose answers are sealed in place and sent back.
 *
 * node's dgram hands every datagram over as a fresh Buffer (counted as a foreign allocation) which
 * is copied once into a receive buffer of the data strategy, like a NIC's DMA; outgoing datagrams
 * are copied once into a Buffer dgram may keep (counted likewise), as ./udp-endpoint.ts does.
 *
 * Limits: one session; control packets that fail to decode, come from another address than the
 * session's, or name another session are dropped and counted; data packets before keys or from
 * another address likewise. `pingRestartS` without any authenticated packet ends the session.
 */
import { X509Certificate } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { newRxCursor, newTxFrame, type BufferStrategy, type TxFrame } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';
import { AEAD_TAG_BYTES, type AeadAlgorithm } from '../../stack/crypto/crypto-backend.js';
import { makeCryptoBackend } from '../../stack/crypto/backends.js';
import { decodeControlPacket, sameSessionId, type ControlDecodeError, type ControlPacket } from '../../stack/openvpn/control-packet.js';
import { AeadDataChannel, OpenResult, emptyDataChannelStats, type DataChannelStats } from '../../stack/openvpn/data-channel.js';
import { OpenVpnServerSession, type DataChannelKeys } from '../../stack/openvpn/server-session.js';
import {
  DATA_V2_HEADER_BYTES,
  P_ACK_V1,
  P_CONTROL_HARD_RESET_CLIENT_V2,
  P_CONTROL_SOFT_RESET_V1,
  P_CONTROL_V1,
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
import { TunnelHost } from './tunnel-host.js';
import { bindLoopbackUdp } from './udp-endpoint.js';

/** Headroom the data channel needs in front of an inner packet (P_DATA_V2 header, packet id, tag). */
export const DATA_CHANNEL_HEADROOM_BYTES = DATA_V2_HEADER_BYTES + PACKET_ID_BYTES + AEAD_TAG_BYTES;
/**
 * The TLS record buffer lives as long as the session: with `one-big-struct` (reclaimed oldest-first)
 * it would pin the data path's ring, so the control channel gets a small strategy instance of its own.
 */
const CONTROL_STRATEGY_OPTIONS = { slabBytes: 64 + 32 * 1024, arenaBytes: 256 * 1024 } as const;

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
  /** See ServerSessionOptions.keyDerivation (default `auto`). */
  keyDerivation?: 'auto' | 'openvpn-prf';
  /** Crypto backend of the data channel (default `node`). */
  crypto?: string;
  /** Pushed `ping` / `ping-restart` (seconds); we send our pings at `pingS` too. Defaults 10 / 60. */
  pingS?: number;
  pingRestartS?: number;
}

export interface VpnTlsServerCounters {
  datagramsIn: number;
  datagramsOut: number;
  sessionsStarted: number;
  sessionsEstablished: number;
  sessionsReplaced: number;
  sessionsClosed: number;
  sessionsTimedOut: number;
  /** Renegotiations completed (new data-channel keys on a new key id). */
  renegotiations: number;
  /** Control packets that did not decode, by reason. */
  controlMalformed: Record<ControlDecodeError, number>;
  /** Control packets for no session, another session, or from another address. */
  controlStray: number;
  /** --tls-crypt: control packets that did not authenticate (no state kept) or were replays. */
  tlsCryptBadTag: number;
  tlsCryptTooShort: number;
  tlsCryptReplay: number;
  /** Resets we do not speak (V1, V3 = --tls-crypt-v2). */
  controlUnsupported: number;
  /** Data packets before keys, or from another address than the session's. */
  dataStray: number;
  /** P_DATA_V1 (pre-2.4 peers; we push peer-id, so 2.6 clients send V2). */
  dataV1: number;
  /** Inner packets handed to the host at 10.8.0.1. */
  innerPackets: number;
}

export class VpnTlsServer {
  readonly host: TunnelHost;
  readonly strategy: BufferStrategy;
  readonly counters: VpnTlsServerCounters;
  /** The reason the last session ended (for logs and tests). */
  lastCloseReason: string | null = null;
  session: OpenVpnServerSession | null = null;
  keys: DataChannelKeys | null = null;
  /** The data channel we send with (the newest key) and its key id. */
  private channel: AeadDataChannel | null = null;
  private channelKeyId = 0;
  /** After a renegotiation: the previous key's channel, still accepted on receive (lame duck). */
  private previous: AeadDataChannel | null = null;
  private previousKeyId = -1;
  private readonly socket: Socket;
  private readonly controlStrategy: BufferStrategy;
  private readonly credentials;
  private readonly clientCa: X509Certificate[];
  private readonly rx = newRxCursor();
  private readonly plain = newRxCursor();
  private readonly pingFrame: TxFrame = newTxFrame();
  private peer: { address: string; port: number } | null = null;
  private lastHeardMs = 0;
  private ticker: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private readonly pingS: number;
  private readonly pingRestartS: number;
  /** Stats of data channels of sessions already replaced, so the counters stay cumulative. */
  private readonly pastStats: DataChannelStats[] = [];
  private readonly tlsCrypt: TlsCrypt | null;
  /** --tls-crypt packet ids: ours (long form, id and time) and the session's replay window. */
  private tlsCryptSendId = 1;
  private readonly tlsCryptSendTime = Math.floor(Date.now() / 1000);
  private tlsCryptReplayWindow: ReplayWindow | null = null;

  constructor(private readonly o: VpnTlsServerOptions) {
    this.strategy = makeStrategy(o.strategy);
    this.controlStrategy = makeStrategy(o.strategy, CONTROL_STRATEGY_OPTIONS);
    this.credentials = loadServerCredentials(o.certPem, o.keyPem);
    this.clientCa = (o.caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((b) => new X509Certificate(b));
    this.tlsCrypt = o.tlsCrypt === undefined ? null : new TlsCrypt(o.tlsCrypt, 'server');
    this.pingS = o.pingS ?? 10;
    this.pingRestartS = o.pingRestartS ?? 60;
    this.counters = {
      datagramsIn: 0,
      datagramsOut: 0,
      sessionsStarted: 0,
      sessionsEstablished: 0,
      sessionsReplaced: 0,
      sessionsClosed: 0,
      sessionsTimedOut: 0,
      renegotiations: 0,
      controlMalformed: { truncated: 0, 'not-control': 0, 'too-many-acks': 0, 'payload-in-ack': 0 },
      controlStray: 0,
      tlsCryptBadTag: 0,
      tlsCryptTooShort: 0,
      tlsCryptReplay: 0,
      controlUnsupported: 0,
      dataStray: 0,
      dataV1: 0,
      innerPackets: 0,
    };
    this.host = new TunnelHost({
      strategy: this.strategy,
      tcpBufferStrategy: makeStrategy(o.strategy),
      localIp: 0x0a08_0001,
      peerIp: 0x0a08_0002,
      mtuBytes: 1500,
      carrierHeadroomBytes: DATA_CHANNEL_HEADROOM_BYTES,
      transmit: (frame) => this.sendInner(frame),
    });
    this.socket = createSocket('udp4');
    this.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
  }

  /** Binds 127.0.0.1:port and starts the timers; resolves with the bound port. */
  async start(): Promise<number> {
    await bindLoopbackUdp(this.socket, this.o.port);
    // 10 ms: TCP's timers (RTO floor 200 ms) and control retransmissions (1 s and up) both fit.
    this.ticker = setInterval(() => this.tick(), 10);
    this.pinger = setInterval(() => this.sendPing(), this.pingS * 1000);
    return this.socket.address().port;
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
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private tick(): void {
    const now = performance.now();
    this.host.tick();
    this.session?.tick(now);
    if (this.channel !== null && now - this.lastHeardMs > this.pingRestartS * 1000) {
      this.counters.sessionsTimedOut++;
      this.endSession(`no packet for ${this.pingRestartS} s (ping-restart)`);
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
    let wire: Uint8Array = msg;
    let wrapId: { id: number; time: number } | null = null;
    if (this.tlsCrypt !== null) {
      const u = this.tlsCrypt.unwrap(msg);
      if (!u.ok) {
        if (u.error === 'bad-tag') this.counters.tlsCryptBadTag++;
        else this.counters.tlsCryptTooShort++;
        return;
      }
      wire = u.packet;
      wrapId = { id: u.packetId, time: u.time };
    }
    const d = decodeControlPacket(wire, 0, wire.length);
    if (!d.ok) {
      this.counters.controlMalformed[d.error]++;
      return;
    }
    const p = d.value;
    const now = performance.now();
    const fromPeer = this.peer !== null && this.peer.address === rinfo.address && this.peer.port === rinfo.port;
    if (opcode === P_CONTROL_HARD_RESET_CLIENT_V2) {
      if (this.session !== null && fromPeer && sameSessionId(p.sessionId, this.session.remoteSessionId)) {
        if (!this.acceptWrapId(wrapId)) return;
        this.session.input(p, wire, now); // a retransmitted reset: acked again by the session
        return;
      }
      if (p.keyId !== 0) {
        this.counters.controlUnsupported++;
        return;
      }
      if (this.session !== null) {
        this.counters.sessionsReplaced++;
        this.endSession('replaced by a new client session');
      }
      // A new session starts a new --tls-crypt replay window (the client's ids start again at 1).
      this.tlsCryptReplayWindow = this.tlsCrypt === null ? null : new ReplayWindow();
      if (!this.acceptWrapId(wrapId)) return;
      this.startSession(p, wire, rinfo, now);
      return;
    }
    // P_CONTROL_V1 and P_ACK_V1; soft resets reach the session too, which ignores them (counted).
    if (opcode !== P_CONTROL_V1 && opcode !== P_ACK_V1 && opcode !== P_CONTROL_SOFT_RESET_V1) {
      this.counters.controlUnsupported++;
      return;
    }
    if (this.session === null || !fromPeer) {
      this.counters.controlStray++;
      return;
    }
    if (!this.acceptWrapId(wrapId)) return;
    this.lastHeardMs = now;
    this.session.input(p, wire, now);
  }

  /** --tls-crypt replay protection (tls_crypt_unwrap → crypto_check_replay); true without tls-crypt. */
  private acceptWrapId(wrapId: { id: number; time: number } | null): boolean {
    if (wrapId === null || this.tlsCryptReplayWindow === null) return true;
    if (this.tlsCryptReplayWindow.check(wrapId.id, wrapId.time)) return true;
    this.counters.tlsCryptReplay++;
    return false;
  }

  private startSession(reset: ControlPacket, msg: Uint8Array, rinfo: RemoteInfo, now: number): void {
    this.peer = { address: rinfo.address, port: rinfo.port };
    this.lastHeardMs = now;
    this.counters.sessionsStarted++;
    const peer = this.peer;
    let session: OpenVpnServerSession | null = null;
    session = new OpenVpnServerSession(
      {
        credentials: this.credentials,
        clientCa: this.clientCa,
        strategy: this.controlStrategy,
        dataCiphers: this.o.dataCiphers,
        keyDerivation: this.o.keyDerivation ?? 'auto',
        push: { gatewayIp: '10.8.0.1', clientIp: '10.8.0.2', netmask: '255.255.255.0', peerId: 0, pingS: this.pingS, pingRestartS: this.pingRestartS },
        output: (packet) => this.sendDatagram(this.tlsCrypt === null ? packet : this.tlsCrypt.wrap(packet, this.tlsCryptSendId++, this.tlsCryptSendTime), peer),
        onEstablished: (keys) => {
          if (this.session !== session && this.session !== null) return;
          this.counters.sessionsEstablished++;
          this.installKeys(keys);
        },
        onRekeyed: (keys) => {
          if (this.session !== session) return;
          this.counters.renegotiations++;
          this.installKeys(keys);
        },
        onClosed: (reason) => {
          if (this.session === session) this.endSession(reason);
          else this.lastCloseReason = reason;
        },
      },
      reset,
      msg,
      now,
    );
    this.session = session;
  }

  /** New keys: a channel for them becomes the sending one; the one before stays for receiving. */
  private installKeys(keys: DataChannelKeys): void {
    this.keys = keys;
    if (this.previous !== null) this.pastStats.push(this.previous.stats);
    this.previous = this.channel;
    this.previousKeyId = this.channelKeyId;
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
  }

  private endSession(reason: string): void {
    this.counters.sessionsClosed++;
    this.lastCloseReason = reason;
    for (const c of [this.previous, this.channel]) if (c !== null) this.pastStats.push(c.stats);
    this.channel = null;
    this.previous = null;
    this.previousKeyId = -1;
    this.session = null;
    this.keys = null;
    this.peer = null;
  }

  private receiveData(msg: Buffer, rinfo: RemoteInfo): void {
    // By key id: the newest key, or the previous one during a renegotiation (an unknown id goes to
    // the newest channel, which drops and counts it as badKeyId).
    const ch = this.previous !== null && getKeyId(msg, 0) === this.previousKeyId ? this.previous : this.channel;
    const peer = this.peer;
    if (ch === null || peer === null || peer.address !== rinfo.address || peer.port !== rinfo.port) {
      this.counters.dataStray++;
      return;
    }
    const st = this.strategy;
    st.allocRx(msg.length, this.rx);
    st.copy(msg, 0, msg.length, this.rx.buf, this.rx.start);
    const pkt = { buf: this.rx.buf, start: this.rx.start, end: this.rx.start + msg.length };
    const code = ch.open(pkt, this.plain);
    if (code !== OpenResult.DROPPED) this.lastHeardMs = performance.now();
    if (code === OpenResult.DATA) {
      this.counters.innerPackets++;
      this.host.input(this.plain);
    }
    st.release(this.rx);
  }

  /** The host's outgoing IPv4 packet: sealed in place and sent; always releases `frame`. */
  private sendInner(frame: TxFrame): boolean {
    const ch = this.channel;
    const peer = this.peer;
    if (ch === null || peer === null || !ch.seal(frame)) {
      this.strategy.releaseTx(frame);
      return false;
    }
    this.transmitFrame(frame, peer);
    return true;
  }

  private sendPing(): void {
    const ch = this.channel;
    const peer = this.peer;
    if (ch === null || peer === null) return;
    const st = this.strategy;
    st.beginTx(this.pingFrame, PING_MAGIC.length, ch.layout);
    if (!ch.sealPing(this.pingFrame)) {
      st.releaseTx(this.pingFrame);
      return;
    }
    this.transmitFrame(this.pingFrame, peer);
  }

  private transmitFrame(f: TxFrame, peer: { address: string; port: number }): void {
    // dgram's send may hold the bytes until the write completes: hand it its own copy (counted).
    const out = Buffer.allocUnsafe(f.end - f.start);
    this.strategy.countForeign(out.length);
    this.strategy.copy(f.buf, f.start, f.end, out, 0);
    this.strategy.releaseTx(f);
    this.sendDatagram(out, peer);
  }

  private sendDatagram(packet: Uint8Array, peer: { address: string; port: number }): void {
    this.counters.datagramsOut++;
    this.socket.send(packet, peer.port, peer.address);
  }
}
