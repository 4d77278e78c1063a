/**
 * `serve vpn`'s endpoint under a flood (issue 16): garbage datagrams of every length and replays of
 * real authenticated packets, from another source port, over real loopback UDP. Every datagram the
 * endpoint received is counted — opened, or dropped under a named reason — the replays all land in
 * `replay`, the flood does not move the learnt peer, and no buffer is allocated per bad packet
 * (the strategy's allocation counter does not move; node's own Buffer per datagram is counted apart
 * as foreign). The flood is paced in bursts that wait for the endpoint, so the kernel drops nothing
 * and the counts are exact.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { VpnUdpEndpoint, type VpnEndpointCounters } from '../../../workloads/vpn/udp-endpoint.js';
import { testStaticKey } from '../../stack/openvpn/helpers.js';
import { waitFor } from '../../wait-for.js';

const DROP_REASONS = ['tooShort', 'badOpcode', 'badKeyId', 'badPeerId', 'badTag', 'badHmac', 'badLength', 'badPadding', 'replay'] as const;
const dropped = (c: VpnEndpointCounters): number => DROP_REASONS.reduce((n, k) => n + c[k], 0);

describe('serve vpn: a flood of garbage and replayed packets', () => {
  for (const [cipher, strategy] of [
    ['aes-256-cbc-hmac', 'one-big-struct'],
    ['aes-256-gcm', 'pooled'],
  ] as const) {
    it(`${cipher} under ${strategy}: every datagram counted, replays in 'replay', no allocation per bad packet`, async () => {
      const key = testStaticKey();
      const captured: Uint8Array[] = [];
      const server = new VpnUdpEndpoint({ key, direction: 0, cipher, strategy: makeStrategy(strategy), port: 0, pingIntervalMs: 0 });
      const serverPort = await server.start();
      const peer = new VpnUdpEndpoint({ key, direction: 1, cipher, strategy: makeStrategy('uint8array'), port: 0, remotePort: serverPort, pingIntervalMs: 0, onSent: (w) => captured.push(Uint8Array.from(w)) });
      await peer.start();
      const attacker = createSocket('udp4');
      await new Promise<void>((r) => attacker.bind(0, '127.0.0.1', () => r()));
      try {
        // Warm-up: real pings, so the server learns the peer and its buffers exist.
        for (let i = 0; i < 20; i++) peer.sendPing();
        expect(await waitFor(() => server.counters.pingsReceived === 20, 5_000)).toBe(true);
        const strategyCounters = (): { allocations: number; foreign: number } => {
          const c = (server as unknown as { strategy: ReturnType<typeof makeStrategy> }).strategy.counters;
          return { allocations: c.allocations, foreign: c.foreignAllocations };
        };
        const GARBAGE = 5_000;
        const REPLAYS = 5_000;
        // Small bursts: the server's socket receive buffer (212 KiB by default, ~2 KiB of it per
        // small datagram) must not overflow, or the kernel would drop what we want to count.
        const BURST = 50;
        const send = (d: Uint8Array): Promise<void> => new Promise((r) => attacker.send(d, serverPort, '127.0.0.1', () => r()));
        /** One flood: garbage of every length 0..1499 interleaved with replays of the captured pings. */
        const flood = async (): Promise<number> => {
          const in0 = server.counters.datagramsIn;
          let sent = 0;
          for (let i = 0; i < GARBAGE + REPLAYS; i++) {
            await send(i % 2 === 0 ? randomBytes(i % 1500) : captured[i % captured.length]!);
            sent++;
            if (sent % BURST === 0 && !(await waitFor(() => server.counters.datagramsIn - in0 === sent, 5_000, 1))) {
              throw new Error(`after ${sent} sent the endpoint has seen ${server.counters.datagramsIn - in0}: the kernel dropped some (receive buffer)`);
            }
          }
          return sent;
        };
        // The first flood brings a pool's size classes for every length into being; the second is measured.
        await flood();
        const before = { ...server.counters, ...strategyCounters() };
        const sent = await flood();
        const after = { ...server.counters, ...strategyCounters() };
        // Everything that came in is accounted for: nothing opened, every datagram under a reason.
        expect(after.datagramsIn - before.datagramsIn).toBe(sent);
        expect(after.opened - before.opened).toBe(0);
        expect(dropped(after) - dropped(before)).toBe(sent);
        expect(after.replay - before.replay).toBeGreaterThanOrEqual(REPLAYS);
        expect(after.pingsReceived).toBe(20);
        // No strategy allocation per bad packet. Foreign (counted apart): node's Buffer per datagram,
        // and node:crypto's output Buffers where a packet got as far as an HMAC check.
        expect(after.allocations - before.allocations).toBe(0);
        expect(after.foreign - before.foreign).toBeGreaterThanOrEqual(sent);
        // The peer is still the peer: its next ping is answered there, not at the attacker.
        peer.sendPing();
        expect(await waitFor(() => server.counters.pingsReceived === 21, 5_000)).toBe(true);
        server.sendPing();
        expect(await waitFor(() => peer.counters.pingsReceived === 1, 5_000)).toBe(true);
      } finally {
        attacker.close();
        await peer.close();
        await server.close();
      }
    });
  }
});
