/**
 * Captured packets (test/fixtures/dns/knot-captures.json): real dig queries and Knot DNS's answers
 * for the example zone, recorded with tshark on loopback. Each is decoded, each has a corrupted twin
 * that must be rejected without throwing, and our server's answer to dig's exact query must agree
 * with Knot's (RCODE, AA, TC, question, answer and authority sections).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage, type DnsMessage, type DnsRecord } from '../../../stack/dns/message.js';
import * as W from '../../../stack/dns/wire.js';
import { STRATEGY_CASES } from '../strategies.js';
import { exampleServer, stackClient } from './helpers.js';

interface Capture {
  question: string;
  query: string;
  answer: string;
}
const { captures } = JSON.parse(readFileSync(new URL('../../fixtures/dns/knot-captures.json', import.meta.url), 'utf8')) as { captures: Capture[] };
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

function decoded(b: Uint8Array): DnsMessage {
  const r = decodeMessage(b, 0, b.length);
  if (!r.ok) throw new Error(`does not decode: ${r.error} at ${r.offset}`);
  return r.message;
}

/** The parts of an answer both servers must agree on (OPT differs: Knot adds cookies, sizes). */
function essence(m: DnsMessage): unknown {
  const rr = (rs: DnsRecord[]): string[] => rs.map((r) => JSON.stringify([r.name.toLowerCase(), r.type, r.class, r.ttl, r.data], (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))).sort();
  return {
    id: m.id,
    rcode: m.flags & 0xf,
    aa: (m.flags & W.FLAG_AA) !== 0,
    tc: (m.flags & W.FLAG_TC) !== 0,
    questions: m.questions,
    answers: rr(m.answers),
    authorities: rr(m.authorities),
    opt: m.additionals.filter((r) => r.type === 41).length,
  };
}

describe('captured dig queries and Knot answers', () => {
  it('has the captures this test relies on', () => {
    expect(captures.length).toBe(10);
  });

  for (const c of captures) {
    it(`${c.question}: query and answer decode; corrupted twins are rejected`, () => {
      const q = decoded(bytes(c.query));
      expect(`${q.questions[0]!.name.replace(/\.$/, '')} ${q.questions[0]!.type}`).toBe(c.question);
      const a = decoded(bytes(c.answer));
      expect(a.id).toBe(q.id);
      // Twin 1: cut inside the last record.
      const cut = bytes(c.answer).slice(0, bytes(c.answer).length - 3);
      expect(decodeMessage(cut, 0, cut.length).ok).toBe(false);
      // Twin 2: the question name made a pointer to itself (a loop).
      const loop = bytes(c.query);
      loop[12] = 0xc0;
      loop[13] = 12;
      const r = decodeMessage(loop, 0, loop.length);
      expect(r.ok ? 'ok' : r.error).toBe('bad-name');
    });
  }

  for (const sc of STRATEGY_CASES) {
    it(`our server answers dig's captured queries as Knot did — ${sc.name}`, () => {
      const client = stackClient(sc.make, exampleServer());
      for (const c of captures) {
        const ours = client.ask(bytes(c.query));
        expect(ours, c.question).not.toBeNull();
        expect(essence(decoded(ours!)), c.question).toEqual(essence(decoded(bytes(c.answer))));
      }
    });
  }
});
