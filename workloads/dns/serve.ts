/**
 * `npm run serve -- dns --zone FILE --port N [--strategy S] [--address 127.0.0.1] [--max-udp N]`:
 * the DNS server's codec and a buffer strategy on a real `node:dgram` socket.
 *
 * The kernel strips Ethernet/IPv4/UDP, so the socket is the link: each received datagram is copied
 * into a buffer from the strategy's `allocRx` (the "DMA" copy every strategy makes once), the DNS
 * layer decodes it directly, and the answer is written into a frame from the strategy's `beginTx`
 * (no headroom: the kernel adds the headers) and sent. `node:dgram` wraps every datagram in a fresh
 * Buffer — an allocation outside any strategy, counted under `foreign*`.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { newRxCursor, newTxFrame, type BufferStrategy, type TxFrame } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';
import { DnsServer } from '../../stack/dns/server.js';
import { loadZone } from '../../stack/dns/zone-parser.js';
import { nameToText } from '../../stack/dns/name.js';
import { FlagReader } from '../serve-flags.js';

export interface DnsServeOptions {
  zoneFile: string;
  port: number;
  address: string;
  strategy: string;
  maxUdpPayloadBytes: number;
}

export class ServeUsageError extends Error {
  readonly code = 'E_SERVE_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'ServeUsageError';
  }
}

export const DNS_SERVE_HELP = `usage: npm run serve -- dns --zone FILE [--port 5353] [--address 127.0.0.1] [--strategy pooled] [--max-udp 1232]
  --zone FILE      RFC 1035 master file to serve (e.g. workloads/dns/example.zone)
  --port N         UDP port (default 5353; 0 = any free port, printed on start)
  --address A      address to bind (default 127.0.0.1)
  --strategy S     buffer strategy: uint8array, pooled, one-big-struct, poisoning (default pooled)
  --max-udp N      EDNS UDP payload size we advertise and never exceed (default 1232)
example: npm run serve -- dns --zone workloads/dns/example.zone --port 5353 && dig @127.0.0.1 -p 5353 www.example.test A`;

export function parseDnsServeArgs(argv: readonly string[]): DnsServeOptions {
  const o: DnsServeOptions = { zoneFile: '', port: 5353, address: '127.0.0.1', strategy: 'pooled', maxUdpPayloadBytes: 1232 };
  const flags = new FlagReader(argv, DNS_SERVE_HELP, (m) => new ServeUsageError(m));
  for (let flag = flags.next(); flag !== undefined; flag = flags.next()) {
    switch (flag) {
      case '--zone':
        o.zoneFile = flags.value();
        break;
      case '--port':
        o.port = flags.int(0, 65535);
        break;
      case '--address':
        o.address = flags.value();
        break;
      case '--strategy':
        o.strategy = flags.value();
        break;
      case '--max-udp':
        o.maxUdpPayloadBytes = flags.int(512, 65507);
        break;
      default:
        throw new ServeUsageError(`unknown flag ${flag}\n${DNS_SERVE_HELP}`);
    }
  }
  if (o.zoneFile === '') throw new ServeUsageError(`--zone FILE is required\n${DNS_SERVE_HELP}`);
  return o;
}

export interface RunningDnsServer {
  port: number;
  server: DnsServer;
  strategy: BufferStrategy;
  close(): Promise<void>;
}

let lastLiteral = '';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The `lookup` node:dgram calls before every `send` to resolve the destination. The default,
 * `dns.lookup`, answers even an IP literal through `process.nextTick` (a closure and a deferred
 * send per datagram); every destination here is a literal from `rinfo.address`, so this answers
 * it synchronously and the send happens inside the message handler. Names still go to `dns.lookup`.
 */
export function literalLookup(hostname: string, options: number | LookupOneOptions, callback: LookupCallback): void {
  // A server answers the same few clients over and over: a string compare with the last literal
  // seen is cheaper than the IPv4 regular expression in `isIPv4`.
  if (hostname === lastLiteral || isIPv4(hostname)) {
    lastLiteral = hostname;
    callback(null, hostname, 4);
    return;
  }
  dnsLookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}

/**
 * Sends answer frames without a send callback. `node:dgram` first tries a synchronous
 * `uv_udp_try_send`; when that succeeds the kernel has the bytes as `send` returns, and a callback
 * would only cost a `process.nextTick` per datagram to learn it. So after each `send` the handle's
 * send queue is read (`getSendQueueCount`, a counter, no syscall): empty means the frame went out
 * synchronously and is released at once; otherwise libuv queued it (socket buffer full) and the
 * frame — with every frame queued after it — is held until the queue is seen empty again (checked
 * when the next frame is taken and on close). libuv completes one handle's sends in order, so
 * "queue empty" means every held frame has been sent.
 *
 * Span views: `socket.send(buf, offset, length, …)` makes a fresh `Buffer` view of the range on
 * every call (node:dgram's `sliceBuffer`). A strategy that builds every answer at the same place
 * (`one-big-struct` in steady state: the same arena offset each time) would get the same view over
 * and over, so views of exactly `[start, start + length)` are made once per length and kept, for
 * one (buffer, start) at a time, and sent whole (`send(view, port, address)`: no slicing). A frame
 * elsewhere (another buffer or start: `pooled` chunks, frames built while others are held) is sent
 * with offset and length, and node's view is counted. Every view — kept or node's — is counted as
 * a foreign allocation of 0 bytes (`countForeign(0)`): a JS object made for node's API, no backing store.
 */
export class FrameSender {
  private readonly held: TxFrame[] = [];
  private heldCount = 0;
  private readonly spare: TxFrame = newTxFrame();
  /** Sends that libuv had to queue (the kernel's socket buffer was full): their frames were held. */
  queuedSends = 0;
  /** Kept span views: `spanViews[n]` is `spanBuf[spanStart, spanStart + n)`. */
  private spanBuf: Uint8Array = EMPTY_BYTES;
  private spanStart = -1;
  private readonly spanViews: Array<Uint8Array | undefined> = [];
  /** Sends that used a kept span view (no view made for them). */
  spanSends = 0;

  constructor(
    private readonly socket: Socket,
    private readonly strategy: BufferStrategy,
  ) {}

  /** The frame to build the next answer in (not yet begun). */
  frame(): TxFrame {
    if (this.heldCount > 0 && this.socket.getSendQueueCount() === 0) this.releaseAll();
    return this.spare;
  }

  /** Sends `tx.buf[tx.start, tx.end)` (the frame from {@link frame}) to `port`/`address`; releases or holds it (see class comment). */
  send(tx: TxFrame, port: number, address: string): void {
    const length = tx.end - tx.start;
    if (tx.buf === this.spanBuf && tx.start === this.spanStart) {
      let view = this.spanViews[length];
      if (view === undefined) {
        view = tx.buf.subarray(tx.start, tx.end);
        this.spanViews[length] = view;
        this.strategy.countForeign(0);
      }
      this.spanSends++;
      this.socket.send(view, port, address);
    } else {
      if (this.heldCount === 0) {
        // The first frame at a new place while nothing is held: the strategy's steady-state spot
        // (one-big-struct's arena offset), most likely where the next frames are built too.
        this.spanBuf = tx.buf;
        this.spanStart = tx.start;
        this.spanViews.length = 0;
      }
      // node:dgram makes a view of the range (sliceBuffer): counted.
      this.strategy.countForeign(0);
      this.socket.send(tx.buf, tx.start, length, port, address);
    }
    if (this.socket.getSendQueueCount() === 0) {
      // Not queued: the datagram is in the kernel (or failed synchronously: node:dgram emits
      // 'error' for that, logged by the server's error handler). Either way the bytes are free.
      this.strategy.releaseTx(tx);
      return;
    }
    this.queuedSends++;
    // Keep the region alive in a held frame; `tx` (the spare) is free for the next answer.
    const h = this.nextHeld();
    h.buf = tx.buf;
    h.start = tx.start;
    h.end = tx.end;
    h.handle = tx.handle;
    tx.buf = EMPTY_BYTES;
    tx.start = 0;
    tx.end = 0;
    tx.handle = -1;
  }

  /** Releases every held frame: call only when the socket's send queue is empty or the socket is closed. */
  releaseAll(): void {
    for (let i = 0; i < this.heldCount; i++) this.strategy.releaseTx(this.held[i]!);
    this.heldCount = 0;
  }

  /** Frames currently held for queued sends. */
  get heldFrames(): number {
    return this.heldCount;
  }

  private nextHeld(): TxFrame {
    if (this.heldCount === this.held.length) this.held.push(newTxFrame());
    return this.held[this.heldCount++]!;
  }
}

const EMPTY_BYTES = new Uint8Array(0);

/** Loads the zone and starts serving; resolves once the socket is bound. */
export async function startDnsServer(o: DnsServeOptions): Promise<RunningDnsServer> {
  const zone = loadZone(readFileSync(o.zoneFile, 'utf8'), { fileName: o.zoneFile });
  const server = new DnsServer(zone, { maxUdpPayloadBytes: o.maxUdpPayloadBytes });
  const strategy = makeStrategy(o.strategy);
  const socket = createSocket({ type: 'udp4', reuseAddr: false, lookup: literalLookup });
  const rx = newRxCursor();
  const noHeadroom = { headroomBytes: 0, tailroomBytes: 0 };
  const sender = new FrameSender(socket, strategy);
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    // node:dgram wraps each datagram in a fresh Buffer: a foreign allocation, counted.
    const bytes = msg.length;
    strategy.countForeign(bytes);
    strategy.allocRx(bytes, rx);
    strategy.copy(msg, 0, bytes, rx.buf, rx.start);
    const cap = server.prepare(rx.buf, rx.start, rx.start + bytes);
    strategy.release(rx);
    if (cap < 0) return;
    const tx = sender.frame();
    strategy.beginTx(tx, cap, noHeadroom);
    const end = server.write(tx.buf, tx.start, cap);
    strategy.truncate(tx, end - tx.start);
    sender.send(tx, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(o.port, o.address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (err) => console.error(`dns serve: socket error: ${err.message}`));
  const port = socket.address().port;
  return {
    port,
    server,
    strategy,
    close: () =>
      new Promise<void>((resolve) =>
        socket.close(() => {
          // Closed: libuv has completed (or cancelled) every queued send, so their frames are free.
          sender.releaseAll();
          resolve();
        }),
      ),
  };
}

export async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(DNS_SERVE_HELP);
    return;
  }
  const o = parseDnsServeArgs(argv);
  const running = await startDnsServer(o);
  const zone = running.server.zone;
  console.log(
    `dns: serving ${nameToText(zone.origin)} (${zone.recordCount} records, ${zone.nodeCount} names) on ${o.address}:${running.port} udp, strategy ${o.strategy}`,
  );
  const stop = (): void => {
    console.log(`dns: stopping; counters ${JSON.stringify(running.server.counters)}`);
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
