/**
 * One TLS 1.3 endpoint (RFC 8446), client or server, sans I/O: bytes from the transport go in
 * through `receive(buf, start, end)`, protected records come out through `output(buf, start, end)`
 * (valid only during that call), application plaintext through `onData(buf, start, end)` (likewise).
 * The transport may be a node:net socket (workloads/tls-proxy/serve.ts) or an in-memory stream.
 *
 * Records are assembled through the `BufferStrategy`: `beginTx` with the record header, the inner
 * content type and the tag reserved; `append`/`prepend` then grow the frame (in place for the
 * reserving strategies; per-piece allocate-and-concatenate for `uint8array`, as ocaml-tls' writer
 * does). Received bytes are copied once into a record buffer from `strategy.alloc` and decrypted in
 * place there. Handshake messages are built and parsed with plain arrays (the handshake path
 * allocates; only the record path is strategy-exact).
 *
 * Malformed input never throws: it is answered with the RFC's alert, counted, and the connection
 * closes (`onClose` reports the alert). Misuse (writing before the handshake, after close) throws
 * `TlsConfigError` `E_TLS_STATE`.
 *
 * Supported: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256; X25519 and
 * secp256r1; HelloRetryRequest (both roles); server certificates with ECDSA P-256 / Ed25519 /
 * RSA-PSS; SNI; ALPN; KeyUpdate; close_notify; padding on receive; a server that requires client
 * certificates (`TlsServerConfig.clientCa`, §4.3.2 CertificateRequest in the server's flight) and the
 * §7.5 exporter (`exportKeyingMaterial`, OpenVPN's TLS-EKM). Not supported: PSK / resumption / 0-RTT
 * (a client ignores NewSessionTicket), a client that sends a certificate (a CertificateRequest is
 * answered with handshake_failure), record_size_limit, post-handshake authentication.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { newRxCursor, newTxFrame, type BufferStrategy, type RxCursor, type TxFrame } from '../../allocators/buffer-strategy.js';
import { equalConstantTime, type CryptoBackend } from '../crypto/crypto-backend.js';
import { NodeCryptoBackend } from '../crypto/node-backend.js';
import { checkServerChain, signCertificateVerify, TlsConfigError, VERIFIABLE_SCHEMES, verifyCertificateVerify, type ServerCredentials } from './certificates.js';
import {
  decodeCertificate,
  decodeCertificateVerify,
  decodeClientHello,
  decodeEncryptedExtensions,
  decodeKeyUpdate,
  decodeServerHello,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeFinished,
  encodeKeyUpdate,
  encodeServerHello,
  type ClientHello,
} from './handshake.js';
import { generateKeyShare, groupById, type KeyShare } from './key-exchange.js';
import { CIPHER_SUITE_NAMES, CIPHER_SUITES, cipherSuiteById, finishedVerifyData, KeySchedule, nextTrafficSecret, tlsExporter, Transcript, type CipherSuiteInfo, type CipherSuiteName } from './key-schedule.js';
import { RecordProtection, TAG_BYTES } from './record.js';
import {
  ALERT,
  alertName,
  CONTENT_TYPE,
  HANDSHAKE_TYPE,
  MAX_CIPHERTEXT_BYTES,
  MAX_FRAGMENT_BYTES,
  NAMED_GROUP,
  RECORD_HEADER_BYTES,
  TLS13_VERSION,
  writeRecordHeader,
  type GroupName,
  writeInnerContentType,
} from './wire.js';

interface CommonConfig {
  /** Cipher suites in preference order (the server's order decides). Default: all three. */
  cipherSuites?: CipherSuiteName[];
  /** Groups in preference order. The client sends a key share for the first only. Default x25519, secp256r1. */
  groups?: GroupName[];
  /** ALPN protocols in preference order (empty: no ALPN). */
  alpn?: string[];
  /** Largest plaintext per outgoing record (1–16384; the `tls` suite's record size axis). */
  maxFragmentBytes?: number;
  /** Zero bytes of padding added to every protected record we send (§5.4). Default 0. */
  recordPaddingBytes?: number;
  /**
   * Largest handshake message accepted from the peer, in bytes; a larger one is answered with a
   * fatal decode_error before its bytes are gathered. Default {@link DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES}
   * for the role.
   */
  maxHandshakeMessageBytes?: number;
}

export interface TlsClientConfig extends CommonConfig {
  role: 'client';
  /** SNI and the name the server certificate must match; null sends no SNI and skips the name check. */
  serverName: string | null;
  /** Trusted CA certificates. */
  ca: readonly X509Certificate[];
  /** false skips chain and name checks (the CertificateVerify signature is still checked). Default true. */
  verifyCertificates?: boolean;
  /** Clock for certificate validity (ms since the epoch). Default Date.now. */
  nowMs?: () => number;
}

export interface TlsServerConfig extends CommonConfig {
  role: 'server';
  credentials: ServerCredentials;
  /**
   * When set, the server requires a client certificate chaining to one of these CAs (§4.3.2): no
   * certificate is a certificate_required alert, an untrusted one unknown_ca / bad_certificate.
   */
  clientCa?: readonly X509Certificate[];
  /** Clock for client certificate validity (ms since the epoch). Default Date.now. */
  nowMs?: () => number;
}

export type TlsConfig = TlsClientConfig | TlsServerConfig;

export interface TlsCloseInfo {
  /** true when the peer sent the alert (close_notify or fatal), false when we did. */
  byPeer: boolean;
  /** Alert description (0 = close_notify). */
  alert: number;
  alertName: string;
  reason: string;
}

export interface TlsEndpointOptions {
  strategy: BufferStrategy;
  /** Protected records out: `buf[start, end)` is valid only during the call. */
  output: (buf: Uint8Array, start: number, end: number) => void;
  /** Application plaintext in: `buf[start, end)` is valid only during the call. */
  onData: (buf: Uint8Array, start: number, end: number) => void;
  onHandshakeDone?: () => void;
  /** The connection stopped reading (peer close_notify) or died (an alert either way). */
  onClose?: (info: TlsCloseInfo) => void;
  backend?: CryptoBackend;
  /**
   * Where the record buffer (one per connection, alive until close) comes from. Default: `strategy`.
   * See TcpLayerOptions.bufferStrategy for why `one-big-struct` wants a separate instance.
   */
  bufferStrategy?: BufferStrategy;
  /** Headroom the transport below needs in front of each record (0 for a byte stream). */
  lowerHeadroomBytes?: number;
}

export interface TlsCounters {
  recordsIn: number;
  recordsOut: number;
  plaintextBytesIn: number;
  plaintextBytesOut: number;
  badRecordMac: number;
  /** Protected records that arrived with zero padding after the content type (§5.4). */
  paddedRecordsIn: number;
  alertsSent: number;
  alertsReceived: number;
  keyUpdatesSent: number;
  keyUpdatesReceived: number;
  changeCipherSpecIgnored: number;
  newSessionTicketsIgnored: number;
  helloRetryRequests: number;
}

type State =
  | 'idle'
  | 'wait-sh'
  | 'wait-ee'
  | 'wait-cert'
  | 'wait-cv'
  | 'wait-fin'
  | 'wait-ch'
  | 'wait-ch2'
  | 'wait-client-cert'
  | 'wait-client-cv'
  | 'wait-client-fin'
  | 'connected'
  | 'closed';

const DEFAULT_GROUPS: GroupName[] = ['x25519', 'secp256r1'];
/**
 * Default bound on a peer's handshake message, by our role. A server receives a ClientHello (a
 * browser's, post-quantum key share included, is under 2 KiB), Finished and KeyUpdate — client
 * certificates are not supported — so 16 KiB is ample and keeps what an unauthenticated peer can
 * make each connection hold small. A client receives the server's Certificate: 256 KiB (OpenSSL's
 * default max_cert_list is 100 KiB).
 */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES = { server: 16 * 1024, client: 256 * 1024 } as const;
const EMPTY = new Uint8Array(0);

export class TlsConnection {
  readonly counters: TlsCounters = {
    recordsIn: 0,
    recordsOut: 0,
    plaintextBytesIn: 0,
    plaintextBytesOut: 0,
    badRecordMac: 0,
    paddedRecordsIn: 0,
    alertsSent: 0,
    alertsReceived: 0,
    keyUpdatesSent: 0,
    keyUpdatesReceived: 0,
    changeCipherSpecIgnored: 0,
    newSessionTicketsIgnored: 0,
    helloRetryRequests: 0,
  };
  state: State;
  /** Negotiated values, set during the handshake. */
  cipherSuite: CipherSuiteInfo | null = null;
  group: GroupName | null = null;
  alpn: string | null = null;
  /** SNI: what the client sent (server) or asked for (client). */
  serverName: string | null = null;
  /** The peer's leaf certificate (a client: the server's; a server requiring one: the client's). */
  peerCertificate: X509Certificate | null = null;
  /** Set once the connection closed with an error (the alert sent or received). */
  closeInfo: TlsCloseInfo | null = null;
  /** We sent close_notify: no more writes. */
  writeClosed = false;
  /** The peer sent close_notify: no more data will come. */
  readClosed = false;

  private readonly strategy: BufferStrategy;
  private readonly bufferStrategy: BufferStrategy;
  private readonly backend: CryptoBackend;
  private readonly frame: TxFrame = newTxFrame();
  private readonly inBuf: RxCursor = newRxCursor();
  private inLen = 0;
  private readonly inCapacity = RECORD_HEADER_BYTES + MAX_CIPHERTEXT_BYTES;
  private released = false;
  private hs = EMPTY;
  private hsLen = 0;
  private readonly maxHandshakeMessageBytes: number;
  private maxFragmentBytes: number;
  private readonly paddingBytes: number;
  private readonly headroomBytes: number;
  private readonly suites: CipherSuiteInfo[];
  private readonly groups: GroupName[];
  private readonly alpnList: string[];
  private readonly transcript = new Transcript();
  private schedule: KeySchedule | null = null;
  private readProtection: RecordProtection | null = null;
  private writeProtection: RecordProtection | null = null;
  private keyShare: KeyShare | null = null;
  private clientHello: ClientHello | null = null;
  private helloRetried = false;
  private changeCipherSpecSent = false;
  private flight: Uint8Array[] = [];

  constructor(
    readonly config: TlsConfig,
    private readonly options: TlsEndpointOptions,
  ) {
    this.strategy = options.strategy;
    this.backend = options.backend ?? new NodeCryptoBackend();
    this.maxFragmentBytes = config.maxFragmentBytes ?? MAX_FRAGMENT_BYTES;
    if (!Number.isInteger(this.maxFragmentBytes) || this.maxFragmentBytes < 1 || this.maxFragmentBytes > MAX_FRAGMENT_BYTES) {
      throw new TlsConfigError('E_TLS_CONFIG', `maxFragmentBytes ${this.maxFragmentBytes}: use an integer 1-16384 (RFC 8446 §5.1)`);
    }
    this.headroomBytes = options.lowerHeadroomBytes ?? 0;
    this.paddingBytes = config.recordPaddingBytes ?? 0;
    if (!Number.isInteger(this.paddingBytes) || this.paddingBytes < 0 || this.paddingBytes >= MAX_FRAGMENT_BYTES) {
      throw new TlsConfigError('E_TLS_CONFIG', `recordPaddingBytes ${this.paddingBytes}: use an integer 0-16383 (RFC 8446 §5.4)`);
    }
    // §5.4: content + type + padding is at most 2^14 + 1 bytes, so padding shortens the fragments.
    this.maxFragmentBytes = Math.min(this.maxFragmentBytes, MAX_FRAGMENT_BYTES - this.paddingBytes);
    this.suites = (config.cipherSuites ?? [...CIPHER_SUITE_NAMES]).map((n) => {
      const s = CIPHER_SUITES[n];
      if (s === undefined) throw new TlsConfigError('E_TLS_CONFIG', `unknown cipher suite '${n}': use ${CIPHER_SUITE_NAMES.join(', ')}`);
      return s;
    });
    this.groups = config.groups ?? DEFAULT_GROUPS;
    for (const g of this.groups) {
      if (!(g in NAMED_GROUP)) throw new TlsConfigError('E_TLS_CONFIG', `unknown group '${g}': use x25519 or secp256r1`);
    }
    if (this.suites.length === 0 || this.groups.length === 0) throw new TlsConfigError('E_TLS_CONFIG', 'at least one cipher suite and one group are needed');
    this.alpnList = config.alpn ?? [];
    this.maxHandshakeMessageBytes = config.maxHandshakeMessageBytes ?? DEFAULT_MAX_HANDSHAKE_MESSAGE_BYTES[config.role];
    if (!Number.isInteger(this.maxHandshakeMessageBytes) || this.maxHandshakeMessageBytes < 64 || this.maxHandshakeMessageBytes > 1 << 24) {
      throw new TlsConfigError('E_TLS_CONFIG', `maxHandshakeMessageBytes ${this.maxHandshakeMessageBytes}: use an integer 64-16777216`);
    }
    this.bufferStrategy = options.bufferStrategy ?? options.strategy;
    this.bufferStrategy.alloc(this.inCapacity, this.inBuf);
    this.state = config.role === 'client' ? 'idle' : 'wait-ch';
    if (config.role === 'client') this.serverName = config.serverName;
  }

  get isConnected(): boolean {
    return this.state === 'connected';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Client: sends the ClientHello. */
  start(): void {
    if (this.config.role !== 'client' || this.state !== 'idle') throw new TlsConfigError('E_TLS_STATE', 'start() is for a client that has not started yet');
    this.keyShare = generateKeyShare(this.groups[0]!);
    this.clientHello = {
      random: new Uint8Array(randomBytes(32)),
      // A non-empty legacy_session_id asks for middlebox compatibility mode (§D.4), as browsers do.
      sessionId: new Uint8Array(randomBytes(32)),
      cipherSuites: this.suites.map((s) => s.id),
      serverName: this.config.serverName,
      supportedGroups: this.groups.map((g) => NAMED_GROUP[g]),
      signatureAlgorithms: VERIFIABLE_SCHEMES,
      supportedVersions: [TLS13_VERSION],
      keyShares: [{ group: this.keyShare.groupId, keyExchange: this.keyShare.publicKey }],
      alpn: this.alpnList,
      cookie: null,
    };
    this.sendHandshakeNow(encodeClientHello(this.clientHello));
    this.state = 'wait-sh';
  }

  /** Bytes from the transport. They are copied into the record buffer (the caller keeps `buf`). */
  receive(buf: Uint8Array, start: number, end: number): void {
    while (start < end && this.state !== 'closed') {
      const n = Math.min(end - start, this.inCapacity - this.inLen);
      this.strategy.copy(buf, start, start + n, this.inBuf.buf, this.inBuf.start + this.inLen);
      this.inLen += n;
      start += n;
      this.processRecords();
    }
  }

  /** Sends application data, split into records of at most `maxFragmentBytes`. */
  write(buf: Uint8Array, start: number, end: number): void {
    if (this.state !== 'connected' || this.writeClosed) {
      throw new TlsConfigError('E_TLS_STATE', `write() in state ${this.state}${this.writeClosed ? ' after close()' : ''}: wait for onHandshakeDone and do not write after close`);
    }
    this.counters.plaintextBytesOut += end - start;
    this.sendRecords(CONTENT_TYPE.applicationData, buf, start, end);
  }

  /**
   * How many bytes `write()` of `plaintextBytes` hands to `output` (record headers, content type,
   * padding and tags included), so that a transport can gather them in one buffer it allocates once.
   */
  protectedBytesFor(plaintextBytes: number): number {
    const records = Math.max(1, Math.ceil(plaintextBytes / this.maxFragmentBytes));
    return plaintextBytes + records * (RECORD_HEADER_BYTES + 1 + this.paddingBytes + TAG_BYTES);
  }

  /**
   * Received bytes held back as an incomplete record. The plaintext one `receive(…, n bytes)` can
   * hand up is at most `bufferedBytes + n`.
   */
  get bufferedBytes(): number {
    return this.inLen;
  }

  /** Sends a KeyUpdate (§4.6.3) and switches our write key; `requestPeer` asks the peer to do the same. */
  keyUpdate(requestPeer: boolean): void {
    if (this.state !== 'connected' || this.writeClosed) throw new TlsConfigError('E_TLS_STATE', `keyUpdate() in state ${this.state}: only on an open, connected endpoint`);
    this.sendKeyUpdate(requestPeer);
  }

  /**
   * RFC 8446 §7.5 keying material exporter (RFC 5705 interface): `length` bytes for `label` and
   * `context` (none = empty, as §7.5 defines). Throws `TlsConfigError` `E_TLS_STATE` before the
   * handshake reached the application keys.
   */
  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array {
    const ks = this.schedule;
    if (ks === null || ks.exporterMasterSecret.length === 0) throw new TlsConfigError('E_TLS_STATE', `exportKeyingMaterial() in state ${this.state}: wait for onHandshakeDone`);
    return tlsExporter(ks.suite.hash, ks.exporterMasterSecret, label, context, length);
  }

  /** Sends close_notify (§6.1). The connection ends once the peer's close_notify arrived too. */
  close(): void {
    if (this.state === 'closed' || this.writeClosed) return;
    this.sendAlert(ALERT.closeNotify);
    this.writeClosed = true;
    if (this.readClosed || this.state !== 'connected') this.finish();
  }

  /**
   * Gives the record buffer back to the strategy (idempotent) and ends the connection without an
   * alert: called on every way of closing, and by an owner that drops the connection — possibly
   * from inside one of its callbacks, so the state is closed here too and no loop reads the
   * released buffer again (records still queued in the same `receive()` are ignored).
   */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    this.state = 'closed';
    this.inLen = 0;
    this.bufferStrategy.release(this.inBuf);
  }

  // ---------------------------------------------------------------- records in

  private processRecords(): void {
    const b = this.inBuf.buf;
    const base = this.inBuf.start;
    let off = 0;
    while (this.state !== 'closed' && this.inLen - off >= RECORD_HEADER_BYTES) {
      const h = base + off;
      const length = (b[h + 3]! << 8) | b[h + 4]!;
      if (length > MAX_CIPHERTEXT_BYTES) return this.fatal(ALERT.recordOverflow, `record of ${length} bytes`);
      if (this.inLen - off < RECORD_HEADER_BYTES + length) break;
      this.handleRecord(b, h, h + RECORD_HEADER_BYTES + length);
      off += RECORD_HEADER_BYTES + length;
    }
    if (this.state === 'closed' || off === 0) return;
    if (this.inLen > off) this.strategy.copy(b, base + off, base + this.inLen, b, base);
    this.inLen -= off;
  }

  private handleRecord(b: Uint8Array, h: number, recordEnd: number): void {
    this.counters.recordsIn++;
    const outerType = b[h]!;
    const start = h + RECORD_HEADER_BYTES;
    // §5: change_cipher_spec (one byte, 0x01) may arrive during the handshake and is dropped.
    if (outerType === CONTENT_TYPE.changeCipherSpec) {
      if (this.state !== 'connected' && recordEnd - start === 1 && b[start] === 1) {
        this.counters.changeCipherSpecIgnored++;
        return;
      }
      return this.fatal(ALERT.unexpectedMessage, 'change_cipher_spec outside the handshake');
    }
    let type = outerType;
    let end = recordEnd;
    // A client that has not yet switched its write keys (OpenSSL switches only after the server's
    // Finished, for middlebox compatibility) sends an alert about the server flight in plaintext.
    const plaintextAlert = outerType === CONTENT_TYPE.alert && (this.state === 'wait-client-fin' || this.state === 'wait-client-cert') && this.readProtection?.seq === 0;
    if (this.readProtection !== null && !plaintextAlert) {
      // §5.2: once keys are in use every record is application_data on the outside.
      if (outerType !== CONTENT_TYPE.applicationData) return this.fatal(ALERT.unexpectedMessage, `plaintext record of type ${outerType} after keys were set`);
      if (recordEnd - start < TAG_BYTES + 1 || !this.readProtection.open(b, h, recordEnd, this.strategy)) {
        this.counters.badRecordMac++;
        return this.fatal(ALERT.badRecordMac, 'record did not authenticate');
      }
      // §5.4: the inner plaintext (content, type, padding) is at most 2^14 + 1 bytes.
      if (recordEnd - TAG_BYTES - start > MAX_FRAGMENT_BYTES + 1) return this.fatal(ALERT.recordOverflow, 'inner plaintext above 2^14 + 1 bytes');
      // §5.4: strip zero padding; the last non-zero byte is the real content type.
      let i = recordEnd - TAG_BYTES - 1;
      while (i >= start && b[i] === 0) i--;
      if (i < start) return this.fatal(ALERT.unexpectedMessage, 'protected record without a content type');
      if (i < recordEnd - TAG_BYTES - 1) this.counters.paddedRecordsIn++;
      type = b[i]!;
      end = i;
    } else if (outerType === CONTENT_TYPE.applicationData) {
      return this.fatal(ALERT.unexpectedMessage, 'application data before the handshake keys');
    }
    if (end - start > MAX_FRAGMENT_BYTES) return this.fatal(ALERT.recordOverflow, `plaintext of ${end - start} bytes`);
    switch (type) {
      case CONTENT_TYPE.handshake:
        if (end === start) return this.fatal(ALERT.unexpectedMessage, 'empty handshake record');
        return this.receiveHandshakeBytes(b, start, end);
      case CONTENT_TYPE.alert:
        return this.receiveAlert(b, start, end);
      case CONTENT_TYPE.applicationData:
        if (this.state !== 'connected' || this.readClosed) return this.fatal(ALERT.unexpectedMessage, `application data in state ${this.state}`);
        this.counters.plaintextBytesIn += end - start;
        if (end > start) this.options.onData(b, start, end);
        return;
      default:
        return this.fatal(ALERT.unexpectedMessage, `record content type ${type}`);
    }
  }

  private receiveAlert(b: Uint8Array, start: number, end: number): void {
    if (end - start !== 2) return this.fatal(ALERT.decodeError, 'alert of the wrong length');
    this.counters.alertsReceived++;
    const description = b[start + 1]!;
    if (description === ALERT.closeNotify) {
      this.readClosed = true;
      const info = { byPeer: true, alert: 0, alertName: 'closeNotify', reason: 'peer sent close_notify' };
      if (this.writeClosed) this.finish();
      this.options.onClose?.(info);
      return;
    }
    // §6.2: every other alert (user_canceled excepted, which we treat alike) ends the connection.
    this.closeInfo = { byPeer: true, alert: description, alertName: alertName(description), reason: `peer sent ${alertName(description)}` };
    this.finish();
    this.options.onClose?.(this.closeInfo);
  }

  private receiveHandshakeBytes(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.hsLen + n > this.hs.length) {
      const next = new Uint8Array(Math.max(this.hsLen + n, this.hs.length * 2, 1024));
      next.set(this.hs.subarray(0, this.hsLen));
      this.hs = next;
    }
    this.hs.set(b.subarray(start, end), this.hsLen);
    this.hsLen += n;
    let off = 0;
    while (this.state !== 'closed' && this.hsLen - off >= 4) {
      const length = (this.hs[off + 1]! << 16) | (this.hs[off + 2]! << 8) | this.hs[off + 3]!;
      if (length > this.maxHandshakeMessageBytes) return this.fatal(ALERT.decodeError, `handshake message of ${length} bytes (limit ${this.maxHandshakeMessageBytes})`);
      if (this.hsLen - off < 4 + length) break;
      const msg = this.hs.slice(off, off + 4 + length);
      off += 4 + length;
      const moreFollow = this.hsLen > off;
      this.handleHandshake(msg, moreFollow);
    }
    if (this.state === 'closed') return;
    this.hs.copyWithin(0, off, this.hsLen);
    this.hsLen -= off;
    // Handshake done and nothing partial: the reassembly buffer is not kept for the connection's
    // lifetime (a KeyUpdate makes a small one again).
    if (this.hsLen === 0 && this.state === 'connected') this.hs = EMPTY;
  }

  // ---------------------------------------------------------------- handshake

  private handleHandshake(msg: Uint8Array, moreFollow: boolean): void {
    const type = msg[0]!;
    const body = 4;
    const end = msg.length;
    switch (this.state) {
      case 'wait-sh':
        if (type !== HANDSHAKE_TYPE.serverHello) return this.unexpected(type);
        return this.clientOnServerHello(msg, body, end, moreFollow);
      case 'wait-ee':
        if (type !== HANDSHAKE_TYPE.encryptedExtensions) return this.unexpected(type);
        return this.clientOnEncryptedExtensions(msg, body, end);
      case 'wait-cert':
        if (type === HANDSHAKE_TYPE.certificateRequest) return this.fatal(ALERT.handshakeFailure, 'client certificates are not supported');
        if (type !== HANDSHAKE_TYPE.certificate) return this.unexpected(type);
        return this.clientOnCertificate(msg, body, end);
      case 'wait-cv':
        if (type !== HANDSHAKE_TYPE.certificateVerify) return this.unexpected(type);
        return this.clientOnCertificateVerify(msg, body, end);
      case 'wait-fin':
        if (type !== HANDSHAKE_TYPE.finished) return this.unexpected(type);
        return this.clientOnFinished(msg, body, end, moreFollow);
      case 'wait-ch':
      case 'wait-ch2':
        if (type !== HANDSHAKE_TYPE.clientHello) return this.unexpected(type);
        return this.serverOnClientHello(msg, body, end, moreFollow);
      case 'wait-client-cert':
        if (type !== HANDSHAKE_TYPE.certificate) return this.unexpected(type);
        return this.serverOnCertificate(msg, body, end);
      case 'wait-client-cv':
        if (type !== HANDSHAKE_TYPE.certificateVerify) return this.unexpected(type);
        return this.serverOnCertificateVerify(msg, body, end);
      case 'wait-client-fin':
        if (type !== HANDSHAKE_TYPE.finished) return this.unexpected(type);
        return this.serverOnFinished(msg, body, end, moreFollow);
      case 'connected':
        if (type === HANDSHAKE_TYPE.keyUpdate) return this.onKeyUpdate(msg, body, end, moreFollow);
        if (type === HANDSHAKE_TYPE.newSessionTicket && this.config.role === 'client') {
          this.counters.newSessionTicketsIgnored++;
          return;
        }
        return this.unexpected(type);
      default:
        return this.unexpected(type);
    }
  }

  private unexpected(type: number): void {
    this.fatal(ALERT.unexpectedMessage, `handshake message ${type} in state ${this.state}`);
  }

  /** §5.1: handshake messages must not span a key change. */
  private keyChangeBoundary(moreFollow: boolean): boolean {
    if (moreFollow) this.fatal(ALERT.unexpectedMessage, 'handshake data after a key change in the same record');
    return !moreFollow;
  }

  private clientOnServerHello(msg: Uint8Array, body: number, end: number, moreFollow: boolean): void {
    const d = decodeServerHello(msg, body, end);
    if (!d.ok) return this.fatal(d.alert, d.reason);
    const sh = d.value;
    const ch = this.clientHello!;
    if (sh.selectedVersion !== TLS13_VERSION) return this.fatal(ALERT.protocolVersion, 'server did not select TLS 1.3');
    const suite = cipherSuiteById(sh.cipherSuite);
    if (suite === undefined || !this.suites.includes(suite)) return this.fatal(ALERT.illegalParameter, `server chose cipher suite 0x${sh.cipherSuite.toString(16)} we did not offer`);
    if (Buffer.compare(sh.sessionId, ch.sessionId) !== 0) return this.fatal(ALERT.illegalParameter, 'legacy_session_id_echo differs');
    if (this.cipherSuite !== null && this.cipherSuite !== suite) return this.fatal(ALERT.illegalParameter, 'cipher suite changed after HelloRetryRequest');
    if (sh.isHelloRetryRequest) {
      // §4.1.4: at most one HRR; it must change the group to one we offered but did not share.
      const group = groupById(sh.selectedGroup);
      if (this.helloRetried) return this.fatal(ALERT.unexpectedMessage, 'second HelloRetryRequest');
      if (group === undefined || !this.groups.includes(group) || group === this.keyShare!.group) return this.fatal(ALERT.illegalParameter, 'HelloRetryRequest selected an unusable group');
      this.helloRetried = true;
      this.counters.helloRetryRequests++;
      this.cipherSuite = suite;
      this.transcript.begin(suite.hash);
      this.transcript.replaceWithMessageHash();
      this.transcript.add(msg);
      this.keyShare = generateKeyShare(group);
      ch.keyShares = [{ group: this.keyShare.groupId, keyExchange: this.keyShare.publicKey }];
      ch.cookie = sh.cookie;
      this.sendHandshakeNow(encodeClientHello(ch));
      return;
    }
    if (sh.keyShare === null || sh.keyShare.group !== this.keyShare!.groupId) return this.fatal(ALERT.illegalParameter, 'server key share is for another group');
    const secret = this.keyShare!.sharedSecret(sh.keyShare.keyExchange);
    if (secret === null) return this.fatal(ALERT.illegalParameter, 'server key share is not a valid point');
    if (!this.keyChangeBoundary(moreFollow)) return;
    this.cipherSuite = suite;
    this.group = this.keyShare!.group;
    if (!this.transcript.started) this.transcript.begin(suite.hash);
    this.transcript.add(msg);
    this.schedule = new KeySchedule(suite);
    this.schedule.deriveHandshake(secret, this.transcript.current());
    this.readProtection = new RecordProtection(suite, this.schedule.serverHandshakeSecret, this.backend);
    this.writeProtection = new RecordProtection(suite, this.schedule.clientHandshakeSecret, this.backend);
    this.state = 'wait-ee';
  }

  private clientOnEncryptedExtensions(msg: Uint8Array, body: number, end: number): void {
    const d = decodeEncryptedExtensions(msg, body, end);
    if (!d.ok) return this.fatal(d.alert, d.reason);
    if (d.value.alpn !== null && !this.alpnList.includes(d.value.alpn)) return this.fatal(ALERT.illegalParameter, `server chose ALPN '${d.value.alpn}' we did not offer`);
    this.alpn = d.value.alpn;
    this.transcript.add(msg);
    this.state = 'wait-cert';
  }

  private clientOnCertificate(msg: Uint8Array, body: number, end: number): void {
    const d = decodeCertificate(msg, body, end);
    if (!d.ok) return this.fatal(d.alert, d.reason);
    if (d.value.context.length !== 0) return this.fatal(ALERT.illegalParameter, 'server Certificate with a request context');
    const cfg = this.config as TlsClientConfig;
    if (cfg.verifyCertificates ?? true) {
      const check = checkServerChain(d.value.certificates, cfg.ca, cfg.serverName, (cfg.nowMs ?? Date.now)());
      if (!check.ok) return this.fatal(check.alert, check.reason);
      this.peerCertificate = check.leaf;
    } else {
      const leafDer = d.value.certificates[0];
      if (leafDer === undefined) return this.fatal(ALERT.decodeError, 'empty certificate list');
      try {
        this.peerCertificate = new X509Certificate(leafDer);
      } catch (err) {
        // Unparseable DER is reported only by throwing: that is a bad_certificate from the peer.
        return this.fatal(ALERT.badCertificate, `leaf certificate does not parse: ${(err as Error).message}`);
      }
    }
    this.transcript.add(msg);
    this.state = 'wait-cv';
  }

  private clientOnCertificateVerify(msg: Uint8Array, body: number, end: number): void {
    const d = decodeCertificateVerify(msg, body, end);
    if (!d.ok) return this.fatal(d.alert, d.reason);
    if (!VERIFIABLE_SCHEMES.includes(d.value.scheme as (typeof VERIFIABLE_SCHEMES)[number])) return this.fatal(ALERT.illegalParameter, `signature scheme 0x${d.value.scheme.toString(16)} not offered`);
    if (!verifyCertificateVerify(this.peerCertificate!, d.value.scheme, d.value.signature, this.transcript.current())) {
      return this.fatal(ALERT.decryptError, 'CertificateVerify signature does not verify');
    }
    this.transcript.add(msg);
    this.state = 'wait-fin';
  }

  private clientOnFinished(msg: Uint8Array, body: number, end: number, moreFollow: boolean): void {
    const suite = this.cipherSuite!;
    const ks = this.schedule!;
    const expected = finishedVerifyData(suite, ks.serverHandshakeSecret, this.transcript.current());
    if (end - body !== expected.length || !equalConstantTime(msg, body, expected, 0, expected.length)) return this.fatal(ALERT.decryptError, 'server Finished does not verify');
    if (!this.keyChangeBoundary(moreFollow)) return;
    this.transcript.add(msg);
    ks.deriveApplication(this.transcript.current());
    const fin = encodeFinished(finishedVerifyData(suite, ks.clientHandshakeSecret, this.transcript.current()));
    this.sendHandshakeNow(fin);
    this.writeProtection = new RecordProtection(suite, ks.clientApplicationSecret, this.backend);
    this.readProtection = new RecordProtection(suite, ks.serverApplicationSecret, this.backend);
    this.state = 'connected';
    this.options.onHandshakeDone?.();
  }

  private serverOnClientHello(msg: Uint8Array, body: number, end: number, moreFollow: boolean): void {
    const d = decodeClientHello(msg, body, end);
    if (!d.ok) return this.fatal(d.alert, d.reason);
    const ch = d.value;
    const cfg = this.config as TlsServerConfig;
    if (!ch.supportedVersions.includes(TLS13_VERSION)) return this.fatal(ALERT.protocolVersion, 'client does not offer TLS 1.3');
    const suite = this.suites.find((s) => ch.cipherSuites.includes(s.id));
    if (suite === undefined) return this.fatal(ALERT.handshakeFailure, 'no cipher suite in common');
    if (this.state === 'wait-ch2' && suite !== this.cipherSuite) return this.fatal(ALERT.illegalParameter, 'ClientHello after HelloRetryRequest changed the cipher suite');
    const scheme = cfg.credentials.schemes.find((s) => ch.signatureAlgorithms.includes(s));
    if (scheme === undefined) return this.fatal(ALERT.handshakeFailure, 'no signature scheme in common with our certificate');
    let alpn: string | null = null;
    if (ch.alpn.length > 0 && this.alpnList.length > 0) {
      alpn = this.alpnList.find((p) => ch.alpn.includes(p)) ?? null;
      // RFC 7301 §3.2: no overlap is a fatal no_application_protocol.
      if (alpn === null) return this.fatal(ALERT.noApplicationProtocol, `no ALPN protocol in common (client offered ${ch.alpn.join(',')})`);
    }
    let chosen: { group: GroupName; key: Uint8Array } | null = null;
    for (const g of this.groups) {
      const share = ch.keyShares.find((k) => k.group === NAMED_GROUP[g]);
      if (share !== undefined) {
        chosen = { group: g, key: share.keyExchange };
        break;
      }
    }
    if (chosen === null) {
      if (this.state === 'wait-ch2') return this.fatal(ALERT.illegalParameter, 'second ClientHello lacks the requested key share');
      const group = this.groups.find((g) => ch.supportedGroups.includes(NAMED_GROUP[g]));
      if (group === undefined) return this.fatal(ALERT.handshakeFailure, 'no key exchange group in common');
      // §4.1.4: HelloRetryRequest asking for a share of `group`.
      this.cipherSuite = suite;
      this.transcript.begin(suite.hash);
      this.transcript.add(msg);
      this.transcript.replaceWithMessageHash();
      const hrr = encodeServerHello({ random: new Uint8Array(0), sessionId: ch.sessionId, cipherSuite: suite.id, selectedVersion: TLS13_VERSION, keyShare: null, selectedGroup: NAMED_GROUP[group], cookie: null, isHelloRetryRequest: true });
      this.sendHandshakeNow(hrr);
      this.sendCompatChangeCipherSpec(ch);
      this.counters.helloRetryRequests++;
      this.helloRetried = true;
      this.group = group;
      this.state = 'wait-ch2';
      return;
    }
    if (this.state === 'wait-ch2' && chosen.group !== this.group) return this.fatal(ALERT.illegalParameter, 'second ClientHello has a share for another group');
    if (!this.keyChangeBoundary(moreFollow)) return;
    const share = generateKeyShare(chosen.group);
    const secret = share.sharedSecret(chosen.key);
    if (secret === null) return this.fatal(ALERT.illegalParameter, 'client key share is not a valid point');
    this.cipherSuite = suite;
    this.group = chosen.group;
    this.alpn = alpn;
    this.serverName = ch.serverName;
    if (!this.transcript.started) this.transcript.begin(suite.hash);
    this.transcript.add(msg);
    const sh = encodeServerHello({
      random: new Uint8Array(randomBytes(32)),
      sessionId: ch.sessionId,
      cipherSuite: suite.id,
      selectedVersion: TLS13_VERSION,
      keyShare: { group: share.groupId, keyExchange: share.publicKey },
      selectedGroup: 0,
      cookie: null,
      isHelloRetryRequest: false,
    });
    this.sendHandshakeNow(sh);
    this.sendCompatChangeCipherSpec(ch);
    const ks = new KeySchedule(suite);
    this.schedule = ks;
    ks.deriveHandshake(secret, this.transcript.current());
    this.writeProtection = new RecordProtection(suite, ks.serverHandshakeSecret, this.backend);
    this.readProtection = new RecordProtection(suite, ks.clientHandshakeSecret, this.backend);
    this.queueHandshake(encodeEncryptedExtensions({ alpn, serverNameAcknowledged: ch.serverName !== null }));
    if (cfg.clientCa !== undefined) this.queueHandshake(encodeCertificateRequest(VERIFIABLE_SCHEMES));
    this.queueHandshake(encodeCertificate({ context: new Uint8Array(0), certificates: cfg.credentials.chain }));
    this.queueHandshake(encodeCertificateVerify({ scheme, signature: signCertificateVerify(cfg.credentials.key, scheme, this.transcript.current()) }));
    this.queueHandshake(encodeFinished(finishedVerifyData(suite, ks.serverHandshakeSecret, this.transcript.current())));
    this.flushFlight();
    ks.deriveApplication(this.transcript.current());
    this.writeProtection = new RecordProtection(suite, ks.serverApplicationSecret, this.backend);
    this.state = cfg.clientCa !== undefined ? 'wait-client-cert' : 'wait-client-fin';
  }

  /** §4.4.2: the client's Certificate, in answer to our CertificateRequest (empty context). */
  private serverOnCertificate(msg: Uint8Array, body: number, end: number): void {
    const d = decodeCertificate(msg, body, end);
    if (!d.ok) return this.fatal(d.alert, d.reason);
    if (d.value.context.length !== 0) return this.fatal(ALERT.illegalParameter, 'client Certificate with a request context we did not send');
    // §4.4.2.4: a server that requires a certificate aborts with certificate_required on an empty one.
    if (d.value.certificates.length === 0) return this.fatal(ALERT.certificateRequired, 'client sent no certificate');
    const cfg = this.config as TlsServerConfig;
    const check = checkServerChain(d.value.certificates, cfg.clientCa ?? [], null, (cfg.nowMs ?? Date.now)());
    if (!check.ok) return this.fatal(check.alert, `client certificate: ${check.reason}`);
    this.peerCertificate = check.leaf;
    this.transcript.add(msg);
    this.state = 'wait-client-cv';
  }

  private serverOnCertificateVerify(msg: Uint8Array, body: number, end: number): void {
    const d = decodeCertificateVerify(msg, body, end);
    if (!d.ok) return this.fatal(d.alert, d.reason);
    if (!VERIFIABLE_SCHEMES.includes(d.value.scheme as (typeof VERIFIABLE_SCHEMES)[number])) return this.fatal(ALERT.illegalParameter, `signature scheme 0x${d.value.scheme.toString(16)} not offered`);
    if (!verifyCertificateVerify(this.peerCertificate!, d.value.scheme, d.value.signature, this.transcript.current(), false)) {
      return this.fatal(ALERT.decryptError, 'client CertificateVerify signature does not verify');
    }
    this.transcript.add(msg);
    this.state = 'wait-client-fin';
  }

  private serverOnFinished(msg: Uint8Array, body: number, end: number, moreFollow: boolean): void {
    const ks = this.schedule!;
    const expected = finishedVerifyData(this.cipherSuite!, ks.clientHandshakeSecret, this.transcript.current());
    if (end - body !== expected.length || !equalConstantTime(msg, body, expected, 0, expected.length)) return this.fatal(ALERT.decryptError, 'client Finished does not verify');
    if (!this.keyChangeBoundary(moreFollow)) return;
    this.transcript.add(msg);
    this.readProtection = new RecordProtection(this.cipherSuite!, ks.clientApplicationSecret, this.backend);
    this.state = 'connected';
    this.options.onHandshakeDone?.();
  }

  private onKeyUpdate(msg: Uint8Array, body: number, end: number, moreFollow: boolean): void {
    const d = decodeKeyUpdate(msg, body, end);
    if (!d.ok) return this.fatal(d.alert, d.reason);
    if (!this.keyChangeBoundary(moreFollow)) return;
    this.counters.keyUpdatesReceived++;
    const r = this.readProtection!;
    this.readProtection = new RecordProtection(r.suite, nextTrafficSecret(r.suite, r.secret), this.backend);
    // §4.6.3: answer update_requested with our own KeyUpdate (not requesting).
    if (d.value && !this.writeClosed) this.sendKeyUpdate(false);
  }

  private sendKeyUpdate(requestPeer: boolean): void {
    this.sendHandshakeNow(encodeKeyUpdate(requestPeer), false);
    const w = this.writeProtection!;
    this.writeProtection = new RecordProtection(w.suite, nextTrafficSecret(w.suite, w.secret), this.backend);
    this.counters.keyUpdatesSent++;
  }

  /** §D.4: in middlebox compatibility mode the server sends one dummy change_cipher_spec. */
  private sendCompatChangeCipherSpec(ch: ClientHello): void {
    if (this.changeCipherSpecSent || ch.sessionId.length === 0) return;
    this.changeCipherSpecSent = true;
    const one = Uint8Array.of(1);
    this.sendRecords(CONTENT_TYPE.changeCipherSpec, one, 0, 1, true);
  }

  // ---------------------------------------------------------------- records out

  private sendHandshakeNow(msg: Uint8Array, addToTranscript = true): void {
    if (addToTranscript) this.transcript.add(msg);
    this.sendRecords(CONTENT_TYPE.handshake, msg, 0, msg.length);
  }

  private queueHandshake(msg: Uint8Array): void {
    this.transcript.add(msg);
    this.flight.push(msg);
  }

  private flushFlight(): void {
    const total = this.flight.reduce((n, m) => n + m.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const m of this.flight) {
      all.set(m, at);
      at += m.length;
    }
    this.flight = [];
    this.sendRecords(CONTENT_TYPE.handshake, all, 0, total);
  }

  /** Sends `src[start, end)` as records of `type`, protected when a write key is set. */
  private sendRecords(type: number, src: Uint8Array, start: number, end: number, plaintext = false): void {
    let at = start;
    do {
      const n = Math.min(end - at, this.maxFragmentBytes);
      this.sendOneRecord(type, src, at, at + n, plaintext);
      at += n;
    } while (at < end);
  }

  private sendOneRecord(type: number, src: Uint8Array, start: number, end: number, plaintext: boolean): void {
    const s = this.strategy;
    const f = this.frame;
    const prot = plaintext ? null : this.writeProtection;
    const n = end - start;
    s.beginTx(f, n, { headroomBytes: this.headroomBytes + RECORD_HEADER_BYTES, tailroomBytes: prot === null ? 0 : 1 + this.paddingBytes + TAG_BYTES });
    if (n > 0) s.copy(src, start, end, f.buf, f.start);
    if (prot !== null) {
      s.append(f, 1);
      writeInnerContentType(f.buf, f.end - 1, type);
      if (this.paddingBytes > 0) {
        s.append(f, this.paddingBytes);
        f.buf.fill(0, f.end - this.paddingBytes, f.end);
      }
      s.append(f, TAG_BYTES);
    }
    s.prepend(f, RECORD_HEADER_BYTES);
    const length = f.end - f.start - RECORD_HEADER_BYTES;
    const h = f.start;
    // RFC 8446 §5.2: a protected record's outer type is application_data; the real one is inside.
    writeRecordHeader(f.buf, h, prot === null ? type : CONTENT_TYPE.applicationData, length);
    if (prot !== null) prot.seal(f.buf, h, f.end - TAG_BYTES, s);
    this.counters.recordsOut++;
    try {
      this.options.output(f.buf, f.start, f.end);
    } finally {
      s.releaseTx(f);
    }
  }

  private sendAlert(description: number): void {
    this.counters.alertsSent++;
    const body = Uint8Array.of(description === ALERT.closeNotify || description === ALERT.userCanceled ? 1 : 2, description);
    this.sendRecords(CONTENT_TYPE.alert, body, 0, 2);
  }

  /** Sends a fatal alert and closes: the answer to every malformed or unacceptable input. */
  private fatal(alert: number, reason: string): void {
    if (this.state === 'closed') return;
    this.closeInfo = { byPeer: false, alert, alertName: alertName(alert), reason };
    if (!this.writeClosed) this.sendAlert(alert);
    this.writeClosed = true;
    this.finish();
    this.options.onClose?.(this.closeInfo);
  }

  private finish(): void {
    this.state = 'closed';
    this.inLen = 0;
    this.dispose();
  }
}
