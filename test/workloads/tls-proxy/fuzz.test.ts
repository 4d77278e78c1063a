import { describe, expect, it } from 'vitest';
import { decodeClientHello } from '../../../stack/tls/handshake.js';
import { runTlsFuzz } from '../../../workloads/tls-proxy/fuzz.js';

describe('npm run fuzz -- tls', () => {
  it('holds its laws on 10,000 decoder inputs and 200 endpoint runs', () => {
    const r = runTlsFuzz({ count: 10_000, seed: 3 });
    expect(r.failures).toEqual([]);
    expect(r.decoderInputs).toBe(10_000);
    expect(r.endpointRuns).toBe(200);
    // the unmutated samples decode, and mutations are mostly refused with an alert
    expect(r.decodedOk).toBeGreaterThanOrEqual(7);
    expect(Object.values(r.alertsSent).reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
  });

  it('regression (found by the fuzzer): a cipher_suites vector longer than the message ends, not loops', () => {
    // legacy_version, random, empty session id, then cipher_suites claiming 0x0100 bytes
    const body = Uint8Array.from([3, 3, ...new Array(32).fill(0), 0, 0x01, 0x00, 0x13, 0x01]);
    const d = decodeClientHello(body, 0, body.length);
    expect(d.ok ? 'ok' : d.alert).toBe(50);
  });
});
