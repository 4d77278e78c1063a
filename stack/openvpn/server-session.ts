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
 * 5. Renegotiation started by the client (`reneg-sec`): P_CONTROL_SOFT_RESET_V1 on a new key id
 *    starts a new key state (its own reliability layer, TLS session and key method 2; no push), whose
 *    keys go to `onRekeyed`; the key before it stays as lame duck (the caller decides for how long:
 *    --tran-window). Started by the server (`renegotiate`, ssl.c `key_state_soft_reset` when
 *    --reneg-sec/-bytes/-pkts run out): we send P_CONTROL_SOFT_RESET_V1 on the next key id first,
 *    the client answers with its own, and the same exchange follows (the client stays TLS client).
 *
 * With `cookie` (./session-cookie.ts) the session is created only once the client completed
 * OpenVPN 2.6's stateless three-way handshake: both resets (message id 0) were exchanged without
 * us keeping state, so key 0's reliability layer starts at id 1 in both directions.
 *
 * Not done: --tls-auth, username/password authentication, epoch data keys (2.7). --tls-crypt and
 * --tls-crypt-v2 wrap packets in workloads/vpn/tls-server.ts (./tls-crypt.ts, ./tls-crypt-v2.ts).
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
import { P_CONTROL_HARD_RESET_CLIENT_V2, P_CONTROL_HARD_RESET_SERVER_V2, P_CONTROL_SOFT_RESET_V1, P_CONTROL_V1, SESSION_ID_BYTES } from './wire.js';

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
  /** A renegotiation (new key id) produced new keys; the previous key stays valid for a while. */
  onRekeyed?: (keys: DataChannelKeys) => void;
  /** The session failed or the client said EXIT; `reason` says which. */
  onClosed?: (reason: string) => void;
}

export type SessionState = 'tls' | 'key-method' | 'push' | 'established' | 'closed';

export interface SessionCounters {
  /** Packets whose session id (or acked session id) was not this session's. */
  wrongSession: number;
  /** Control packets for a key id we have no key state for (and that start none). */
  unknownKeyId: number;
  pushRequests: number;
  /** Renegotiations the client started (P_CONTROL_SOFT_RESET_V1 on a new key id) and finished. */
  renegotiationsStarted: number;
  /** Renegotiations we started (`renegotiate`). */
  renegotiationsByServer: number;
  renegotiations: number;
  /** Control messages we do not act on (counted, ignored). */
  messagesIgnored: number;
}

/**
 * One key state (ssl_common.h `key_state`): a key id with its own reliability layer (packet ids
 * from 0), its own TLS session and its own key method 2 exchange. Key id 0 starts with the hard
 * reset; a renegotiation (`P_CONTROL_SOFT_RESET_V1`, key ids 1…7 then 1 again) starts another.
 */
class KeyState {
  phase: SessionState = 'tls';
  keys: DataChannelKeys | null = null;
  clientKeyMethod: KeyMethod2 | null = null;
  readonly tls: TlsConnection;
  readonly reliable: ReliableChannel;
  readonly deadlineMs: number;
  private tlsOut: Uint8Array[] = [];
  private plain = new Uint8Array(0);

  constructor(
    private readonly session: OpenVpnServerSession,
    private readonly o: ServerSessionOptions,
    readonly keyId: number,
    nowMs: number,
    /** We sent the soft reset (server-started renegotiation): the client's answers it, no second one. */
    readonly startedByServer = false,
    firstMessageId = 0,
  ) {
    this.deadlineMs = nowMs + HANDSHAKE_WINDOW_MS;
    this.reliable = new ReliableChannel({
      sessionId: session.sessionId,
      remoteSessionId: session.remoteSessionId,
      keyId,
      firstMessageId,
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
          if (this.phase === 'tls') this.phase = 'key-method';
        },
        onClose: (info) => {
          this.phase = 'closed';
          if (info.byPeer && info.alert === 0) session.keyStateFailed(this, 'client closed the TLS session');
          else session.keyStateFailed(this, `TLS: ${info.reason} (${info.alertName})`);
        },
      },
    );
  }

  /** Moves TLS output into control packets and sends what the window allows. */
  pump(nowMs: number): void {
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
    this.reliable.flush(nowMs);
  }

  private deliver(opcode: number, payload: Uint8Array): void {
    // The first message of a key state is the client's reset; we answer with ours (ssl.c
    // key_state_init: initial_opcode is HARD_RESET_SERVER_V2 for key 0, SOFT_RESET_V1 after).
    if (opcode === P_CONTROL_HARD_RESET_CLIENT_V2 && this.keyId === 0) {
      this.reliable.send(P_CONTROL_HARD_RESET_SERVER_V2, new Uint8Array(0));
      return;
    }
    if (opcode === P_CONTROL_SOFT_RESET_V1 && this.keyId !== 0) {
      if (!this.startedByServer) this.reliable.send(P_CONTROL_SOFT_RESET_V1, new Uint8Array(0));
      return;
    }
    if (opcode !== P_CONTROL_V1 || this.phase === 'closed') {
      this.session.counters.messagesIgnored++;
      return;
    }
    this.tls.receive(payload, 0, payload.length);
  }

  private onPlaintext(b: Uint8Array, s: number, e: number): void {
    const next = new Uint8Array(this.plain.length + (e - s));
    next.set(this.plain);
    next.set(b.subarray(s, e), this.plain.length);
    this.plain = next;
    if (this.phase === 'key-method') {
      const d = decodeClientKeyMethod2(this.plain, 0, this.plain.length);
      if (!d.ok) {
        if (d.error !== 'incomplete') this.fail(`key method 2: ${d.error}`);
        return;
      }
      this.plain = this.plain.slice(d.bytes);
      this.onClientKeyMethod(d.value);
    }
    if (this.phase === 'push' || this.phase === 'established') this.readMessages();
  }

  private onClientKeyMethod(km: KeyMethod2): void {
    this.clientKeyMethod = km;
    // A renegotiation keeps the cipher negotiated for key 0 (OpenVPN does not renegotiate it).
    const previous = this.session.keys;
    const offered = (peerInfoValue(km.peerInfo, 'IV_CIPHERS') ?? (peerInfoValue(km.peerInfo, 'IV_NCP') === '2' ? 'AES-256-GCM:AES-128-GCM' : '')).split(':');
    const algorithm = previous?.algorithm ?? this.o.dataCiphers.find((a) => offered.includes(OPENVPN_CIPHER_NAMES[a]));
    if (algorithm === undefined) {
      // push.c: a client without a common cipher gets AUTH_FAILED and is disconnected.
      this.tls.write(...whole(controlMessage(`AUTH_FAILED,no common data cipher: client offers ${offered.join(':') || 'none'}, server allows ${this.o.dataCiphers.map((a) => OPENVPN_CIPHER_NAMES[a]).join(':')}`)));
      this.fail('no common data cipher');
      return;
    }
    const server: KeySource = { preMaster: new Uint8Array(0), random1: new Uint8Array(randomBytes(32)), random2: new Uint8Array(randomBytes(32)) };
    this.tls.write(...whole(encodeServerKeyMethod2(server, serverOptionsString(algorithm))));
    const ivProto = Number(peerInfoValue(km.peerInfo, 'IV_PROTO') ?? '0');
    // A renegotiation derives its keys the way key 0 did (what was pushed stays in force).
    const ekm = previous !== null ? previous.derivation === 'tls-ekm' : (ivProto & IV_PROTO_TLS_KEY_EXPORT) !== 0 && this.o.keyDerivation !== 'openvpn-prf';
    const material = ekm ? this.tls.exportKeyingMaterial(EKM_LABEL, new Uint8Array(0), STATIC_KEY_BYTES) : openVpnPrfKeys(km.keySource, server, this.session.remoteSessionId, this.session.sessionId);
    // ssl.c init_key_contexts: the server uses KEY_DIRECTION_INVERSE (sends with key 1).
    const { send, receive } = keysForDirection(staticKeyFromBytes(material), 1);
    this.keys = { algorithm, send: aeadKeyFromPair(algorithm, send), receive: aeadKeyFromPair(algorithm, receive), peerId: this.o.push.peerId, keyId: this.keyId, derivation: ekm ? 'tls-ekm' : 'openvpn-prf' };
    if (this.keyId === 0) {
      this.phase = 'push';
      return;
    }
    // No PUSH_REQUEST after a renegotiation: the new key is ready now.
    this.phase = 'established';
    this.session.rekeyed(this);
  }

  private readMessages(): void {
    for (let nul = this.plain.indexOf(0); nul >= 0 && this.phase !== 'closed'; nul = this.plain.indexOf(0)) {
      const text = Buffer.from(this.plain.subarray(0, nul)).toString('latin1');
      this.plain = this.plain.slice(nul + 1);
      if (text === 'PUSH_REQUEST') {
        this.session.counters.pushRequests++;
        this.tls.write(...whole(controlMessage(this.session.pushReply(this.keys!))));
        if (this.phase === 'push') {
          this.phase = 'established';
          this.session.established(this);
        }
      } else if (text === 'EXIT') {
        this.session.close('client sent EXIT');
      } else {
        this.session.counters.messagesIgnored++;
      }
    }
  }

  private fail(reason: string): void {
    this.phase = 'closed';
    this.session.keyStateFailed(this, reason);
  }
}

export class OpenVpnServerSession {
  readonly sessionId: Uint8Array;
  readonly remoteSessionId: Uint8Array;
  readonly counters: SessionCounters = { wrongSession: 0, unknownKeyId: 0, pushRequests: 0, renegotiationsStarted: 0, renegotiationsByServer: 0, renegotiations: 0, messagesIgnored: 0 };
  /** The session's state: that of key 0 until it is established, then 'established' until closed. */
  state: SessionState = 'tls';
  closeReason: string | null = null;
  /** The newest data-channel keys. */
  keys: DataChannelKeys | null = null;
  /** Key states by key id: the current one and, during a renegotiation, the one before it. */
  private readonly keyStates = new Map<number, KeyState>();
  private nowMs: number;

  /**
   * Without `cookie`, `first` is the client's P_CONTROL_HARD_RESET_CLIENT_V2 (decoded from `buf`) and
   * we answer it. With `cookie` (our session id, already sent in a stateless reset), `first` is the
   * packet that completed the three-way handshake (a P_ACK_V1 or the client's message id 1).
   */
  constructor(
    private readonly o: ServerSessionOptions,
    first: ControlPacket,
    buf: Uint8Array,
    nowMs: number,
    cookie?: Uint8Array,
  ) {
    this.nowMs = nowMs;
    this.sessionId = cookie ?? new Uint8Array(randomBytes(SESSION_ID_BYTES));
    this.remoteSessionId = first.sessionId;
    this.keyStates.set(0, new KeyState(this, o, 0, nowMs, false, cookie === undefined ? 0 : 1));
    this.input(first, buf, nowMs);
  }

  /** True while a key state is still negotiating (the initial handshake or a renegotiation). */
  get negotiating(): boolean {
    for (const ks of this.keyStates.values()) if (ks.phase !== 'established' && ks.phase !== 'closed') return true;
    return false;
  }

  /**
   * Starts a renegotiation from our side (ssl.c key_state_soft_reset): a new key state on the next
   * key id (1…7, then 1 again) whose first message is our P_CONTROL_SOFT_RESET_V1. Returns false
   * (and does nothing) before the session is established or while a key state is negotiating.
   */
  renegotiate(nowMs: number): boolean {
    const current = this.newest();
    if (this.state !== 'established' || current === undefined || this.negotiating) return false;
    const keyId = current.keyId === 7 ? 1 : current.keyId + 1;
    const ks = new KeyState(this, this.o, keyId, nowMs, true);
    this.dropKeyStatesExcept(current);
    this.keyStates.set(keyId, ks);
    this.counters.renegotiationsByServer++;
    ks.reliable.send(P_CONTROL_SOFT_RESET_V1, new Uint8Array(0));
    ks.pump(nowMs);
    return true;
  }

  /** The TLS connection of key 0 (the initial handshake). */
  get tls(): TlsConnection {
    return this.keyStates.get(0)?.tls ?? [...this.keyStates.values()][0]!.tls;
  }

  /** The client's key method 2 message of the newest key state. */
  get clientKeyMethod(): KeyMethod2 | null {
    return this.newest()?.clientKeyMethod ?? null;
  }

  get reliableCounters(): ReliableCounters {
    return this.newest()!.reliable.counters;
  }

  /** One control packet of this session (`p` decoded from `buf`). */
  input(p: ControlPacket, buf: Uint8Array, nowMs: number): void {
    this.nowMs = nowMs;
    // reliable_ack_read: acks must name our session; every packet must carry the peer's.
    if (!sameSessionId(p.sessionId, this.remoteSessionId) || (p.ackedSessionId !== null && !sameSessionId(p.ackedSessionId, this.sessionId))) {
      this.counters.wrongSession++;
      return;
    }
    let ks = this.keyStates.get(p.keyId);
    if (ks === undefined) {
      // ssl.c: a soft reset on a new key id is a renegotiation, allowed once the session is established.
      if (p.opcode !== P_CONTROL_SOFT_RESET_V1 || p.keyId === 0 || this.state !== 'established') {
        this.counters.unknownKeyId++;
        return;
      }
      this.counters.renegotiationsStarted++;
      ks = new KeyState(this, this.o, p.keyId, nowMs);
      // Keep the key being replaced (the lame duck) and the new one; older ones go.
      const current = this.newest();
      if (current !== undefined) this.dropKeyStatesExcept(current);
      this.keyStates.set(p.keyId, ks);
    }
    ks.reliable.receive(p, buf);
    ks.pump(nowMs);
  }

  /** Runs the retransmission timers and the handshake deadlines. */
  tick(nowMs: number): void {
    this.nowMs = nowMs;
    for (const ks of this.keyStates.values()) {
      if (ks.phase !== 'established' && ks.phase !== 'closed' && nowMs > ks.deadlineMs) {
        ks.phase = 'closed';
        this.keyStateFailed(ks, `no data-channel keys for key id ${ks.keyId} within ${HANDSHAKE_WINDOW_MS / 1000} s (--hand-window)`);
      }
      ks.reliable.tick(nowMs);
    }
  }

  /** @internal key 0 answered the PUSH_REQUEST: the data channel may start. */
  established(ks: KeyState): void {
    this.state = 'established';
    this.keys = ks.keys;
    this.o.onEstablished(ks.keys!);
  }

  /** @internal a renegotiated key is ready. */
  rekeyed(ks: KeyState): void {
    this.counters.renegotiations++;
    this.keys = ks.keys;
    (this.o.onRekeyed ?? this.o.onEstablished)(ks.keys!);
  }

  /** @internal a key state failed: the whole session ends (as OpenVPN restarts the session). */
  keyStateFailed(ks: KeyState, reason: string): void {
    this.close(reason);
    ks.pump(this.nowMs);
  }

  /** @internal the PUSH_REPLY for `keys`. */
  pushReply(k: DataChannelKeys): string {
    const p = this.o.push;
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

  close(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeReason = reason;
    // Every key state's TLS record buffer goes back to the strategy (before this, a session closed
    // by a timeout or replaced by a new one kept its buffers: with one-big-struct's fixed arena the
    // server failed E_ARENA_FULL after about a dozen client sessions).
    for (const ks of this.keyStates.values()) {
      ks.phase = 'closed'; // a close from inside ks's own message loop stops it there
      ks.tls.dispose();
    }
    this.o.onClosed?.(reason);
  }

  /** Forgets every key state but `keep`, giving their TLS record buffers back. */
  private dropKeyStatesExcept(keep: KeyState): void {
    for (const [id, old] of this.keyStates) {
      if (old === keep) continue;
      old.tls.dispose();
      this.keyStates.delete(id);
    }
  }

  private newest(): KeyState | undefined {
    let last: KeyState | undefined;
    for (const ks of this.keyStates.values()) last = ks;
    return last;
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
