/**
 * `npm run fuzz -- vpn [--target data|control] [--count 1000000] [--seed N] [--strategy S]`.
 * `--target control`: the control channel (./control-fuzz.ts). `--target data` (default) feeds mutated and random
 * packets to the data-channel decoders (P_DATA_V2 with AES-256-GCM and ChaCha20-Poly1305,
 * static-key CBC+HMAC, and the null cipher, whose decoder reaches past authentication) and checks
 * one law per packet, in the spirit of ocaml-cstruct's fuzz test: `open` never throws; either it
 * drops the packet and exactly one drop reason is counted, or it accepts it and the plaintext lies
 * inside the received buffer.
 */
import { newRxCursor, newTxFrame, type BufferStrategy } from '../../allocators/buffer-strategy.js';
import { isMakeableStrategyName, makeStrategy } from '../../allocators/registry.js';
import { fillSeededBytes, seededRandom } from '../../allocators/prng.js';
import { OpenResult, droppedTotal, type DataChannel } from '../../stack/openvpn/data-channel.js';
import { staticKeyFromBytes } from '../../stack/openvpn/static-key.js';
import { buildChannel, type VpnCipher } from './ciphers.js';
import { runControlFuzz } from './control-fuzz.js';

/** A bad `npm run fuzz -- vpn` command line. */
export class VpnFuzzUsageError extends Error {
  readonly code = 'E_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'VpnFuzzUsageError';
  }
}

export interface VpnFuzzOptions {
  /** Default 'data' (runVpnFuzz itself fuzzes the data channel; main dispatches 'control'). */
  target?: 'data' | 'control';
  packets: number;
  seed: number;
  strategy: string;
}

export interface VpnFuzzResult {
  packets: number;
  accepted: number;
  dropped: number;
  /** Law violations (descriptions of the first few); empty when the decoders held. */
  violations: string[];
}

interface Pair {
  cipher: VpnCipher;
  strategy: BufferStrategy;
  tx: DataChannel;
  rx: DataChannel;
  valid: Uint8Array[];
}

function makePair(cipher: VpnCipher, strategyName: string, seed: number): Pair {
  const keyBytes = new Uint8Array(256);
  fillSeededBytes(keyBytes, 0, 256, seed ^ 0x1234);
  const key = staticKeyFromBytes(keyBytes);
  const strategy = makeStrategy(strategyName);
  const clock = (): number => 1_700_000_000;
  const tx = buildChannel({ cipher, key, direction: 0, strategy, clock }).channel;
  const rx = buildChannel({ cipher, key, direction: 1, strategy, clock }).channel;
  return { cipher, strategy, tx, rx, valid: [] };
}

function seal(p: Pair, payload: Uint8Array): Uint8Array {
  const f = newTxFrame();
  p.strategy.beginTx(f, payload.length, p.tx.layout);
  p.strategy.copy(payload, 0, payload.length, f.buf, f.start);
  p.tx.seal(f);
  const wire = Uint8Array.from(f.buf.subarray(f.start, f.end));
  p.strategy.releaseTx(f);
  return wire;
}

export function runVpnFuzz(o: VpnFuzzOptions): VpnFuzzResult {
  const r = seededRandom(o.seed);
  const pairs = (['aes-256-gcm', 'chacha20-poly1305', 'aes-256-cbc-hmac', 'none'] as const).map((c, i) => makePair(c, o.strategy, o.seed + i));
  const result: VpnFuzzResult = { packets: 0, accepted: 0, dropped: 0, violations: [] };
  const rx = newRxCursor();
  const out = newRxCursor();
  const scratch = new Uint8Array(2048);
  const violate = (msg: string): void => {
    if (result.violations.length < 10) result.violations.push(msg);
  };
  for (let n = 0; n < o.packets; n++) {
    // The null cipher's decoder is the deepest (no MAC stops mutants): give it 40 % of the packets.
    const pick = r();
    const p = pairs[pick < 0.2 ? 0 : pick < 0.4 ? 1 : pick < 0.6 ? 2 : 3]!;
    if (p.valid.length < 64 || r() < 0.02) {
      const len = Math.floor(r() * 200);
      const payload = scratch.subarray(0, len);
      for (let i = 0; i < len; i++) payload[i] = Math.floor(r() * 256);
      const w = seal(p, payload);
      if (p.valid.length < 64) p.valid.push(w);
      else p.valid[Math.floor(r() * 64)] = w;
    }
    const base = p.valid[Math.floor(r() * p.valid.length)]!;
    // Mutate: random bytes, truncation, extension, bit flips, or the packet as it is (a replay).
    let len: number;
    const kind = Math.floor(r() * 5);
    if (kind === 0) {
      len = Math.floor(r() * 120);
      for (let i = 0; i < len; i++) scratch[i] = Math.floor(r() * 256);
    } else {
      scratch.set(base);
      len = base.length;
      if (kind === 1) len = Math.floor(r() * len);
      else if (kind === 2) {
        const extra = 1 + Math.floor(r() * 40);
        for (let i = 0; i < extra; i++) scratch[len + i] = Math.floor(r() * 256);
        len += extra;
      } else if (kind === 3) {
        const flips = 1 + Math.floor(r() * 4);
        for (let i = 0; i < flips && len > 0; i++) scratch[Math.floor(r() * len)]! ^= 1 << Math.floor(r() * 8);
      }
    }
    const st = p.strategy;
    st.allocRx(Math.max(len, 1), rx);
    st.copy(scratch, 0, len, rx.buf, rx.start);
    const pkt = { buf: rx.buf, start: rx.start, end: rx.start + len };
    const dropsBefore = droppedTotal(p.rx.stats);
    let code: number;
    try {
      code = p.rx.open(pkt, out);
    } catch (err) {
      // The law under test: record the violation (with its cause) and go on fuzzing.
      violate(`${p.cipher}: open threw ${(err as Error).message} on ${Buffer.from(scratch.subarray(0, len)).toString('hex')}`);
      st.release(rx);
      continue;
    }
    const dropsAfter = droppedTotal(p.rx.stats);
    if (code === OpenResult.DROPPED) {
      result.dropped++;
      if (dropsAfter !== dropsBefore + 1) violate(`${p.cipher}: dropped but ${dropsAfter - dropsBefore} reasons counted`);
    } else {
      result.accepted++;
      if (dropsAfter !== dropsBefore) violate(`${p.cipher}: accepted yet a drop was counted`);
      if (out.start < 0 || out.end < out.start || out.end > out.buf.length) violate(`${p.cipher}: plaintext [${out.start}, ${out.end}) outside its buffer of ${out.buf.length}`);
      if (out.end - out.start > len) violate(`${p.cipher}: plaintext longer than the packet`);
    }
    st.release(rx);
    result.packets++;
  }
  return result;
}

export async function main(argv: readonly string[]): Promise<void> {
  const o: VpnFuzzOptions = { target: 'data', packets: 1_000_000, seed: 1, strategy: 'pooled' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const v = argv[++i];
    if (flag === '--help' || flag === '-h') {
      console.log('usage: npm run fuzz -- vpn [--target data|control] [--count 1000000] [--seed 1] [--strategy pooled|uint8array|one-big-struct|poisoning]\nexample: npm run fuzz -- vpn --target control --count 100000 --seed 7 --strategy poisoning');
      return;
    }
    if (v === undefined) throw new VpnFuzzUsageError(`${flag} needs a value`);
    if (flag === '--target') {
      if (v !== 'data' && v !== 'control') throw new VpnFuzzUsageError(`--target ${v}: use data or control`);
      o.target = v;
    } else if (flag === '--count' || flag === '--packets') o.packets = Number(v);
    else if (flag === '--seed') o.seed = Number(v);
    else if (flag === '--strategy') {
      if (!isMakeableStrategyName(v)) throw new VpnFuzzUsageError(`--strategy ${v}: use uint8array, pooled, one-big-struct or poisoning`);
      o.strategy = v;
    }
    else throw new VpnFuzzUsageError(`unknown flag ${flag}: use --target, --count, --seed, --strategy`);
    if (!Number.isInteger(o.packets) || o.packets < 1 || !Number.isInteger(o.seed)) throw new VpnFuzzUsageError('--count and --seed take positive integers');
  }
  const t0 = performance.now();
  if (o.target === 'control') {
    const c = runControlFuzz(o.packets, seededRandom(o.seed), o.strategy);
    const sec = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`vpn control fuzz: ${c.packets} datagrams in ${sec} s (seed ${o.seed}, ${o.strategy}): ${c.decoded} decoded, ${c.sessions} sessions, ${c.violations.length} law violations`);
    for (const v of c.violations) console.log(`  violation: ${v}`);
    if (c.violations.length > 0) process.exitCode = 1;
    return;
  }
  const res = runVpnFuzz(o);
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(`vpn fuzz: ${res.packets} packets in ${s} s (seed ${o.seed}, ${o.strategy}): ${res.accepted} accepted, ${res.dropped} dropped, ${res.violations.length} law violations`);
  for (const v of res.violations) console.log(`  violation: ${v}`);
  if (res.violations.length > 0) process.exitCode = 1;
}
