/**
 * Our OpenVPN data-channel endpoint on a real UDP socket (127.0.0.1 only), for `npm run serve -- vpn`
 * and the interop test against the real `openvpn --dev null`. It answers the peer's keepalive with
 * its own pings (one per `pingIntervalMs`) and counts what it opened and dropped. With `--dev null`
 * there is no tun device: data packets that arrive are counted and discarded.
 *
 * node's dgram hands every datagram over as a fresh Buffer (counted as a foreign allocation) which
 * is copied once into a receive buffer of the endpoint's strategy, like a NIC's DMA.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { BuflabError } from '../../contract/errors.js';
import { newRxCursor, newTxFrame, type BufferStrategy } from '../../allocators/buffer-strategy.js';
import { OpenResult, type DataChannel, type DataChannelStats } from '../../stack/openvpn/data-channel.js';
import { PING_MAGIC } from '../../stack/openvpn/wire.js';
import type { KeyDirection, StaticKey } from '../../stack/openvpn/static-key.js';
import type { CryptoBackendName } from '../../stack/crypto/backends.js';
import { buildChannel, type VpnCipher } from './ciphers.js';

export interface VpnEndpointOptions {
  key: StaticKey;
  direction: KeyDirection;
  cipher: VpnCipher;
  /** Crypto backend of the cipher (stack/crypto/backends.ts); default `node`. */
  crypto?: CryptoBackendName;
  strategy: BufferStrategy;
  /** Local port on 127.0.0.1 (0 = any free port). */
  port: number;
  /** Peer port on 127.0.0.1; when omitted, learnt from the first authenticated packet. */
  remotePort?: number;
  /** Keepalive interval; 0 disables our pings. */
  pingIntervalMs?: number;
  /** Observer of every datagram sent (the interop test replays and tampers with them). */
  onSent?: (wire: Uint8Array) => void;
  /** Observer of every datagram received, before it is opened. */
  onReceived?: (wire: Uint8Array) => void;
}

export interface VpnEndpointCounters extends DataChannelStats {
  datagramsIn: number;
  datagramsOut: number;
  dataPackets: number;
}

/** A send to a host name: the vpn servers send only to numeric addresses they heard from. */
export class NumericAddressError extends BuflabError {
  constructor(address: string) {
    super('E_UDP_NOT_NUMERIC', `UDP send to '${address}': the vpn server sends only to numeric IPv4 addresses (a peer's rinfo.address); resolve names before`);
  }
}

let lastNumeric = '127.0.0.1';

/**
 * dgram's `lookup` for a socket that sends only to numeric IPv4 addresses (give it to
 * `createSocket({ type: 'udp4', lookup })`): answers at once. The default, `dns.lookup`, answers
 * even a numeric address on the next tick, so every datagram cost a `process.nextTick` round and
 * its closures (3% of the tunnel server's CPU); anything else is an error, passed to dgram.
 */
export function numericLookup(address: string, _family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  if (address === lastNumeric || isIPv4(address)) {
    lastNumeric = address;
    callback(null, address, 4);
  } else callback(new NumericAddressError(address), address, 4);
}

/** Binds `socket` to 127.0.0.1:`port` (0: any); rejects with the bind error (both vpn endpoints). */
export function bindLoopbackUdp(socket: Socket, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

export class VpnUdpEndpoint {
  private readonly socket: Socket;
  private readonly channel: DataChannel;
  private readonly strategy: BufferStrategy;
  private readonly frame = newTxFrame();
  private readonly rx = newRxCursor();
  private readonly plain = newRxCursor();
  private remotePort: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private datagramsIn = 0;
  private datagramsOut = 0;
  private dataPackets = 0;

  constructor(private readonly o: VpnEndpointOptions) {
    this.strategy = o.strategy;
    this.channel = buildChannel({ cipher: o.cipher, ...(o.crypto === undefined ? {} : { crypto: o.crypto }), key: o.key, direction: o.direction, strategy: o.strategy }).channel;
    this.remotePort = o.remotePort;
    this.socket = createSocket('udp4');
    this.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
  }

  /** Binds 127.0.0.1:port and starts the keepalive; resolves with the bound port. */
  async start(): Promise<number> {
    await bindLoopbackUdp(this.socket, this.o.port);
    const interval = this.o.pingIntervalMs ?? 1000;
    if (interval > 0) this.timer = setInterval(() => this.sendPing(), interval);
    return this.socket.address().port;
  }

  get counters(): VpnEndpointCounters {
    return { ...this.channel.stats, datagramsIn: this.datagramsIn, datagramsOut: this.datagramsOut, dataPackets: this.dataPackets };
  }

  /** Sends one keepalive ping to the peer (no-op until the peer's port is known). */
  sendPing(): void {
    const st = this.strategy;
    st.beginTx(this.frame, PING_MAGIC.length, this.channel.layout);
    if (this.remotePort === undefined || !this.channel.sealPing(this.frame)) {
      st.releaseTx(this.frame);
      return;
    }
    this.transmit();
  }

  /** Sends a raw datagram to the peer (tests: tampered and replayed packets). */
  sendRaw(wire: Uint8Array): void {
    if (this.remotePort === undefined) return;
    this.socket.send(wire, this.remotePort, '127.0.0.1');
  }

  /** Opens `wire` as if it had arrived (tests: feeding tampered or replayed copies). */
  inject(wire: Uint8Array): number {
    return this.openWire(wire);
  }

  private transmit(): void {
    const f = this.frame;
    // dgram's send may hold the bytes until the write completes: hand it its own copy (counted).
    const out = Buffer.allocUnsafe(f.end - f.start);
    this.strategy.countForeign(out.length);
    this.strategy.copy(f.buf, f.start, f.end, out, 0);
    this.strategy.releaseTx(f);
    this.o.onSent?.(out);
    this.datagramsOut++;
    this.socket.send(out, this.remotePort!, '127.0.0.1');
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    this.datagramsIn++;
    this.strategy.countForeign(msg.length);
    this.o.onReceived?.(msg);
    const code = this.openWire(msg);
    if (code !== OpenResult.DROPPED && this.remotePort === undefined) this.remotePort = rinfo.port;
  }

  private openWire(wire: Uint8Array): number {
    const st = this.strategy;
    st.allocRx(wire.length, this.rx);
    st.copy(wire, 0, wire.length, this.rx.buf, this.rx.start);
    const pkt = { buf: this.rx.buf, start: this.rx.start, end: this.rx.start + wire.length };
    const code = this.channel.open(pkt, this.plain);
    if (code === OpenResult.DATA) this.dataPackets++;
    st.release(this.rx);
    return code;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
