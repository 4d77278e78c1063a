import type { BufferStrategy, RxCursor } from '../../allocators/buffer-strategy.js';
import { parseMac } from '../../stack/ethernet/wire.js';
import { parseIpv4 } from '../../stack/ipv4/wire.js';
import { MemoryLink } from '../../stack/link/memory-link.js';
import { buildUdpStack, type UdpStack } from '../../stack/udp/udp-stack.js';

export const MAC_A = parseMac('02:00:00:00:00:0a');
export const MAC_B = parseMac('02:00:00:00:00:0b');
export const IP_A = parseIpv4('10.0.0.1');
export const IP_B = parseIpv4('10.0.0.2');

export interface Pair {
  link: MemoryLink;
  a: UdpStack;
  b: UdpStack;
}

export function makePair(make: () => BufferStrategy): Pair {
  const link = new MemoryLink();
  const a = buildUdpStack({ strategy: make(), device: link.a, mac: MAC_A, ip: IP_A, neighbours: [[IP_B, MAC_B]] });
  const b = buildUdpStack({ strategy: make(), device: link.b, mac: MAC_B, ip: IP_B, neighbours: [[IP_A, MAC_A]] });
  return { link, a, b };
}

/** Copies a received payload out (test code only: the stack never does this). */
export function bytesOf(cur: RxCursor): Uint8Array {
  return Uint8Array.from(cur.buf.subarray(cur.start, cur.end));
}
