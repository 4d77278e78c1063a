/**
 * Interop with the real OpenVPN 2.6 (`--dev null --secret KEY`, static-key mode): our endpoint and
 * openvpn exchange keepalive pings for longer than openvpn's `--ping-restart`, so openvpn only stays
 * up if it authenticates and decrypts ours; we count the pings we decrypt. Then each side gets one
 * tampered and one replayed packet and must drop and count both (openvpn logs them at --verb 4).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { parseStaticKey } from '../../../stack/openvpn/static-key.js';
import { VpnUdpEndpoint } from '../../../workloads/vpn/udp-endpoint.js';
import { peer } from '../../peers.js';
import { nativeAeadBuilt } from '../../stack/crypto/native-available.js';
import { waitFor } from '../../wait-for.js';

const HAS_OPENVPN = peer('openvpn');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function countLines(log: string, needle: string): number {
  return log.split('\n').filter((l) => l.includes(needle)).length;
}

describe.runIf(HAS_OPENVPN)('real openvpn 2.6 --secret (AES-256-CBC + HMAC-SHA256)', () => {
  // [our key direction, openvpn's --secret direction argument, our crypto backend]
  it.each([
    ['bidirectional', null, 'node'],
    [0, '1', 'node'],
    [0, '1', 'native'],
  ] as const)('key direction ours=%s openvpn=%s, crypto %s: both directions authenticate and decrypt; tampered and replayed packets are dropped and counted on both sides', async (ourDirection, theirDirection, crypto) => {
    if (crypto === 'native' && !nativeAeadBuilt()) return; // warned (and a failure under CI=true)
    const dir = mkdtempSync(join(tmpdir(), 'buflab-ovpn-'));
    const keyFile = join(dir, 'static.key');
    const logFile = join(dir, 'openvpn.log');
    execFileSync('openvpn', ['--genkey', 'secret', keyFile]);
    const key = parseStaticKey(readFileSync(keyFile, 'utf8'));
    const ovpnPort = await freePort();
    const sent: Uint8Array[] = [];
    const received: Uint8Array[] = [];
    const ep = new VpnUdpEndpoint({
      key,
      direction: ourDirection,
      cipher: 'aes-256-cbc-hmac',
      crypto,
      strategy: makeStrategy('pooled'),
      port: 0,
      remotePort: ovpnPort,
      pingIntervalMs: 500,
      onSent: (w) => sent.push(Uint8Array.from(w)),
      onReceived: (w) => received.push(Uint8Array.from(w)),
    });
    const ourPort = await ep.start();
    let child: ChildProcess | undefined;
    try {
      child = spawn(
        'openvpn',
        [
          '--dev', 'null', '--secret', keyFile, ...(theirDirection === null ? [] : [theirDirection]), '--cipher', 'AES-256-CBC', '--auth', 'SHA256',
          '--ping', '1', '--ping-restart', '4', '--proto', 'udp',
          '--local', '127.0.0.1', '--remote', '127.0.0.1', '--lport', String(ovpnPort), '--rport', String(ourPort),
          '--verb', '4', '--log', logFile,
        ],
        { stdio: 'ignore' },
      );
      // Longer than --ping-restart 4: openvpn restarts unless it accepts our pings.
      await sleep(6_500);
      const before = ep.counters;
      expect(before.pingsReceived).toBeGreaterThanOrEqual(4);
      expect(before.badHmac + before.replay + before.tooShort + before.badPadding + before.badLength).toBe(0);

      // Towards openvpn: one tampered packet and one replay of a packet it already accepted.
      const tampered = Uint8Array.from(sent[sent.length - 1]!);
      tampered[tampered.length - 5]! ^= 0x20;
      ep.sendRaw(tampered);
      ep.sendRaw(sent[2]!);
      // Towards us: the same with openvpn's packets.
      const theirs = Uint8Array.from(received[received.length - 1]!);
      theirs[40]! ^= 0x01;
      expect(ep.inject(theirs)).toBe(3);
      expect(ep.inject(received[1]!)).toBe(3);
      // openvpn pings every second: wait (bounded) for one more, rather than exactly one second.
      await sleep(1_000);
      await waitFor(() => ep.counters.pingsReceived > before.pingsReceived, 5_000);
      const after = ep.counters;
      expect(after.badHmac).toBe(1);
      expect(after.replay).toBe(1);
      expect(after.pingsReceived).toBeGreaterThan(before.pingsReceived);
    } finally {
      child?.kill('SIGTERM');
      if (child && child.exitCode === null) await new Promise((r) => child!.once('exit', r));
      await ep.close();
    }
    const log = readFileSync(logFile, 'utf8');
    if (process.env.BUFLAB_KEEP_OVPN_LOG === undefined) rmSync(dir, { recursive: true, force: true });
    else console.log(logFile);
    expect(log).toContain('Initialization Sequence Completed');
    expect(log).not.toContain('Inactivity timeout');
    // openvpn logs both kinds under "Authenticate/Decrypt packet error: <reason>": exactly our two.
    expect(countLines(log, 'Authenticate/Decrypt packet error')).toBe(2);
    expect(countLines(log, 'packet HMAC authentication failed')).toBe(1);
    expect(countLines(log, 'bad packet ID (may be a replay)')).toBe(1);
  }, 30_000);
});
