/** Shared helpers of the OpenVPN data-channel tests: seal/open through a strategy, key material. */
import { createCipheriv, createHash } from 'node:crypto';
import { newRxCursor, newTxFrame, type BufferStrategy } from '../../../allocators/buffer-strategy.js';
import type { AeadAlgorithm } from '../../../stack/crypto/crypto-backend.js';
import type { DataChannel, OpenResultCode } from '../../../stack/openvpn/data-channel.js';
import { staticKeyFromBytes, type StaticKey } from '../../../stack/openvpn/static-key.js';

/** Deterministic bytes: SHA-256 in counter mode over `label`. */
export function detBytes(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, block = 0; i < n; block++) {
    const h = createHash('sha256').update(`${label}/${block}`).digest();
    for (let j = 0; j < h.length && i < n; j++) out[i++] = h[j]!;
  }
  return out;
}

export function testStaticKey(label = 'static-key'): StaticKey {
  return staticKeyFromBytes(detBytes(label, 256));
}

/** Seals `payload` through `ch` and returns a copy of the wire bytes (the frame is released). */
export function sealBytes(ch: DataChannel, st: BufferStrategy, payload: Uint8Array): Uint8Array {
  const frame = newTxFrame();
  st.beginTx(frame, payload.length, ch.layout);
  frame.buf.set(payload, frame.start);
  if (!ch.seal(frame)) throw new Error('seal refused');
  const wire = Uint8Array.from(frame.buf.subarray(frame.start, frame.end));
  st.releaseTx(frame);
  return wire;
}

/** Feeds `wire` to `ch.open` from a receive buffer of `st`; returns the code and a copy of the plaintext. */
export function openBytes(ch: DataChannel, st: BufferStrategy, wire: Uint8Array): { code: OpenResultCode; plain: Uint8Array | null } {
  const rx = newRxCursor();
  st.allocRx(wire.length, rx);
  st.copy(wire, 0, wire.length, rx.buf, rx.start);
  const cur = { buf: rx.buf, start: rx.start, end: rx.start + wire.length };
  const out = newRxCursor();
  const code = ch.open(cur, out);
  const plain = code === 3 ? null : Uint8Array.from(out.buf.subarray(out.start, out.end));
  st.release(rx);
  return { code, plain };
}

/** The P_DATA_V2 packet as OpenVPN 2.6 builds it, from the construction alone. */
export function expectedAeadPacket(alg: AeadAlgorithm, cipherKey: Uint8Array, implicitIv: Uint8Array, keyId: number, peerId: number, pid: number, plain: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header[0] = (9 << 3) | keyId;
  header.writeUIntBE(peerId, 1, 3);
  header.writeUInt32BE(pid, 4);
  const nonce = Buffer.concat([header.subarray(4, 8), Buffer.from(implicitIv)]);
  const c = createCipheriv(alg as 'aes-256-gcm', cipherKey, nonce, { authTagLength: 16 });
  c.setAAD(header);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([header, c.getAuthTag(), ct]);
}
