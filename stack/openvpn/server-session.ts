/**
 * One client's control-channel session on an OpenVPN 2.6 server in TLS mode (`--tls-server`), sans
 * I/O: decoded control packets in (`input`), control datagrams out (`output`), data-channel keys out
 * (`onEstablished`) once the client asked for its configuration.
 *
 * The exchange (ssl.c, push.c; MirageVPN lib/engine.ml follows the same steps):
 * 1. P_CONTROL_HARD_RESET_CLIENT_V2 (packet id 0) → P_CONTROL_HARD_RESET_SERVER_V2 (our id 0, acking 0).
 * 2. TLS 1.3 (stack/tls, requiring a client certificate from `clientCa`) in P_CONTROL_V1 packets over
 *    the reliability layer (./reliable.ts), each packet at most `MAX_CONTROL_PAYLOAD_BYTES` of records.
 * 3. Key method 2 (./key-method.ts): the client's random material, options and peer info; ours back.
 * 4. The client's `PUSH_REQUEST` → `PUSH_REPLY` with topology subnet, ifconfig, peer-id, the cipher
 *    chosen from its IV_CIPHERS by our `dataCiphers` order, and `key-derivation tls-ekm` when its
 *    IV_PROTO announces TLS key export. Data-channel keys then come from the TLS exporter
 *    ("EXPORTER-OpenVPN-datakeys", 256 bytes) or, without that bit, from the OpenVPN PRF (./prf.ts);
 *    either way two `cipher[64] ‖ hmac[64]` keys, the client sending with key 0 and the server with key 1.
 *
 * Not done: renegotiation (P_CONTROL_SOFT_RESET_V1, new key ids), --tls-auth / --tls-crypt,
 * username/password authentication, epoch data keys (2.7).
 */
import { randomBytes, type X509Certificate } from 'node:crypto';
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import type { AeadAlgorithm } from '../crypto/crypto-backend.js';
import type { ServerCredentials } from '../tls/certificates.js';
import { TlsConnection } from '../tls/connection.js';
import { sameSessionId, type ControlPacket } from './control-packet.js';
import { aeadKeyFromPair, type AeadDirectionKey } from './data-channel.js';
import { IV_PROTO_TLS_KEY_EXPORT, controlMessage, decodeClientKeyMethod2, encodeServerKeyMethod2, peerInfoValue, type KeyMethod2 } from './key-method.js';
import { openVpnPrfKeys, type KeySource } from './prf.js';
import { ReliableChannel, type ReliableCounters } from './reliable.js';
import { keysForDirection, staticKeyFromBytes, STATIC_KEY_BYTES } from './static-key.js';
import { P_CONTROL_HARD_RESET_CLIENT_V2, P_CONTROL_HARD_RESET_SERVER_V2, P_CONTROL_V1, SESSION_ID_BYTES } from './wire.js';

/** Largest TLS payload per P_CONTROL_V1: OpenVPN 2.6's default --tls-mtu is 1250 for the whole packet. */
export const MAX_CONTROL_PAYLOAD_BYTES = 1100;
/** ssl_backend.h EXPORT_KEY_DATA_LABEL. */
export const EKM_LABEL = 'EXPORTER-OpenVPN-datakeys';
/** --hand-window default: a TLS exchange must finish within 60 s. */
export const HANDSHAKE_WINDOW_MS = 60_000;

/** OpenVPN's names of the data ciphers (`--data-ciphers`). */
export const OPENVPN_CIPHER_NAMES: Readonly<Record<AeadAlgorithm, string>> = {
  'aes-256-gcm': 'AES-256-GCM',
  'aes-128-gcm': 'AES-128-GCM',
  'chacha20-poly1305': 'CHACHA20-POLY1305',
};

/** What the server pushes to this client (dotted-quad strings, seconds). */
export interface TunnelPush {
  gatewayIp: string;
  clientIp: string;
  netmask: string;
  peerId: number;
  pingS: number;
  pingRestartS: number;
}

export interface DataChannelKeys {
  algorithm: AeadAlgorithm;
  send: AeadDirectionKey;
  receive: AeadDirectionKey;
  peerId: number;
  keyId: number;
  derivation: 'tls-ekm' | 'openvpn-prf';
}

export interface ServerSessionOptions {
  credentials: ServerCredentials;
  /** Client certificates must chain to one of these. */
  clientCa: readonly X509Certificate[];
  /** Strategy of the TLS record path. */
  strategy: BufferStrategy;
  /** Data ciphers in our preference order. */
  dataCiphers: readonly AeadAlgorithm[];
  push: TunnelPush;
  /**
   * `auto` (default): TLS-EKM when the client's IV_PROTO announces it, else the OpenVPN PRF.
   * `openvpn-prf`: always the PRF (and no `key-derivation tls-ekm` pushed) — how a 2.6 client is
   * made to exercise the path of peers without TLS-EKM.
   */
  keyDerivation?: 'auto' | 'openvpn-prf';
  /** Control datagrams out (the array is the callee's). */
  output: (packet: Uint8Array) => void;
  /** The data channel may start: called once, after the PUSH_REPLY went out. */
  onEstablished: (keys: DataChannelKeys) => void;
  /** The session failed or the client said EXIT; `reason` says which. */
  onClosed?: (reason: string) => void;
}

export type SessionState = 'tls' | 'key-method' | 'push' | 'established' | 'closed';

export interface SessionCounters {
  /** Packets whose session id (or acked session id) was not this session's. */
  wrongSession: number;
  pushRequests: number;
  /** Control messages we do not act on (counted, ignored). */
  messagesIgnored: number;
}

export class OpenVpnServerSession {
  readonly sessionId: Uint8Array;
  readonly remoteSessionId: Uint8Array;
  readonly counters: SessionCounters = { wrongSession: 0, pushRequests: 0, messagesIgnored: 0 };
  state: SessionState = 'tls';
  closeReason: string | null = null;
  keys: DataChannelKeys | null = null;
  clientKeyMethod: KeyMethod2 | null = null;
  readonly tls: TlsConnection;
  private readonly reliable: ReliableChannel;
  private readonly deadlineMs: number;
  private tlsOut: Uint8Array[] = [];
  private plain = new Uint8Array(0);
  private nowMs: number;

  /** `reset` is the client's P_CONTROL_HARD_RESET_CLIENT_V2 (decoded from `buf`). */
  constructor(
    private readonly o: ServerSessionOptions,
    reset: ControlPacket,
    buf: Uint8Array,
    nowMs: number,
  ) {
    this.nowMs = nowMs;
    this.deadlineMs = nowMs + HANDSHAKE_WINDOW_MS;
    this.sessionId = new Uint8Array(randomBytes(SESSION_ID_BYTES));
    this.remoteSessionId = reset.sessionId;
    this.reliable = new ReliableChannel({
      sessionId: this.sessionId,
      remoteSessionId: this.remoteSessionId,
      keyId: reset.keyId,
      output: o.output,
      deliver: (opcode, payload) => this.deliver(opcode, payload),
    });
    this.tls = new TlsConnection(
      { role: 'server', credentials: o.credentials, clientCa: o.clientCa },
      {
        strategy: o.strategy,
        output: (b, s, e) => void this.tlsOut.push(b.slice(s, e)),
        onData: (b, s, e) => this.onPlaintext(b, s, e),
        onHandshakeDone: () => {
          if (this.state === 'tls') this.state = 'key-method';
        },
        onClose: (info) => {
          if (info.byPeer && info.alert === 0) this.close('client closed the TLS session');
          else this.close(`TLS: ${info.reason} (${info.alertName})`);
        },
      },
    );
    this.input(reset, buf, nowMs);
  }

  get reliableCounters(): ReliableCounters {
    return this.reliable.counters;
  }

  /** One control packet of this session (`p` decoded from `buf`). */
  input(p: ControlPacket, buf: Uint8Array, nowMs: number): void {
    this.nowMs = nowMs;
    // reliable_ack_read: acks must name our session; every packet must carry the peer's.
    if (!sameSessionId(p.sessionId, this.remoteSessionId) || (p.ackedSessionId !== null && !sameSessionId(p.ackedSessionId, this.sessionId))) {
      this.counters.wrongSession++;
      return;
    }
    this.reliable.receive(p, buf);
    this.pump();
  }

  /** Runs the retransmission timers and the handshake deadline. */
  tick(nowMs: number): void {
    this.nowMs = nowMs;
    if (this.state !== 'established' && this.state !== 'closed' && nowMs > this.deadlineMs) this.close(`no data-channel keys within ${HANDSHAKE_WINDOW_MS / 1000} s (--hand-window)`);
    this.reliable.tick(nowMs);
  }

  private deliver(opcode: number, payload: Uint8Array): void {
    if (opcode === P_CONTROL_HARD_RESET_CLIENT_V2) {
      this.reliable.send(P_CONTROL_HARD_RESET_SERVER_V2, new Uint8Array(0));
      return;
    }
    if (opcode !== P_CONTROL_V1 || this.state === 'closed') {
      this.counters.messagesIgnored++;
      return;
    }
    this.tls.receive(payload, 0, payload.length);
  }

  /** Moves TLS output into control packets and sends what the window allows. */
  private pump(): void {
    if (this.tlsOut.length > 0) {
      const total = this.tlsOut.reduce((n, b) => n + b.length, 0);
      const all = new Uint8Array(total);
      let at = 0;
      for (const b of this.tlsOut) {
        all.set(b, at);
        at += b.length;
      }
      this.tlsOut = [];
      for (let i = 0; i < total; i += MAX_CONTROL_PAYLOAD_BYTES) this.reliable.send(P_CONTROL_V1, all.subarray(i, Math.min(total, i + MAX_CONTROL_PAYLOAD_BYTES)));
    }
    this.reliable.flush(this.nowMs);
  }

  private onPlaintext(b: Uint8Array, s: number, e: number): void {
    const next = new Uint8Array(this.plain.length + (e - s));
    next.set(this.plain);
    next.set(b.subarray(s, e), this.plain.length);
    this.plain = next;
    if (this.state === 'key-method') {
      const d = decodeClientKeyMethod2(this.plain, 0, this.plain.length);
      if (!d.ok) {
        if (d.error !== 'incomplete') this.fail(`key method 2: ${d.error}`);
        return;
      }
      this.plain = this.plain.slice(d.bytes);
      this.onClientKeyMethod(d.value);
    }
    if (this.state === 'push' || this.state === 'established') this.readMessages();
  }

  private onClientKeyMethod(km: KeyMethod2): void {
    this.clientKeyMethod = km;
    const offered = (peerInfoValue(km.peerInfo, 'IV_CIPHERS') ?? (peerInfoValue(km.peerInfo, 'IV_NCP') === '2' ? 'AES-256-GCM:AES-128-GCM' : '')).split(':');
    const algorithm = this.o.dataCiphers.find((a) => offered.includes(OPENVPN_CIPHER_NAMES[a]));
    if (algorithm === undefined) {
      // push.c: a client without a common cipher gets AUTH_FAILED and is disconnected.
      this.tls.write(...whole(controlMessage(`AUTH_FAILED,no common data cipher: client offers ${offered.join(':') || 'none'}, server allows ${this.o.dataCiphers.map((a) => OPENVPN_CIPHER_NAMES[a]).join(':')}`)));
      this.fail('no common data cipher');
      return;
    }
    const server: KeySource = { preMaster: new Uint8Array(0), random1: new Uint8Array(randomBytes(32)), random2: new Uint8Array(randomBytes(32)) };
    this.tls.write(...whole(encodeServerKeyMethod2(server, serverOptionsString(algorithm))));
    const ivProto = Number(peerInfoValue(km.peerInfo, 'IV_PROTO') ?? '0');
    const ekm = (ivProto & IV_PROTO_TLS_KEY_EXPORT) !== 0 && this.o.keyDerivation !== 'openvpn-prf';
    const material = ekm ? this.tls.exportKeyingMaterial(EKM_LABEL, new Uint8Array(0), STATIC_KEY_BYTES) : openVpnPrfKeys(km.keySource, server, this.remoteSessionId, this.sessionId);
    // ssl.c init_key_contexts: the server uses KEY_DIRECTION_INVERSE (sends with key 1).
    const { send, receive } = keysForDirection(staticKeyFromBytes(material), 1);
    this.keys = { algorithm, send: aeadKeyFromPair(algorithm, send), receive: aeadKeyFromPair(algorithm, receive), peerId: this.o.push.peerId, keyId: 0, derivation: ekm ? 'tls-ekm' : 'openvpn-prf' };
    this.state = 'push';
  }

  private readMessages(): void {
    for (let nul = this.plain.indexOf(0); nul >= 0 && this.state !== 'closed'; nul = this.plain.indexOf(0)) {
      const text = Buffer.from(this.plain.subarray(0, nul)).toString('latin1');
      this.plain = this.plain.slice(nul + 1);
      if (text === 'PUSH_REQUEST') {
        this.counters.pushRequests++;
        this.tls.write(...whole(controlMessage(this.pushReply())));
        if (this.state === 'push') {
          this.state = 'established';
          this.o.onEstablished(this.keys!);
        }
      } else if (text === 'EXIT') {
        this.close('client sent EXIT');
      } else {
        this.counters.messagesIgnored++;
      }
    }
  }

  private pushReply(): string {
    const p = this.o.push;
    const k = this.keys!;
    const parts = [
      'PUSH_REPLY',
      `route-gateway ${p.gatewayIp}`,
      'topology subnet',
      `ping ${p.pingS}`,
      `ping-restart ${p.pingRestartS}`,
      `ifconfig ${p.clientIp} ${p.netmask}`,
      `peer-id ${p.peerId}`,
      `cipher ${OPENVPN_CIPHER_NAMES[k.algorithm]}`,
    ];
    if (k.derivation === 'tls-ekm') parts.push('key-derivation tls-ekm');
    return parts.join(',');
  }

  private fail(reason: string): void {
    this.close(reason);
    this.pump();
  }

  private close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    this.o.onClosed?.(reason);
  }
}

function whole(b: Uint8Array): [Uint8Array, number, number] {
  return [b, 0, b.length];
}

/**
 * The options string we announce (options.c `options_string`): the peer only compares it with what
 * it expects and logs differences (OCC), so it describes this server truthfully.
 */
function serverOptionsString(algorithm: AeadAlgorithm): string {
  return `V4,dev-type tun,link-mtu 1521,tun-mtu 1500,proto UDPv4,cipher ${OPENVPN_CIPHER_NAMES[algorithm]},auth [null-digest],keysize ${algorithm === 'aes-128-gcm' ? 128 : 256},key-method 2,tls-server`;
}
