/** `npm run serve -- vpn` argument parsing, and our endpoint talking to itself over real loopback UDP. */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { VpnServeUsageError, parseVpnServeArgs } from '../../../workloads/vpn/serve.js';
import { chooseServeCrypto } from '../../../workloads/vpn/serve-crypto.js';
import { loadNativeAeadAddon, NATIVE_AEAD_BUILD_COMMAND } from '../../../stack/crypto/native-addon.js';
import { nativeAeadBuilt } from '../../stack/crypto/native-available.js';
import { bindLoopbackUdp, numericLookup, VpnUdpEndpoint } from '../../../workloads/vpn/udp-endpoint.js';
import { chooseServeUdp, DatagramDrain, DatagramSender } from '../../../workloads/vpn/native-udp.js';
import { testStaticKey } from '../../stack/openvpn/helpers.js';

describe('serve vpn arguments', () => {
  it('has defaults that speak to openvpn --secret', () => {
    expect(parseVpnServeArgs([])).toEqual({
      tls: null, dataCiphers: ['aes-256-gcm', 'aes-128-gcm', 'chacha20-poly1305'], keyDerivation: 'auto',
      port: 1194, remotePort: undefined, secretFile: null, cipher: 'aes-256-cbc-hmac', direction: 'bidirectional', strategy: 'pooled', crypto: null, udp: null, tcpSendBufferBytes: null, pingMs: 1000, seconds: null,
      hardening: { renegotiation: {}, limits: {}, tlsCryptV2File: null },
    });
    const o = parseVpnServeArgs(['--port', '0', '--remote-port', '1195', '--cipher', 'chacha20-poly1305', '--direction', '1', '--seconds', '3']);
    expect(o).toMatchObject({ port: 0, remotePort: 1195, cipher: 'chacha20-poly1305', direction: 1, seconds: 3 });
    expect(parseVpnServeArgs(['--help'])).toBe('help');
  });

  it('TLS mode: the fixed flags, --data-ciphers in OpenVPN names and our order', () => {
    const o = parseVpnServeArgs(['--tls', '--ca', 'CA.pem', '--cert', 'SERVER.pem', '--key', 'SERVER.key', '--port', '1195', '--strategy', 'one-big-struct', '--data-ciphers', 'CHACHA20-POLY1305,aes-128-gcm']);
    expect(o).toMatchObject({ tls: { caFile: 'CA.pem', certFile: 'SERVER.pem', keyFile: 'SERVER.key' }, port: 1195, strategy: 'one-big-struct', dataCiphers: ['chacha20-poly1305', 'aes-128-gcm'] });
    expect(() => parseVpnServeArgs(['--tls', '--ca', 'CA.pem'])).toThrow(/--tls needs --ca, --cert and --key/);
    expect(() => parseVpnServeArgs(['--tls', '--ca', 'a', '--cert', 'b', '--key', 'c', '--secret', 'k'])).toThrow(/--secret is a static-key flag/);
    expect(() => parseVpnServeArgs(['--ca', 'a'])).toThrow(/add --tls/);
    expect(() => parseVpnServeArgs(['--tls', '--data-ciphers', 'BF-CBC'])).toThrow(expect.objectContaining({ code: 'E_SERVE_USAGE', message: expect.stringMatching(/unknown cipher 'BF-CBC'/) }));
  });

  it('TLS mode hardening: renegotiation limits, --tls-crypt-v2, admission limits; refused outside TLS mode or beside --tls-crypt', () => {
    const tls = ['--tls', '--ca', 'a', '--cert', 'b', '--key', 'c'];
    const o = parseVpnServeArgs([...tls, '--reneg-sec', '30', '--reneg-bytes', '1000000', '--reneg-pkts', '500', '--tran-window', '5', '--tls-crypt-v2', 'srv.key', '--max-handshakes-per-source', '2', '--max-sessions', '10', '--max-reset-replies', '50']);
    expect(o).toMatchObject({ hardening: { renegotiation: { seconds: 30, bytes: 1_000_000, packets: 500, transitionWindowS: 5 }, limits: { handshakesPerSource: 2, sessions: 10, resetRepliesPerSecond: 50 }, tlsCryptV2File: 'srv.key' } });
    expect(() => parseVpnServeArgs(['--reneg-sec', '30'])).toThrow(expect.objectContaining({ code: 'E_SERVE_USAGE', message: expect.stringMatching(/add --tls/) }));
    expect(() => parseVpnServeArgs([...tls, '--tls-crypt', 'k', '--tls-crypt-v2', 'v'])).toThrow(/exclude each other/);
    expect(() => parseVpnServeArgs([...tls, '--max-sessions', '0'])).toThrow(/1-1000000/);
  });

  it('--crypto node|native in both modes (issue 15); anything else is a usage error', () => {
    expect(parseVpnServeArgs(['--crypto', 'native'])).toMatchObject({ crypto: 'native', tls: null });
    expect(parseVpnServeArgs(['--tls', '--ca', 'a', '--cert', 'b', '--key', 'c', '--crypto', 'node'])).toMatchObject({ crypto: 'node' });
    expect(() => parseVpnServeArgs(['--crypto', 'none'])).toThrow(expect.objectContaining({ code: 'E_SERVE_USAGE', message: '--crypto none: use node or native' }));
  });

  it('the backend is said loudly; native without the addon is an error naming the build command, never node:crypto', () => {
    const missing = loadNativeAeadAddon('/nonexistent/buflab-aead.node');
    expect(() => chooseServeCrypto('native', missing)).toThrow(expect.objectContaining({ code: 'E_SERVE_CRYPTO', message: expect.stringContaining(NATIVE_AEAD_BUILD_COMMAND) }));
    // The default falls back to node only with a banner that says so and how to build the addon.
    const fallback = chooseServeCrypto(null, missing);
    expect(fallback.name).toBe('node');
    expect(fallback.banner).toMatch(/^crypto: NODE .*NOT available.*bash stack\/crypto\/native\/build\.sh/);
    expect(chooseServeCrypto('node', missing).name).toBe('node');
  });

  it.runIf(nativeAeadBuilt())('with the addon built, the default is native', () => {
    const c = chooseServeCrypto(null);
    expect(c.name).toBe('native');
    expect(c.banner).toMatch(/^crypto: NATIVE \(in-place AEAD addon over OpenSSL 3\./);
  });

  it.runIf(nativeAeadBuilt())('npm run serve -- vpn --crypto native (static-key mode): the banner names the backend and the endpoint runs on it', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'harness/cli/serve.ts', 'vpn', '--crypto', 'native', '--port', '0', '--ping-ms', '0', '--seconds', '1'], {
      cwd: new URL('../../..', import.meta.url).pathname,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out).toMatch(/^crypto: NATIVE \(in-place AEAD addon over OpenSSL .*asked for with --crypto native\)$/m);
    expect(out).toMatch(/^vpn: aes-256-cbc-hmac data channel on 127\.0\.0\.1:\d+ \(strategy pooled, crypto native\)/m);
  });

  it('--tcp-send-buffer N in TLS mode only, within its bounds', () => {
    const tls = ['--tls', '--ca', 'a', '--cert', 'b', '--key', 'c'];
    expect(parseVpnServeArgs(tls)).toMatchObject({ tcpSendBufferBytes: null });
    expect(parseVpnServeArgs([...tls, '--tcp-send-buffer', '262144'])).toMatchObject({ tcpSendBufferBytes: 262144 });
    expect(() => parseVpnServeArgs([...tls, '--tcp-send-buffer', '100'])).toThrow(expect.objectContaining({ code: 'E_SERVE_USAGE', message: expect.stringContaining('--tcp-send-buffer') }));
    expect(() => parseVpnServeArgs(['--tcp-send-buffer', '65536'])).toThrow(/add --tls/);
  });

  it('--udp native|dgram in TLS mode only; native without the addon is an error naming the build command, never dgram', () => {
    const tls = ['--tls', '--ca', 'a', '--cert', 'b', '--key', 'c'];
    expect(parseVpnServeArgs([...tls, '--udp', 'dgram'])).toMatchObject({ udp: 'dgram' });
    expect(() => parseVpnServeArgs([...tls, '--udp', 'raw'])).toThrow(expect.objectContaining({ code: 'E_SERVE_USAGE', message: '--udp raw: use native or dgram' }));
    expect(() => parseVpnServeArgs(['--udp', 'native'])).toThrow(/add --tls/);
    const missing = loadNativeAeadAddon('/nonexistent/buflab-aead.node');
    expect(() => chooseServeUdp('native', missing)).toThrow(expect.objectContaining({ code: 'E_SERVE_UDP', message: expect.stringContaining(NATIVE_AEAD_BUILD_COMMAND) }));
    const fallback = chooseServeUdp(null, missing);
    expect([fallback.name, fallback.addon]).toEqual(['dgram', null]);
    expect(fallback.banner).toMatch(/^udp: DGRAM .*NOT available.*bash stack\/crypto\/native\/build\.sh/);
  });

  for (const path of ['native', 'dgram'] as const) {
    it.runIf(path === 'dgram' || nativeAeadBuilt())(`DatagramSender (${path}): a range of a strategy's buffer arrives as one datagram, byte for byte; the buffer is free on return`, async () => {
      const strategy = makeStrategy('one-big-struct');
      const choice = chooseServeUdp(path);
      expect(choice.name).toBe(path);
      const tx = createSocket({ type: 'udp4', lookup: numericLookup });
      const rx = createSocket('udp4');
      try {
        await bindLoopbackUdp(tx, 0);
        await bindLoopbackUdp(rx, 0);
        const sender = new DatagramSender(tx, strategy, choice);
        sender.bound();
        const got: Buffer[] = [];
        const arrived = new Promise<void>((resolve) => rx.on('message', (m) => got.push(m) === 2 && resolve()));
        const big = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff);
        sender.send(big, 1001, 2401, '127.0.0.1', rx.address().port);
        big.fill(0, 1001, 2401); // the sender is done with the range on return (native read it, dgram copied it)
        sender.sendOwned(Uint8Array.of(1, 2, 3), '127.0.0.1', rx.address().port);
        await arrived;
        const want = Uint8Array.from({ length: 1400 }, (_, i) => ((i + 1001) * 7) & 0xff);
        expect([...got[0]!].every((b, i) => b === want[i]) && got[0]!.length === 1400).toBe(true);
        expect([...got[1]!]).toEqual([1, 2, 3]);
        expect(sender.counters).toEqual({ queuedToDgram: 0, sendErrors: 0 });
        // Only dgram's copy is a foreign Buffer (sendOwned hands dgram the array itself).
        expect(strategy.counters.foreignAllocations).toBe(path === 'dgram' ? 1 : 0);
      } finally {
        tx.close();
        rx.close();
      }
    });
  }

  it.runIf(nativeAeadBuilt())('DatagramDrain: reads the datagrams already waiting, with their sender, then says none is left', async () => {
    const a = createSocket({ type: 'udp4', lookup: numericLookup });
    const b = createSocket({ type: 'udp4', lookup: numericLookup });
    try {
      await bindLoopbackUdp(a, 0);
      await bindLoopbackUdp(b, 0);
      const sender = new DatagramSender(a, makeStrategy('pooled'), chooseServeUdp('native'));
      sender.bound();
      const drain = new DatagramDrain(sender, chooseServeUdp('native').addon!);
      // numericLookup makes b's sends synchronous: the three are in a's queue before node reads them.
      for (const n of [1, 1400, 3]) b.send(Uint8Array.from({ length: n }, (_, i) => (n + i) & 0xff), a.address().port, '127.0.0.1');
      for (const n of [1, 1400, 3]) {
        expect(drain.next()).toBe(n);
        expect([...drain.area.subarray(0, n)]).toEqual(Array.from({ length: n }, (_, i) => (n + i) & 0xff));
        expect([drain.fromIp, drain.fromPort]).toEqual([0x7f00_0001, b.address().port]);
      }
      expect(drain.next()).toBe(-1);
      expect(drain.counters).toEqual({ drained: 3, drainErrors: 0 });
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses bad flags with a code and the usage', () => {
    expect(() => parseVpnServeArgs(['--cipher', 'des'])).toThrow(VpnServeUsageError);
    expect(() => parseVpnServeArgs(['--port', '70000'])).toThrow(/0-65535/);
    expect(() => parseVpnServeArgs(['--bogus'])).toThrow(/unknown flag --bogus/);
    expect(() => parseVpnServeArgs(['--secret'])).toThrow(/needs a value/);
  });
});

describe('VpnUdpEndpoint pair on 127.0.0.1', () => {
  for (const cipher of ['aes-256-gcm', 'aes-256-cbc-hmac'] as const) {
    it(`${cipher}: each side decrypts the other's pings`, async () => {
      const key = testStaticKey();
      const a = new VpnUdpEndpoint({ key, direction: 0, cipher, strategy: makeStrategy('one-big-struct'), port: 0, pingIntervalMs: 0 });
      const pa = await a.start();
      const b = new VpnUdpEndpoint({ key, direction: 1, cipher, strategy: makeStrategy('uint8array'), port: 0, remotePort: pa, pingIntervalMs: 0 });
      const pb = await b.start();
      try {
        b.sendPing();
        for (let i = 0; i < 100 && a.counters.pingsReceived < 1; i++) await new Promise((r) => setTimeout(r, 10));
        // a learnt b's port from b's authenticated ping; now it can answer.
        a.sendPing();
        a.sendPing();
        for (let i = 0; i < 100 && b.counters.pingsReceived < 2; i++) await new Promise((r) => setTimeout(r, 10));
        expect(a.counters.pingsReceived).toBe(1);
        expect(b.counters.pingsReceived).toBe(2);
        expect(b.counters.datagramsIn).toBe(2);
        expect(pb).toBeGreaterThan(0);
      } finally {
        await a.close();
        await b.close();
      }
    });
  }
});
