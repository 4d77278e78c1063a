/**
 * The cipher axis of the VPN workload and how each value becomes a data channel: the AEAD ciphers
 * speak P_DATA_V2, `aes-256-cbc-hmac` is static-key mode (`--secret`, AES-256-CBC + HMAC-SHA256),
 * `none` is P_DATA_V2 framing with the null cipher (`--cipher none --auth none`).
 */
import type { BufferStrategy } from '../../allocators/buffer-strategy.js';
import { isAeadAlgorithm, type CryptoBackend } from '../../stack/crypto/crypto-backend.js';
import { makeCryptoBackend } from '../../stack/crypto/backends.js';
import {
  AeadDataChannel,
  StaticKeyDataChannel,
  aeadKeyFromPair,
  type ClockSeconds,
  type DataChannel,
} from '../../stack/openvpn/data-channel.js';
import type { KeyDirection, StaticKey } from '../../stack/openvpn/static-key.js';
import { WorkloadConfigError } from '../workload.js';

export const VPN_CIPHERS = ['aes-256-gcm', 'aes-128-gcm', 'chacha20-poly1305', 'aes-256-cbc-hmac', 'none'] as const;
export type VpnCipher = (typeof VPN_CIPHERS)[number];

export function isVpnCipher(s: string): s is VpnCipher {
  return (VPN_CIPHERS as readonly string[]).includes(s);
}

export function checkVpnCipher(s: string): VpnCipher {
  if (!isVpnCipher(s)) throw new WorkloadConfigError(`unknown vpn cipher '${s}': use one of ${VPN_CIPHERS.join(', ')}`);
  return s;
}

export interface ChannelSetup {
  cipher: VpnCipher;
  /** Crypto backend for the real ciphers (`node` by default); `none` always uses the null backend. */
  crypto?: string;
  key: StaticKey;
  /** Which end: direction 0 sends with key 0 (the client here), direction 1 with key 1. */
  direction: KeyDirection;
  strategy: BufferStrategy;
  clock?: ClockSeconds;
}

export interface BuiltChannel {
  channel: DataChannel;
  backend: CryptoBackend;
}

export function buildChannel(s: ChannelSetup): BuiltChannel {
  const backend = makeCryptoBackend(s.cipher === 'none' ? 'none' : (s.crypto ?? 'node'));
  const common = { backend, strategy: s.strategy, ...(s.clock ? { clock: s.clock } : {}) };
  if (s.cipher === 'aes-256-cbc-hmac') {
    return { backend, channel: new StaticKeyDataChannel({ ...common, key: s.key, direction: s.direction }) };
  }
  const algorithm = s.cipher === 'none' ? 'aes-256-gcm' : s.cipher;
  if (!isAeadAlgorithm(algorithm)) throw new WorkloadConfigError(`cipher '${s.cipher}' is not an AEAD`);
  const dir = s.direction === 'bidirectional' ? 0 : s.direction;
  const k0 = aeadKeyFromPair(algorithm, s.key.keys[0]);
  const k1 = aeadKeyFromPair(algorithm, s.key.keys[1]);
  const send = s.direction === 'bidirectional' ? k0 : dir === 0 ? k0 : k1;
  const receive = s.direction === 'bidirectional' ? k0 : dir === 0 ? k1 : k0;
  return { backend, channel: new AeadDataChannel({ ...common, algorithm, send, receive }) };
}
