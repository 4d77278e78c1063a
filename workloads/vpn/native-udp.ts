/**
 * How the vpn server puts datagrams on its UDP socket (`npm run serve -- vpn --udp native|dgram`),
 * decided once at start-up and said in the banner, like `--crypto` (./serve-crypto.ts):
 *
 * - `dgram`: node's `socket.send`. It wants a Buffer it may keep until the write completes, so each
 *   frame is copied out of the strategy's buffer into a fresh Buffer (counted as foreign), and each
 *   send makes a request object and resolves the address (./udp-endpoint.ts `numericLookup` makes
 *   that synchronous).
 * - `native`: the addon's `udpSendto` (stack/crypto/native/aead-addon.c) calls sendto(2) on the same
 *   socket's file descriptor with the frame where the strategy built it: the kernel copies the bytes
 *   during the call, so there is no Buffer, no copy and no request object. Profiled on the tunnel
 *   (50 MiB curl, one-big-struct), dgram's user-space share of a send was about 15% of the server's
 *   CPU. When the socket's buffer is full (EAGAIN) the datagram goes through dgram, which queues it
 *   (counted as `queuedToDgram`); any other error drops it (counted as `sendErrors`).
 *
 * Default (no flag): `native` when the addon is built and loads, else `dgram` with a banner naming
 * the build command. `--udp native` without the addon is an error (E_SERVE_UDP), never dgram.
 */
import type { Socket } from 'node:dgram';
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import { nativeAeadAvailability, type AeadAddon, type NativeAeadAvailability } from '../../stack/crypto/native-addon.js';
import { BuflabError } from '../../contract/errors.js';
import { parseIpv4 } from '../../stack/ipv4/wire.js';

export const SERVE_UDP_NAMES = ['native', 'dgram'] as const;
export type ServeUdpName = (typeof SERVE_UDP_NAMES)[number];

/** errno values sendto(2) returns for a full socket buffer (Linux). */
const EAGAIN = 11;
const ENOBUFS = 105;

export class VpnServeUdpError extends BuflabError {
  constructor(message: string) {
    super('E_SERVE_UDP', message);
  }
}

export function isServeUdpName(s: string): s is ServeUdpName {
  return (SERVE_UDP_NAMES as readonly string[]).includes(s);
}

export interface ServeUdpChoice {
  name: ServeUdpName;
  /** The addon when `name` is native. */
  addon: AeadAddon | null;
  /** The start-up line: the send path, and why it was chosen. */
  banner: string;
}

/**
 * The send path for `requested` (null: no `--udp` flag). Throws `VpnServeUdpError` when `native` is
 * asked for and the addon is not built or does not load.
 */
export function chooseServeUdp(requested: ServeUdpName | null, availability: NativeAeadAvailability = nativeAeadAvailability()): ServeUdpChoice {
  const a = availability;
  if (requested === 'dgram') return { name: 'dgram', addon: null, banner: "udp: DGRAM (node's dgram.send, a Buffer copy per datagram; asked for with --udp dgram)" };
  if (a.available) {
    const why = requested === 'native' ? 'asked for with --udp native' : 'the default when the addon is built';
    return { name: 'native', addon: a.addon, banner: `udp: NATIVE (sendto(2) from the strategy's buffer via ${a.path}; ${why})` };
  }
  if (requested === 'native') throw new VpnServeUdpError(`--udp native: ${a.problem}; build it with '${a.fix}', or run with --udp dgram`);
  return { name: 'dgram', addon: null, banner: `udp: DGRAM (node's dgram.send) — the native send path is NOT available: ${a.problem}; build it with '${a.fix}'` };
}

/**
 * The file descriptor of a bound dgram socket, or null. Node has no public accessor: the socket's
 * internal state (the own property keyed by the symbol described 'state symbol', Node 20–24)
 * holds the UDP handle, whose `fd` getter is the descriptor (the deprecated `socket._handle.fd`
 * reads the same one, with a warning).
 */
export function udpSocketFd(socket: Socket): number | null {
  for (const key of Object.getOwnPropertySymbols(socket)) {
    if (key.description !== 'state symbol') continue;
    const state = (socket as unknown as Record<symbol, { handle?: { fd?: unknown } } | undefined>)[key];
    const fd = state?.handle?.fd;
    return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : null;
  }
  return null;
}

/** Datagrams one drain reads at most before node's event loop runs again (timers, other sockets). */
export const DRAIN_MAX_DATAGRAMS = 64;
/** The drain's receive area: the largest UDP payload over IPv4 loopback fits. */
const DRAIN_AREA_BYTES = 65_536;

export interface DatagramDrainCounters {
  /** Datagrams read by the drain (not through dgram). */
  drained: number;
  /** Drain reads that failed otherwise than "none waiting" (EMSGSIZE and other errors). */
  drainErrors: number;
}

/**
 * Native mode only: after node's dgram delivered a datagram, reads the ones already waiting on the
 * socket with the addon's recvfrom, into one receive area made at start-up (the NIC's ring), and
 * skips what dgram does per datagram (a Buffer, an address string, an `rinfo` object, a callback
 * through the event loop). libuv reads up to 32 datagrams per wake-up, so the drain mostly takes
 * datagrams libuv would have read next; it does add system calls: its own last recvfrom returns
 * EAGAIN, and so does libuv's next read — at least one extra call per wake-up, counted in the
 * server's CPU per MiB.
 */
export class DatagramDrain {
  readonly counters: DatagramDrainCounters = { drained: 0, drainErrors: 0 };
  /** The receive area; a datagram is `area[0, n)` until the next `next()`. */
  readonly area = new Uint8Array(DRAIN_AREA_BYTES);
  /** The last datagram's sender: address (32-bit number) and port. */
  fromIp = 0;
  fromPort = 0;
  private readonly from = new Uint8Array(6);

  constructor(
    private readonly sender: DatagramSender,
    private readonly addon: AeadAddon,
  ) {}

  /** Reads one waiting datagram into `area`: its length, or −1 when none is waiting (or the read failed, counted). */
  next(): number {
    // Closed (fd −1): nothing to read, and the number may already name another file.
    if (this.sender.fd < 0) return -1;
    const n = this.addon.udpRecvfrom(this.sender.fd, this.area, 0, this.area.length, this.from);
    if (n < 0) {
      if (n !== -EAGAIN) this.counters.drainErrors++;
      return -1;
    }
    const f = this.from;
    this.fromIp = ((f[0]! << 24) | (f[1]! << 16) | (f[2]! << 8) | f[3]!) >>> 0;
    this.fromPort = (f[4]! << 8) | f[5]!;
    this.counters.drained++;
    return n;
  }
}

export interface DatagramSenderCounters {
  /** Native mode: datagrams that met a full socket buffer and were handed to dgram, which queues. */
  queuedToDgram: number;
  /** Native mode: datagrams sendto(2) refused with another error (dropped). */
  sendErrors: number;
}

/** Sends byte ranges of a strategy's buffers as datagrams on `socket`, by the chosen path. */
export class DatagramSender {
  readonly counters: DatagramSenderCounters = { queuedToDgram: 0, sendErrors: 0 };
  /** The socket's descriptor once `bound()` (native mode), else −1. */
  fd = -1;
  /** The last destination address parsed, and its 32-bit form (a tunnel sends to one peer). */
  private lastAddress = '';
  private lastIp = 0;

  constructor(
    private readonly socket: Socket,
    private readonly strategy: BufferStrategy,
    readonly choice: ServeUdpChoice,
  ) {}

  /** Call when the socket closes: the descriptor's number may be reused, so native calls stop (dgram then throws as usual). */
  closed(): void {
    this.fd = -1;
  }

  /**
   * Whether this datagram must go through dgram although the addon is there: the socket closed, or
   * dgram still holds queued datagrams (a full buffer sent one there) — a direct sendto would
   * overtake them, and the tunnel carries TCP, which takes reordering as loss.
   */
  private viaDgram(): boolean {
    return this.fd < 0 || this.socket.getSendQueueCount() > 0;
  }

  /** Call once the socket is bound: native mode reads its descriptor (throws E_SERVE_UDP if it cannot). */
  bound(): void {
    if (this.choice.addon === null) return;
    const fd = udpSocketFd(this.socket);
    if (fd === null) throw new VpnServeUdpError(`--udp native: this Node (${process.version}) does not expose the UDP socket's descriptor; run with --udp dgram`);
    this.fd = fd;
  }

  /**
   * Sends `buf[start, end)` to `address:port` (a numeric IPv4 address). The range is read during
   * the call only: the caller may release it on return.
   */
  send(buf: Uint8Array, start: number, end: number, address: string, port: number): void {
    if (this.sentNatively(buf, start, end, address, port)) return;
    // dgram may keep the bytes until the write completes: hand it its own copy (counted).
    const out = Buffer.allocUnsafe(end - start);
    this.strategy.countForeign(out.length);
    this.strategy.copy(buf, start, end, out, 0);
    this.socket.send(out, port, address);
  }

  /**
   * Sends all of `packet`, an array the caller gives away (a control packet): dgram may keep it
   * as it is, so that path makes no copy.
   */
  sendOwned(packet: Uint8Array, address: string, port: number): void {
    if (this.sentNatively(packet, 0, packet.length, address, port)) return;
    this.socket.send(packet, port, address);
  }

  /**
   * Native mode: sendto(2) of `buf[start, end)`. True when the datagram is dealt with (sent, or
   * refused with an error other than a full buffer: dropped, counted); false when dgram must take it
   * (dgram mode, a closed socket, dgram's queue not empty, or a full buffer: counted).
   */
  private sentNatively(buf: Uint8Array, start: number, end: number, address: string, port: number): boolean {
    const addon = this.choice.addon;
    if (addon === null || this.viaDgram()) return false;
    const n = addon.udpSendto(this.fd, buf, start, end, this.ipv4(address), port);
    if (n >= 0) return true;
    if (n !== -EAGAIN && n !== -ENOBUFS) {
      this.counters.sendErrors++;
      return true;
    }
    this.counters.queuedToDgram++;
    return false;
  }

  private ipv4(address: string): number {
    if (address !== this.lastAddress) {
      // Addresses come from rinfo (numeric); parseIpv4 throws a RangeError on anything else.
      this.lastIp = parseIpv4(address);
      this.lastAddress = address;
    }
    return this.lastIp;
  }
}
