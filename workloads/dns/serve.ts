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
import { createSocket, type RemoteInfo } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { newRxCursor, newTxFrame, type BufferStrategy, type TxFrame } from '../../allocators/buffer-strategy.js';
import { makeStrategy } from '../../allocators/registry.js';
import { DnsServer } from '../../stack/dns/server.js';
import { loadZone } from '../../stack/dns/zone-parser.js';
import { nameToText } from '../../stack/dns/name.js';

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
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const need = (): string => {
      if (value === undefined) throw new ServeUsageError(`${flag} needs a value\n${DNS_SERVE_HELP}`);
      i++;
      return value;
    };
    const int = (lo: number, hi: number): number => {
      const v = need();
      if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) throw new ServeUsageError(`${flag} ${v}: expected an integer ${lo}-${hi}`);
      return Number(v);
    };
    switch (flag) {
      case '--zone':
        o.zoneFile = need();
        break;
      case '--port':
        o.port = int(0, 65535);
        break;
      case '--address':
        o.address = need();
        break;
      case '--strategy':
        o.strategy = need();
        break;
      case '--max-udp':
        o.maxUdpPayloadBytes = int(512, 65507);
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

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The `lookup` node:dgram calls before every `send` to resolve the destination. The default,
 * `dns.lookup`, answers even an IP literal through `process.nextTick` (a closure and a deferred
 * send per datagram); every destination here is a literal from `rinfo.address`, so this answers
 * it synchronously and the send happens inside the message handler. Names still go to `dns.lookup`.
 */
export function literalLookup(hostname: string, options: number | LookupOneOptions, callback: LookupCallback): void {
  if (isIPv4(hostname)) {
    callback(null, hostname, 4);
    return;
  }
  dnsLookup(hostname, typeof options === 'number' ? { family: options } : options, callback);
}

/** Loads the zone and starts serving; resolves once the socket is bound. */
export async function startDnsServer(o: DnsServeOptions): Promise<RunningDnsServer> {
  const zone = loadZone(readFileSync(o.zoneFile, 'utf8'), { fileName: o.zoneFile });
  const server = new DnsServer(zone, { maxUdpPayloadBytes: o.maxUdpPayloadBytes });
  const strategy = makeStrategy(o.strategy);
  const socket = createSocket({ type: 'udp4', reuseAddr: false, lookup: literalLookup });
  const rx = newRxCursor();
  const noHeadroom = { headroomBytes: 0, tailroomBytes: 0 };
  // Frames handed to the kernel stay intact until their send completes. libuv completes the sends
  // of one UDP handle in order, so a FIFO of in-flight frames and one shared callback release them
  // without a closure or an object per datagram (the ring grows only while more are in flight).
  const inFlight: TxFrame[] = [];
  let head = 0;
  let count = 0;
  const onSent = (err: Error | null): void => {
    const f = inFlight[head]!;
    head = (head + 1) % inFlight.length;
    count--;
    strategy.releaseTx(f);
    if (err) console.error(`dns serve: send failed: ${err.message}`);
  };
  const nextFrame = (): TxFrame => {
    if (count === inFlight.length) {
      // Grow: unroll the ring so that the oldest frame is at 0 again.
      const ordered = [...inFlight.slice(head), ...inFlight.slice(0, head)];
      inFlight.length = 0;
      inFlight.push(...ordered, ...Array.from({ length: Math.max(8, ordered.length) }, () => newTxFrame()));
      head = 0;
    }
    const f = inFlight[(head + count) % inFlight.length]!;
    count++;
    return f;
  };
  socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    // node:dgram wraps each datagram in a fresh Buffer: a foreign allocation, counted.
    strategy.countForeign(msg.length);
    strategy.allocRx(msg.length, rx);
    strategy.copy(msg, 0, msg.length, rx.buf, rx.start);
    const cap = server.prepare(rx.buf, rx.start, rx.start + msg.length);
    strategy.release(rx);
    if (cap < 0) return;
    const tx = nextFrame();
    strategy.beginTx(tx, cap, noHeadroom);
    const end = server.write(tx.buf, tx.start, cap);
    strategy.truncate(tx, end - tx.start);
    socket.send(tx.buf, tx.start, end - tx.start, rinfo.port, rinfo.address, onSent);
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
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
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
