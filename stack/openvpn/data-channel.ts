/**
 * The OpenVPN data channel: encapsulation of one tunnel packet (`seal`) and its authentication,
 * decryption and replay check (`open`), as OpenVPN 2.6 puts them on the wire (see ./wire.ts).
 *
 * Both modes work in place on a strategy's frame: `seal` takes a `TxFrame` whose `[start, end)` is
 * the plaintext, prepends the tunnel header (and appends CBC padding), and encrypts; `open` takes the
 * cursor of a received packet, authenticates before decrypting, decrypts in place and hands the
 * plaintext up through the strategy. Malformed, forged or replayed packets are dropped and counted by
 * reason in `stats`; nothing on the data path throws or formats a message.
 */
import type { BufferStrategy, FrameLayout, RxCursor, TxFrame } from '../../allocators/buffer-strategy.js';
import {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  equalConstantTime,
  type AeadAlgorithm,
  type AeadKey,
  type CbcHmacKey,
  type CryptoBackend,
} from '../crypto/crypto-backend.js';
import { decodeLongPacketId, newLongPacketId } from './packet.js';
import { ReplayWindow, DEFAULT_REPLAY_TIME_S, DEFAULT_REPLAY_WINDOW } from './replay-window.js';
import { keysForDirection, type KeyDirection, type KeyPair, type StaticKey } from './static-key.js';
import {
  DATA_V2_AAD_BYTES,
  OCC_MAGIC,
  P_DATA_V2,
  PACKET_ID_BYTES,
  PACKET_ID_LONG_BYTES,
  PACKET_ID_MAX,
  PING_MAGIC,
  getDataV2PacketId,
  getKeyId,
  getOpcode,
  getPeerId,
  isExactly,
  setNoncePacketId,
  startsWith,
  writeDataV2Header,
  writeLongPacketId,
} from './wire.js';

/** What `open` found. Only `DATA` is a packet for the tun device. */
export const OpenResult = {
  /** A data packet: its plaintext is in `out`. */
  DATA: 0,
  /** A keepalive ping (counted; `out` holds the 16 magic bytes). */
  PING: 1,
  /** An options-consistency-check message (counted; `out` holds it). */
  OCC: 2,
  /** Dropped; the reason is counted in `stats`. `out` is unchanged. */
  DROPPED: 3,
} as const;
export type OpenResultCode = (typeof OpenResult)[keyof typeof OpenResult];

/** Cumulative counters of one data channel. */
export interface DataChannelStats {
  sealed: number;
  opened: number;
  pingsSent: number;
  pingsReceived: number;
  occReceived: number;
  /** Drops by reason. */
  tooShort: number;
  badOpcode: number;
  badKeyId: number;
  badPeerId: number;
  /** AEAD tag did not verify. */
  badTag: number;
  /** Static-key HMAC did not verify. */
  badHmac: number;
  /** Ciphertext not a whole number of cipher blocks. */
  badLength: number;
  badPadding: number;
  /** Packet id rejected by the replay window (replayed, too old, or id 0). */
  replay: number;
  /** `seal` refused: the short-form packet id space is used up (OpenVPN renegotiates then). */
  pidExhausted: number;
}

export function emptyDataChannelStats(): DataChannelStats {
  return {
    sealed: 0,
    opened: 0,
    pingsSent: 0,
    pingsReceived: 0,
    occReceived: 0,
    tooShort: 0,
    badOpcode: 0,
    badKeyId: 0,
    badPeerId: 0,
    badTag: 0,
    badHmac: 0,
    badLength: 0,
    badPadding: 0,
    replay: 0,
    pidExhausted: 0,
  };
}

/** Sum of every drop reason in `stats`. */
export function droppedTotal(s: DataChannelStats): number {
  return s.tooShort + s.badOpcode + s.badKeyId + s.badPeerId + s.badTag + s.badHmac + s.badLength + s.badPadding + s.replay;
}

export interface DataChannel {
  /** Head- and tailroom the channel adds around a plaintext packet. */
  readonly layout: FrameLayout;
  readonly stats: DataChannelStats;
  /**
   * Encapsulates `frame`'s `[start, end)` in place. Returns false (counted as `pidExhausted`, frame
   * untouched) when no packet id is left. May replace `frame.buf` (the `uint8array` strategy).
   */
  seal(frame: TxFrame): boolean;
  /** Writes the 16-byte ping payload into a frame begun with `beginTx(frame, 16, …)` and seals it. */
  sealPing(frame: TxFrame): boolean;
  /**
   * Authenticates, decrypts in place and checks the packet in `pkt.buf[start, end)`; on success the
   * plaintext is handed up into `out` through the strategy (a copy, view or cursor).
   */
  open(pkt: RxCursor, out: RxCursor): OpenResultCode;
}

/** A clock in whole seconds (OpenVPN's `now`). */
export type ClockSeconds = () => number;
const systemSeconds: ClockSeconds = () => Math.floor(Date.now() / 1000);

interface CommonOptions {
  backend: CryptoBackend;
  strategy: BufferStrategy;
  /** `--replay-window n t`; defaults 64 and 15. */
  replayWindow?: number;
  replayTimeS?: number;
  clock?: ClockSeconds;
}

/** Key material of one direction in AEAD mode: `cipher` (key bytes) and `implicitIv` (8 bytes). */
export interface AeadDirectionKey {
  cipher: Uint8Array;
  implicitIv: Uint8Array;
}

export interface AeadChannelOptions extends CommonOptions {
  algorithm: AeadAlgorithm;
  send: AeadDirectionKey;
  receive: AeadDirectionKey;
  /** 0..7; packets with another key id are dropped (`badKeyId`). */
  keyId?: number;
  /** 24-bit peer id written on send. */
  peerId?: number;
  /** Peer id expected on receive; undefined accepts any (a client does not check it). */
  expectPeerId?: number;
}

/** AEAD key material from an OpenVPN key pair: cipher key from `cipher`, implicit IV from `hmac`. */
export function aeadKeyFromPair(algorithm: AeadAlgorithm, pair: KeyPair): AeadDirectionKey {
  return {
    cipher: pair.cipher.subarray(0, AEAD_KEY_BYTES[algorithm]),
    implicitIv: pair.hmac.subarray(0, AEAD_NONCE_BYTES - PACKET_ID_BYTES),
  };
}

/** What both modes share: the stats and the keepalive ping, written and sealed in one place. */
abstract class SealingChannel implements DataChannel {
  abstract readonly layout: FrameLayout;
  readonly stats = emptyDataChannelStats();
  abstract seal(frame: TxFrame): boolean;
  abstract open(pkt: RxCursor, out: RxCursor): OpenResultCode;

  sealPing(frame: TxFrame): boolean {
    frame.buf.set(PING_MAGIC, frame.start);
    frame.end = frame.start + PING_MAGIC.length;
    if (!this.seal(frame)) return false;
    this.stats.pingsSent++;
    return true;
  }
}

/** P_DATA_V2 with AES-GCM / ChaCha20-Poly1305 (or the null cipher when `backend` is `none`). */
export class AeadDataChannel extends SealingChannel {
  readonly layout: FrameLayout;
  private readonly sendKey: AeadKey;
  private readonly receiveKey: AeadKey;
  private readonly sendNonce = new Uint8Array(AEAD_NONCE_BYTES);
  private readonly receiveNonce = new Uint8Array(AEAD_NONCE_BYTES);
  private readonly replay: ReplayWindow;
  private readonly strategy: BufferStrategy;
  private readonly keyId: number;
  private readonly peerId: number;
  private readonly expectPeerId: number;
  private readonly tagBytes: number;
  private nextPacketId = 1;

  constructor(o: AeadChannelOptions) {
    super();
    this.strategy = o.strategy;
    this.sendKey = o.backend.aead(o.algorithm, o.send.cipher);
    this.receiveKey = o.backend.aead(o.algorithm, o.receive.cipher);
    this.tagBytes = this.sendKey.tagBytes;
    this.keyId = o.keyId ?? 0;
    this.peerId = o.peerId ?? 0;
    this.expectPeerId = o.expectPeerId ?? -1;
    // nonce = packet id (4, filled per packet) || implicit IV (8, fixed per key)
    this.sendNonce.set(o.send.implicitIv.subarray(0, AEAD_NONCE_BYTES - PACKET_ID_BYTES), PACKET_ID_BYTES);
    this.receiveNonce.set(o.receive.implicitIv.subarray(0, AEAD_NONCE_BYTES - PACKET_ID_BYTES), PACKET_ID_BYTES);
    this.replay = new ReplayWindow(o.replayWindow ?? DEFAULT_REPLAY_WINDOW, o.replayTimeS ?? DEFAULT_REPLAY_TIME_S, o.clock ?? systemSeconds);
    this.layout = { headroomBytes: DATA_V2_AAD_BYTES + this.tagBytes, tailroomBytes: 0 };
  }

  seal(frame: TxFrame): boolean {
    if (this.nextPacketId > PACKET_ID_MAX) {
      this.stats.pidExhausted++;
      return false;
    }
    const pid = this.nextPacketId++;
    this.strategy.prepend(frame, this.layout.headroomBytes);
    const buf = frame.buf;
    const s = frame.start;
    writeDataV2Header(buf, s, this.keyId, this.peerId, pid);
    setNoncePacketId(this.sendNonce, pid);
    const aadEnd = s + DATA_V2_AAD_BYTES;
    // Tag before the ciphertext (OpenVPN 2.4–2.6): AAD | tag | ciphertext.
    this.sendKey.seal(this.sendNonce, buf, s, aadEnd, aadEnd + this.tagBytes, frame.end, aadEnd, this.strategy);
    this.stats.sealed++;
    return true;
  }

  open(pkt: RxCursor, out: RxCursor): OpenResultCode {
    const buf = pkt.buf;
    const s = pkt.start;
    const e = pkt.end;
    if (e - s < this.layout.headroomBytes) {
      this.stats.tooShort++;
      return OpenResult.DROPPED;
    }
    // The wire.ts getters directly, not decodeDataV2 into a header object: measured faster on
    // this path (each check is counted apart, and the tag length was checked above).
    if (getOpcode(buf, s) !== P_DATA_V2) {
      this.stats.badOpcode++;
      return OpenResult.DROPPED;
    }
    if (getKeyId(buf, s) !== this.keyId) {
      this.stats.badKeyId++;
      return OpenResult.DROPPED;
    }
    if (this.expectPeerId >= 0 && getPeerId(buf, s) !== this.expectPeerId) {
      this.stats.badPeerId++;
      return OpenResult.DROPPED;
    }
    const aadEnd = s + DATA_V2_AAD_BYTES;
    const pid = getDataV2PacketId(buf, s);
    setNoncePacketId(this.receiveNonce, pid);
    const ps = aadEnd + this.tagBytes;
    if (!this.receiveKey.open(this.receiveNonce, buf, s, aadEnd, ps, e, aadEnd, this.strategy)) {
      this.stats.badTag++;
      return OpenResult.DROPPED;
    }
    // Replay check after authentication (crypto.c: a forged id must not move the window).
    if (!this.replay.check(pid, 0)) {
      this.stats.replay++;
      return OpenResult.DROPPED;
    }
    return classify(this.stats, this.strategy, buf, ps, e, out);
  }
}

export interface StaticKeyChannelOptions extends CommonOptions {
  key: StaticKey;
  direction: KeyDirection;
}

/**
 * Static-key mode (`--secret KEY [dir] --cipher AES-256-CBC --auth SHA256`), with the long-form
 * packet id (sequence + time) inside the ciphertext, a random IV per packet and PKCS#7 padding.
 * With the `none` backend it is `--cipher none --auth none`: packet id, time and payload in clear.
 */
export class StaticKeyDataChannel extends SealingChannel {
  readonly layout: FrameLayout;
  private readonly rxPacketId = newLongPacketId();
  private readonly sendKey: CbcHmacKey;
  private readonly receiveKey: CbcHmacKey;
  private readonly backend: CryptoBackend;
  private readonly strategy: BufferStrategy;
  private readonly replay: ReplayWindow;
  private readonly clock: ClockSeconds;
  private readonly iv: Uint8Array;
  private readonly macScratch: Uint8Array;
  private readonly ivBytes: number;
  private readonly hmacBytes: number;
  private readonly blockBytes: number;
  private nextPacketId = 1;
  /** Time field of the long-form id: set at the first send, as OpenVPN does. */
  private sendTime = 0;

  constructor(o: StaticKeyChannelOptions) {
    super();
    const { send, receive } = keysForDirection(o.key, o.direction);
    this.backend = o.backend;
    this.strategy = o.strategy;
    this.sendKey = o.backend.cbcHmac(send.cipher.subarray(0, 32), send.hmac.subarray(0, 32));
    this.receiveKey = o.backend.cbcHmac(receive.cipher.subarray(0, 32), receive.hmac.subarray(0, 32));
    this.ivBytes = this.sendKey.ivBytes;
    this.hmacBytes = this.sendKey.hmacBytes;
    this.blockBytes = this.sendKey.blockBytes;
    this.iv = new Uint8Array(Math.max(this.ivBytes, 1));
    this.macScratch = new Uint8Array(Math.max(this.hmacBytes, 1));
    this.clock = o.clock ?? systemSeconds;
    this.replay = new ReplayWindow(o.replayWindow ?? DEFAULT_REPLAY_WINDOW, o.replayTimeS ?? DEFAULT_REPLAY_TIME_S, this.clock);
    this.layout = {
      headroomBytes: this.hmacBytes + this.ivBytes + PACKET_ID_LONG_BYTES,
      tailroomBytes: this.blockBytes > 1 ? this.blockBytes : 0,
    };
  }

  seal(frame: TxFrame): boolean {
    if (this.nextPacketId > PACKET_ID_MAX) {
      // OpenVPN lets the long form wrap only once time has moved on; a new sequence then starts.
      const now = this.clock();
      if (now <= this.sendTime) {
        this.stats.pidExhausted++;
        return false;
      }
      this.sendTime = now;
      this.nextPacketId = 1;
    }
    if (this.sendTime === 0) this.sendTime = this.clock();
    const st = this.strategy;
    st.prepend(frame, PACKET_ID_LONG_BYTES);
    writeLongPacketId(frame.buf, frame.start, this.nextPacketId++, this.sendTime);
    if (this.blockBytes > 1) {
      // PKCS#7: 1..16 bytes, each holding the pad length.
      const pad = this.blockBytes - ((frame.end - frame.start) % this.blockBytes);
      st.append(frame, pad);
      frame.buf.fill(pad, frame.end - pad, frame.end);
    }
    if (this.ivBytes > 0) {
      this.backend.randomFill(this.iv, 0, this.ivBytes);
      this.sendKey.encrypt(this.iv, frame.buf, frame.start, frame.end, st);
      st.prepend(frame, this.ivBytes);
      st.copy(this.iv, 0, this.ivBytes, frame.buf, frame.start);
    }
    if (this.hmacBytes > 0) {
      st.prepend(frame, this.hmacBytes);
      this.sendKey.mac(frame.buf, frame.start + this.hmacBytes, frame.end, frame.buf, frame.start, st);
    }
    this.stats.sealed++;
    return true;
  }

  open(pkt: RxCursor, out: RxCursor): OpenResultCode {
    const buf = pkt.buf;
    const s = pkt.start;
    const e = pkt.end;
    const ctStart = s + this.hmacBytes + this.ivBytes;
    // At least one cipher block (or, with the null cipher, the long packet id).
    if (e - ctStart < (this.blockBytes > 1 ? this.blockBytes : PACKET_ID_LONG_BYTES)) {
      this.stats.tooShort++;
      return OpenResult.DROPPED;
    }
    if (this.blockBytes > 1 && (e - ctStart) % this.blockBytes !== 0) {
      this.stats.badLength++;
      return OpenResult.DROPPED;
    }
    const st = this.strategy;
    if (this.hmacBytes > 0) {
      this.receiveKey.mac(buf, s + this.hmacBytes, e, this.macScratch, 0, st);
      if (!equalConstantTime(buf, s, this.macScratch, 0, this.hmacBytes)) {
        this.stats.badHmac++;
        return OpenResult.DROPPED;
      }
    }
    let ptEnd = e;
    if (this.ivBytes > 0) {
      st.copy(buf, s + this.hmacBytes, ctStart, this.iv, 0);
      this.receiveKey.decrypt(this.iv, buf, ctStart, e, st);
      const pad = buf[e - 1]!;
      if (pad === 0 || pad > this.blockBytes) {
        this.stats.badPadding++;
        return OpenResult.DROPPED;
      }
      for (let i = e - pad; i < e - 1; i++) {
        if (buf[i] !== pad) {
          this.stats.badPadding++;
          return OpenResult.DROPPED;
        }
      }
      ptEnd = e - pad;
    }
    const id = this.rxPacketId;
    if (decodeLongPacketId(buf, ctStart, ptEnd, id) !== 'ok') {
      this.stats.tooShort++;
      return OpenResult.DROPPED;
    }
    if (!this.replay.check(id.packetId, id.timeS)) {
      this.stats.replay++;
      return OpenResult.DROPPED;
    }
    return classify(this.stats, st, buf, ctStart + PACKET_ID_LONG_BYTES, ptEnd, out);
  }
}

function classify(stats: DataChannelStats, st: BufferStrategy, buf: Uint8Array, ps: number, pe: number, out: RxCursor): OpenResultCode {
  stats.opened++;
  if (pe - ps === PING_MAGIC.length && isExactly(buf, ps, pe, PING_MAGIC)) {
    stats.pingsReceived++;
    st.handUp(buf, ps, pe, out);
    return OpenResult.PING;
  }
  if (startsWith(buf, ps, pe, OCC_MAGIC)) {
    stats.occReceived++;
    st.handUp(buf, ps, pe, out);
    return OpenResult.OCC;
  }
  st.handUp(buf, ps, pe, out);
  return OpenResult.DATA;
}
