import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportMain } from '../../../harness/export/export-command.js';
import { toBencherMetricFormat, toGithubActionBenchmarkBigger, toGithubActionBenchmarkSmaller } from '../../../harness/export/exporters.js';
import { makeResult } from '../compare/make-result.js';

const file = makeResult([
  { id: 'vpn/pooled/glibc/1400', forks: [1000, 1010, 990, 1005, 995].map((o) => ({ opsPerSec: o, p99Ns: 2000, allocationsPerOp: 1, copiesPerOp: 0 })) },
  { id: 'vpn/pooled/jemalloc/1400', state: 'errored', forks: [] },
]);

describe('Bencher Metric Format', () => {
  it('has one benchmark per completed cell, throughput with its interval, and custom measures', () => {
    const bmf = toBencherMetricFormat(file);
    expect(Object.keys(bmf)).toEqual(['vpn/pooled/glibc/1400']);
    const m = bmf['vpn/pooled/glibc/1400']!;
    expect(m.throughput!.value).toBe(1000);
    expect(m.throughput!.lower_value!).toBeLessThanOrEqual(1000);
    expect(m.throughput!.upper_value!).toBeGreaterThanOrEqual(1000);
    expect(m['p99-latency-ns']).toEqual({ value: 2000 });
    expect(m.latency).toEqual({ value: 1000 });
    expect(m['bytes-per-second']).toEqual({ value: 1400 * 1000 });
    expect(m['strategy-allocations-per-op']).toEqual({ value: 1 });
    expect(m['strategy-copies-per-op']).toEqual({ value: 0 });
    // The BMF schema (https://bencher.dev/bmf.json): every metric is an object with a numeric "value".
    for (const measures of Object.values(bmf)) for (const metric of Object.values(measures)) expect(typeof metric.value).toBe('number');
  });
});

describe('github-action-benchmark custom JSON', () => {
  it('splits bigger-is-better and smaller-is-better metrics into the two tools', () => {
    const bigger = toGithubActionBenchmarkBigger(file);
    expect(bigger.map((e) => [e.name, e.unit, e.value])).toEqual([
      ['vpn/pooled/glibc/1400 ops/s', 'ops/s', 1000],
      ['vpn/pooled/glibc/1400 bytes/s', 'bytes/s', 1_400_000],
    ]);
    expect(bigger[0]!.range).toMatch(/^± [\d.]+$/);
    const smaller = toGithubActionBenchmarkSmaller(file);
    expect(smaller.map((e) => e.name)).toEqual([
      'vpn/pooled/glibc/1400 p50 latency',
      'vpn/pooled/glibc/1400 p99 latency',
      'vpn/pooled/glibc/1400 GC pause share',
      'vpn/pooled/glibc/1400 heap B/op',
      'vpn/pooled/glibc/1400 ArrayBuffer B/op',
      'vpn/pooled/glibc/1400 peak RSS',
    ]);
    expect(smaller[0]).toMatchObject({ unit: 'ns', value: 1000, range: '± 0' });
    expect(smaller[1]).toMatchObject({ unit: 'ns', value: 2000, range: '± 0' });
  });
});

describe('export command', () => {
  it('writes the chosen format and refuses bad input with exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'buflab-export-'));
    const input = join(dir, 'r.json');
    writeFileSync(input, JSON.stringify(file));
    const out = join(dir, 'bmf.json');
    expect(exportMain(['--format', 'bmf', input, '--out', out]).exitCode).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(toBencherMetricFormat(file));
    expect(exportMain(['--format', 'csv', input]).stderr).toMatch(/--format csv: expected bmf, gab-bigger, gab-smaller/);
    expect(exportMain(['--format', 'bmf', join(dir, 'missing.json')]).exitCode).toBe(2);
  });
});
