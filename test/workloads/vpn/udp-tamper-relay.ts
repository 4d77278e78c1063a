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
import { createSocket, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { controlPacketBytes, decodeControlPacket, encodeControlPacketInto } from '../../../stack/openvpn/control-packet.js';
import { P_ACK_V1, P_CONTROL_HARD_RESET_CLIENT_V2, P_DATA_V2, getOpcode } from '../../../stack/openvpn/wire.js';

const HOST = '127.0.0.1';

function bound(address = HOST): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((r) => s.bind(0, address, () => r(s)));
}

function controlPacket(opcode: number, sessionId: Uint8Array, acks: number[], remote: Uint8Array, packetId: number): Uint8Array {
  const out = new Uint8Array(controlPacketBytes(opcode, acks.length, 0));
  encodeControlPacketInto({ opcode, keyId: 0, sessionId, acks, remoteSessionId: remote, packetId, payload: new Uint8Array(0) }, out, 0);
  return out;
}

/** Sends `d` from `s` to the server and resolves with the first answer within 1 s (null: none). */
function ask(s: Socket, d: Uint8Array, port: number): Promise<Uint8Array | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      s.off('message', on);
      resolve(null);
    }, 1000);
    const on = (m: Buffer): void => {
      clearTimeout(t);
      s.off('message', on);
      resolve(m);
    };
    s.on('message', on);
    s.send(d, port, HOST);
  });
}

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
  let replies = 0;
  for (let i = 0; i < count; i++) {
    const s = await bound(address);
    const sid = randomBytes(8);
    const answer = await ask(s, controlPacket(P_CONTROL_HARD_RESET_CLIENT_V2, sid, [], new Uint8Array(8), 0), serverPort);
    const d = answer === null ? null : decodeControlPacket(answer, 0, answer.length);
    if (d?.ok === true) {
      replies++;
      s.send(controlPacket(P_ACK_V1, sid, [0], d.value.sessionId, 0), serverPort, HOST);
    }
    await new Promise((r) => setTimeout(r, 50));
    s.close();
  }
  console.log(`ok half-open replies ${replies}`);
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'relay') await relay(Number(a), Number(b));
else if (mode === 'half-open') await halfOpen(Number(a), b!, Number(c));
else throw new Error(`usage: udp-tamper-relay.ts relay LISTEN SERVER | half-open SERVER ADDRESS COUNT (got ${mode})`);
