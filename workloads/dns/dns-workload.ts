/**
 * The `dns` workload: a client stack and a server stack (each with its own strategy instance) in one
 * process over the in-memory link. One operation = one query from the client through
 * DNS/UDP/IPv4/Ethernet, the server's answer back through the same layers, and the client's check of
 * the answer (ID, QR, RCODE, answer count, and that every record in it is well-formed).
 *
 * Params: `mix` (a-only | mixed | txt-only, see zone-generator.ts), `hosts` (zone size, default
 * 5000), `edns` (client advertises EDNS(0) with 1232 bytes, default true). Size axis: bytes of TXT
 * rdata per TXT record in the generated zone (the TXT share of the mix answers with that much).
 */
import { newTxFrame, type BufferStrategy, type RxCursor, type StrategyCounters } from '../../allocators/buffer-strategy.js';
import { sumCounters } from '../../allocators/buffer-strategy.js';
import { DnsServer } from '../../stack/dns/server.js';
import { DnsUdpService } from '../../stack/dns/udp-service.js';
import { nameFromText, skipName } from '../../stack/dns/name.js';
import * as W from '../../stack/dns/wire.js';
import { loadZone } from '../../stack/dns/zone-parser.js';
import { parseMac } from '../../stack/ethernet/wire.js';
import { parseIpv4 } from '../../stack/ipv4/wire.js';
import { MemoryLink } from '../../stack/link/memory-link.js';
import { buildUdpStack, type UdpStack } from '../../stack/udp/udp-stack.js';
import type { UdpListener } from '../../stack/udp/layer.js';
import { WorkloadConfigError, type WorkloadDefinition, type WorkloadInstance, type WorkloadSetup } from '../workload.js';
import { generateQueryMix, generateZoneText, MIX_NAMES, type MixName } from './zone-generator.js';

const CLIENT_IP = parseIpv4('10.0.0.1');
const SERVER_IP = parseIpv4('10.0.0.53');
const CLIENT_MAC = parseMac('02:00:00:00:00:01');
const SERVER_MAC = parseMac('02:00:00:00:00:35');
const CLIENT_PORT = 40000;
const QUERIES_IN_MIX = 10_000;
export const CLIENT_EDNS_UDP_BYTES = 1232;

/** One query of the mix, pre-encoded once (name, type) with the answer it must get. */
interface PreparedQuery {
  qname: Uint8Array;
  qtype: number;
  rcode: number;
  answers: number;
}

export interface DnsWorkloadCounters {
  queriesSent: number;
  answersOk: number;
  /** Answer with wrong ID, RCODE, answer count, or missing QR. */
  answersMismatched: number;
  /** Answer that is not a well-formed DNS message. */
  answersMalformed: number;
  /** Query with no answer after the link was drained. */
  answersLost: number;
  /** Frames dropped by any layer or the link, on either side. */
  framesDropped: number;
  /** Bytes of DNS payload (queries + answers). */
  dnsBytes: number;
}

class DnsClient implements UdpListener {
  readonly frame = newTxFrame();
  expectedId = 0;
  expectedRcode = 0;
  expectedAnswers = 0;
  answered = false;
  readonly c: DnsWorkloadCounters = {
    queriesSent: 0,
    answersOk: 0,
    answersMismatched: 0,
    answersMalformed: 0,
    answersLost: 0,
    framesDropped: 0,
    dnsBytes: 0,
  };

  constructor(
    private readonly stack: UdpStack,
    private readonly edns: boolean,
  ) {
    stack.udp.bind(CLIENT_PORT, this);
  }

  /** Writes the query into a frame from the client's strategy and sends it. */
  send(q: PreparedQuery, id: number): void {
    const udp = this.stack.udp;
    const f = this.frame;
    const bytes = W.DNS_HEADER_BYTES + q.qname.length + 4 + (this.edns ? W.OPT_RR_BYTES : 0);
    udp.beginDatagram(f, bytes);
    const b = f.buf;
    const s = f.start;
    // Flags 0: QUERY, RD=0 (we ask the authority directly).
    W.writeHeader(b, s, id, 0, 1, 0, 0, this.edns ? 1 : 0);
    let p = s + W.DNS_HEADER_BYTES;
    const n = q.qname;
    for (let i = 0; i < n.length; i++) b[p + i] = n[i]!;
    p = W.writeQuestionTail(b, p + n.length, q.qtype, W.CLASS_IN);
    if (this.edns) W.writeOptRecord(b, p, CLIENT_EDNS_UDP_BYTES, 0, 0, false);
    this.expectedId = id;
    this.expectedRcode = q.rcode;
    this.expectedAnswers = q.answers;
    this.answered = false;
    this.c.queriesSent++;
    this.c.dnsBytes += bytes;
    udp.sendTo(f, CLIENT_PORT, SERVER_IP, 53);
  }

  onDatagram(p: RxCursor, _srcIp: number, _srcPort: number, _dstPort: number): void {
    this.answered = true;
    const b = p.buf;
    const s = p.start;
    const e = p.end;
    this.c.dnsBytes += e - s;
    if (e - s < W.DNS_HEADER_BYTES || !wellFormed(b, s, e)) {
      this.c.answersMalformed++;
      return;
    }
    const flags = W.getFlags(b, s);
    if (
      W.getId(b, s) !== this.expectedId ||
      (flags & W.FLAG_QR) === 0 ||
      (flags & W.RCODE_MASK) !== this.expectedRcode ||
      W.getAncount(b, s) !== this.expectedAnswers
    ) {
      this.c.answersMismatched++;
      return;
    }
    this.c.answersOk++;
  }
}

/** Walks every section of the message `b[s, e)`: true when all names and records are in bounds. */
function wellFormed(b: Uint8Array, s: number, e: number): boolean {
  let pos = s + W.DNS_HEADER_BYTES;
  const qd = W.getQdcount(b, s);
  for (let i = 0; i < qd; i++) {
    pos = skipName(b, s, e, pos);
    if (pos < 0 || pos + 4 > e) return false;
    pos += 4;
  }
  const rr = W.getAncount(b, s) + W.getNscount(b, s) + W.getArcount(b, s);
  for (let i = 0; i < rr; i++) {
    pos = skipName(b, s, e, pos);
    if (pos < 0 || pos + 10 > e) return false;
    pos += 10 + ((b[pos + 8]! << 8) | b[pos + 9]!);
    if (pos > e) return false;
  }
  return pos === e;
}

function sumDrops(st: UdpStack): number {
  const e = st.ethernet.counters;
  const i = st.ipv4.counters;
  const u = st.udp.counters;
  return (
    e.sendFailed +
    e.droppedTruncated +
    e.droppedNotEthernetII +
    e.droppedNotForUs +
    e.droppedUnknownEthertype +
    i.sendNoRoute +
    i.sendTooBig +
    i.droppedTruncated +
    i.droppedBadVersion +
    i.droppedBadHeaderLength +
    i.droppedBadTotalLength +
    i.droppedBadChecksum +
    i.droppedNotForUs +
    i.droppedFragment +
    i.droppedUnknownProtocol +
    u.sendFailed +
    u.droppedTruncated +
    u.droppedBadLength +
    u.droppedBadChecksum +
    u.droppedNoListener
  );
}

function param<T extends string>(setup: WorkloadSetup, key: string, allowed: readonly T[], dflt: T): T {
  const v = setup.params[key] ?? dflt;
  if (!allowed.includes(String(v) as T)) throw new WorkloadConfigError(`dns: param ${key}=${String(v)} is unknown; use one of ${allowed.join(', ')}`);
  return String(v) as T;
}

export function createDnsWorkload(setup: WorkloadSetup): WorkloadInstance {
  const mix: MixName = param(setup, 'mix', MIX_NAMES, 'mixed');
  const edns = param(setup, 'edns', ['true', 'false'], 'true') === 'true';
  const hosts = Number(setup.params.hosts ?? 5000);
  if (!Number.isInteger(hosts) || hosts < 10 || hosts > 1_000_000) throw new WorkloadConfigError(`dns: param hosts=${String(setup.params.hosts)} must be an integer 10-1000000`);
  const txtBytes = setup.sizeBytes;
  // Above this the TXT answer would not fit the client's 1232-byte EDNS limit and come back truncated.
  if (!Number.isInteger(txtBytes) || txtBytes < 1 || txtBytes > 1024) {
    throw new WorkloadConfigError(`dns: size ${txtBytes} (TXT rdata bytes) must be 1-1024 so that answers fit the client's ${CLIENT_EDNS_UDP_BYTES}-byte EDNS limit`);
  }
  if (!edns && txtBytes > 400) throw new WorkloadConfigError(`dns: size ${txtBytes} with edns=false would exceed 512-byte answers; use edns=true or size ≤ 400`);
  const zoneOpts = { hosts, txtBytes };
  const zone = loadZone(generateZoneText(setup.seed, zoneOpts), { fileName: `generated(seed ${setup.seed})` });
  const queries: PreparedQuery[] = generateQueryMix(setup.seed, mix, QUERIES_IN_MIX, zoneOpts).map((q) => ({
    qname: nameFromText(q.name),
    qtype: W.parseTypeName(q.type),
    rcode: q.expected.rcode,
    answers: q.expected.answers,
  }));

  const link = new MemoryLink();
  const clientStrategy: BufferStrategy = setup.makeStrategy();
  const serverStrategy: BufferStrategy = setup.makeStrategy();
  const clientStack = buildUdpStack({ strategy: clientStrategy, device: link.a, mac: CLIENT_MAC, ip: CLIENT_IP, neighbours: [[SERVER_IP, SERVER_MAC]] });
  const serverStack = buildUdpStack({ strategy: serverStrategy, device: link.b, mac: SERVER_MAC, ip: SERVER_IP, neighbours: [[CLIENT_IP, CLIENT_MAC]] });
  const service = new DnsUdpService(serverStack.udp, new DnsServer(zone));
  const client = new DnsClient(clientStack, edns);
  let next = 0;
  let id = 0;

  const op = (): void => {
    const q = queries[next]!;
    next = next + 1 === queries.length ? 0 : next + 1;
    id = (id + 1) & 0xffff;
    client.send(q, id);
    link.drain();
    if (!client.answered) client.c.answersLost++;
  };

  // One pass over the whole mix before measuring: checks every query once and gives the mean DNS
  // bytes per operation; counters are reset afterwards so the harness sees only its own operations.
  for (let i = 0; i < queries.length; i++) op();
  const selfCheck = { ...client.c };
  if (selfCheck.answersOk !== queries.length) {
    throw new WorkloadConfigError(
      `dns: self-check failed: ${selfCheck.answersOk}/${queries.length} answers as expected (mismatched ${selfCheck.answersMismatched}, malformed ${selfCheck.answersMalformed}, lost ${selfCheck.answersLost})`,
    );
  }
  const payloadBytesPerOp = selfCheck.dnsBytes / queries.length;
  for (const k of Object.keys(client.c) as Array<keyof DnsWorkloadCounters>) client.c[k] = 0;
  clientStrategy.resetCounters();
  serverStrategy.resetCounters();
  const dropsBefore = sumDrops(clientStack) + sumDrops(serverStack);
  const linkDrops = (): number =>
    link.a.counters.droppedOversize + link.a.counters.droppedQueueFull + link.b.counters.droppedOversize + link.b.counters.droppedQueueFull;
  const linkDropsBefore = linkDrops();

  return {
    op,
    payloadBytesPerOp,
    strategyCounters(): StrategyCounters {
      return sumCounters([clientStrategy.counters, serverStrategy.counters]);
    },
    counters(): Record<string, number> {
      client.c.framesDropped = sumDrops(clientStack) + sumDrops(serverStack) - dropsBefore + linkDrops() - linkDropsBefore;
      const sc = service.server.counters;
      return {
        ...client.c,
        serverNxDomain: sc.nxDomain,
        serverNoData: sc.noData,
        serverWildcard: sc.wildcardAnswers,
        serverCname: sc.cnameAnswers,
        serverTruncated: sc.truncated,
        serverFormErr: sc.formErr,
      };
    },
    verify(): void {
      const c = this.counters();
      const bad = c.answersMismatched! + c.answersMalformed! + c.answersLost! + c.framesDropped!;
      if (c.queriesSent === 0) throw new Error('dns verify: no query was sent');
      if (bad !== 0 || c.answersOk !== c.queriesSent) {
        throw new Error(`dns verify: ${c.answersOk}/${c.queriesSent} answers ok; mismatched ${c.answersMismatched}, malformed ${c.answersMalformed}, lost ${c.answersLost}, frames dropped ${c.framesDropped}`);
      }
    },
    close(): void {
      service.close();
    },
  };
}

export const dnsWorkload: WorkloadDefinition = {
  name: 'dns',
  description: 'authoritative DNS query/answer over Ethernet/IPv4/UDP in memory (client + server stacks), dnsperf-style query mix',
  create: createDnsWorkload,
};
