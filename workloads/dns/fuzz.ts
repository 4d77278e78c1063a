/**
 * `npm run fuzz -- dns [--count N] [--seed S]`: random and mutated packets into the DNS decoders
 * (the typed codec, the server's query parser and answer writer, the name reader) and the
 * Ethernet/IPv4/UDP header decoders. Default 1,000,000 packets.
 *
 * Laws checked for every packet (the cstruct fuzz law, adapted):
 * 1. no exception escapes a decoder;
 * 2. nothing outside the input is read: the packet is decoded inside a larger buffer twice, with
 *    different bytes around it (0x00…, then 0xff/0xc0 pointers), and both results must be equal —
 *    a decoder that read outside `[start, end)` would see the difference (sampled deep comparison
 *    for the typed codec; every response byte for the server);
 * 3. the server never writes past the capacity `prepare` returned (a sentinel after it stays intact).
 */
import { decodeMessage, encodeMessage, type DnsMessage } from '../../stack/dns/message.js';
import { newNameScratch, readName } from '../../stack/dns/name.js';
import { DnsServer } from '../../stack/dns/server.js';
import { loadZone } from '../../stack/dns/zone-parser.js';
import { decodeEthernet, newEthernetHeader } from '../../stack/ethernet/packet.js';
import { decodeIpv4, newIpv4Header } from '../../stack/ipv4/packet.js';
import { decodeUdp, newUdpHeader } from '../../stack/udp/packet.js';
import { seededRandom } from '../../allocators/prng.js';
import { generateQueryMix, generateZoneText } from './zone-generator.js';
import { nameFromText } from '../../stack/dns/name.js';
import { parseTypeName } from '../../stack/dns/wire.js';
import { parseCountSeed } from '../fuzz-args.js';

export interface FuzzOptions {
  count: number;
  seed: number;
  /** Called every 100,000 packets. */
  onProgress?: (done: number) => void;
}

export interface FuzzReport {
  packets: number;
  decodedOk: number;
  decodeErrors: Record<string, number>;
  serverAnswered: number;
  serverDropped: number;
  /** Descriptions of law violations (empty when all laws held), at most 20 kept. */
  failures: string[];
}

const PAD = 300;
const MAX_PACKET = 1500;

function corpus(seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  const zoneText = generateZoneText(seed, { hosts: 50, txtBytes: 300 });
  const zone = loadZone(zoneText);
  const server = new DnsServer(zone);
  for (const q of generateQueryMix(seed, 'mixed', 60, { hosts: 50, txtBytes: 300 })) {
    const m: DnsMessage = {
      id: 7,
      flags: 0,
      questions: [{ name: q.name, type: parseTypeName(q.type), class: 1 }],
      answers: [],
      authorities: [],
      additionals: [{ name: '.', type: 41, class: 1232, ttl: 0, data: { kind: 'raw', bytes: new Uint8Array(0) } }],
    };
    const end = encodeMessage(m, buf, 0, buf.length);
    out.push(buf.slice(0, end));
    const resp = new Uint8Array(4096);
    const n = server.respond(buf, 0, end, resp);
    if (n > 0) out.push(resp.slice(0, n));
  }
  nameFromText('x.'); // the name module is exercised by the corpus above as well
  return out;
}

/** Deterministic fuzz run; never throws for a law violation (they are reported). */
export function runDnsFuzz(o: FuzzOptions): FuzzReport {
  const rnd = seededRandom(o.seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const seeds = corpus(o.seed);
  const zone = loadZone(generateZoneText(o.seed, { hosts: 50, txtBytes: 300 }));
  const serverA = new DnsServer(zone);
  const serverB = new DnsServer(zone);
  const report: FuzzReport = { packets: 0, decodedOk: 0, decodeErrors: {}, serverAnswered: 0, serverDropped: 0, failures: [] };
  const fail = (what: string, pkt: Uint8Array): void => {
    if (report.failures.length < 20) report.failures.push(`${what}: packet ${Buffer.from(pkt).toString('hex')}`);
  };
  const bigA = new Uint8Array(MAX_PACKET + 2 * PAD);
  const bigB = new Uint8Array(MAX_PACKET + 2 * PAD);
  const outA = new Uint8Array(4096 + 16);
  const outB = new Uint8Array(4096 + 16);
  const pkt = new Uint8Array(MAX_PACKET);
  const sA = newNameScratch();
  const sB = newNameScratch();
  const eh = newEthernetHeader();
  const ih = newIpv4Header();
  const uh = newUdpHeader();
  const ih2 = newIpv4Header();
  const uh2 = newUdpHeader();
  for (let n = 0; n < o.count; n++) {
    // Build one packet: random bytes, or a seed mutated a few times.
    let len: number;
    if (rnd() < 0.2) {
      len = int(600);
      for (let i = 0; i < len; i++) pkt[i] = int(256);
    } else {
      const s = seeds[int(seeds.length)]!;
      len = s.length;
      pkt.set(s);
      const muts = 1 + int(4);
      for (let k = 0; k < muts; k++) {
        const r = rnd();
        if (len === 0) break;
        const at = int(len);
        if (r < 0.4) pkt[at] = pkt[at]! ^ (1 << int(8));
        else if (r < 0.6) pkt[at] = int(256);
        else if (r < 0.75 && at + 1 < len) {
          pkt[at] = 0xc0 | int(4);
          pkt[at + 1] = int(256);
        } else if (r < 0.9) len = at;
        else if (len < MAX_PACKET - 8) {
          for (let i = 0; i < 8; i++) pkt[len + i] = int(256);
          len += int(8);
        }
      }
    }
    report.packets++;
    bigA.fill(0);
    bigB.fill(0xc0);
    for (let i = 0; i < PAD; i += 7) bigB[i] = 0x3f;
    bigA.set(pkt.subarray(0, len), PAD);
    bigB.set(pkt.subarray(0, len), PAD);
    const end = PAD + len;
    try {
      // Typed codec.
      const ra = decodeMessage(bigA, PAD, end);
      const rb = decodeMessage(bigB, PAD, end);
      if (ra.ok !== rb.ok || (!ra.ok && !rb.ok && (ra.error !== rb.error || ra.offset !== rb.offset))) fail('decodeMessage depends on bytes outside the input', pkt.subarray(0, len));
      else if (ra.ok && rb.ok && n % 16 === 0 && JSON.stringify(ra.message, hexReplacer) !== JSON.stringify(rb.message, hexReplacer)) {
        fail('decodeMessage result depends on bytes outside the input', pkt.subarray(0, len));
      }
      if (ra.ok) report.decodedOk++;
      else report.decodeErrors[ra.error] = (report.decodeErrors[ra.error] ?? 0) + 1;
      // Server path.
      const ca = serverA.prepare(bigA, PAD, end);
      const cb = serverB.prepare(bigB, PAD, end);
      if (ca !== cb) fail('server.prepare depends on bytes outside the input', pkt.subarray(0, len));
      else if (ca < 0) report.serverDropped++;
      else {
        outA.fill(0xaa);
        outB.fill(0x55);
        const ea = serverA.write(outA, 0);
        const eb = serverB.write(outB, 0);
        if (ea > ca || outA[ca] !== 0xaa || outB[ca] !== 0x55) fail(`server wrote past its capacity ${ca}`, pkt.subarray(0, len));
        if (ea !== eb || Buffer.compare(outA.subarray(0, ea), outB.subarray(0, eb)) !== 0) fail('server answer depends on bytes outside the input', pkt.subarray(0, len));
        report.serverAnswered++;
      }
      // Name reader at a random offset.
      const at = PAD + int(len + 1);
      if (readName(bigA, PAD, end, at, sA) !== readName(bigB, PAD, end, at, sB)) fail('readName depends on bytes outside the input', pkt.subarray(0, len));
      // Lower-layer header decoders on the same bytes.
      decodeEthernet(bigA, PAD, end, eh);
      if (decodeIpv4(bigA, PAD, end, ih) !== decodeIpv4(bigB, PAD, end, ih2) || ih.totalLength !== ih2.totalLength) fail('decodeIpv4 depends on bytes outside the input', pkt.subarray(0, len));
      if (decodeUdp(bigA, PAD, end, 0x0a000001, 0x0a000002, uh) !== decodeUdp(bigB, PAD, end, 0x0a000001, 0x0a000002, uh2)) fail('decodeUdp depends on bytes outside the input', pkt.subarray(0, len));
    } catch (err) {
      fail(`exception escaped: ${(err as Error).stack ?? String(err)}`, pkt.subarray(0, len));
    }
    if (o.onProgress && (n + 1) % 100_000 === 0) o.onProgress(n + 1);
  }
  return report;
}

function hexReplacer(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
}

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseCountSeed('dns', argv, { count: 1_000_000, seed: 1 }, 'usage: npm run fuzz -- dns [--count N (default 1000000)] [--seed S (default 1)]\nexample: npm run fuzz -- dns --count 200000 --seed 7');
  if (args === null) return;
  const { count, seed } = args;
  const t0 = performance.now();
  const r = runDnsFuzz({ count, seed, onProgress: (d) => console.log(`fuzz dns: ${d} packets…`) });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `fuzz dns: ${r.packets} packets in ${s} s (seed ${seed}); decoded ${r.decodedOk}, decode errors ${JSON.stringify(r.decodeErrors)}; server answered ${r.serverAnswered}, dropped ${r.serverDropped}`,
  );
  if (r.failures.length > 0) {
    for (const f of r.failures) console.error(`FAIL ${f}`);
    process.exitCode = 1;
  } else console.log('fuzz dns: all laws held (no exception, no read outside the input, no write past capacity)');
}
