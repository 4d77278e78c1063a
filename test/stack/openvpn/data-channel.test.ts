/**
 * Known-answer tests of the OpenVPN data-channel formats, with the expected bytes derived in the
 * test from node:crypto and the documented construction (not from the code under test), plus round
 * trips under every strategy (poisoning included) and the drop reasons.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { NodeCryptoBackend } from '../../../stack/crypto/node-backend.js';
import { NullCryptoBackend } from '../../../stack/crypto/null-backend.js';
import { AEAD_ALGORITHMS, AEAD_KEY_BYTES, type AeadAlgorithm } from '../../../stack/crypto/crypto-backend.js';
import {
  AeadDataChannel,
  OpenResult,
  StaticKeyDataChannel,
  aeadKeyFromPair,
  droppedTotal,
} from '../../../stack/openvpn/data-channel.js';
import { PING_MAGIC } from '../../../stack/openvpn/wire.js';
import { detBytes, expectedAeadPacket, openBytes, sealBytes, testStaticKey } from './helpers.js';
import { MAKEABLE_STRATEGY_NAMES } from '../../../allocators/registry.js';

const STRATEGIES = MAKEABLE_STRATEGY_NAMES;
const FIXED_CLOCK = (): number => 1_700_000_000;

function aeadPair(alg: AeadAlgorithm, st: ReturnType<typeof makeStrategy>, opts: { peerId?: number; keyId?: number } = {}) {
  const key = testStaticKey();
  const a = aeadKeyFromPair(alg, key.keys[0]);
  const b = aeadKeyFromPair(alg, key.keys[1]);
  const backend = new NodeCryptoBackend();
  return {
    key,
    sender: new AeadDataChannel({ backend, strategy: st, algorithm: alg, send: a, receive: b, clock: FIXED_CLOCK, ...opts }),
    receiver: new AeadDataChannel({ backend, strategy: st, algorithm: alg, send: b, receive: a, clock: FIXED_CLOCK, ...opts }),
  };
}

describe('P_DATA_V2 AEAD known answers', () => {
  for (const alg of AEAD_ALGORITHMS) {
    it(`${alg}: header, nonce = pid || implicit IV, AAD = header + pid, tag before ciphertext`, () => {
      const st = makeStrategy('pooled');
      const { key, sender, receiver } = aeadPair(alg, st, { keyId: 2, peerId: 0x123456 });
      const plain = detBytes('inner', 100);
      const first = sealBytes(sender, st, plain);
      const second = sealBytes(sender, st, plain);
      const ck = key.keys[0].cipher.subarray(0, AEAD_KEY_BYTES[alg]);
      const iv = key.keys[0].hmac.subarray(0, 8);
      expect(Buffer.from(first).toString('hex')).toBe(expectedAeadPacket(alg, ck, iv, 2, 0x123456, 1, plain).toString('hex'));
      expect(Buffer.from(second).toString('hex')).toBe(expectedAeadPacket(alg, ck, iv, 2, 0x123456, 2, plain).toString('hex'));
      expect(first[0]).toBe(0x4a);
      // The receiver opens an independently built packet too (pid 7).
      const foreign = expectedAeadPacket(alg, ck, iv, 2, 0x123456, 7, plain);
      const r = openBytes(receiver, st, foreign);
      expect(r.code).toBe(OpenResult.DATA);
      expect(Buffer.from(r.plain!).equals(Buffer.from(plain))).toBe(true);
    });
  }

  it.each(AEAD_ALGORITHMS)('%s: rejects, by reason, a flipped bit in every region, a replay, a wrong key id and short packets', (alg) => {
    const st = makeStrategy('pooled');
    const { sender, receiver } = aeadPair(alg, st, { keyId: 1 });
    const plain = detBytes('tamper', 64);
    const wire = sealBytes(sender, st, plain);
    // peer id, packet id, tag, ciphertext: each flip breaks the tag.
    for (const at of [2, 5, 10, 30, wire.length - 1]) {
      const bad = Uint8Array.from(wire);
      bad[at]! ^= 0x01;
      expect(openBytes(receiver, st, bad).code).toBe(OpenResult.DROPPED);
    }
    expect(receiver.stats.badTag).toBe(5);
    const wrongKeyId = Uint8Array.from(wire);
    wrongKeyId[0] = (9 << 3) | 2;
    expect(openBytes(receiver, st, wrongKeyId).code).toBe(OpenResult.DROPPED);
    expect(receiver.stats.badKeyId).toBe(1);
    const wrongOp = Uint8Array.from(wire);
    wrongOp[0] = (6 << 3) | 1;
    expect(openBytes(receiver, st, wrongOp).code).toBe(OpenResult.DROPPED);
    expect(receiver.stats.badOpcode).toBe(1);
    expect(openBytes(receiver, st, wire.subarray(0, 23)).code).toBe(OpenResult.DROPPED);
    expect(receiver.stats.tooShort).toBe(1);
    expect(openBytes(receiver, st, wire).code).toBe(OpenResult.DATA);
    expect(openBytes(receiver, st, wire).code).toBe(OpenResult.DROPPED);
    expect(receiver.stats.replay).toBe(1);
    expect(droppedTotal(receiver.stats)).toBe(9);
    expect(receiver.stats.opened).toBe(1);
  });

  it('recognises the keepalive ping', () => {
    const st = makeStrategy('one-big-struct');
    const { sender, receiver } = aeadPair('chacha20-poly1305', st);
    const frame = { buf: new Uint8Array(0), start: 0, end: 0, handle: -1 };
    st.beginTx(frame, 16, sender.layout);
    expect(sender.sealPing(frame)).toBe(true);
    const wire = Uint8Array.from(frame.buf.subarray(frame.start, frame.end));
    st.releaseTx(frame);
    const r = openBytes(receiver, st, wire);
    expect(r.code).toBe(OpenResult.PING);
    expect(Buffer.from(r.plain!).equals(Buffer.from(PING_MAGIC))).toBe(true);
    expect(receiver.stats.pingsReceived).toBe(1);
  });
});

describe('static-key mode known answers (AES-256-CBC + HMAC-SHA256, long packet id)', () => {
  it('seals HMAC | IV | CBC(pid | time | payload | PKCS#7) and opens an independently built packet', () => {
    const st = makeStrategy('uint8array');
    const key = testStaticKey();
    const backend = new NodeCryptoBackend();
    const a = new StaticKeyDataChannel({ backend, strategy: st, key, direction: 0, clock: FIXED_CLOCK });
    const b = new StaticKeyDataChannel({ backend, strategy: st, key, direction: 1, clock: FIXED_CLOCK });
    const plain = detBytes('static', 61);
    const wire = Buffer.from(sealBytes(a, st, plain));
    // Direction 0 sends with key 0.
    const hmacKey = key.keys[0].hmac.subarray(0, 32);
    const cipherKey = key.keys[0].cipher.subarray(0, 32);
    expect(wire.length).toBe(32 + 16 + 80);
    expect(createHmac('sha256', hmacKey).update(wire.subarray(32)).digest().equals(wire.subarray(0, 32))).toBe(true);
    const d = createDecipheriv('aes-256-cbc', cipherKey, wire.subarray(32, 48));
    const pt = Buffer.concat([d.update(wire.subarray(48)), d.final()]);
    expect(pt.readUInt32BE(0)).toBe(1);
    expect(pt.readUInt32BE(4)).toBe(FIXED_CLOCK());
    expect(pt.subarray(8).equals(Buffer.from(plain))).toBe(true);
    expect(openBytes(b, st, wire).plain).toEqual(plain);

    // Independently built packet from B's side (direction 1 sends with key 1).
    const iv = detBytes('iv', 16);
    const body = Buffer.alloc(8);
    body.writeUInt32BE(5, 0);
    body.writeUInt32BE(FIXED_CLOCK(), 4);
    const c = createCipheriv('aes-256-cbc', key.keys[1].cipher.subarray(0, 32), iv);
    const ct = Buffer.concat([c.update(Buffer.concat([body, Buffer.from(PING_MAGIC)])), c.final()]);
    const mac = createHmac('sha256', key.keys[1].hmac.subarray(0, 32)).update(Buffer.concat([iv, ct])).digest();
    const r = openBytes(a, st, Buffer.concat([mac, iv, ct]));
    expect(r.code).toBe(OpenResult.PING);
    expect(a.stats.pingsReceived).toBe(1);
  });

  it('bidirectional keys: both sides use key 0 (direction 0 receives with key 1, so it rejects them)', () => {
    const st = makeStrategy('pooled');
    const key = testStaticKey();
    const backend = new NodeCryptoBackend();
    const a = new StaticKeyDataChannel({ backend, strategy: st, key, direction: 'bidirectional', clock: FIXED_CLOCK });
    const b = new StaticKeyDataChannel({ backend, strategy: st, key, direction: 'bidirectional', clock: FIXED_CLOCK });
    const plain = detBytes('bi', 1400);
    expect(openBytes(b, st, sealBytes(a, st, plain)).plain).toEqual(plain);
    const wrongDir = new StaticKeyDataChannel({ backend, strategy: st, key, direction: 0, clock: FIXED_CLOCK });
    expect(openBytes(wrongDir, st, sealBytes(a, st, plain)).code).toBe(OpenResult.DROPPED);
    expect(wrongDir.stats.badHmac).toBe(1);
  });

  it('drops bad HMAC, bad length, bad padding and replays by reason', () => {
    const st = makeStrategy('pooled');
    const key = testStaticKey();
    const backend = new NodeCryptoBackend();
    const a = new StaticKeyDataChannel({ backend, strategy: st, key, direction: 'bidirectional', clock: FIXED_CLOCK });
    const b = new StaticKeyDataChannel({ backend, strategy: st, key, direction: 'bidirectional', clock: FIXED_CLOCK });
    const wire = sealBytes(a, st, detBytes('x', 40));
    const flipped = Uint8Array.from(wire);
    flipped[60]! ^= 0x80;
    expect(openBytes(b, st, flipped).code).toBe(OpenResult.DROPPED);
    expect(b.stats.badHmac).toBe(1);
    expect(openBytes(b, st, wire.subarray(0, wire.length - 3)).code).toBe(OpenResult.DROPPED);
    expect(b.stats.badLength).toBe(1);
    expect(openBytes(b, st, wire.subarray(0, 50)).code).toBe(OpenResult.DROPPED);
    expect(b.stats.tooShort).toBe(1);
    // A correctly authenticated packet whose padding is wrong.
    const iv = detBytes('iv2', 16);
    const c = createCipheriv('aes-256-cbc', key.keys[0].cipher.subarray(0, 32), iv).setAutoPadding(false);
    const block = Buffer.alloc(16, 0);
    block.writeUInt32BE(9, 0);
    block[15] = 17;
    const ct = Buffer.concat([c.update(block), c.final()]);
    const mac = createHmac('sha256', key.keys[0].hmac.subarray(0, 32)).update(Buffer.concat([iv, ct])).digest();
    expect(openBytes(b, st, Buffer.concat([mac, iv, ct])).code).toBe(OpenResult.DROPPED);
    expect(b.stats.badPadding).toBe(1);
    expect(openBytes(b, st, wire).code).toBe(OpenResult.DATA);
    expect(openBytes(b, st, wire).code).toBe(OpenResult.DROPPED);
    expect(b.stats.replay).toBe(1);
  });
});

describe('round trips under every strategy', () => {
  for (const name of STRATEGIES) {
    for (const alg of [...AEAD_ALGORITHMS, 'static', 'none'] as const) {
      it(`${name} / ${alg}`, () => {
        const st = makeStrategy(name);
        const key = testStaticKey();
        let tx, rx;
        if (alg === 'static') {
          const backend = new NodeCryptoBackend();
          tx = new StaticKeyDataChannel({ backend, strategy: st, key, direction: 0, clock: FIXED_CLOCK });
          rx = new StaticKeyDataChannel({ backend, strategy: st, key, direction: 1, clock: FIXED_CLOCK });
        } else if (alg === 'none') {
          const backend = new NullCryptoBackend();
          const k = aeadKeyFromPair('aes-256-gcm', key.keys[0]);
          tx = new AeadDataChannel({ backend, strategy: st, algorithm: 'aes-256-gcm', send: k, receive: k, clock: FIXED_CLOCK });
          rx = new AeadDataChannel({ backend, strategy: st, algorithm: 'aes-256-gcm', send: k, receive: k, clock: FIXED_CLOCK });
        } else {
          ({ sender: tx, receiver: rx } = aeadPair(alg, st));
        }
        for (const n of [0, 1, 15, 16, 17, 64, 512, 1400]) {
          const plain = detBytes(`${name}/${alg}/${n}`, n);
          const r = openBytes(rx, st, sealBytes(tx, st, plain));
          expect(r.code).toBe(OpenResult.DATA);
          expect(Buffer.from(r.plain!).equals(Buffer.from(plain))).toBe(true);
        }
        expect(droppedTotal(rx.stats)).toBe(0);
      });
    }
  }
});
