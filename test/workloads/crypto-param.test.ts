/**
 * The `crypto` axis of the vpn and tls suites (issue 15): `--param crypto=node,native,none` parses
 * and expands into cells; the workloads run on the backend asked for (counted as such) under every
 * strategy; an unknown backend is a configuration error; and when the native addon is missing, the
 * suite's `cellUnavailable` and the workload both name the build command instead of running
 * something else.
 */
import { describe, expect, it, vi } from 'vitest';
import { makeStrategy } from '../../allocators/registry.js';
import { parseBenchArgs } from '../../harness/cli/args.js';
import { SUITES } from '../../harness/suites.js';
import { NATIVE_AEAD_BUILD_COMMAND } from '../../stack/crypto/native-addon.js';
import { tlsWorkload } from '../../workloads/tls-proxy/tls-proxy-workload.js';
import { vpnWorkload } from '../../workloads/vpn/vpn-tunnel.js';
import { nativeAeadBuilt } from '../stack/crypto/native-available.js';

const suite = (name: string) => SUITES.find((s) => s.name === name)!;

describe('the crypto axis', () => {
  it.each(['vpn', 'tls'])('%s: --param crypto=node,native,none is an optional axis; other values are refused', (name) => {
    const c = parseBenchArgs(['--suite', name, '--quick', '--param', 'crypto=node,native,none'], SUITES);
    expect(c.kind === 'run' && c.options.params['crypto']).toEqual(['node', 'native', 'none']);
    expect(() => parseBenchArgs(['--suite', name, '--param', 'crypto=wasm'], SUITES)).toThrow("--param crypto: unknown value 'wasm'; choices: node, native, none");
    // Absent, cells keep their ids (no crypto= part): default runs and their baselines are unchanged.
    expect(suite(name).quick.axes['crypto']).toBeUndefined();
    expect(suite(name).cellUnavailable?.({})).toBeNull();
    expect(suite(name).cellUnavailable?.({ crypto: 'node' })).toBeNull();
  });

  it('an unknown backend given to a workload directly is a configuration error', () => {
    const make = () => vpnWorkload.create({ strategy: 'pooled', makeStrategy: () => makeStrategy('pooled'), sizeBytes: 512, params: { crypto: 'wasm' }, seed: 1 });
    expect(make).toThrow(expect.objectContaining({ code: 'E_WORKLOAD_CONFIG', message: "unknown crypto backend 'wasm': use one of node, native, none" }));
  });
});

describe.runIf(nativeAeadBuilt())('workloads on the native backend', () => {
  it.each(['vpn', 'tls'])('%s: native cells are available here', (name) => {
    expect(suite(name).cellUnavailable?.({ crypto: 'native' })).toBeNull();
  });

  for (const strategy of ['uint8array', 'pooled', 'one-big-struct', 'poisoning']) {
    it(`vpn under ${strategy}: every cipher's packets arrive intact on the native backend, with no foreign allocation and no crypto view`, () => {
      for (const cipher of ['aes-256-gcm', 'aes-128-gcm', 'chacha20-poly1305', 'aes-256-cbc-hmac']) {
        const w = vpnWorkload.create({ strategy, makeStrategy: () => makeStrategy(strategy), sizeBytes: 1400, params: { cipher, crypto: 'native' }, seed: 2 });
        for (let i = 0; i < 1100; i++) w.op();
        w.verify();
        expect(w.counters()).toMatchObject({ verified: 1101, dropped: 0, cryptoViews: 0 });
        expect(w.strategyCounters().foreignAllocations).toBe(0);
        w.close();
      }
    });
  }

  it('tls request op on the native backend: every byte echoed, no foreign allocation, no crypto view', () => {
    const w = tlsWorkload.create({ strategy: 'pooled', makeStrategy: () => makeStrategy('pooled'), sizeBytes: 3000, params: { op: 'request', crypto: 'native' }, seed: 5 });
    for (let i = 0; i < 30; i++) w.op();
    w.verify();
    expect(w.counters()).toMatchObject({ mismatchedBytes: 0, cryptoViews: 0 });
    expect(w.strategyCounters().foreignAllocations).toBe(0);
    w.close();
  });
});

describe('a missing native addon', () => {
  it('makes native cells unavailable with the build command, and the workload refuses them (never node:crypto instead)', async () => {
    vi.resetModules();
    vi.doMock('../../stack/crypto/native-addon.js', async (importOriginal) => {
      const real = await importOriginal<typeof import('../../stack/crypto/native-addon.js')>();
      return { ...real, nativeAeadAvailability: () => real.loadNativeAeadAddon('/nonexistent/buflab-aead.node') };
    });
    try {
      const { SUITES: suites } = await import('../../harness/suites.js');
      const { vpnWorkload: vpn } = await import('../../workloads/vpn/vpn-tunnel.js');
      const { makeCryptoBackend } = await import('../../stack/crypto/backends.js');
      const skip = suites.find((s) => s.name === 'vpn')!.cellUnavailable?.({ crypto: 'native' });
      expect(skip?.code).toBe('E_CRYPTO_NATIVE_MISSING');
      expect(skip?.message).toContain(NATIVE_AEAD_BUILD_COMMAND);
      const create = () => vpn.create({ strategy: 'pooled', makeStrategy: () => makeStrategy('pooled'), sizeBytes: 512, params: { crypto: 'native' }, seed: 1 });
      expect(create).toThrow(expect.objectContaining({ code: 'E_WORKLOAD_CONFIG', message: expect.stringContaining(NATIVE_AEAD_BUILD_COMMAND) as unknown }));
      expect(() => makeCryptoBackend('native')).toThrow(expect.objectContaining({ code: 'E_CRYPTO_NATIVE_MISSING' }));
    } finally {
      vi.doUnmock('../../stack/crypto/native-addon.js');
      vi.resetModules();
    }
  });
});
