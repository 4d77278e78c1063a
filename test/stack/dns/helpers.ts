import { readFileSync } from 'node:fs';
import { newTxFrame, type BufferStrategy, type RxCursor } from '../../../allocators/buffer-strategy.js';
import { decodeMessage, encodeMessage, type DnsMessage } from '../../../stack/dns/message.js';
import { DnsServer } from '../../../stack/dns/server.js';
import { DnsUdpService } from '../../../stack/dns/udp-service.js';
import { loadZone } from '../../../stack/dns/zone-parser.js';
import { IP_B, makePair } from '../lower-layers-helpers.js';

export const EXAMPLE_ZONE_TEXT = readFileSync(new URL('../../fixtures/dns/example.zone', import.meta.url), 'utf8');

export function exampleServer(maxUdpPayloadBytes = 1232): DnsServer {
  return new DnsServer(loadZone(EXAMPLE_ZONE_TEXT, { fileName: 'example.zone' }), { maxUdpPayloadBytes });
}

export interface QueryOptions {
  id?: number;
  flags?: number;
  /** EDNS UDP size; undefined = no OPT. */
  ednsBytes?: number;
  ednsVersion?: number;
}

export function queryMessage(name: string, type: number, o: QueryOptions = {}): DnsMessage {
  return {
    id: o.id ?? 0x1234,
    flags: o.flags ?? 0,
    questions: [{ name, type, class: 1 }],
    answers: [],
    authorities: [],
    additionals:
      o.ednsBytes === undefined
        ? []
        : [{ name: '.', type: 41, class: o.ednsBytes, ttl: (o.ednsVersion ?? 0) << 16, data: { kind: 'raw', bytes: new Uint8Array(0) } }],
  };
}

/**
 * A DNS client on the full in-memory stack: sends raw query bytes from endpoint a to the server
 * on endpoint b (port 53) and returns the raw answer bytes (or null when none came back).
 */
export function stackClient(make: () => BufferStrategy, server: DnsServer): { ask(query: Uint8Array): Uint8Array | null; pair: ReturnType<typeof makePair> } {
  const pair = makePair(make);
  new DnsUdpService(pair.b.udp, server);
  let answer: Uint8Array | null = null;
  pair.a.udp.bind(5300, {
    onDatagram(p: RxCursor) {
      answer = Uint8Array.from(p.buf.subarray(p.start, p.end));
    },
  });
  const frame = newTxFrame();
  return {
    pair,
    ask(query: Uint8Array): Uint8Array | null {
      answer = null;
      pair.a.udp.beginDatagram(frame, query.length);
      frame.buf.set(query, frame.start);
      pair.a.udp.sendTo(frame, 5300, IP_B, 53);
      pair.link.drain();
      return answer;
    },
  };
}

export function encode(m: DnsMessage): Uint8Array {
  const buf = new Uint8Array(4096);
  const end = encodeMessage(m, buf, 0, buf.length);
  if (end < 0) throw new Error('test query does not fit');
  return buf.slice(0, end);
}

export function decodeOk(bytes: Uint8Array): DnsMessage {
  const r = decodeMessage(bytes, 0, bytes.length);
  if (!r.ok) throw new Error(`answer does not decode: ${r.error} at ${r.offset}`);
  return r.message;
}
