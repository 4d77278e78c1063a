/**
 * The `native` crypto backend (issue 15): published AEAD vectors sealed and opened in place at an
 * offset inside a larger buffer, each with tampered twins that must be refused and leave the
 * ciphertext untouched; differential checks against the `node` backend (node:crypto) for random
 * sizes, offsets and AAD; CBC + HMAC; misuse as typed errors; no allocation per packet; and the
 * addon's isolation from node's bundled OpenSSL.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeStrategy } from '../../../allocators/registry.js';
import { AEAD_ALGORITHMS, AEAD_KEY_BYTES, type AeadAlgorithm } from '../../../stack/crypto/crypto-backend.js';
import { cryptoBackendUnavailable, makeCryptoBackend } from '../../../stack/crypto/backends.js';
import { loadNativeAeadAddon, NATIVE_AEAD_BUILD_COMMAND, nativeAeadAvailability } from '../../../stack/crypto/native-addon.js';
import { NativeCryptoBackend } from '../../../stack/crypto/native-backend.js';
import { NodeCryptoBackend } from '../../../stack/crypto/node-backend.js';
import { nativeAeadBuilt } from './native-available.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const st = makeStrategy('pooled');

interface Vector {
  name: string;
  algorithm: AeadAlgorithm;
  key: string;
  nonce: string;
  aad: string;
  plain: string;
  cipher: string;
  tag: string;
}

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 4 (AES-128) and 16
// (AES-256): the NIST GCM validation vectors with AAD and a message that is not block-aligned.
const GCM_P = 'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39';
const GCM_A = 'feedfacedeadbeeffeedfacedeadbeefabaddad2';
const VECTORS: Vector[] = [
  {
    name: 'GCM test case 4 (AES-128)',
    algorithm: 'aes-128-gcm',
    key: 'feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    aad: GCM_A,
    plain: GCM_P,
    cipher: '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091',
    tag: '5bc94fbc3221a5db94fae95ae7121a47',
  },
  {
    name: 'GCM test case 16 (AES-256)',
    algorithm: 'aes-256-gcm',
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    nonce: 'cafebabefacedbaddecaf888',
    aad: GCM_A,
    plain: GCM_P,
    cipher: '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
  {
    // RFC 8439 §2.8.2
    name: 'RFC 8439 §2.8.2 (ChaCha20-Poly1305)',
    algorithm: 'chacha20-poly1305',
    key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f',
    nonce: '070000004041424344454647',
    aad: '50515253c0c1c2c3c4c5c6c7',
    plain: toHex(Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")),
    cipher:
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116',
    tag: '1ae10b594f09e26a7e902ecbd0600691',
  },
];

/** `[pad 7][aad][message][tag][pad 5]`: every range at a non-zero, unaligned offset. */
function layout(aadBytes: number, msgBytes: number): { buf: Uint8Array; aadStart: number; start: number; end: number; tagAt: number } {
  const aadStart = 7;
  const start = aadStart + aadBytes;
  const end = start + msgBytes;
  const tagAt = end;
  const buf = new Uint8Array(tagAt + 16 + 5).fill(0xa5);
  return { buf, aadStart, start, end, tagAt };
}

describe.runIf(nativeAeadBuilt())('native crypto backend (in-place AEAD over Debian OpenSSL)', () => {
  for (const v of VECTORS) {
    it(`${v.name}: seals in place to the published ciphertext and tag, opens back; tampered twins are refused and leave the ciphertext`, () => {
      const key = new NativeCryptoBackend().aead(v.algorithm, hex(v.key));
      const aad = hex(v.aad);
      const plain = hex(v.plain);
      const L = layout(aad.length, plain.length);
      L.buf.set(aad, L.aadStart);
      L.buf.set(plain, L.start);
      key.seal(hex(v.nonce), L.buf, L.aadStart, L.start, L.start, L.end, L.tagAt, st);
      expect(toHex(L.buf.subarray(L.start, L.end))).toBe(v.cipher);
      expect(toHex(L.buf.subarray(L.tagAt, L.tagAt + 16))).toBe(v.tag);
      // Nothing outside the three ranges was written.
      expect([...L.buf.subarray(0, L.aadStart), ...L.buf.subarray(L.tagAt + 16)].every((b) => b === 0xa5)).toBe(true);
      const sealed = L.buf.slice();
      // Corrupted twins: a bit of the tag, of the ciphertext, of the AAD, and the wrong nonce.
      const twins: Array<[string, (b: Uint8Array) => void, Uint8Array]> = [
        ['tag', (b) => (b[L.tagAt + 15]! ^= 0x01), hex(v.nonce)],
        ['ciphertext', (b) => (b[L.start + 3]! ^= 0x80), hex(v.nonce)],
        ['aad', (b) => (b[L.aadStart]! ^= 0x01), hex(v.nonce)],
        ['nonce', () => {}, hex(v.nonce.slice(0, -2) + 'ff')],
      ];
      for (const [what, corrupt, nonce] of twins) {
        const b = sealed.slice();
        corrupt(b);
        const before = b.slice();
        expect(key.open(nonce, b, L.aadStart, L.start, L.start, L.end, L.tagAt, st), `tampered ${what}`).toBe(false);
        expect(toHex(b), `tampered ${what}: the buffer is as it was`).toBe(toHex(before));
      }
      expect(key.open(hex(v.nonce), L.buf, L.aadStart, L.start, L.start, L.end, L.tagAt, st)).toBe(true);
      expect(toHex(L.buf.subarray(L.start, L.end))).toBe(v.plain);
    });
  }

  it('agrees with node:crypto (the node backend) both ways, for random keys, nonces, AAD, lengths 0..2000 and offsets', () => {
    const native = new NativeCryptoBackend();
    const node = new NodeCryptoBackend();
    fc.assert(
      fc.property(
        fc.constantFrom(...AEAD_ALGORITHMS),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 24 }),
        fc.uint8Array({ maxLength: 2000 }),
        (alg, key32, nonce, aad, plain) => {
          const key = key32.subarray(0, AEAD_KEY_BYTES[alg]);
          const a = native.aead(alg, key);
          const b = node.aead(alg, key);
          const L = layout(aad.length, plain.length);
          L.buf.set(aad, L.aadStart);
          L.buf.set(plain, L.start);
          const viaNode = L.buf.slice();
          a.seal(nonce, L.buf, L.aadStart, L.start, L.start, L.end, L.tagAt, st);
          b.seal(nonce, viaNode, L.aadStart, L.start, L.start, L.end, L.tagAt, st);
          expect(toHex(L.buf)).toBe(toHex(viaNode));
          // Cross-open: node opens what native sealed (and the reverse, on the copy).
          expect(b.open(nonce, L.buf, L.aadStart, L.start, L.start, L.end, L.tagAt, st)).toBe(true);
          expect(a.open(nonce, viaNode, L.aadStart, L.start, L.start, L.end, L.tagAt, st)).toBe(true);
          expect(toHex(L.buf.subarray(L.start, L.end))).toBe(toHex(plain));
          expect(toHex(viaNode.subarray(L.start, L.end))).toBe(toHex(plain));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('AES-256-CBC and HMAC-SHA256 in place agree with node:crypto', () => {
    const ck = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
    const hk = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const iv = hex('000102030405060708090a0b0c0d0e0f');
    const a = new NativeCryptoBackend().cbcHmac(ck, hk);
    const b = new NodeCryptoBackend().cbcHmac(ck, hk);
    const x = new Uint8Array(3 + 64 + 32 + 2);
    for (let i = 0; i < x.length; i++) x[i] = (i * 29) & 0xff;
    const y = x.slice();
    a.encrypt(iv, x, 3, 67, st);
    b.encrypt(iv, y, 3, 67, st);
    expect(toHex(x)).toBe(toHex(y));
    a.mac(x, 3, 67, x, 67, st);
    b.mac(y, 3, 67, y, 67, st);
    expect(toHex(x)).toBe(toHex(y));
    a.decrypt(iv, x, 3, 67, st);
    b.decrypt(iv, y, 3, 67, st);
    expect(toHex(x)).toBe(toHex(y));
    // NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt), block 1.
    const nist = hex('6bc1bee22e409f96e93d7e117393172a');
    a.encrypt(iv, nist, 0, 16, st);
    expect(toHex(nist)).toBe('f58c4c04d6e5f1ba779eabfb5f7bfbd6');
  });

  it('misuse is a typed error with a stable code; nothing is written', () => {
    const native = new NativeCryptoBackend();
    expect(() => native.aead('aes-256-gcm', new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'E_CRYPTO_KEY' }));
    const k = native.aead('aes-128-gcm', new Uint8Array(16));
    const buf = new Uint8Array(64);
    const nonce = new Uint8Array(12);
    const range = expect.objectContaining({ code: 'E_CRYPTO_RANGE', name: 'CryptoConfigError' });
    expect(() => k.seal(nonce, buf, 0, 8, 8, 60, 60, st)).toThrow(range); // tag past the end
    expect(() => k.seal(nonce, buf, 0, 8, 40, 20, 48, st)).toThrow(range); // start > end
    expect(() => k.seal(nonce, buf, 0, 8, 8, 40, -1, st)).toThrow(range); // negative offset
    expect(() => k.open(new Uint8Array(8), buf, 0, 8, 8, 40, 40, st)).toThrow(range); // short nonce
    expect(() => k.seal(nonce, buf, 0, 8, 8, 40, 2 ** 32 - 8, st)).toThrow(range); // tag offset wraps
    expect(buf.every((b) => b === 0)).toBe(true);
    const cbc = native.cbcHmac(new Uint8Array(32), new Uint8Array(32));
    expect(() => cbc.encrypt(new Uint8Array(16), buf, 0, 15, st)).toThrow(range); // not a block multiple
    expect(() => cbc.mac(buf, 0, 16, buf, 40, st)).toThrow(range); // MAC output past the end
  });

  it('counts nothing foreign and makes no view, under every strategy (the node backend counts its Buffers)', () => {
    for (const name of ['uint8array', 'pooled', 'one-big-struct']) {
      const strategy = makeStrategy(name);
      const native = new NativeCryptoBackend();
      const k = native.aead('aes-256-gcm', new Uint8Array(32).fill(1));
      const L = layout(8, 1400);
      const before = { ...strategy.counters }; // a strategy may allocate its arena when made
      for (let i = 0; i < 100; i++) {
        k.seal(new Uint8Array(12).fill(i), L.buf, L.aadStart, L.start, L.start, L.end, L.tagAt, strategy);
        expect(k.open(new Uint8Array(12).fill(i), L.buf, L.aadStart, L.start, L.start, L.end, L.tagAt, strategy)).toBe(true);
      }
      expect(strategy.counters).toEqual(before);
      expect(native.viewsCreated).toBe(0);
    }
  });

  it("links Debian's OpenSSL, not the one node exports (its symbols are hidden inside the addon)", () => {
    const native = new NativeCryptoBackend();
    // `openssl version` prints "OpenSSL 3.0.x <date> (Library: ...)": the CLI is Debian's, as is libcrypto.a.
    const cli = execFileSync('openssl', ['version'], { encoding: 'utf8' }).split(' ').slice(0, 2).join(' ');
    expect(native.opensslVersion.startsWith(cli)).toBe(true);
  });

  it('is the backend named `native`; a missing or broken addon is reported with the build command, never replaced', () => {
    expect(makeCryptoBackend('native').name).toBe('native');
    expect(cryptoBackendUnavailable('native')).toBeNull();
    expect(cryptoBackendUnavailable('node')).toBeNull();
    expect(nativeAeadAvailability().available).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'buflab-native-'));
    try {
      const missing = loadNativeAeadAddon(join(dir, 'absent.node'));
      expect(missing).toMatchObject({ available: false, fix: NATIVE_AEAD_BUILD_COMMAND });
      writeFileSync(join(dir, 'broken.node'), 'not an ELF file');
      const broken = loadNativeAeadAddon(join(dir, 'broken.node'));
      expect(broken.available).toBe(false);
      if (!broken.available) expect(broken.problem).toMatch(/does not load/);
      // A binary from an older aead-addon.c (here: a module with the functions of before copyRange).
      writeFileSync(join(dir, 'old.js'), `module.exports = Object.fromEntries(${JSON.stringify(['aeadContext', 'aeadSeal', 'aeadOpen', 'cbcHmacContext', 'cbcEncrypt', 'cbcDecrypt', 'hmac', 'randomFill'])}.map((f) => [f, () => {}]));`);
      const old = loadNativeAeadAddon(join(dir, 'old.js'));
      expect(old).toMatchObject({ available: false, fix: NATIVE_AEAD_BUILD_COMMAND, problem: expect.stringMatching(/is out of date \(no copyRange, udpSendto, udpRecvfrom\)/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
