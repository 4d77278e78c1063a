/**
 * The control-channel half of `npm run fuzz -- vpn --target control`: mutated and random datagrams
 * (from templates of a client reset, P_CONTROL_V1 with TLS-looking bytes, and P_ACK_V1) go to
 * `decodeControlPacket`, and every one that decodes goes on to a live `OpenVpnServerSession` (a
 * fresh one every `SESSION_EVERY` packets, so the reliability layer, the TLS server and the key
 * method parser all see junk). Key method 2 messages are fuzzed on their own too, and every
 * datagram (and a --tls-crypt wrapping of its template, mutated alike) goes through
 * `TlsCrypt.unwrap`, which must refuse all but the unmutated wrappings; every datagram also goes
 * through the stateless handshake's cookie check (`SessionCookies.completesHandshake`, which must
 * refuse all of them: none carries our cookie) and tls-crypt-v2's `splitWkc` / `unwrapClientKey`
 * (with a wrapped client key appended, mutated alike: only the intact one unwraps). The laws:
 * nothing throws; a decoded payload lies inside the datagram; every datagram the session writes
 * decodes as a control packet of our session; `decodeClientKeyMethod2` never claims more bytes
 * than it was given.
 */
import { X509Certificate } from 'node:crypto';
import { makeStrategy } from '../../allocators/registry.js';
import { controlPacketBytes, decodeControlPacket, encodeControlPacketInto, sameSessionId } from '../../stack/openvpn/control-packet.js';
import { decodeClientKeyMethod2 } from '../../stack/openvpn/key-method.js';
import { OpenVpnServerSession } from '../../stack/openvpn/server-session.js';
import { staticKeyFromBytes } from '../../stack/openvpn/static-key.js';
import { TlsCrypt } from '../../stack/openvpn/tls-crypt.js';
import { SessionCookies } from '../../stack/openvpn/session-cookie.js';
import { splitWkc, unwrapClientKey, wrapClientKey } from '../../stack/openvpn/tls-crypt-v2.js';
import { P_ACK_V1, P_CONTROL_HARD_RESET_CLIENT_V2, P_CONTROL_V1 } from '../../stack/openvpn/wire.js';
import { loadServerCredentials } from '../../stack/tls/certificates.js';
import { TEST_CA_PEM, TEST_SERVER_PEM } from '../tls-proxy/test-pki.js';

/** A new session after this many packets: a session that closed on junk ignores the rest. */
const SESSION_EVERY = 500;

export interface ControlFuzzResult {
  packets: number;
  decoded: number;
  sessions: number;
  violations: string[];
}

/** `rand()` in [0, 1): the caller's seeded generator. */
export function runControlFuzz(count: number, rand: () => number, strategyName: string): ControlFuzzResult {
  const result: ControlFuzzResult = { packets: 0, decoded: 0, sessions: 0, violations: [] };
  const violate = (m: string): void => {
    if (result.violations.length < 10) result.violations.push(m);
  };
  const byte = (): number => Math.floor(rand() * 256);
  const credentials = loadServerCredentials(TEST_SERVER_PEM.ec.cert, TEST_SERVER_PEM.ec.key);
  const clientCa = [new X509Certificate(TEST_CA_PEM)];
  const strategy = makeStrategy(strategyName);
  const clientSid = Uint8Array.from({ length: 8 }, byte);
  const template = (opcode: number, acks: number[], packetId: number, payloadBytes: number, remote: Uint8Array): Uint8Array => {
    const payload = Uint8Array.from({ length: payloadBytes }, byte);
    // TLS-looking payloads: a handshake record header in front of random bytes.
    if (payloadBytes >= 5) payload.set([22, 3, 1, (payloadBytes - 5) >> 8, (payloadBytes - 5) & 0xff]);
    const out = new Uint8Array(controlPacketBytes(opcode, acks.length, payloadBytes));
    encodeControlPacketInto({ opcode, keyId: 0, sessionId: clientSid, acks, remoteSessionId: remote, packetId, payload }, out, 0);
    return out;
  };
  const tlsCryptKey = staticKeyFromBytes(Uint8Array.from({ length: 256 }, byte));
  const clientWrap = new TlsCrypt(tlsCryptKey, 'client');
  const serverUnwrap = new TlsCrypt(tlsCryptKey, 'server');
  const cookies = new SessionCookies();
  const v2Server = { encryption: Uint8Array.from({ length: 32 }, byte), authentication: Uint8Array.from({ length: 32 }, byte) };
  const wkc = wrapClientKey(v2Server, tlsCryptKey, Uint8Array.from([1, 0, 0, 0, 0, 0x65, 0, 0, 0]));
  let session: OpenVpnServerSession | null = null;
  let wantNewSession = false;
  let now = 0;
  const scratch = new Uint8Array(2048);
  for (let n = 0; n < count; n++) {
    now += 10;
    const remote = session?.sessionId ?? new Uint8Array(8);
    const k = rand();
    const base =
      k < 0.1 ? template(P_CONTROL_HARD_RESET_CLIENT_V2, [], 0, 0, remote)
      : k < 0.2 ? template(P_ACK_V1, [Math.floor(rand() * 4)], 0, 0, remote)
      : template(P_CONTROL_V1, rand() < 0.5 ? [Math.floor(rand() * 4)] : [], 1 + Math.floor(rand() * 6), Math.floor(rand() * 300), remote);
    let len = base.length;
    scratch.set(base);
    const kind = Math.floor(rand() * 4);
    if (kind === 0) {
      len = Math.floor(rand() * 120);
      for (let i = 0; i < len; i++) scratch[i] = byte();
    } else if (kind === 1) len = Math.floor(rand() * len);
    else if (kind === 2) for (let i = 0, f = 1 + Math.floor(rand() * 4); i < f && len > 0; i++) scratch[Math.floor(rand() * len)]! ^= 1 << Math.floor(rand() * 8);
    const wire = scratch.slice(0, len);
    result.packets++;
    try {
      const wrapped = clientWrap.wrap(base, n, 1);
      const mutated = kind === 3 ? wrapped : wrapped.slice(0, Math.floor(rand() * wrapped.length));
      if (kind !== 3 && mutated.length > 0) mutated[Math.floor(rand() * mutated.length)]! ^= 1 + Math.floor(rand() * 255);
      const u = serverUnwrap.unwrap(mutated);
      if (u.ok !== (kind === 3)) violate(`tls-crypt unwrap ${u.ok ? 'accepted a mutated' : 'refused an intact'} packet`);
      serverUnwrap.unwrap(wire);
      const withKey = new Uint8Array(mutated.length + wkc.length);
      withKey.set(mutated);
      withKey.set(wkc, mutated.length);
      const intact = rand() < 0.5;
      if (!intact) withKey[mutated.length + Math.floor(rand() * wkc.length)]! ^= 1 + Math.floor(rand() * 255);
      const sp = splitWkc(intact ? withKey : withKey.subarray(0, Math.floor(rand() * withKey.length)));
      if (sp.ok) {
        const u = unwrapClientKey(v2Server, sp.wkc);
        if (u.ok && !intact) violate('tls-crypt-v2 unwrapped a mutated client key');
      } else if (intact && mutated.length > 0) violate('splitWkc refused an intact datagram');
      splitWkc(wire);
    } catch (err) {
      violate(`tls-crypt threw ${(err as Error).message}`);
    }
    try {
      const d = decodeControlPacket(wire, 0, len);
      if (!d.ok) continue;
      result.decoded++;
      if (cookies.completesHandshake(d.value, '127.0.0.1', 1194, now / 1000)) violate('a datagram without our cookie completed the three-way handshake');
      if (d.value.payloadStart > d.value.payloadEnd || d.value.payloadEnd > len) violate(`payload [${d.value.payloadStart}, ${d.value.payloadEnd}) outside a ${len}-byte datagram`);
      if (n % SESSION_EVERY === 0) wantNewSession = true;
      if (session === null || (wantNewSession && d.value.opcode === P_CONTROL_HARD_RESET_CLIENT_V2)) {
        if (d.value.opcode !== P_CONTROL_HARD_RESET_CLIENT_V2) continue;
        wantNewSession = false;
        result.sessions++;
        const ours: { s: OpenVpnServerSession | null } = { s: null };
        session = new OpenVpnServerSession(
          {
            credentials,
            clientCa,
            strategy,
            dataCiphers: ['aes-256-gcm'],
            push: { gatewayIp: '10.8.0.1', clientIp: '10.8.0.2', netmask: '255.255.255.0', peerId: 0, pingS: 10, pingRestartS: 60 },
            output: (p) => {
              const o = decodeControlPacket(p, 0, p.length);
              if (!o.ok || (ours.s !== null && !sameSessionId(o.value.sessionId, ours.s.sessionId))) violate(`session wrote a datagram that does not decode as ours: ${Buffer.from(p).toString('hex')}`);
            },
            onEstablished: () => violate('junk established a data channel'),
          },
          d.value,
          wire,
          now,
        );
        ours.s = session;
        continue;
      }
      session.input(d.value, wire, now);
      session.tick(now);
    } catch (err) {
      violate(`threw ${(err as Error).message} on ${Buffer.from(wire).toString('hex')}`);
    }
  }
  // Key method 2 parser on its own: random and truncated messages.
  for (let n = 0; n < Math.min(count, 100_000); n++) {
    const len = Math.floor(rand() * 400);
    for (let i = 0; i < len; i++) scratch[i] = rand() < 0.3 ? 0 : byte();
    if (rand() < 0.5) scratch[4] = 2;
    try {
      const d = decodeClientKeyMethod2(scratch, 0, len);
      if (d.ok && d.bytes > len) violate(`key method 2 claimed ${d.bytes} of ${len} bytes`);
    } catch (err) {
      violate(`key method 2 threw ${(err as Error).message}`);
    }
  }
  return result;
}
