/**
 * Soak (issue 16), bounded for CI: dnsperf at its maximum rate (no -Q) for 12 s against `npm run
 * serve -- dns` running as a process of its own, so that its RSS is the server's alone. Lost
 * queries at most 0.01% of those sent; RSS at the end within 10% of RSS after the first 4 s; the
 * server's drops by reason all zero (loopback never fills a UDP send queue, and the arena is
 * never exhausted under this load). `npm run soak` runs the minute-long version beside Knot.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDnsperf, rssBytesOf, startServe } from '../../../scripts/soak/soak-lib.js';
import { generateQueryMix, generateZoneText, toQueryFile } from '../../../workloads/dns/zone-generator.js';
import { peer } from '../../peers.js';

const run = promisify(execFile);
const SECONDS = 12;
const WARM_S = 4;

describe.runIf(peer('dnsperf'))('serve dns soak: dnsperf at maximum rate', () => {
  it(`${SECONDS} s: lost <= 0.01%, RSS flat after the first ${WARM_S} s, no drops`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-dns-soak-'));
    writeFileSync(join(dir, 'soak.zone'), generateZoneText(7, { hosts: 2000 }));
    writeFileSync(join(dir, 'queries.txt'), toQueryFile(generateQueryMix(7, 'mixed', 20_000, { hosts: 2000 })));
    const srv = await startServe('dns', ['--zone', join(dir, 'soak.zone'), '--port', '0', '--strategy', 'one-big-struct', '--status-seconds', '1']);
    try {
      const rss: Array<{ atMs: number; bytes: number }> = [];
      const t0 = performance.now();
      const sampler = setInterval(() => rss.push({ atMs: performance.now() - t0, bytes: rssBytesOf(srv.pid) }), 250);
      const { stdout } = await run('dnsperf', ['-s', '127.0.0.1', '-p', String(srv.port), '-d', join(dir, 'queries.txt'), '-l', String(SECONDS), '-t', '2'], { timeout: (SECONDS + 30) * 1000 });
      clearInterval(sampler);
      const f = parseDnsperf(stdout);
      expect(f.sent).toBeGreaterThan(1000 * SECONDS);
      expect(f.lost).toBeLessThanOrEqual(Math.floor(f.sent * 0.0001));
      expect(f.codes).not.toMatch(/SERVFAIL|FORMERR|REFUSED|NOTIMP/);
      const afterWarm = rss.find((s) => s.atMs >= WARM_S * 1000)!.bytes;
      const atEnd = rss[rss.length - 1]!.bytes;
      expect(Math.abs(atEnd - afterWarm) / afterWarm).toBeLessThanOrEqual(0.1);
      const status = await srv.stop();
      expect(status).toMatchObject({ sendQueueFull: 0, strategyExhausted: 0, rateLimited: 0, sendErrors: 0 });
      expect(status.answers).toBe(f.completed);
    } finally {
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
