import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AEAD_ALGORITHMS } from '../../../stack/crypto/crypto-backend.js';
import { VpnTlsServer } from '../../../workloads/vpn/tls-server.js';
import { makeTestPki, type TestPki } from '../../stack/tls/test-pki.js';
import { halfOpenSessions } from './control-client.js';

/**
 * Regression (found through the real client, 2026-12-02: a bench run's 13th client session crashed
 * the one-big-struct server with E_ARENA_FULL): every client session's control channel holds TLS
 * record buffers for its whole life. They came from one small strategy instance shared by all
 * sessions, whose FIFO arena the oldest live session pinned. Now each session has its own instance,
 * and a strategy out of room costs a datagram (counted), never the server.
 */
describe('vpn TLS server: control-channel buffers of many sessions', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki.cleanup());

  it('48 half-open sessions (12 addresses × 4) under one-big-struct: all started, nothing dropped for want of a buffer', async () => {
    const server = new VpnTlsServer({ caPem: pki.caPem, certPem: pki.server.ec.certPem, keyPem: pki.server.ec.keyPem, strategy: 'one-big-struct', dataCiphers: [...AEAD_ALGORITHMS], port: 0, limits: { resetRepliesPerSecond: 1000 } });
    const port = await server.start();
    try {
      let replies = 0;
      for (let a = 2; a < 14; a++) replies += await halfOpenSessions(port, `127.0.0.${a}`, 4);
      expect(replies).toBe(48);
      expect({ started: server.counters.sessionsStarted, noBuffer: server.counters.droppedNoBuffer }).toEqual({ started: 48, noBuffer: 0 });
    } finally {
      await server.close();
    }
  }, 30_000);
});
