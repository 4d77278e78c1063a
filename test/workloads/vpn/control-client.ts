/**
 * A minimal OpenVPN control-channel client for tests: sockets, control packets and the three-way
 * handshake of a client that then says nothing (used in-process and by ./udp-tamper-relay.ts).
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { controlPacketBytes, decodeControlPacket, encodeControlPacketInto } from '../../../stack/openvpn/control-packet.js';
import { P_ACK_V1, P_CONTROL_HARD_RESET_CLIENT_V2 } from '../../../stack/openvpn/wire.js';

export const HOST = '127.0.0.1';

export function bound(address = HOST): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((r) => s.bind(0, address, () => r(s)));
}

export function controlPacket(opcode: number, sessionId: Uint8Array, acks: number[], remote: Uint8Array, packetId: number): Uint8Array {
  const out = new Uint8Array(controlPacketBytes(opcode, acks.length, 0));
  encodeControlPacketInto({ opcode, keyId: 0, sessionId, acks, remoteSessionId: remote, packetId, payload: new Uint8Array(0) }, out, 0);
  return out;
}

/** Sends `d` from `s` to the server and resolves with the first answer within 1 s (null: none). */
export function ask(s: Socket, d: Uint8Array, port: number): Promise<Uint8Array | null> {
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

/**
 * `count` clients from `address` (one port each) that complete the three-way handshake (reset, the
 * server's cookie reset, a P_ACK_V1 with the cookie) and then say nothing; resolves with how many
 * got the cookie reset.
 */
export async function halfOpenSessions(serverPort: number, address: string, count: number): Promise<number> {
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
  return replies;
}
