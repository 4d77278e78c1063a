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
import { newRxCursor, newTxFrame, StrategyError, type BufferStrategy, type TxFrame } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';
import { DnsServer } from '../../stack/dns/server.js';
import { loadZone } from '../../stack/dns/zone-parser.js';
import { nameToText } from '../../stack/dns/name.js';
import { FlagReader } from '../serve-flags.js';
import { ResponseRateLimiter } from './response-rate-limit.js';

export interface DnsServeOptions {
  zoneFile: string;
  port: number;
  address: string;
  strategy: string;
  maxUdpPayloadBytes: number;
  /** Bind `address` even when it is not loopback (see {@link checkBindAddress}). Default false. */
  expose?: boolean;
  /** Most answer frames held for sends libuv queued; beyond it answers are dropped and counted. Default 1024. */
  sendQueueFrames?: number;
  /** Answers per second per source address (token bucket, {@link ResponseRateLimiter}); 0 = no limit (default). */
  rrlPerSecond?: number;
  /** Seconds between status lines printed by `main` (0 = only at the end). Default 10. */
  statusSeconds?: number;
  /** `one-big-struct`: arena size in bytes (default the strategy's, 4 MiB). */
  arenaBytes?: number;
}

export class ServeUsageError extends Error {
  readonly code = 'E_SERVE_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'ServeUsageError';
  }
}

/**
 * RFC 6891 §6.2.5: "A good compromise may be the use of an EDNS maximum payload size of 4096
 * octets as a starting point." Above it answers fragment and a reflector amplifies more; 1232 (RFC
 * 9715) avoids fragmentation altogether.
 */
export const MAX_UDP_PAYLOAD_CAP_BYTES = 4096;

export const DNS_SERVE_DEFAULTS = { expose: false, sendQueueFrames: 1024, rrlPerSecond: 0, statusSeconds: 10, arenaBytes: 0 } as const;

export const DNS_SERVE_HELP = `usage: npm run serve -- dns --zone FILE [--port 5353] [--address 127.0.0.1 [--expose]] [--strategy pooled] [--max-udp 1232]
                          [--send-queue N] [--rrl N] [--status-seconds N] [--arena-bytes N]
  --zone FILE        RFC 1035 master file to serve (e.g. workloads/dns/example.zone)
  --port N           UDP port (default 5353; 0 = any free port, printed on start)
  --address A        IPv4 address to bind (default 127.0.0.1); outside 127.0.0.0/8 only with --expose
  --expose           allow a non-loopback --address: whoever reaches it gets answers from an
                     unauthenticated benchmark server (a reflector for spoofed queries); use with --rrl
  --strategy S       buffer strategy: uint8array, pooled, one-big-struct, poisoning (default pooled)
  --max-udp N        EDNS UDP payload size we advertise and never exceed, 512-${MAX_UDP_PAYLOAD_CAP_BYTES} (default 1232)
  --send-queue N     most answers held while the socket's send queue is non-empty (default ${DNS_SERVE_DEFAULTS.sendQueueFrames}); more are dropped, counted
  --rrl N            answers per second per source address, token bucket (default 0 = no limit); excess dropped, counted
  --status-seconds N print a status line (counters, drops, RSS) every N seconds (default ${DNS_SERVE_DEFAULTS.statusSeconds}; 0 = only at exit)
  --arena-bytes N    one-big-struct arena size (default 4 MiB); a full arena drops answers, counted
example: npm run serve -- dns --zone workloads/dns/example.zone --port 5353 && dig @127.0.0.1 -p 5353 www.example.test A`;

/**
 * Refuses to bind outside loopback unless `expose`: the server answers anyone, without
 * authentication, and UDP sources can be spoofed, so an exposed benchmark server is a reflector.
 * Throws {@link ServeUsageError} (`E_SERVE_USAGE`) saying why and what flag overrides it.
 */
export function checkBindAddress(address: string, expose: boolean): void {
  if (!isIPv4(address)) throw new ServeUsageError(`--address ${address}: use an IPv4 address (e.g. 127.0.0.1); the server binds a udp4 socket`);
  if (expose || address.startsWith('127.')) return;
  throw new ServeUsageError(
    `--address ${address} is not loopback: the DNS server would answer anyone who can reach ${address}:<port> (${address === '0.0.0.0' ? 'every interface of this host' : 'that interface'}), ` +
      'without authentication, and UDP sources can be spoofed (a reflection amplifier). Pass --expose to bind it anyway, ideally with --rrl N; or bind 127.0.0.1.',
  );
}

export function parseDnsServeArgs(argv: readonly string[]): Required<DnsServeOptions> {
  const o: Required<DnsServeOptions> = { zoneFile: '', port: 5353, address: '127.0.0.1', strategy: 'pooled', maxUdpPayloadBytes: 1232, ...DNS_SERVE_DEFAULTS };
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
      case '--expose':
        o.expose = true;
        break;
      case '--strategy':
        o.strategy = flags.value();
        break;
      case '--max-udp': {
        const n = flags.int(512, 65507);
        if (n > MAX_UDP_PAYLOAD_CAP_BYTES) {
          throw new ServeUsageError(
            `--max-udp ${n}: at most ${MAX_UDP_PAYLOAD_CAP_BYTES} (RFC 6891 §6.2.5); larger UDP answers fragment and make the server a bigger amplifier. 1232 (RFC 9715) avoids fragmentation`,
          );
        }
        o.maxUdpPayloadBytes = n;
        break;
      }
      case '--send-queue':
        o.sendQueueFrames = flags.int(1, 1_000_000);
        break;
      case '--rrl':
        o.rrlPerSecond = flags.int(0, 10_000_000);
        break;
      case '--status-seconds':
        o.statusSeconds = flags.int(0, 86_400);
        break;
      case '--arena-bytes':
        o.arenaBytes = flags.int(4096, 1 << 30);
        break;
      default:
        throw new ServeUsageError(`unknown flag ${flag}\n${DNS_SERVE_HELP}`);
    }
  }
  if (o.zoneFile === '') throw new ServeUsageError(`--zone FILE is required\n${DNS_SERVE_HELP}`);
  if (o.arenaBytes !== 0 && o.strategy !== 'one-big-struct') throw new ServeUsageError(`--arena-bytes is for --strategy one-big-struct (not ${o.strategy})`);
  checkBindAddress(o.address, o.expose);
  return o;
}

/** Queries not answered by `serve dns` because of a limit, by reason (the server's own drops are in `DnsServer.counters`). */
export interface DnsServeDrops {
  /** The socket's send queue held `sendQueueFrames` answers already (the kernel did not take them). */
  sendQueueFull: number;
  /** The strategy could not give a buffer (`E_ARENA_FULL`: one-big-struct's arena held by live frames). */
  strategyExhausted: number;
  /** The source's response-rate bucket was empty (`--rrl`). */
  rateLimited: number;
  /** Errors node:dgram reported for sends (logged). */
  sendErrors: number;
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
 *
 * Bounded: at most `maxHeldFrames` frames are held. A server asks {@link hasRoom} before building an
 * answer and drops (and counts) the query when there is none — a socket the kernel stopped draining
 * must not pin every buffer the strategy has.
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
    /** Most frames held for queued sends (see the class comment). */
    readonly maxHeldFrames = Infinity,
  ) {}

  /** The frame to build the next answer in (not yet begun). */
  frame(): TxFrame {
    if (this.heldCount > 0 && this.socket.getSendQueueCount() === 0) this.releaseAll();
    return this.spare;
  }

  /**
   * Releases the held frames if the send queue has drained, then says whether one more answer may
   * be sent (fewer than `maxHeldFrames` held). Call before taking any buffer for a query: under
   * `one-big-struct` held frames pin the arena, so they must go before the next `allocRx`.
   */
  hasRoom(): boolean {
    if (this.heldCount > 0 && this.socket.getSendQueueCount() === 0) this.releaseAll();
    return this.heldCount < this.maxHeldFrames;
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

export interface RunningDnsServer {
  port: number;
  server: DnsServer;
  strategy: BufferStrategy;
  /** Queries dropped by `serve dns`'s limits, by reason. */
  drops: DnsServeDrops;
  sender: FrameSender;
  /** One line: queries, answers, drops by reason, held frames, RSS (see {@link formatDnsStatus}). */
  status(): string;
  close(): Promise<void>;
}

/** Whether `err` is a strategy that ran out of room (a load condition, counted), not a bug. */
function isExhausted(err: unknown): boolean {
  return err instanceof StrategyError && err.code === 'E_ARENA_FULL';
}

/** Loads the zone and starts serving; resolves once the socket is bound. Refuses a non-loopback address without `expose` ({@link checkBindAddress}). */
export async function startDnsServer(o: DnsServeOptions): Promise<RunningDnsServer> {
  const expose = o.expose ?? DNS_SERVE_DEFAULTS.expose;
  checkBindAddress(o.address, expose);
  if (o.maxUdpPayloadBytes > MAX_UDP_PAYLOAD_CAP_BYTES) throw new ServeUsageError(`maxUdpPayloadBytes ${o.maxUdpPayloadBytes}: at most ${MAX_UDP_PAYLOAD_CAP_BYTES} (RFC 6891 §6.2.5)`);
  const zone = loadZone(readFileSync(o.zoneFile, 'utf8'), { fileName: o.zoneFile });
  // RFC 8482: a served endpoint answers ANY with one RRset (no amplification by ANY).
  const server = new DnsServer(zone, { maxUdpPayloadBytes: o.maxUdpPayloadBytes, minimalAny: true });
  const arenaBytes = o.arenaBytes ?? DNS_SERVE_DEFAULTS.arenaBytes;
  const strategy = makeStrategy(o.strategy, arenaBytes > 0 ? { arenaBytes } : {});
  const socket = createSocket({ type: 'udp4', reuseAddr: false, lookup: literalLookup });
  const rx = newRxCursor();
  const noHeadroom = { headroomBytes: 0, tailroomBytes: 0 };
  const sender = new FrameSender(socket, strategy, o.sendQueueFrames ?? DNS_SERVE_DEFAULTS.sendQueueFrames);
  const rrl = (o.rrlPerSecond ?? 0) > 0 ? new ResponseRateLimiter(o.rrlPerSecond!) : null;
  const drops: DnsServeDrops = { sendQueueFull: 0, strategyExhausted: 0, rateLimited: 0, sendErrors: 0 };
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    // node:dgram wraps each datagram in a fresh Buffer: a foreign allocation, counted.
    const bytes = msg.length;
    strategy.countForeign(bytes);
    // Limits first, before any buffer is taken: a dropped query costs no strategy work.
    if (!sender.hasRoom()) {
      drops.sendQueueFull++;
      return;
    }
    if (rrl !== null && !rrl.allow(rinfo.address, performance.now())) {
      drops.rateLimited++;
      return;
    }
    try {
      strategy.allocRx(bytes, rx);
    } catch (err) {
      if (!isExhausted(err)) throw err;
      drops.strategyExhausted++;
      return;
    }
    strategy.copy(msg, 0, bytes, rx.buf, rx.start);
    const cap = server.prepare(rx.buf, rx.start, rx.start + bytes);
    strategy.release(rx);
    if (cap < 0) return;
    const tx = sender.frame();
    try {
      strategy.beginTx(tx, cap, noHeadroom);
    } catch (err) {
      // Only an exhausted strategy is a load condition; anything else is a bug and stays loud.
      if (!isExhausted(err)) throw err;
      drops.strategyExhausted++;
      return;
    }
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
  socket.on('error', (err) => {
    drops.sendErrors++;
    console.error(`dns serve: socket error: ${err.message}`);
  });
  const port = socket.address().port;
  return {
    port,
    server,
    strategy,
    drops,
    sender,
    status: () => formatDnsStatus(server, drops, sender.heldFrames, process.memoryUsage.rss()),
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

/**
 * The status line: `dns: queries=Q answers=A drops sendQueueFull=… strategyExhausted=… rateLimited=…
 * sendErrors=… held=H rssBytes=R` (key=value pairs, so scripts/soak.ts can read them back).
 */
export function formatDnsStatus(server: DnsServer, drops: DnsServeDrops, heldFrames: number, rssBytes: number): string {
  const c = server.counters;
  const d = Object.entries(drops).map(([k, v]) => `${k}=${v}`).join(' ');
  return `dns: queries=${c.queries} answers=${c.responses} minimalAny=${c.minimalAny} drops ${d} held=${heldFrames} rssBytes=${rssBytes}`;
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
    `dns: serving ${nameToText(zone.origin)} (${zone.recordCount} records, ${zone.nodeCount} names) on ${o.address}:${running.port} udp, strategy ${o.strategy}` +
      `, send queue ${o.sendQueueFrames} frames, max-udp ${o.maxUdpPayloadBytes}, rrl ${o.rrlPerSecond === 0 ? 'off' : `${o.rrlPerSecond}/s per source`}` +
      (o.address.startsWith('127.') ? '' : ' (EXPOSED beyond loopback: --expose)'),
  );
  const timer = o.statusSeconds > 0 ? setInterval(() => console.log(running.status()), o.statusSeconds * 1000) : null;
  const stop = (): void => {
    if (timer !== null) clearInterval(timer);
    console.log(running.status());
    console.log(`dns: stopping; counters ${JSON.stringify(running.server.counters)}`);
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
