/**
 * A helper process for test/workloads/vpn/tls-hardening.test.ts, run inside the test's network
 * namespace with `node --import tsx udp-tamper-relay.ts MODE …`:
 *
 * - `relay LISTEN_PORT SERVER_PORT`: forwards the real openvpn client's datagrams to the server and
 *   back, keeping the client's first datagram (its hard reset) and its latest P_DATA_V2 packets.
 *   Commands on stdin, one per line, each answered with one `ok …` line on stdout:
 *   `replay-reset` (the reset again, from another source port), `forge-reset` (a reset with a new
 *   session id from another port; says whether a reply came), `bad-cookie` (a P_ACK_V1 naming a
 *   made-up server session id), and `flip N` / `replay N` / `keyid N` / `short N` (N captured data
 *   packets with a bit flipped in the ciphertext, unchanged, with another key id, or cut to 6 bytes,
 *   all from the relay's own server-side socket — the tunnel's peer address).
 * - `half-open SERVER_PORT BIND_ADDRESS COUNT`: COUNT clients from BIND_ADDRESS (one port each) that
 *   complete the three-way handshake (reset, the server's cookie reset, a P_ACK_V1 with the cookie)
 *   and then say nothing; prints `ok half-open replies R`.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { P_ACK_V1, P_CONTROL_HARD_RESET_CLIENT_V2, P_DATA_V2, getOpcode } from '../../../stack/openvpn/wire.js';
import { ask, bound, controlPacket, halfOpenSessions, HOST } from './control-client.js';

async function relay(listenPort: number, serverPort: number): Promise<void> {
  const front = createSocket('udp4');
  await new Promise<void>((r) => front.bind(listenPort, HOST, () => r()));
  const back = await bound();
  let client: { address: string; port: number } | null = null;
  let reset: Uint8Array | null = null;
  const data: Uint8Array[] = [];
  front.on('message', (m, r) => {
    client = { address: r.address, port: r.port };
    if (reset === null) reset = Uint8Array.from(m);
    if (getOpcode(m, 0) === P_DATA_V2) {
      data.push(Uint8Array.from(m));
      if (data.length > 64) data.shift();
    }
    back.send(m, serverPort, HOST);
  });
  back.on('message', (m) => {
    if (client !== null) front.send(m, client.port, client.address);
  });
  const spoof = await bound();
  const forged = (n: number, change: (d: Uint8Array) => Uint8Array): number => {
    let sent = 0;
    for (let i = 0; i < n && data.length > 0; i++) {
      back.send(change(Uint8Array.from(data[i % data.length]!)), serverPort, HOST);
      sent++;
    }
    return sent;
  };
  console.log(`ok relay ${listenPort} -> ${serverPort}`);
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, arg] = line.trim().split(/\s+/);
    const n = Number(arg ?? '1');
    if (cmd === 'replay-reset') {
      const answer = reset === null ? null : await ask(spoof, reset, serverPort);
      console.log(`ok replay-reset ${reset === null ? 'none' : 'sent'} reply ${answer === null ? 'none' : answer.length}`);
    } else if (cmd === 'forge-reset') {
      const s = await bound();
      const answer = await ask(s, controlPacket(P_CONTROL_HARD_RESET_CLIENT_V2, randomBytes(8), [], new Uint8Array(8), 0), serverPort);
      s.close();
      console.log(`ok forge-reset reply ${answer === null ? 'none' : answer.length}`);
    } else if (cmd === 'bad-cookie') {
      spoof.send(controlPacket(P_ACK_V1, randomBytes(8), [0], randomBytes(8), 0), serverPort, HOST);
      console.log('ok bad-cookie sent');
    } else if (cmd === 'flip') {
      console.log(`ok flip ${forged(n, (d) => ((d[d.length - 1]! ^= 0x01), d))}`);
    } else if (cmd === 'replay') {
      console.log(`ok replay ${forged(n, (d) => d)}`);
    } else if (cmd === 'keyid') {
      console.log(`ok keyid ${forged(n, (d) => ((d[0] = (P_DATA_V2 << 3) | (((d[0]! & 7) + 5) & 7)), d))}`);
    } else if (cmd === 'short') {
      console.log(`ok short ${forged(n, (d) => d.subarray(0, 6))}`);
    } else {
      console.log(`error unknown command ${line}`);
    }
  }
}

async function halfOpen(serverPort: number, address: string, count: number): Promise<void> {
  console.log(`ok half-open replies ${await halfOpenSessions(serverPort, address, count)}`);
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'relay') await relay(Number(a), Number(b));
else if (mode === 'half-open') await halfOpen(Number(a), b!, Number(c));
else throw new Error(`usage: udp-tamper-relay.ts relay LISTEN SERVER | half-open SERVER ADDRESS COUNT (got ${mode})`);
