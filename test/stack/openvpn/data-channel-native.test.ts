/**
 * The OpenVPN data channel on the `native` crypto backend (issue 15): the same P_DATA_V2 known
 * answers as the node backend (expected bytes from node:crypto and the documented construction),
 * tampered packets dropped and counted as bad tags, static-key packets exchanged with a node-backend
 * peer both ways, and round trips under every strategy including poisoning (which scribbles over
 * released buffers, so an in-place cipher that kept a pointer past release would show).
 */
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { AEAD_ALGORITHMS, AEAD_KEY_BYTES, type AeadAlgorithm } from '../../../stack/crypto/crypto-backend.js';
import { NativeCryptoBackend } from '../../../stack/crypto/native-backend.js';
import { NodeCryptoBackend } from '../../../stack/crypto/node-backend.js';
import { AeadDataChannel, OpenResult, StaticKeyDataChannel, aeadKeyFromPair, droppedTotal } from '../../../stack/openvpn/data-channel.js';
import { nativeAeadBuilt } from '../crypto/native-available.js';
import { detBytes, expectedAeadPacket, openBytes, sealBytes, testStaticKey } from './helpers.js';

const STRATEGIES = ['uint8array', 'pooled', 'one-big-struct', 'poisoning'] as const;
const FIXED_CLOCK = (): number => 1_700_000_000;

function nativePair(alg: AeadAlgorithm, st: ReturnType<typeof makeStrategy>, opts: { peerId?: number; keyId?: number } = {}) {
  const key = testStaticKey();
  const a = aeadKeyFromPair(alg, key.keys[0]);
  const b = aeadKeyFromPair(alg, key.keys[1]);
  const backend = new NativeCryptoBackend();
  return {
    key,
    sender: new AeadDataChannel({ backend, strategy: st, algorithm: alg, send: a, receive: b, clock: FIXED_CLOCK, ...opts }),
    receiver: new AeadDataChannel({ backend, strategy: st, algorithm: alg, send: b, receive: a, clock: FIXED_CLOCK, ...opts }),
  };
}

describe.runIf(nativeAeadBuilt())('OpenVPN data channel on the native backend', () => {
  for (const alg of AEAD_ALGORITHMS) {
    it(`${alg}: P_DATA_V2 packets byte for byte as the construction; opens an independently built packet`, () => {
      const st = makeStrategy('pooled');
      const { key, sender, receiver } = nativePair(alg, st, { keyId: 2, peerId: 0x123456 });
      const plain = detBytes('inner', 100);
      const ck = key.keys[0].cipher.subarray(0, AEAD_KEY_BYTES[alg]);
      const iv = key.keys[0].hmac.subarray(0, 8);
      expect(Buffer.from(sealBytes(sender, st, plain)).toString('hex')).toBe(expectedAeadPacket(alg, ck, iv, 2, 0x123456, 1, plain).toString('hex'));
      expect(Buffer.from(sealBytes(sender, st, plain)).toString('hex')).toBe(expectedAeadPacket(alg, ck, iv, 2, 0x123456, 2, plain).toString('hex'));
      const r = openBytes(receiver, st, expectedAeadPacket(alg, ck, iv, 2, 0x123456, 7, plain));
      expect(r.code).toBe(OpenResult.DATA);
      expect(Buffer.from(r.plain!).equals(Buffer.from(plain))).toBe(true);
    });

    it(`${alg}: a flipped bit in peer id, packet id, tag or ciphertext is dropped and counted as a bad tag; a replay as a replay`, () => {
      const st = makeStrategy('one-big-struct');
      const { sender, receiver } = nativePair(alg, st, { keyId: 1 });
      const wire = sealBytes(sender, st, detBytes('tamper', 64));
      for (const at of [2, 5, 10, 30, wire.length - 1]) {
        const bad = Uint8Array.from(wire);
        bad[at]! ^= 0x01;
        expect(openBytes(receiver, st, bad).code).toBe(OpenResult.DROPPED);
      }
      expect(receiver.stats.badTag).toBe(5);
      expect(openBytes(receiver, st, wire).code).toBe(OpenResult.DATA);
      expect(openBytes(receiver, st, wire).code).toBe(OpenResult.DROPPED);
      expect(receiver.stats.replay).toBe(1);
      expect(droppedTotal(receiver.stats)).toBe(6);
    });
  }

  it('static-key mode (AES-256-CBC + HMAC-SHA256): a native endpoint and a node endpoint understand each other both ways', () => {
    const st = makeStrategy('pooled');
    const key = testStaticKey();
    const nativeEnd = new StaticKeyDataChannel({ backend: new NativeCryptoBackend(), strategy: st, key, direction: 0, clock: FIXED_CLOCK });
    const nodeEnd = new StaticKeyDataChannel({ backend: new NodeCryptoBackend(), strategy: st, key, direction: 1, clock: FIXED_CLOCK });
    for (const n of [0, 1, 15, 16, 17, 1400]) {
      const plain = detBytes(`cbc/${n}`, n);
      for (const [tx, rx] of [
        [nativeEnd, nodeEnd],
        [nodeEnd, nativeEnd],
      ] as const) {
        const r = openBytes(rx, st, sealBytes(tx, st, plain));
        expect(r.code).toBe(OpenResult.DATA);
        expect(Buffer.from(r.plain!).equals(Buffer.from(plain))).toBe(true);
      }
    }
    const bad = sealBytes(nativeEnd, st, detBytes('cbc/bad', 40));
    bad[bad.length - 1]! ^= 0x01;
    expect(openBytes(nodeEnd, st, bad).code).toBe(OpenResult.DROPPED);
    expect(nodeEnd.stats.badHmac).toBe(1);
  });

  for (const name of STRATEGIES) {
    it(`round trips under ${name}, every AEAD and static-key mode`, () => {
      const st = makeStrategy(name);
      const key = testStaticKey();
      const backend = new NativeCryptoBackend();
      const channels = [
        ...AEAD_ALGORITHMS.map((alg) => nativePair(alg, st)).map((p) => [p.sender, p.receiver] as const),
        [
          new StaticKeyDataChannel({ backend, strategy: st, key, direction: 0, clock: FIXED_CLOCK }),
          new StaticKeyDataChannel({ backend, strategy: st, key, direction: 1, clock: FIXED_CLOCK }),
        ] as const,
      ];
      for (const [tx, rx] of channels) {
        for (const n of [0, 1, 15, 16, 17, 64, 512, 1400]) {
          const plain = detBytes(`${name}/${n}`, n);
          const r = openBytes(rx, st, sealBytes(tx, st, plain));
          expect(r.code).toBe(OpenResult.DATA);
          expect(Buffer.from(r.plain!).equals(Buffer.from(plain))).toBe(true);
        }
        expect(droppedTotal(rx.stats)).toBe(0);
      }
      expect(st.counters.foreignAllocations).toBe(0);
    });
  }
});
