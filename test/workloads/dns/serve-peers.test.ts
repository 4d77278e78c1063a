/**
 * `npm run serve -- dns` against real clients: dig and kdig check answers, flags and sections;
 * a bounded dnsperf run (2 s, loopback, rate-limited) must lose nothing and get no errors.
 * The server runs in this process (startDnsServer) on 127.0.0.1 and an ephemeral port.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../peers.js';
import { startDnsServer, type RunningDnsServer } from '../../../workloads/dns/serve.js';
import { generateQueryMix, generateZoneText, toQueryFile } from '../../../workloads/dns/zone-generator.js';

const run = promisify(execFile);
const ZONE = new URL('../../fixtures/dns/example.zone', import.meta.url).pathname;

const HAS_DIG = peer('dig');
const HAS_KDIG = peer('kdig');
const HAS_DNSPERF = peer('dnsperf');

describe.runIf(HAS_DIG || HAS_KDIG || HAS_DNSPERF)('dns serve with real peers', () => {
  let srv: RunningDnsServer;
  beforeAll(async () => {
    srv = await startDnsServer({ zoneFile: ZONE, port: 0, address: '127.0.0.1', strategy: 'pooled', maxUdpPayloadBytes: 1232 });
  });
  afterAll(async () => {
    await srv.close();
  });

  const dig = async (...args: string[]): Promise<string> =>
    (await run('dig', ['@127.0.0.1', '-p', String(srv.port), '+norec', '+tries=1', '+time=2', ...args], { timeout: 10_000 })).stdout;

  describe.runIf(HAS_DIG)('dig', () => {
    it('A: NOERROR, qr aa, two answers, EDNS with our size', async () => {
      const out = await dig('www.example.test', 'A');
      expect(out).toMatch(/status: NOERROR/);
      expect(out).toMatch(/flags: qr aa; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1/);
      expect(out).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
      expect(out).toMatch(/www\.example\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.80/);
      expect(out).toMatch(/www\.example\.test\.\s+3600\s+IN\s+A\s+192\.0\.2\.81/);
    });

    it('AAAA, TXT, MX', async () => {
      expect(await dig('+short', 'www.example.test', 'AAAA')).toBe('2001:db8::80\n');
      expect(await dig('+short', 'quoted.example.test', 'TXT')).toBe('"a \\"quoted\\" string; with semicolon" "second part"\n');
      expect(await dig('+short', 'example.test', 'MX')).toBe('10 mail.example.test.\n20 mail2.example.test.\n');
    });

    it('CNAME chain and wildcard', async () => {
      expect(await dig('+short', 'chain1.example.test', 'A')).toBe('chain2.example.test.\nalias.example.test.\nwww.example.test.\n192.0.2.80\n192.0.2.81\n');
      const w = await dig('+noall', '+answer', 'anything.wild.example.test', 'TXT');
      expect(w).toMatch(/^anything\.wild\.example\.test\.\s+3600\s+IN\s+TXT\s+"wildcard"\n$/);
    });

    it('NXDOMAIN and NODATA carry the SOA in authority', async () => {
      const nx = await dig('nope.example.test', 'A');
      expect(nx).toMatch(/status: NXDOMAIN/);
      expect(nx).toMatch(/flags: qr aa; QUERY: 1, ANSWER: 0, AUTHORITY: 1/);
      expect(nx).toMatch(/AUTHORITY SECTION:\nexample\.test\.\s+300\s+IN\s+SOA\s+ns1\.example\.test\. hostmaster\.example\.test\. 2024010101/);
      const nodata = await dig('www.example.test', 'MX');
      expect(nodata).toMatch(/status: NOERROR/);
      expect(nodata).toMatch(/ANSWER: 0, AUTHORITY: 1/);
    });

    it('truncation: TC without EDNS, full answer with EDNS', async () => {
      const tc = await dig('+noedns', '+ignore', 'big.example.test', 'TXT');
      expect(tc).toMatch(/flags: qr aa tc; QUERY: 1, ANSWER: 0/);
      const full = await dig('+bufsize=4096', 'big.example.test', 'TXT');
      expect(full).toMatch(/flags: qr aa; QUERY: 1, ANSWER: 2/);
      expect(full).toMatch(/MSG SIZE {2}rcvd: 6\d\d/);
    });

    it('REFUSED outside the zone', async () => {
      expect(await dig('www.example.org', 'A')).toMatch(/status: REFUSED/);
    });
  });

  describe.runIf(HAS_KDIG)('kdig', () => {
    const kdig = async (...args: string[]): Promise<string> =>
      (await run('kdig', ['@127.0.0.1', '-p', String(srv.port), '+norec', '+retry=0', '+time=2', ...args], { timeout: 10_000 })).stdout;

    it('SRV, CAA and ANY', async () => {
      expect(await kdig('+short', '_sip._udp.example.test', 'SRV')).toBe('10 60 5060 sipserver.example.test.\n');
      expect(await kdig('+short', 'example.test', 'CAA')).toMatch(/^0 issue "letsencrypt\.org"/);
      const any = await kdig('example.test', 'ANY');
      // RFC 8482 §4.1: one RRset (see serve-limits.test.ts).
      expect(any).toMatch(/Flags: qr aa; QUERY: 1; ANSWER: 1; AUTHORITY: 0/);
    });

    it('EDNS version 1 gets BADVERS', async () => {
      expect(await kdig('+edns=1', 'www.example.test', 'A')).toMatch(/status: BADVERS/);
    });
  });

  describe.runIf(HAS_DNSPERF)('dnsperf', () => {
    it('a bounded 2 s run against a generated zone loses nothing and gets no errors', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'buflab-dnsperf-'));
      writeFileSync(join(dir, 'bench.zone'), generateZoneText(5, { hosts: 2000 }));
      const big = await startDnsServer({ zoneFile: join(dir, 'bench.zone'), port: 0, address: '127.0.0.1', strategy: 'one-big-struct', maxUdpPayloadBytes: 1232 });
      try {
        writeFileSync(join(dir, 'queries.txt'), toQueryFile(generateQueryMix(5, 'mixed', 5000, { hosts: 2000 })));
        const { stdout } = await run('dnsperf', ['-s', '127.0.0.1', '-p', String(big.port), '-d', join(dir, 'queries.txt'), '-l', '2', '-Q', '5000', '-t', '2'], {
          timeout: 20_000,
        });
        const sent = Number(/Queries sent:\s+(\d+)/.exec(stdout)?.[1]);
        const completed = Number(/Queries completed:\s+(\d+)/.exec(stdout)?.[1]);
        const lost = Number(/Queries lost:\s+(\d+)/.exec(stdout)?.[1]);
        expect(sent).toBeGreaterThan(1000);
        expect(completed).toBe(sent);
        expect(lost).toBe(0);
        const codes = /Response codes:\s+(.*)/.exec(stdout)?.[1] ?? '';
        expect(codes).toMatch(/NOERROR/);
        expect(codes).not.toMatch(/SERVFAIL|FORMERR|REFUSED|NOTIMP/);
        expect(big.server.counters.formErr).toBe(0);
        expect(big.server.counters.responses).toBe(sent);
      } finally {
        await big.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
