import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nameToText } from '../../../stack/dns/name.js';
import { loadZone, parseTtl, parseZoneText, ZoneParseError } from '../../../stack/dns/zone-parser.js';
import { ZoneError } from '../../../stack/dns/zone.js';
import { generateZoneText } from '../../../workloads/dns/zone-generator.js';
import { EXAMPLE_ZONE_TEXT } from './helpers.js';

function errorOf(text: string): ZoneParseError {
  try {
    loadZone(text, { fileName: 'z.zone' });
  } catch (err) {
    if (err instanceof ZoneParseError) return err;
    throw err;
  }
  throw new Error('expected a ZoneParseError');
}

describe('zone parser (RFC 1035 §5)', () => {
  it('parses the example zone: $ORIGIN, $TTL, @, blank owners, parentheses, comments, quoted strings', () => {
    const p = parseZoneText(EXAMPLE_ZONE_TEXT);
    expect(nameToText(p.origin)).toBe('example.test.');
    const soa = p.records[0]!;
    expect(soa.data).toEqual({
      kind: 'soa',
      mname: 'ns1.example.test.',
      rname: 'hostmaster.example.test.',
      serial: 2024010101,
      refresh: 7200,
      retry: 3600,
      expire: 1209600,
      minimum: 300,
    });
    expect(soa.line).toBe(4);
    const ns = p.records.filter((r) => r.type === 2).map((r) => r.data);
    expect(ns).toEqual([{ kind: 'name', name: 'ns1.example.test.' }, { kind: 'name', name: 'ns2.example.test.' }]);
    const mail = p.records.find((r) => nameToText(r.name) === 'mail.example.test.')!;
    expect(mail.ttl).toBe(300);
    const www = p.records.filter((r) => nameToText(r.name) === 'www.example.test.');
    expect(www.map((r) => r.type)).toEqual([1, 1, 28]);
    const quoted = p.records.find((r) => nameToText(r.name) === 'quoted.example.test.')!.data;
    expect(quoted.kind === 'txt' && quoted.strings.map((s) => Buffer.from(s).toString('latin1'))).toEqual(['a "quoted" string; with semicolon', 'second part']);
    const zone = loadZone(EXAMPLE_ZONE_TEXT);
    expect(zone.recordCount).toBe(p.records.length);
  });

  it('parses TTL units', () => {
    expect(parseTtl('3600')).toBe(3600);
    expect(parseTtl('1h30m')).toBe(5400);
    expect(parseTtl('2d')).toBe(172800);
    expect(parseTtl('1x')).toBe(-1);
  });

  it('reports bad input with its line number', () => {
    const head = '$ORIGIN z.test.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n';
    expect(errorOf(head + 'www A 300.1.1.1\n').line).toBe(4);
    expect(errorOf(head + '\nwww A 1.1.1.1\nfoo BOGUS x\n').line).toBe(6);
    expect(errorOf(head + 'x TXT "unterminated\n').message).toMatch(/^z\.zone:4: unterminated/);
    expect(errorOf(head + 'x MX 10\n').message).toMatch(/MX needs a preference and an exchange/);
    expect(errorOf(head + 'x ( A\n 1.2.3.4\n').line).toBe(4);
    expect(errorOf(head + 'x CH A 1.2.3.4\n').message).toMatch(/class CH/);
    expect(errorOf(head + '$INCLUDE other.zone\n').message).toMatch(/\$INCLUDE/);
    expect(errorOf(head + 'www.other.test. A 1.2.3.4\n').line).toBe(4);
    expect(errorOf('www A 1.2.3.4\n').message).toMatch(/no origin/);
    expect(errorOf('$ORIGIN z.test.\nwww A 1.2.3.4\n').message).toMatch(/no TTL/);
    expect(errorOf(head + 'c CNAME www\nc A 1.2.3.4\n').message).toMatch(/CNAME and other data/);
  });

  it('refuses a zone without SOA', () => {
    expect(() => loadZone('$ORIGIN z.test.\n$TTL 60\nwww A 1.2.3.4\n')).toThrow(ZoneError);
  });

  it('generated zones parse, and round trip (property): every generated host is found', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 10, max: 300 }), fc.integer({ min: 1, max: 1024 }), (seed, hosts, txtBytes) => {
        const zone = loadZone(generateZoneText(seed, { hosts, txtBytes }));
        const p = parseZoneText(generateZoneText(seed, { hosts, txtBytes }));
        expect(zone.recordCount).toBe(p.records.length);
        const txt = p.records.find((r) => r.type === 16)!.data;
        expect(txt.kind === 'txt' && txt.strings.reduce((n, s) => n + 1 + s.length, 0)).toBe(txtBytes);
      }),
      { numRuns: 25 },
    );
  });

  it('arbitrary records survive formatting and parsing (property)', () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,10}$/);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            owner: label,
            ttl: fc.integer({ min: 0, max: 0x7fffffff }),
            kind: fc.constantFrom('A', 'MX', 'TXT'),
            a: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)),
            pref: fc.nat(65535),
            text: fc.string({ maxLength: 50 }),
            layout: fc.constantFrom('plain', 'paren', 'comment'),
          }),
          { maxLength: 10 },
        ),
        (recs) => {
          const lines = ['$ORIGIN p.test.', '@ 60 SOA ns hm 1 2 3 4 5'];
          for (const r of recs) {
            const esc = [...Buffer.from(r.text, 'utf8')].map((b) => (b === 0x22 || b === 0x5c || b < 0x20 || b > 0x7e ? `\\${String(b).padStart(3, '0')}` : String.fromCharCode(b))).join('');
            const rdata = r.kind === 'A' ? r.a.join('.') : r.kind === 'MX' ? `${r.pref} mx` : `"${esc}"`;
            if (r.layout === 'paren') lines.push(`${r.owner} ${r.ttl} IN ${r.kind} (\n  ${rdata} )`);
            else if (r.layout === 'comment') lines.push(`${r.owner} IN ${r.ttl} ${r.kind} ${rdata} ; note "x" (`);
            else lines.push(`${r.owner} ${r.ttl} ${r.kind} ${rdata}`);
          }
          const p = parseZoneText(lines.join('\n'));
          expect(p.records.slice(1).map((x) => [nameToText(x.name), x.ttl, x.data])).toEqual(
            recs.map((r) => [
              `${r.owner}.p.test.`,
              r.ttl,
              r.kind === 'A'
                ? { kind: 'a', address: r.a.join('.') }
                : r.kind === 'MX'
                  ? { kind: 'mx', preference: r.pref, exchange: 'mx.p.test.' }
                  : { kind: 'txt', strings: [Uint8Array.from(Buffer.from(r.text, 'utf8'))] },
            ]),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
